//! "Elimina il tuo account": the password, then an SMS code to the account's SIM, then in
//! one transaction the account is ceased (its profile kept `FORGET_SECS` for the help desk,
//! then removed by TTL), every claim released (username, email, number, person: a new
//! registration with the same data works at once), every session ended (the epoch
//! bumped, this browser's session deleted) and the code used up; a confirmation email
//! follows. The consents' audit (`consent_log`) is kept, as the page says.
//!
//! ```text
//! (page) --password ok, SMS sent--> AwaitingCode --right code--> (account ceased)
//!                                      |  ^
//!                                      +--+ Invia di nuovo
//! ```

use super::{reauth, Refusal};
use crate::domain::{MobileNumber, OtpCode};
use crate::engine::{self, Carried, Effect, Flow, Outcome, Tx};
use crate::flows::record;
use crate::notify::{account_messages, messages};
use crate::pages::otp as otp_page;
use crate::session::{self, SignedIn};
use crate::store::accounts::Account;
use crate::store::otp::{self, Purpose};
use crate::store::uniqueness::{self, Kind};
use crate::store::{accounts, consent_log, schema, sessions, Cond, TxOp, Update};
use crate::web::WebError;
use crate::{clock, crypto, routes, sms, App};
use serde::{Deserialize, Serialize};

pub const KIND: &str = "DELETE";
pub const COOKIE: &str = "delete_flow";
pub const TTL_SECS: i64 = 15 * 60;
/// How long a deleted account's profile stays (status "ceased") before its TTL removes it.
pub const FORGET_SECS: i64 = 30 * 24 * 3600;

/// What the page says is kept, and for how long (also in the confirmation email).
pub const KEPT_TEXT: &str = "Conserviamo soltanto quanto la normativa ci chiede: la registrazione dei consensi che hai \
    espresso (versione dei documenti e data) per 10 anni. I dati del profilo restano non accessibili per 30 giorni, \
    per rispondere a eventuali contestazioni tramite il Numero Verde 800.680.068, e poi vengono cancellati.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    pub account_id: String,
    pub number: MobileNumber,
    pub epoch: i64,
    pub otp_sent_at: i64,
}

