//! Issue 21, "Proof before power": time checked in code (item 7), reset links and recovery
//! flows that carry the proof they were made on (item 2, the recovery's part), bad cookies as
//! clean refusals (item 9), and stale step cookies refused before any password hash (item 5,
//! the engine's mechanism and the recovery's reset). Through the real pages on LocalStack,
//! moving the portal's clock; the argon2 count drives one request in-process
//! (`e2e::memory::send`, as the gateway would) inside `passwords::counting`.

use domain::{crypto, routes};
use e2e::quick::{self, Holder};
use e2e::register::PASSWORD;
use e2e::sign_in;
use e2e::{simulated_client, Page, Portal};
use engine::flows::recovery::{self, RESET_TOKEN};
use engine::passwords;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use store::otp::{self, Purpose};
use store::tokens;

const NEW_PASSWORD: &str = "Tramonto-Verde-2027?";
const OTHER_PASSWORD: &str = "Mattino-Chiaro-2028!";

/// What the pages say about a link or a request made before the account's proof changed.
const LINK_VOIDED: &str = "il link non è più valido";
const REQUEST_VOIDED: &str = "la procedura di recupero non è più valida";

/// "Password dimenticata" for `username`, from a browser of its own; the link it mails.
async fn ask_reset_link(p: &Portal, username: &str) -> String {
    let b = p.as_browser(Portal::browser());
    let page = b.get("/recupero?modalita=password").await;
    let sent = b.submit(&page, "modalita", &[("username", username)]).await;
    assert!(
        sent.contains("Se i dati inseriti sono corretti"),
        "{}",
        sent.text()
    );
    e2e::recover::reset_link(p, username).await
}

/// The link opened in `b`, INVIA IL CODICE, the SMS code: the new password's page.
async fn to_new_password(p: &Portal, b: &Portal, h: &Holder, link: &str) -> Page {
    let page = b.get(link).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let before = p.sms_to(&h.number).await.len();
    let code_page = b.submit(&page, "token", &[]).await;
    assert_eq!(code_page.path, routes::RECOVER_OTP, "{}", code_page.text());
    p.sms_to_at_least(&h.number, before + 1).await;
    let code = p.last_code(&h.number).await;
    let form = b.submit(&code_page, "codice", &[("codice", &code)]).await;
    assert_eq!(form.path, routes::RECOVER_RESET, "{}", form.text());
    form
}

async fn set_password(b: &Portal, form: &Page, password: &str) -> Page {
    b.submit(
        form,
        "password",
        &[("password", password), ("conferma_password", password)],
    )
    .await
}

/// "Username e password dimenticate" for the holder's number and codice fiscale, as the
/// page sends it (with the request's own hidden field).
async fn mode_3(b: &Portal, h: &Holder) -> Page {
    let page = b.get("/recupero?modalita=entrambe").await;
    b.submit(
        &page,
        "modalita",
        &[("numero", &h.number), ("cf_personale", &h.personal_cf)],
    )
    .await
}

/// Whether `password` is (still) the holder's: the login's password step sends a code.
async fn password_is(p: &Portal, h: &Holder, password: &str) -> bool {
    let page =
        sign_in::password_step(&p.as_browser(Portal::browser()), &h.username, password).await;
    page.path == routes::LOGIN_OTP
}

fn count(mails: &[local_gateway::inbox::Email], subject: &str) -> usize {
    mails.iter().filter(|m| m.subject.contains(subject)).count()
}

// 7. Time is checked in code ----------------------------------------------------------------

/// Today a reset flow started at minute 29 lived 30 minutes more, and the link's token was
/// used up on `Exists` alone: the password changed 31 minutes after the link was sent.
#[tokio::test]
async fn a_reset_kept_alive_sets_no_password_after_its_links_30_minutes() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let link = ask_reset_link(&p, &h.username).await;
    p.clock.advance(29 * 60);
    let b = p.as_browser(Portal::browser());
    let form = to_new_password(&p, &b, &h, &link).await;
    p.clock.advance(2 * 60); // 31 minutes after the link left
    let late = set_password(&b, &form, NEW_PASSWORD).await;
    assert!(
        !late.contains("La password è stata modificata"),
        "a password set 31 minutes after its link was sent: {}",
        late.text()
    );
    assert!(late.status < 500, "{}", late.status);
    assert!(
        late.contains("scadut"),
        "the page says the request expired: {}",
        late.text()
    );
    assert!(
        password_is(&p, &h, PASSWORD).await,
        "the old password is unchanged"
    );
    let changed = p.emails_to(&h.username).await;
    assert_eq!(count(&changed, "password è stata modificata"), 0);
}

