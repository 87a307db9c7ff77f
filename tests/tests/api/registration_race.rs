//! Races through the whole registration as users do it (GET each page, POST its form,
//! codes from the SMS, links from the email), each racer with its own cookie jar and
//! client address, against the real gateway and LocalStack:
//! - 20 registrations of the same number: at step 1 the per-number SMS cap holds under
//!   concurrency; driven to completion, exactly one account gets the number and every other
//!   racer is told why, in Italian;
//! - 20 registrations choosing the same username, driven to completion: one account holds it.
//!
//! (`races.rs` races 100 completions with flows written straight into the table; here every
//! racer reaches the race through the pages.) Each test has its own table: the global hourly
//! SMS budget is one counter per table, and the rest of the suite sends many SMS.

use e2e::register::*;
use e2e::{random_email, random_number, Page, Portal};
use futures::future::join_all;
use std::sync::Arc;
use store::accounts::{self, Status};
use store::uniqueness::{self, Kind};
use store::AccountId;
use tokio::sync::Barrier;

const RACERS: usize = 20;
/// `store::limits::SMS_PER_NUMBER.max`: codes per number per hour.
const SMS_PER_NUMBER_PER_HOUR: usize = 5;

const SMS_CAP_MESSAGE: &str =
    "Hai richiesto troppi codici per questo numero nell'ultima ora. Riprova più tardi.";
const NUMBER_TAKEN_MESSAGE: &str =
    "Questo numero è stato appena registrato da un'altra registrazione: se è la tua, accedi o recupera le tue \
        credenziali.";
const USERNAME_TAKEN_MESSAGE: &str = "Questa username è già in uso: scegline un'altra.";

/// A portal on its own table `table`, with the AWS timeout of `Portal::start_for_races`.
async fn portal(table: &str) -> Portal {
    let table = table.to_owned();
    Portal::start_full(
        move |c| {
            c.table_name = table;
            c.aws_timeout = std::time::Duration::from_secs(60);
        },
        |app| async move { app },
    )
    .await
}

/// `RACERS` browsers on the same portal (same gateway and clock), each with its own cookies
/// and address.
fn racers(p: &Portal) -> Vec<Portal> {
    (0..RACERS)
        .map(|_| p.as_browser(Portal::browser()))
        .collect()
}

/// The accounts stored for `attr` = `value`, by scanning the table (no index exists: the
/// scan sees every account, whatever claims point at it).
async fn accounts_with(p: &Portal, attr: &str, value: &str) -> Vec<AccountId> {
    let config = &p.app.config;
    let client = aws_sdk_dynamodb::Client::new(&engine::app::sdk_config(config).await);
    let mut pages = client
        .scan()
        .table_name(&config.table_name)
        .consistent_read(true)
        .filter_expression(format!(
            "begins_with({}, :p) AND #a = :v",
            store::schema::PK
        ))
        .expression_attribute_names("#a", attr)
        .expression_attribute_values(
            ":p",
            aws_sdk_dynamodb::types::AttributeValue::S(accounts::PREFIX.into()),
        )
        .expression_attribute_values(
            ":v",
            aws_sdk_dynamodb::types::AttributeValue::S(value.into()),
        )
        .into_paginator()
        .send();
    let mut ids = vec![];
    while let Some(page) = pages.next().await {
        for item in page.expect("scan the test table").items() {
            let pk = item
                .get(store::schema::PK)
                .and_then(|v| v.as_s().ok())
                .expect("pk");
            ids.push(accounts::id_of(&store::Key::new(pk, "")).expect("an account's key"));
        }
    }
    ids
}

