//! The private area's session check, used by every private page: the cookie's session
//! must be live (idle and absolute limits; the cookie itself ends with the browser), its account active, and the account's
//! `session_epoch` unchanged since login (a reset or a ceased registration ends it).

use crate::routes;
use crate::store::accounts::{self, Account, Status};
use crate::store::sessions::{self, Session};
use crate::web::{self, Resp, WebError};
use crate::App;
use lambda_http::Request;

pub const COOKIE: &str = "session";

pub struct SignedIn {
    pub session: Session,
    pub account: Account,
}

/// The signed-in user, if the request carries a valid session (renewing its idle timeout).
pub async fn current(app: &App, req: &Request) -> Result<Option<SignedIn>, WebError> {
    let Some(id) = web::cookie(req, COOKIE, app.config.cookie_secure) else {
        return Ok(None);
    };
    let now = app.now();
    let Some(session) = sessions::load(app.store.as_ref(), &id, now).await? else {
        return Ok(None);
    };
    let account = accounts::get(app.store.as_ref(), &session.account_id).await?;
    let Some(account) =
        account.filter(|a| a.status == Status::Active && a.session_epoch == session.epoch)
    else {
        sessions::delete(app.store.as_ref(), &id).await?;
        return Ok(None);
    };
    sessions::touch(app.store.as_ref(), &session, now).await?;
    Ok(Some(SignedIn { session, account }))
}

/// For private pages: the signed-in user, or the redirect to the login that comes back here.
pub async fn require(app: &App, req: &Request) -> Result<Result<SignedIn, Resp>, WebError> {
    Ok(match current(app, req).await? {
        Some(s) => Ok(s),
        None => {
            let back = req.uri().path();
            let mut to = format!(
                "{}?next={}",
                routes::LOGIN,
                url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
            );
            if web::cookie(req, COOKIE, app.config.cookie_secure).is_some() {
                to.push_str("&sessione=scaduta");
            }
            Err(web::redirect_with_cookies(&to, &[clear_cookie(app)]))
        }
    })
}

/// Starts a session with a fresh id (never the one the browser had: no fixation) and
/// ends the one the browser held, if any. Returns the `Set-Cookie` value.
pub async fn start(app: &App, req: &Request, account: &Account) -> Result<String, WebError> {
    if let Some(old) = web::cookie(req, COOKIE, app.config.cookie_secure) {
        sessions::delete(app.store.as_ref(), &old).await?;
    }
    let id = sessions::create(
        app.store.as_ref(),
        &account.id,
        account.session_epoch,
        app.now(),
    )
    .await?;
    Ok(web::set_cookie(COOKIE, &id, None, app.config.cookie_secure))
}

/// Ends the request's session server-side; returns the `Set-Cookie` that clears it.
pub async fn end(app: &App, req: &Request) -> Result<String, WebError> {
    if let Some(id) = web::cookie(req, COOKIE, app.config.cookie_secure) {
        sessions::delete(app.store.as_ref(), &id).await?;
    }
    Ok(clear_cookie(app))
}

pub fn clear_cookie(app: &App) -> String {
    web::clear_cookie(COOKIE, app.config.cookie_secure)
}
