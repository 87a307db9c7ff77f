//! Sending an OTP by SMS under the per-number cap and the global hourly budget, so SMS
//! pumping cannot run up the bill.

use crate::app::App;
use crate::domain::{MobileNumber, OtpCode};
use crate::limits;
use crate::store::{otp, rate};
use crate::web::WebError;

#[derive(Debug, PartialEq, Eq)]
pub enum SendRefused {
    /// This number received too many codes in the last hour.
    NumberCap,
    /// The portal's hourly SMS budget is spent (ops are alerted by the log line).
    GlobalBudget,
}

/// Counts one SMS to `to` against the per-number cap and the global budget.
async fn allow(app: &App, to: &MobileNumber) -> Result<Result<(), SendRefused>, WebError> {
    let now = app.now();
    if !number_cap(app, to).await? {
        return Ok(Err(SendRefused::NumberCap));
    }
    let budget = rate::Limit { scope: limits::SMS_GLOBAL_SCOPE, max: app.config.sms_global_hourly_budget as i64, window_secs: 3600 };
    if !rate::hit(app.store.as_ref(), budget, "all", now).await? {
        tracing::error!(alert = "sms_global_budget_exhausted", budget = budget.max, "global hourly SMS budget exhausted: sends refused");
        return Ok(Err(SendRefused::GlobalBudget));
    }
    Ok(Ok(()))
}

/// Counts one message against the per-number cap only: recovery calls it for data that
/// match no account, so that the cap (and its message) behaves the same either way.
pub async fn number_cap(app: &App, to: &MobileNumber) -> Result<bool, WebError> {
    Ok(rate::hit(app.store.as_ref(), limits::SMS_PER_NUMBER, to.e164(), app.now()).await?)
}

/// Issues a new code for `subject` (replacing the old one) and sends it by SMS.
pub async fn send_otp(
    app: &App,
    purpose: otp::Purpose,
    subject: &str,
    to: &MobileNumber,
    text: impl Fn(&OtpCode) -> String,
) -> Result<Result<(), SendRefused>, WebError> {
    if let Err(refused) = allow(app, to).await? {
        return Ok(Err(refused));
    }
    let code = OtpCode::generate();
    otp::issue(app.store.as_ref(), &app.config.flow_secret, purpose, subject, &code, app.now()).await?;
    app.notifier.sms(to, &text(&code)).await?;
    Ok(Ok(()))
}

/// The first code of a step (not "Invia di nuovo"): if a code for `subject` went out in the
/// last `limits::RESEND_INTERVAL_SECS`, it is kept and nothing is sent — a double click
/// sends one SMS. `Ok(Ok(true))` when an SMS was sent.
pub async fn send_otp_once(
    app: &App,
    purpose: otp::Purpose,
    subject: &str,
    to: &MobileNumber,
    text: impl Fn(&OtpCode) -> String,
) -> Result<Result<bool, SendRefused>, WebError> {
    if let Some(age) = otp::age(app.store.as_ref(), purpose, subject, app.now()).await? {
        if age < limits::RESEND_INTERVAL_SECS {
            return Ok(Ok(false));
        }
    }
    if let Err(refused) = allow(app, to).await? {
        return Ok(Err(refused));
    }
    let code = OtpCode::generate();
    let secret = &app.config.flow_secret;
    if !otp::issue_unless_recent(app.store.as_ref(), secret, purpose, subject, &code, app.now(), limits::RESEND_INTERVAL_SECS).await? {
        return Ok(Ok(false));
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
pub async fn send_text(app: &App, to: &MobileNumber, text: &str) -> Result<Result<(), SendRefused>, WebError> {
    if let Err(refused) = allow(app, to).await? {
        return Ok(Err(refused));
    }
    app.notifier.sms(to, text).await?;
    Ok(Ok(()))
}

/// "Invia di nuovo" on a code page: refused within `RESEND_INTERVAL_SECS` of the last code,
/// otherwise a new code replaces the old one. `deliver` is false only for a recovery flow
/// whose data matched no account: its code is stored, never sent, and the caps count alike.
/// `Ok(Err(message))` is the refusal to show next to the code field.
pub async fn resend(
    app: &App,
    last_sent_at: i64,
    e164: &str,
    purpose: otp::Purpose,
    subject: &str,
    deliver: bool,
    text: impl Fn(&OtpCode) -> String,
) -> Result<Result<(), String>, WebError> {
    let wait = limits::RESEND_INTERVAL_SECS - (app.now() - last_sent_at);
    if wait > 0 {
        return Ok(Err(format!("Attendi ancora {wait} secondi prima di richiedere un nuovo codice.")));
    }
    let to = MobileNumber::parse(e164).map_err(|_| WebError::Unavailable("stored number unreadable".into()))?;
    let refused = if deliver {
        send_otp(app, purpose, subject, &to, text).await?.err()
    } else {
        let allowed = number_cap(app, &to).await?;
        otp::issue(app.store.as_ref(), &app.config.flow_secret, purpose, subject, &OtpCode::generate(), app.now()).await?;
        (!allowed).then_some(SendRefused::NumberCap)
    };
    Ok(match refused {
        Some(r) => Err(<&str>::from(r).to_owned()),
        None => Ok(()),
    })
}

impl From<SendRefused> for &'static str {
    fn from(r: SendRefused) -> Self {
        match r {
            SendRefused::NumberCap => "Hai richiesto troppi codici per questo numero nell'ultima ora. Riprova più tardi.",
            SendRefused::GlobalBudget => "Il servizio SMS è momentaneamente sovraccarico. Riprova tra qualche minuto.",
        }
    }
}
