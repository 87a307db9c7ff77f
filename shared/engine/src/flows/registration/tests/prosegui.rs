//! Issue 21: PROSEGUI with proof; a finished step sends nothing again.

use super::*;

fn by_person(id: &str) -> Existing {
    Existing {
        by_number: None,
        by_person: Some(aid(id)),
    }
}

fn awaiting(account: &str, epoch: i64) -> Awaiting {
    Awaiting {
        account: aid(account),
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
        owners(&r).is_empty(),
        "nothing of the old account is usable before its owner's proof"
    );
    let mut other = r.clone();
    assert!(other.owner_consented(&aid("someone-else")).is_err());
    assert_eq!(other, r, "a proof for another account changes nothing");
    let mut r = r;
    r.owner_consented(&aid("old")).unwrap();
    assert_eq!(r.state, State::ProfileEntered);
    assert_eq!(superseded(&r), [("old", Some(7))]);
    assert_eq!(owners(&r), ["account:old"]);

    // Found by number (the SIM proved) and by person in one account: no wait.
    let mut r = at(State::OtpVerified, 100);
    let both = Existing {
        by_number: Some(aid("n")),
        by_person: Some(aid("n")),
    };
    r.profile_entered(profile(), both).unwrap();
    assert_eq!(r.person_only(), None);
    r.proceed_superseding(None).unwrap();
    assert_eq!(superseded(&r), [("n", None)]);

    // Two accounts: the number's is superseded at once, the person's awaits its owner.
    let mut r = at(State::OtpVerified, 100);
    let two = Existing {
        by_number: Some(aid("n")),
        by_person: Some(aid("p")),
    };
    r.profile_entered(profile(), two).unwrap();
    r.proceed_superseding(Some(awaiting("p", 0))).unwrap();
    assert_eq!(
        (r.state, owners(&r)),
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
    r.owner_consented(&aid("old")).unwrap();
    let h = email::holder(&app, &r, Kind::Email, "vecchio@example.it", again).await;
    assert_eq!(h.unwrap(), Holder::Superseded(owner("account:old")));
}

/// Stores `data` as version `version` of the flow `carried` names.
async fn table_flow(store: &MemoryStore, version: i64, data: &Registration) {
    let item = Item::new()
        .with("data", serde_json::to_string(data).unwrap())
        .with("version", version)
        .with(store::schema::TTL_ATTRIBUTE, 1_000_000_000_000i64);
    put(store, record::key_for(KIND, "flow-id"), item).await;
}

fn hasher() -> password::Hasher {
    password::Hasher::new(domain::Password::parse("Girasole-Blu-2026!", &[]).unwrap())
}

#[tokio::test]
async fn step_5_refuses_a_stale_cookie_and_a_voided_proof_before_hashing() {
    let acc1 = aid("acc1");
    let (app, store, ..) = App::in_memory(Config::for_tests());
    let confirmed = at(State::EmailConfirmed, 100);
    let mut done = confirmed.clone();
    done.completed(aid("acc0")).unwrap();
    // The cookie carries version 3; the table moved on to 4 (the step already completed).
    table_flow(&store, 4, &done).await;
    let h = hasher();
    let o = password::decide(
        &app,
        carried(confirmed.clone()),
        Attempt::default(),
        &acc1,
        &h,
    );
    let o = o.await.unwrap();
    assert_eq!(redirect(&o), "/registrazione/esito");
    assert!(o.tx.is_empty() && o.effects.is_empty());
    assert!(!h.computed(), "no password hashed for a stale cookie");

    // A proof whose account changed since (every session ended): refused, no hash.
    let mut r = waiting_for("old");
    r.owner_consented(&aid("old")).unwrap();
    let r = at_from(r, State::EmailConfirmed, 100);
    table_flow(&store, 3, &r).await;
    let mut old = old_account("old");
    old.session_epoch = 8;
    put(&store, accounts::key(&aid("old")), accounts::to_item(&old)).await;
    let h = hasher();
    let o = password::decide(&app, carried(r.clone()), Attempt::default(), &acc1, &h);
    let o = o.await.unwrap();
    assert_eq!(form_error(&o, "password").0, 409);
    assert!(!h.computed());

    // Still at the epoch proved: hashed once, and ceased on condition of that epoch.
    old.session_epoch = 7;
    put(&store, accounts::key(&aid("old")), accounts::to_item(&old)).await;
    let h = hasher();
    let o = password::decide(&app, carried(r), Attempt::default(), &acc1, &h);
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
    unsent.completed(aid("acc1")).unwrap();
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
            .with(store::schema::TTL_ATTRIBUTE, expires)
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
    use notify::messages;
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
    put(&store, accounts::key(&aid("old")), accounts::to_item(&old)).await;
    let line = lines::Line {
        number: old.number.clone(),
        entity_cf: line().entity_cf,
        ragione_sociale: "COMUNE DI PROVA".into(),
        active,
        profile: lines::Profile::Utente,
    };
    lines::upsert(store.as_ref(), &line).await.unwrap();
    if owner_cap_spent {
        let full = store::limits::CEASE_REQUESTS_PER_ACCOUNT;
        let key = store::rate::window_key(full, "old", app.now());
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
