//! The private area's session check, used by every private page: the cookie's session
//! must be live (idle and absolute limits; the cookie itself ends with the browser), its
//! account active, and the account's
//! `session_epoch` unchanged since login (a reset or a ceased registration ends it).

use crate::cookies;
use crate::App;
use crate::{Ctx, WebError};
use domain::routes;
use store::accounts::{self, Account, Status};
use store::consent_log::{self, InForce};
use store::devices;
use store::lines::{self, Line};
use store::sessions::{self, Session};
use store::{AccountId, TxOp};

pub const COOKIE: &str = "session";

#[derive(Clone)]
pub struct SignedIn {
    pub session: Session,
    pub account: Account,
    /// The terms and privacy versions in force (read with the session).
    pub in_force: InForce,
    /// The account's line as its item repeats it (`lines::copy_on_account`): `None` when
    /// the item carries no copy, and `profile` reads the line.
    pub line_copy: Option<Option<Line>>,
}

impl SignedIn {
    /// True when the account has not accepted the versions in force: the private area
    /// opens only after the consents page.
    pub fn needs_consent(&self) -> bool {
        self.account.terms_version != self.in_force.terms_version
            || self.account.privacy_version != self.in_force.privacy_version
    }
}

/// The cookie's value: the session id, then the account id, so that the guard reads the
/// session and its account in one call (the session item must name the same account).
fn cookie_value(id: &str, account_id: &AccountId) -> String {
    format!("{id}.{account_id}")
}

/// The longest session id or account id a cookie may carry: ours are 43 (a random token)
/// and 36 (`imp-` and 32 hex digits) characters.
const MAX_PART: usize = 64;

/// The session id and the account id a session cookie's value carries, if both are
/// well-formed: non-empty, at most `MAX_PART` characters of `[A-Za-z0-9_-]`. Anything else
/// (the browser's to write: oversized, dotted, non-ASCII) is no session, and never becomes
/// a key DynamoDB refuses.
fn parts(value: &str) -> Option<(&str, AccountId)> {
    let (id, account_id) = value.split_once('.')?;
    let ok = |p: &str| {
        (1..=MAX_PART).contains(&p.len())
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !(ok(id) && ok(account_id)) {
        return None;
    }
    Some((id, AccountId::parse(account_id)?))
}

/// The signed-in user, if the request carries a valid session (renewing its idle timeout).
pub async fn current(app: &App, ctx: &Ctx) -> Result<Option<SignedIn>, WebError> {
    let Some(value) = ctx.cookie(COOKIE) else {
        return Ok(None);
    };
    let Some((id, account_id)) = parts(value) else {
        return Ok(None);
    };
    let now = app.now();
    let keys = [
        sessions::key(id),
        accounts::key(&account_id),
        consent_log::in_force_key(),
    ];
    let [session, account, in_force]: [Option<_>; 3] = app
        .store
        .batch_get(&keys)
        .await?
        .try_into()
        .map_err(|_| WebError::Unavailable("batch answer of the wrong size".into()))?;
    let Some(session) = sessions::from_item(keys[0].clone(), session.as_ref(), now)
        .filter(|s| s.account_id == account_id)
    else {
        return Ok(None);
    };
    let item = account;
    let account = item
        .as_ref()
        .and_then(|i| accounts::from_item(&account_id, i));
    let Some(account) =
        account.filter(|a| a.status == Status::Active && a.session_epoch == session.epoch)
    else {
        sessions::delete(app.store.as_ref(), id).await?;
        return Ok(None);
    };
    sessions::touch(app.store.as_ref(), &session, now).await?;
    let in_force = consent_log::in_force_from(in_force.as_ref());
    let line_copy = item.and_then(|i| lines::copy_on_account(&account.number, &i));
    Ok(Some(SignedIn {
        session,
        account,
        in_force,
        line_copy,
    }))
}

impl SignedIn {
    /// The account as the private pages show it, with its line (the account's copy, or one
    /// read when it has none): imported accounts may lack the entity's name, which the
    /// line knows.
    pub async fn profile(&self, app: &App) -> Result<(Account, Option<Line>), WebError> {
        let mut account = self.account.clone();
        let line = match &self.line_copy {
            Some(copy) => copy.clone(),
            None => lines::get(app.store.as_ref(), &account.number).await?,
        };
        if let Some(line) = line.as_ref().filter(|_| account.ragione_sociale.is_empty()) {
            account.ragione_sociale = line.ragione_sociale.clone();
        }
        Ok((account, line))
    }
}

/// Where a private page's request goes instead (the login that comes back here, or the
/// consents page), with the cookies to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToLogin {
    pub to: String,
    pub cookies: Vec<String>,
}

