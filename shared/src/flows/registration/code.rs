//! Step 2: the SMS code. AVANTI checks it (the guess is counted first, then the code is used
//! up in the transaction that moves the flow on); INVIA DI NUOVO and RICHIEDI UN NUOVO CODICE
//! send a new one that replaces the old.

use super::{number, saving, Refusal, Registration, Step};
use crate::domain::OtpCode;
use crate::engine::{Carried, Effect, Outcome, Reply};
use crate::notify::messages;
use crate::pages::{otp as otp_page, registration_page};
use crate::store::accounts::{self, Status};
use crate::store::otp::{self, OtpError, Purpose};
use crate::store::uniqueness::{self, Kind};
use crate::store::{Item, TxOp};
use crate::web::WebError;
use crate::{flows::record, sms, App};
use maud::Markup;
use serde::Deserialize;

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

/// The step: a new code, or a guess.
pub async fn decide(
    app: &App,
    form: &Form,
    flow: Carried<Registration>,
) -> Result<Outcome<Refusal>, WebError> {
    let store = app.store.as_ref();
    let now = app.now();
    if form.azione == otp_page::RESEND_ACTION {
        if let Some(wait) = otp_page::too_early(flow.data.code_sent_at, now) {
            return Ok(Outcome::error(429, otp_page::FIELD, wait));
        }
        // The new code keeps the note of the number's holder (its claim read again).
        let claim = uniqueness::key(Kind::Number, flow.data.number.e164());
        let holder = uniqueness::holder_in(store.batch_get(&[claim]).await?[0].as_ref(), now);
        return Ok(resend(app, flow, holder.as_deref(), &OtpCode::generate()));
    }
    let code = match OtpCode::parse(&form.codice) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::error(422, otp_page::FIELD, e)),
    };
    let rid = &flow.data.rid;
    let (consume, item) =
        match otp::check_item(store, &app.secret, Purpose::Registration, rid, &code, now).await {
            Ok(checked) => checked,
            Err(OtpError::Store(e)) => return Err(e.into()),
            Err(e) => return Ok(Outcome::reply(refused_guess(&e))),
        };
    let earlier = match holder(&item) {
        Some(id) => accounts::get(store, id)
            .await?
            .is_some_and(|a| a.status == Status::Active && a.origin.starts_with("convenzione-")),
        None => false,
    };
    Ok(verified(app, flow, consume, earlier))
}

/// The account noted beside the code as the number's holder at step 1.
fn holder(item: &Item) -> Option<&str> {
    item.s("holder").and_then(accounts::id_from_owner)
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
    holder: Option<&str>,
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