/// A login's "Invia di nuovo" sends a fresh code, but the password it rests on was checked
/// once: kept alive by resends, the login flow still ends 15 minutes after the password.
#[tokio::test]
async fn a_login_kept_alive_by_resends_ends_fifteen_minutes_after_the_password() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let b = p.as_browser(Portal::browser());
    let mut page = sign_in::password_step(&b, &h.username, PASSWORD).await;
    assert_eq!(page.path, routes::LOGIN_OTP, "{}", page.text());
    for minutes in [4, 4, 4, 2] {
        p.clock.advance(minutes * 60);
        let before = p.sms_to(&h.number).await.len();
        page = b.submit(&page, "azione", &[]).await;
        assert!(
            page.contains("Ti abbiamo inviato un nuovo codice"),
            "{}",
            page.text()
        );
        p.sms_to_at_least(&h.number, before + 1).await;
    }
    // 16 minutes after the password, with a code two minutes old.
    p.clock.advance(2 * 60);
    let code = p.last_code(&h.number).await;
    let late = b.submit(&page, "codice", &[("codice", &code)]).await;
    assert_ne!(
        late.path, "/area-clienti",
        "a login signed in 16 minutes after its password was checked"
    );
    assert!(
        late.contains("La procedura di accesso è scaduta"),
        "{} {}",
        late.path,
        late.text()
    );
}

/// DynamoDB deletes expired items lazily (up to days later): a code or a link whose item is
/// still in the table after its time is refused all the same.
#[tokio::test]
async fn an_expired_code_or_link_is_refused_though_its_item_is_still_there() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let link = ask_reset_link(&p, &h.username).await;
    let b = p.as_browser(Portal::browser());
    let page = b.get(&link).await;
    let code_page = b.submit(&page, "token", &[]).await;
    let code = p.last_code(&h.number).await;
    p.clock.advance(otp::TTL_SECS + 1);
    let code_key = otp::code_key(Purpose::Recovery, &recovery::reset_subject(&h.id));
    assert!(
        p.app.store.get(&code_key).await.unwrap().is_some(),
        "the code's item is still there (TTL lag)"
    );
    let late = b.submit(&code_page, "codice", &[("codice", &code)]).await;
    assert_eq!(late.status, 410, "{}", late.text());
    assert!(
        late.contains("Codice temporaneo scaduto"),
        "{}",
        late.text()
    );

    p.clock.advance(recovery::RESET_TTL_SECS);
    let token = link.split_once("token=").unwrap().1;
    let token_key = tokens::key(RESET_TOKEN, &crypto::token_hash(token));
    assert!(
        p.app.store.get(&token_key).await.unwrap().is_some(),
        "the link's item is still there (TTL lag)"
    );
    let gone = p.as_browser(Portal::browser()).get(&link).await;
    assert_eq!(gone.status, 410, "{}", gone.text());
}

/// Mode 3's code belonged to the identity typed: a stranger who knows the number and the
/// codice fiscale shared the owner's code for 30 seconds (and could burn it with five wrong
/// guesses), then replaced it.
#[tokio::test]
async fn a_strangers_mode_3_request_neither_spends_nor_replaces_the_owners_code() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let owner = p.as_browser(Portal::browser());
    let owner_page = mode_3(&owner, &h).await;
    assert_eq!(
        owner_page.path,
        routes::RECOVER_OTP,
        "{}",
        owner_page.text()
    );
    let code = p.last_code(&h.number).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    let stranger = p.as_browser(Portal::browser());
    let mut page = mode_3(&stranger, &h).await;
    assert_eq!(page.path, routes::RECOVER_OTP);
    for _ in 0..5 {
        page = stranger.submit(&page, "codice", &[("codice", wrong)]).await;
    }
    assert!(page
        .field_error("codice")
        .unwrap_or_default()
        .contains("troppe volte"));
    p.clock.advance(31); // past the double-click window: a new request, a new code
    mode_3(&p.as_browser(Portal::browser()), &h).await;

    let sent = owner
        .submit(&owner_page, "codice", &[("codice", &code)])
        .await;
    assert!(
        sent.contains("riceverai a breve una email con la tua username"),
        "the owner's code no longer works: {}",
        sent.text()
    );
    let mails = p.emails_to(&h.username).await;
    assert_eq!(count(&mails, "nuova password"), 1, "the owner got the link");
}

