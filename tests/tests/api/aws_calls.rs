//! AWS calls per flow, counted at the clients' boundary (one Store call = one DynamoDB
//! API call; one outbox post = one SQS SendMessage, made by the request; then, by the
//! outbox's consumer, one SMS = one SNS Publish and one email = one SES SendEmail) through
//! full flows on LocalStack. Fails if a flow needs more calls than its budget (issue #8):
//! the counts printed here are the ones BENCHMARKS.md turns into a cost.

use e2e::counting::Counts;
use e2e::register::*;
use e2e::sign_in::sign_in;
use e2e::{random_email, random_number, Portal};
use std::sync::Arc;

struct Budget {
    dynamodb: usize,
    /// SendMessage: one per request that sends (its batch), never one per message.
    sqs: usize,
    sns: usize,
    ses: usize,
}

async fn check(p: &Portal, flow: &str, counts: &Counts, budget: Budget) {
    // The consumer's SNS / SES calls happen after the request: count them once delivered.
    p.settle().await;
    println!(
        "{flow}: DynamoDB {} · SQS {} · SNS {} · SES {} · {:?}",
        counts.dynamodb(),
        counts.sqs(),
        counts.sns(),
        counts.ses(),
        counts.snapshot()
    );
    // The consumer's delivery records (`store::sent`), not the steps' calls: per message
    // sent a claim (PutItem) and its mark (UpdateItem); a copy received again (SQS's
    // at-least-once, under load) adds a refused PutItem and a GetItem, never a send.
    let consumer = counts.consumer();
    let n = |api| consumer.get(api).copied().unwrap_or(0);
    let sent = counts.sns() + counts.ses();
    assert_eq!(
        n("UpdateItem"),
        sent,
        "{flow}: one mark per message sent: {consumer:?}"
    );
    assert!(
        n("PutItem") >= sent,
        "{flow}: one claim per message sent: {consumer:?}"
    );
    assert!(
        counts.dynamodb() <= budget.dynamodb,
        "{flow}: {} DynamoDB calls > budget {}",
        counts.dynamodb(),
        budget.dynamodb
    );
    assert_eq!(
        counts.sqs(),
        budget.sqs,
        "{flow}: one SQS SendMessage per step that sends"
    );
    assert_eq!(counts.sns(), budget.sns, "{flow}: one SNS call per SMS");
    assert_eq!(counts.ses(), budget.ses, "{flow}: one SES call per email");
}

#[tokio::test]
async fn aws_calls_per_flow_stay_within_budget() {
    let counts = Arc::new(Counts::default());
    let p = Portal::start_counting(counts.clone()).await;
    let number = new_line(&p).await;
    let email = random_email("conteggio");

    counts.reset();
    register(&p, &number, &email).await;
    // Pages shown along the way (GETs) are part of the flow as a user runs it.
    // Sends at step 1 (SMS), step 4 (confirmation link) and step 6 (summary).
    check(
        &p,
        "registrazione",
        &counts,
        Budget {
            dynamodb: REGISTRATION_DYNAMODB,
            sqs: 3,
            sns: 1,
            ses: 2,
        },
    )
    .await;

    let b = p.as_browser(Portal::browser());
    let page = b.get("/accesso").await;
    counts.reset();
    let page = b
        .submit(
            &page,
            "username",
            &[("username", &email), ("password", PASSWORD)],
        )
        .await;
    let code = b.last_code(&number).await;
    let home = b.submit(&page, "codice", &[("codice", &code)]).await;
    assert_eq!(home.path, "/area-clienti");
    check(
        &p,
        "accesso",
        &counts,
        Budget {
            dynamodb: LOGIN_DYNAMODB,
            sqs: 1,
            sns: 1,
            ses: 0,
        },
    )
    .await;

    // SQS: one post per step that sends (mode 1's SMS and email are one batch).
    for (mode, fields, sqs, sns, ses) in [
        (
            "username",
            vec![
                ("numero", number.as_str()),
                ("cf_personale", cf_for(&number)),
            ],
            1,
            1,
            1,
        ),
        ("password", vec![("username", email.as_str())], 1, 0, 1),
        (
            "entrambe",
            vec![
                ("numero", number.as_str()),
                ("cf_personale", cf_for(&number)),
            ],
            1,
            1,
            0,
        ),
    ] {
        p.clock.advance(31);
        let r = p.as_browser(Portal::browser());
        let page = r.get(&format!("/recupero?modalita={mode}")).await;
        counts.reset();
        let page = r.submit(&page, "modalita", &fields).await;
        let (sqs, sns, ses) = if mode == "entrambe" {
            let code = r.last_code(&number).await;
            r.submit(&page, "codice", &[("codice", &code)]).await;
            (sqs + 1, sns, ses + 1)
        } else {
            (sqs, sns, ses)
        };
        check(
            &p,
            &format!("recupero {mode}"),
            &counts,
            Budget {
                dynamodb: RECOVERY_DYNAMODB,
                sqs,
                sns,
                ses,
            },
        )
        .await;
    }
}

