//! Login, second step: the SMS code. ACCEDI with the right code opens the private area
//! with a new session (in the same transaction that uses the code up and completes the
//! flow, on condition that the account is still active with the same `session_epoch`);
//! "Invia di nuovo" sends a code that replaces the previous one.

use super::{Login, State, KIND, TTL_SECS};
use crate::domain::OtpCode;
use crate::engine::{Carried, Effect, Outcome, Refusal as StepRefusal, Reply, Tx};
use crate::flows::record;
use crate::notify::messages;
use crate::pages::otp as otp_page;
use crate::store::otp::{self, Purpose};
use crate::store::{accounts, Cond, TxOp};
use crate::web::{self, WebError};
use crate::{routes, session, sms, App};
use lambda_http::Request;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub codice: String,
    pub azione: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The account was ceased or its password reset since the password was checked.
    AccountChanged,
    Sms(sms::SendRefused),
}

impl StepRefusal for Refusal {
    fn reply(&self) -> Reply {
        match self {
            Refusal::AccountChanged => Reply::Redirect(super::expired()),
            Refusal::Sms(r) => {
                let mut errors = crate::pages::FieldErrors::default();
                errors.add(otp_page::FIELD, sms::refused_text(*r));
                Reply::Form(429, errors)
            }
        }
    }
}

/// The flow to decide on: the one the cookie carried the first time, the table's after a
/// conflict (another request moved it: a double click, a second tab).
pub async fn current(
    app: &App,
    carried: &Carried<Login>,
    decision: usize,
) -> Result<Option<Carried<Login>>, WebError> {
    if decision == 0 {
        return Ok(Some(carried.clone()));
    }
    let key = record::key_for(KIND, &carried.id);
    Ok(
        record::load_key::<Login>(app.store.as_ref(), key, app.now())
            .await?
            .map(|f| Carried {
                id: carried.id.clone(),
                version: f.version,
                data: f.data,
            }),
    )
}

/// The step: a new code, or a guess.
pub async fn decide(
    app: &App,
    req: &Request,
    flow: Option<Carried<Login>>,
    form: &Form,
) -> Result<Outcome<Refusal>, WebError> {
    let Some(flow) = flow else {
        return Ok(Outcome::redirect(super::expired()));
    };
    if flow.data.state == State::Completed {
        return Ok(Outcome::redirect(flow.data.next.clone()));
    }
    if form.azione == otp_page::RESEND_ACTION {
        return Ok(resend(app, flow));
    }
    let code = match OtpCode::parse(&form.codice) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::error(422, otp_page::FIELD, e)),
    };
    let now = app.now();
    let secret = &app.config.flow_secret;
    let d = &flow.data;
    let consume = match otp::check(
        app.store.as_ref(),
        secret,
        Purpose::Login,
        &d.account_id,
        &code,
        now,
    )
    .await
    {
        Ok(op) => op,
        Err(otp::OtpError::Store(e)) => return Err(e.into()),
        Err(e) => {
            return Ok(Outcome::reply(otp_page::refused_guess(
                &e,
                routes::LOGIN_OTP,
                otp_page::RESEND_LABEL,
            )))
        }
    };
    let mut done = d.clone();
    done.state = State::Completed;
    let mut tx = Tx::new();
    tx.write(consume);
    tx.write(record::update_op(
        KIND,
        &flow.id,
        flow.version,
        &done,
        TTL_SECS,
        now,
    ));
    tx.guard(
        TxOp::Check {
            key: accounts::key(&d.account_id),
            cond: Cond::And(vec![
                Cond::eq("status", "active"),
                Cond::eq("session_epoch", d.epoch),
            ]),
        },
        Refusal::AccountChanged,
    );
    let (ops, session_cookie) = session::start_ops(app, req, &d.account_id, d.epoch);
    for op in ops {
        tx.write(op);
    }
    tracing::info!(step = "login-otp", outcome = "signed-in", account = %crate::crypto::log_id(&d.account_id), viewer = %web::client_ip(req), "signed in");
    Ok(Outcome::redirect(d.next.clone())
        .with_tx(tx)
        .cookie(session_cookie)
        .cookie(web::clear_cookie(super::COOKIE, app.config.cookie_secure)))
}

/// "Invia di nuovo": refused within `RESEND_INTERVAL_SECS` of the last code; otherwise a
/// new code replaces the old one.
fn resend(app: &App, flow: Carried<Login>) -> Outcome<Refusal> {
    let now = app.now();
    if let Some(wait) = otp_page::too_early(flow.data.otp_sent_at, now) {
        return Outcome::error(429, otp_page::FIELD, wait);
    }
    let d = &flow.data;
    let code = OtpCode::generate();
    let mut tx = Tx::new();
    sms::charge(&mut tx, app, Purpose::Login, &d.number, now, Refusal::Sms);
    tx.write(otp::issue_op(
        &app.config.flow_secret,
        Purpose::Login,
        &d.account_id,
        &code,
        now,
        None,
    ));
    let mut next = d.clone();
    next.otp_sent_at = now;
    tx.write(record::update_op(
        KIND,
        &flow.id,
        flow.version,
        &next,
        TTL_SECS,
        now,
    ));
    Outcome::redirect(format!("{}?nuovo=1", routes::LOGIN_OTP))
        .with_tx(tx)
        .send(Effect::Sms {
            to: d.number.clone(),
            text: messages::sms_login_otp(&code),
        })
        .cookie(super::cookie(app, &flow.id, flow.version + 1, &next))
}
