//! The private area's home page: greets the signed-in user, shows the profile, the line
//! and what the person can do (security, privacy). Without a valid session the runtime's
//! guard redirects to the login, which comes back here.

mod page;

use engine::App;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get);

/// The runtime's session guard already ran (`routes::PRIVATE`): the signed-in user is
/// attached to the request.
async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let (account, line) = ctx.required()?.profile(app).await?;
    Ok(web::html(200, page::page(&account, line.as_ref())))
}
