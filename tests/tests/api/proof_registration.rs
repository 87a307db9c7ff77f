//! Proof before power, for the registration (issue 21): PROSEGUI on a registration found
//! by person only (same codice fiscale and entity, another number) ceases it only after its
//! owner proves it — the link emailed to its address, or the code sent to its SIM — or after
//! the help desk ceased it; a colleague who proves only another SIM ceases nothing, takes
//! nothing and learns nothing more than the guide's page tells. Also: a finished step sends
//! nothing again (the summary email of step 6), and a replayed step 5 is refused before any
//! password is hashed. Real pages on LocalStack.

use domain::MobileNumber;
use e2e::counting::Counts;
use e2e::faults::FlakyOutbox;
use e2e::quick::{self, Holder};
use e2e::register::*;
use e2e::sign_in;
use e2e::table::claim_holder;
use e2e::{random_email, Page, Portal};
use futures::future::join_all;
use std::sync::Arc;
use store::accounts::{self, Status};
use store::lines::Profile;
use store::uniqueness::{self, Kind};
use store::AccountId;

const DUPLICATE: &str = "esiste già un'altra registrazione";
const WAITING: &str = "è necessaria la conferma del suo titolare";
const REQUEST_SUBJECT: &str = "Richiesta di cessazione";

/// A registered account (its owner's line active) of the entity `ENTE`.
async fn victim(p: &Portal) -> Holder {
    quick::account(p, ENTE, Profile::Utente).await
}

/// Steps 1–3 on `number` (the SIM proved by its code) typing the personal code `cf`.
async fn data_of(q: &Portal, number: &str, cf: &str) -> Page {
    let page = through_otp(q, number).await;
    assert_eq!(page.path, "/registrazione/dati", "{}", page.text());
    fill_profile_as(q, &page, ("Lucia", "Bianchi"), cf).await
}

/// Steps 1–3 then PROSEGUI on the duplicate page.
async fn prosegui(q: &Portal, number: &str, cf: &str) -> Page {
    let dup = data_of(q, number, cf).await;
    assert!(dup.contains(DUPLICATE), "{}", dup.text());
    q.submit(&dup, "azione", &[("azione", "prosegui")]).await
}

fn assert_waiting(page: &Page) {
    assert_eq!(
        page.path,
        "/registrazione/dati",
        "PROSEGUI went on without the old owner's proof: {}",
        page.text()
    );
    assert!(page.contains(WAITING), "{}", page.text());
}

async fn status(p: &Portal, id: &AccountId) -> (Status, i64) {
    let a = accounts::get(p.app.store.as_ref(), id)
        .await
        .unwrap()
        .unwrap();
    (a.status, a.session_epoch)
}

/// The requests for the proof that reached `email`, oldest first.
async fn requests_to(p: &Portal, email: &str) -> Vec<local_gateway::inbox::Email> {
    p.emails_to(email)
        .await
        .into_iter()
        .filter(|m| m.subject.contains(REQUEST_SUBJECT))
        .collect()
}

/// The link of the latest request to `email`.
async fn cease_link(p: &Portal, email: &str) -> String {
    let mails = requests_to(p, email).await;
    let mail = mails.last().expect("a request for the proof");
    let start = mail.text.find("http").expect("a link in the text part");
    mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// The SMS asking the old owner for the code (the code pages' texts are others).
async fn cease_sms(p: &Portal, e164: &str) -> Vec<String> {
    p.sms_to(e164)
        .await
        .into_iter()
        .map(|s| s.text)
        .filter(|t| t.contains("cessare la tua registrazione"))
        .collect()
}

fn code_in(text: &str) -> String {
    text.split_whitespace()
        .find(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()))
        .expect("a 6-digit code")
        .to_owned()
}

