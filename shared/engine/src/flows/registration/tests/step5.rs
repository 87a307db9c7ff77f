//! Step 5: the account and its claims, a superseded account ceased.

use super::*;

fn complete(app: &App, data: Registration, superseded: Vec<Account>) -> Outcome<Refusal> {
    let superseded = superseded
        .into_iter()
        .map(|account| password::Superseded {
            account,
            proved_at: None,
            passkeys: vec![],
        })
        .collect();
    password::complete(app, carried(data), &aid("acc1"), "hash", superseded, None)
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
        store
            .get(&accounts::key(&aid("acc1")))
            .await
            .unwrap()
            .is_none(),
        "all or nothing"
    );
}
