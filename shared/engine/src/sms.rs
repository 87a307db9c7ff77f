//! Sending SMS under caps that strangers cannot spend for someone else: the per-number cap
//! is counted per purpose (registration, login, recovery), so six step-1 requests on a
//! number do not stop its owner's login code (sent only after the password was verified),
//! and the global hourly budget keeps a share that only login codes may use.
//!
//! A step charges both in its own transaction (`charge`), the same way whether or not the
//! data typed match an account; only the message differs (`Message::Nothing` for none).

use crate::app::App;
use crate::Tx;
use domain::MobileNumber;
use store::limits;
use store::otp::Purpose;
use store::rate;

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
    // Codes only a person who typed the right password can ask for use the whole budget.
    let max = if matches!(purpose, Purpose::Login | Purpose::Deletion) {
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