/// For private pages: the signed-in user, or the redirect to the login that comes back here.
pub async fn require(app: &App, ctx: &Ctx) -> Result<Result<SignedIn, ToLogin>, WebError> {
    Ok(match current(app, ctx).await? {
        Some(s) if s.needs_consent() && !routes::CONSENT_EXEMPT.contains(&ctx.path.as_str()) => {
            let back =
                url::form_urlencoded::byte_serialize(ctx.path.as_bytes()).collect::<String>();
            Err(ToLogin {
                to: format!("{}?next={back}", routes::ACCOUNT_CONSENTS),
                cookies: Vec::new(),
            })
        }
        Some(s) => Ok(s),
        None => {
            let back = ctx.path.as_str();
            let mut to = format!(
                "{}?next={}",
                routes::LOGIN,
                url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
            );
            if ctx.cookie(COOKIE).is_some() {
                to.push_str("&sessione=scaduta");
            }
            Err(ToLogin {
                to,
                cookies: vec![clear_cookie(app)],
            })
        }
    })
}

/// The writes starting a session with a fresh id (never the one the browser had: no
/// fixation) and ending the one the browser held, if any; and its `Set-Cookie`.
pub fn start_ops(app: &App, ctx: &Ctx, account_id: &AccountId, epoch: i64) -> (Vec<TxOp>, String) {
    let mut ops = Vec::new();
    if let Some((old, owner)) = ctx.cookie(COOKIE).and_then(parts) {
        ops.extend(sessions::end_ops(&owner, &domain::crypto::token_hash(old)));
    }
    let (id, created) = sessions::create_ops(account_id, epoch, app.now(), &ctx.agent);
    ops.extend(created);
    let cookie = cookies::set_cookie(
        COOKIE,
        &cookie_value(&id, account_id),
        None,
        app.config.cookie_secure,
    );
    (ops, cookie)
}

/// `start_ops` for a login by passkey: the session says so (the home offers no passkey).
pub fn start_passkey_ops(
    app: &App,
    ctx: &Ctx,
    account_id: &AccountId,
    epoch: i64,
) -> (Vec<TxOp>, String) {
    let (ops, cookie) = start_ops(app, ctx, account_id, epoch);
    let ops = ops.into_iter().map(sessions::mark_by_passkey).collect();
    (ops, cookie)
}

/// The `Set-Cookie` carrying session `id` of `account_id`, for a session created without
/// `start_ops` ("Esci da tutti gli altri dispositivi" renews this browser's own).
pub fn session_cookie(app: &App, id: &str, account_id: &AccountId) -> String {
    cookies::set_cookie(
        COOKIE,
        &cookie_value(id, account_id),
        None,
        app.config.cookie_secure,
    )
}

/// Ends the request's session server-side; returns the `Set-Cookie` that clears it.
pub async fn end(app: &App, ctx: &Ctx) -> Result<String, WebError> {
    if let Some(value) = ctx.cookie(COOKIE) {
        match parts(value) {
            Some((id, owner)) => {
                let ops = sessions::end_ops(&owner, &domain::crypto::token_hash(id));
                app.store.transact(ops.to_vec()).await?;
            }
            // An id alone (a cookie from before the account was in it): its session goes.
            None if !value.contains('.') && value.len() <= MAX_PART => {
                sessions::delete(app.store.as_ref(), value).await?
            }
            None => {}
        }
    }
    Ok(clear_cookie(app))
}

/// The `Set-Cookie` naming this browser for `devices::KEEP_SECS` (HttpOnly, like every
/// cookie `web::set_cookie` writes).
pub fn device_cookie(app: &App, id: &str) -> String {
    cookies::set_cookie(
        devices::COOKIE,
        id,
        Some(devices::KEEP_SECS),
        app.config.cookie_secure,
    )
}

pub fn clear_cookie(app: &App) -> String {
    cookies::clear_cookie(COOKIE, app.config.cookie_secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bounded_well_formed_parts_are_read_from_the_cookie() {
        let id = domain::crypto::random_token();
        let imported = AccountId::parse("imp-0123456789abcdef0123456789abcdef").unwrap();
        let value = cookie_value(&id, &imported);
        assert_eq!(
            parts(&value).map(|(id, a)| (id, a.to_string())),
            Some((
                id.as_str(),
                "imp-0123456789abcdef0123456789abcdef".to_owned()
            ))
        );
        let long = "a".repeat(MAX_PART + 1);
        for bad in [
            format!("{id}.{long}"),
            format!("{long}.acc"),
            format!("{id}."),
            format!(".{id}"),
            format!("{id}.a.b"),
            format!("{id}.àcc"),
            "nodot".to_owned(),
            format!("{id}.a%2Eb"),
        ] {
            assert_eq!(parts(&bad), None, "{bad}");
        }
    }
}
