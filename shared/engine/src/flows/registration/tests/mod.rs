//! The registration's machine and each step's decision, without I/O: a decision is given
//! the flow, the typed form's values and the facts, and its outcome (the writes with their
//! refusals, the messages, the answer) is looked at; `commit` plays a transaction on a
//! memory store where a condition matters.

use super::*;
use crate::config::Config;
use crate::flows::challenge;
use crate::{Effect, Failed, Reply};
use domain::crypto;
use domain::OtpCode;
use email::Holder;
use store::accounts::{self, Account, Status};
use store::memory::MemoryStore;
use store::uniqueness::Owner;
use store::{lines, AccountId, Cond, Item, Key, Store};

fn aid(s: &str) -> AccountId {
    AccountId::parse(s).unwrap()
}

/// A claim's owner as stored (`account:…`, `flow:…`), read back.
fn owner(stored: &str) -> Owner {
    Owner::parse(stored).unwrap()
}

/// The owners of what `r` supersedes, as stored.
fn owners(r: &Registration) -> Vec<String> {
    r.superseded_owners().iter().map(Owner::to_string).collect()
}

/// What `r` supersedes: account ids (as text) and the epochs their owners proved.
fn superseded(r: &Registration) -> Vec<(&str, Option<i64>)> {
    r.superseded().map(|(id, e)| (id.as_str(), e)).collect()
}

/// A step-1 form that passed its checks (number, slider).
fn checked(app: &App, form: &number::Form) -> (MobileNumber, challenge::Passed) {
    number::check(app, form).unwrap_or_else(|_| panic!("refused"))
}

fn app() -> App {
    App::in_memory(Config::for_tests()).0
}

fn number() -> MobileNumber {
    MobileNumber::parse("+393331234567").unwrap()
}

fn line() -> Line {
    Line {
        entity_cf: CodiceFiscaleEnte::parse("00488410010").unwrap(),
        ragione_sociale: "COMUNE DI PROVA".into(),
    }
}

fn profile() -> Profile {
    Profile {
        nome: "Mario".into(),
        cognome: "Rossi".into(),
        personal_cf: CodiceFiscalePersona::parse("RSSMRA85T10A562S").unwrap(),
        entity_cf: line().entity_cf,
    }
}

/// Step 3 found the account `id` holding the number.
fn by_number(id: &str) -> Existing {
    Existing {
        by_number: Some(aid(id)),
        by_person: None,
    }
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn username(s: &str) -> Username {
    Username::parse(s).unwrap()
}

type Transition<'a> = dyn Fn(&mut Registration) -> Result<(), WrongState> + 'a;

/// A registration walked by its transitions to `state` (email and username reserved until `until`).
fn at(state: State, until: i64) -> Registration {
    at_from(
        Registration::start("rid".into(), number(), line(), 0),
        state,
        until,
    )
}

/// `r` walked on by its transitions to `state`.
fn at_from(mut r: Registration, state: State, until: i64) -> Registration {
    let steps: [(State, &Transition<'_>); 5] = [
        (State::OtpVerified, &|r| r.otp_verified(false)),
        (State::ProfileEntered, &|r| {
            r.profile_entered(profile(), Existing::default())
        }),
        (State::EmailSaved, &|r| {
            r.email_saved(Reserved {
                value: email("mario.rossi@example.it"),
                until: Some(until),
            })
        }),
        (State::EmailSent, &|r| {
            let u = username("mario.rossi@example.it");
            r.email_sent(
                Reserved {
                    value: u,
                    until: Some(until),
                },
                "h1".into(),
            )
        }),
        (State::EmailConfirmed, &|r| r.email_confirmed("h1")),
    ];
    let order = [
        State::NumberEntered,
        State::OtpVerified,
        State::ProfileEntered,
    ];
    let done = order.iter().position(|s| *s == r.state).unwrap_or(0);
    for (reached, transition) in steps.into_iter().skip(done) {
        if r.state == state {
            break;
        }
        transition(&mut r).unwrap();
        assert_eq!(r.state, reached);
    }
    r
}

fn carried(data: Registration) -> Carried<Registration> {
    Carried {
        id: "flow-id".into(),
        version: 3,
        data,
    }
}

/// Each write of an outcome as "<Put|Update|Delete|Check> <pk>".
fn writes(o: &Outcome<Refusal>) -> Vec<String> {
    o.tx.ops()
        .map(|op| match op {
            TxOp::Put { key, .. } => format!("Put {}", key.pk),
            TxOp::Update { key, .. } => format!("Update {}", key.pk),
            TxOp::Delete { key, .. } => format!("Delete {}", key.pk),
            TxOp::Check { key, .. } => format!("Check {}", key.pk),
        })
        .collect()
}

/// The writes with their variable parts cut (after the first two parts of the key; the
/// random nonce of a challenge): the shape of the transaction.
fn shape(o: &Outcome<Refusal>) -> Vec<String> {
    let cut = |w: String| w.split('#').take(2).collect::<Vec<_>>().join("#");
    let shape = |w: String| match w.strip_prefix("Put CHALLENGE#") {
        Some(_) => "Put CHALLENGE".to_owned(),
        None => cut(w),
    };
    writes(o).into_iter().map(shape).collect()
}

/// The flow the outcome's cookie carries.
fn carried_by(app: &App, o: &Outcome<Refusal>) -> Carried<Registration> {
    let value = o.cookies[0]
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1;
    carry::open(&app.keys(), KIND, value, app.now()).unwrap()
}

fn redirect(o: &Outcome<Refusal>) -> &str {
    match &o.reply {
        Reply::Redirect(to) => to,
        _ => panic!("not a redirect"),
    }
}

fn form_error<'a>(o: &'a Outcome<Refusal>, field: &str) -> (u16, &'a str) {
    match &o.reply {
        Reply::Form(status, errors) => (*status, errors.get(field).expect("an error there")),
        _ => panic!("not the form"),
    }
}

async fn put(store: &MemoryStore, key: Key, item: Item) {
    store.put(&key, item, None).await.unwrap();
}

/// Plays `o`'s transaction on `store`.
async fn commit(store: &MemoryStore, o: Outcome<Refusal>) -> Result<(), Failed<Refusal>> {
    o.tx.commit(store).await.unwrap()
}

fn confirm_link(item: &Item, hash: &str) -> Option<confirm::Link> {
    confirm::link(Some(item), hash.to_owned(), 0)
}

fn old_account(id: &str) -> Account {
    Account {
        id: aid(id),
        nome: "Mario".into(),
        cognome: "Rossi".into(),
        personal_cf: "RSSMRA85T10A562S".into(),
        entity_cf: "00488410010".into(),
        ragione_sociale: "COMUNE DI PROVA".into(),
        number: number(),
        email: "vecchio@example.it".into(),
        username: "mario.rossi@example.it".into(),
        password_hash: "x".into(),
        status: Status::Active,
        session_epoch: 0,
        created_at: 0,
        terms_version: "1.0".into(),
        privacy_version: "1.0".into(),
        accepted_at: 0,
        origin: String::new(),
        passkey_offer_dismissed: false,
    }
}

mod link;
mod machine;
mod prosegui;
mod step1;
mod step2;
mod step3;
mod step4;
mod step5;
