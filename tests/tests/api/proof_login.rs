//! Issue 21, items 4, 5 and 10, through the real pages on LocalStack: a lock a stranger
//! cannot hold (the `dispositivo` cookie's own counter, one email to the owner), clients
//! counted by network with the cheap refusals before any password hash, and an office of
//! many people behind one address.
//!
//! The password hashes a portal computes are read from its own `/_dev/metriche.json`
//! (`PasswordHashChecked`, counted where the hash is verified): each portal counts only its
//! own requests, so the number is exact while other tests run — no timing involved.

use e2e::quick::{self, Holder};
use e2e::register::{cf_for, complete, from_code, PASSWORD};
use e2e::sign_in;
use e2e::{random_email, random_number, Page, Portal};
use futures::stream::{self, StreamExt};
use rand::Rng;
use std::collections::HashMap;
use store::lines::Profile;

const WRONG: &str = "Sbagliata-Del-Tutto-1!";
/// What a lock says on the login page (the same for real and invented names).
const LOCKED: &str = "l'accesso con questa username è bloccato";
/// The lock email's subject.
const LOCK_SUBJECT: &str =
    "Accesso bloccato per troppi tentativi - Area Clienti Convenzione Mobile 8";

/// A browser (its own cookie jar) that the harness's gateway sees at `ip`.
fn browser_at(p: &Portal, ip: &str) -> Portal {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(local_gateway::SIMULATED_CLIENT_HEADER, ip.parse().unwrap());
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .cookie_store(true)
        .build()
        .unwrap();
    p.as_browser(client)
}

/// A /64 of the documentation prefix no other run uses, and an address in it.
fn ipv6_network() -> String {
    let mut r = rand::thread_rng();
    format!(
        "2001:db8:{:x}:{:x}",
        r.gen_range(1..0xffff),
        r.gen_range(1..0xffff)
    )
}

fn ipv6_in(network: &str, host: u32) -> String {
    format!("{network}::{:x}:{:x}", host >> 16, host & 0xffff)
}

/// An IPv4 address no other test uses (the harness's simulated clients are in 10/8).
fn ipv4() -> String {
    let mut r = rand::thread_rng();
    format!(
        "100.{}.{}.{}",
        r.gen_range(64..128),
        r.gen_range(0..255),
        r.gen_range(1..255)
    )
}

/// The password hashes this portal has verified so far.
async fn hashes(p: &Portal) -> u64 {
    let page = p.get("/_dev/metriche.json").await;
    let v: serde_json::Value = serde_json::from_str(&page.html).expect("JSON");
    v["counts"]["PasswordHashChecked"]
        .as_u64()
        .expect("the metric is listed")
}

/// The owner's browser: a completed login (which makes it known to the account), then ESCI
/// — its `dispositivo` cookie stays, as when the browser is closed and opened again.
async fn owners_browser(p: &Portal, h: &Holder) -> Portal {
    let owner = browser_at(p, &ipv4());
    assert_eq!(sign_in::holder(&owner, h).await.path, "/area-clienti");
    assert_eq!(owner.post("/esci", &[]).await.path, "/accesso");
    owner
}

/// Wrong passwords for `username`, `n` per address, from `addresses` fresh addresses.
async fn strangers(p: &Portal, username: &str, addresses: usize, n: usize) -> Vec<Page> {
    let mut pages = Vec::new();
    for _ in 0..addresses {
        let s = browser_at(p, &ipv4());
        for _ in 0..n {
            pages.push(sign_in::password_step(&s, username, WRONG).await);
        }
    }
    pages
}

fn lock_emails(mails: &[local_gateway::inbox::Email]) -> usize {
    mails.iter().filter(|m| m.subject == LOCK_SUBJECT).count()
}

// 5. Clients by network, cheap checks first. -------------------------------------------

