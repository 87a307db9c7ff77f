//! Issue #9, "Headers and CSRF":
//!
//! - every answer of the real local gateway — every route of `shared::routes::ROUTES` (without
//!   a flow, and along a whole registration, login, logout and recovery), the static pages and
//!   an asset, the 404, and the error pages (403, 405, 410) — carries a Content-Security-Policy
//!   without `unsafe-inline`, HSTS, `X-Content-Type-Options: nosniff`, a Referrer-Policy and
//!   frame denial; every `Set-Cookie` is `HttpOnly` and `SameSite`;
//! - with `COOKIE_SECURE=true` (the AWS configuration) every cookie the flows set or clear is
//!   also `Secure` (in-memory app, same handlers);
//! - every state-changing POST refuses a cross-site request (`Origin` of another site, `Origin:
//!   null`, `Sec-Fetch-Site: cross-site`/`same-site`) with 403 and no effect at all (the store
//!   byte for byte unchanged, no SMS, no email, no cookie), while the same request from the
//!   portal's own pages goes through.

use lambda_http::Body;
use scraper::{Html, Selector};
use shared::clock::OffsetClock;
use shared::config::Config;
use shared::domain::{CodiceFiscaleEnte, MobileNumber};
use shared::notify::memory::{MemoryNotifier, Sent};
use shared::routes::{self, ROUTES};
use shared::store::lines::{self, Line};
use shared::store::memory::MemoryStore;
use shared::App;
use std::collections::BTreeSet;
use std::sync::Arc;

const ENTE: &str = e2e::register::ENTE;
const ENTE_NAME: &str = e2e::register::ENTE_NAME;
const PASSWORD: &str = e2e::register::PASSWORD;
const NEW_PASSWORD: &str = "Nuova-Chiave-Sicura-77!";

// ---------------------------------------------------------------------------------------
// The header rules.

/// The failures of one answer's headers (empty when all rules hold).
fn header_failures(what: &str, h: &http::HeaderMap, secure_cookies: bool) -> Vec<String> {
    let mut out = Vec::new();
    let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    match get("content-security-policy") {
        None => out.push(format!("{what}: no Content-Security-Policy")),
        Some(csp) => {
            if csp.contains("'unsafe-inline'") || csp.contains("'unsafe-eval'") {
                out.push(format!("{what}: CSP allows unsafe-inline/eval: {csp}"));
            }
            if !csp.contains("default-src") {
                out.push(format!("{what}: CSP without default-src: {csp}"));
            }
        }
    }
    let csp = get("content-security-policy").unwrap_or_default();
    match get("strict-transport-security") {
        Some(v)
            if v.split(';').any(|d| {
                d.trim()
                    .strip_prefix("max-age=")
                    .and_then(|s| s.parse::<u64>().ok())
                    .is_some_and(|s| s >= 31_536_000)
            }) => {}
        other => out.push(format!(
            "{what}: Strict-Transport-Security missing or under a year: {other:?}"
        )),
    }
    if get("x-content-type-options").as_deref() != Some("nosniff") {
        out.push(format!("{what}: X-Content-Type-Options is not nosniff"));
    }
    match get("referrer-policy").as_deref() {
        Some(
            "no-referrer" | "same-origin" | "strict-origin" | "strict-origin-when-cross-origin",
        ) => {}
        other => out.push(format!("{what}: Referrer-Policy {other:?}")),
    }
    let xfo_deny = get("x-frame-options").is_some_and(|v| v.eq_ignore_ascii_case("DENY"));
    if !xfo_deny && !csp.contains("frame-ancestors 'none'") {
        out.push(format!(
            "{what}: framing not denied (no X-Frame-Options DENY nor frame-ancestors 'none')"
        ));
    }
    for c in h.get_all("set-cookie") {
        let c = c.to_str().unwrap_or_default();
        let attrs: Vec<String> = c
            .split(';')
            .skip(1)
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        if !attrs.iter().any(|a| a == "httponly") {
            out.push(format!("{what}: cookie without HttpOnly: {c}"));
        }
        if !attrs
            .iter()
            .any(|a| a == "samesite=lax" || a == "samesite=strict")
        {
            out.push(format!("{what}: cookie without SameSite=Lax/Strict: {c}"));
        }
        if secure_cookies && !attrs.iter().any(|a| a == "secure") {
            out.push(format!("{what}: cookie without Secure: {c}"));
        }
        // In AWS every cookie is `__Host-`: Secure, Path=/, no Domain (no sibling host can set it).
        if secure_cookies
            && (!c.starts_with("__Host-")
                || !attrs.iter().any(|a| a == "path=/")
                || attrs.iter().any(|a| a.starts_with("domain=")))
        {
            out.push(format!(
                "{what}: cookie without the __Host- prefix rules: {c}"
            ));
        }
    }
    out
}

