//! The home's line (issue 23, item 8): shown from the account's copy of its line, which
//! every write of the line keeps in step in the same transaction (an import, the help
//! desk's status command), so the home reads no line; an account written before the copy
//! existed shows the line read from the table.

use domain::{CodiceFiscaleEnte, MobileNumber};
use e2e::quick;
use e2e::register::{ENTE, ENTE_NAME};
use e2e::Portal;
use store::accounts;
use store::lines::{self, Line, Profile};

fn line(number: &str, entity: &str, name: &str, active: bool, profile: Profile) -> Line {
    Line {
        number: MobileNumber::parse(number).unwrap(),
        entity_cf: CodiceFiscaleEnte::parse(entity).unwrap(),
        ragione_sociale: name.into(),
        active,
        profile,
    }
}

async fn admin(p: &Portal, command: &[&str]) -> portale_admin::helpdesk::Output {
    let words: Vec<String> = command.iter().map(|w| (*w).to_owned()).collect();
    e2e::admin::run(p, &words, Some("mario.b")).await
}

#[tokio::test]
async fn the_home_shows_every_change_of_the_line() {
    let p = Portal::start().await;
    let entity = quick::random_entity();
    let h = quick::account(&p, &entity, Profile::Utente).await;
    let home = e2e::sign_in::holder(&p, &h).await;
    assert_eq!(home.path, "/area-clienti", "{}", home.text());
    assert!(
        home.contains("Attiva") && home.contains("Utente"),
        "{}",
        home.text()
    );
    assert!(!home.contains("Referente dell'Ente"), "{}", home.text());

    // An import makes the holder its entity's referente under a new name: the signed-in
    // home shows it on the next request, without a new login.
    let renamed = format!("ENTE RINOMINATO {entity}");
    let referente = line(&h.number, &entity, &renamed, true, Profile::Referente);
    lines::upsert(p.app.store.as_ref(), &referente)
        .await
        .unwrap();
    let home = p.get("/area-clienti").await;
    assert_eq!(home.path, "/area-clienti");
    assert!(
        home.contains("Referente dell'Ente") && home.contains(&renamed),
        "{}",
        home.text()
    );

    // The help desk ceases the line (the session ends) and reactivates it: the next login's
    // home says so.
    let number = MobileNumber::parse(&h.number).unwrap().pretty();
    for status in ["cessata", "attiva"] {
        let o = admin(
            &p,
            &["lines", "set-status", &number, status, "--motivo", "prova"],
        )
        .await;
        assert_eq!(o.code, portale_admin::helpdesk::Exit::Ok, "{}", o.stderr);
    }
    p.clock.advance(31);
    let home = e2e::sign_in::holder(&p, &h).await;
    assert_eq!(home.path, "/area-clienti", "{}", home.text());
    assert!(
        home.contains("Attiva") && home.contains("Referente dell'Ente"),
        "{}",
        home.text()
    );
}

#[tokio::test]
async fn an_account_without_the_copy_shows_the_line_it_reads() {
    let p = Portal::start().await;
    let h = quick::account(&p, ENTE, Profile::Utente).await;
    let referente = line(&h.number, ENTE, ENTE_NAME, true, Profile::Referente);
    lines::upsert(p.app.store.as_ref(), &referente)
        .await
        .unwrap();
    // The account as it was stored before accounts carried their line.
    let store = p.app.store.as_ref();
    let account = accounts::get(store, &h.id).await.unwrap().unwrap();
    let key = accounts::key(&h.id);
    store
        .put(&key, accounts::to_item(&account), None)
        .await
        .unwrap();
    let home = e2e::sign_in::holder(&p, &h).await;
    assert_eq!(home.path, "/area-clienti", "{}", home.text());
    assert!(home.contains("Referente dell'Ente"), "{}", home.text());
}
