//! Issue #9, "Bad input — nothing crashes, nothing is lost": for every form of every step,
//! 10,000 generated submissions against the real handlers (missing fields, 100 KB fields,
//! wrong types, invalid UTF-8, injection strings, repeated and unknown fields, wrong or
//! missing content types, empty bodies), with these checks on every answer:
//!
//! - no 5xx and no panic; every answer carries the Content-Security-Policy;
//! - a redirect stays on the site (a path, never an absolute URL);
//! - a rejection (4xx) is an HTML page with a message in Italian; a 422 is the form again;
//! - the form keeps what the user typed (read back with scraper from the input's `value`,
//!   compared with what the server received after its documented normalisation: first of
//!   repeated fields, cut at `MAX_FIELD`, trimmed/lowercased where the handler says so);
//! - secrets (passwords, SMS codes) are never echoed;
//! - injection strings come back escaped: the raw payload never appears in the page, and the
//!   parsed page has no inline script, no `on*` attribute, no iframe/object/embed.
//!
//! The forms run on the in-memory app (`App::in_memory`) through the same handler table as
//! the local gateway; each form starts from a flow brought to its step by the real handlers
//! (codes read from the in-memory notifier), and the store is restored to that snapshot after
//! every successful (303) submission and every few dozen others, so that each submission meets
//! the step in its intended state. Each run starts with a few fixed submissions (every field
//! 600 emoji, 600 'İ', 600 NULs, all injections, empty), then the seeded generator. The forms
//! of a flow run concurrently (one tokio task each). One smaller run (200 per form) goes through
//! the real local gateway on LocalStack (DynamoDB, SNS, SES), on a table of its own (so its SMS
//! do not eat the global hourly budget other tests share), to show the AWS-backed path answers
//! the same; it found a 503 the in-memory store cannot show (a key over DynamoDB's limit).
//!
//! Knobs: `SECURITY_FORMS_N` (10000) submissions per form, `SECURITY_FORMS_GATEWAY_N` (200),
//! `SECURITY_FORMS_SEED` (a fixed default: the run is reproducible; a failure prints its seed).

use futures::FutureExt;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use scraper::{Html, Selector};
use shared::clock::OffsetClock;
use shared::config::Config;
use shared::domain::{CodiceFiscaleEnte, MobileNumber};
use shared::notify::memory::{MemoryNotifier, Sent};
use shared::routes;
use shared::store::lines::{self, Line};
use shared::store::memory::MemoryStore;
use shared::store::{Item, Key, Store};
use shared::web::form::{parse_pairs, MAX_BODY};
use shared::App;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

const CF: &str = e2e::register::CF;
const ENTE: &str = e2e::register::ENTE;
const PASSWORD: &str = e2e::register::PASSWORD;
const MEMORY_ORIGIN: &str = "http://127.0.0.1:3000";

// ---------------------------------------------------------------------------------------
// Transport: the in-memory app through the handler table, or the real gateway over HTTP.

enum Backend {
    Memory {
        app: &'static App,
        store: Arc<MemoryStore>,
        notifier: Arc<MemoryNotifier>,
        clock: Arc<OffsetClock>,
    },
    Gateway {
        portal: e2e::Portal,
        http: reqwest::Client,
    },
}

/// One request as sent: any method, path, headers and body bytes.
#[derive(Clone)]
struct Raw {
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    /// In memory: hand the body to the handler as `Body::Text` (when it is UTF-8).
    text_body: bool,
}

struct Reply {
    status: u16,
    location: Option<String>,
    set_cookies: Vec<String>,
    csp: bool,
    content_type: String,
    body: String,
}

impl Backend {
    fn memory() -> Arc<Backend> {
        let (app, store, notifier, clock) = App::in_memory(Config::for_tests());
        let app: &'static App = Box::leak(Box::new(app));
        Arc::new(Backend::Memory {
            app,
            store,
            notifier,
            clock,
        })
    }

    /// The gateway on its own table: the SMS of a run count against the global hourly budget,
    /// which must not run out for the other tests sharing LocalStack.
    async fn gateway() -> Arc<Backend> {
        let portal = e2e::Portal::start_full(
            |c| {
                c.table_name = "portale-test-forms".into();
                // A run sends ~100 SMS (each new person brought to a step gets its codes): on
                // its own table the budget can be large without changing what the forms do.
                c.sms_global_hourly_budget = 1_000_000;
                // Eight forms at once against the emulator, beside the rest of the suite:
                // DynamoDB Local answers far slower than DynamoDB (a 2.5 s attempt timed out
                // once), so calls get more time here, as in `Portal::start_for_races`.
                c.aws_timeout = std::time::Duration::from_secs(60);
            },
            |app| async move { app },
        )
        .await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Arc::new(Backend::Gateway { portal, http })
    }

    fn origin(&self) -> String {
        match self {
            Backend::Memory { .. } => MEMORY_ORIGIN.to_owned(),
            Backend::Gateway { portal, .. } => portal.base.clone(),
        }
    }

    fn advance(&self, secs: i64) {
        match self {
            Backend::Memory { clock, .. } => clock.advance(secs),
            Backend::Gateway { portal, .. } => portal.clock.advance(secs),
        }
    }