/// Rotating addresses inside one IPv6 /64 is one client for every per-client cap: the
/// login's lock per (username, client), the recovery's and registration step 1's caps.
#[tokio::test]
async fn an_ipv6_client_is_counted_by_its_64() {
    let p = Portal::start().await;
    p.align_clock(3600);
    let h = quick::user(&p).await;
    let net = ipv6_network();
    for host in 1..=5 {
        let page =
            sign_in::password_step(&browser_at(&p, &ipv6_in(&net, host)), &h.username, WRONG).await;
        assert_eq!(page.status, 401, "{}", page.text());
    }
    let sixth =
        sign_in::password_step(&browser_at(&p, &ipv6_in(&net, 6)), &h.username, PASSWORD).await;
    assert_eq!(
        sixth.status,
        429,
        "a sixth address of the same /64 is the same client, whose lock holds: {}",
        sixth.text()
    );
    assert!(sixth.contains(LOCKED), "{}", sixth.text());
    let elsewhere = sign_in::password_step(
        &browser_at(&p, &ipv6_in(&ipv6_network(), 1)),
        &h.username,
        PASSWORD,
    )
    .await;
    assert_eq!(
        elsewhere.path,
        "/accesso/codice",
        "another /64 is another client: {}",
        elsewhere.text()
    );

    // Recovery: 10 requests per client per hour, whatever address of the /64 asks.
    let net = ipv6_network();
    for host in 1..=11u32 {
        let b = browser_at(&p, &ipv6_in(&net, host));
        let page = b.get("/recupero?modalita=password").await;
        let answer = b
            .submit(&page, "modalita", &[("username", &random_email("nessuno"))])
            .await;
        let capped = answer.contains("troppe richieste di recupero da questa connessione");
        assert_eq!(capped, host == 11, "request {host}: {}", answer.text());
    }

    // Registration step 1 without proof-of-work: 10 per client per hour.
    let net = ipv6_network();
    for host in 1..=11u32 {
        let b = browser_at(&p, &ipv6_in(&net, host));
        let answer = e2e::register::step1(&b, &random_number()).await;
        assert_eq!(
            answer.status == 429,
            host == 11,
            "submission {host}: {}",
            answer.text()
        );
    }
}

/// A locked username, or a client over its cap, is answered before any hash is computed:
/// a flood of refused attempts costs no argon2id.
#[tokio::test]
async fn a_locked_or_capped_login_computes_no_hash() {
    let p = Portal::start().await;
    p.align_clock(600);
    let h = quick::user(&p).await;
    let b = browser_at(&p, &ipv4());
    let before = hashes(&p).await;
    for _ in 0..5 {
        sign_in::password_step(&b, &h.username, WRONG).await;
    }
    assert_eq!(
        hashes(&p).await - before,
        5,
        "each wrong password verified once"
    );
    for password in [WRONG, PASSWORD, WRONG] {
        let page = sign_in::password_step(&b, &h.username, password).await;
        assert_eq!(page.status, 429, "{}", page.text());
        assert!(page.contains(LOCKED), "{}", page.text());
    }
    assert_eq!(
        hashes(&p).await - before,
        5,
        "a locked username is refused before its hash is verified"
    );

    // One client trying many names: once its wrong passwords reach the cap, it is refused
    // before anything is verified.
    let script = browser_at(&p, &ipv4());
    let before = hashes(&p).await;
    let mut verified_when_capped = None;
    for i in 0..40 {
        let page = sign_in::password_step(&script, &random_email("inventato"), WRONG).await;
        if page.status == 429 {
            assert!(page.contains("da questa connessione"), "{}", page.text());
            let now = hashes(&p).await - before;
            let at = *verified_when_capped.get_or_insert(now);
            assert_eq!(
                now, at,
                "attempt {i}: refused by the cap, yet a hash was verified"
            );
        }
    }
    assert!(
        verified_when_capped.is_some(),
        "the client never met its cap"
    );
}

/// The private area's re-authentication: once its counter locks, nothing more is verified.
#[tokio::test]
async fn a_locked_reauthentication_computes_no_hash() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let owner = browser_at(&p, &ipv4());
    assert_eq!(sign_in::holder(&owner, &h).await.path, "/area-clienti");
    let change = |current: &'static str| {
        let owner = &owner;
        async move {
            let page = owner.get("/area-clienti/password").await;
            owner
                .submit(
                    &page,
                    "password_attuale",
                    &[
                        ("password_attuale", current),
                        ("password", "Nuova-Password-Sicura-27!"),
                        ("conferma_password", "Nuova-Password-Sicura-27!"),
                    ],
                )
                .await
        }
    };
    let before = hashes(&p).await;
    let mut wrong = 0;
    loop {
        let page = change(WRONG).await;
        if page.status == 429 {
            break;
        }
        assert_eq!(page.status, 401, "{}", page.text());
        wrong += 1;
        assert!(wrong < 60, "the re-authentication never locked");
    }
    assert_eq!(
        hashes(&p).await - before,
        wrong,
        "the locked attempt verified nothing"
    );
    let right = change(PASSWORD).await;
    assert_eq!(right.status, 429, "{}", right.text());
    assert_eq!(
        hashes(&p).await - before,
        wrong,
        "nor does the right password while locked"
    );
}

// 4. A lock a stranger cannot hold. ----------------------------------------------------

