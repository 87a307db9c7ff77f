//! Accounts and entities made directly in the table (through `import-accounts`, the ops
//! path), for tests about what happens *to* an account — the help desk's commands, the
//! referente's page — rather than about registering one (`register` does that, slowly).

use crate::register::{cf_for, PASSWORD};
use crate::{random_email, random_number, Portal};
use domain::{CodiceFiscaleEnte, MobileNumber, Password};
use rand::Rng;
use store::lines::{self, Line, Profile};

/// An entity of its own (a valid, random codice fiscale), so that its list of lines holds
/// exactly what the test put there.
pub fn random_entity() -> String {
    loop {
        let digits: Vec<u32> = (0..10)
            .map(|_| rand::thread_rng().gen_range(0..10))
            .collect();
        // The partita IVA check digit: odd positions as they are, even ones doubled (−9).
        let sum: u32 = digits
            .iter()
            .enumerate()
            .map(|(i, d)| {
                if i % 2 == 0 {
                    *d
                } else {
                    (d * 2) % 10 + (d * 2) / 10
                }
            })
            .sum();
        let check = (10 - sum % 10) % 10;
        let cf: String = digits
            .iter()
            .chain(std::iter::once(&check))
            .map(|d| char::from_digit(*d, 10).unwrap())
            .collect();
        if CodiceFiscaleEnte::parse(&cf).is_ok() {
            return cf;
        }
    }
}

/// Who the audit records of the fixtures' imports name: the tests' harness (it writes
/// through the library, not as an AWS caller).
pub fn harness() -> portale_admin::helpdesk::audit::Signed {
    portale_admin::helpdesk::audit::Signed {
        operator: "e2e::quick".into(),
        note: String::new(),
        reason: "dati di prova".into(),
    }
}

/// A line of `entity` in the table (with its index item).
pub async fn line(p: &Portal, number: &str, entity: &str, active: bool, profile: Profile) {
    let line = Line {
        number: MobileNumber::parse(number).unwrap(),
        entity_cf: CodiceFiscaleEnte::parse(entity).unwrap(),
        ragione_sociale: format!("ENTE DI PROVA {entity}"),
        active,
        profile,
    };
    lines::upsert(p.app.store.as_ref(), &line).await.unwrap();
}

/// An account holding its own active line of `entity`.
pub struct Holder {
    pub id: store::AccountId,
    pub number: String,
    pub username: String,
    pub personal_cf: String,
}

/// An account with the password `register::PASSWORD` on a new active line of `entity`.
pub async fn account(p: &Portal, entity: &str, profile: Profile) -> Holder {
    let number = random_number();
    line(p, &number, entity, true, profile).await;
    let username = random_email("assistenza");
    let hash = domain::passwords::hash(&Password::parse(PASSWORD, &[]).unwrap());
    let cf = cf_for(&number);
    let csv = format!(
        "username;email;numero;nome;cognome;codice_fiscale;codice_fiscale_ente;password_hash\n\
         {username};{username};{number};Lucia;Bianchi;{cf};{entity};{hash}\n"
    );
    let report = portale_admin::import_accounts::import(
        p.app.store.as_ref(),
        csv.as_bytes(),
        p.app.now(),
        &harness(),
    )
    .await
    .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let id =
        portale_admin::import_accounts::account_id(&domain::Username::parse(&username).unwrap());
    // As if the terms in force had been accepted at registration (an imported account is
    // asked to accept them at its first login, which these tests are not about).
    let accepted = store::accounts::accept_versions_op(
        &id,
        domain::documents::TERMS_VERSION,
        domain::documents::PRIVACY_VERSION,
        p.app.now(),
    );
    p.app.store.transact(vec![accepted]).await.unwrap();
    Holder {
        id,
        number,
        username,
        personal_cf: cf.to_owned(),
    }
}

/// An account of a user (profile Utente) on an entity of its own.
pub async fn user(p: &Portal) -> Holder {
    account(p, &random_entity(), Profile::Utente).await
}