/// What the old owner keeps: status (at session epoch `epoch`), every claim.
async fn assert_untouched(p: &Portal, v: &Holder, epoch: i64) {
    assert_eq!(
        status(p, &v.id).await,
        (Status::Active, epoch),
        "not ceased"
    );
    let e164 = MobileNumber::parse(&v.number).unwrap().e164().to_owned();
    let person = uniqueness::person_value(ENTE, &v.personal_cf);
    let mine = format!("account:{}", v.id);
    for (kind, value) in [
        (Kind::Username, v.username.as_str()),
        (Kind::Email, v.username.as_str()),
        (Kind::Number, e164.as_str()),
        (Kind::Person, person.as_str()),
    ] {
        assert_eq!(
            claim_holder(p, kind, value)
                .await
                .map(|o| o.to_string())
                .as_deref(),
            Some(mine.as_str()),
            "{kind:?} still the old account's"
        );
    }
}

/// The old owner still logs in.
async fn assert_logs_in(p: &Portal, v: &Holder) {
    let login =
        sign_in::password_step(&p.as_browser(Portal::browser()), &v.username, PASSWORD).await;
    assert_eq!(
        login.path,
        "/accesso/codice",
        "the old owner still logs in: {}",
        login.text()
    );
}

/// A colleague of the same entity, with another SIM and the victim's codice fiscale (it
/// can be computed), reaches PROSEGUI as the guide says — and then waits: no way on to
/// step 4, no use of the victim's email or username, no guessable code, nothing ceased.
#[tokio::test]
async fn a_colleague_with_another_sim_ceases_nothing_and_takes_nothing() {
    let p = Portal::start().await;
    let v = victim(&p).await;
    let colleague = new_line(&p).await;
    let q = p.as_browser(Portal::browser());

    // A double-clicked PROSEGUI: one request for the proof.
    let dup = data_of(&q, &colleague, &v.personal_cf).await;
    assert!(dup.contains(DUPLICATE), "{}", dup.text());
    let pages = join_all((0..2).map(|_| q.submit(&dup, "azione", &[("azione", "prosegui")]))).await;
    for page in &pages {
        assert_waiting(page);
        assert!(
            !page.contains(&v.username) && !page.contains(&quick_mask(&v.number)),
            "the page shows nothing of the old registration: {}",
            page.text()
        );
    }
    let page = q.get("/registrazione/dati").await;
    assert_waiting(&page);
    assert_eq!(requests_to(&p, &v.username).await.len(), 1, "one email");
    let sms = cease_sms(&p, &v.number).await;
    assert_eq!(sms.len(), 1, "one SMS to the old SIM");
    let mail = requests_to(&p, &v.username).await.pop().unwrap();
    assert!(
        mail.text.contains(&quick_mask(&colleague)),
        "the old owner is told who asked (the new number, masked): {}",
        mail.text
    );

    // Step 4 is not open, and the victim's email cannot be saved there.
    assert_eq!(
        q.get("/registrazione/email").await.path,
        "/registrazione/dati"
    );
    let forged = q
        .post(
            "/registrazione/email",
            &[("azione", "salva"), ("email", v.username.as_str())],
        )
        .await;
    assert_eq!(forged.path, "/registrazione/dati");
    assert_eq!(
        claim_holder(&p, Kind::Email, &v.username)
            .await
            .map(|o| o.to_string()),
        Some(format!("account:{}", v.id))
    );

    // Guessing the code: five counted guesses, then a new one is needed.
    for left in (1..5).rev() {
        let page = q.submit(&page, "codice", &[("codice", "000000")]).await;
        let expected = match left {
            1 => "Codice errato: hai ancora 1 tentativo.".to_owned(),
            n => format!("Codice errato: hai ancora {n} tentativi."),
        };
        assert_eq!(
            page.field_error("codice").as_deref(),
            Some(expected.as_str())
        );
    }
    let spent = q.submit(&page, "codice", &[("codice", "000000")]).await;
    assert!(spent.contains("troppe volte"), "{}", spent.text());
    let right = code_in(&sms[0]);
    let late = q.submit(&page, "codice", &[("codice", &right)]).await;
    assert_ne!(
        late.path, "/registrazione/email",
        "a spent code proves nothing"
    );

    // INVIA DI NUOVO (30 s later): a new link, the old one stops working; at most three
    // requests per registration.
    let first_link = cease_link(&p, &v.username).await;
    p.clock.advance(31);
    let again = q
        .submit(&page, "azione", &[("azione", "invia-di-nuovo")])
        .await;
    assert_waiting(&again);
    assert!(
        again.contains("Ti abbiamo inviato un nuovo codice"),
        "{}",
        again.text()
    );
    let gone = p.get_with(&Portal::browser(), &first_link).await;
    assert_eq!(gone.status, 410, "{}", gone.text());
    p.clock.advance(31);
    q.submit(&page, "azione", &[("azione", "invia-di-nuovo")])
        .await;
    p.clock.advance(31);
    let capped = q
        .submit(&page, "azione", &[("azione", "invia-di-nuovo")])
        .await;
    assert_eq!(capped.status, 429, "{}", capped.text());
    assert!(capped.contains("troppe volte"), "{}", capped.text());
    assert_eq!(requests_to(&p, &v.username).await.len(), 3);

    // Abandoned: a day later nothing of the victim's changed.
    p.clock.advance(25 * 3600);
    assert_untouched(&p, &v, 0).await;
    assert_logs_in(&p, &v).await;
}

