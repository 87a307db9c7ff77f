//! Credential recovery ("Recupera Username e Password", guide section 4) in three modes:
//!
//! 1. **Username dimenticata** — number + personal codice fiscale: the username goes by SMS
//!    to that number and by email to the account's address. No flow record is needed.
//! 2. **Password dimenticata** — username: an email with a single-use reset link (30 min).
//! 3. **Username e password dimenticate** — number + personal codice fiscale: an SMS code to
//!    that number; with the right code, an email with the username and a reset link.
//!
//! The reset link (modes 2 and 3) opens a page that sends an SMS code to the account's
//! number; with the right code the user sets a new password.
//!
//! ```text
//! mode 3:  IdentifyCodeSent --right code--> LinkSent (email with username + link)
//! link:    ResetCodeSent --right code--> ResetAllowed --new password--> Completed
//! ```
//! Whatever was typed, the answers are the same: a mode-3 flow for unknown data has no
//! account, gets a code that is never sent (so wrong guesses count exactly alike), and
//! its code page looks the same.

pub mod code;
pub mod refusal;
pub mod reset;
pub mod start;
pub mod steps;

pub use refusal::Refusal;

use crate::Flow;
use crate::{sms, App};
use crate::{Effect, Tx};
use domain::routes;
use domain::MobileNumber;
use notify::messages;
use serde::{Deserialize, Serialize};
use store::accounts::Account;
use store::limits;
use store::otp::Purpose;
use store::{rate, tokens, AccountId, Item, TxOp};

pub const COOKIE: &str = "recover_flow";
pub const KIND: &str = store::flows::FlowKind::Recovery.tag();
pub const TTL_SECS: i64 = 30 * 60;
/// Token kind and lifetime of the reset link.
pub const RESET_TOKEN: &str = store::tokens::TokenKind::Reset.tag();
pub const RESET_TTL_SECS: i64 = 30 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    Username,
    Password,
    Both,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Username, Mode::Password, Mode::Both];

    /// The value of the `modalita` field.
    pub fn slug(self) -> &'static str {
        match self {
            Mode::Username => "username",
            Mode::Password => "password",
            Mode::Both => "entrambe",
        }
    }
    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.slug() == s)
    }
    pub fn title(self) -> &'static str {
        match self {
            Mode::Username => "Username dimenticata",
            Mode::Password => "Password dimenticata",
            Mode::Both => "Username e password dimenticate",
        }
    }
    pub fn description(self) -> &'static str {
        match self {
            Mode::Username => "Inserisci il numero mobile e il codice fiscale personale usati in registrazione: \
                riceverai la username via SMS e via email.",
            Mode::Password => "Inserisci la tua username: riceverai via email un link per scegliere una nuova \
                password, da confermare con un codice via SMS.",
            Mode::Both => "Inserisci il numero mobile e il codice fiscale personale usati in registrazione: dopo un \
                codice via SMS riceverai via email la username e un link per scegliere una nuova password.",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    IdentifyCodeSent,
    LinkSent,
    ResetCodeSent,
    ResetAllowed,
    Completed,
}

/// The pages a recovery flow moves through after the start page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Code,
    NewPassword,
}

impl Step {
    pub fn path(self) -> &'static str {
        match self {
            Step::Code => routes::RECOVER_OTP,
            Step::NewPassword => routes::RECOVER_RESET,
        }
    }
}

impl State {
    /// Where a flow in this state continues.
    pub fn path(self) -> &'static str {
        match self {
            State::IdentifyCodeSent | State::LinkSent | State::ResetCodeSent => routes::RECOVER_OTP,
            State::ResetAllowed => routes::RECOVER_RESET,
            State::Completed => routes::LOGIN,
        }
    }
    pub fn allows(self, step: Step) -> bool {
        match step {
            Step::Code => matches!(
                self,
                State::IdentifyCodeSent | State::LinkSent | State::ResetCodeSent
            ),
            Step::NewPassword => self == State::ResetAllowed,
        }
    }
}