/// The recovery SMS of a number were one allowance for everyone: five requests from one
/// stranger left the owner none for the hour.
#[tokio::test]
async fn a_stranger_from_one_client_cannot_spend_the_owners_recovery_sms() {
    let p = Portal::start().await;
    p.align_clock(3600);
    let h = quick::user(&p).await;
    let stranger = p.as_browser(Portal::browser());
    let fields = [
        ("modalita", "entrambe"),
        ("numero", h.number.as_str()),
        ("cf_personale", h.personal_cf.as_str()),
    ];
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(stranger.post("/recupero", &fields).await.status);
        p.clock.advance(31);
    }
    assert!(
        statuses.contains(&429),
        "the stranger meets a cap: {statuses:?}"
    );
    let before = p.sms_to(&h.number).await.len();
    let owner = p.as_browser(Portal::browser());
    let page = mode_3(&owner, &h).await;
    assert_eq!(
        page.path,
        routes::RECOVER_OTP,
        "the owner is refused a code after one stranger's requests: {} {}",
        page.status,
        page.text()
    );
    assert_eq!(
        p.sms_to_at_least(&h.number, before + 1).await.len(),
        before + 1
    );
    let code = p.last_code(&h.number).await;
    let sent = owner.submit(&page, "codice", &[("codice", &code)]).await;
    assert!(
        sent.contains("riceverai a breve una email"),
        "{}",
        sent.text()
    );
}

/// A POST sent again with the cookie the browser had before it (a reload, a replayed
/// request).
async fn replay(p: &Portal, path: &str, cookie: &str, fields: &[(&str, &str)]) -> u16 {
    simulated_client()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}{}", p.base, path))
        .header("cookie", format!("{}={cookie}", recovery::COOKIE))
        .form(fields)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn replaying_a_finished_recovery_step_sends_nothing_again() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let (client, jar) = Portal::browser_with_jar();
    let b = p.as_browser(client);
    let page = mode_3(&b, &h).await;
    let code = p.last_code(&h.number).await;
    let before_code = p.cookie_in(&jar, recovery::COOKIE).unwrap();
    let sent = b.submit(&page, "codice", &[("codice", &code)]).await;
    assert!(
        sent.contains("riceverai a breve una email"),
        "{}",
        sent.text()
    );
    let (sms, mails) = (
        p.sms_to(&h.number).await.len(),
        p.emails_to(&h.username).await.len(),
    );
    let status = replay(&p, routes::RECOVER_OTP, &before_code, &[("codice", &code)]).await;
    assert!(status < 500, "{status}");

    let link = e2e::recover::link_in(&p.emails_to(&h.username).await.last().unwrap().text);
    let form = to_new_password(&p, &b, &h, &link).await;
    let before_save = p.cookie_in(&jar, recovery::COOKIE).unwrap();
    let done = set_password(&b, &form, NEW_PASSWORD).await;
    assert!(
        done.contains("La password è stata modificata"),
        "{}",
        done.text()
    );
    let (sms, mails) = (
        p.sms_to(&h.number).await.len().max(sms),
        p.emails_to(&h.username).await.len().max(mails),
    );
    let fields = [
        ("password", OTHER_PASSWORD),
        ("conferma_password", OTHER_PASSWORD),
    ];
    let status = replay(&p, routes::RECOVER_RESET, &before_save, &fields).await;
    assert!(status < 500, "{status}");
    assert_eq!(p.sms_to(&h.number).await.len(), sms, "no SMS again");
    assert_eq!(
        p.emails_to(&h.username).await.len(),
        mails,
        "no email again"
    );
    p.clock.advance(31);
    assert!(
        password_is(&p, &h, NEW_PASSWORD).await,
        "the replay changed nothing"
    );
}

