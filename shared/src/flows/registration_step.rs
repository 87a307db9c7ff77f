//! What every registration step does first: find the flow from the cookie and ask the
//! machine whether this page is allowed now. The answer is either the flow or the
//! redirect to where the user belongs (start over when there is no live flow).

use super::record::{self, Flow, FlowError};
use super::registration::{Registration, Step, COOKIE, KIND, TTL_SECS};
use crate::routes;
use crate::web::{self, Resp, WebError};
use crate::App;
use lambda_http::Request;

pub type RegFlow = Flow<Registration>;

/// Where to go when there is no live flow: step 1, telling the user why.
pub fn expired_redirect() -> Resp {
    web::redirect(&format!("{}?scaduta=1", routes::REGISTER_NUMBER))
}

pub async fn load(app: &App, req: &Request) -> Result<Option<RegFlow>, WebError> {
    let Some(id) = web::cookie(req, COOKIE, app.config.cookie_secure) else {
        return Ok(None);
    };
    Ok(record::load(app.store.as_ref(), KIND, &id, app.now()).await?)
}

/// The flow if `step` is allowed in its state, else the redirect to show.
pub async fn enter(
    app: &App,
    req: &Request,
    step: Step,
) -> Result<Result<RegFlow, Resp>, WebError> {
    let Some(flow) = load(app, req).await? else {
        return Ok(Err(expired_redirect()));
    };
    if !flow.data.state.allows(step) {
        return Ok(Err(web::redirect(flow.data.state.step().path())));
    }
    Ok(Ok(flow))
}

/// Saves a transition and redirects to the page of the new state (POST-redirect-GET).
/// A concurrent change (double submit) is not an error: the user lands where the
/// winning request put the flow.
pub async fn save_and_continue(app: &App, flow: &mut RegFlow) -> Result<Resp, WebError> {
    match record::save(app.store.as_ref(), flow, TTL_SECS, app.now()).await {
        // On a conflict (double submit) the winner moved the flow; the page of the state we
        // aimed for redirects onward if the winner went elsewhere.
        Ok(()) | Err(FlowError::Conflict) => Ok(web::redirect(flow.data.state.step().path())),
        Err(FlowError::Store(e)) => Err(e.into()),
    }
}

pub fn cookie(app: &App, id: &str) -> String {
    web::set_cookie(COOKIE, id, Some(TTL_SECS), app.config.cookie_secure)
}