#[test]
fn the_header_rules_can_fail() {
    let mut h = http::HeaderMap::new();
    h.insert(
        "content-security-policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline'"
            .parse()
            .unwrap(),
    );
    h.insert("strict-transport-security", "max-age=60".parse().unwrap());
    h.insert("referrer-policy", "unsafe-url".parse().unwrap());
    h.append("set-cookie", "a=b; Path=/".parse().unwrap());
    let f = header_failures("test", &h, true).join("\n");
    for expected in [
        "unsafe-inline",
        "Strict-Transport-Security",
        "nosniff",
        "Referrer-Policy",
        "framing not denied",
        "HttpOnly",
        "SameSite",
        "Secure",
    ] {
        assert!(f.contains(expected), "{expected} not reported in:\n{f}");
    }
    let mut ok = http::HeaderMap::new();
    for (k, v) in shared::web::SECURITY_HEADERS {
        ok.insert(*k, v.parse().unwrap());
    }
    ok.append(
        "set-cookie",
        shared::web::set_cookie("reg_flow", "x", Some(60), true)
            .parse()
            .unwrap(),
    );
    assert_eq!(header_failures("ok", &ok, true), Vec::<String>::new());
    let mut not_secure = ok.clone();
    not_secure.insert(
        "set-cookie",
        shared::web::set_cookie("reg_flow", "x", Some(60), false)
            .parse()
            .unwrap(),
    );
    assert_eq!(
        header_failures("plain", &not_secure, true).len(),
        2,
        "no Secure, no __Host- prefix"
    );
}

// ---------------------------------------------------------------------------------------
// Through the real gateway: every route, static pages, 404 and error pages.

struct Walker {
    portal: e2e::Portal,
    client: reqwest::Client,
    failures: Vec<String>,
    answers: Vec<String>,
    cookies: BTreeSet<String>,
}

struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Walker {
    async fn start() -> Walker {
        let portal = e2e::Portal::start().await;
        Walker {
            client: Self::client(),
            portal,
            failures: Vec::new(),
            answers: Vec::new(),
            cookies: BTreeSet::new(),
        }
    }

    /// A browser that does not follow redirects, so that every answer is checked.
    fn client() -> reqwest::Client {
        e2e::simulated_client()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
        extra: &[(&str, &str)],
    ) -> Answer {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.portal.base, path)
        };
        let mut rb = self
            .client
            .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url);
        if let Some(fields) = form {
            rb = rb.form(fields);
        }
        for (k, v) in extra {
            rb = rb.header(*k, *v);
        }
        let resp = rb.send().await.expect("gateway answers");
        let what = format!("{method} {path} → {}", resp.status().as_u16());
        self.failures
            .extend(header_failures(&what, resp.headers(), false));
        for c in resp.headers().get_all("set-cookie") {
            self.cookies.insert(
                c.to_str()
                    .unwrap_or_default()
                    .split('=')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        self.answers.push(what);
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Answer {
            status,
            location,
            body: resp.text().await.unwrap_or_default(),
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, None, &[]).await
    }

    /// A POST from the portal's own page, then the redirect it answers with (checked too).
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let origin = self.portal.base.clone();
        let a = self
            .send(
                "POST",
                path,
                Some(fields),
                &[("origin", &origin), ("sec-fetch-site", "same-origin")],
            )
            .await;
        assert_eq!(a.status, 303, "POST {path}: {}", a.body);
        let to = a.location.clone().expect("redirect");
        self.get(&to).await
    }
}