/// The issue-14 budgets, as hard ceilings (every page the user sees is counted): the step
/// engine reads a step's facts in one or two batches, commits its writes and counters in
/// one transaction, and GET pages read their state from the sealed cookie (the code's
/// guess is counted before its transaction, and the confirmation link reads its token).
/// Issue 21 added one: step 5 reads its flow before hashing the password (a stale or
/// replayed cookie is refused by that read, not after argon2).
const REGISTRATION_DYNAMODB: usize = 13;
/// Issue 15 added one (the home showed the line's status with a GetItem of the line); issue 23
/// took it back: the account item carries a copy of its line, read with the session.
const LOGIN_DYNAMODB: usize = 6;
const RECOVERY_DYNAMODB: usize = 6;
/// Issue 24: a login by passkey, from its button to the home — the assertion's two reads
/// (the ceremony, the credential's lookup and the client's failures; then the account and
/// this browser) and its transaction, then the home's one. The options passkey.js asks at
/// page load (one transaction: the ceremony and the client's window) come before the person
/// does anything, as the login page itself does; counted apart (`PASSKEY_OPTIONS_DYNAMODB`).
const PASSKEY_LOGIN_DYNAMODB: usize = 4;
const PASSKEY_OPTIONS_DYNAMODB: usize = 1;

/// A login by passkey, counted: no SMS, no SNS call; the calls in order.
#[tokio::test]
async fn a_passkey_login_stays_within_its_budget() {
    let counts = Arc::new(Counts::default());
    let p = Portal::start_counting(counts.clone()).await;
    let mut u = crate::passkey_login::with_passkey(&p).await;
    p.settle().await;
    counts.reset();
    let (status, opts) = crate::passkey_login::options(&u.b).await;
    assert_eq!(status, 200, "{opts}");
    println!("passkey opzioni: {:?}", counts.request_path());
    assert_eq!(
        counts.request_path(),
        ["TransactWriteItems"],
        "the options: one transaction"
    );
    assert_eq!(counts.dynamodb(), PASSKEY_OPTIONS_DYNAMODB);
    counts.reset();
    let assertion = u.device.get(&opts).unwrap();
    let id = crate::passkey_login::ceremony(&opts);
    let home = crate::passkey_login::post_assertion(&u.b, &id, &assertion).await;
    assert_eq!(home.path, "/area-clienti", "{}", home.text());
    assert_eq!(
        counts.request_path(),
        [
            "BatchGetItem",
            "BatchGetItem",
            "TransactWriteItems",
            "BatchGetItem"
        ],
        "the assertion (two reads, one transaction), then the home"
    );
    // The browser logged in here before (its device is known): no email, nothing posted.
    check(
        &p,
        "accesso con passkey",
        &counts,
        Budget {
            dynamodb: PASSKEY_LOGIN_DYNAMODB,
            sqs: 0,
            sns: 0,
            ses: 0,
        },
    )
    .await;
    // A refused assertion: the same two reads and one transaction (the ceremony used up,
    // the failure counted), whatever the reason.
    u.b.post("/esci", &[]).await;
    counts.reset();
    let refused = crate::passkey_login::post_assertion(&u.b, &id, &assertion).await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        counts.request_path(),
        ["BatchGetItem", "BatchGetItem", "TransactWriteItems"],
        "a replayed ceremony"
    );
    counts.reset();
    let unknown = crate::passkey_login::post_assertion(&u.b, "x", "{}").await;
    assert_eq!(unknown.status, 401);
    assert_eq!(
        counts.request_path(),
        ["BatchGetItem", "BatchGetItem", "TransactWriteItems"],
        "garbage: the same calls"
    );
}

