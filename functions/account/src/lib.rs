//! The private area's home page: greets the signed-in user, shows the profile and the
//! Convenzione's services (placeholders for now, marked "prossimamente"). Without a
//! valid session it redirects to the login, which comes back here.

mod page;

use lambda_http::Request;
use shared::web::{self, Resp, WebError};
use shared::{session, App};

shared::step!(get: get);

/// The runtime's session guard already ran (`routes::PRIVATE`): the signed-in user is
/// attached to the request.
async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let Some(signed_in) = session::signed_in(req) else {
        return Err(WebError::Unavailable(
            "private route without the session guard".into(),
        ));
    };
    Ok(web::html(200, page::page(&signed_in.profile(app).await?)))
}