/// Strangers from many addresses drive the per-username lock: the owner gets one email,
/// browsers the account never completed a login from are locked out, and the owner's own
/// browser still logs in and re-authenticates with the right password.
#[tokio::test]
async fn strangers_from_many_addresses_cannot_lock_the_owner_out() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let owner = owners_browser(&p, &h).await;

    // 50 wrong passwords from 10 addresses: the per-username lock engages on the last.
    let pages = strangers(&p, &h.username, 10, 5).await;
    assert!(
        pages.iter().all(|s| s.status == 401),
        "every guess was answered"
    );
    assert!(pages.last().unwrap().contains(LOCKED));
    let unknown = sign_in::password_step(&browser_at(&p, &ipv4()), &h.username, PASSWORD).await;
    assert_eq!(
        unknown.status,
        429,
        "a browser the account never used is locked: {}",
        unknown.text()
    );
    assert!(unknown.contains(LOCKED));

    let page = sign_in::password_step(&owner, &h.username, PASSWORD).await;
    assert_eq!(
        page.path,
        "/accesso/codice",
        "the owner's browser is not barred by the lock strangers caused: {}",
        page.text()
    );
    let code = owner.last_code(&h.number).await;
    assert_eq!(
        owner
            .submit(&page, "codice", &[("codice", &code)])
            .await
            .path,
        "/area-clienti"
    );

    // The private area's re-authentication follows the same rule.
    let form = owner.get("/area-clienti/password").await;
    let changed = owner
        .submit(
            &form,
            "password_attuale",
            &[
                ("password_attuale", PASSWORD),
                ("password", "Nuova-Password-Sicura-27!"),
                ("conferma_password", "Nuova-Password-Sicura-27!"),
            ],
        )
        .await;
    assert!(
        changed.path == "/area-clienti/password"
            && changed.status == 200
            && changed.text().contains("modificata"),
        "the owner re-authenticates in the area: {} {}",
        changed.status,
        changed.text()
    );

    // One email when the lock engaged; strangers keeping it locked send no more.
    p.clock.advance(61);
    strangers(&p, &h.username, 1, 1).await;
    let mails = p.emails_to(&h.username).await;
    assert_eq!(
        lock_emails(&mails),
        1,
        "one lock email: {:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let mail = mails.iter().find(|m| m.subject == LOCK_SUBJECT).unwrap();
    assert!(mail.text.contains("Se non sei stato tu"), "{}", mail.text);
    assert!(
        mail.text
            .contains(&format!("RECUPERA LE TUE CREDENZIALI: {}/recupero", p.base)),
        "{}",
        mail.text
    );
    assert!(mail.html.contains(">RECUPERA LE TUE CREDENZIALI<"));
}

/// The owner's browser has its own counter, stricter than a stranger's: after a few wrong
/// passwords it is locked (the right one too), while nobody else is.
#[tokio::test]
async fn a_known_browser_locks_after_a_few_wrong_passwords_of_its_own() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let owner = owners_browser(&p, &h).await;
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(sign_in::password_step(&owner, &h.username, WRONG).await);
    }
    assert!(answers.iter().all(|a| a.status == 401));
    assert!(
        answers.last().unwrap().contains(LOCKED),
        "{}",
        answers.last().unwrap().text()
    );
    let right = sign_in::password_step(&owner, &h.username, PASSWORD).await;
    assert_eq!(
        right.status,
        429,
        "its own lock holds, even for the right password: {}",
        right.text()
    );
    let other = sign_in::password_step(&browser_at(&p, &ipv4()), &h.username, PASSWORD).await;
    assert_eq!(
        other.path,
        "/accesso/codice",
        "the username is not locked for others: {}",
        other.text()
    );
    let mails = p.emails_to(&h.username).await;
    assert_eq!(
        lock_emails(&mails),
        0,
        "a browser's own lock is no news to the owner"
    );
}

/// The attempt that engages the per-username lock makes the same AWS calls for a name that
/// matches no account (its `Message::Nothing` instead of the owner's email) and gives the
/// same answer.
#[tokio::test]
async fn the_lock_email_costs_the_same_calls_for_an_invented_name() {
    let counts = std::sync::Arc::new(e2e::counting::Counts::default());
    let p = Portal::start_counting(counts.clone()).await;
    let h = quick::user(&p).await;
    let mut seen = Vec::new();
    for name in [h.username.clone(), random_email("inventato")] {
        strangers(&p, &name, 9, 5).await;
        strangers(&p, &name, 1, 4).await;
        let last = browser_at(&p, &ipv4());
        let page = last.get("/accesso").await;
        p.settle().await;
        counts.reset();
        let answer = last
            .submit(
                &page,
                "username",
                &[("username", &name), ("password", WRONG)],
            )
            .await;
        seen.push((
            counts.request_path(),
            answer.status,
            answer.text().replace(&name, "NOME"),
        ));
    }
    println!("the 50th wrong password: {:?}", seen[0].0);
    assert_eq!(seen[0], seen[1], "real vs invented name");
    assert_eq!(
        seen[0].0,
        [
            "BatchGetItem",
            "BatchGetItem",
            "TransactWriteItems",
            "SendMessage"
        ]
    );
    assert_eq!(lock_emails(&p.emails_to(&h.username).await), 1);
}

