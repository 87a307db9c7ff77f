//! Step 4: the email and the username (reservations, charges, the confirmation link sent once).

use super::*;

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
    let old = Holder::Superseded(owner("account:old"));
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
        held("nuovo@example.it")
            .await
            .unwrap()
            .map(|o| o.to_string())
            .as_deref(),
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

#[test]
fn step_4_tells_a_missing_username_field_from_an_empty_one() {
    use crate::Form;
    let r = at(State::EmailSaved, 100);
    let absent: email::Form = Form::from_pairs(&[("azione", "avanti")]).typed();
    assert_eq!(
        (absent.azione.as_str(), absent.username(&r)),
        ("avanti", "mario.rossi@example.it".into())
    );
    let empty: email::Form = Form::from_pairs(&[("azione", "avanti"), ("username", "")]).typed();
    assert_eq!(empty.username(&r), "", "an empty field is what was typed");
}