/// What a request does, as AWS sees it: for data that match an account and for data that
/// do not, the same calls in the same order (issue 14). Each case runs on a fresh client
/// (its own address: the per-IP caps are not what is compared).
#[tokio::test]
async fn known_and_unknown_data_make_the_same_aws_calls() {
    let counts = Arc::new(Counts::default());
    let p = Portal::start_counting(counts.clone()).await;
    let number = new_line(&p).await;
    let email = random_email("sequenza");
    register(&p, &number, &email).await;
    let stranger = new_line(&p).await;

    // The calls of one submission of `path`'s form, from a fresh client.
    let calls = |path: String, marker: &'static str, fields: Vec<(&'static str, String)>| {
        let (p, counts) = (&p, counts.clone());
        async move {
            p.clock.advance(31);
            let b = p.as_browser(Portal::browser());
            let page = b.get(&path).await;
            counts.reset();
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let answer = b.submit(&page, marker, &refs).await;
            (counts.request_path(), answer.status, answer.path)
        }
    };
    let login = |user: String| {
        vec![
            ("username", user),
            ("password", "Sbagliata-Del-Tutto-1!".to_owned()),
        ]
    };
    let person = |n: &str| {
        vec![
            ("numero", n.to_owned()),
            ("cf_personale", cf_for(n).to_owned()),
        ]
    };
    let cases = [
        (
            "accesso",
            "/accesso".to_owned(),
            "username",
            login(email.clone()),
            login(random_email("nessuno")),
        ),
        (
            "recupero username",
            "/recupero?modalita=username".into(),
            "modalita",
            person(&number),
            person(&stranger),
        ),
        (
            "recupero password",
            "/recupero?modalita=password".into(),
            "modalita",
            vec![("username", email.clone())],
            vec![("username", random_email("nessuno"))],
        ),
        (
            "recupero entrambe",
            "/recupero?modalita=entrambe".into(),
            "modalita",
            person(&number),
            person(&stranger),
        ),
    ];
    for (name, path, marker, known, unknown) in cases {
        let k = calls(path.clone(), marker, known).await;
        let u = calls(path, marker, unknown).await;
        println!("{name}: {:?}", k.0);
        assert!(!k.0.is_empty(), "{name}: no call counted");
        assert_eq!(k, u, "{name}: known vs unknown data (calls, status, page)");
    }
}

/// Registration step 1 makes the same AWS calls, in the same order, for a number that
/// already has an account and for one that has none (issue 14): one read (the line, the
/// number's claim and its SMS counters together), one transaction, one post to the outbox.
#[tokio::test]
async fn registration_step_one_calls_alike_for_registered_and_new_numbers() {
    let counts = Arc::new(Counts::default());
    let p = Portal::start_counting(counts.clone()).await;
    let (registered, fresh) = (random_number(), random_number());
    for n in [&registered, &fresh] {
        p.add_line(n, ENTE, ENTE_NAME, true).await;
    }
    let email = random_email("sequenza");
    register(&p.as_browser(Portal::browser()), &registered, &email).await;
    p.clock.advance(31);
    let mut sequences = Vec::new();
    for n in [&registered, &fresh] {
        let b = p.as_browser(Portal::browser());
        counts.reset();
        let page = step1(&b, n).await;
        assert_eq!(page.path, "/registrazione/codice", "{}", page.text());
        sequences.push(counts.request_path());
    }
    println!("step 1: {:?}", sequences[0]);
    assert_eq!(sequences[0], sequences[1], "registered vs new number");
    assert_eq!(
        sequences[0],
        ["BatchGetItem", "TransactWriteItems", "SendMessage"]
    );
}

/// Issue 15: each change in the private area (the POST that makes it, not the page shown
/// after it) makes at most four DynamoDB calls: the session check (one batch), what the
/// change reads (a lock counter, a link), and one transaction. The deletion's last step
/// also reads the three lists it erases with the account (issue 21 item 6).
#[tokio::test]
async fn each_settings_change_makes_at_most_four_dynamodb_calls() {
    let counts = Arc::new(Counts::default());
    let p = Portal::start_counting(counts.clone()).await;
    let number = new_line(&p).await;
    let email = random_email("impostazioni");
    register(&p.as_browser(Portal::browser()), &number, &email).await;
    let (client, jar) = Portal::browser_with_jar();
    let b = p.as_browser(client);
    assert_eq!(
        sign_in(&b, &number, &email, PASSWORD).await.path,
        "/area-clienti"
    );
    // Another device, whose session "Esci da tutti gli altri dispositivi" ends.
    p.clock.advance(31);
    let other = p.as_browser(Portal::browser());
    assert_eq!(
        sign_in(&other, &number, &email, PASSWORD).await.path,
        "/area-clienti"
    );
    // The same browser, seen one request at a time (no redirect followed).
    let raw = e2e::simulated_client()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let new_email = random_email("nuovo-indirizzo");
    let new_password = "Altra-Password-2027!";
    counts.reset();
    let asked = raw
        .post(format!("{}/area-clienti/email", b.base))
        .form(&[("email", new_email.as_str())]);
    assert_eq!(asked.send().await.unwrap().status(), 303);
    report_settings(&p, "email", &counts).await;
    // The email link, opened elsewhere: its page reads, its button changes.
    let mail = p.emails_to(&new_email).await;
    let link = mail[0]
        .text
        .split_whitespace()
        .find(|w| w.contains("conferma?t="))
        .unwrap()
        .to_owned();
    let token = link.split("t=").nth(1).unwrap().to_owned();
    counts.reset();
    let confirm = Portal::browser()
        .post(format!("{}/area-clienti/email/conferma", b.base))
        .form(&[("t", token)]);
    assert_eq!(
        confirm.send().await.unwrap().status(),
        200,
        "confirmed, and the page after it"
    );
    report_settings(&p, "conferma email", &counts).await;

    let changes: Vec<Change> = vec![
        (
            "sessioni",
            "/area-clienti/sessioni",
            vec![("sessione", "altri")],
        ),
        (
            "password",
            "/area-clienti/password",
            vec![
                ("password_attuale", PASSWORD),
                ("password", new_password),
                ("conferma_password", new_password),
            ],
        ),
        (
            "eliminazione (password)",
            "/area-clienti/elimina",
            vec![("password_attuale", new_password)],
        ),
    ];
    for (name, path, fields) in changes {
        counts.reset();
        let resp = raw
            .post(format!("{}{path}", b.base))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "{name}: {}", resp.text().await.unwrap());
        report_settings(&p, name, &counts).await;
    }
    let code = b.last_code(&number).await;
    counts.reset();
    let deleted = raw
        .post(format!("{}/area-clienti/elimina/codice", b.base))
        .form(&[("codice", code)])
        .send();
    assert_eq!(deleted.await.unwrap().status(), 303);
    // Issue 21 item 6: the deletion also erases the account's lists (sessions, known
    // browsers, access history, passkeys): one Query of each, their deletes in the same
    // transaction.
    report(&p, "eliminazione (codice)", &counts, 4 + 4).await;
}

