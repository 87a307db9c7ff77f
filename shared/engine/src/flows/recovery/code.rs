//! The recovery code page's decision: in mode 3 the code proves the SIM before the email
//! with the username and the reset link; after a reset link it proves the SIM before the
//! new password. "Invia di nuovo" replaces the code. A flow for data that matched no
//! account behaves the same: its code exists but was never sent, so every guess is wrong.

use super::refusal::{Page, Refusal};
use super::{charge_request, charge_sms, request_allowed, request_keys};
use super::{Mode, Recovery, State, Step};
use crate::pages::otp as otp_page;
use crate::step::Count;
use crate::App;
use crate::{Attempt, Carried, Ctx, Effect, Guess, Outcome, Refusal as _, Reply, Tx, WebError};
use domain::routes;
use domain::OtpCode;
use notify::messages;
use store::accounts::{self, Status};
use store::otp::{self, OtpError, Purpose};
use store::{AccountId, Item};

pub use otp_page::CodeForm as Form;

/// Where mode 3 ends: the same page as modes 1 and 2.
pub fn sent() -> String {
    format!("{}?inviato={}", routes::RECOVER, Mode::Both.slug())
}

/// Where a flow in `state` belongs instead of the code page, if elsewhere.
pub fn elsewhere(state: State) -> Option<String> {
    match state {
        State::LinkSent => Some(sent()),
        s if !s.allows(Step::Code) => Some(s.path().to_owned()),
        _ => None,
    }
}

/// The code page's POST: the code (counted by the engine before it is compared), or
/// "Invia di nuovo".
pub struct CodeStep {
    pub form: Form,
}

/// What the code page's step reads: for "Invia di nuovo", the current code's item (it names
/// the account the data matched, and the epoch they were asked at); for a guess, the code as
/// counted and, for a right guess in mode 3, the account with the request's guards.
pub enum Facts {
    Resend {
        current: Option<Item>,
    },
    Guess {
        counted: Option<Count>,
        items: Vec<Option<Item>>,
    },
}

impl crate::Step for CodeStep {
    type Flow = Carried<Recovery>;
    type Refusal = Refusal;
    type Facts = Facts;

    fn pre_commit(&self, _: &App, flow: &Carried<Recovery>) -> Option<Guess> {
        if elsewhere(flow.data.state).is_some() || self.form.wants_new_code() {
            return None;
        }
        otp_page::to_count(&self.form, Purpose::Recovery, &flow.data.rid)
    }

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        flow: &Carried<Recovery>,
        counted: Option<Count>,
        _: Attempt,
    ) -> Result<Result<Facts, Outcome<Refusal>>, WebError> {
        let (d, now) = (&flow.data, app.now());
        if elsewhere(d.state).is_some() {
            return Ok(Ok(Facts::Guess {
                counted,
                items: Vec::new(),
            }));
        }
        if self.form.wants_new_code() {
            if otp_page::too_early(d.otp_sent_at, now).is_some() {
                return Ok(Ok(Facts::Resend { current: None }));
            }
            let current = app
                .store
                .get(&otp::code_key(Purpose::Recovery, &d.rid))
                .await?;
            return Ok(Ok(Facts::Resend { current }));
        }
        let right = match (&counted, OtpCode::parse(&self.form.codice)) {
            (Some(Ok(c)), Ok(code)) => c.compare(&code, now).is_ok().then_some(&c.item),
            _ => None,
        };
        let named = right.and_then(otp::account_named);
        let mut items = Vec::new();
        if let (Some(account_id), false) = (named, d.state == State::ResetCodeSent) {
            let mut keys = vec![accounts::key(&account_id)];
            keys.extend(request_keys(d.caps_subject(), Mode::Both, now));
            items = app.store.batch_get(&keys).await?;
        }
        Ok(Ok(Facts::Guess { counted, items }))
    }

    fn decide(
        &self,
        app: &App,
        ctx: &Ctx,
        flow: Carried<Recovery>,
        facts: Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        decide(app, flow, &self.form, &ctx.viewer.ip, facts)
    }
}

