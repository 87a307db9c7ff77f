//! Registration as a user does it, step by step: shared by the registration tests and
//! every test that needs a registered account (login, recovery, the private area).
//!
//! To step N: `step1` (the number and the slider) → `through_otp` (2, the SMS code) →
//! `through_profile` (3, the person's data) → `through_email` (4, the username and the
//! confirmation email: its link) → `confirm` (5, the link opened) → `complete` (6, the
//! password) ; `register` is all of it, `registered` all of it on a new line. The single
//! steps (`profile_step`, `fill_profile`, `email_step`, `from_code`) are for tests that do
//! something between two of them.

use crate::{random_email, random_number, Email, Page, Portal};

pub const ENTE: &str = "00488410010";
pub const ENTE_NAME: &str = "COMUNE DI PROVA";
/// A valid personal codice fiscale that tests may type where any will do (never in a
/// registration that completes: the person of an entity registers once, see `cf_for`).
pub const CF: &str = "RSSMRA85T10A562S";

/// The personal codice fiscale of the (test) person who holds `number`: one person per
/// line, so registrations of different numbers are different people (an active account
/// of the same person in the same entity is a duplicate registration, as the guide says).
/// Leaked to `&'static str` so it fits in the `&[(&str, &str)]` of a form.
pub fn cf_for(number: &str) -> &'static str {
    // Every digit of the national number shows in the code, so distinct numbers (the suite
    // draws thousands: `random_number`) never share a person.
    let d: Vec<u8> = number
        .bytes()
        .filter(u8::is_ascii_digit)
        .rev()
        .take(10)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|b| b - b'0')
        .collect();
    let letter = |x: u8| (b'B' + x) as char;
    let first15 = format!(
        "{}{}{}{}{}{}{}{}A1{}A56{}",
        letter(d[0]),
        letter(d[1]),
        letter(d[2]),
        letter(d[3]),
        letter(d[4]),
        letter(d[5]),
        d[6],
        d[7],
        d[8],
        d[9]
    );
    let cf = domain::CodiceFiscalePersona::with_check_char(&first15).expect("a well-formed code");
    Box::leak(cf.as_str().to_owned().into_boxed_str())
}
pub const PASSWORD: &str = "Girasole-Blu-2026!";

/// Step 1 as a person does it: type the number, drag the slider (after a human pause).
pub async fn step1(p: &Portal, number: &str) -> Page {
    let page = p.get("/registrazione/numero").await;
    assert_eq!(page.status, 200);
    p.clock.advance(3);
    p.submit(&page, "numero", &[("numero", number), ("conferma", "100")])
        .await
}

/// Steps 1–2: the code of the SMS typed in; the page it leads to (the profile form).
pub async fn through_otp(p: &Portal, number: &str) -> Page {
    let page = step1(p, number).await;
    assert_eq!(page.path, "/registrazione/codice", "{}", page.text());
    let code = p.last_code(number).await;
    p.submit(&page, "codice", &[("codice", &code)]).await
}

/// Steps 1–3: the page after the profile (the email form).
pub async fn through_profile(p: &Portal, number: &str) -> Page {
    let page = through_otp(p, number).await;
    profile_step(p, &page, number).await
}

/// Steps 1–4, up to the confirmation email; returns the link in it.
pub async fn through_email(p: &Portal, number: &str, email: &str) -> String {
    let page = through_profile(p, number).await;
    email_step(p, &page, email).await
}

/// Steps 2–4 from the code page, with a `code` the test read itself (or after it typed
/// wrong ones): up to the confirmation email; returns the link in it.
pub async fn from_code(
    p: &Portal,
    code_page: &Page,
    code: &str,
    number: &str,
    email: &str,
) -> String {
    let page = p.submit(code_page, "codice", &[("codice", code)]).await;
    let page = profile_step(p, &page, number).await;
    email_step(p, &page, email).await
}

/// Step 3 on the profile page: the entity's code is pre-filled from the SIM, the person of
/// `number` types their data; the page it leads to.
pub async fn profile_step(p: &Portal, page: &Page, number: &str) -> Page {
    assert_eq!(page.path, "/registrazione/dati", "{}", page.text());
    assert_eq!(
        page.input_value("cf_ente").as_deref(),
        Some(ENTE),
        "entity code pre-filled from the SIM"
    );
    fill_profile(p, page, cf_for(number)).await
}

