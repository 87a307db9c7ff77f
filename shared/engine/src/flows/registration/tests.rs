//! The registration's machine and each step's decision, without I/O: a decision is given
//! the flow, the typed form's values and the facts, and its outcome (the writes with their
//! refusals, the messages, the answer) is looked at; `commit` plays a transaction on a
//! memory store where a condition matters.

use super::*;
use crate::config::Config;
use crate::crypto;
use crate::domain::OtpCode;
use crate::engine::{Effect, Failed, Reply};
use crate::flows::challenge;
use crate::store::accounts::{self, Account, Status};
use crate::store::memory::MemoryStore;
use crate::store::{lines, Cond, Item, Key, Store};
use email::Holder;

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
        by_number: Some(id.into()),
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

// --- The machine ----------------------------------------------------------------------

#[test]
fn the_machine_walks_every_state_and_refuses_out_of_order_steps() {
    let mut r = Registration::start("r".into(), number(), line(), 0);
    assert!(r.completed("acc".into()).is_err());
    assert!(!r.state.allows(Step::Profile));
    r.otp_verified(true).unwrap();
    assert!(
        r.otp_verified(false).is_err(),
        "a code cannot be verified twice"
    );
    assert!(r.earlier_convenzione());
    let r = at(State::EmailConfirmed, 100);
    assert_eq!(r.state.step(), Step::Password);
    let mut r = at(State::EmailSent, 100);
    let u = username("altro.nome");
    r.email_sent(
        Reserved {
            value: u.clone(),
            until: None,
        },
        "h2".into(),
    )
    .unwrap();
    assert_eq!(
        r.email_confirmed("h1"),
        Err(WrongState(State::EmailSent)),
        "an older link stops working"
    );
    assert_eq!(r.username(), Some(&u));
    let mut r = at(State::EmailConfirmed, 100);
    r.completed("acc".into()).unwrap();
    assert_eq!((r.state.step(), r.summary_sent()), (Step::Done, true));
}

#[test]
fn a_duplicate_waits_for_prosegui_and_editing_data_moves_back() {
    let mut r = at(State::OtpVerified, 100);
    r.profile_entered(profile(), by_number("old")).unwrap();
    assert_eq!(r.state, State::DuplicateFound);
    assert!(!r.state.allows(Step::Email));
    r.proceed_superseding(None).unwrap();
    assert_eq!(
        (r.state, r.superseded_owners()),
        (State::ProfileEntered, vec!["account:old".to_owned()])
    );
    let mut r = at(State::EmailSent, 100);
    r.profile_entered(profile(), Existing::default()).unwrap();
    assert_eq!(
        (r.state, r.confirm_token_hash.as_deref()),
        (State::ProfileEntered, None)
    );
    let mut r = at(State::EmailSent, 100);
    r.email_not_sent().unwrap();
    assert_eq!(
        r.state,
        State::EmailSaved,
        "an email that never left: AVANTI again"
    );
}

#[test]
fn the_record_serialises_its_domain_types_and_rejects_forged_ones() {
    let r = at(State::EmailSent, 100);
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<Registration>(&json).unwrap(), r);
    let forged = json.replace("+393331234567", "+390612345678");
    assert!(
        serde_json::from_str::<Registration>(&forged).is_err(),
        "a landline is no MobileNumber"
    );
}

#[test]
fn the_cookie_carries_the_flow_and_only_its_own_kind() {
    let app = app();
    let r = at(State::EmailSaved, 100);
    let value = cookie_value(&app, "id", 4, &r);
    let back: Carried<Registration> = carry::open(&app.keys(), KIND, &value, app.now()).unwrap();
    assert_eq!((back.id.as_str(), back.version, back.data), ("id", 4, r));
    assert!(carry::open::<Registration>(&app.keys(), "LOGIN", &value, app.now()).is_none());
}

// --- Step 1 -----------------------------------------------------------------------------

fn step1_form(app: &App, numero: &str, slider: &str) -> number::Form {
    number::Form {
        numero: numero.into(),
        challenge: challenge::issue(app.keys().current(), app.now() - 3),
        conferma: slider.into(),
        pow: String::new(),
    }
}

fn active(number: &MobileNumber) -> Option<lines::Line> {
    Some(lines::Line {
        number: number.clone(),
        entity_cf: line().entity_cf,
        ragione_sociale: line().ragione_sociale,
        active: true,
        profile: crate::store::lines::Profile::Utente,
    })
}

fn fresh() -> number::Fresh {
    number::Fresh {
        flow_id: "new-flow".into(),
        rid: "new-rid".into(),
        code: OtpCode::parse("123456").unwrap(),
    }
}