// 10. An office is many people behind one address. --------------------------------------

/// 200 accounts in one import (one argon2id hash for all: the rows only need a valid one).
async fn office(p: &Portal, people: usize) -> Vec<Holder> {
    let entity = quick::random_entity();
    let hash = domain::passwords::hash(&domain::Password::parse(PASSWORD, &[]).unwrap());
    let mut csv = String::from(
        "username;email;numero;nome;cognome;codice_fiscale;codice_fiscale_ente;password_hash\n",
    );
    let mut holders = Vec::new();
    for _ in 0..people {
        let number = random_number();
        quick::line(p, &number, &entity, true, Profile::Utente).await;
        let username = random_email("ufficio");
        let cf = cf_for(&number);
        csv.push_str(&format!(
            "{username};{username};{number};Anna;Verdi;{cf};{entity};{hash}\n"
        ));
        let id = portale_admin::import_accounts::account_id(
            &domain::Username::parse(&username).unwrap(),
        );
        holders.push(Holder {
            id,
            number,
            username,
            personal_cf: cf.to_owned(),
        });
    }
    let report = portale_admin::import_accounts::import(
        p.app.store.as_ref(),
        csv.as_bytes(),
        p.app.now(),
        &e2e::quick::harness(),
    )
    .await
    .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    for h in &holders {
        let accepted = store::accounts::accept_versions_op(
            &h.id,
            domain::documents::TERMS_VERSION,
            domain::documents::PRIVACY_VERSION,
            p.app.now(),
        );
        p.app.store.transact(vec![accepted]).await.unwrap();
    }
    holders
}

/// The latest code LocalStack holds for each of `numbers`, once the outbox has drained: the
/// 200 codes go through the poller 10 at a time, which under the whole suite's load on two
/// cores takes far longer than alone, so the wait is on the codes (≤ 3 min), not a count of
/// reads. If some never arrive, the panic says where they are (queue, dead-letter queue) and
/// what the consumer logged.
async fn codes(p: &Portal, numbers: &[String]) -> HashMap<String, String> {
    p.settle().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    let mut out = HashMap::new();
    while std::time::Instant::now() < deadline {
        let sms = local_gateway::inbox::fetch_sms(&e2e::endpoint(), &e2e::region())
            .await
            .unwrap();
        out.clear();
        for m in sms.iter().filter(|m| numbers.contains(&m.to)) {
            if let Some(code) = m
                .text
                .split_whitespace()
                .find(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()))
            {
                out.insert(m.to.clone(), code.to_owned());
            }
        }
        if out.len() == numbers.len() {
            return out;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await; // poll interval
    }
    let queue = &p.app.config.outbox_queue_url;
    let outbox_log: Vec<String> = e2e::logcapture::capture()
        .text()
        .lines()
        .filter(|l| l.contains("outbox") && !l.contains("\"INFO\""))
        .map(str::to_owned)
        .collect();
    panic!(
        "{} of {} SMS never arrived; outbox queue: {:?} messages, dead-letter queue: {:?}; \
         the consumer's warnings: {outbox_log:#?}",
        numbers.len() - out.len(),
        numbers.len(),
        e2e::queue_depth(queue).await,
        e2e::queue_depth(&format!("{queue}-dlq")).await,
    );
}