/// The code, or "Invia di nuovo", on the code page; `client` is the asking connection (its
/// share of the number's recovery SMS).
pub fn decide(
    app: &App,
    flow: Carried<Recovery>,
    form: &Form,
    client: &str,
    facts: Facts,
) -> Outcome<Refusal> {
    if let Some(to) = elsewhere(flow.data.state) {
        return Outcome::redirect(to);
    }
    let (counted, items) = match facts {
        Facts::Resend { current } => return resend(app, flow, client, current),
        Facts::Guess { counted, items } => (counted, items),
    };
    let code = match OtpCode::parse(&form.codice) {
        Ok(c) => c,
        Err(e) => return Outcome::error(422, otp_page::FIELD, e),
    };
    let now = app.now();
    let d = &flow.data;
    let compared = match counted {
        Some(Ok(c)) => c.compare(&code, now).map(|consume| (consume, c.item)),
        Some(Err(e)) => Err(e),
        None => Err(OtpError::Missing),
    };
    let (consume, named, epoch) = match compared {
        Ok((consume, item)) => {
            let named = otp::account_named(&item);
            (consume, named, otp::epoch_noted(&item))
        }
        Err(e) => return Outcome::reply(refused(&e)),
    };
    let Ok(next) = d.code_verified(named.is_some()) else {
        // Only an impossible guess for data without an account ends here: same as wrong.
        return Outcome::reply(refused(&OtpError::Wrong { remaining: 1 }));
    };
    let mut tx = Tx::new();
    tx.write(consume);
    let cookie = super::cookie(app, &flow.id, flow.version + 1, &next);
    if d.state == State::ResetCodeSent {
        tx.write(flow.next_op(&next, now));
        return Outcome::redirect(Step::NewPassword.path())
            .with_tx(tx)
            .cookie(cookie);
    }
    // Mode 3 proved: the username and a reset link, under the request's guards.
    let account_id = named.unwrap_or_else(AccountId::nobody);
    let account = items
        .first()
        .and_then(Option::as_ref)
        .and_then(|i| accounts::from_item(&account_id, i))
        .filter(|a| a.status == Status::Active);
    if let (Some(a), Some(e)) = (&account, epoch) {
        if a.session_epoch != e {
            // The account's proof changed since the request: the code is used up, the
            // request is void.
            tracing::info!(step = "recover-otp", "request voided by a newer epoch");
            return Outcome::reply(Refusal::Voided(Page::Code).reply())
                .with_tx(tx)
                .cookie(super::clear_cookie(app));
        }
    }
    tx.write(flow.next_op(&next, now));
    let mut outcome = Outcome::redirect(sent()).cookie(cookie);
    if let (Some(account), true) = (
        account,
        request_allowed(items.get(1..).unwrap_or_default(), now),
    ) {
        charge_request(
            &mut tx,
            d.caps_subject(),
            Mode::Both,
            now,
            Refusal::Concurrent(Page::Code),
        );
        let (op, link) = super::reset_link_op(app, &account, now);
        tx.write(op);
        tracing::info!(
            step = "recover-otp",
            mode = "both",
            "username and reset link sent"
        );
        outcome = outcome.send(super::reset_email(&account, &link, true, now));
    }
    outcome.with_tx(tx)
}

fn refused(e: &OtpError) -> Reply {
    otp_page::refused_guess(e, routes::RECOVER_OTP, otp_page::RESEND_LABEL)
}

/// "Invia di nuovo": a new code for the same subject, sent only if the data matched an
/// account (which the current code item knows, with the epoch it was asked at), charged
/// alike either way.
fn resend(
    app: &App,
    flow: Carried<Recovery>,
    client: &str,
    current: Option<Item>,
) -> Outcome<Refusal> {
    let now = app.now();
    let d = &flow.data;
    if let Some(wait) = otp_page::too_early(d.otp_sent_at, now) {
        return Outcome::error(429, otp_page::FIELD, wait);
    }
    let account = match &d.reset {
        Some(r) => Some(r.account_id.clone()),
        None => current.as_ref().and_then(otp::account_named),
    };
    let epoch = current.as_ref().and_then(otp::epoch_noted);
    let code = OtpCode::generate();
    let keys = app.keys();
    let secret = keys.current();
    let mut tx = Tx::new();
    charge_sms(&mut tx, app, &d.number, client, now, |r| {
        Refusal::Sms(Page::Code, r)
    });
    let named = if d.reset.is_some() {
        None
    } else {
        account.as_ref().map(|a| (a, epoch))
    };
    tx.write(otp::issue_naming_op(
        secret,
        Purpose::Recovery,
        &d.rid,
        &code,
        now,
        None,
        named,
    ));
    let next = d.code_resent(now);
    tx.write(flow.next_op(&next, now));
    let message = match account {
        Some(_) => Effect::Sms {
            to: d.number.clone(),
            text: messages::sms_recovery_otp(&code),
            expires_at: Some(otp::expiry(now)),
        },
        None => Effect::Nothing,
    };
    Outcome::redirect(format!("{}?nuovo=1", routes::RECOVER_OTP))
        .with_tx(tx)
        .send(message)
        .cookie(super::cookie(app, &flow.id, flow.version + 1, &next))
}
