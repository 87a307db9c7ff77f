//! Step 1: the company mobile number and the slider check ("barra di controllo"). A valid
//! submission starts a registration and sends its SMS code.
//!
//! One read, one transaction, whatever the number: the loader reads the line, the number's
//! claim and the number's SMS counters together, and the transaction burns the slider's
//! challenge, charges the client's cap and, for an active line whose caps have room, the
//! SMS caps, the code and the new flow. A number that already has an account costs the
//! same calls as one that has none (its claim's holder is only noted beside the code, for
//! step 2 to read once the SIM is proved).

use super::{Line, Refusal, Registration, Step, KIND, TTL_SECS};
use crate::flows::challenge::{self, Passed};
use crate::record;
use crate::sms::{self, SendRefused};
use crate::App;
use crate::WebError;
use crate::{Effect, Outcome, Refusal as _, Reply, Tx};
use domain::{MobileNumber, OtpCode};
use notify::messages;
use serde::Deserialize;
use store::limits;
use store::otp::{self, Purpose};
use store::uniqueness::{self, Kind, Owner};
use store::{lines, rate, TxOp};
use ui::pages::FieldErrors;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub numero: String,
    pub challenge: String,
    pub conferma: String,
    pub pow: String,
}

/// What the step reads about a valid number.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub line: Option<lines::Line>,
    /// The holder of the number's claim (`account:<id>`), if any.
    pub holder: Option<Owner>,
    /// The SMS cap that has no room left for this number, if one.
    pub sms_full: Option<SendRefused>,
}

/// The random values a new registration gets (chosen by the caller: tests fix them).
pub struct Fresh {
    pub flow_id: String,
    pub rid: String,
    pub code: OtpCode,
}

/// The checks that need no table: the number and the slider. `Err` is the answer (the
/// form again with its errors; the challenge burnt all the same when it passed).
pub fn check(app: &App, form: &Form) -> Result<(MobileNumber, Passed), Box<Outcome<Refusal>>> {
    let mut errors = FieldErrors::default();
    let number = MobileNumber::parse(&form.numero)
        .map_err(|e| errors.add("numero", e))
        .ok();
    let keys = app.keys();
    let passed = challenge::check(&keys, &form.challenge, &form.conferma, &form.pow, app.now())
        .map_err(|e| errors.add("conferma", challenge::message(e)))
        .ok();
    match (number, passed) {
        (Some(number), Some(passed)) => Ok((number, passed)),
        (_, passed) => {
            let numero = errors.get("numero").map(str::to_owned);
            let mut tx = Tx::new();
            if let Some(p) = &passed {
                tx.guard(challenge::burn_op(p), Refusal::ChallengeUsed(numero));
            }
            Err(Box::new(
                Outcome::reply(Reply::Form(422, errors)).with_tx(tx),
            ))
        }
    }
}

/// One read: the line, the number's claim, its registration SMS counter and the budget.
pub async fn load(app: &App, number: &MobileNumber) -> Result<Facts, WebError> {
    let now = app.now();
    let per_number = limits::sms_per_number(Purpose::Registration);
    let budget = sms::global_limit(app, Purpose::Registration);
    let items = app
        .store
        .batch_get(&[
            lines::key(number),
            uniqueness::key(Kind::Number, number.e164()),
            rate::window_key(per_number, number.e164(), now),
            rate::window_key(budget, "all", now),
        ])
        .await?;
    let sms_full = if rate::is_full(items[2].as_ref(), per_number, now) {
        Some(SendRefused::NumberCap)
    } else if rate::is_full(items[3].as_ref(), budget, now) {
        Some(SendRefused::GlobalBudget)
    } else {
        None
    };
    Ok(Facts {
        line: lines::from_item(number, items[0].as_ref()),
        holder: uniqueness::holder_in(items[1].as_ref(), now),
        sms_full,
    })
}

/// The write storing a registration code, with the number's claim holder noted beside it.
pub(super) fn code_op(app: &App, rid: &str, code: &OtpCode, holder: Option<&Owner>) -> TxOp {
    let keys = app.keys();
    let secret = keys.current();
    match otp::issue_op(secret, Purpose::Registration, rid, code, app.now(), None) {
        TxOp::Put { key, item, cond } => TxOp::Put {
            key,
            item: otp::with_holder(item, holder),
            cond,
        },
        op => op,
    }
}

/// The decision for a number and a slider that passed `check`, from `client`.
pub fn decide(
    app: &App,
    number: MobileNumber,
    passed: &Passed,
    facts: Facts,
    client: &str,
    fresh: Fresh,
) -> Outcome<Refusal> {
    let now = app.now();
    let mut tx = Tx::new();
    tx.guard(challenge::burn_op(passed), Refusal::ChallengeUsed(None));
    let per_ip = if passed.with_pow {
        limits::REGISTER_PER_IP
    } else {
        limits::REGISTER_PER_IP_NO_POW
    };
    tx.charge(per_ip, client, now, Refusal::ClientCap);
    // Only active SIMs of the Convenzione; the message says nothing about the number elsewhere.
    let Some(line) = facts.line.filter(|l| l.active) else {
        return Outcome::error(422, "numero", super::refusal::NOT_A_LINE).with_tx(tx);
    };
    if let Some(full) = facts.sms_full {
        return Outcome::reply(Refusal::Sms("numero", full).reply()).with_tx(tx);
    }
    sms::charge(&mut tx, app, Purpose::Registration, &number, now, |r| {
        Refusal::Sms("numero", r)
    });
    let line = Line {
        entity_cf: line.entity_cf,
        ragione_sociale: line.ragione_sociale,
    };
    let data = Registration::start(fresh.rid, number, line, now);
    tx.write(code_op(app, &data.rid, &fresh.code, facts.holder.as_ref()));
    tx.write(record::create_op(
        KIND,
        &fresh.flow_id,
        &data,
        TTL_SECS,
        now,
    ));
    let keys = app.keys();
    let secret = keys.current();
    let withdraw = otp::withdraw_op(secret, Purpose::Registration, &data.rid, &fresh.code);
    tracing::info!(step = "register-number", "registration started, code sent");
    Outcome::redirect(Step::Otp.path())
        .with_tx(tx)
        .metric(metrics::Metric::RegistrationStarted)
        .send(Effect::Sms {
            to: data.number.clone(),
            text: messages::sms_registration_otp(&fresh.code),
            expires_at: Some(otp::expiry(now)),
        })
        .unless_sent(withdraw)
        .cookie(super::cookie(app, &fresh.flow_id, 1, &data))
}
