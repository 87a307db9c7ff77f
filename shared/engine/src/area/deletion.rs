//! "Elimina il tuo account": the password, then an SMS code to the account's SIM, then in
//! one transaction the account is ceased (its profile kept `FORGET_SECS` for the help desk,
//! then removed by TTL), every claim released (username, email, number, person: a new
//! registration with the same data works at once), every session ended (the epoch
//! bumped, this browser's session deleted) and the code used up; a confirmation email
//! follows.
//!
//! What stays is exactly `KEPT` (the page, the email, the data export and SECURITY.md say
//! it): the consents' audit, the ceased profile for 30 days, the help desk's records of the
//! account (`store::audit`, with their TTL) and short-lived technical items. Everything
//! else of the account is erased with it: its access history (`ACCESS#`), its known
//! browsers (`DEVICES#`), its passkeys (`PASSKEY#`, `PASSKEYCRED#`) and its session list
//! (`SESSIONS#`, and the sessions it names) are
//! read once the code is right and deleted in the same transaction; what does not fit in
//! it (a transaction holds 100 items) is deleted right after, in transactions that
//! first check the account is ceased (`erase_later`: never before the deletion commits).
//!
//! The flow carries the account's `session_epoch` when it started: after a password
//! change or "Esci da tutti gli altri dispositivi" (which move the epoch on) the deletion
//! in progress is void, and its pages say so.
//!
//! ```text
//! (page) --password ok, SMS sent--> AwaitingCode --right code--> (account ceased)
//!                                      |  ^
//!                                      +--+ Invia di nuovo
//! ```

use super::{reauth, Refusal};
use crate::pages::otp as otp_page;
use crate::record;
use crate::session::{self, SignedIn};
use crate::step::Count;
use crate::WebError;
use crate::{sms, App};
use crate::{Carried, Effect, Flow, Guess, Outcome, Tx};
use domain::{clock, crypto, routes};
use domain::{MobileNumber, OtpCode};
use notify::{account_messages, messages};
use serde::{Deserialize, Serialize};
use store::accounts::Account;
use store::otp::{self, Purpose};
use store::uniqueness::{self, Kind};
use store::{
    access_log, accounts, consent_log, devices, sessions, AccountId, Key, StoreError, TxOp,
};

pub const KIND: &str = store::flows::FlowKind::Deletion.tag();
pub const COOKIE: &str = "delete_flow";
pub const TTL_SECS: i64 = 15 * 60;
/// How long a deleted account's profile stays (status "ceased") before its TTL removes it.
pub const FORGET_SECS: i64 = 30 * 24 * 3600;

// What stays after a deletion is said by the confirmation email too, so it lives with the
// messages (`notify::retention`).
pub use notify::retention::{kept_sentences, Kept, ERASED_TEXT, KEPT};

/// Where a void deletion (the account's sessions were ended since it started) leads.
pub fn voided_path() -> String {
    format!("{}?annullata=1", routes::ACCOUNT_DELETE)
}

/// The deletion page's notice after `voided_path`.
pub const VOIDED_TEXT: &str = "La richiesta di eliminazione è stata annullata: dopo che l'avevi avviata sono state \
    chiuse le sessioni sugli altri dispositivi oppure è stata cambiata la password, e il codice inviato non è più \
    valido. L'account non è stato eliminato. Se vuoi ancora eliminarlo, inserisci di nuovo la password.";

/// True when `flow` was started at another epoch than the signed-in session's (the epoch
/// moved on since: the deletion in progress is void).
pub fn is_void(flow: &Deletion, s: &SignedIn) -> bool {
    flow.account_id != s.account.id || flow.epoch != s.account.session_epoch
}

/// The answer to a step of a void deletion: its page, the flow's cookie cleared.
fn void_outcome(app: &App) -> Outcome<Refusal> {
    Outcome::redirect(voided_path()).cookie(crate::cookies::clear_cookie(
        COOKIE,
        app.config.cookie_secure,
    ))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    pub account_id: AccountId,
    pub number: MobileNumber,
    pub epoch: i64,
    pub otp_sent_at: i64,
    /// When the password was checked: the flow ends `TTL_SECS` later however many codes
    /// are sent meanwhile.
    #[serde(default)]
    pub started_at: i64,
}

