//! Step 3: the profile (the entity against the SIM, a pending link killed).

use super::*;

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