/// Step 3's form sent as Mario Rossi with the personal code `cf` (not checked: for tests
/// that type someone else's code or send it while the store is down).
pub async fn fill_profile(p: &Portal, page: &Page, cf: &str) -> Page {
    fill_profile_as(p, page, ("Mario", "Rossi"), cf).await
}

/// Step 3's form sent with the name `(nome, cognome)` and the personal code `cf`.
pub async fn fill_profile_as(
    p: &Portal,
    page: &Page,
    (nome, cognome): (&str, &str),
    cf: &str,
) -> Page {
    p.submit(
        page,
        "nome",
        &[("nome", nome), ("cognome", cognome), ("cf_personale", cf)],
    )
    .await
}

/// Step 4 on the email page: `email` proposed as the username, then AVANTI; returns the
/// link of the confirmation email.
pub async fn email_step(p: &Portal, page: &Page, email: &str) -> String {
    assert_eq!(page.path, "/registrazione/email", "{}", page.text());
    let page = p.submit(page, "email", &[("email", email)]).await;
    assert!(page.contains(email), "the proposed username is the email");
    // An address registered before (a deleted account, a second attempt) already holds a
    // confirmation: the link wanted is the one this step sends.
    let before = confirmations(&p.emails_to(email).await);
    let page = p.submit(&page, "azione", &[]).await;
    assert!(
        page.contains("Ti abbiamo inviato una email"),
        "{}",
        page.text()
    );
    link_after(p, email, before).await
}

fn confirmations(mails: &[Email]) -> usize {
    mails
        .iter()
        .filter(|m| m.subject.contains("Conferma"))
        .count()
}

/// The link of the latest confirmation email to `email`.
pub async fn confirmation_link(p: &Portal, email: &str) -> String {
    link_after(p, email, 0).await
}

/// The link of the latest confirmation email to `email`, once more than `before` came.
async fn link_after(p: &Portal, email: &str, before: usize) -> String {
    let mails = p
        .emails_to_until_count(email, |m| m.subject.contains("Conferma"), before + 1)
        .await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.subject.contains("Conferma"))
        .expect("confirmation email");
    let start = mail.text.find("http").expect("link in the text part");
    mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Opens the CONFERMA EMAIL link and clicks its button, as a person does.
pub async fn confirm(p: &Portal, link: &str) -> Page {
    let page = p.get(link).await;
    assert_eq!(page.status, 200, "{}", page.text());
    p.submit(&page, "t", &[]).await
}

pub async fn complete(p: &Portal, link: &str) -> Page {
    let page = confirm(p, link).await;
    assert!(page.contains("Email Confermata"), "{}", page.text());
    assert!(page.contains("Gentile utente, grazie per aver confermato il tuo indirizzo email."));
    let page = p.get("/registrazione/password").await;
    p.submit(
        &page,
        "password",
        &[
            ("password", PASSWORD),
            ("conferma_password", PASSWORD),
            ("termini", "si"),
            ("privacy", "si"),
        ],
    )
    .await
}

/// A whole registration of `number` (which must be an active line) with `email` as the
/// username; returns the outcome page.
pub async fn register(p: &Portal, number: &str, email: &str) -> Page {
    let link = through_email(p, number, email).await;
    let page = complete(p, &link).await;
    assert!(
        page.contains("Richiesta inviata con successo"),
        "{}",
        page.text()
    );
    page
}

/// A new active line of the entity `ENTE`: its number.
pub async fn new_line(p: &Portal) -> String {
    let number = random_number();
    p.add_line(&number, ENTE, ENTE_NAME, true).await;
    number
}

/// A registered account on a new active line: (number, username). The username is an
/// email named for `who`; the registration runs in a browser of its own, so the caller's
/// cookies are not the registration's.
pub async fn registered(p: &Portal, who: &str) -> (String, String) {
    let number = new_line(p).await;
    let email = random_email(who);
    register(&p.as_browser(Portal::browser()), &number, &email).await;
    (number, email)
}