// 2. Pending changes carry the proof they were made on --------------------------------------

/// The owner changes the password in the private area (in the browser `a`).
async fn change_password_in_the_area(p: &Portal, h: &Holder, new: &str) {
    let a = p.as_browser(Portal::browser());
    assert_eq!(sign_in::holder(&a, h).await.path, routes::ACCOUNT);
    let page = a.get(routes::ACCOUNT_PASSWORD).await;
    let done = a
        .submit(
            &page,
            "password_attuale",
            &[
                ("password_attuale", PASSWORD),
                ("password", new),
                ("conferma_password", new),
            ],
        )
        .await;
    assert!(
        done.contains("La password è stata modificata"),
        "{}",
        done.text()
    );
}

#[tokio::test]
async fn a_reset_link_is_void_once_the_password_changed_in_the_area() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let link = ask_reset_link(&p, &h.username).await;
    // A reset already on its new-password page, from another link of the same hour.
    p.clock.advance(31);
    let second = ask_reset_link(&p, &h.username).await;
    let b = p.as_browser(Portal::browser());
    let form = to_new_password(&p, &b, &h, &second).await;

    change_password_in_the_area(&p, &h, NEW_PASSWORD).await;

    let opened = p.as_browser(Portal::browser()).get(&link).await;
    assert_eq!(
        opened.status,
        410,
        "the link still opens: {}",
        opened.text()
    );
    assert!(
        opened.text().to_lowercase().contains(LINK_VOIDED),
        "{}",
        opened.text()
    );
    let late = set_password(&b, &form, OTHER_PASSWORD).await;
    assert!(
        !late.contains("La password è stata modificata"),
        "a reset asked before the change overrode it: {}",
        late.text()
    );
    assert!(
        late.text().to_lowercase().contains(LINK_VOIDED),
        "{}",
        late.text()
    );
    p.clock.advance(31);
    assert!(
        password_is(&p, &h, NEW_PASSWORD).await,
        "the area's password stands"
    );
}

#[tokio::test]
async fn a_reset_link_is_void_after_the_help_desk_suspended_the_account() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let link = ask_reset_link(&p, &h.username).await;
    for command in ["disable", "enable"] {
        let words = ["account", command, &h.id, "--motivo", "verifica"];
        let out = e2e::admin::run_as(&p, "mario.b", &words).await;
        assert!(out.stderr.is_empty(), "{}", out.stderr);
    }
    let opened = p.as_browser(Portal::browser()).get(&link).await;
    assert_eq!(
        opened.status,
        410,
        "the link outlived the suspension: {}",
        opened.text()
    );
    assert!(
        opened.text().to_lowercase().contains(LINK_VOIDED),
        "{}",
        opened.text()
    );
}

#[tokio::test]
async fn a_mode_3_request_is_void_once_the_password_changed() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let b = p.as_browser(Portal::browser());
    let page = mode_3(&b, &h).await;
    let code = p.last_code(&h.number).await;
    change_password_in_the_area(&p, &h, NEW_PASSWORD).await;
    let after = b.submit(&page, "codice", &[("codice", &code)]).await;
    assert!(
        after.text().to_lowercase().contains(REQUEST_VOIDED),
        "{}",
        after.text()
    );
    let mails = p.emails_to(&h.username).await;
    assert_eq!(
        count(&mails, "nuova password"),
        0,
        "no link for a voided request"
    );
}

// 9. Bad cookies are clean refusals ---------------------------------------------------------

/// Every cookie name the portal reads (the local gateway's bare names: `COOKIE_SECURE=false`).
const COOKIES: [&str; 6] = [
    engine::session::COOKIE,
    engine::flows::registration::COOKIE,
    engine::flows::login::COOKIE,
    recovery::COOKIE,
    engine::area::deletion::COOKIE,
    store::devices::COOKIE,
];

