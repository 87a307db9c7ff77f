//! "Conferma la tua password": a sensitive change (password, email, deletion) asks for the
//! password again when the login is older than `REAUTH_SECS` (as Kratos' privileged
//! sessions).
//!
//! Who is counted follows the login page's rule (`flows::login::password`, OWASP's
//! device-cookie lockout): the browser holding the session completed a login on the
//! account, so a wrong password here counts on its own counter
//! (`limits::LOGIN_LOCK_PER_DEVICE`, per (username, session)) — never on the per-username
//! lock strangers can drive, which therefore does not bar it. Its few free attempts bound
//! someone who took the session over; the right password clears it. The counter is read
//! first: a locked one is refused before any hash is computed.

use super::Refusal;
use crate::session::SignedIn;
use crate::App;
use crate::WebError;
use crate::{Outcome, Tx};
use domain::passwords;
use metrics::Metric;
use store::limits::LOGIN_LOCK_PER_DEVICE as POLICY;
use store::lockout::{self, Attempt, Counter};

/// How recent a login (or a re-authentication) must be for a sensitive change.
pub const REAUTH_SECS: i64 = 15 * 60;
/// The form field of the current password.
pub const FIELD: &str = ui::pages::area::REAUTH_FIELD;
pub const WRONG: &str = "La password attuale non è corretta.";
pub const MISSING: &str = "Inserisci la tua password attuale.";

/// True when the session's password is too old for a sensitive change.
pub fn needed(s: &SignedIn, now: i64) -> bool {
    now - s.session.auth_at >= REAUTH_SECS
}

/// The current-password field of a sensitive change's form, when `needed` (else nothing).
pub fn field(s: &SignedIn, now: i64, errors: &ui::FieldErrors) -> maud::Markup {
    if !needed(s, now) {
        return maud::html! {};
    }
    ui::pages::area::current_password(
        errors,
        Some("Per la tua sicurezza: hai effettuato l'accesso più di 15 minuti fa."),
    )
}

/// The counter's subject: the username (as the login page keys it) and this session.
fn subject(s: &SignedIn) -> String {
    let user: String = s
        .account
        .username
        .trim()
        .to_lowercase()
        .chars()
        .take(128)
        .collect();
    format!("{user}#{}", s.session.hash())
}

/// A re-authentication as read and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    subject: String,
    counter: Counter,
    /// The password typed is the account's (false, and not computed, while locked).
    ok: bool,
}

/// The browser's counter (one read), then — unless it is locked — whether `typed` is the
/// account's password (the hash verified off the async threads).
pub async fn verify(app: &App, s: &SignedIn, typed: &str) -> Result<Checked, WebError> {
    let now = app.now();
    let subject = subject(s);
    let read = app
        .store
        .batch_get(&[Counter::key(POLICY, &subject)])
        .await?;
    let counter = Counter::from_item(read[0].as_ref(), now);
    let ok = match counter.next(POLICY, now) {
        Attempt::Locked(_) => false,
        Attempt::Allowed { .. } => {
            let (hash, typed) = (s.account.password_hash.clone(), typed.to_owned());
            metrics::emit(Metric::PasswordHashChecked);
            tokio::task::spawn_blocking(move || passwords::verify(&hash, &typed))
                .await
                .map_err(|e| WebError::Unavailable(e.to_string()))?
        }
    };
    Ok(Checked {
        subject,
        counter,
        ok,
    })
}

/// Counts the attempt into `tx`; `Some` is the answer when the password is wrong or the
/// browser's counter is locked (the attempt counted in that outcome's transaction).
pub fn count(tx: &mut Tx<Refusal>, c: &Checked, now: i64) -> Option<Outcome<Refusal>> {
    match c.counter.next(POLICY, now) {
        Attempt::Locked(left) => {
            let text = format!(
                "Per la tua sicurezza, dopo troppi tentativi errati la verifica della password è bloccata per {}.",
                lockout::minutes_text(left)
            );
            Some(Outcome::error(429, FIELD, text))
        }
        Attempt::Allowed { .. } if !c.ok => {
            let mut t = Tx::new();
            t.attempt(
                POLICY,
                &c.subject,
                &c.counter,
                now,
                Refusal::Concurrent(FIELD),
            );
            Some(Outcome::error(401, FIELD, WRONG).with_tx(t))
        }
        Attempt::Allowed { .. } => {
            tx.guard(
                lockout::clear_op(POLICY, &c.subject, &c.counter),
                Refusal::Concurrent(FIELD),
            );
            None
        }
    }
}