/// `333 *** 4567`.
fn quick_mask(e164: &str) -> String {
    engine::pages::otp::masked(e164)
}

/// The waiting page and its answers say the same whether the old registration's line is
/// active (an SMS goes to it) or not (none does).
#[tokio::test]
async fn the_waiting_page_says_the_same_whatever_the_old_registration_has() {
    let p = Portal::start().await;
    let with_line = victim(&p).await;
    let without_line = victim(&p).await;
    p.add_line(&without_line.number, ENTE, ENTE_NAME, false)
        .await;
    let ceased_line_epoch = status(&p, &without_line.id).await.1;

    let mut seen = Vec::new();
    for v in [&with_line, &without_line] {
        let q = p.as_browser(Portal::browser());
        let page = prosegui(&q, &new_line(&p).await, &v.personal_cf).await;
        assert_waiting(&page);
        let wrong = q.submit(&page, "codice", &[("codice", "123123")]).await;
        seen.push((page.status, page.text(), wrong.status, wrong.text()));
    }
    assert_eq!(seen[0], seen[1], "the same pages and answers");
    assert_eq!(cease_sms(&p, &with_line.number).await.len(), 1);
    assert_eq!(
        cease_sms(&p, &without_line.number).await.len(),
        0,
        "no SMS to a line no longer active"
    );
    for (v, epoch) in [(&with_line, 0), (&without_line, ceased_line_epoch)] {
        assert_eq!(requests_to(&p, &v.username).await.len(), 1);
        assert_untouched(&p, v, epoch).await;
    }
    assert_logs_in(&p, &with_line).await;
}