#[test]
fn step_1_burns_the_slider_charges_the_caps_and_starts_the_flow_in_one_transaction() {
    let app = app();
    let (n, passed) = checked(&app, &step1_form(&app, "333 123 4567", "100"));
    let facts = number::Facts {
        line: active(&n),
        ..Default::default()
    };
    let o = number::decide(&app, n.clone(), &passed, facts, "198.51.100.7", fresh());
    assert_eq!(
        shape(&o),
        [
            "Put CHALLENGE",
            "Update RATE#reg-ip-nopow",
            "Update RATE#sms-number-reg",
            "Update RATE#sms-global",
            "Put OTP#REG",
            "Put FLOW#REG",
        ]
    );
    assert_eq!(redirect(&o), "/registrazione/codice");
    assert!(
        matches!(&o.effects[..], [Effect::Sms { to, text, .. }] if *to == n && text.contains("123456"))
    );
    assert_eq!(
        (o.unsent.len(), o.cookies.len()),
        (1, 1),
        "the code withdrawn if the SMS fails"
    );
}

#[test]
fn step_1_writes_alike_whether_or_not_the_number_has_an_account() {
    let app = app();
    let run = |holder: Option<&str>| {
        let (n, passed) = checked(&app, &step1_form(&app, "3331234567", "100"));
        let facts = number::Facts {
            line: active(&n),
            holder: holder.map(str::to_owned),
            sms_full: None,
        };
        let o = number::decide(&app, n, &passed, facts, "198.51.100.7", fresh());
        // The cookie is sealed with a fresh nonce each time: compare its length and what
        // it carries.
        let carried = (o.cookies[0].len(), carried_by(&app, &o));
        (
            writes(&o)
                .into_iter()
                .filter(|w| !w.contains("CHALLENGE"))
                .collect::<Vec<_>>(),
            carried,
        )
    };
    assert_eq!(
        run(Some("account:a1")),
        run(None),
        "same writes, same cookie"
    );
}

#[test]
fn step_1_refusals_still_count_against_the_client() {
    let app = app();
    let (n, passed) = checked(&app, &step1_form(&app, "3331234567", "100"));
    let o = number::decide(
        &app,
        n.clone(),
        &passed,
        number::Facts::default(),
        "c",
        fresh(),
    );
    assert_eq!(form_error(&o, "numero").0, 422);
    assert_eq!(
        shape(&o),
        ["Put CHALLENGE", "Update RATE#reg-ip-nopow"],
        "not a line: charged"
    );
    let facts = number::Facts {
        line: active(&n),
        holder: None,
        sms_full: Some(crate::sms::SendRefused::NumberCap),
    };
    let o = number::decide(&app, n, &passed, facts, "c", fresh());
    assert_eq!(
        form_error(&o, "numero"),
        (
            429,
            "Hai richiesto troppi codici per questo numero nell'ultima ora. Riprova più tardi."
        )
    );
    assert_eq!(o.tx.ops().count(), 2);
    let Err(bad) = number::check(&app, &step1_form(&app, "06 1234567", "100")) else {
        panic!("a landline")
    };
    assert_eq!(
        shape(&bad),
        ["Put CHALLENGE"],
        "the slider is used up by a bad number too"
    );
    let Err(half) = number::check(&app, &step1_form(&app, "3331234567", "50")) else {
        panic!("the slider halfway")
    };
    assert!(half.tx.is_empty());
}

#[tokio::test]
async fn a_challenge_serves_one_submission() {
    let app = app();
    let store = MemoryStore::new();
    let form = step1_form(&app, "3331234567", "100");
    for expected in [Ok(()), Err(Failed::Refused(Refusal::ChallengeUsed(None)))] {
        let (n, passed) = checked(&app, &form);
        let o = number::decide(&app, n, &passed, number::Facts::default(), "c", fresh());
        assert_eq!(commit(&store, o).await, expected);
    }
}

// --- Step 2 -----------------------------------------------------------------------------

#[test]
fn step_2_uses_the_code_up_with_the_flow_and_resends_with_the_caps() {
    let app = app();
    let flow = carried(at(State::NumberEntered, 100));
    let consume = TxOp::Delete {
        key: Key::new("OTP#REG#rid", "OTP"),
        cond: Some(Cond::Exists),
    };
    let o = code::verified(&app, flow.clone(), consume, true);
    assert_eq!(shape(&o), ["Put FLOW#REG", "Delete OTP#REG"]);
    assert_eq!(redirect(&o), "/registrazione/dati");
    let mut later = carried(at(State::NumberEntered, 100));
    later.data.code_resent(app.now() - 31).unwrap();
    let o = code::resend(
        &app,
        later,
        Some("account:a1"),
        &OtpCode::parse("654321").unwrap(),
    );
    assert_eq!(
        shape(&o),
        [
            "Put FLOW#REG",
            "Update RATE#sms-number-reg",
            "Update RATE#sms-global",
            "Put OTP#REG"
        ]
    );
    assert_eq!(redirect(&o), "/registrazione/codice?nuovo=1");
    assert_eq!(
        o.unsent.len(),
        2,
        "the code withdrawn and the flow as it was"
    );
    let TxOp::Put { item, .. } = o.tx.ops().nth(3).unwrap() else {
        panic!()
    };
    assert_eq!(
        item.s("holder"),
        Some("account:a1"),
        "the note for step 2 survives a resend"
    );
    let o = code::verified(
        &app,
        carried(at(State::OtpVerified, 100)),
        TxOp::Check {
            key: Key::new("X", "Y"),
            cond: Cond::Exists,
        },
        false,
    );
    assert!(
        o.tx.is_empty(),
        "a verified flow moves on without a second transition"
    );
}

