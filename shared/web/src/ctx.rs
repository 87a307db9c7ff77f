//! The one reading of a request: `read` turns it into the engine's `Ctx` (viewer, user
//! agent, cookies, query, form), which is all a handler, a step or a page sees of it.

use super::form;
use engine::App;
use engine::Ctx;
use lambda_http::Request;

/// The request's context; its viewer is the one `runtime::entry` attached (`edge::viewer`),
/// else the edge's header read now.
pub fn read(app: &App, req: &Request) -> Ctx {
    let viewer = req
        .extensions()
        .get::<crate::edge::Viewer>()
        .cloned()
        .unwrap_or_else(|| crate::edge::viewer(req));
    let headers = req.headers().get_all("cookie");
    let cookies = engine::cookies::parse(headers.iter().filter_map(|v| v.to_str().ok()));
    let path = req.uri().path().to_owned();
    let agent = super::user_agent(req).to_owned();
    let mut ctx = Ctx::new(path, viewer, agent, cookies, app.config.cookie_secure);
    ctx.query = form::from_query(req);
    ctx.form = form::from_request(req);
    ctx
}
