//! The end of every login, whatever proved the person (the SMS code, a passkey): a new
//! session (the one the browser held ended), the access history, the browser remembered
//! among the account's devices (a device cookie for a new one), the login cookie cleared
//! and, when due, the new-device email. One place, so that a login by passkey follows the
//! SMS login's rules by construction; each caller puts its own guards in `tx` first.

use crate::{cookies, session, App, Ctx, Effect, Outcome, Tx};
use metrics::Metric;
use notify::account_messages;
use store::access_log::{self, Event};
use store::{devices, AccountId};

/// What proved the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The password, then the code sent by SMS.
    SmsCode,
    /// A passkey with user verification (no password, no SMS).
    Passkey,
}

/// Who signs in, and how.
pub struct Proof<'a> {
    pub account_id: &'a AccountId,
    /// The account's `session_epoch` the proof was checked at (the session carries it).
    pub epoch: i64,
    pub method: Method,
    /// Where to go once signed in (already checked by `safe_next`).
    pub next: String,
    /// The owner's email when this browser is new to the account (`None`: a known
    /// browser, or the account's first login).
    pub new_device_email: Option<&'a str>,
}

/// The writes and the answer that sign `proof.account_id` in, on top of `tx`.
pub fn sign_in<R>(app: &App, ctx: &Ctx, mut tx: Tx<R>, proof: Proof<'_>) -> Outcome<R> {
    let now = app.now();
    let id = proof.account_id;
    let (ops, session_cookie) = match proof.method {
        Method::SmsCode => session::start_ops(app, ctx, id, proof.epoch),
        Method::Passkey => session::start_passkey_ops(app, ctx, id, proof.epoch),
    };
    for op in ops {
        tx.write(op);
    }
    let event = match proof.method {
        Method::SmsCode => Event::Completed,
        Method::Passkey => Event::PasskeyLogin,
    };
    let agent = ctx.agent.as_str();
    tx.write(access_log::record_op(id, event, agent, now));
    let device = ctx
        .device
        .clone()
        .unwrap_or_else(domain::crypto::random_token);
    tx.write(devices::remember_op(id, &device, now));
    let (account, viewer) = (domain::crypto::log_id(id), &ctx.viewer.ip);
    let mut outcome = Outcome::redirect(proof.next)
        .with_tx(tx)
        .cookie(session_cookie)
        .cookie(cookies::clear_cookie(
            super::COOKIE,
            app.config.cookie_secure,
        ));
    outcome = match proof.method {
        Method::SmsCode => {
            tracing::info!(step = "login-otp", outcome = "signed-in", %account, %viewer, "signed in");
            outcome.metric(Metric::LoginCodeOk)
        }
        Method::Passkey => {
            let step = "login-passkey";
            tracing::info!(step, outcome = "signed-in", %account, %viewer, "signed in with a passkey");
            outcome
                .metric(Metric::LoginPasskeyOk)
                .metric(Metric::SmsSavedByPasskey)
        }
    };
    if ctx.device.is_none() {
        outcome = outcome.cookie(session::device_cookie(app, &device));
    }
    if let Some(to) = proof.new_device_email {
        let recover = format!("{}{}", app.config.public_base_url, domain::routes::RECOVER);
        let when = domain::clock::rome_datetime(now);
        let browser = ui::agent::describe(agent);
        outcome = outcome.send(Effect::Email(account_messages::email_new_access(
            to, &when, &browser, &recover,
        )));
    }
    outcome
}
