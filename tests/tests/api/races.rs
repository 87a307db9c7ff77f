//! Races, with exactly one winner: 100 registrations of one number and 100 claiming one
//! username completing at once, 100 concurrent submissions of one OTP, 100 concurrent
//! wrong guesses (the attempt counter stays exact), and a double-clicked AVANTI on every
//! step (one effect: no duplicate SMS or email). Real gateway, real LocalStack.

use domain::{CodiceFiscaleEnte, CodiceFiscalePersona, Email, MobileNumber, Username};
use e2e::register::*;
use e2e::{random_email, Portal};
use engine::flows::registration::{self, Line, Profile, Registration, Reserved};
use engine::record;
use futures::future::join_all;
use store::accounts;
use store::uniqueness::{self, Kind};
use store::AccountId;

const RACERS: usize = 100;

/// A client that sends exactly the cookie given and does not follow redirects, so each
/// response can be attributed.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A registration at step 5 (email confirmed), written directly: these races are about
/// the completing transaction, which is what decides who wins. Returns its cookie's value.
async fn confirmed_flow(p: &Portal, number: &str, email: &str, username: &str) -> String {
    let line = Line {
        entity_cf: CodiceFiscaleEnte::parse(ENTE).unwrap(),
        ragione_sociale: ENTE_NAME.into(),
    };
    let number = MobileNumber::parse(number).unwrap();
    let personal_cf = CodiceFiscalePersona::parse(cf_for(number.e164())).unwrap();
    let mut r = Registration::start(crypto_id(), number, line.clone(), p.app.now());
    r.otp_verified(false).unwrap();
    let profile = Profile {
        nome: "Mario".into(),
        cognome: "Rossi".into(),
        personal_cf,
        entity_cf: line.entity_cf,
    };
    r.profile_entered(profile, Default::default()).unwrap();
    let (email, username) = (
        Email::parse(email).unwrap(),
        Username::parse(username).unwrap(),
    );
    r.email_saved(Reserved {
        value: email,
        until: None,
    })
    .unwrap();
    r.email_sent(
        Reserved {
            value: username,
            until: None,
        },
        "h".into(),
    )
    .unwrap();
    r.email_confirmed("h").unwrap();
    let id = crypto_id();
    let (kind, ttl) = (registration::KIND, registration::TTL_SECS);
    let write = record::create_op(kind, &id, &r, ttl, p.app.now());
    p.app.store.transact(vec![write]).await.unwrap();
    registration::cookie_value(p.app, &id, 1, &r)
}

fn crypto_id() -> String {
    domain::crypto::random_token()
}

/// All racers submit step 5 at once; returns (status, location, body) per racer.
async fn complete_all(p: &Portal, cookies: &[String]) -> Vec<(u16, String, String)> {
    let client = raw_client();
    let fields = [
        ("password", PASSWORD),
        ("conferma_password", PASSWORD),
        ("termini", "si"),
        ("privacy", "si"),
    ];
    let sends = cookies.iter().map(|id| {
        client
            .post(format!("{}/registrazione/password", p.base))
            .header("cookie", format!("{}={id}", registration::COOKIE))
            .form(&fields)
            .send()
    });
    let mut out = vec![];
    for r in join_all(sends).await {
        let r = r.unwrap();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        out.push((status, location, r.text().await.unwrap()));
    }
    out
}