#[tokio::test]
async fn step_2_resend_waits_thirty_seconds() {
    let app = app();
    let mut flow = at(State::NumberEntered, 100);
    flow.code_resent(app.now() - 10).unwrap();
    let form = code::Form {
        codice: String::new(),
        azione: "invia-di-nuovo".into(),
    };
    let o = code::decide(
        &app,
        &form,
        carried(flow),
        code::Facts::Resend { holder: None },
    );
    let (status, text) = form_error(&o, "codice");
    assert_eq!(status, 429);
    assert!(text.starts_with("Attendi ancora 2"), "{text}");
}

// --- Step 3 -----------------------------------------------------------------------------

#[test]
fn step_3_checks_the_entity_against_the_sim() {
    let r = at(State::OtpVerified, 100);
    let form = profile::Form {
        nome: " Mario ".into(),
        cognome: "D'Annunzio".into(),
        cf_personale: "rssmra85t10a562s".into(),
        cf_ente: "06363391001".into(),
        ..Default::default()
    };
    let errors = profile::parse(&form, &r).unwrap_err();
    assert!(errors.get("cf_ente").unwrap().contains("non corrisponde"));
    let ok = profile::Form {
        cf_ente: "00488410010".into(),
        ..form
    };
    let p = profile::parse(&ok, &r).unwrap();
    assert_eq!(
        (p.nome.as_str(), p.personal_cf.as_str()),
        ("Mario", "RSSMRA85T10A562S")
    );
}

#[tokio::test]
async fn step_3_saves_and_kills_a_pending_link() {
    let app = app();
    let o = profile::entered(
        &app,
        carried(at(State::EmailSent, 1)),
        profile(),
        by_number("a1"),
    );
    assert_eq!(shape(&o), ["Put FLOW#REG", "Delete TOKEN#CONFIRM"]);
    assert_eq!(
        redirect(&o),
        "/registrazione/dati",
        "the choice: PROSEGUI or recover"
    );
    let fresh = consent::Fresh::new();
    let o = consent::proceed(&app, carried(at(State::ProfileEntered, 1)), &fresh)
        .await
        .unwrap();
    assert!(
        o.tx.is_empty() && redirect(&o) == "/registrazione/email",
        "PROSEGUI only after a duplicate"
    );
}

// --- Step 4 -----------------------------------------------------------------------------

#[test]
fn step_4_charges_a_new_email_reserves_it_and_releases_the_old_one() {
    let app = app();
    let later = app.now() + TTL_SECS;
    let flow = carried(at(State::EmailSaved, later));
    let o = email::save(
        &app,
        flow.clone(),
        email("nuovo@example.it"),
        "c",
        &Holder::Unread,
    );
    assert_eq!(
        shape(&o),
        [
            "Put FLOW#REG",
            "Delete EMAIL#mario.rossi@example.it",
            "Update RATE#reg-claims-flow",
            "Update RATE#reg-claims-ip",
            "Put EMAIL#nuovo@example.it",
        ]
    );
    let o = email::save(
        &app,
        flow.clone(),
        email("mario.rossi@example.it"),
        "c",
        &Holder::Unread,
    );
    assert_eq!(
        shape(&o),
        ["Put FLOW#REG", "Put EMAIL#mario.rossi@example.it"],
        "the same: refreshed, free"
    );
    let lapsing = carried(at(State::EmailSaved, app.now() + 60));
    let o = email::save(
        &app,
        lapsing,
        email("nuovo@example.it"),
        "c",
        &Holder::Unread,
    );
    assert!(
        !writes(&o).iter().any(|w| w.starts_with("Delete")),
        "a lapsing reservation is left to lapse"
    );
}