/// The recovery record, also carried (sealed) in the cookie. It never names the account
/// of an identify flow (mode 3): that is in the code item (`otp::issue_naming_op`), read back
/// only after a right guess, so a flow for unknown data is the same as a real one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    pub state: State,
    /// Subject of this flow's OTP (stable across resends): the request's own in mode 3
    /// (`request_subject`: nobody else's request replaces or spends it), the account's for a
    /// reset (`reset_subject`).
    pub rid: String,
    /// The number the code page refers to (the typed one, or the account's for a reset).
    pub number: MobileNumber,
    /// The reset flow's account and link (token hash), used up with the new password.
    pub reset: Option<Reset>,
    pub otp_sent_at: i64,
    /// The flow's absolute end, set when it was issued: `TTL_SECS` after the request (mode
    /// 3), or when the link it was started from stops working (a reset). No step moves it.
    #[serde(default)]
    pub deadline: Option<i64>,
    /// Mode 3: the identity typed (number + codice fiscale, `identity_subject`), whose
    /// per-identity caps the request counts on.
    #[serde(default)]
    pub identity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reset {
    pub account_id: AccountId,
    pub token_hash: String,
    /// The account's `session_epoch` when the link was issued: the new password is set only
    /// if it is unchanged (a password change, every session ended or a suspension since
    /// then void the link).
    #[serde(default)]
    pub epoch: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

impl Recovery {
    /// A mode-3 request: its own code subject `rid`, for the identity typed `identity`.
    pub fn identify(rid: String, identity: String, number: MobileNumber, now: i64) -> Self {
        Recovery {
            state: State::IdentifyCodeSent,
            rid,
            number,
            reset: None,
            otp_sent_at: now,
            deadline: Some(now + TTL_SECS),
            identity: Some(identity),
        }
    }
    /// A reset started from `link` (live) of `account_id`: it ends when the link does.
    pub fn reset(
        account_id: AccountId,
        number: MobileNumber,
        link: &tokens::Link,
        epoch: i64,
        now: i64,
    ) -> Self {
        Recovery {
            state: State::ResetCodeSent,
            rid: reset_subject(&account_id),
            number,
            reset: Some(Reset {
                account_id,
                token_hash: link.hash.clone(),
                epoch: Some(link.epoch.unwrap_or(epoch)),
            }),
            otp_sent_at: now,
            deadline: Some(link.expires_at.min(now + TTL_SECS)),
            identity: None,
        }
    }

    /// The subject the request's per-identity caps count on.
    pub fn caps_subject(&self) -> &str {
        self.identity.as_deref().unwrap_or(&self.rid)
    }

    /// The right SMS code was entered (for an identify flow, `matched`: the code named an
    /// account — a code for unknown data was never sent, so no guess gets here).
    pub fn code_verified(&self, matched: bool) -> Result<Recovery, Refused> {
        let state = match self.state {
            State::IdentifyCodeSent if matched => State::LinkSent,
            State::ResetCodeSent => State::ResetAllowed,
            _ => return Err(Refused),
        };
        Ok(Recovery {
            state,
            ..self.clone()
        })
    }

    pub fn password_set(&self) -> Result<Recovery, Refused> {
        if self.state != State::ResetAllowed {
            return Err(Refused);
        }
        Ok(Recovery {
            state: State::Completed,
            ..self.clone()
        })
    }

    pub fn code_resent(&self, now: i64) -> Recovery {
        Recovery {
            otp_sent_at: now,
            ..self.clone()
        }
    }
}

/// The code subject of a reset: one per account, so a double-clicked button sends one SMS
/// and both flows accept it.
pub fn reset_subject(account_id: &AccountId) -> String {
    format!("reset:{account_id}")
}

/// The subject of a recovery by number + personal codice fiscale (modes 1 and 3).
pub fn identity_subject(e164: &str, cf: &str) -> String {
    domain::crypto::token_hash(&format!("identify:{e164}:{cf}"))
}

/// The hidden field of mode 3's data form: a random value drawn when the page is drawn, so
/// that the code belongs to the request (`request_subject`).
pub const REQUEST_FIELD: &str = "richiesta";

/// A new value for `REQUEST_FIELD`.
pub fn new_request() -> String {
    domain::crypto::random_token()
}

/// True when `request` can be a value of ours for `REQUEST_FIELD` (bounded: it becomes part
/// of a key).
pub fn is_request(request: &str) -> bool {
    (16..=64).contains(&request.len())
        && request
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The subject of a mode-3 request's code: its own, so that another request for the same
/// identity (a stranger who knows the number and the codice fiscale) can neither replace
/// nor spend it. A double click sends the same form twice (the page's `REQUEST_FIELD`), so
/// both share one code and one SMS; a request without a well-formed one (a script) is keyed
/// by its client instead.
pub fn request_subject(identity: &str, request: &str, client: &str) -> String {
    let by = if is_request(request) {
        format!("form:{request}")
    } else {
        format!("client:{client}")
    };
    domain::crypto::token_hash(&format!("request:{identity}:{by}"))
}

/// Charges one recovery SMS to `number` asked from `client` in a step's transaction: the
/// client's share of the number's recovery SMS (`limits::SMS_PER_NUMBER_RECOVERY_PER_CLIENT`),
/// then the number's cap and the global budget (`sms::charge`). A stranger who knows the
/// number spends a share, never the owner's whole allowance. Charged alike whether or not
/// the data match an account.
pub fn charge_sms<R>(
    tx: &mut Tx<R>,
    app: &App,
    number: &MobileNumber,
    client: &str,
    now: i64,
    refusal: impl Fn(sms::SendRefused) -> R,
) {
    let share = limits::SMS_PER_NUMBER_RECOVERY_PER_CLIENT;
    tx.charge(
        share,
        &share_subject(number, client),
        now,
        refusal(sms::SendRefused::NumberCap),
    );
    sms::charge(tx, app, Purpose::Recovery, number, now, refusal);
}

/// The counter of `client`'s share of `number`'s recovery SMS (a loader reads it).
pub fn sms_share_key(number: &MobileNumber, client: &str, now: i64) -> store::Key {
    let share = limits::SMS_PER_NUMBER_RECOVERY_PER_CLIENT;
    rate::window_key(share, &share_subject(number, client), now)
}

fn share_subject(number: &MobileNumber, client: &str) -> String {
    format!("{}#{client}", number.e164())
}

/// The once-guard and the hourly cap of a recovery message of `mode` for the identity
/// typed (`subject`): a double click sends one message; beyond the cap nothing is sent
/// and the page says the same as always.
pub fn request_keys(subject: &str, mode: Mode, now: i64) -> [store::Key; 2] {
    [
        rate::once_key(ONCE_SCOPE, &format!("{subject}#{}", mode.slug())),
        rate::window_key(limits::RECOVER_PER_SUBJECT, subject, now),
    ]
}

/// Whether the request read as `items` (`request_keys`) may send now.
pub fn request_allowed(items: &[Option<Item>], now: i64) -> bool {
    let allowed = !rate::once_holds(items[0].as_ref(), now)
        && !rate::is_full(items[1].as_ref(), limits::RECOVER_PER_SUBJECT, now);
    if !allowed {
        tracing::warn!(
            limit = "recover-subject",
            "recovery repeated or capped: nothing sent"
        );
    }
    allowed
}

/// The writes charging an allowed request (a concurrent one makes them fail: `refusal`).
pub fn charge_request<R: Clone>(tx: &mut Tx<R>, subject: &str, mode: Mode, now: i64, refusal: R) {
    let once = format!("{subject}#{}", mode.slug());
    let window = limits::RESEND_INTERVAL_SECS;
    tx.guard(
        rate::once_op(ONCE_SCOPE, &once, window, now),
        refusal.clone(),
    );
    tx.charge(limits::RECOVER_PER_SUBJECT, subject, now, refusal);
}

const ONCE_SCOPE: &str = "recover-once";

/// The write creating a single-use reset link (30 minutes) for `account`, recording its
/// `session_epoch` (the link is void once it moves), and the link.
pub fn reset_link_op(app: &App, account: &Account, now: i64) -> (TxOp, String) {
    let token = domain::crypto::random_token();
    let (id, epoch) = (&account.id, account.session_epoch);
    let op = tokens::create_for_op(RESET_TOKEN, &token, id, epoch, RESET_TTL_SECS, now);
    let link = format!(
        "{}{}?token={token}",
        app.config.public_base_url,
        routes::RECOVER_RESET
    );
    (op, link)
}

/// The email with the reset link made at `now` (and the username when the user forgot
/// both): not sent once the link has expired.
pub fn reset_email(account: &Account, link: &str, with_username: bool, now: i64) -> Effect {
    let username = with_username.then_some(account.username.as_str());
    Effect::Email(
        messages::email_password_reset(&account.email, username, link)
            .valid_until(now + RESET_TTL_SECS),
    )
}

impl Flow for Recovery {
    const KIND: &'static str = KIND;
    const COOKIE: &'static str = COOKIE;
    const TTL_SECS: i64 = TTL_SECS;
    type Page = ();
    fn gone() -> String {
        expired()
    }
    fn deadline(&self) -> Option<i64> {
        self.deadline
    }
}

/// The `Set-Cookie` carrying `data` as version `version` of flow `id`.
pub fn cookie(app: &App, id: &str, version: i64, data: &Recovery) -> String {
    crate::flow_cookie(app, id, version, data)
}

pub fn clear_cookie(app: &App) -> String {
    crate::cookies::clear_cookie(COOKIE, app.config.cookie_secure)
}

/// Where a request without a live recovery flow goes: the start page, saying why.
pub fn expired() -> String {
    format!("{}?scaduta=1", routes::RECOVER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n() -> MobileNumber {
        MobileNumber::parse("+393330000001").unwrap()
    }

    fn link(expires_at: i64) -> tokens::Link {
        tokens::Link {
            target: "a".into(),
            hash: "h".into(),
            expires_at,
            epoch: Some(2),
        }
    }

    #[test]
    fn unknown_data_never_get_past_the_code() {
        let r = Recovery::identify("r".into(), "i".into(), n(), 0);
        assert_eq!(r.code_verified(false), Err(Refused));
        assert_eq!(r.code_verified(true).unwrap().state, State::LinkSent);
    }

    #[test]
    fn reset_goes_code_then_password_once() {
        let r = Recovery::reset(AccountId::parse("a").unwrap(), n(), &link(600), 7, 0);
        assert_eq!(r.deadline, Some(600), "a reset ends with its link");
        assert_eq!(r.reset.as_ref().unwrap().epoch, Some(2), "the link's epoch");
        assert!(r.state.allows(Step::Code) && !r.state.allows(Step::NewPassword));
        assert_eq!(r.password_set(), Err(Refused));
        let r = r.code_verified(false).unwrap();
        assert!(r.state.allows(Step::NewPassword));
        let r = r.password_set().unwrap();
        assert_eq!(r.state.path(), routes::LOGIN);
        assert_eq!(r.password_set(), Err(Refused));
    }

    #[test]
    fn a_requests_code_is_its_own() {
        let id = identity_subject("+393330000001", "RSSMRA85T10A562S");
        let form = new_request();
        assert_eq!(
            request_subject(&id, &form, "10.0.0.1"),
            request_subject(&id, &form, "10.0.0.2"),
            "a double click: one code"
        );
        assert_ne!(
            request_subject(&id, &form, "10.0.0.1"),
            request_subject(&id, &new_request(), "10.0.0.1"),
            "another request: another code"
        );
        let script = request_subject(&id, "", "10.0.0.1");
        assert_eq!(script, request_subject(&id, &"x".repeat(65), "10.0.0.1"));
        assert_ne!(script, request_subject(&id, "", "10.0.0.2"));
    }

    #[test]
    fn modes_round_trip() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.slug()), Some(m));
        }
        assert_eq!(Mode::parse("altro"), None);
    }
}