impl Flow for Deletion {
    const KIND: &'static str = KIND;
    const COOKIE: &'static str = COOKIE;
    const TTL_SECS: i64 = TTL_SECS;
    type Page = ();
    fn gone() -> String {
        format!("{}?scaduta=1", routes::ACCOUNT_DELETE)
    }
    fn deadline(&self) -> Option<i64> {
        (self.started_at > 0).then_some(self.started_at + TTL_SECS)
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
        started_at: now,
    };
    tx.write(crate::create_flow_op(flow_id, &data, now));
    Outcome::redirect(routes::ACCOUNT_DELETE_CODE)
        .with_tx(tx)
        .send(sms)
        .unless_sent(withdraw)
        .cookie(crate::flow_cookie(app, flow_id, 1, &data))
}

/// A new code for the account's SIM in `tx` (its SMS caps charged): the SMS to send and
/// the write that withdraws the code if the SMS cannot leave.
fn new_code(tx: &mut Tx<Refusal>, app: &App, a: &Account, now: i64) -> (Effect, TxOp) {
    let code = OtpCode::generate();
    sms::charge(tx, app, Purpose::Deletion, &a.number, now, Refusal::Sms);
    let keys = app.keys();
    let secret = keys.current();
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
        expires_at: Some(otp::expiry(now)),
    };
    (
        sms,
        otp::withdraw_op(secret, Purpose::Deletion, &a.id, &code),
    )
}

/// The guess of the code step to count before it is compared (`engine::Step::pre_commit`).
pub fn to_count(
    s: &SignedIn,
    flow: &Carried<Deletion>,
    form: &otp_page::CodeForm,
) -> Option<Guess> {
    if is_void(&flow.data, s) || form.wants_new_code() {
        return None;
    }
    otp_page::to_count(form, Purpose::Deletion, &s.account.id)
}

