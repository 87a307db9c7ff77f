//! Step 2: the SMS code. AVANTI checks it (the guess is counted first, then the code is used
//! up in the transaction that moves the flow on); INVIA DI NUOVO and RICHIEDI UN NUOVO CODICE
//! send a new one that replaces the old.

use super::{number, saving, Refusal, Registration, Step};
use crate::pages::otp as otp_page;
use crate::record;
use crate::step::Count;
use crate::{sms, App};
use crate::{Carried, Ctx, Effect, Guess, Outcome, Reply, WebError};
use domain::OtpCode;
use maud::Markup;
use notify::messages;
use serde::Deserialize;
use store::accounts::{self, Status};
use store::otp::{self, OtpError, Purpose};
use store::uniqueness::{self, Kind, Owner};
use store::{AccountId, Item, TxOp};
use ui::pages::registration_page;

/// The label the registration's code page gives its resend button.
pub const RESEND_LABEL: &str = "INVIA DI NUOVO";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub codice: String,
    pub azione: String,
}

/// The page of a code that expired, was used or replaced (410).
pub fn expired_page() -> Markup {
    registration_page(
        2,
        "Codice temporaneo scaduto",
        otp_page::expired(Step::Otp.path()),
    )
}

/// AVANTI with the code (counted by the engine before it is compared), or a new code.
pub struct CodeStep {
    pub form: Form,
}

/// What step 2 reads: for a new code, the number's holder (its claim read again); for a
/// guess, the code as counted and, for a right one, whether its noted holder is an active
/// account of an earlier Convenzione.
pub enum Facts {
    Resend {
        holder: Option<Owner>,
    },
    Guess {
        counted: Option<Count>,
        earlier: bool,
    },
}

impl CodeStep {
    fn code_form(&self) -> otp_page::CodeForm {
        otp_page::CodeForm {
            codice: self.form.codice.clone(),
            azione: self.form.azione.clone(),
        }
    }
}

impl crate::Step for CodeStep {
    type Flow = Carried<Registration>;
    type Refusal = Refusal;
    type Facts = Facts;

    fn page(&self) -> Option<Step> {
        Some(Step::Otp)
    }

    fn pre_commit(&self, _: &App, flow: &Carried<Registration>) -> Option<Guess> {
        let form = self.code_form();
        if form.wants_new_code() {
            return None;
        }
        otp_page::to_count(&form, Purpose::Registration, &flow.data.rid)
    }

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        flow: &Carried<Registration>,
        counted: Option<Count>,
        _: crate::Attempt,
    ) -> Result<Result<Facts, Outcome<Refusal>>, WebError> {
        let (store, now) = (app.store.as_ref(), app.now());
        if self.code_form().wants_new_code() {
            if otp_page::too_early(flow.data.code_sent_at, now).is_some() {
                return Ok(Ok(Facts::Resend { holder: None }));
            }
            let claim = uniqueness::key(Kind::Number, flow.data.number.e164());
            let holder = uniqueness::holder_in(store.batch_get(&[claim]).await?[0].as_ref(), now);
            return Ok(Ok(Facts::Resend { holder }));
        }
        let right = match (&counted, OtpCode::parse(&self.form.codice)) {
            (Some(Ok(c)), Ok(code)) => c.compare(&code, now).is_ok().then_some(&c.item),
            _ => None,
        };
        let earlier = match right.and_then(holder) {
            Some(id) => accounts::get(store, &id).await?.is_some_and(|a| {
                a.status == Status::Active && a.origin.starts_with("convenzione-")
            }),
            None => false,
        };
        Ok(Ok(Facts::Guess { counted, earlier }))
    }

    fn decide(
        &self,
        app: &App,
        _: &Ctx,
        flow: Carried<Registration>,
        facts: Facts,
        _: crate::Attempt,
    ) -> Outcome<Refusal> {
        decide(app, &self.form, flow, facts)
    }
}

/// The step: a new code, or the guess as counted.
pub fn decide(
    app: &App,
    form: &Form,
    flow: Carried<Registration>,
    facts: Facts,
) -> Outcome<Refusal> {
    let now = app.now();
    match facts {
        Facts::Resend { holder } => {
            if let Some(wait) = otp_page::too_early(flow.data.code_sent_at, now) {
                return Outcome::error(429, otp_page::FIELD, wait);
            }
            resend(app, flow, holder.as_ref(), &OtpCode::generate())
        }
        Facts::Guess { counted, earlier } => {
            let code = match OtpCode::parse(&form.codice) {
                Ok(c) => c,
                Err(e) => return Outcome::error(422, otp_page::FIELD, e),
            };
            let compared = match counted {
                Some(Ok(c)) => c.compare(&code, now),
                Some(Err(e)) => Err(e),
                None => Err(OtpError::Missing),
            };
            match compared {
                Ok(consume) => verified(app, flow, consume, earlier),
                Err(e) => Outcome::reply(refused_guess(&e)),
            }
        }
    }
}

/// The account noted beside the code as the number's holder at step 1.
fn holder(item: &Item) -> Option<AccountId> {
    otp::holder_noted(item).and_then(Owner::into_account)
}

fn refused_guess(e: &OtpError) -> Reply {
    match otp_page::guess_error(e, RESEND_LABEL) {
        Some(text) => Outcome::<Refusal>::error(422, otp_page::FIELD, text).reply,
        None => Reply::Page(410, expired_page()),
    }
}

/// The right code: used up, and the flow moves on (`earlier`: the SIM belongs to an
/// account of an earlier Convenzione, which step 3 tells the user).
pub fn verified(
    app: &App,
    flow: Carried<Registration>,
    consume: TxOp,
    earlier: bool,
) -> Outcome<Refusal> {
    super::transit(app, &flow, |r| r.otp_verified(earlier), vec![consume])
}

/// INVIA DI NUOVO: the SMS caps charged, a new code replacing the old; if the SMS cannot
/// leave, the code is withdrawn and the flow left as it was (so the retry is not "too early").
pub fn resend(
    app: &App,
    flow: Carried<Registration>,
    holder: Option<&Owner>,
    code: &OtpCode,
) -> Outcome<Refusal> {
    let now = app.now();
    let next = match super::next(&flow, |r| r.code_resent(now)) {
        Ok(next) => next,
        Err(answer) => return *answer,
    };
    let d = &flow.data;
    let mut tx = saving(app, &flow, &next);
    sms::charge(&mut tx, app, Purpose::Registration, &d.number, now, |r| {
        Refusal::Sms(otp_page::FIELD, r)
    });
    tx.write(number::code_op(app, &d.rid, code, holder));
    let keys = app.keys();
    let secret = keys.current();
    let undo = record::update_op(
        super::KIND,
        &flow.id,
        flow.version + 1,
        d,
        super::TTL_SECS,
        now,
    );
    let mut outcome = super::advance(app, &flow, &next, tx)
        .send(Effect::Sms {
            to: d.number.clone(),
            text: messages::sms_registration_otp(code),
            expires_at: Some(otp::expiry(now)),
        })
        .unless_sent(otp::withdraw_op(
            secret,
            Purpose::Registration,
            &d.rid,
            code,
        ))
        .unless_sent(undo);
    outcome.reply = Reply::Redirect(format!("{}?nuovo=1", Step::Otp.path()));
    outcome
}