/// 200 colleagues log in from one address within ten minutes, each with their right
/// password, and none gets 429; a script from the same address guessing passwords over many
/// usernames still meets the client's cap, and then the colleagues' browsers (known to their
/// accounts) still get in.
#[tokio::test]
async fn two_hundred_colleagues_log_in_from_one_address_and_a_script_there_is_still_capped() {
    let p = Portal::start().await;
    let people = office(&p, 200).await;
    p.align_clock(600);
    let nat = ipv4();
    let browsers: Vec<Portal> = people.iter().map(|_| browser_at(&p, &nat)).collect();
    let started = p.app.now();
    let pages: Vec<Page> = stream::iter(people.iter().zip(&browsers))
        .map(|(h, b)| sign_in::password_step(b, &h.username, PASSWORD))
        .buffered(8)
        .collect()
        .await;
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(
            page.path,
            "/accesso/codice",
            "colleague {} of 200: {} {}",
            i + 1,
            page.status,
            page.text()
        );
    }
    let numbers: Vec<String> = people.iter().map(|h| h.number.clone()).collect();
    let codes = codes(&p, &numbers).await;
    let homes: Vec<Page> = stream::iter(people.iter().zip(&browsers).zip(&pages))
        .map(|((h, b), page)| {
            let code = codes[&h.number].clone();
            async move { b.submit(page, "codice", &[("codice", &code)]).await }
        })
        .buffered(8)
        .collect()
        .await;
    assert!(
        homes.iter().all(|h| h.path == "/area-clienti"),
        "everyone is in"
    );
    assert!(p.app.now() - started < 600, "within ten minutes");

    let script = browser_at(&p, &nat);
    let mut capped_after = None;
    for i in 0..60 {
        let page = sign_in::password_step(&script, &random_email("elenco"), WRONG).await;
        if page.status == 429 {
            assert!(page.contains("da questa connessione"), "{}", page.text());
            capped_after = Some(i);
            break;
        }
    }
    assert!(
        capped_after.is_some(),
        "a script guessing from the office's address met no cap"
    );
    assert_eq!(browsers[0].post("/esci", &[]).await.path, "/accesso");
    let colleague = sign_in::password_step(&browsers[0], &people[0].username, PASSWORD).await;
    assert_eq!(
        colleague.path,
        "/accesso/codice",
        "a colleague's own browser still gets in: {}",
        colleague.text()
    );
    // The price of a script in the office: for the rest of the window, a browser that never
    // completed a login on its account is refused there (without a hash).
    let newcomer =
        sign_in::password_step(&browser_at(&p, &nat), &people[1].username, PASSWORD).await;
    assert_eq!(newcomer.status, 429, "{}", newcomer.text());
}

/// Registration step 1 with the proof-of-work the browser computes.
async fn step1_with_pow(p: &Portal, number: &str) -> Page {
    let page = p.get("/registrazione/numero").await;
    let challenge = page
        .input_value("challenge")
        .expect("the slider's challenge");
    let nonce = challenge.split('.').next().unwrap().to_owned();
    let pow = (0u64..)
        .map(|c| c.to_string())
        .find(|c| engine::flows::challenge::pow_ok(&nonce, c))
        .unwrap();
    p.clock.advance(3);
    p.submit(
        &page,
        "numero",
        &[("numero", number), ("conferma", "100"), ("pow", &pow)],
    )
    .await
}

/// A whole registration as a browser with JavaScript makes it.
async fn register_with_pow(p: &Portal, number: &str, email: &str) -> Page {
    let page = step1_with_pow(p, number).await;
    assert_eq!(
        page.path,
        "/registrazione/codice",
        "{} {}",
        page.status,
        page.text()
    );
    let code = p.last_code(number).await;
    let link = from_code(p, &page, &code, number, email).await;
    complete(p, &link).await
}

/// An entity's onboarding day: 100 colleagues register from one address within an hour
/// with no 429, while a script from that address without the proof-of-work meets its cap.
#[tokio::test]
async fn a_hundred_colleagues_register_from_one_address_within_an_hour() {
    let p = Portal::start().await;
    p.align_clock(3600);
    let started = p.app.now();
    let nat = ipv4();
    let numbers: Vec<String> = (0..100).map(|_| random_number()).collect();
    for n in &numbers {
        p.add_line(n, e2e::register::ENTE, e2e::register::ENTE_NAME, true)
            .await;
    }
    let done: Vec<Page> = stream::iter(numbers.iter())
        .map(|n| {
            let b = browser_at(&p, &nat);
            async move { register_with_pow(&b, n, &random_email("onboarding")).await }
        })
        .buffer_unordered(6)
        .collect()
        .await;
    for page in &done {
        assert!(
            page.contains("Richiesta inviata con successo"),
            "{} {}",
            page.status,
            page.text()
        );
    }
    assert!(p.app.now() - started < 3600, "within the hour");
    let script = browser_at(&p, &nat);
    let mut capped = None;
    for i in 0..12 {
        let page = e2e::register::step1(&script, &random_number()).await;
        if page.status == 429 {
            capped = Some(i);
            break;
        }
    }
    assert_eq!(
        capped,
        Some(10),
        "a script without the proof-of-work meets the tight cap"
    );
}
