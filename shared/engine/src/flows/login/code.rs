//! Login, second step: the SMS code. ACCEDI with the right code opens the private area
//! with a new session (in the same transaction that uses the code up and completes the
//! flow, on condition that the account is still active with the same `session_epoch`);
//! "Invia di nuovo" sends a code that replaces the previous one.

use super::refusal::{Page, Refusal};
use super::{Login, State};
use crate::pages::otp as otp_page;
use crate::step::Count;
use crate::{sms, App};
use crate::{Attempt, Carried, Ctx, Effect, Guess, Outcome, Tx, WebError};
use domain::routes;
use domain::OtpCode;
use notify::messages;
use store::accounts;
use store::otp::{self, Purpose};

pub use otp_page::CodeForm as Form;

/// The step: a new code, or a guess (counted by the engine before it is compared).
pub struct Step {
    pub form: Form,
}

impl crate::Step for Step {
    type Flow = Carried<Login>;
    type Refusal = Refusal;
    type Facts = Option<Count>;

    fn pre_commit(&self, _: &App, flow: &Carried<Login>) -> Option<Guess> {
        if flow.data.state == State::Completed || self.form.wants_new_code() {
            return None;
        }
        otp_page::to_count(&self.form, Purpose::Login, &flow.data.account_id)
    }

    async fn load(
        &self,
        _: &App,
        _: &Ctx,
        _: &Carried<Login>,
        counted: Option<Count>,
        _: Attempt,
    ) -> Result<Result<Option<Count>, Outcome<Refusal>>, WebError> {
        Ok(Ok(counted))
    }

    fn decide(
        &self,
        app: &App,
        ctx: &Ctx,
        flow: Carried<Login>,
        counted: Option<Count>,
        _: Attempt,
    ) -> Outcome<Refusal> {
        decide(app, ctx, flow, &self.form, counted)
    }
}

/// The decision: a new code, or the guess as counted.
pub fn decide(
    app: &App,
    ctx: &Ctx,
    flow: Carried<Login>,
    form: &Form,
    counted: Option<Count>,
) -> Outcome<Refusal> {
    if flow.data.state == State::Completed {
        return Outcome::redirect(flow.data.next.clone());
    }
    if form.wants_new_code() {
        return resend(app, flow);
    }
    let d = &flow.data;
    let consume = match otp_page::guess(form, counted, app.now(), routes::LOGIN_OTP) {
        Ok(consume) => consume,
        Err(answer) => return *answer,
    };
    let now = app.now();
    let mut done = d.clone();
    done.state = State::Completed;
    let mut tx = Tx::new();
    tx.write(consume);
    tx.write(flow.next_op(&done, now));
    // The last login's time, on condition that the account is still active with the
    // epoch the password was checked at (a reset or a ceased account voids this login).
    tx.guard(
        accounts::record_login_op(&d.account_id, d.epoch, now),
        Refusal::AccountChanged,
    );
    let proof = super::sign_in::Proof {
        account_id: &d.account_id,
        epoch: d.epoch,
        method: super::sign_in::Method::SmsCode,
        next: d.next.clone(),
        new_device_email: d.notify_new_device.as_deref(),
    };
    super::sign_in::sign_in(app, ctx, tx, proof)
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
    sms::charge(&mut tx, app, Purpose::Login, &d.number, now, |r| {
        Refusal::Sms(Page::Code, r)
    });
    tx.write(otp::issue_op(
        app.keys().current(),
        Purpose::Login,
        &d.account_id,
        &code,
        now,
        None,
    ));
    let mut next = d.clone();
    next.otp_sent_at = now;
    tx.write(flow.next_op(&next, now));
    Outcome::redirect(format!("{}?nuovo=1", routes::LOGIN_OTP))
        .with_tx(tx)
        .send(Effect::Sms {
            to: d.number.clone(),
            text: messages::sms_login_otp(&code),
            expires_at: Some(otp::expiry(now)),
        })
        .cookie(super::cookie(app, &flow.id, flow.version + 1, &next))
}