#[test]
fn step_4_a_taken_value_costs_its_charges_and_a_superseded_one_is_used_not_taken() {
    let app = app();
    let flow = carried(at(State::EmailSaved, app.now() + TTL_SECS));
    let o = email::save(
        &app,
        flow.clone(),
        email("preso@example.it"),
        "c",
        &Holder::Other,
    );
    assert_eq!(
        shape(&o),
        ["Update RATE#reg-claims-flow", "Update RATE#reg-claims-ip"]
    );
    assert_eq!(form_error(&o, "email").0, 409);
    let old = Holder::Superseded("account:old".into());
    let o = email::save(&app, flow, email("vecchio@example.it"), "c", &old);
    assert_eq!(shape(&o).last().unwrap(), "Check EMAIL#vecchio@example.it");
    let saved = carried_by(&app, &o);
    assert_eq!(
        saved.data.email.unwrap().until,
        None,
        "never released: it is the old account's"
    );
}

#[test]
fn step_4_avanti_sends_one_link_whose_token_carries_the_flow() {
    let app = app();
    let flow = carried(at(State::EmailSent, app.now() + TTL_SECS));
    let chosen = username("scelta.nuova");
    let o = email::send(&app, flow, chosen, "tok", true, "c", &Holder::Unread);
    assert_eq!(
        shape(&o),
        [
            "Put FLOW#REG",
            "Delete USERNAME#mario.rossi@example.it",
            "Delete TOKEN#CONFIRM",
            "Update RATE#reg-claims-flow",
            "Update RATE#reg-claims-ip",
            "Put USERNAME#scelta.nuova",
            "Update RATE#confirm-email",
            "Put TOKEN#CONFIRM",
        ]
    );
    assert_eq!(redirect(&o), "/registrazione/email?reinviata=1");
    let [Effect::Email(mail)] = &o.effects[..] else {
        panic!("one email")
    };
    assert!(mail.text.contains("/registrazione/conferma-email?t=tok"));
    assert_eq!(
        o.unsent.len(),
        2,
        "as if AVANTI had not been clicked, and the token gone"
    );
    let TxOp::Put { item, .. } = o.tx.ops().last().unwrap() else {
        panic!()
    };
    let hash = crypto::token_hash("tok");
    let link = confirm_link(item, &hash).expect("a live link");
    assert_eq!(link.version, 4, "the flow's next version");
    assert_eq!(link.data.username(), Some(&username("scelta.nuova")));
}

fn confirm_link(item: &Item, hash: &str) -> Option<confirm::Link> {
    confirm::link(Some(item), hash.to_owned(), 0)
}

#[tokio::test]
async fn step_4_a_double_clicked_avanti_sends_once() {
    let app = app();
    let form = email::Form {
        azione: "avanti".into(),
        ..Default::default()
    };
    let moved = Attempt {
        again: true,
        moved: true,
    };
    let flow = carried(at(State::EmailSent, 100));
    let o = email::decide(&app, &form, "c", flow, moved).await.unwrap();
    assert!(o.tx.is_empty() && o.effects.is_empty());
    assert_eq!(redirect(&o), "/registrazione/email");
}

#[tokio::test]
async fn step_4_releases_replaced_choices_and_never_someone_elses() {
    let app = app();
    let store = MemoryStore::new();
    let flow = carried(at(State::EmailSaved, app.now() + TTL_SECS));
    let held = uniqueness::key(Kind::Email, "mario.rossi@example.it");
    put(&store, held, Item::new().with("owner", "flow:rid")).await;
    put(
        &store,
        record::key_for(KIND, "flow-id"),
        Item::new().with("version", 3i64),
    )
    .await;
    let o = email::save(&app, flow, email("nuovo@example.it"), "c", &Holder::Unread);
    assert_eq!(commit(&store, o).await, Ok(()));
    let held = |v: &'static str| uniqueness::holder(&store, Kind::Email, v, 0);
    assert_eq!(held("mario.rossi@example.it").await.unwrap(), None);
    assert_eq!(
        held("nuovo@example.it").await.unwrap().as_deref(),
        Some("flow:rid")
    );
    let other = carried(Registration {
        rid: "other".into(),
        ..at(State::EmailSaved, 0)
    });
    put(
        &store,
        record::key_for(KIND, "flow-id"),
        Item::new().with("version", 3i64),
    )
    .await;
    let o = email::save(&app, other, email("nuovo@example.it"), "c", &Holder::Unread);
    assert_eq!(
        commit(&store, o).await,
        Err(Failed::Refused(Refusal::Taken(Kind::Email)))
    );
}

// --- The link ---------------------------------------------------------------------------