fn hidden(html: &str, name: &str) -> String {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(&format!("input[name=\"{name}\"]")).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|i| i.value().attr("value"))
        .unwrap_or_else(|| panic!("no field {name}"))
        .to_owned()
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let mut w = Walker::start().await;

    // Every route of the table as a first visit (no flow, no session): pages or redirects.
    for r in ROUTES {
        let origin = w.portal.base.clone();
        let a = match r.method {
            "GET" => w.get(r.path).await,
            _ => {
                w.send(
                    r.method,
                    r.path,
                    Some(&[]),
                    &[("origin", &origin), ("sec-fetch-site", "same-origin")],
                )
                .await
            }
        };
        assert!(a.status < 500, "{} {}: {}", r.method, r.path, a.status);
    }

    // The public area, an asset, the 404, and the error pages.
    let home = w.get(routes::HOME).await;
    assert_eq!(home.status, 200);
    let doc = Html::parse_document(&home.body);
    let css = doc
        .select(&Selector::parse("link[rel=stylesheet]").unwrap())
        .next()
        .and_then(|l| l.value().attr("href"))
        .expect("a stylesheet")
        .to_owned();
    for p in [
        routes::NEWS,
        routes::DOCUMENTS,
        routes::CONTACTS,
        routes::PRIVACY,
        css.as_str(),
        "/robots.txt",
    ] {
        assert_eq!(w.get(p).await.status, 200, "{p}");
    }
    assert_eq!(w.get("/pagina-che-non-esiste").await.status, 404);
    assert_eq!(w.send("PUT", routes::LOGIN, None, &[]).await.status, 405);
    assert_eq!(
        w.send("POST", routes::ACCOUNT, Some(&[]), &[]).await.status,
        405
    );
    assert_eq!(
        w.get(&format!("{}?token=non-valido", routes::RECOVER_RESET))
            .await
            .status,
        410
    );
    let refused = w
        .send(
            "POST",
            routes::LOGIN,
            Some(&[("username", "x"), ("password", "y")]),
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(refused.status, 403);
    // A body over what reaches a function in AWS (6 MB): refused by the edge, headers and all.
    let huge = w
        .client
        .post(format!("{}{}", w.portal.base, routes::LOGIN))
        .body(vec![b'a'; 7 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status().as_u16(), 413);
    w.failures
        .extend(header_failures("POST 7 MB → 413", huge.headers(), false));

    // A whole registration, login, logout and recovery, every answer checked.
    let number = e2e::random_number();
    let email = e2e::random_email("intestazioni");
    w.portal.add_line(&number, ENTE, ENTE_NAME, true).await;
    let page = w.get(routes::REGISTER_NUMBER).await;
    let challenge = hidden(&page.body, "challenge");
    w.portal.clock.advance(3);
    w.post(
        routes::REGISTER_NUMBER,
        &[
            ("numero", &number),
            ("conferma", "100"),
            ("challenge", &challenge),
            ("pow", ""),
        ],
    )
    .await;
    let code = w.portal.last_code(&number).await;
    w.post(routes::REGISTER_OTP, &[("codice", &code)]).await;
    w.post(
        routes::REGISTER_PROFILE,
        &[
            ("nome", "Mario"),
            ("cognome", "Rossi"),
            ("cf_personale", e2e::register::cf_for(&number)),
            ("cf_ente", ENTE),
        ],
    )
    .await;
    w.post(
        routes::REGISTER_EMAIL,
        &[("azione", "salva"), ("email", &email)],
    )
    .await;
    w.get(&format!("{}?modifica=username", routes::REGISTER_EMAIL))
        .await;
    w.post(routes::REGISTER_EMAIL, &[("azione", "avanti")])
        .await;
    let link = e2e::register::confirmation_link(&w.portal, &email).await;
    assert_eq!(w.get(&link).await.status, 200);
    let token = link
        .split_once("t=")
        .expect("token in the link")
        .1
        .to_owned();
    w.post(routes::CONFIRM_EMAIL, &[("t", &token)]).await;
    let done = w
        .post(
            routes::REGISTER_PASSWORD,
            &[
                ("password", PASSWORD),
                ("conferma_password", PASSWORD),
                ("termini", "si"),
                ("privacy", "si"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);

    w.get(routes::LOGIN).await;
    w.post(
        routes::LOGIN,
        &[("username", &email), ("password", PASSWORD)],
    )
    .await;
    let code = w.portal.last_code(&number).await;
    let area = w.post(routes::LOGIN_OTP, &[("codice", &code)]).await;
    assert_eq!(area.status, 200, "the private area");
    w.get(routes::LOGOUT).await;
    w.post(routes::LOGOUT, &[]).await;
    assert_eq!(w.get(routes::ACCOUNT).await.status, 303, "signed out");

    w.get(routes::RECOVER).await;
    w.get(&format!("{}?modalita=entrambe", routes::RECOVER))
        .await;
    w.post(
        routes::RECOVER,
        &[
            ("modalita", "entrambe"),
            ("numero", &number),
            ("cf_personale", e2e::register::cf_for(&number)),
        ],
    )
    .await;
    let code = w.portal.last_code(&number).await;
    w.post(routes::RECOVER_OTP, &[("codice", &code)]).await;
    let mails = w.portal.emails_to(&email).await;
    let text = &mails
        .iter()
        .rev()
        .find(|m| m.text.contains("token="))
        .expect("reset email")
        .text;
    let link = text[text.find("http").unwrap()..]
        .split_whitespace()
        .find(|w| w.contains("token="))
        .unwrap()
        .to_owned();
    let token = link.split_once("token=").unwrap().1.to_owned();
    assert_eq!(w.get(&link).await.status, 200);
    w.post(routes::RECOVER_RESET, &[("token", &token)]).await;
    let code = w.portal.last_code(&number).await;
    w.post(routes::RECOVER_OTP, &[("codice", &code)]).await;
    w.post(
        routes::RECOVER_RESET,
        &[
            ("password", NEW_PASSWORD),
            ("conferma_password", NEW_PASSWORD),
        ],
    )
    .await;

    // Every route of the table was answered along the way.
    for r in ROUTES {
        assert!(
            w.answers
                .iter()
                .any(|a| a.starts_with(&format!("{} {} ", r.method, r.path))
                    || a.starts_with(&format!("{} {}?", r.method, r.path))),
            "{} {} never answered",
            r.method,
            r.path
        );
    }
    for name in ["reg_flow", "login_flow", "session", "recover_flow"] {
        assert!(
            w.cookies.contains(name),
            "cookie {name} never set: {:?}",
            w.cookies
        );
    }
    println!(
        "{} answers checked, cookies seen {:?}",
        w.answers.len(),
        w.cookies
    );
    assert!(w.failures.is_empty(), "{}", w.failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// In memory, with COOKIE_SECURE=true: the same handlers, every cookie checked.

struct Mem {
    app: &'static App,
    store: Arc<MemoryStore>,
    notifier: Arc<MemoryNotifier>,
    clock: Arc<OffsetClock>,
    jar: e2e::memory::Jar,
    /// Every Set-Cookie seen, for the cookie rules.
    set_cookies: Vec<String>,
    failures: Vec<String>,
    secure: bool,
}

struct MemAnswer {
    status: u16,
    location: Option<String>,
    set_cookies: usize,
    body: String,
}

const ORIGIN: &str = "http://127.0.0.1:3000";

impl Mem {
    fn new(cookie_secure: bool) -> Mem {
        let mut config = Config::for_tests();
        config.cookie_secure = cookie_secure;
        let (app, store, notifier, clock) = App::in_memory(config);
        Mem {
            app: Box::leak(Box::new(app)),
            store,
            notifier,
            clock,
            jar: Default::default(),
            set_cookies: Vec::new(),
            failures: Vec::new(),
            secure: cookie_secure,
        }
    }

    async fn add_line(&self, e164: &str) {
        let line = Line {
            number: MobileNumber::parse(e164).unwrap(),
            entity_cf: CodiceFiscaleEnte::parse(ENTE).unwrap(),
            ragione_sociale: ENTE_NAME.into(),
            active: true,
            profile: shared::store::lines::Profile::Utente,
        };
        lines::upsert(self.store.as_ref(), &line).await.unwrap();
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
        headers: &[(&str, &str)],
    ) -> MemAnswer {
        let mut headers: Vec<(&str, String)> =
            headers.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let body = match form {
            Some(fields) => {
                headers.push(("content-type", "application/x-www-form-urlencoded".into()));
                Body::Text(serde_urlencoded_pairs(fields))
            }
            None => Body::Empty,
        };
        let cookies = self.jar.header();
        let viewer = "203.0.113.9";
        let resp = e2e::memory::send(self.app, method, path, viewer, &cookies, &headers, body)
            .await
            .unwrap_or_else(|| panic!("no route {method} {path}"));
        let what = format!("{method} {path} → {}", resp.status().as_u16());
        self.failures
            .extend(header_failures(&what, resp.headers(), self.secure));
        let set = self.jar.absorb(&resp);
        let n = set.len();
        self.set_cookies.extend(set);
        let body = e2e::memory::text(&resp);
        MemAnswer {
            status: resp.status().as_u16(),
            location: resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            set_cookies: n,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> MemAnswer {
        self.send("GET", path, None, &[("sec-fetch-site", "none")])
            .await
    }

    /// A same-origin form POST that must redirect to `to`.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)], to: &str) -> MemAnswer {
        let a = self
            .send(
                "POST",
                path,
                Some(fields),
                &[("origin", ORIGIN), ("sec-fetch-site", "same-origin")],
            )
            .await;
        assert!(
            a.status == 303 && a.location.as_deref().is_some_and(|l| l.starts_with(to)),
            "POST {path}: {} {:?} {}",
            a.status,
            a.location,
            a.body
        );
        a
    }

    fn last_code(&self, e164: &str) -> String {
        let sent = self.notifier.sent.lock().unwrap();
        let text = sent
            .iter()
            .rev()
            .find_map(|m| match m {
                Sent::Sms { to, text } if to == e164 => Some(text.clone()),
                _ => None,
            })
            .expect("an SMS");
        text.split_whitespace()
            .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
            .unwrap()
            .to_owned()
    }

    fn last_link(&self, to: &str, path: &str) -> String {
        let sent = self.notifier.sent.lock().unwrap();
        let text = sent
            .iter()
            .rev()
            .find_map(|m| match m {
                Sent::Email(e) if e.to == to && e.text.contains(path) => Some(e.text.clone()),
                _ => None,
            })
            .expect("an email with the link");
        let start = text.find(path).unwrap();
        text[start..].split_whitespace().next().unwrap().to_owned()
    }

    fn sent(&self) -> usize {
        self.notifier.sent.lock().unwrap().len()
    }
}

fn serde_urlencoded_pairs(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let enc = |s: &str| {
                s.bytes()
                    .map(|b| {
                        if b.is_ascii_alphanumeric() || b"-_.*".contains(&b) {
                            (b as char).to_string()
                        } else {
                            format!("%{b:02X}")
                        }
                    })
                    .collect::<String>()
            };
            format!("{}={}", enc(k), enc(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The states a POST of each flow needs, reached through the handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    RegNumber,
    RegOtp,
    RegProfile,
    RegEmail,
    /// The confirmation email sent, its link not yet confirmed (`token` holds its `t`).
    RegConfirm,
    RegPassword,
    Account,
    LoginOtp,
    SignedIn,
    RecoverOtp,
    ResetLink,
    ResetPassword,
    /// Signed in, a new email asked (`token` holds the link's `t`).
    EmailLink,
    /// Registered, then a registration of the same person from another line waiting for
    /// the old owner's proof after PROSEGUI (`token` holds the old owner's link's `t`).
    CeaseLink,
    /// Signed in, the deletion's code sent.
    DeleteCode,
}

struct Person {
    number: String,
    email: String,
    challenge: String,
    code: String,
    token: String,
    /// The signed-in session's id in its account's list.
    session_id: String,
}

async fn reach(m: &mut Mem, stage: Stage) -> Person {
    let number = e2e::random_number();
    let email = e2e::random_email("csrf");
    m.add_line(&number).await;
    let mut p = Person {
        number: number.clone(),
        email: email.clone(),
        challenge: String::new(),
        code: String::new(),
        token: String::new(),
        session_id: String::new(),
    };
    let page = m.get(routes::REGISTER_NUMBER).await;
    p.challenge = hidden(&page.body, "challenge");
    m.clock.advance(3);
    if stage == Stage::RegNumber {
        return p;
    }
    m.post(
        routes::REGISTER_NUMBER,
        &[
            ("numero", &number),
            ("conferma", "100"),
            ("challenge", &p.challenge),
            ("pow", ""),
        ],
        routes::REGISTER_OTP,
    )
    .await;
    p.code = m.last_code(&number);
    if stage == Stage::RegOtp {
        return p;
    }
    m.post(
        routes::REGISTER_OTP,
        &[("codice", &p.code)],
        routes::REGISTER_PROFILE,
    )
    .await;
    if stage == Stage::RegProfile {
        return p;
    }
    m.post(
        routes::REGISTER_PROFILE,
        &[
            ("nome", "Mario"),
            ("cognome", "Rossi"),
            ("cf_personale", e2e::register::cf_for(&number)),
            ("cf_ente", ENTE),
        ],
        routes::REGISTER_EMAIL,
    )
    .await;
    if stage == Stage::RegEmail {
        return p;
    }
    m.post(
        routes::REGISTER_EMAIL,
        &[("azione", "salva"), ("email", &email)],
        routes::REGISTER_EMAIL,
    )
    .await;
    m.post(
        routes::REGISTER_EMAIL,
        &[("azione", "avanti")],
        routes::REGISTER_EMAIL,
    )
    .await;
    let link = m.last_link(&email, routes::CONFIRM_EMAIL);
    assert_eq!(m.get(&link).await.status, 200);
    let token = link
        .split_once("t=")
        .expect("token in the link")
        .1
        .to_owned();
    if stage == Stage::RegConfirm {
        p.token = token;
        return p;
    }
    m.post(
        routes::CONFIRM_EMAIL,
        &[("t", &token)],
        routes::CONFIRM_EMAIL,
    )
    .await;
    if stage == Stage::RegPassword {
        return p;
    }
    m.post(
        routes::REGISTER_PASSWORD,
        &[
            ("password", PASSWORD),
            ("conferma_password", PASSWORD),
            ("termini", "si"),
            ("privacy", "si"),
        ],
        routes::REGISTER_DONE,
    )
    .await;
    assert_eq!(m.get(routes::REGISTER_DONE).await.status, 200);
    match stage {
        Stage::Account => {}
        Stage::CeaseLink => {
            let other = e2e::random_number();
            m.add_line(&other).await;
            let page = m.get(routes::REGISTER_NUMBER).await;
            let challenge = hidden(&page.body, "challenge");
            m.clock.advance(3);
            let fields = [
                ("numero", other.as_str()),
                ("conferma", "100"),
                ("challenge", &challenge),
                ("pow", ""),
            ];
            m.post(routes::REGISTER_NUMBER, &fields, routes::REGISTER_OTP)
                .await;
            let code = m.last_code(&other);
            m.post(
                routes::REGISTER_OTP,
                &[("codice", &code)],
                routes::REGISTER_PROFILE,
            )
            .await;
            let same_person = [
                ("nome", "Mario"),
                ("cognome", "Rossi"),
                ("cf_personale", e2e::register::cf_for(&number)),
                ("cf_ente", ENTE),
            ];
            m.post(
                routes::REGISTER_PROFILE,
                &same_person,
                routes::REGISTER_PROFILE,
            )
            .await;
            let prosegui = [("azione", "prosegui")];
            m.post(
                routes::REGISTER_PROFILE,
                &prosegui,
                routes::REGISTER_PROFILE,
            )
            .await;
            let link = m.last_link(&email, routes::CONFIRM_CEASE);
            assert_eq!(m.get(&link).await.status, 200);
            p.token = link.split_once("t=").unwrap().1.to_owned();
        }
        Stage::LoginOtp | Stage::SignedIn | Stage::EmailLink | Stage::DeleteCode => {
            m.post(
                routes::LOGIN,
                &[("username", &email), ("password", PASSWORD)],
                routes::LOGIN_OTP,
            )
            .await;
            p.code = m.last_code(&number);
            if stage != Stage::LoginOtp {
                m.post(routes::LOGIN_OTP, &[("codice", &p.code)], routes::ACCOUNT)
                    .await;
                assert_eq!(m.get(routes::ACCOUNT).await.status, 200);
                p.session_id = hidden(&m.get(routes::ACCOUNT_SESSIONS).await.body, "sessione");
            }
            if stage == Stage::EmailLink {
                let new = format!("nuova.{email}");
                m.post(
                    routes::ACCOUNT_EMAIL,
                    &[("email", &new)],
                    routes::ACCOUNT_EMAIL,
                )
                .await;
                let link = m.last_link(&new, routes::ACCOUNT_EMAIL_CONFIRM);
                p.token = link.split_once("t=").unwrap().1.to_owned();
            }
            if stage == Stage::DeleteCode {
                m.clock.advance(31);
                let fields = [("password_attuale", PASSWORD)];
                m.post(routes::ACCOUNT_DELETE, &fields, routes::ACCOUNT_DELETE_CODE)
                    .await;
                p.code = m.last_code(&number);
            }
        }
        Stage::RecoverOtp => {
            m.post(
                routes::RECOVER,
                &[
                    ("modalita", "entrambe"),
                    ("numero", &number),
                    ("cf_personale", e2e::register::cf_for(&number)),
                ],
                routes::RECOVER_OTP,
            )
            .await;
            p.code = m.last_code(&number);
        }
        Stage::ResetLink | Stage::ResetPassword => {
            m.post(
                routes::RECOVER,
                &[("modalita", "password"), ("username", &email)],
                routes::RECOVER,
            )
            .await;
            let link = m.last_link(&email, routes::RECOVER_RESET);
            p.token = link.split_once("token=").unwrap().1.to_owned();
            if stage == Stage::ResetPassword {
                m.post(
                    routes::RECOVER_RESET,
                    &[("token", &p.token)],
                    routes::RECOVER_OTP,
                )
                .await;
                p.code = m.last_code(&number);
                m.post(
                    routes::RECOVER_OTP,
                    &[("codice", &p.code)],
                    routes::RECOVER_RESET,
                )
                .await;
            }
        }
        _ => unreachable!(),
    }
    p
}

#[tokio::test]
async fn with_cookie_secure_every_cookie_is_secure_httponly_and_samesite() {
    let mut m = Mem::new(true);
    // Registration (reg_flow set, rekeyed by the link), login (login_flow, session, cleared
    // login_flow), logout (session cleared), a stale session (cleared), recovery (recover_flow
    // set and cleared).
    reach(&mut m, Stage::SignedIn).await;
    let stale = m.jar.clone();
    m.post(routes::LOGOUT, &[], routes::LOGIN).await;
    m.jar = stale;
    assert_eq!(m.get(routes::ACCOUNT).await.status, 303);
    m.jar = Default::default();
    let p = reach(&mut m, Stage::ResetPassword).await;
    let _ = p;
    m.post(
        routes::RECOVER_RESET,
        &[
            ("password", NEW_PASSWORD),
            ("conferma_password", NEW_PASSWORD),
        ],
        routes::LOGIN,
    )
    .await;

    let names: BTreeSet<&str> = m
        .set_cookies
        .iter()
        .filter_map(|c| c.split('=').next())
        .collect();
    for name in ["reg_flow", "login_flow", "session", "recover_flow"] {
        let name = format!("__Host-{name}");
        assert!(
            names.contains(name.as_str()),
            "cookie {name} never set: {names:?}"
        );
    }
    assert!(
        m.set_cookies.iter().any(|c| c.contains("Max-Age=0")),
        "clearing cookies are checked too"
    );
    println!(
        "{} Set-Cookie headers checked: {names:?}",
        m.set_cookies.len()
    );
    assert!(m.failures.is_empty(), "{}", m.failures.join("\n"));
    // And the local configuration really turns Secure off (so the check above means something).
    assert!(!shared::web::set_cookie("x", "y", Some(1), false).contains("Secure"));
}

// ---------------------------------------------------------------------------------------
// CSRF: every state-changing POST refuses cross-site requests, with no effect.

/// The requests a browser sends for a form posted from another site.
const CROSS_SITE: &[&[(&str, &str)]] = &[
    &[("origin", "https://evil.example")],
    &[("sec-fetch-site", "cross-site")],
    &[
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ],
    &[("origin", "null")],
    &[
        ("origin", "https://127.0.0.1.evil.example"),
        ("sec-fetch-site", "same-site"),
    ],
    &[("origin", ORIGIN), ("sec-fetch-site", "cross-site")],
];

/// Each POST route, the state its victim is in, and the valid submission.
/// One POST of the CSRF table: the stage it needs, the path, the form fields.
type CsrfCase = (Stage, &'static str, Vec<(&'static str, String)>);

fn csrf_cases(p: &Person) -> Vec<CsrfCase> {
    vec![
        (
            Stage::RegNumber,
            routes::REGISTER_NUMBER,
            vec![
                ("numero", p.number.clone()),
                ("conferma", "100".into()),
                ("challenge", p.challenge.clone()),
                ("pow", String::new()),
            ],
        ),
        (
            Stage::RegOtp,
            routes::REGISTER_OTP,
            vec![("codice", p.code.clone())],
        ),
        (
            Stage::RegProfile,
            routes::REGISTER_PROFILE,
            vec![
                ("nome", "Mario".into()),
                ("cognome", "Rossi".into()),
                ("cf_personale", e2e::register::cf_for(&p.number).into()),
                ("cf_ente", ENTE.into()),
            ],
        ),
        (
            Stage::RegEmail,
            routes::REGISTER_EMAIL,
            vec![("azione", "salva".into()), ("email", p.email.clone())],
        ),
        (
            Stage::RegConfirm,
            routes::CONFIRM_EMAIL,
            vec![("t", p.token.clone())],
        ),
        (
            Stage::RegPassword,
            routes::REGISTER_PASSWORD,
            vec![
                ("password", PASSWORD.into()),
                ("conferma_password", PASSWORD.into()),
                ("termini", "si".into()),
                ("privacy", "si".into()),
            ],
        ),
        (
            Stage::Account,
            routes::LOGIN,
            vec![("username", p.email.clone()), ("password", PASSWORD.into())],
        ),
        (
            Stage::LoginOtp,
            routes::LOGIN_OTP,
            vec![("codice", p.code.clone())],
        ),
        (Stage::SignedIn, routes::LOGOUT, vec![]),
        (
            Stage::SignedIn,
            routes::ACCOUNT_PASSWORD,
            vec![
                ("password_attuale", PASSWORD.into()),
                ("password", NEW_PASSWORD.into()),
                ("conferma_password", NEW_PASSWORD.into()),
            ],
        ),
        (
            Stage::SignedIn,
            routes::ACCOUNT_EMAIL,
            vec![("email", format!("altra.{}", p.email))],
        ),
        (
            Stage::SignedIn,
            routes::ACCOUNT_SESSIONS,
            vec![("sessione", p.session_id.clone())],
        ),
        (
            Stage::SignedIn,
            routes::ACCOUNT_DELETE,
            vec![("password_attuale", PASSWORD.into())],
        ),
        (
            Stage::SignedIn,
            routes::ACCOUNT_CONSENTS,
            vec![
                ("termini", "si".into()),
                ("privacy", "si".into()),
                // The versions the page shows (those in force: none published here).
                ("termini_versione", shared::documents::TERMS_VERSION.into()),
                (
                    "privacy_versione",
                    shared::documents::PRIVACY_VERSION.into(),
                ),
            ],
        ),
        (
            Stage::EmailLink,
            routes::ACCOUNT_EMAIL_CONFIRM,
            vec![("t", p.token.clone())],
        ),
        (
            Stage::CeaseLink,
            routes::CONFIRM_CEASE,
            vec![("t", p.token.clone())],
        ),
        (
            Stage::DeleteCode,
            routes::ACCOUNT_DELETE_CODE,
            vec![("codice", p.code.clone())],
        ),
        (
            Stage::Account,
            routes::RECOVER,
            vec![
                ("modalita", "entrambe".into()),
                ("numero", p.number.clone()),
                ("cf_personale", e2e::register::cf_for(&p.number).into()),
            ],
        ),
        (
            Stage::RecoverOtp,
            routes::RECOVER_OTP,
            vec![("codice", p.code.clone())],
        ),
        (
            Stage::ResetLink,
            routes::RECOVER_RESET,
            vec![("token", p.token.clone())],
        ),
        (
            Stage::ResetPassword,
            routes::RECOVER_RESET,
            vec![
                ("password", NEW_PASSWORD.into()),
                ("conferma_password", NEW_PASSWORD.into()),
            ],
        ),
    ]
}

#[tokio::test]
async fn cross_site_posts_are_refused_with_no_effect() {
    let stages = [
        Stage::RegNumber,
        Stage::RegOtp,
        Stage::RegProfile,
        Stage::RegEmail,
        Stage::RegConfirm,
        Stage::RegPassword,
        Stage::Account,
        Stage::LoginOtp,
        Stage::SignedIn,
        Stage::RecoverOtp,
        Stage::ResetLink,
        Stage::ResetPassword,
        Stage::EmailLink,
        Stage::CeaseLink,
        Stage::DeleteCode,
    ];
    let mut covered = BTreeSet::new();
    let mut checked = 0;
    let mut failures = Vec::new();
    for stage in stages {
        // Several POSTs start from the same state (login and recovery from an account, the
        // private area's changes from a session): one victim each.
        let blank = Person {
            number: "+393330000000".into(),
            email: String::new(),
            challenge: String::new(),
            code: String::new(),
            token: String::new(),
            session_id: String::new(),
        };
        let n = csrf_cases(&blank)
            .iter()
            .filter(|(s, _, _)| *s == stage)
            .count();
        for index in 0..n {
            let mut m = Mem::new(false);
            let person = reach(&mut m, stage).await;
            let cases: Vec<_> = csrf_cases(&person)
                .into_iter()
                .filter(|(s, _, _)| *s == stage)
                .collect();
            let (_, path, fields) = &cases[index];
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            for headers in CROSS_SITE {
                let before = m.store.dump();
                let sent = m.sent();
                let cookies = m.jar.clone();
                let a = m.send("POST", path, Some(&fields), headers).await;
                assert_eq!(
                    a.status, 403,
                    "{stage:?} POST {path} with {headers:?}: {} {:?}",
                    a.status, a.location
                );
                assert!(
                    a.body
                        .contains("La richiesta non proviene da questo portale"),
                    "{}",
                    a.body
                );
                assert_eq!(a.set_cookies, 0, "{path}: a refused request sets no cookie");
                assert!(
                    m.store.dump() == before,
                    "{stage:?} POST {path} with {headers:?} changed the store"
                );
                assert_eq!(m.sent(), sent, "{path}: a refused request sends nothing");
                assert_eq!(m.jar, cookies);
                checked += 1;
            }
            // The same submission from the portal's own page goes through and has its effect.
            let before = m.store.dump();
            let sent = m.sent();
            let a = m
                .send(
                    "POST",
                    path,
                    Some(&fields),
                    &[("origin", ORIGIN), ("sec-fetch-site", "same-origin")],
                )
                .await;
            assert_eq!(
                a.status, 303,
                "{stage:?} same-origin POST {path}: {} {}",
                a.status, a.body
            );
            assert!(
                m.store.dump() != before || m.sent() > sent,
                "{stage:?} same-origin POST {path} had no effect"
            );
            covered.insert(*path);
            failures.extend(m.failures);
        }
    }
    let posts: BTreeSet<&str> = ROUTES
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.path)
        .collect();
    assert_eq!(covered, posts, "every POST route of the table is covered");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!(
        "{checked} cross-site POSTs refused without effect on {} routes",
        posts.len()
    );
}

/// Through the real gateway: every POST route refuses a cross-site form with 403 (with the
/// security headers) and no SMS, and accepts the portal's own.
#[tokio::test]
async fn cross_site_posts_are_refused_through_the_gateway() {
    let mut w = Walker::start().await;
    let number = e2e::random_number();
    w.portal.add_line(&number, ENTE, ENTE_NAME, true).await;
    let page = w.get(routes::REGISTER_NUMBER).await;
    let challenge = hidden(&page.body, "challenge");
    w.portal.clock.advance(3);
    let valid = [
        ("numero", number.as_str()),
        ("conferma", "100"),
        ("challenge", challenge.as_str()),
        ("pow", ""),
    ];
    let sms_before = w.portal.sms_to(&number).await.len();
    for r in ROUTES.iter().filter(|r| r.method == "POST") {
        for headers in CROSS_SITE {
            let fields: &[(&str, &str)] = if r.path == routes::REGISTER_NUMBER {
                &valid
            } else {
                &[("x", "1")]
            };
            let a = w.send("POST", r.path, Some(fields), headers).await;
            assert_eq!(a.status, 403, "POST {} with {headers:?}", r.path);
            assert!(a
                .body
                .contains("La richiesta non proviene da questo portale"));
        }
    }
    assert_eq!(
        w.portal.sms_to_at_least(&number, sms_before).await.len(),
        sms_before,
        "no SMS for a refused step 1"
    );
    // The portal's own step 1 goes through (the challenge was not used by the refused ones).
    let origin = w.portal.base.clone();
    let a = w
        .send(
            "POST",
            routes::REGISTER_NUMBER,
            Some(&valid),
            &[("origin", &origin), ("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(
        w.portal
            .sms_to_at_least(&number, sms_before + 1)
            .await
            .len(),
        sms_before + 1
    );
    assert!(w.failures.is_empty(), "{}", w.failures.join("\n"));
}