/// The same person with a new SIM: the email link (a mail scanner's GET changes nothing;
/// the button records the proof, once), then the registration completes with the old
/// account's email and ceases it.
#[tokio::test]
async fn the_owner_confirms_by_the_email_link_and_the_new_registration_ceases_the_old() {
    let p = Portal::start().await;
    let v = victim(&p).await;
    let new_sim = new_line(&p).await;
    let q = p.as_browser(Portal::browser());
    assert_waiting(&prosegui(&q, &new_sim, &v.personal_cf).await);

    let link = cease_link(&p, &v.username).await;
    for _ in 0..3 {
        let scanned = p.get_with(&Portal::browser(), &link).await;
        assert_eq!(scanned.status, 200, "{}", scanned.text());
        assert_eq!(
            scanned.form_method("t"),
            "post",
            "the page asks for a click"
        );
        assert!(
            scanned.contains(&quick_mask(&new_sim)),
            "{}",
            scanned.text()
        );
    }
    assert_waiting(&q.get("/registrazione/dati").await);
    assert_eq!(status(&p, &v.id).await, (Status::Active, 0));

    // The owner clicks in the browser of their mailbox.
    let mailbox = p.as_browser(Portal::browser());
    let page = mailbox.get(&link).await;
    let done = mailbox.submit(&page, "t", &[]).await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(
        done.path.ends_with("/registrazione/conferma-cessazione"),
        "{}",
        done.path
    );
    assert!(done.contains("Cessazione confermata"), "{}", done.text());
    let twice = mailbox.submit(&page, "t", &[]).await;
    assert_eq!(twice.status, 410, "the link works once: {}", twice.text());
    assert_eq!(
        status(&p, &v.id).await,
        (Status::Active, 0),
        "not ceased before the new registration completes"
    );

    // The new registration's page learns it; the old account's email is usable now.
    let page = q.get("/registrazione/dati").await;
    assert_eq!(page.path, "/registrazione/email", "{}", page.text());
    let page = q.submit(&page, "email", &[("email", &v.username)]).await;
    let sent = q.submit(&page, "azione", &[]).await;
    assert!(
        sent.contains("Ti abbiamo inviato una email"),
        "{}",
        sent.text()
    );
    let outcome = complete(&q, &confirmation_link(&q, &v.username).await).await;
    assert!(
        outcome.contains("Richiesta inviata con successo"),
        "{}",
        outcome.text()
    );

    assert_eq!(status(&p, &v.id).await.0, Status::Ceased);
    let new_owner = claim_holder(&p, Kind::Username, &v.username).await.unwrap();
    assert_ne!(
        new_owner.to_string(),
        format!("account:{}", v.id),
        "the username moved"
    );
    let e164 = MobileNumber::parse(&v.number).unwrap().e164().to_owned();
    assert_eq!(
        claim_holder(&p, Kind::Number, &e164).await,
        None,
        "the old line is free"
    );
    assert!(p
        .emails_to(&v.username)
        .await
        .iter()
        .any(|m| m.subject.contains("è stata cessata")));
}

/// The same person, by the code sent to the old SIM (still active): a wrong guess is
/// counted, the right one goes on; the registration completes and ceases the old account.
#[tokio::test]
async fn the_owner_confirms_by_the_code_to_the_old_sim() {
    let p = Portal::start().await;
    let v = victim(&p).await;
    let new_sim = new_line(&p).await;
    let q = p.as_browser(Portal::browser());
    let page = prosegui(&q, &new_sim, &v.personal_cf).await;
    assert_waiting(&page);
    let wrong = q.submit(&page, "codice", &[("codice", "999999")]).await;
    assert_eq!(
        wrong.field_error("codice").as_deref(),
        Some("Codice errato: hai ancora 4 tentativi.")
    );
    let code = code_in(cease_sms(&p, &v.number).await.last().unwrap());
    let page = q.submit(&page, "codice", &[("codice", &code)]).await;
    assert_eq!(page.path, "/registrazione/email", "{}", page.text());
    let link = cease_link(&p, &v.username).await;
    let stale = p.get_with(&Portal::browser(), &link).await;
    assert_eq!(
        stale.status,
        410,
        "the link is withdrawn once proved: {}",
        stale.text()
    );

    let email = random_email("nuova.sim");
    let page = q.submit(&page, "email", &[("email", &email)]).await;
    q.submit(&page, "azione", &[]).await;
    let outcome = complete(&q, &confirmation_link(&q, &email).await).await;
    assert!(
        outcome.contains("Richiesta inviata con successo"),
        "{}",
        outcome.text()
    );
    assert_eq!(status(&p, &v.id).await, (Status::Ceased, 1));
    assert_eq!(
        claim_holder(&p, Kind::Email, &v.username).await,
        None,
        "released"
    );
}