fn bad_values() -> Vec<(&'static str, Vec<u8>)> {
    let token = crypto::random_token();
    let s = |v: String| v.into_bytes();
    vec![
        ("oversized", s("a".repeat(6000))),
        (
            "oversized account part",
            s(format!("{token}.{}", "B".repeat(3000))),
        ),
        ("oversized id part", s(format!("{}.acc", "C".repeat(3000)))),
        ("many dots", s(".".repeat(50))),
        ("empty parts", s(".".into())),
        ("flow-shaped", s(format!("{token}.1.99999999999.AAAA"))),
        (
            "flow-shaped, big version",
            s(format!("{token}.99999999999999999999999.1.AA")),
        ),
        ("quoted", s("\"a.b\"".into())),
        ("percent-encoded", s("%00%ff.%2e%2e".into())),
        ("non-UTF-8", vec![b'a', 0xC3, 0x28, b'.', 0xFF, 0xFE, b'z']),
        ("latin-1 letters", vec![0xE0, 0xE8, b'.', 0xEC, 0xF2]),
    ]
}

#[tokio::test]
async fn bad_cookies_get_the_login_or_a_clean_refusal_on_every_route() {
    let p = Portal::start().await;
    let mut failures = Vec::new();
    for route in routes::ROUTES {
        let http = simulated_client()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        for name in COOKIES {
            for (what, value) in bad_values() {
                let mut header = format!("{name}=").into_bytes();
                header.extend(&value);
                let header = reqwest::header::HeaderValue::from_bytes(&header).unwrap();
                let method = reqwest::Method::from_bytes(route.method.as_bytes()).unwrap();
                let mut rb = http
                    .request(method, format!("{}{}", p.base, route.path))
                    .header("cookie", header);
                if route.method == "POST" {
                    rb = rb.form(&[("x", "1")]);
                }
                let resp = rb.send().await.expect("the gateway answers");
                let status = resp.status().as_u16();
                let location = resp
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let case = format!("{} {} with {name} {what}", route.method, route.path);
                if status >= 500 {
                    failures.push(format!("{case}: {status}"));
                } else if routes::PRIVATE.contains(&route.path)
                    && !(status == 303 && location.starts_with(routes::LOGIN))
                    && status != 400
                    && name == engine::session::COOKIE
                {
                    failures.push(format!("{case}: {status} to {location:?}, not the login"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// 5. Cheap checks first: a stale step cookie runs no argon2 -----------------------------------

/// One POST of the new-password form to the portal's handler, in this task (so that
/// `passwords::counting` sees the hashes it starts), as the gateway would send it.
async fn save_in_process(p: &Portal, cookie: &str, password: &str) -> (u16, String) {
    let body = format!("password={password}&conferma_password={password}");
    let resp = e2e::memory::send(
        p.app,
        "POST",
        routes::RECOVER_RESET,
        "10.9.8.7",
        &format!("{}={cookie}", recovery::COOKIE),
        &[(
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        )],
        lambda_http::Body::Text(body),
    )
    .await
    .expect("a route");
    let location = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (resp.status().as_u16(), location)
}

#[tokio::test]
async fn a_stale_reset_cookie_is_refused_before_any_password_hash() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let link = ask_reset_link(&p, &h.username).await;
    let (client, jar) = Portal::browser_with_jar();
    let b = p.as_browser(client);
    to_new_password(&p, &b, &h, &link).await;
    let cookie = p.cookie_in(&jar, recovery::COOKIE).unwrap();

    let hashes = Arc::new(AtomicUsize::new(0));
    let first =
        passwords::counting(hashes.clone(), save_in_process(&p, &cookie, NEW_PASSWORD)).await;
    assert_eq!(first.0, 303);
    assert!(first.1.starts_with(routes::LOGIN), "{first:?}");
    assert_eq!(
        hashes.load(Ordering::SeqCst),
        1,
        "the new password was hashed once"
    );

    let mails = p.emails_to(&h.username).await.len();
    let again =
        passwords::counting(hashes.clone(), save_in_process(&p, &cookie, OTHER_PASSWORD)).await;
    assert!(again.0 < 500, "{again:?}");
    assert_eq!(
        hashes.load(Ordering::SeqCst),
        1,
        "a stale cookie ran argon2 before its version was checked"
    );
    assert_eq!(
        p.emails_to(&h.username).await.len(),
        mails,
        "nothing sent again"
    );
    p.clock.advance(31);
    assert!(password_is(&p, &h, NEW_PASSWORD).await);
}