#[tokio::test]
async fn a_hundred_registrations_of_one_number_make_one_account() {
    let p = Portal::start_for_races().await;
    let number = new_line(&p).await;
    let mut cookies = vec![];
    for i in 0..RACERS {
        let email = random_email(&format!("num{i}"));
        cookies.push(confirmed_flow(&p, &number, &email, &email).await);
    }
    let results = complete_all(&p, &cookies).await;
    let winners = results
        .iter()
        .filter(|(s, l, _)| *s == 303 && l == "/registrazione/esito")
        .count();
    assert_eq!(
        winners,
        1,
        "{:?}",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    for (status, _, body) in results.iter().filter(|(s, _, _)| *s != 303) {
        assert_eq!(*status, 409);
        assert!(
            body.contains("Questo numero è stato appena registrato da un'altra registrazione"),
            "{body}"
        );
    }
    let owner = uniqueness::holder(p.app.store.as_ref(), Kind::Number, &number, p.app.now())
        .await
        .unwrap()
        .unwrap();
    assert!(
        accounts::get(p.app.store.as_ref(), owner.account().unwrap())
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_hundred_completions_claiming_one_username_make_one_account() {
    let p = Portal::start_for_races().await;
    let username = random_email("conteso");
    let mut cookies = vec![];
    for i in 0..RACERS {
        let number = new_line(&p).await;
        cookies.push(confirmed_flow(&p, &number, &random_email(&format!("u{i}")), &username).await);
    }
    let results = complete_all(&p, &cookies).await;
    assert_eq!(results.iter().filter(|(s, _, _)| *s == 303).count(), 1);
    assert!(results
        .iter()
        .filter(|(s, _, _)| *s != 303)
        .all(|(s, _, b)| *s == 409 && b.contains("La username scelta non è più disponibile")));
    let owner = uniqueness::holder(p.app.store.as_ref(), Kind::Username, &username, p.app.now())
        .await
        .unwrap()
        .unwrap();
    assert!(owner.to_string().starts_with("account:"));
}

/// A registered user at the login code page: (login_flow cookie id, number, account id).
async fn at_login_code(p: &Portal) -> (String, String, AccountId) {
    let number = new_line(p).await;
    let email = random_email("gara-otp");
    register(&p.as_browser(Portal::browser()), &number, &email).await;
    let r = raw_client()
        .post(format!("{}/accesso", p.base))
        .form(&[
            ("username", email.as_str()),
            ("password", PASSWORD),
            ("next", "/area-clienti"),
        ])
        .send()
        .await
        .unwrap();
    if r.status().as_u16() != 303 {
        panic!("login: {} {}", r.status(), r.text().await.unwrap());
    }
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("login_flow="))
        .unwrap();
    let id = cookie
        .trim_start_matches("login_flow=")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let account = accounts::by_claim(p.app.store.as_ref(), Kind::Username, &email, p.app.now())
        .await
        .unwrap()
        .unwrap();
    (id, number, account.id)
}

async fn submit_code_concurrently(
    p: &Portal,
    flow: &str,
    codes: Vec<String>,
) -> Vec<reqwest::Response> {
    let client = raw_client();
    let sends = codes.iter().map(|c| {
        client
            .post(format!("{}/accesso/codice", p.base))
            .header("cookie", format!("login_flow={flow}"))
            .form(&[("codice", c.as_str())])
            .send()
    });
    join_all(sends)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn a_hundred_submissions_of_one_code_open_one_session() {
    let p = Portal::start_for_races().await;
    let (flow, number, _) = at_login_code(&p).await;
    let code = p.last_code(&number).await;
    let responses = submit_code_concurrently(&p, &flow, vec![code; RACERS]).await;
    let sessions = responses
        .iter()
        .filter(|r| {
            r.headers().get_all("set-cookie").iter().any(|c| {
                c.to_str().unwrap().starts_with("session=")
                    && !c.to_str().unwrap().starts_with("session=;")
            })
        })
        .count();
    assert_eq!(sessions, 1, "exactly one request signs in");
    assert!(responses.iter().all(|r| r.status().as_u16() < 500));
}

#[tokio::test]
async fn a_hundred_wrong_guesses_are_counted_exactly() {
    let p = Portal::start_for_races().await;
    let (flow, number, account_id) = at_login_code(&p).await;
    let code = p.last_code(&number).await;
    let wrong = if code == "000000" { "111111" } else { "000000" }.to_owned();
    let responses = submit_code_concurrently(&p, &flow, vec![wrong; RACERS]).await;
    let mut bodies = vec![];
    for r in responses {
        bodies.push(r.text().await.unwrap());
    }
    let counted = bodies
        .iter()
        .filter(|b| b.contains("Codice errato: hai ancora"))
        .count();
    let refused = bodies.iter().filter(|b| b.contains("troppe volte")).count();
    assert_eq!(
        (counted, refused),
        (4, RACERS - 4),
        "4 guesses leave tries, the 5th and all later ones burn the code"
    );
    let item = p
        .app
        .store
        .get(&store::otp::code_key(
            store::otp::Purpose::Login,
            &account_id,
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        item.n("attempts"),
        Some(5),
        "the counter never passes the limit"
    );
    let late = submit_code_concurrently(&p, &flow, vec![code])
        .await
        .remove(0)
        .text()
        .await
        .unwrap();
    assert!(
        late.contains("troppe volte"),
        "the right code no longer works"
    );
}

/// Two identical submissions at once ("double click") on every step that sends something.
#[tokio::test]
async fn double_clicked_avanti_has_one_effect_on_every_step() {
    let p = Portal::start_for_races().await;
    let number = new_line(&p).await;
    let (client, jar) = Portal::browser_with_jar();
    let b = p.as_browser(client.clone());

    // Step 1: the same form (same slider challenge) twice → one flow, one SMS.
    let page = b.get("/registrazione/numero").await;
    p.clock.advance(3);
    let fields = page.form_fields("numero");
    let mut fields: Vec<(String, String)> = fields
        .into_iter()
        .filter(|(k, _)| k != "numero" && k != "conferma")
        .collect();
    fields.push(("numero".into(), number.clone()));
    fields.push(("conferma".into(), "100".into()));
    let twice = |path: &'static str, fields: Vec<(String, String)>| {
        let c = client.clone();
        let base = p.base.clone();
        async move {
            let a = c.post(format!("{base}{path}")).form(&fields).send();
            let b2 = c.post(format!("{base}{path}")).form(&fields).send();
            let (a, b2) = tokio::join!(a, b2);
            (a.unwrap().status().as_u16(), b2.unwrap().status().as_u16())
        }
    };
    let (s1, s2) = twice("/registrazione/numero", fields).await;
    assert!(s1 < 500 && s2 < 500);
    assert_eq!(
        p.sms_to_at_least(&number, 1).await.len(),
        1,
        "one SMS for a double click on step 1"
    );
    assert!(p.cookie_in(&jar, "reg_flow").is_some());

    // Step 2: the code twice → one transition.
    let code = p.last_code(&number).await;
    let (s1, s2) = twice("/registrazione/codice", vec![("codice".into(), code)]).await;
    assert!(s1 < 500 && s2 < 500);
    let page = b.get("/registrazione/dati").await;
    assert_eq!(page.path, "/registrazione/dati");

    // Step 3, 4 (SALVA, then AVANTI → one confirmation email).
    let page = fill_profile(&b, &page, cf_for(&number)).await;
    let email = random_email("doppio");
    b.submit(&page, "email", &[("email", &email)]).await;
    let (s1, s2) = twice(
        "/registrazione/email",
        vec![("azione".into(), "avanti".into())],
    )
    .await;
    assert!(s1 < 500 && s2 < 500);
    assert_eq!(
        p.emails_to(&email).await.len(),
        1,
        "one confirmation email for a double click"
    );

    // Step 5: one account, one summary email.
    let link = confirmation_link(&p, &email).await;
    e2e::register::confirm(&b, &link).await;
    let fields: Vec<(String, String)> = [
        ("password", PASSWORD),
        ("conferma_password", PASSWORD),
        ("termini", "si"),
        ("privacy", "si"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (s1, s2) = twice("/registrazione/password", fields).await;
    assert!(s1 < 500 && s2 < 500);
    let summaries = p
        .emails_to(&email)
        .await
        .into_iter()
        .filter(|m| m.subject.contains("Registrazione completata"))
        .count();
    assert_eq!(summaries, 1, "one summary email");

    // Login: the password twice → one SMS.
    p.clock.advance(60);
    let before = p.sms_to(&number).await.len();
    let fields: Vec<(String, String)> = vec![
        ("username".into(), email.clone()),
        ("password".into(), PASSWORD.into()),
        ("next".into(), "/area-clienti".into()),
    ];
    let (s1, s2) = twice("/accesso", fields).await;
    assert!(s1 < 500 && s2 < 500);
    assert_eq!(
        p.sms_to_at_least(&number, before + 1).await.len(),
        before + 1,
        "one login SMS for a double click"
    );
    let code = p.last_code(&number).await;
    let home = b.post("/accesso/codice", &[("codice", &code)]).await;
    assert_eq!(
        home.path,
        "/area-clienti",
        "the code works in the browser that double-clicked: {}",
        home.text()
    );

    // Recovery, mode 2 twice → one email; mode 3 twice → one SMS.
    let fields: Vec<(String, String)> = vec![
        ("modalita".into(), "password".into()),
        ("username".into(), email.clone()),
    ];
    twice("/recupero", fields).await;
    let resets = p
        .emails_to(&email)
        .await
        .into_iter()
        .filter(|m| m.subject.contains("nuova password"))
        .count();
    assert_eq!(resets, 1, "one reset email for a double click");
    p.clock.advance(60);
    let before = p.sms_to(&number).await.len();
    let fields: Vec<(String, String)> = vec![
        ("modalita".into(), "entrambe".into()),
        ("numero".into(), number.clone()),
        ("cf_personale".into(), cf_for(&number).into()),
    ];
    twice("/recupero", fields).await;
    assert_eq!(
        p.sms_to_at_least(&number, before + 1).await.len(),
        before + 1,
        "one recovery SMS for a double click"
    );
}