impl Flow for Deletion {
    const KIND: &'static str = KIND;
    const COOKIE: &'static str = COOKIE;
    const TTL_SECS: i64 = TTL_SECS;
    fn gone() -> String {
        format!("{}?scaduta=1", routes::ACCOUNT_DELETE)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub password_attuale: String,
}

/// CONTINUA with the password: a code to the account's SIM and a deletion flow.
pub fn start_outcome(
    app: &App,
    s: &SignedIn,
    checked: &reauth::Checked,
    flow_id: &str,
) -> Outcome<Refusal> {
    let (a, now) = (&s.account, app.now());
    let mut tx = Tx::new();
    if let Some(refused) = reauth::count(&mut tx, checked, now) {
        return refused;
    }
    let (sms, withdraw) = new_code(&mut tx, app, a, now);
    let data = Deletion {
        account_id: a.id.clone(),
        number: a.number.clone(),
        epoch: a.session_epoch,
        otp_sent_at: now,
    };
    tx.write(record::create_op(KIND, flow_id, &data, TTL_SECS, now));
    Outcome::redirect(routes::ACCOUNT_DELETE_CODE)
        .with_tx(tx)
        .send(sms)
        .unless_sent(withdraw)
        .cookie(engine::flow_cookie(app, flow_id, 1, &data))
}

/// A new code for the account's SIM in `tx` (its SMS caps charged): the SMS to send and
/// the write that withdraws the code if the SMS cannot leave.
fn new_code(tx: &mut Tx<Refusal>, app: &App, a: &Account, now: i64) -> (Effect, TxOp) {
    let code = OtpCode::generate();
    sms::charge(tx, app, Purpose::Deletion, &a.number, now, Refusal::Sms);
    let secret = &app.config.flow_secret;
    tx.write(otp::issue_op(
        secret,
        Purpose::Deletion,
        &a.id,
        &code,
        now,
        None,
    ));
    let sms = Effect::Sms {
        to: a.number.clone(),
        text: messages::sms_deletion_otp(&code),
    };
    (
        sms,
        otp::withdraw_op(secret, Purpose::Deletion, &a.id, &code),
    )
}

/// The password step (one read of the lock counter, the hash verified).
pub async fn start(app: &App, s: &SignedIn, form: &Form) -> Result<Outcome<Refusal>, WebError> {
    if form.password_attuale.is_empty() {
        return Ok(Outcome::error(422, reauth::FIELD, reauth::MISSING));
    }
    let checked = reauth::verify(app, s, &form.password_attuale).await?;
    Ok(start_outcome(app, s, &checked, &crypto::random_token()))
}

/// The code step: a new code, or the guess that deletes the account.
pub async fn decide(
    app: &App,
    s: &SignedIn,
    flow: Carried<Deletion>,
    form: &otp_page::CodeForm,
) -> Result<Outcome<Refusal>, WebError> {
    let a = &s.account;
    if flow.data.account_id != a.id {
        return Ok(Outcome::redirect(Deletion::gone()));
    }
    let now = app.now();
    if form.wants_new_code() {
        if let Some(wait) = otp_page::too_early(flow.data.otp_sent_at, now) {
            return Ok(Outcome::error(429, otp_page::FIELD, wait));
        }
        let mut tx = Tx::new();
        let (sms, withdraw) = new_code(&mut tx, app, a, now);
        let mut next = flow.data.clone();
        next.otp_sent_at = now;
        tx.write(flow.save_op(KIND, &next, TTL_SECS, now));
        return Ok(
            Outcome::redirect(format!("{}?nuovo=1", routes::ACCOUNT_DELETE_CODE))
                .with_tx(tx)
                .send(sms)
                .unless_sent(withdraw)
                .cookie(engine::flow_cookie(app, &flow.id, flow.version + 1, &next)),
        );
    }
    let consume = match otp_page::guess(
        app,
        form,
        Purpose::Deletion,
        &a.id,
        routes::ACCOUNT_DELETE_CODE,
    )
    .await?
    {
        Ok(consume) => consume,
        Err(answer) => return Ok(answer),
    };
    let mut tx = Tx::new();
    tx.write(consume);
    tx.write(TxOp::Delete {
        key: record::key_for(KIND, &flow.id),
        cond: None,
    });
    tx.guard(
        TxOp::Update {
            key: accounts::key(&a.id),
            update: Update::new()
                .set("status", "ceased")
                .set("deleted_at", now)
                .set(schema::TTL_ATTRIBUTE, now + FORGET_SECS)
                .remove("password_hash")
                .add("session_epoch", 1),
            cond: Some(Cond::And(vec![
                Cond::eq("status", "active"),
                Cond::eq("session_epoch", flow.data.epoch),
            ])),
        },
        Refusal::Changed(otp_page::FIELD),
    );
    let holder = uniqueness::account_owner(&a.id);
    let person = uniqueness::person_value(&a.entity_cf, &a.personal_cf);
    for (kind, value) in [
        (Kind::Username, a.username.as_str()),
        (Kind::Email, a.email.as_str()),
        (Kind::Number, a.number.e164()),
        (Kind::Person, person.as_str()),
    ] {
        tx.write(uniqueness::release_op(kind, value, &holder));
    }
    for op in sessions::end_ops(&a.id, s.session.hash()) {
        tx.write(op);
    }
    tx.write(consent_log::record_op(
        &a.id,
        consent_log::Action::AccountDeleted,
        &a.terms_version,
        &a.privacy_version,
        now,
    ));
    tracing::info!(step = "area-delete", account = %crypto::log_id(&a.id), "account deleted by its owner");
    let mail =
        account_messages::email_account_deleted(&a.email, &clock::rome_datetime(now), KEPT_TEXT);
    Ok(Outcome::redirect(format!("{}?eliminato=1", routes::LOGIN))
        .with_tx(tx)
        .send(Effect::Email(mail))
        .cookie(session::clear_cookie(app))
        .cookie(crate::web::clear_cookie(COOKIE, app.config.cookie_secure)))
}
