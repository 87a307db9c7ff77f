//! Sending SMS under caps that strangers cannot spend for someone else: the per-number cap
//! is counted per purpose (registration, login, recovery), so six step-1 requests on a
//! number do not stop its owner's login code (sent only after the password was verified),
//! and the global hourly budget keeps a share that only login codes may use.
//!
//! Every function here takes `deliver`: `false` for data that match no account (recovery).
//! The same counters are charged in the same order and a code is stored either way; only
//! the SMS itself is skipped, so nothing observable tells the two apart.

use crate::app::App;
use crate::domain::{MobileNumber, OtpCode};
use crate::engine::Tx;
use crate::limits;
use crate::store::otp::{self, Purpose};
use crate::store::rate;
use crate::web::WebError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendRefused {
    /// This number received too many codes for this purpose in the last hour.
    NumberCap,
    /// The portal's hourly SMS budget is spent (ops are alerted by the log line).
    GlobalBudget,
}

/// The global budget's limit for a purpose: everything but the login reserve for
/// unauthenticated purposes, all of it for login codes.
pub fn global_limit(app: &App, purpose: Purpose) -> rate::Limit {
    let budget = app.config.sms_global_hourly_budget as i64;
    let reserve = (budget * limits::SMS_LOGIN_RESERVED_PERCENT + 99) / 100;
    let max = if purpose == Purpose::Login {
        budget
    } else {
        budget - reserve
    };
    rate::Limit {
        scope: limits::SMS_GLOBAL_SCOPE,
        max,
        window_secs: 3600,
    }
}

/// Charges one SMS to `to` for `purpose` in a step's transaction: the per-number cap, then
/// the global budget (refused with `refusal(..)` when either is spent).
pub fn charge<R>(
    tx: &mut Tx<R>,
    app: &App,
    purpose: Purpose,
    to: &MobileNumber,
    now: i64,
    refusal: impl Fn(SendRefused) -> R,
) {
    tx.charge(
        limits::sms_per_number(purpose),
        to.e164(),
        now,
        refusal(SendRefused::NumberCap),
    );
    tx.charge(
        global_limit(app, purpose),
        "all",
        now,
        refusal(SendRefused::GlobalBudget),
    );
}

/// Counts one SMS to `to` for `purpose` against the per-number cap and the global budget.
async fn allow(
    app: &App,
    purpose: Purpose,
    to: &MobileNumber,
) -> Result<Result<(), SendRefused>, WebError> {
    let now = app.now();
    if !rate::hit(
        app.store.as_ref(),
        limits::sms_per_number(purpose),
        to.e164(),
        now,
    )
    .await?
    {
        return Ok(Err(SendRefused::NumberCap));
    }
    let budget = global_limit(app, purpose);
    if !rate::hit(app.store.as_ref(), budget, "all", now).await? {
        tracing::error!(
            alert = "sms_global_budget_exhausted",
            budget = budget.max,
            "global hourly SMS budget exhausted: sends refused"
        );
        return Ok(Err(SendRefused::GlobalBudget));
    }
    Ok(Ok(()))
}

/// Issues a new code for `subject` (replacing the old one) and sends it by SMS.
pub async fn send_otp(
    app: &App,
    purpose: Purpose,
    subject: &str,
    to: &MobileNumber,
    deliver: bool,
    text: impl Fn(&OtpCode) -> String,
) -> Result<Result<(), SendRefused>, WebError> {
    if let Err(refused) = allow(app, purpose, to).await? {
        return Ok(Err(refused));
    }
    let code = OtpCode::generate();
    otp::issue(
        app.store.as_ref(),
        &app.config.flow_secret,
        purpose,
        subject,
        &code,
        app.now(),
    )
    .await?;
    if deliver {
        app.notifier.sms(to, &text(&code)).await?;
    }
    Ok(Ok(()))
}

/// The first code of a step (not "Invia di nuovo"): if a code for `subject` went out in the
/// last `limits::RESEND_INTERVAL_SECS`, it is kept and nothing is sent — a double click
/// sends one SMS. `Ok(Ok(true))` when a new code was issued.
pub async fn send_otp_once(
    app: &App,
    purpose: Purpose,
    subject: &str,
    to: &MobileNumber,
    deliver: bool,
    text: impl Fn(&OtpCode) -> String,
) -> Result<Result<bool, SendRefused>, WebError> {
    if let Some(age) = otp::age(app.store.as_ref(), purpose, subject, app.now()).await? {
        if age < limits::RESEND_INTERVAL_SECS {
            return Ok(Ok(false));
        }
    }
    if let Err(refused) = allow(app, purpose, to).await? {
        return Ok(Err(refused));
    }
    let code = OtpCode::generate();
    let secret = &app.config.flow_secret;
    if !otp::issue_unless_recent(
        app.store.as_ref(),
        secret,
        purpose,
        subject,
        &code,
        app.now(),
        limits::RESEND_INTERVAL_SECS,
    )
    .await?
    {
        return Ok(Ok(false));
    }
    if !deliver {
        return Ok(Ok(true));
    }
    if let Err(e) = app.notifier.sms(to, &text(&code)).await {
        // The code never left: withdraw it, or the retry would keep it as "recent" and
        // send nothing.
        let _ = otp::withdraw(app.store.as_ref(), secret, purpose, subject, &code).await;
        return Err(e.into());
    }
    Ok(Ok(true))
}

/// Sends a text that is not a code (the recovered username) under the same caps.
pub async fn send_text(
    app: &App,
    purpose: Purpose,
    to: &MobileNumber,
    deliver: bool,
    text: &str,
) -> Result<Result<(), SendRefused>, WebError> {
    if let Err(refused) = allow(app, purpose, to).await? {
        return Ok(Err(refused));
    }
    if deliver {
        app.notifier.sms(to, text).await?;
    }
    Ok(Ok(()))
}

/// "Invia di nuovo" on a code page: refused within `RESEND_INTERVAL_SECS` of the last code,
/// otherwise a new code replaces the old one. `Ok(Err(message))` is the refusal to show
/// next to the code field.
pub async fn resend(
    app: &App,
    last_sent_at: i64,
    e164: &str,
    purpose: Purpose,
    subject: &str,
    deliver: bool,
    text: impl Fn(&OtpCode) -> String,
) -> Result<Result<(), String>, WebError> {
    let wait = limits::RESEND_INTERVAL_SECS - (app.now() - last_sent_at);
    if wait > 0 {
        return Ok(Err(format!(
            "Attendi ancora {wait} secondi prima di richiedere un nuovo codice."
        )));
    }
    let to = MobileNumber::parse(e164)
        .map_err(|_| WebError::Unavailable("stored number unreadable".into()))?;
    Ok(send_otp(app, purpose, subject, &to, deliver, text)
        .await?
        .map_err(|r| <&str>::from(r).to_owned()))
}

/// The refusal's text for the page; a spent global budget also alerts ops (the log line).
pub fn refused_text(r: SendRefused) -> &'static str {
    if r == SendRefused::GlobalBudget {
        tracing::error!(
            alert = "sms_global_budget_exhausted",
            "global hourly SMS budget exhausted: sends refused"
        );
    }
    r.into()
}

impl From<SendRefused> for &'static str {
    fn from(r: SendRefused) -> Self {
        match r {
            SendRefused::NumberCap => {
                "Hai richiesto troppi codici per questo numero nell'ultima ora. Riprova più tardi."
            }
            SendRefused::GlobalBudget => {
                "Il servizio SMS è momentaneamente sovraccarico. Riprova tra qualche minuto."
            }
        }
    }
}