/// A proof voided by the old owner before step 5 (every session ended: the epoch moved)
/// ceases nothing: step 5 says so, and no account is made.
#[tokio::test]
async fn a_proof_the_old_owner_voided_ceases_nothing() {
    let p = Portal::start().await;
    let v = victim(&p).await;
    let new_sim = new_line(&p).await;
    let q = p.as_browser(Portal::browser());
    let page = prosegui(&q, &new_sim, &v.personal_cf).await;
    let code = code_in(cease_sms(&p, &v.number).await.last().unwrap());
    let page = q.submit(&page, "codice", &[("codice", &code)]).await;
    let email = random_email("annullata");
    let page = q.submit(&page, "email", &[("email", &email)]).await;
    q.submit(&page, "azione", &[]).await;
    let link = confirmation_link(&q, &email).await;

    let bump = accounts::end_sessions();
    p.app
        .store
        .update(&accounts::key(&v.id), bump, None)
        .await
        .unwrap();
    let page = complete(&q, &link).await;
    assert_eq!(page.status, 409, "{}", page.text());
    assert!(
        page.contains("la conferma non è più valida"),
        "{}",
        page.text()
    );
    assert_eq!(status(&p, &v.id).await, (Status::Active, 1));
    assert_eq!(
        claim_holder(&p, Kind::Email, &email)
            .await
            .map(|h| h.to_string().starts_with("account:")),
        Some(false)
    );
}

/// The help desk ceases the old registration (`portale-admin account cease`): the waiting
/// page offers PROSEGUI and the new registration completes, taking the freed email.
#[tokio::test]
async fn after_the_help_desk_ceases_the_old_registration_the_new_one_completes() {
    let p = Portal::start().await;
    let v = victim(&p).await;
    let new_sim = new_line(&p).await;
    let q = p.as_browser(Portal::browser());
    assert_waiting(&prosegui(&q, &new_sim, &v.personal_cf).await);

    let words = ["account", "cease", &v.id, "--motivo", "nuova SIM"];
    let out = e2e::admin::run_as(&p, "operatore.test", &words).await;
    assert!(
        out.stdout.contains("cessato"),
        "{} {}",
        out.stdout,
        out.stderr
    );

    let page = q.get("/registrazione/dati").await;
    assert!(
        page.contains("La registrazione precedente è stata cessata"),
        "{}",
        page.text()
    );
    let page = q.submit(&page, "azione", &[("azione", "prosegui")]).await;
    assert_eq!(page.path, "/registrazione/email", "{}", page.text());
    let page = q.submit(&page, "email", &[("email", &v.username)]).await;
    q.submit(&page, "azione", &[]).await;
    let outcome = complete(&q, &confirmation_link(&q, &v.username).await).await;
    assert!(
        outcome.contains("Richiesta inviata con successo"),
        "{}",
        outcome.text()
    );
    assert!(claim_holder(&p, Kind::Email, &v.username)
        .await
        .is_some_and(|h| h.to_string() != format!("account:{}", v.id)));
}

/// Matching by number stays as the guide says: the SIM is proved, PROSEGUI goes on.
#[tokio::test]
async fn prosegui_on_a_registration_found_by_number_goes_on_at_once() {
    let p = Portal::start().await;
    let v = victim(&p).await;
    let q = p.as_browser(Portal::browser());
    let page = prosegui(&q, &v.number, &v.personal_cf).await;
    assert_eq!(page.path, "/registrazione/email", "{}", page.text());
    assert!(
        requests_to(&p, &v.username).await.is_empty(),
        "nobody to ask"
    );
}

// --- A finished step sends nothing again -------------------------------------------------

/// Up to the password page on a new line with `email`.
async fn to_password_page(q: &Portal, email: &str) {
    let number = new_line(q).await;
    let link = through_email(q, &number, email).await;
    let page = confirm(q, &link).await;
    assert!(page.contains("Email Confermata"), "{}", page.text());
}

fn password_form() -> [(&'static str, &'static str); 4] {
    [
        ("password", PASSWORD),
        ("conferma_password", PASSWORD),
        ("termini", "si"),
        ("privacy", "si"),
    ]
}