/// The step-1 pages of all racers, served before the clock moves past the human pause.
async fn step1_pages(users: &[Portal]) -> Vec<Page> {
    let pages = join_all(users.iter().map(|u| u.get("/registrazione/numero"))).await;
    assert!(pages.iter().all(|p| p.status == 200));
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_simultaneous_starts_for_one_number_send_at_most_five_codes() {
    let p = portal("portale-test-regrace-cap").await;
    // Its caps are hourly windows: count inside one.
    p.align_clock(3600);
    let number = new_line(&p).await;
    let users = racers(&p);
    let pages = step1_pages(&users).await;
    p.clock.advance(3);
    let fields = [("numero", number.as_str()), ("conferma", "100")];
    let results = join_all(
        users
            .iter()
            .zip(&pages)
            .map(|(u, page)| u.submit(page, "numero", &fields)),
    )
    .await;

    let started = results
        .iter()
        .filter(|r| r.path == "/registrazione/codice")
        .count();
    assert_eq!(
        started,
        SMS_PER_NUMBER_PER_HOUR,
        "{:?}",
        results
            .iter()
            .map(|r| (r.status, r.path.as_str()))
            .collect::<Vec<_>>()
    );
    for r in results.iter().filter(|r| r.path != "/registrazione/codice") {
        assert_eq!(r.status, 429, "{}", r.text());
        assert_eq!(r.field_error("numero").as_deref(), Some(SMS_CAP_MESSAGE));
        assert_eq!(
            r.input_value("numero").as_deref(),
            Some(number.as_str()),
            "what was typed is kept"
        );
    }
    assert_eq!(
        p.sms_to_at_least(&number, SMS_PER_NUMBER_PER_HOUR)
            .await
            .len(),
        SMS_PER_NUMBER_PER_HOUR,
        "one SMS per started registration, no more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_registrations_of_one_number_make_one_account() {
    let p = portal("portale-test-regrace-number").await;
    let number = new_line(&p).await;
    let users = racers(&p);

    // Steps 1-2 one racer after the other: the phone shows one code per SMS with nothing
    // saying which registration asked for it, and at most 5 codes per hour reach a number
    // (the test above races that cap), so every 5 racers the clock moves to the next hour.
    let mut profile_pages = vec![];
    for (i, u) in users.iter().enumerate() {
        if i > 0 && i % SMS_PER_NUMBER_PER_HOUR == 0 {
            p.clock.advance(3600);
        }
        let page = through_otp(u, &number).await;
        assert_eq!(
            page.path,
            "/registrazione/dati",
            "racer {i}: {}",
            page.text()
        );
        profile_pages.push(page);
    }

    // Steps 3-5 all at once; everyone reaches the password page before anyone submits it.
    let barrier = Arc::new(Barrier::new(RACERS));
    let emails: Vec<String> = (0..RACERS)
        .map(|i| random_email(&format!("stesso.numero{i}")))
        .collect();
    let cf = cf_for(&number);
    let outcomes = join_all(users.iter().zip(&profile_pages).zip(&emails).map(
        |((u, page), email)| {
            let barrier = barrier.clone();
            async move {
                let page = fill_profile(u, page, cf).await;
                assert_eq!(
                    page.path,
                    "/registrazione/email",
                    "no account yet, so no duplicate: {}",
                    page.text()
                );
                let page = u.submit(&page, "email", &[("email", email)]).await;
                assert!(
                    page.contains(&format!("Username: {email}")),
                    "{}",
                    page.text()
                );
                let page = u.submit(&page, "azione", &[]).await;
                assert!(
                    page.contains("Ti abbiamo inviato una email"),
                    "{}",
                    page.text()
                );
                let link = confirmation_link(u, email).await;
                assert!(e2e::register::confirm(u, &link)
                    .await
                    .contains("Email Confermata"));
                let page = u.get("/registrazione/password").await;
                assert_eq!(page.path, "/registrazione/password");
                barrier.wait().await;
                let fields = [
                    ("password", PASSWORD),
                    ("conferma_password", PASSWORD),
                    ("termini", "si"),
                    ("privacy", "si"),
                ];
                u.submit(&page, "password", &fields).await
            }
        },
    ))
    .await;

    let winners: Vec<usize> = (0..RACERS)
        .filter(|&i| outcomes[i].path == "/registrazione/esito")
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        outcomes
            .iter()
            .map(|o| (o.status, o.path.as_str()))
            .collect::<Vec<_>>()
    );
    let winner = winners[0];
    assert!(outcomes[winner].contains("Richiesta inviata con successo"));
    assert!(outcomes[winner]
        .contains("Ti abbiamo inviato una email per ricordarti i tuoi dati di accesso."));
    for (i, o) in outcomes.iter().enumerate().filter(|(i, _)| *i != winner) {
        assert_eq!(
            (o.status, o.path.as_str()),
            (409, "/registrazione/password"),
            "racer {i}: {}",
            o.text()
        );
        assert_eq!(
            o.field_error("password").as_deref(),
            Some(NUMBER_TAKEN_MESSAGE),
            "racer {i}"
        );
        // Trying again changes nothing, and the page still explains why.
        let again = users[i].get("/registrazione/password").await;
        let retry = users[i]
            .submit(
                &again,
                "password",
                &[
                    ("password", PASSWORD),
                    ("conferma_password", PASSWORD),
                    ("termini", "si"),
                    ("privacy", "si"),
                ],
            )
            .await;
        assert_eq!(
            retry.field_error("password").as_deref(),
            Some(NUMBER_TAKEN_MESSAGE),
            "racer {i} retrying"
        );
    }

    // Exactly one account exists for the number, the winner's, and it holds the number.
    let store = p.app.store.as_ref();
    let ids = accounts_with(&p, "number", &number).await;
    assert_eq!(ids.len(), 1, "accounts for {number}: {ids:?}");
    let owner = uniqueness::holder(store, Kind::Number, &number, p.app.now())
        .await
        .unwrap()
        .expect("number claimed");
    assert_eq!(owner.account(), Some(&ids[0]));
    let account = accounts::get(store, &ids[0])
        .await
        .unwrap()
        .expect("the account");
    assert_eq!(
        (
            account.status,
            account.email.as_str(),
            account.username.as_str()
        ),
        (
            Status::Active,
            emails[winner].as_str(),
            emails[winner].as_str()
        )
    );
    // Only the winner got the summary email; no loser's email or username became an account's.
    for (i, email) in emails.iter().enumerate() {
        let summaries = p
            .emails_to(email)
            .await
            .into_iter()
            .filter(|m| m.subject.contains("Registrazione completata"))
            .count();
        assert_eq!(
            summaries,
            usize::from(i == winner),
            "summary emails to racer {i}"
        );
        if i != winner {
            let holder = uniqueness::holder(store, Kind::Email, email, p.app.now())
                .await
                .unwrap()
                .map(|o| o.to_string())
                .unwrap_or_default();
            assert!(
                !holder.starts_with("account:"),
                "racer {i}'s email is held by {holder}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_registrations_choosing_one_username_make_one_account() {
    let p = portal("portale-test-regrace-username").await;
    let username = format!("gara.completa.{}", rand::random::<u32>());
    let users = racers(&p);
    let numbers: Vec<String> = (0..RACERS).map(|_| random_number()).collect();
    for n in &numbers {
        p.add_line(n, ENTE, ENTE_NAME, true).await;
    }
    let emails: Vec<String> = (0..RACERS)
        .map(|i| random_email(&format!("gara{i}")))
        .collect();

    // Everyone registers at once (different numbers), each choosing the same username with
    // MODIFICA; the AVANTI that reserves it is sent by all together.
    let barrier = Arc::new(Barrier::new(RACERS));
    let outcomes = join_all(
        users
            .iter()
            .zip(&numbers)
            .zip(&emails)
            .map(|((u, number), email)| {
                let barrier = barrier.clone();
                let username = username.clone();
                async move {
                    let page = through_profile(u, number).await;
                    assert_eq!(page.path, "/registrazione/email", "{}", page.text());
                    u.submit(&page, "email", &[("email", email)]).await;
                    let edit = u.get("/registrazione/email?modifica=username").await;
                    assert!(
                        edit.input_value("username").is_some(),
                        "MODIFICA shows the username field"
                    );
                    barrier.wait().await;
                    let sent = u
                        .submit(&edit, "username", &[("username", &username)])
                        .await;
                    if !sent.contains("Ti abbiamo inviato una email") {
                        return (false, sent);
                    }
                    let link = confirmation_link(u, email).await;
                    (true, complete(u, &link).await)
                }
            }),
    )
    .await;

    let winners: Vec<usize> = (0..RACERS).filter(|&i| outcomes[i].0).collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        outcomes
            .iter()
            .map(|(_, o)| (o.status, o.path.as_str()))
            .collect::<Vec<_>>()
    );
    let winner = winners[0];
    let done = &outcomes[winner].1;
    assert_eq!(done.path, "/registrazione/esito", "{}", done.text());
    assert!(done.contains("Richiesta inviata con successo"));
    for (i, (_, o)) in outcomes.iter().enumerate().filter(|(i, _)| *i != winner) {
        assert_eq!(
            (o.status, o.path.as_str()),
            (409, "/registrazione/email"),
            "racer {i}: {}",
            o.text()
        );
        assert_eq!(
            o.field_error("username").as_deref(),
            Some(USERNAME_TAKEN_MESSAGE),
            "racer {i}"
        );
        assert_eq!(
            o.input_value("username").as_deref(),
            Some(username.as_str()),
            "racer {i}: what was typed is kept"
        );
        // The loser cannot skip ahead to completion with the taken username.
        assert_eq!(
            users[i].get("/registrazione/password").await.path,
            "/registrazione/email",
            "racer {i}"
        );
        assert!(
            p.emails_to(&emails[i]).await.is_empty(),
            "no confirmation email to racer {i}"
        );
    }

    let store = p.app.store.as_ref();
    let ids = accounts_with(&p, "username", &username).await;
    assert_eq!(ids.len(), 1, "accounts with username {username}: {ids:?}");
    let owner = uniqueness::holder(store, Kind::Username, &username, p.app.now())
        .await
        .unwrap()
        .expect("username claimed");
    assert_eq!(owner.account(), Some(&ids[0]));
    let account = accounts::get(store, &ids[0]).await.unwrap().unwrap();
    assert_eq!(
        (account.number.as_str(), account.email.as_str()),
        (numbers[winner].as_str(), emails[winner].as_str())
    );
}