/// The code step: a new code, or the guess (as counted) that deletes the account.
pub fn decide(
    app: &App,
    s: &SignedIn,
    flow: Carried<Deletion>,
    form: &otp_page::CodeForm,
    counted: Option<Count>,
    erase: Vec<TxOp>,
    later: &Later,
) -> Outcome<Refusal> {
    let a = &s.account;
    if is_void(&flow.data, s) {
        return void_outcome(app);
    }
    let now = app.now();
    if form.wants_new_code() {
        if let Some(wait) = otp_page::too_early(flow.data.otp_sent_at, now) {
            return Outcome::error(429, otp_page::FIELD, wait);
        }
        let mut tx = Tx::new();
        let (sms, withdraw) = new_code(&mut tx, app, a, now);
        let mut next = flow.data.clone();
        next.otp_sent_at = now;
        tx.write(flow.next_op(&next, now));
        return Outcome::redirect(format!("{}?nuovo=1", routes::ACCOUNT_DELETE_CODE))
            .with_tx(tx)
            .send(sms)
            .unless_sent(withdraw)
            .cookie(crate::flow_cookie(app, &flow.id, flow.version + 1, &next));
    }
    let consume = match otp_page::guess(form, counted, now, routes::ACCOUNT_DELETE_CODE) {
        Ok(consume) => consume,
        Err(answer) => return *answer,
    };
    let mut tx = Tx::new();
    tx.write(consume);
    tx.write(TxOp::Delete {
        key: record::key_for(KIND, &flow.id),
        cond: None,
    });
    tx.guard(
        accounts::delete_op(&a.id, flow.data.epoch, now, now + FORGET_SECS),
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
    // The account's lists go with it: in this transaction as far as it holds them, the
    // rest right after it commits.
    let mut erase = erase.into_iter();
    let room = MAX_TX_ITEMS.saturating_sub(tx.ops().count());
    for op in erase.by_ref().take(room) {
        tx.write(op);
    }
    *later.0.lock().unwrap_or_else(|e| e.into_inner()) = erase.collect();
    tracing::info!(step = "area-delete", account = %crypto::log_id(&a.id), "account deleted by its owner");
    let mail = account_messages::email_account_deleted(&a.email, &clock::rome_datetime(now));
    Outcome::redirect(format!("{}?eliminato=1", routes::LOGIN))
        .with_tx(tx)
        .send(Effect::Email(mail))
        .cookie(session::clear_cookie(app))
        .cookie(crate::cookies::clear_cookie(
            COOKIE,
            app.config.cookie_secure,
        ))
}

/// A transaction holds at most this many items (DynamoDB's limit).
const MAX_TX_ITEMS: usize = 100;

/// The deletes erasing the account's lists: its passkeys (first, so that they go in the
/// deletion's own transaction: they have no TTL), its access history, its known browsers, its
/// session list and the sessions the list names (but `current`, which the deletion ends
/// itself: a transaction may touch an item once). Four Queries, every page of each.
pub async fn lists(
    app: &App,
    account_id: &AccountId,
    current: &str,
) -> Result<Vec<TxOp>, WebError> {
    let store = app.store.as_ref();
    let (entries, browsers, accesses, passkeys) = tokio::try_join!(
        sessions::entries(store, account_id),
        devices::all(store, account_id),
        access_log::all(store, account_id),
        store::passkeys::list(store, account_id),
    )?;
    let delete = |key: Key| TxOp::Delete { key, cond: None };
    let mut ops = store::passkeys::remove_all_ops(account_id, &passkeys);
    for entry in entries.into_iter().filter(|k| k.sk != current) {
        ops.push(delete(sessions::key_of_hash(&entry.sk)));
        ops.push(delete(entry));
    }
    ops.extend(browsers.into_iter().chain(accesses).map(delete));
    Ok(ops)
}

/// The deletes that did not fit in the deletion's transaction, kept by its decision for
/// `erase_later`.
#[derive(Default)]
pub struct Later(std::sync::Mutex<Vec<TxOp>>);

/// After the step: the deletes `later` holds, in transactions that each first check the
/// account is ceased (if the deletion did not commit, nothing is erased). Best effort:
/// what a failure leaves behind still has its own TTL, and the failure is logged for ops.
pub async fn erase_later(app: &App, account_id: &AccountId, later: Later) {
    let ops = later.0.into_inner().unwrap_or_else(|e| e.into_inner());
    let ceased = accounts::ceased_check(account_id);
    for chunk in ops.chunks(MAX_TX_ITEMS - 1) {
        let mut tx = vec![ceased.clone()];
        tx.extend_from_slice(chunk);
        match app.store.transact(tx).await {
            Ok(()) => {}
            // Not ceased: the deletion was refused, the lists are the account's still.
            Err(StoreError::TxCancelled { .. }) => return,
            Err(e) => {
                tracing::error!(
                    alert = "deletion_erasure_incomplete",
                    account = %crypto::log_id(account_id),
                    error = %e,
                    "the lists of a deleted account are left to their TTL"
                );
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use store::access_log::Event;

    fn aid(s: &str) -> AccountId {
        AccountId::parse(s).unwrap()
    }

    #[tokio::test]
    async fn what_is_erased_after_the_step_goes_only_once_the_account_is_ceased() {
        let app = App::in_memory(Config::for_tests()).0;
        let store = app.store.as_ref();
        let events: Vec<TxOp> = (0..250)
            .map(|i| access_log::record_op(&aid("acc"), Event::Completed, "UA", 1_000 + i))
            .collect();
        for chunk in events.chunks(100) {
            store.transact(chunk.to_vec()).await.unwrap();
        }
        let active = accounts::item_with_status(accounts::Status::Active);
        store
            .put(&accounts::key(&aid("acc")), active, None)
            .await
            .unwrap();
        let erase = || async {
            let keys = access_log::all(store, &aid("acc")).await.unwrap();
            let ops = keys.into_iter().map(|key| TxOp::Delete { key, cond: None });
            Later(std::sync::Mutex::new(ops.collect()))
        };
        erase_later(&app, &aid("acc"), erase().await).await;
        assert_eq!(
            access_log::all(store, &aid("acc")).await.unwrap().len(),
            250,
            "the deletion did not commit: nothing erased"
        );
        let ceased = accounts::item_with_status(accounts::Status::Ceased);
        store
            .put(&accounts::key(&aid("acc")), ceased, None)
            .await
            .unwrap();
        erase_later(&app, &aid("acc"), erase().await).await;
        assert!(access_log::all(store, &aid("acc"))
            .await
            .unwrap()
            .is_empty());
    }

    #[test]
    fn what_is_kept_is_said_with_how_long_and_why() {
        let said = kept_sentences();
        assert_eq!(said.len(), KEPT.len());
        assert!(
            said[0].starts_with("La registrazione dei consensi") && said[0].contains("per 10 anni")
        );
        assert!(said.iter().all(|s| s.ends_with(").")));
    }
}