/// A browser that sends `reg_flow=<value>` (a cookie kept from earlier: a replay).
fn replaying(p: &Portal, value: &str) -> Portal {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(&format!("reg_flow={value}"), &p.base.parse().unwrap());
    let client = e2e::simulated_client()
        .cookie_provider(jar)
        .build()
        .unwrap();
    p.as_browser(client)
}

async fn summaries(p: &Portal, email: &str) -> usize {
    p.emails_to(email)
        .await
        .iter()
        .filter(|m| m.subject.contains("Registrazione completata"))
        .count()
}

/// The summary email could not leave with step 5 (nor at the first outcome page): the
/// outcome page sends it once; reloading, a second tab or a replayed old cookie sends
/// nothing more.
#[tokio::test]
async fn the_summary_email_goes_once_whatever_is_reloaded_or_replayed() {
    let slot = Arc::new(std::sync::Mutex::new(None));
    let s = slot.clone();
    let p = Portal::start_with(move |app| {
        let f = FlakyOutbox::wrap(app.outbox.clone());
        *s.lock().unwrap() = Some(f.clone());
        app.with_outbox(f)
    })
    .await;
    let flaky = slot.lock().unwrap().clone().unwrap();
    let (client, jar) = Portal::browser_with_jar();
    let b = p.as_browser(client);
    let email = random_email("riepilogo");
    to_password_page(&b, &email).await;

    flaky.fail_next_email(2);
    let page = b.get("/registrazione/password").await;
    let done = b.submit(&page, "password", &password_form()).await;
    assert_eq!(done.path, "/registrazione/esito");
    assert!(
        done.contains("non siamo riusciti a inviarti"),
        "{}",
        done.text()
    );
    assert_eq!(summaries(&p, &email).await, 0);
    let unsent = b.cookie_in(&jar, "reg_flow").expect("the flow cookie");

    let reloaded = b.get("/registrazione/esito").await;
    assert!(
        reloaded.contains("Ti abbiamo inviato una email"),
        "{}",
        reloaded.text()
    );
    for _ in 0..2 {
        b.get("/registrazione/esito").await;
    }
    // The cookie from before the retry, replayed: alone, then twice at once.
    for _ in 0..2 {
        let page = replaying(&p, &unsent).get("/registrazione/esito").await;
        assert!(
            page.contains("Richiesta inviata con successo"),
            "{}",
            page.text()
        );
    }
    join_all((0..2).map(|_| async { replaying(&p, &unsent).get("/registrazione/esito").await }))
        .await;
    assert_eq!(
        summaries(&p, &email).await,
        1,
        "the summary was sent once, not at every reload or replay"
    );
}

/// A step-5 POST replayed with the cookie it was made with (the account exists): refused
/// on the flow's version, read before the password is hashed — the only call is that read
/// (no transaction: the hash it would carry is never computed), and it leads to the outcome.
#[tokio::test]
async fn a_replayed_step_5_is_refused_before_any_password_is_hashed() {
    let counts = Arc::new(Counts::default());
    let p = Portal::start_counting(counts.clone()).await;
    let (client, jar) = Portal::browser_with_jar();
    let b = p.as_browser(client);
    let email = random_email("ripetuto");
    to_password_page(&b, &email).await;
    let page = b.get("/registrazione/password").await;
    let before = b.cookie_in(&jar, "reg_flow").expect("the flow cookie");
    let done = b.submit(&page, "password", &password_form()).await;
    assert!(
        done.contains("Richiesta inviata con successo"),
        "{}",
        done.text()
    );
    p.settle().await;

    let replay = replaying(&p, &before);
    counts.reset();
    let page = replay
        .post("/registrazione/password", &password_form())
        .await;
    assert_eq!(page.path, "/registrazione/esito", "{}", page.text());
    assert!(
        page.contains("Richiesta inviata con successo"),
        "{}",
        page.text()
    );
    assert_eq!(
        counts.request_path(),
        ["BatchGetItem"],
        "a stale step-5 cookie must be refused by one read, before argon2 and any transaction"
    );
    assert_eq!(summaries(&p, &email).await, 1, "and nothing is sent again");
}