#[test]
fn the_link_moves_the_flow_to_the_browser_that_confirms() {
    let app = app();
    let mut data = at(State::EmailSent, 100);
    let chosen = Reserved {
        value: username("mario.rossi@example.it"),
        until: Some(100),
    };
    data.email_sent(chosen, crypto::token_hash("tok")).unwrap();
    let flow = carried(data);
    let next = flow.data.clone();
    let TxOp::Put { item, .. } = confirm::token_op(&flow, &next, &crypto::token_hash("tok"), 0)
    else {
        panic!()
    };
    let link = confirm_link(&item, &crypto::token_hash("tok")).unwrap();
    assert!(
        confirm_link(&item, &crypto::token_hash("older")).is_none(),
        "only the latest link"
    );
    let o = confirm::confirm(&app, &link, "phone-id");
    assert_eq!(
        shape(&o),
        ["Delete TOKEN#CONFIRM", "Delete FLOW#REG", "Put FLOW#REG"]
    );
    assert_eq!(redirect(&o), "/registrazione/conferma-email");
    let phone = carried_by(&app, &o);
    assert_eq!(
        (phone.id.as_str(), phone.version, phone.data.state),
        ("phone-id", 1, State::EmailConfirmed)
    );
}

// --- Step 5 -----------------------------------------------------------------------------