    /// Sends a request; `Err` is a panic in the handler (or a dropped connection).
    async fn send(&self, raw: Raw, cookies: &str, ip: &str) -> Result<Reply, String> {
        match self {
            Backend::Memory { app, .. } => {
                let body = match raw.body {
                    None => lambda_http::Body::Empty,
                    Some(bytes) if raw.text_body => match String::from_utf8(bytes) {
                        Ok(s) => lambda_http::Body::Text(s),
                        Err(e) => lambda_http::Body::Binary(e.into_bytes()),
                    },
                    Some(bytes) => lambda_http::Body::Binary(bytes),
                };
                let sent =
                    e2e::memory::send(app, raw.method, &raw.path, ip, cookies, &raw.headers, body);
                let resp = AssertUnwindSafe(sent)
                    .catch_unwind()
                    .await
                    .map_err(|p| panic_text(&p))?
                    .unwrap_or_else(|| panic!("no route {} {}", raw.method, raw.path));
                let header = |n: &str| {
                    resp.headers()
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                Ok(Reply {
                    status: resp.status().as_u16(),
                    location: header("location"),
                    set_cookies: resp
                        .headers()
                        .get_all("set-cookie")
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .map(str::to_owned)
                        .collect(),
                    csp: resp.headers().contains_key("content-security-policy"),
                    content_type: header("content-type").unwrap_or_default(),
                    body: e2e::memory::text(&resp),
                })
            }
            Backend::Gateway { portal, http } => {
                let method = reqwest::Method::from_bytes(raw.method.as_bytes()).unwrap();
                let mut rb = http
                    .request(method, format!("{}{}", portal.base, raw.path))
                    .header(local_gateway::SIMULATED_CLIENT_HEADER, ip);
                if !cookies.is_empty() {
                    rb = rb.header("cookie", cookies);
                }
                for (k, v) in &raw.headers {
                    rb = rb.header(*k, v.as_str());
                }
                if let Some(b) = raw.body {
                    rb = rb.body(b);
                }
                let resp = rb
                    .send()
                    .await
                    .map_err(|e| format!("no answer from the gateway (handler panic?): {e}"))?;
                let header = |n: &str| {
                    resp.headers()
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let status = resp.status().as_u16();
                let location = header("location");
                let set_cookies = resp
                    .headers()
                    .get_all("set-cookie")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .map(str::to_owned)
                    .collect();
                let csp = resp.headers().contains_key("content-security-policy");
                let content_type = header("content-type").unwrap_or_default();
                let bytes = resp
                    .bytes()
                    .await
                    .map_err(|e| format!("body cut (handler panic?): {e}"))?;
                Ok(Reply {
                    status,
                    location,
                    set_cookies,
                    csp,
                    content_type,
                    body: String::from_utf8_lossy(&bytes).into_owned(),
                })
            }
        }
    }

    async fn add_line(&self, e164: &str) {
        match self {
            Backend::Memory { store, .. } => {
                let line = Line {
                    number: MobileNumber::parse(e164).unwrap(),
                    entity_cf: CodiceFiscaleEnte::parse(ENTE).unwrap(),
                    ragione_sociale: e2e::register::ENTE_NAME.into(),
                    active: true,
                    profile: shared::store::lines::Profile::Utente,
                };
                lines::upsert(store.as_ref(), &line).await.unwrap();
            }
            Backend::Gateway { portal, .. } => {
                portal
                    .add_line(e164, ENTE, e2e::register::ENTE_NAME, true)
                    .await
            }
        }
    }

    /// The code in the latest SMS to `e164`.
    async fn last_code(&self, e164: &str) -> String {
        match self {
            Backend::Memory { notifier, .. } => {
                let sent = notifier.sent.lock().unwrap();
                let text = sent
                    .iter()
                    .rev()
                    .find_map(|m| match m {
                        Sent::Sms { to, text } if to == e164 => Some(text.clone()),
                        _ => None,
                    })
                    .expect("an SMS was sent");
                text.split_whitespace()
                    .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
                    .expect("a 6-digit code")
                    .to_owned()
            }
            Backend::Gateway { portal, .. } => portal.last_code(e164).await,
        }
    }

    /// The path and query of the link to `path` in the latest email to `to`.
    async fn last_link(&self, to: &str, path: &str) -> String {
        let texts: Vec<String> = match self {
            Backend::Memory { notifier, .. } => notifier
                .sent
                .lock()
                .unwrap()
                .iter()
                .filter_map(|m| match m {
                    Sent::Email(e) if e.to == to => Some(e.text.clone()),
                    _ => None,
                })
                .collect(),
            Backend::Gateway { portal, .. } => portal
                .emails_to_until(to, |m| m.text.contains(path))
                .await
                .into_iter()
                .map(|m| m.text)
                .collect(),
        };
        let text = texts
            .iter()
            .rev()
            .find(|t| t.contains(path))
            .unwrap_or_else(|| panic!("an email to {to} with a link to {path}"));
        let start = text.find(path).unwrap();
        text[start..].split_whitespace().next().unwrap().to_owned()
    }

    fn snapshot(&self) -> Option<Vec<(Key, Item)>> {
        match self {
            Backend::Memory { store, .. } => Some(store.dump()),
            Backend::Gateway { .. } => None,
        }
    }

    /// Puts the in-memory store back to `snapshot` (rate counters, OTP attempts, flows).
    async fn restore(&self, snapshot: &[(Key, Item)]) {
        let Backend::Memory {
            store, notifier, ..
        } = self
        else {
            return;
        };
        let keep: BTreeSet<&Key> = snapshot.iter().map(|(k, _)| k).collect();
        for (k, _) in store.dump() {
            if !keep.contains(&k) {
                store.delete(&k, None).await.unwrap();
            }
        }
        for (k, item) in snapshot {
            store.put(k, item.clone(), None).await.unwrap();
        }
        // Keep the notifier's log short (the codes of the fixture are already read).
        let mut sent = notifier.sent.lock().unwrap();
        let n = sent.len();
        if n > 64 {
            sent.drain(..n - 16);
        }
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    let msg = p
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    format!("PANIC in the handler: {msg}")
}

/// A browser: its cookie jar and its address.
#[derive(Clone)]
struct Browser {
    backend: Arc<Backend>,
    cookies: Vec<(String, String)>,
    ip: String,
}

impl Browser {
    fn new(backend: Arc<Backend>) -> Browser {
        let mut rng = rand::thread_rng();
        let ip = format!(
            "10.{}.{}.{}",
            rng.gen_range(0..255),
            rng.gen_range(0..255),
            rng.gen_range(1..255)
        );
        Browser {
            backend,
            cookies: Vec::new(),
            ip,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn absorb(&mut self, reply: &Reply) {
        for c in &reply.set_cookies {
            let Some((name, value)) = c.split(';').next().and_then(|kv| kv.split_once('=')) else {
                continue;
            };
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    async fn send_as(&mut self, raw: Raw, ip: &str) -> Result<Reply, String> {
        let reply = self.backend.send(raw, &self.cookie_header(), ip).await?;
        self.absorb(&reply);
        Ok(reply)
    }

    async fn get(&mut self, path: &str) -> Reply {
        let raw = Raw {
            method: "GET",
            path: path.to_owned(),
            headers: vec![("sec-fetch-site", "none".into())],
            body: None,
            text_body: false,
        };
        let ip = self.ip.clone();
        self.send_as(raw, &ip).await.unwrap()
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = fields
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    encode(k.as_bytes(), false),
                    encode(v.as_bytes(), false)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let raw = Raw {
            method: "POST",
            path: path.to_owned(),
            headers: vec![
                ("content-type", "application/x-www-form-urlencoded".into()),
                ("origin", self.backend.origin()),
                ("sec-fetch-site", "same-origin".into()),
            ],
            body: Some(body.into_bytes()),
            text_body: false,
        };
        let ip = self.ip.clone();
        self.send_as(raw, &ip).await.unwrap()
    }
}

/// application/x-www-form-urlencoded, byte by byte (`+` for spaces when `plus`).
fn encode(bytes: &[u8], plus: bool) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' if plus => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
    out
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

fn expect_redirect(what: &str, r: &Reply, to: &str) {
    assert!(
        r.status == 303 && r.location.as_deref().is_some_and(|l| l.starts_with(to)),
        "{what}: expected 303 to {to}, got {} {:?}: {}",
        r.status,
        r.location,
        r.body.chars().take(600).collect::<String>()
    );
}

// ---------------------------------------------------------------------------------------
// Fixtures: a browser brought to a step by the real handlers, as a person gets there.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    RegNumber,
    RegOtp,
    RegProfile,
    RegEmail,
    RegEmailSaved,
    RegPassword,
    Account,
    LoginOtp,
    SignedIn,
    RecoverOtp,
    ResetLink,
    ResetPassword,
    /// Registered, then the same person from another line chose PROSEGUI and waits for the
    /// old owner's proof (`code` is the one sent to the old SIM).
    RegAwaiting,
}

#[derive(Clone)]
struct Fixture {
    browser: Browser,
    number: String,
    email: String,
    /// The valid values of this step (the current SMS code, the slider challenge, the link's token).
    code: String,
    challenge: String,
    token: String,
}

impl Fixture {
    fn national(&self) -> String {
        let n = &self.number[3..];
        format!("{} {} {}", &n[..3], &n[3..6], &n[6..])
    }
}

async fn fixture(backend: Arc<Backend>, stage: Stage) -> Fixture {
    let number = e2e::random_number();
    backend.add_line(&number).await;
    let email = e2e::random_email("sicurezza");
    let mut f = Fixture {
        browser: Browser::new(backend.clone()),
        number,
        email,
        code: String::new(),
        challenge: String::new(),
        token: String::new(),
    };
    let b = &mut f.browser;

    let page = b.get(routes::REGISTER_NUMBER).await;
    f.challenge = hidden(&page.body, "challenge");
    backend.advance(3);
    if stage == Stage::RegNumber {
        return f;
    }
    let national = f.national();
    let b = &mut f.browser;
    let r = b
        .post(
            routes::REGISTER_NUMBER,
            &[
                ("numero", &national),
                ("conferma", "100"),
                ("challenge", &f.challenge),
                ("pow", ""),
            ],
        )
        .await;
    expect_redirect("step 1", &r, routes::REGISTER_OTP);
    f.code = backend.last_code(&f.number).await;
    if stage == Stage::RegOtp {
        return f;
    }
    let r = b.post(routes::REGISTER_OTP, &[("codice", &f.code)]).await;
    expect_redirect("step 2", &r, routes::REGISTER_PROFILE);
    if stage == Stage::RegProfile {
        return f;
    }
    let cf = e2e::register::cf_for(&f.number);
    let b = &mut f.browser;
    let r = b
        .post(
            routes::REGISTER_PROFILE,
            &[
                ("nome", "Mario"),
                ("cognome", "Rossi"),
                ("cf_personale", cf),
                ("cf_ente", ENTE),
            ],
        )
        .await;
    expect_redirect("step 3", &r, routes::REGISTER_EMAIL);
    if stage == Stage::RegEmail {
        return f;
    }
    let r = b
        .post(
            routes::REGISTER_EMAIL,
            &[("azione", "salva"), ("email", &f.email)],
        )
        .await;
    expect_redirect("step 4 SALVA", &r, routes::REGISTER_EMAIL);
    if stage == Stage::RegEmailSaved {
        return f;
    }
    let r = b
        .post(routes::REGISTER_EMAIL, &[("azione", "avanti")])
        .await;
    expect_redirect("step 4 AVANTI", &r, routes::REGISTER_EMAIL);
    let link = backend.last_link(&f.email, routes::CONFIRM_EMAIL).await;
    let r = b.get(&link).await;
    assert_eq!(r.status, 200, "confirmation link: {}", r.body);
    let token = link
        .split_once("t=")
        .expect("token in the link")
        .1
        .to_owned();
    let r = b.post(routes::CONFIRM_EMAIL, &[("t", &token)]).await;
    expect_redirect("CONFERMA EMAIL", &r, routes::CONFIRM_EMAIL);
    if stage == Stage::RegPassword {
        return f;
    }
    let r = b
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
    expect_redirect("step 5", &r, routes::REGISTER_DONE);
    b.cookies.clear();
    match stage {
        Stage::Account => {}
        Stage::RegAwaiting => {
            let other = e2e::random_number();
            backend.add_line(&other).await;
            let page = b.get(routes::REGISTER_NUMBER).await;
            let challenge = hidden(&page.body, "challenge");
            backend.advance(3);
            let fields = [
                ("numero", other.as_str()),
                ("conferma", "100"),
                ("challenge", &challenge),
                ("pow", ""),
            ];
            let r = b.post(routes::REGISTER_NUMBER, &fields).await;
            expect_redirect("another line, step 1", &r, routes::REGISTER_OTP);
            let code = backend.last_code(&other).await;
            let r = b.post(routes::REGISTER_OTP, &[("codice", &code)]).await;
            expect_redirect("another line, step 2", &r, routes::REGISTER_PROFILE);
            let same_person = [
                ("nome", "Mario"),
                ("cognome", "Rossi"),
                ("cf_personale", e2e::register::cf_for(&f.number)),
                ("cf_ente", ENTE),
            ];
            let r = b.post(routes::REGISTER_PROFILE, &same_person).await;
            expect_redirect("the same person", &r, routes::REGISTER_PROFILE);
            let r = b
                .post(routes::REGISTER_PROFILE, &[("azione", "prosegui")])
                .await;
            expect_redirect("PROSEGUI", &r, routes::REGISTER_PROFILE);
            f.code = backend.last_code(&f.number).await;
        }
        Stage::LoginOtp | Stage::SignedIn => {
            let r = b
                .post(
                    routes::LOGIN,
                    &[("username", &f.email), ("password", PASSWORD)],
                )
                .await;
            expect_redirect("login", &r, routes::LOGIN_OTP);
            f.code = backend.last_code(&f.number).await;
            if stage == Stage::SignedIn {
                let r = b.post(routes::LOGIN_OTP, &[("codice", &f.code)]).await;
                expect_redirect("login code", &r, routes::ACCOUNT);
            }
        }
        Stage::RecoverOtp => {
            let r = b
                .post(
                    routes::RECOVER,
                    &[
                        ("modalita", "entrambe"),
                        ("numero", &national),
                        ("cf_personale", e2e::register::cf_for(&national)),
                    ],
                )
                .await;
            expect_redirect("recovery mode 3", &r, routes::RECOVER_OTP);
            f.code = backend.last_code(&f.number).await;
        }
        Stage::ResetLink | Stage::ResetPassword => {
            let r = b
                .post(
                    routes::RECOVER,
                    &[("modalita", "password"), ("username", &f.email)],
                )
                .await;
            expect_redirect("recovery mode 2", &r, routes::RECOVER);
            let link = backend.last_link(&f.email, routes::RECOVER_RESET).await;
            f.token = link
                .split_once("token=")
                .expect("token in the link")
                .1
                .to_owned();
            if stage == Stage::ResetPassword {
                let r = b.post(routes::RECOVER_RESET, &[("token", &f.token)]).await;
                expect_redirect("reset link", &r, routes::RECOVER_OTP);
                f.code = backend.last_code(&f.number).await;
                let r = b.post(routes::RECOVER_OTP, &[("codice", &f.code)]).await;
                expect_redirect("reset code", &r, routes::RECOVER_RESET);
            }
        }
        _ => unreachable!(),
    }
    f
}

// ---------------------------------------------------------------------------------------
// The forms and their fields.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Norm {
    AsIs,
    Trim,
    TrimLower,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A text input that must keep what was typed (after the handler's normalisation).
    Kept(Norm),
    /// Never echoed (passwords, SMS codes).
    Secret,
    /// A checkbox: re-rendered checked iff the first value was "si".
    Check,
    /// A hidden/button value: mostly one of these, sometimes anything.
    Choice(&'static [&'static str]),
    /// The login's `next`: re-rendered only as a private-area path.
    Next,
    /// Generated freely, nothing to check on the page (challenge, proof-of-work, token).
    Opaque,
}

#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    kind: Kind,
}

const fn f(name: &'static str, kind: Kind) -> Field {
    Field { name, kind }
}

struct FormSpec {
    name: &'static str,
    path: &'static str,
    stage: Stage,
    fields: &'static [Field],
    /// Restore the fixture after this many submissions (OTP attempts run out after 5).
    reset_every: usize,
    /// A successful submission moves the flow on: restore the snapshot (in memory).
    success_moves_flow: bool,
    /// Through the gateway (no snapshot), a success leaves the step unusable: a new person
    /// is brought to it (only where needed: each one costs SMS).
    redo_through_gateway: bool,
}

const AS_IS: Kind = Kind::Kept(Norm::AsIs);

const FORMS: &[FormSpec] = &[
    FormSpec {
        name: "registrazione/numero",
        path: routes::REGISTER_NUMBER,
        stage: Stage::RegNumber,
        fields: &[
            f("numero", AS_IS),
            f("conferma", Kind::Choice(&["100", "0", "99"])),
            f("challenge", Kind::Opaque),
            f("pow", Kind::Opaque),
        ],
        reset_every: 50,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
    FormSpec {
        name: "registrazione/codice",
        path: routes::REGISTER_OTP,
        stage: Stage::RegOtp,
        fields: &[
            f("codice", Kind::Secret),
            f("azione", Kind::Choice(&["", "invia-di-nuovo"])),
        ],
        reset_every: 20,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
    FormSpec {
        name: "registrazione/dati",
        path: routes::REGISTER_PROFILE,
        stage: Stage::RegProfile,
        fields: &[
            f("nome", AS_IS),
            f("cognome", AS_IS),
            f("cf_personale", AS_IS),
            f("cf_ente", AS_IS),
            f("azione", Kind::Choice(&["", "prosegui"])),
        ],
        reset_every: 200,
        success_moves_flow: true,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "registrazione/dati (conferma del titolare)",
        path: routes::REGISTER_PROFILE,
        stage: Stage::RegAwaiting,
        fields: &[
            f("codice", Kind::Secret),
            f("azione", Kind::Choice(&["", "invia-di-nuovo", "prosegui"])),
        ],
        reset_every: 20,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
    FormSpec {
        name: "registrazione/email SALVA",
        path: routes::REGISTER_EMAIL,
        stage: Stage::RegEmail,
        fields: &[f("azione", Kind::Choice(&["salva"])), f("email", AS_IS)],
        reset_every: 200,
        success_moves_flow: true,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "registrazione/email MODIFICA",
        path: routes::REGISTER_EMAIL,
        stage: Stage::RegEmailSaved,
        fields: &[f("azione", Kind::Choice(&["avanti"])), f("username", AS_IS)],
        reset_every: 50,
        success_moves_flow: true,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "registrazione/email AVANTI",
        path: routes::REGISTER_EMAIL,
        stage: Stage::RegEmailSaved,
        fields: &[
            f(
                "azione",
                Kind::Choice(&["avanti", "invia-di-nuovo", "salva"]),
            ),
            f("email", AS_IS),
        ],
        reset_every: 50,
        success_moves_flow: true,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "registrazione/password",
        path: routes::REGISTER_PASSWORD,
        stage: Stage::RegPassword,
        fields: &[
            f("password", Kind::Secret),
            f("conferma_password", Kind::Secret),
            f("termini", Kind::Check),
            f("privacy", Kind::Check),
        ],
        reset_every: 200,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
    FormSpec {
        name: "accesso",
        path: routes::LOGIN,
        stage: Stage::Account,
        fields: &[
            f("username", Kind::Kept(Norm::TrimLower)),
            f("password", Kind::Secret),
            f("next", Kind::Next),
        ],
        // Every attempt costs an argon2id verification until the per-IP cap answers:
        // no periodic restore, so the caps and the lockout are exercised too.
        reset_every: usize::MAX,
        success_moves_flow: false,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "accesso/codice",
        path: routes::LOGIN_OTP,
        stage: Stage::LoginOtp,
        fields: &[
            f("codice", Kind::Secret),
            f("azione", Kind::Choice(&["", "invia-di-nuovo"])),
        ],
        reset_every: 20,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
    FormSpec {
        name: "esci",
        path: routes::LOGOUT,
        stage: Stage::SignedIn,
        fields: &[f("azione", Kind::Opaque)],
        reset_every: 1,
        success_moves_flow: true,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "recupero (username)",
        path: routes::RECOVER,
        stage: Stage::Account,
        fields: &[
            f("modalita", Kind::Choice(&["username"])),
            f("numero", Kind::Kept(Norm::Trim)),
            f("cf_personale", Kind::Kept(Norm::Trim)),
        ],
        reset_every: 200,
        success_moves_flow: false,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "recupero (password)",
        path: routes::RECOVER,
        stage: Stage::Account,
        fields: &[
            f("modalita", Kind::Choice(&["password"])),
            f("username", Kind::Kept(Norm::Trim)),
        ],
        reset_every: 200,
        success_moves_flow: false,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "recupero (entrambe)",
        path: routes::RECOVER,
        stage: Stage::Account,
        fields: &[
            f("modalita", Kind::Choice(&["entrambe"])),
            f("numero", Kind::Kept(Norm::Trim)),
            f("cf_personale", Kind::Kept(Norm::Trim)),
        ],
        reset_every: 200,
        success_moves_flow: false,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "recupero/codice",
        path: routes::RECOVER_OTP,
        stage: Stage::RecoverOtp,
        fields: &[
            f("codice", Kind::Secret),
            f("azione", Kind::Choice(&["", "invia-di-nuovo"])),
        ],
        reset_every: 20,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
    FormSpec {
        name: "recupero/nuova-password (token)",
        path: routes::RECOVER_RESET,
        stage: Stage::ResetLink,
        fields: &[f("token", Kind::Opaque)],
        reset_every: 200,
        success_moves_flow: true,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "recupero/nuova-password (password)",
        path: routes::RECOVER_RESET,
        stage: Stage::ResetPassword,
        fields: &[
            f("password", Kind::Secret),
            f("conferma_password", Kind::Secret),
        ],
        reset_every: 200,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
];

/// The value a person would type in this field at this step.
fn valid_value(fx: &Fixture, spec: &FormSpec, field: &str) -> Option<String> {
    Some(match field {
        "numero" => fx.national(),
        "conferma" => "100".into(),
        "challenge" => fx.challenge.clone(),
        "pow" => String::new(),
        "codice" => fx.code.clone(),
        "nome" => "Mario".into(),
        "cognome" => "Rossi".into(),
        "cf_personale" => CF.into(),
        "cf_ente" => ENTE.into(),
        "email" => fx.email.clone(),
        "username" if spec.stage == Stage::RegEmailSaved => format!("mario.{}", &fx.number[5..]),
        "username" => fx.email.clone(),
        "password" | "conferma_password" if spec.stage == Stage::ResetPassword => {
            "Nuova-Chiave-Sicura-77!".into()
        }
        "password" | "conferma_password" => PASSWORD.into(),
        "termini" | "privacy" => "si".into(),
        "next" => routes::ACCOUNT.into(),
        "token" => fx.token.clone(),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// The generator.

/// Strings that must come back escaped, never as markup.
const INJECTIONS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><script>alert(document.cookie)</script>",
    "'><img src=x onerror=alert(1)>",
    "\" autofocus onfocus=\"alert(1)",
    "<svg/onload=alert(1)>",
    "</textarea><iframe src=javascript:alert(1)>",
    "' OR 1=1 --",
    "\" OR \"\"=\"",
    "admin'--",
    "{{7*7}}",
    "${7*7}",
    "<%= 7*7 %>",
    "#{7*7}",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "%00",
    "&lt;script&gt;",
    "&#60;script&#62;",
    "javascript:alert(1)",
    "{\"$gt\": \"\"}",
    "\r\nSet-Cookie: session=evil",
    "' UNION SELECT pk FROM portale --",
    "LINE#+393331234567",
    "ACCOUNT#x",
];

const WRONG_TYPES: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "NaN",
    "Infinity",
    "true",
    "false",
    "null",
    "undefined",
    "[]",
    "{}",
    "[object Object]",
    "0x41",
    "9999999999999999999999",
    "3.14",
    "-0",
];

const UNICODE: &[&str] = &[
    "\u{0}",
    "a\u{0}b",
    "\r\n",
    "\r",
    "\t",
    "\u{202e}gnp.exe",
    "\u{200b}\u{200d}\u{feff}",
    "😀👍🏽",
    "e\u{301}",
    "İstanbul",
    "ß",
    "Straße",
    "ﬃ",
    "１２３ ４５６",
    "٣٣٣١٢٣٤٥٦٧",
    "\u{fffd}",
    "\u{10ffff}",
    "Ǆ",
    "Ⅻ",
    "D'Annunzio",
    "Dell’Acqua",
];

/// Huge values (100 KB), built once with their encodings.
struct Huge {
    raw: Vec<u8>,
    encoded: String,
}

fn huge_values() -> &'static [Huge] {
    static H: OnceLock<Vec<Huge>> = OnceLock::new();
    H.get_or_init(|| {
        let size = 100 * 1024;
        let mut rng = StdRng::seed_from_u64(7);
        let raws: Vec<Vec<u8>> = vec![
            vec![b'A'; size],
            vec![b'9'; size],
            "é".repeat(size / 2).into_bytes(),
            "😀".repeat(size / 4).into_bytes(),
            "<script>alert(1)</script>".repeat(size / 25).into_bytes(),
            (0..size).map(|_| rng.gen_range(0x20u8..0x7f)).collect(),
            (0..size).map(|_| rng.gen::<u8>()).collect(),
            // Within the first MAX_BODY the value is still being read: what is kept is its start.
            format!("333 123 4567{}", " ".repeat(size)).into_bytes(),
        ];
        raws.into_iter()
            .map(|raw| Huge {
                encoded: encode(&raw, true),
                raw,
            })
            .collect()
    })
}

/// A generated value: raw bytes, or one of the huge values (by index).
enum Val {
    Bytes(Vec<u8>),
    Huge(usize),
}

fn mutate(rng: &mut StdRng, s: &str) -> Vec<u8> {
    let mut chars: Vec<char> = s.chars().collect();
    for _ in 0..rng.gen_range(1..4) {
        let pos = rng.gen_range(0..=chars.len());
        match rng.gen_range(0..6) {
            0 if !chars.is_empty() => {
                chars.remove(pos.min(chars.len() - 1));
            }
            1 => chars.insert(pos, *b" -.+@x0".map(char::from).choose(rng).unwrap()),
            2 => chars.insert(
                pos,
                *['é', '\u{0}', '<', '"', '\'', '&', '%', '\n']
                    .choose(rng)
                    .unwrap(),
            ),
            3 => {
                chars = chars
                    .iter()
                    .map(|c| {
                        if rng.gen_bool(0.5) {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    })
                    .collect()
            }
            4 => {
                chars.insert(0, ' ');
                chars.push(' ');
            }
            _ => chars.extend(chars.clone()),
        }
    }
    chars.into_iter().collect::<String>().into_bytes()
}

fn gen_value(rng: &mut StdRng, valid: Option<&str>) -> Val {
    let valid = valid.unwrap_or("x");
    let v = match rng.gen_range(0..100) {
        0..=9 => valid.as_bytes().to_vec(),
        10..=19 => mutate(rng, valid),
        20..=24 => Vec::new(),
        25..=26 => return Val::Huge(rng.gen_range(0..huge_values().len())),
        27..=39 => {
            let inj = *INJECTIONS.choose(rng).unwrap();
            match rng.gen_range(0..3) {
                0 => inj.as_bytes().to_vec(),
                1 => format!("{valid}{inj}").into_bytes(),
                _ => format!("{inj} {valid} {inj}").into_bytes(),
            }
        }
        40..=49 => WRONG_TYPES.choose(rng).unwrap().as_bytes().to_vec(),
        50..=59 => {
            // Invalid UTF-8: stray continuation bytes, overlongs, surrogates, truncated sequences.
            let bad: &[&[u8]] = &[
                b"\xff",
                b"\xfe\xff",
                b"\xc0\xaf",
                b"\xed\xa0\x80",
                b"\xe2\x82",
                b"\x80",
                b"\xf8\x88\x80\x80\x80",
            ];
            let mut out = valid.as_bytes().to_vec();
            for _ in 0..rng.gen_range(1..4) {
                let at = rng.gen_range(0..=out.len());
                let b = bad.choose(rng).unwrap();
                out.splice(at..at, b.iter().copied());
            }
            out
        }
        60..=69 => {
            let u = *UNICODE.choose(rng).unwrap();
            if rng.gen_bool(0.5) {
                u.as_bytes().to_vec()
            } else {
                format!("{valid}{u}").into_bytes()
            }
        }
        70..=84 => (0..rng.gen_range(0..40))
            .map(|_| rng.gen_range(0x20u8..0x7f))
            .collect(),
        _ => (0..rng.gen_range(0..30))
            .map(|_| rng.gen::<char>())
            .collect::<String>()
            .into_bytes(),
    };
    Val::Bytes(v)
}

/// One generated submission.
struct Submission {
    ip_index: usize,
    /// What the server receives: the decoded pairs (empty when the body is not read).
    decoded: Vec<(String, String)>,
    /// Injection payloads included (to look for unescaped in the answer).
    injections: Vec<&'static str>,
    /// Secrets typed (never to be echoed).
    secrets: Vec<String>,
    /// A short description for failure reports.
    summary: Summary,
}

/// What a failure report shows of a submission (formatted only for a failure).
#[derive(Default)]
struct Summary {
    content_type: Option<&'static str>,
    len: Option<usize>,
    start: Option<Vec<u8>>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let start = self
            .start
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned());
        write!(
            f,
            "content-type {:?}, body of {:?} bytes starting {:?}",
            self.content_type, self.len, start
        )
    }
}

/// Fixed values every run starts with, in every field at once: the widest UTF-8 characters
/// at the maximum kept length (a key built from one would exceed DynamoDB's 2048-byte key
/// limit), a character whose lowercase is longer, NULs, the injections, nothing.
fn prelude() -> Vec<Vec<u8>> {
    vec![
        "😀".repeat(600).into_bytes(),
        "İ".repeat(600).into_bytes(),
        "\0".repeat(600).into_bytes(),
        INJECTIONS.join(" ").into_bytes(),
        Vec::new(),
    ]
}

fn generate(
    rng: &mut StdRng,
    spec: &FormSpec,
    fx: &Fixture,
    origin: &str,
    fixed: Option<&[u8]>,
) -> (Raw, Submission) {
    // Fields: each missing sometimes; choice fields mostly their expected value.
    let mut pairs: Vec<(Vec<u8>, Val)> = Vec::new();
    for field in spec.fields {
        if let Some(v) = fixed {
            let val = match field.kind {
                Kind::Choice(options) => options[0].as_bytes().to_vec(),
                _ => v.to_vec(),
            };
            pairs.push((field.name.as_bytes().to_vec(), Val::Bytes(val)));
            continue;
        }
        if rng.gen_bool(0.1) {
            continue;
        }
        let valid = valid_value(fx, spec, field.name);
        let val = match field.kind {
            Kind::Choice(options) if rng.gen_bool(0.85) => {
                Val::Bytes(options.choose(rng).unwrap().as_bytes().to_vec())
            }
            Kind::Check if rng.gen_bool(0.5) => Val::Bytes(b"si".to_vec()),
            _ => gen_value(rng, valid.as_deref()),
        };
        pairs.push((field.name.as_bytes().to_vec(), val));
        if rng.gen_bool(0.05) {
            // Repeated field: the first one counts.
            let again = gen_value(rng, valid.as_deref());
            pairs.push((field.name.as_bytes().to_vec(), again));
        }
    }
    if fixed.is_none() && rng.gen_bool(0.1) {
        let junk: &[&[u8]] = &[
            b"__proto__",
            b"constructor",
            b"numero[]",
            b"",
            b"\xff\xfe",
            b"a=b",
            b"&",
            b"codice ",
            b"NUMERO",
            b"x".as_slice(),
        ];
        let name = junk.choose(rng).unwrap().to_vec();
        let val = gen_value(rng, None);
        pairs.push((name, val));
    }
    if fixed.is_none() && rng.gen_bool(0.3) {
        pairs.shuffle(rng);
    }

    let mut injections = Vec::new();
    let mut secrets = Vec::new();
    for (name, val) in &pairs {
        let Val::Bytes(b) = val else { continue };
        let s = String::from_utf8_lossy(b);
        injections.extend(
            INJECTIONS
                .iter()
                .filter(|i| i.contains('<') && s.contains(**i)),
        );
        if spec
            .fields
            .iter()
            .any(|f| matches!(f.kind, Kind::Secret) && f.name.as_bytes() == name.as_slice())
        {
            secrets.push(s.into_owned());
        }
    }

    // The body: properly encoded, or raw bytes (structure characters and invalid UTF-8 as they
    // are), or not a form at all.
    let style = if fixed.is_some() {
        99
    } else {
        rng.gen_range(0..100)
    };
    let body: Option<Vec<u8>> = if style < 3 {
        None
    } else if style < 6 {
        Some(
            (0..rng.gen_range(0..2000))
                .map(|_| rng.gen::<u8>())
                .collect(),
        )
    } else if style < 8 {
        let json: Vec<String> = pairs
            .iter()
            .map(|(k, _)| format!("\"{}\":\"x\"", String::from_utf8_lossy(k)))
            .collect();
        Some(format!("{{{}}}", json.join(",")).into_bytes())
    } else {
        let raw_style = style < 18;
        let plus = rng.gen_bool(0.5);
        let mut out: Vec<u8> = Vec::new();
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push(b'&');
            }
            if raw_style {
                out.extend_from_slice(k);
                out.push(b'=');
                match v {
                    Val::Bytes(b) => out.extend_from_slice(b),
                    Val::Huge(h) => out.extend_from_slice(&huge_values()[*h].raw),
                }
            } else {
                out.extend_from_slice(encode(k, plus).as_bytes());
                out.push(b'=');
                match v {
                    Val::Bytes(b) => out.extend_from_slice(encode(b, plus).as_bytes()),
                    Val::Huge(h) => out.extend_from_slice(huge_values()[*h].encoded.as_bytes()),
                }
            }
        }
        Some(out)
    };

    let content_type: Option<&str> = match if fixed.is_some() {
        0
    } else {
        rng.gen_range(0..100)
    } {
        0..=74 => Some("application/x-www-form-urlencoded"),
        75..=79 => Some("application/x-www-form-urlencoded; charset=ISO-8859-1"),
        80..=84 => None,
        85..=89 => Some("multipart/form-data; boundary=----x"),
        90..=92 => Some("application/json"),
        93..=95 => Some("text/plain"),
        96..=97 => Some(""),
        _ => Some("application/x-www-form-urlencoded-but-not-really"),
    };
    // What the server reads: a urlencoded body (or one without a declared type), cut at MAX_BODY.
    let read = content_type
        .is_none_or(|ct| ct.is_empty() || ct.starts_with("application/x-www-form-urlencoded"));
    let decoded = match (&body, read) {
        (Some(b), true) => parse_pairs(&b[..b.len().min(MAX_BODY)]),
        _ => Vec::new(),
    };

    let mut headers: Vec<(&'static str, String)> = Vec::new();
    if let Some(ct) = content_type {
        headers.push(("content-type", ct.to_owned()));
    }
    // Same-origin browsers, or clients that send neither header: none of these is refused.
    match rng.gen_range(0..4) {
        0 => headers.push(("origin", origin.to_owned())),
        1 => headers.push(("sec-fetch-site", "same-origin".into())),
        2 => {
            headers.push(("origin", origin.to_owned()));
            headers.push(("sec-fetch-site", "same-origin".into()));
        }
        _ => {}
    }
    // A secret also typed in a field that is shown (the same value as username and password)
    // is legitimately on the page.
    secrets.retain(|secret| {
        !decoded.iter().any(|(k, v)| {
            !spec
                .fields
                .iter()
                .any(|f| f.name == k && matches!(f.kind, Kind::Secret))
                && v.contains(secret.as_str())
        })
    });
    let summary = Summary {
        content_type,
        len: body.as_ref().map(Vec::len),
        start: body.as_ref().map(|b| b[..b.len().min(300)].to_vec()),
    };
    let raw = Raw {
        method: "POST",
        path: spec.path.to_owned(),
        headers,
        body,
        text_body: rng.gen_bool(0.2),
    };
    (
        raw,
        Submission {
            ip_index: rng.gen_range(0..2),
            decoded,
            injections,
            secrets,
            summary,
        },
    )
}

// ---------------------------------------------------------------------------------------
// The checks.

#[derive(Default)]
struct Stats {
    sent: usize,
    statuses: BTreeMap<u16, usize>,
    kept_checks: usize,
    secret_checks: usize,
    injection_checks: usize,
    messages: BTreeSet<String>,
    failures: Vec<String>,
    resets: usize,
    handler_secs: f64,
    check_secs: f64,
    gen_secs: f64,
    parse_secs: f64,
    pages_parsed: usize,
    facts_cache: std::collections::HashMap<u64, Arc<PageFacts>>,
}

/// What the checks read from a page with scraper. Many rejections are the same page byte
/// for byte (the same message, nothing typed to keep), so the facts are cached by body.
struct PageFacts {
    /// Texts of field errors, the error summary, alerts and warnings.
    messages: Vec<String>,
    /// The first input of each name: name, value attribute, checked.
    inputs: Vec<Input>,
    /// Inline scripts, event-handler attributes, frames: never in our pages.
    active_markup: Vec<String>,
}

struct Input {
    name: String,
    value: String,
    checked: bool,
}

fn page_facts(body: &str) -> PageFacts {
    let doc = Html::parse_document(body);
    let messages = doc
        .select(sel(
            ".field-error, .error-summary li, [role=alert], p.warning",
        ))
        .map(|e| {
            e.text()
                .collect::<String>()
                .replace("Errore: ", "")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|t| !t.is_empty())
        .collect();
    let mut inputs: Vec<Input> = Vec::new();
    for i in doc.select(sel("input[name]")) {
        let name = i.value().attr("name").unwrap_or_default();
        if !inputs.iter().any(|x| x.name == name) {
            inputs.push(Input {
                name: name.to_owned(),
                value: i.value().attr("value").unwrap_or_default().to_owned(),
                checked: i.value().attr("checked").is_some(),
            });
        }
    }
    let mut active_markup = Vec::new();
    for el in doc.select(sel("*")) {
        let v = el.value();
        if v.attrs().any(|(n, _)| n.starts_with("on")) {
            active_markup.push(format!(
                "element <{}> with an event-handler attribute",
                v.name()
            ));
        }
        if v.name() == "script" && v.attr("src").is_none()
            || matches!(v.name(), "iframe" | "object" | "embed")
        {
            active_markup.push(format!("injected <{}> element", v.name()));
        }
    }
    PageFacts {
        messages,
        inputs,
        active_markup,
    }
}

impl Stats {
    fn facts(&mut self, body: &str) -> Arc<PageFacts> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut h);
        let key = h.finish();
        if let Some(f) = self.facts_cache.get(&key) {
            return f.clone();
        }
        let t = Instant::now();
        let f = Arc::new(page_facts(body));
        self.parse_secs += t.elapsed().as_secs_f64();
        self.pages_parsed += 1;
        if self.facts_cache.len() > 4096 {
            self.facts_cache.clear();
        }
        self.facts_cache.insert(key, f.clone());
        f
    }
}

/// Selectors parsed once (the checks run on every answer).
fn sel(s: &'static str) -> &'static Selector {
    static CACHE: OnceLock<std::sync::Mutex<BTreeMap<&'static str, &'static Selector>>> =
        OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    cache
        .entry(s)
        .or_insert_with(|| Box::leak(Box::new(Selector::parse(s).unwrap())))
}

/// What the HTML parser gives back for a value the server wrote escaped (the input stream's
/// newline and NUL normalisation).
fn as_parsed(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\0', "\u{fffd}")
}

/// Italian, not an English or technical error text.
fn looks_italian(m: &str) -> bool {
    const IT: &[&str] = &[
        "Inserisci",
        "inserit",
        " il ",
        " la ",
        " di ",
        " non ",
        " per ",
        " un ",
        " una ",
        " è ",
        "Hai ",
        "Attendi",
        "Codice",
        "codice",
        "Trascina",
        "Scegli",
        "Seleziona",
        "Verifica",
        "Per ",
        "Troppi",
        "Troppe",
        "Il ",
        "La ",
        "Le ",
        "Questo",
        "Questa",
        "Username o password",
        "Richiesta",
        "Servizio",
        "Link",
        "riprova",
    ];
    const NOT: &[&str] = &[
        "error",
        "Error",
        "invalid",
        "Invalid",
        "panic",
        "unwrap",
        "failed",
        "exception",
        "null",
        "undefined",
        "Internal",
    ];
    IT.iter().any(|w| m.contains(w)) && !NOT.iter().any(|w| m.contains(w))
}

fn first_value<'a>(decoded: &'a [(String, String)], name: &str) -> Option<&'a str> {
    decoded
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn check(spec: &FormSpec, sub: &Submission, reply: &Reply, stats: &mut Stats) {
    let mut failures = Vec::new();
    check_reply(spec, sub, reply, stats, &mut |what: String| {
        failures.push(what)
    });
    for what in failures {
        if stats.failures.len() < 25 {
            stats.failures.push(format!(
                "[{}] {what}\n    submission: {}",
                spec.name, sub.summary
            ));
        }
    }
}

fn check_reply(
    spec: &FormSpec,
    sub: &Submission,
    reply: &Reply,
    stats: &mut Stats,
    fail: &mut dyn FnMut(String),
) {
    *stats.statuses.entry(reply.status).or_default() += 1;
    if reply.status >= 500 {
        fail(format!(
            "status {}: {}",
            reply.status,
            reply.body.chars().take(400).collect::<String>()
        ));
        return;
    }
    if !reply.csp {
        fail(format!(
            "status {} without Content-Security-Policy",
            reply.status
        ));
    }
    if (300..400).contains(&reply.status) {
        let ok = reply
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with('/') && !l.starts_with("//"));
        if !ok {
            fail(format!("redirect off the site: {:?}", reply.location));
        }
        return;
    }
    if reply.status < 400 {
        fail(format!(
            "a POST answered {} instead of a redirect or a rejection",
            reply.status
        ));
        return;
    }

    // A rejection: an HTML page with an Italian message.
    if !reply.content_type.starts_with("text/html") {
        fail(format!(
            "rejection {} is not an HTML page ({})",
            reply.status, reply.content_type
        ));
        return;
    }
    let facts = stats.facts(&reply.body);
    if facts.messages.is_empty() {
        fail(format!("rejection {} without a message", reply.status));
    }
    for m in &facts.messages {
        if !looks_italian(m) {
            fail(format!("message not in Italian: {m:?}"));
        }
        if !stats.messages.contains(m) {
            stats.messages.insert(m.clone());
        }
    }

    // Nothing injected became markup.
    for inj in &sub.injections {
        stats.injection_checks += 1;
        if reply.body.contains(inj) {
            fail(format!("injection echoed unescaped: {inj:?}"));
        }
    }
    for bad in &facts.active_markup {
        fail(bad.clone());
    }

    // A 422 is the form again.
    let inputs = &facts.inputs;
    // (In recovery, a request without a valid mode gets the page that chooses it.)
    let visible: Vec<&str> = spec
        .fields
        .iter()
        .filter(|f| !matches!(f.kind, Kind::Opaque))
        .map(|f| f.name)
        .collect();
    if reply.status == 422
        && !visible.is_empty()
        && !inputs.iter().any(|i| visible.contains(&i.name.as_str()))
    {
        fail("422 without the form's fields".to_owned());
    }

    for field in spec.fields {
        let Some(input) = inputs.iter().find(|i| i.name == field.name) else {
            continue;
        };
        let shown = input.value.as_str();
        let typed = first_value(&sub.decoded, field.name);
        match field.kind {
            Kind::Kept(norm) => {
                // A missing AVANTI username keeps the proposed one: nothing typed to compare.
                if typed.is_none() && field.name == "username" && spec.stage == Stage::RegEmailSaved
                {
                    continue;
                }
                let typed = typed.unwrap_or_default();
                let expected = match norm {
                    Norm::AsIs => typed.to_owned(),
                    Norm::Trim => typed.trim().to_owned(),
                    Norm::TrimLower => typed.trim().to_lowercase(),
                };
                stats.kept_checks += 1;
                if shown != as_parsed(&expected) {
                    fail(format!(
                        "{} not kept: typed {:?}, page shows {:?}",
                        field.name,
                        expected.chars().take(80).collect::<String>(),
                        shown.chars().take(80).collect::<String>()
                    ));
                }
            }
            Kind::Secret => {
                stats.secret_checks += 1;
                if !shown.is_empty() {
                    fail(format!("secret {} echoed in its input", field.name));
                }
            }
            Kind::Check => {
                let checked = input.checked;
                stats.kept_checks += 1;
                if checked != (typed == Some("si")) {
                    fail(format!(
                        "checkbox {} shown checked={checked} for {:?}",
                        field.name, typed
                    ));
                }
            }
            Kind::Next => {
                stats.kept_checks += 1;
                if !(shown == routes::ACCOUNT || shown.starts_with("/area-clienti/")) {
                    fail(format!(
                        "next re-rendered as {shown:?}: only private-area paths may come back"
                    ));
                }
            }
            Kind::Choice(_) | Kind::Opaque => {}
        }
    }
    for secret in &sub.secrets {
        let distinctive = secret
            .trim()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .count()
            >= 6
            && secret.len() <= 512;
        if distinctive
            && (reply.body.contains(secret.as_str()) || reply.body.contains(&html_escape(secret)))
        {
            fail("a typed secret appears in the page".to_owned());
        }
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

// ---------------------------------------------------------------------------------------
// The runs.

fn seed() -> u64 {
    std::env::var("SECURITY_FORMS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EC0_F0E5)
}

fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

async fn run_form(backend: Arc<Backend>, spec: &FormSpec, n: usize, seed: u64) -> Stats {
    let mut rng = StdRng::seed_from_u64(seed ^ fxhash(spec.name));
    let mut fx = fixture(backend.clone(), spec.stage).await;
    let snapshot = backend.snapshot();
    let start_cookies = fx.browser.cookies.clone();
    let ips = [
        fx.browser.ip.clone(),
        format!("192.0.2.{}", rng.gen_range(1..255)),
    ];
    let origin = backend.origin();
    let mut stats = Stats::default();
    let mut since_reset = 0;
    let prelude = prelude();
    for i in 0..n {
        let t = Instant::now();
        let (raw, sub) = generate(
            &mut rng,
            spec,
            &fx,
            &origin,
            prelude.get(i).map(Vec::as_slice),
        );
        stats.gen_secs += t.elapsed().as_secs_f64();
        let ip = ips[sub.ip_index].clone();
        let t = Instant::now();
        let result = fx.browser.send_as(raw, &ip).await;
        stats.handler_secs += t.elapsed().as_secs_f64();
        stats.sent += 1;
        since_reset += 1;
        let reply = match result {
            Ok(r) => r,
            Err(e) => {
                stats.failures.push(format!(
                    "[{}] {e}\n    submission: {}",
                    spec.name, sub.summary
                ));
                *stats.statuses.entry(0).or_default() += 1;
                continue;
            }
        };
        let t = Instant::now();
        check(spec, &sub, &reply, &mut stats);
        stats.check_secs += t.elapsed().as_secs_f64();
        let moved = reply.status == 303 && spec.success_moves_flow;
        if moved || since_reset >= spec.reset_every {
            since_reset = 0;
            stats.resets += 1;
            match &snapshot {
                Some(s) => {
                    backend.restore(s).await;
                    fx.browser.cookies = start_cookies.clone();
                }
                // Through the gateway there is no snapshot: a new person gets to the step.
                None if moved && spec.redo_through_gateway => {
                    fx = fixture(backend.clone(), spec.stage).await
                }
                None => {}
            }
        }
    }
    stats
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn report(spec: &FormSpec, stats: &Stats, secs: f64) -> String {
    format!(
        "{:<36} {:>6} in {:>5.1} s (generation {:.1} s, handlers {:.1} s, checks {:.1} s of which parsing {} pages \
            {:.1} s)  statuses {:?}  kept-value checks {}  secret checks {}  injection checks {}  restores {}",
        spec.name, stats.sent, secs, stats.gen_secs, stats.handler_secs, stats.check_secs,
        stats.pages_parsed, stats.parse_secs, stats.statuses, stats.kept_checks,
        stats.secret_checks, stats.injection_checks, stats.resets
    )
}

/// Runs `names` (all forms when empty) on fresh in-memory apps, one after the other.
/// Runs the forms whose names start with one of `names`, `concurrency` at a time (each on its
/// own tokio task, so the two cores share the work), on a fresh in-memory app each, or all
/// on `shared` (the gateway).
async fn run_forms(
    names: &[&str],
    n: usize,
    seed: u64,
    shared: Option<Arc<Backend>>,
    concurrency: usize,
) -> Vec<(&'static FormSpec, Stats)> {
    use futures::StreamExt;
    let specs: Vec<&'static FormSpec> = FORMS
        .iter()
        .filter(|s| names.iter().any(|n| s.name.starts_with(n)))
        .collect();
    assert!(!specs.is_empty());
    futures::stream::iter(specs)
        .map(|spec| {
            let backend = shared.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let stats = run_form(backend.unwrap_or_else(Backend::memory), spec, n, seed).await;
                println!("{}", report(spec, &stats, t.elapsed().as_secs_f64()));
                (spec, stats)
            })
        })
        .buffer_unordered(concurrency)
        .map(|r| r.expect("a form's run panicked (see above)"))
        .collect()
        .await
}

async fn memory_run(names: &[&str]) {
    let n = count("SECURITY_FORMS_N", 10_000);
    let seed = seed();
    let t = Instant::now();
    let results = run_forms(names, n, seed, None, 4).await;
    println!(
        "{} forms × {n} submissions in {:.1} s",
        results.len(),
        t.elapsed().as_secs_f64()
    );
    let mut failures = Vec::new();
    let mut messages = BTreeSet::new();
    for (spec, stats) in results {
        assert_eq!(stats.sent, n);
        let rejections: usize = stats
            .statuses
            .iter()
            .filter(|(s, _)| (400..500).contains(*s))
            .map(|(_, c)| c)
            .sum();
        if spec.path == routes::LOGOUT {
            // ESCI has no fields: whatever the body, it signs out and redirects.
            assert_eq!(
                stats.statuses.get(&303),
                Some(&n),
                "{}: {:?}",
                spec.name,
                stats.statuses
            );
        } else {
            assert!(
                rejections > n / 10,
                "{}: too few rejections, got {:?}",
                spec.name,
                stats.statuses
            );
        }
        let has_kept = spec
            .fields
            .iter()
            .any(|f| matches!(f.kind, Kind::Kept(_) | Kind::Check | Kind::Next));
        assert!(
            !has_kept || stats.kept_checks > n / 20,
            "{}: too few kept-value checks ({})",
            spec.name,
            stats.kept_checks
        );
        failures.extend(stats.failures);
        messages.extend(stats.messages);
    }
    println!("Italian messages seen ({}):", messages.len());
    for m in &messages {
        println!("  - {m}");
    }
    assert!(
        failures.is_empty(),
        "seed {seed}: {} failures, first ones:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// One test per flow; inside each, the forms run concurrently.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_forms_survive_generated_submissions() {
    memory_run(&["registrazione/"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_and_logout_forms_survive_generated_submissions() {
    memory_run(&["accesso", "esci"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_forms_survive_generated_submissions() {
    memory_run(&["recupero"]).await;
}

/// The same generator through the real local gateway on LocalStack (DynamoDB, SNS, SES),
/// 8 forms at a time. (Named to sort first: it mostly waits on LocalStack, so it runs
/// alongside the in-memory runs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_path_answers_generated_submissions_the_same() {
    let n = count("SECURITY_FORMS_GATEWAY_N", 200);
    let seed = seed() ^ 0x6A7E;
    let t = Instant::now();
    let results = run_forms(&[""], n, seed, Some(Backend::gateway().await), 8).await;
    println!(
        "gateway: {} forms × {n} submissions in {:.1} s",
        results.len(),
        t.elapsed().as_secs_f64()
    );
    let failures: Vec<String> = results.into_iter().flat_map(|(_, s)| s.failures).collect();
    assert!(
        failures.is_empty(),
        "seed {seed}: {} failures, first ones:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_checks_can_fail() {
    // A page that echoes the injection raw and keeps nothing must be reported.
    let spec = &FORMS[0];
    let sub = Submission {
        ip_index: 0,
        decoded: vec![("numero".into(), "<script>alert(1)</script>".into())],
        injections: vec!["<script>alert(1)</script>"],
        secrets: vec![],
        summary: Summary::default(),
    };
    let bad = Reply {
        status: 422,
        location: None,
        set_cookies: vec![],
        csp: true,
        content_type: "text/html; charset=utf-8".into(),
        body: "<html><body><p class=\"field-error\">Inserisci il numero.</p><form><input name=\"numero\" \
            value=\"\"></form><script>alert(1)</script></body></html>".into(),
    };
    let mut stats = Stats::default();
    check(spec, &sub, &bad, &mut stats);
    let all = stats.failures.join("\n");
    assert!(all.contains("injection echoed unescaped"), "{all}");
    assert!(all.contains("injected <script>"), "{all}");
    assert!(all.contains("numero not kept"), "{all}");
    let mut stats = Stats::default();
    check(
        spec,
        &sub,
        &Reply {
            status: 500,
            csp: false,
            ..bad
        },
        &mut stats,
    );
    assert!(stats.failures[0].contains("status 500"));
    assert!(!looks_italian("invalid input"));
}