/// Issue 24: the passkey pages and changes stay within the area's four calls. The list is
/// the session check and one Query; CREA UNA PASSKEY the session check, the list's Query and
/// the ceremony's write; the credential the session check, the ceremony taken (one
/// DeleteItem) and one transaction.
#[tokio::test]
async fn passkey_pages_make_at_most_four_dynamodb_calls() {
    let counts = Arc::new(Counts::default());
    let p = Portal::start_counting(counts.clone()).await;
    let h = e2e::quick::user(&p).await;
    let (client, jar) = Portal::browser_with_jar();
    let b = p.as_browser(client);
    assert_eq!(e2e::sign_in::holder(&b, &h).await.path, "/area-clienti");
    let raw = e2e::simulated_client()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let send = |path: &str, fields: &[(&str, &str)]| {
        raw.post(format!("{}{path}", b.base)).form(fields).send()
    };

    counts.reset();
    let list = raw
        .get(format!("{}/area-clienti/passkey", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    report_settings(&p, "passkey (elenco)", &counts).await;

    counts.reset();
    let page = send("/area-clienti/passkey/nuova", &[]).await.unwrap();
    assert_eq!(page.status(), 200);
    let page = e2e::Page {
        status: 200,
        path: String::new(),
        html: page.text().await.unwrap(),
    };
    report_settings(&p, "passkey (opzioni)", &counts).await;
    let options = e2e::passkey::creation_options(&page).expect("the creation options");
    let mut device = e2e::passkey::Authenticator::new(&p.passkey_origin());
    let response = device.create(&options).unwrap();
    let ceremony = e2e::passkey::ceremony_of(&options);

    counts.reset();
    let done = send(
        "/area-clienti/passkey/registra",
        &[("cerimonia", &ceremony), ("credenziale", &response)],
    );
    assert_eq!(done.await.unwrap().status(), 303);
    report_settings(&p, "passkey (creazione)", &counts).await;

    let id = device.credential().unwrap().id_b64();
    let changes: [Change; 2] = [
        (
            "passkey (nome)",
            "/area-clienti/passkey/rinomina",
            vec![("id", &id), ("nome", "Telefono")],
        ),
        (
            "passkey (rimozione)",
            "/area-clienti/passkey/rimuovi",
            vec![("id", &id)],
        ),
    ];
    for (name, path, fields) in changes {
        counts.reset();
        assert_eq!(send(path, &fields).await.unwrap().status(), 303, "{name}");
        report_settings(&p, name, &counts).await;
    }
}

/// One change of the private area: its name, the path it posts to, the form.
type Change<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);

async fn report_settings(p: &Portal, name: &str, counts: &Counts) {
    report(p, name, counts, 4).await;
}

async fn report(p: &Portal, name: &str, counts: &Counts, budget: usize) {
    p.settle().await;
    println!(
        "area {name}: DynamoDB {} · {:?}",
        counts.dynamodb(),
        counts.snapshot()
    );
    assert!(
        counts.dynamodb() <= budget,
        "{name}: {} DynamoDB calls > {budget}",
        counts.dynamodb()
    );
}