fn old_account(id: &str) -> Account {
    Account {
        id: id.into(),
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

fn complete(app: &App, data: Registration, superseded: Vec<Account>) -> Outcome<Refusal> {
    let superseded = superseded.into_iter().map(|a| (a, None)).collect();
    password::complete(app, carried(data), "acc1", "hash", superseded, None)
}

#[test]
fn step_5_makes_the_account_and_its_claims_in_one_transaction() {
    let app = app();
    let o = complete(&app, at(State::EmailConfirmed, 100), vec![]);
    assert_eq!(
        shape(&o),
        [
            "Put FLOW#REG",
            "Put ACCOUNT#acc1",
            "Put CONSENTLOG#acc1",
            "Put USERNAME#mario.rossi@example.it",
            "Put EMAIL#mario.rossi@example.it",
            "Put NUMBER#+393331234567",
            "Put PERSON#00488410010",
        ]
    );
    assert_eq!(redirect(&o), "/registrazione/esito");
    let [Effect::Email(summary)] = &o.effects[..] else {
        panic!("the summary")
    };
    assert!(
        summary
            .text
            .contains("Codice Fiscale Personale: RSSMRA85T10A562S"),
        "{}",
        summary.text
    );
    let Some((Reply::Redirect(to), _)) = &o.if_unsent else {
        panic!("the outcome page anyway")
    };
    assert_eq!(to, "/registrazione/esito");
}

#[test]
fn step_5_ceases_a_superseded_account_and_frees_what_the_new_one_does_not_take() {
    let app = app();
    let mut data = at(State::OtpVerified, 100);
    data.profile_entered(profile(), by_number("old")).unwrap();
    data.proceed_superseding(None).unwrap();
    let data = at_from(data, State::EmailConfirmed, 100);
    let o = complete(&app, data, vec![old_account("old")]);
    let w = writes(&o);
    assert!(w.contains(&"Update ACCOUNT#old".to_owned()));
    assert!(
        w.contains(&"Delete EMAIL#vecchio@example.it".to_owned()),
        "{w:?}"
    );
    assert!(
        !w.iter()
            .any(|x| x.starts_with("Delete USERNAME") || x.starts_with("Delete NUMBER")),
        "taken over: {w:?}"
    );
    assert_eq!(
        o.effects.len(),
        2,
        "the old owner is told, then the summary"
    );
}

#[tokio::test]
async fn step_5_refuses_a_claim_another_registration_took_first() {
    let app = app();
    let store = MemoryStore::new();
    put(
        &store,
        record::key_for(KIND, "flow-id"),
        Item::new().with("version", 3i64),
    )
    .await;
    let taken = Item::new().with("owner", "account:x");
    put(
        &store,
        uniqueness::key(Kind::Number, "+393331234567"),
        taken,
    )
    .await;
    let o = complete(&app, at(State::EmailConfirmed, 100), vec![]);
    assert_eq!(
        commit(&store, o).await,
        Err(Failed::Refused(Refusal::Claimed(Kind::Number)))
    );
    assert!(
        store.get(&accounts::key("acc1")).await.unwrap().is_none(),
        "all or nothing"
    );
}

#[test]
fn step_4_tells_a_missing_username_field_from_an_empty_one() {
    use crate::engine::Form;
    let r = at(State::EmailSaved, 100);
    let absent: email::Form = Form::from_pairs(&[("azione", "avanti")]).typed();
    assert_eq!(
        (absent.azione.as_str(), absent.username(&r)),
        ("avanti", "mario.rossi@example.it".into())
    );
    let empty: email::Form = Form::from_pairs(&[("azione", "avanti"), ("username", "")]).typed();
    assert_eq!(empty.username(&r), "", "an empty field is what was typed");
}

#[test]
fn the_funnel_counts_the_first_arrival_at_each_state() {
    use crate::metrics::Metric;
    use State::*;
    assert_eq!(
        reached(NumberEntered, OtpVerified),
        Some(Metric::RegistrationCodeVerified)
    );
    assert_eq!(
        reached(OtpVerified, ProfileEntered),
        Some(Metric::RegistrationProfile)
    );
    assert_eq!(
        reached(OtpVerified, DuplicateFound),
        Some(Metric::RegistrationProfile)
    );
    assert_eq!(
        reached(DuplicateFound, ProfileEntered),
        Some(Metric::RegistrationProsegui)
    );
    assert_eq!(
        reached(EmailSaved, EmailSent),
        Some(Metric::RegistrationEmailSent)
    );
    assert_eq!(
        reached(EmailConfirmed, Completed),
        Some(Metric::RegistrationCompleted)
    );
    // Editing earlier data, a new link, a resent code: not a step further.
    assert_eq!(reached(EmailSent, ProfileEntered), None);
    assert_eq!(reached(EmailSent, EmailSent), None);
    assert_eq!(reached(NumberEntered, NumberEntered), None);
    assert_eq!(reached(ProfileEntered, EmailSaved), None);
}

// --- Issue 21: PROSEGUI with proof, a finished step sends nothing again ----------------

fn by_person(id: &str) -> Existing {
    Existing {
        by_number: None,
        by_person: Some(id.into()),
    }
}

fn awaiting(account: &str, epoch: i64) -> Awaiting {
    Awaiting {
        account: account.into(),
        epoch,
        sent_at: 0,
        token_hash: "t1".into(),
    }
}

/// A flow that chose PROSEGUI on the registration `old`, found by person only.
fn waiting_for(old: &str) -> Registration {
    let mut r = at(State::OtpVerified, 100);
    r.profile_entered(profile(), by_person(old)).unwrap();
    r.proceed_superseding(Some(awaiting(old, 7))).unwrap();
    r
}

#[test]
fn a_person_only_duplicate_waits_for_its_owner_and_lends_nothing_meanwhile() {
    let r = waiting_for("old");
    assert_eq!(r.state, State::AwaitingConsent);
    assert!(r.state.allows(Step::Profile) && !r.state.allows(Step::Email));
    assert_eq!(r.state.step(), Step::Profile);
    assert!(
        r.superseded_owners().is_empty(),
        "nothing of the old account is usable before its owner's proof"
    );
    let mut other = r.clone();
    assert!(other.owner_consented("someone-else").is_err());
    assert_eq!(other, r, "a proof for another account changes nothing");
    let mut r = r;
    r.owner_consented("old").unwrap();
    assert_eq!(r.state, State::ProfileEntered);
    assert_eq!(r.superseded().collect::<Vec<_>>(), [("old", Some(7))]);
    assert_eq!(r.superseded_owners(), ["account:old"]);

    // Found by number (the SIM proved) and by person in one account: no wait.
    let mut r = at(State::OtpVerified, 100);
    let both = Existing {
        by_number: Some("n".into()),
        by_person: Some("n".into()),
    };
    r.profile_entered(profile(), both).unwrap();
    assert_eq!(r.person_only(), None);
    r.proceed_superseding(None).unwrap();
    assert_eq!(r.superseded().collect::<Vec<_>>(), [("n", None)]);

    // Two accounts: the number's is superseded at once, the person's awaits its owner.
    let mut r = at(State::OtpVerified, 100);
    let two = Existing {
        by_number: Some("n".into()),
        by_person: Some("p".into()),
    };
    r.profile_entered(profile(), two).unwrap();
    r.proceed_superseding(Some(awaiting("p", 0))).unwrap();
    assert_eq!(
        (r.state, r.superseded_owners()),
        (State::AwaitingConsent, vec!["account:n".to_owned()])
    );
    // Data typed again: whatever was awaited or proved is gone, and so is the link.
    let mut r = waiting_for("old");
    let before = r.clone();
    r.profile_entered(profile(), Existing::default()).unwrap();
    assert_eq!((r.awaiting(), r.state), (None, State::ProfileEntered));
    let gone = released(&before, &r, 0);
    assert!(
        gone.iter()
            .any(|op| matches!(op, TxOp::Delete { key, .. } if key.pk == "TOKEN#CEASE#t1")),
        "the old owner's link is withdrawn"
    );
}

#[tokio::test]
async fn step_4_lends_an_old_accounts_email_only_after_its_owners_proof() {
    let (app, store, ..) = App::in_memory(Config::for_tests());
    let claim = Item::new().with("owner", "account:old");
    store
        .put(
            &uniqueness::key(Kind::Email, "vecchio@example.it"),
            claim,
            None,
        )
        .await
        .unwrap();
    let again = Attempt {
        again: true,
        moved: false,
    };
    let r = waiting_for("old");
    let h = email::holder(&app, &r, Kind::Email, "vecchio@example.it", again).await;
    assert_eq!(h.unwrap(), Holder::Other, "awaiting: someone else's");
    let mut r = r;
    r.owner_consented("old").unwrap();
    let h = email::holder(&app, &r, Kind::Email, "vecchio@example.it", again).await;
    assert_eq!(h.unwrap(), Holder::Superseded("account:old".into()));
}

/// Stores `data` as version `version` of the flow `carried` names.
async fn table_flow(store: &MemoryStore, version: i64, data: &Registration) {
    let item = Item::new()
        .with("data", serde_json::to_string(data).unwrap())
        .with("version", version)
        .with(crate::store::schema::TTL_ATTRIBUTE, 1_000_000_000_000i64);
    put(store, record::key_for(KIND, "flow-id"), item).await;
}

fn hasher() -> password::Hasher {
    password::Hasher::new(crate::domain::Password::parse("Girasole-Blu-2026!", &[]).unwrap())
}

#[tokio::test]
async fn step_5_refuses_a_stale_cookie_and_a_voided_proof_before_hashing() {
    let (app, store, ..) = App::in_memory(Config::for_tests());
    let confirmed = at(State::EmailConfirmed, 100);
    let mut done = confirmed.clone();
    done.completed("acc0".into()).unwrap();
    // The cookie carries version 3; the table moved on to 4 (the step already completed).
    table_flow(&store, 4, &done).await;
    let h = hasher();
    let o = password::decide(
        &app,
        carried(confirmed.clone()),
        Attempt::default(),
        "acc1",
        &h,
    );
    let o = o.await.unwrap();
    assert_eq!(redirect(&o), "/registrazione/esito");
    assert!(o.tx.is_empty() && o.effects.is_empty());
    assert!(!h.computed(), "no password hashed for a stale cookie");

    // A proof whose account changed since (every session ended): refused, no hash.
    let mut r = waiting_for("old");
    r.owner_consented("old").unwrap();
    let r = at_from(r, State::EmailConfirmed, 100);
    table_flow(&store, 3, &r).await;
    let mut old = old_account("old");
    old.session_epoch = 8;
    put(&store, accounts::key("old"), accounts::to_item(&old)).await;
    let h = hasher();
    let o = password::decide(&app, carried(r.clone()), Attempt::default(), "acc1", &h);
    let o = o.await.unwrap();
    assert_eq!(form_error(&o, "password").0, 409);
    assert!(!h.computed());

    // Still at the epoch proved: hashed once, and ceased on condition of that epoch.
    old.session_epoch = 7;
    put(&store, accounts::key("old"), accounts::to_item(&old)).await;
    let h = hasher();
    let o = password::decide(&app, carried(r), Attempt::default(), "acc1", &h);
    let o = o.await.unwrap();
    assert!(h.computed());
    let cease = o.tx.ops().find_map(|op| match op {
        TxOp::Update { key, cond, .. } if key.pk == "ACCOUNT#old" => cond.clone(),
        _ => None,
    });
    assert_eq!(cease, Some(accounts::active_at(7)));
}

#[test]
fn the_outcome_page_sends_a_missing_summary_as_a_step_and_nothing_once_sent() {
    let app = app();
    let mut unsent = at(State::EmailConfirmed, 100);
    unsent.completed("acc1".into()).unwrap();
    unsent.summary(false).unwrap();
    let page = |_: bool| maud::html! {};
    let o = password::outcome(&app, carried(unsent.clone()), page);
    assert_eq!(shape(&o), ["Put FLOW#REG"], "saved as sent, on its version");
    assert_eq!(o.effects.len(), 1);
    assert_eq!(o.unsent.len(), 1, "back to unsent if it cannot leave");
    assert!(carried_by(&app, &o).data.summary_sent());
    let mut sent = unsent;
    sent.summary(true).unwrap();
    let o = password::outcome(&app, carried(sent), page);
    assert!(o.tx.is_empty() && o.effects.is_empty(), "nothing again");
}

#[test]
fn the_old_owners_link_works_only_while_the_flow_waits_for_it() {
    let r = waiting_for("old");
    let token = |data: &Registration, expires: i64| {
        Item::new()
            .with("target", "FLOW#REG#x")
            .with("version", 4i64)
            .with("flow", serde_json::to_string(data).unwrap())
            .with("account", "old")
            .with("epoch", 7i64)
            .with(crate::store::schema::TTL_ATTRIBUTE, expires)
    };
    let live = token(&r, 2000);
    assert!(consent::link(Some(&live), "t1".into(), 1000).is_some());
    assert!(
        consent::link(Some(&live), "t0".into(), 1000).is_none(),
        "an older link"
    );
    assert!(
        consent::link(Some(&token(&r, 999)), "t1".into(), 1000).is_none(),
        "expired, whatever the table's TTL deletion did"
    );
    let app = app();
    let link = consent::link(Some(&live), "t1".into(), 1000).unwrap();
    let o = consent::confirm(&app, &link);
    assert_eq!(
        writes(&o),
        [
            "Delete TOKEN#CEASE#t1",
            "Put FLOW#REG#x",
            "Check ACCOUNT#old"
        ]
    );
    assert_eq!(
        redirect(&o),
        "/registrazione/conferma-cessazione?confermata=1"
    );
}

#[test]
fn the_old_owner_is_told_who_asked_what_confirming_does_and_what_to_do_if_not_them() {
    use crate::notify::messages;
    let link = "https://x/registrazione/conferma-cessazione?t=abc";
    let m = messages::email_cease_request(
        "vecchio@example.it",
        "1 marzo 2026, 10:00",
        "333 *** 4567",
        link,
    );
    for part in [&m.text, &m.html] {
        assert!(part.contains("333 *** 4567"), "who asked");
        assert!(part.contains("CONFERMA LA CESSAZIONE") && part.contains("t=abc"));
        assert!(part.contains("sarà cessata quando la nuova sarà completata"));
        assert!(part.contains("Se non sei stato tu, non cliccare"));
    }
    let code = OtpCode::parse("123456").unwrap();
    let sms = messages::sms_cease_code(&code);
    assert!(
        sms.contains("123456") && sms.contains("Se non sei stato tu, non comunicarlo a nessuno")
    );
}

/// PROSEGUI on `old` (found by person only), its line `active` or not, its owner's daily
/// cap spent or not: what the request writes as the code, and what it sends.
async fn ask_old_owner(active: bool, owner_cap_spent: bool) -> (String, Vec<Effect>) {
    let (app, store, ..) = App::in_memory(Config::for_tests());
    let mut old = old_account("old");
    old.session_epoch = 7;
    old.number = MobileNumber::parse("+393339990000").unwrap();
    put(&store, accounts::key("old"), accounts::to_item(&old)).await;
    let line = lines::Line {
        number: old.number.clone(),
        entity_cf: line().entity_cf,
        ragione_sociale: "COMUNE DI PROVA".into(),
        active,
        profile: lines::Profile::Utente,
    };
    lines::upsert(store.as_ref(), &line).await.unwrap();
    if owner_cap_spent {
        let full = crate::limits::CEASE_REQUESTS_PER_ACCOUNT;
        let key = crate::store::rate::window_key(full, "old", app.now());
        put(&store, key, Item::new().with("count", full.max)).await;
    }
    let mut r = at(State::OtpVerified, 100);
    r.profile_entered(profile(), by_person("old")).unwrap();
    let fresh = consent::Fresh {
        token: "tok".into(),
        code: OtpCode::parse("123456").unwrap(),
    };
    let o = consent::proceed(&app, carried(r), &fresh).await.unwrap();
    assert_eq!(carried_by(&app, &o).data.state(), State::AwaitingConsent);
    let hash =
        o.tx.ops()
            .find_map(|op| match op {
                TxOp::Put { key, item, .. } if key.pk.starts_with("OTP#REG#rid#titolare") => {
                    item.s("hash").map(str::to_owned)
                }
                _ => None,
            })
            .expect("a code is stored whatever is sent");
    let typed = crypto::keyed_hash(app.keys().current().bytes(), "123456");
    let kinds = o.tx.kinds();
    assert!(
        kinds.contains(&"TOKEN#CEASE".to_owned())
            && kinds.contains(&"RATE#reg-cease-flow".to_owned())
    );
    (
        if hash == typed { "typeable" } else { "void" }.to_owned(),
        o.effects,
    )
}

#[tokio::test]
async fn the_old_owner_gets_an_sms_only_on_an_active_line_and_an_unsent_code_matches_no_guess() {
    let (code, effects) = ask_old_owner(true, false).await;
    assert_eq!(code, "typeable");
    assert!(matches!(
        &effects[..],
        [Effect::Email(_), Effect::Sms { .. }]
    ));
    let (code, effects) = ask_old_owner(false, false).await;
    assert_eq!(code, "void", "no SMS carries it: no guess may match");
    assert!(matches!(&effects[..], [Effect::Email(_)]));
    let (code, effects) = ask_old_owner(true, true).await;
    assert_eq!(code, "void");
    assert!(
        matches!(&effects[..], [Effect::Nothing]),
        "beyond its owner's daily cap nothing is sent, one batch is posted all the same"
    );
}
