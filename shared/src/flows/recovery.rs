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

use super::record::{self, Flow};
use crate::notify::messages;
use crate::store::accounts::Account;
use crate::store::{rate, tokens};
use crate::web::{self, Resp, WebError};
use crate::{limits, routes, App};
use lambda_http::Request;
use serde::{Deserialize, Serialize};

pub const COOKIE: &str = "recover_flow";
pub const KIND: &str = "RECOVER";
pub const TTL_SECS: i64 = 30 * 60;
/// Token kind and lifetime of the reset link.
pub const RESET_TOKEN: &str = "RESET";
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
            Mode::Username => "Inserisci il numero mobile e il codice fiscale personale usati in registrazione: riceverai la username via SMS e via email.",
            Mode::Password => "Inserisci la tua username: riceverai via email un link per scegliere una nuova password, da confermare con un codice via SMS.",
            Mode::Both => "Inserisci il numero mobile e il codice fiscale personale usati in registrazione: dopo un codice via SMS riceverai via email la username e un link per scegliere una nuova password.",
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    pub state: State,
    /// Subject of this flow's OTP (stable across resends).
    pub rid: String,
    /// The matching account; `None` when the data typed match none (nothing is sent).
    pub account_id: Option<String>,
    /// E.164 the code page refers to (the typed number, or the account's for a reset).
    pub number: String,
    /// The reset link's token hash (reset flows), used up with the new password.
    pub token_hash: Option<String>,
    pub otp_sent_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

impl Recovery {
    pub fn identify(rid: String, account_id: Option<String>, number: String, now: i64) -> Self {
        Recovery {
            state: State::IdentifyCodeSent,
            rid,
            account_id,
            number,
            token_hash: None,
            otp_sent_at: now,
        }
    }
    pub fn reset(
        rid: String,
        account_id: String,
        number: String,
        token_hash: String,
        now: i64,
    ) -> Self {
        Recovery {
            state: State::ResetCodeSent,
            rid,
            account_id: Some(account_id),
            number,
            token_hash: Some(token_hash),
            otp_sent_at: now,
        }
    }

    /// The right SMS code was entered.
    pub fn code_verified(&mut self) -> Result<(), Refused> {
        self.state = match (self.state, &self.account_id) {
            (State::IdentifyCodeSent, Some(_)) => State::LinkSent,
            (State::ResetCodeSent, Some(_)) => State::ResetAllowed,
            _ => return Err(Refused),
        };
        Ok(())
    }

    pub fn password_set(&mut self) -> Result<(), Refused> {
        if self.state != State::ResetAllowed {
            return Err(Refused);
        }
        self.state = State::Completed;
        Ok(())
    }
}

pub type RecoveryFlow = Flow<Recovery>;

/// The flow if `step` is allowed now, else the redirect to where the user belongs (the
/// start page when there is no live flow).
pub async fn enter(
    app: &App,
    req: &Request,
    step: Step,
) -> Result<Result<RecoveryFlow, Resp>, WebError> {
    let flow = match web::cookie(req, COOKIE, app.config.cookie_secure) {
        Some(id) => record::load::<Recovery>(app.store.as_ref(), KIND, &id, app.now()).await?,
        None => None,
    };
    Ok(match flow {
        Some(f) if f.data.state.allows(step) => Ok(f),
        Some(f) => Err(web::redirect(f.data.state.path())),
        None => Err(web::redirect(&format!("{}?scaduta=1", routes::RECOVER))),
    })
}

/// Whether a recovery message of `mode` may go out for the identity typed (`subject`: a
/// hash of number + codice fiscale, or the username): not if the same request was just
/// made (a double click sends one message) or the hourly cap is reached — then nothing is
/// sent and the page says the same as always. Charged before the account is known, so
/// data that match no account count exactly alike.
pub async fn request_allowed(app: &App, subject: &str, mode: Mode) -> Result<bool, WebError> {
    let key = format!("{subject}#{}", mode.slug());
    if !rate::first_within(
        app.store.as_ref(),
        "recover-once",
        &key,
        limits::RESEND_INTERVAL_SECS,
        app.now(),
    )
    .await?
    {
        return Ok(false);
    }
    let ok = rate::hit(
        app.store.as_ref(),
        limits::RECOVER_PER_SUBJECT,
        subject,
        app.now(),
    )
    .await?;
    if !ok {
        tracing::warn!(
            limit = "recover-subject",
            "recovery cap reached: nothing sent"
        );
    }
    Ok(ok)
}

/// The subject of a recovery by number + personal codice fiscale (modes 1 and 3).
pub fn identity_subject(e164: &str, cf: &str) -> String {
    crate::crypto::token_hash(&format!("identify:{e164}:{cf}"))
}

/// Emails a single-use reset link (30 minutes) to the account, with the username when the
/// user forgot both.
pub async fn send_reset_link(
    app: &App,
    account: &Account,
    with_username: bool,
) -> Result<(), WebError> {
    let (token, _) = tokens::create(
        app.store.as_ref(),
        RESET_TOKEN,
        &account.id,
        RESET_TTL_SECS,
        app.now(),
    )
    .await?;
    let link = format!(
        "{}{}?token={token}",
        app.config.public_base_url,
        routes::RECOVER_RESET
    );
    let username = with_username.then_some(account.username.as_str());
    app.notifier
        .email(&messages::email_password_reset(
            &account.email,
            username,
            &link,
        ))
        .await?;
    Ok(())
}

pub fn cookie(app: &App, id: &str) -> String {
    web::set_cookie(COOKIE, id, Some(TTL_SECS), app.config.cookie_secure)
}

pub fn clear_cookie(app: &App) -> String {
    web::clear_cookie(COOKIE, app.config.cookie_secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_data_never_get_past_the_code() {
        let mut r = Recovery::identify("r".into(), None, "+393330000001".into(), 0);
        assert_eq!(r.code_verified(), Err(Refused));
        assert_eq!(r.state, State::IdentifyCodeSent);
    }

    #[test]
    fn reset_goes_code_then_password_once() {
        let mut r = Recovery::reset(
            "r".into(),
            "a".into(),
            "+393330000001".into(),
            "h".into(),
            0,
        );
        assert!(r.state.allows(Step::Code) && !r.state.allows(Step::NewPassword));
        assert_eq!(r.password_set(), Err(Refused));
        r.code_verified().unwrap();
        assert!(r.state.allows(Step::NewPassword));
        r.password_set().unwrap();
        assert_eq!(r.state.path(), routes::LOGIN);
        assert_eq!(r.password_set(), Err(Refused));
    }

    #[test]
    fn modes_round_trip() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.slug()), Some(m));
        }
        assert_eq!(Mode::parse("altro"), None);
    }
}
