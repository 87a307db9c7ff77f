//! "Conferma la tua password": a sensitive change (password, email, deletion) asks for the
//! password again when the login is older than `REAUTH_SECS` (as Kratos' privileged
//! sessions). A wrong password here counts on the same per-username lock as the login
//! page, so the private area is no way around it; the right one clears it.

use super::Refusal;
use crate::engine::{Outcome, Tx};
use crate::limits::LOGIN_LOCK_PER_USERNAME as POLICY;
use crate::session::SignedIn;
use crate::store::accounts::Account;
use crate::store::lockout::{self, Attempt, Counter};
use crate::web::WebError;
use crate::{passwords, App};

/// How recent a login (or a re-authentication) must be for a sensitive change.
pub const REAUTH_SECS: i64 = 15 * 60;
/// The form field of the current password.
pub const FIELD: &str = "password_attuale";
pub const WRONG: &str = "La password attuale non è corretta.";
pub const MISSING: &str = "Inserisci la tua password attuale.";

/// True when the session's password is too old for a sensitive change.
pub fn needed(s: &SignedIn, now: i64) -> bool {
    now - s.session.auth_at >= REAUTH_SECS
}

fn subject(account: &Account) -> String {
    account
        .username
        .trim()
        .to_lowercase()
        .chars()
        .take(128)
        .collect()
}

/// The lock counter and whether `typed` is the account's password (one read; the hash is
/// verified off the async threads).
pub async fn verify(
    app: &App,
    account: &Account,
    typed: &str,
) -> Result<(Counter, bool), WebError> {
    let key = Counter::key(POLICY, &subject(account));
    let read = app.store.batch_get(&[key]).await?;
    let counter = Counter::from_item(read[0].as_ref(), app.now());
    let (hash, typed) = (account.password_hash.clone(), typed.to_owned());
    crate::metrics::emit(crate::metrics::Metric::PasswordHashChecked);
    let ok = tokio::task::spawn_blocking(move || passwords::verify(&hash, &typed))
        .await
        .map_err(|e| WebError::Unavailable(e.to_string()))?;
    Ok((counter, ok))
}

/// Counts the attempt into `tx`; `Some` is the answer when the password is wrong or the
/// username is locked (the attempt counted in that outcome's transaction).
pub fn count(
    tx: &mut Tx<Refusal>,
    account: &Account,
    (counter, ok): &(Counter, bool),
    now: i64,
) -> Option<Outcome<Refusal>> {
    let subject = subject(account);
    match counter.next(POLICY, now) {
        Attempt::Locked(left) => {
            let text = format!(
                "Per la tua sicurezza, dopo troppi tentativi errati la verifica della password è bloccata per {}.",
                lockout::minutes_text(left)
            );
            Some(Outcome::error(429, FIELD, text))
        }
        Attempt::Allowed { .. } if !ok => {
            let mut t = Tx::new();
            t.attempt(POLICY, &subject, counter, now, Refusal::Concurrent(FIELD));
            Some(Outcome::error(401, FIELD, WRONG).with_tx(t))
        }
        Attempt::Allowed { .. } => {
            tx.guard(
                lockout::clear_op(POLICY, &subject, counter),
                Refusal::Concurrent(FIELD),
            );
            None
        }
    }
}
