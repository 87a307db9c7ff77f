//! An in-process "browser" over the real handlers: a fresh in-memory app
//! (`App::in_memory`: `MemoryStore`, `MemoryNotifier`, `OffsetClock`), a cookie jar, and
//! the registration flow driven page by page exactly as a person does it (the SMS code
//! and the confirmation link are read from the in-memory notifier). No network.
//!
//! The stages (`at_otp`, `at_profile`, ...) bring a new browser to the state a step's
//! request needs; each checks every response on the way, so a benchmark never silently
//! measures an error page after the flow changes.

use crate::{handler, Handler};
use domain::clock::OffsetClock;
use domain::routes;
use domain::{CodiceFiscaleEnte, MobileNumber};
use engine::config::Config;
use engine::App;
use lambda_http::{Body, Request};
use notify::memory::{MemoryNotifier, Sent};
use std::sync::Arc;
use store::lines::{self, Line};
use store::memory::MemoryStore;
use web::Resp;

/// The data a person types.
pub const NUMBER: &str = "+393331234567";
pub const NUMBER_TYPED: &str = "333 123 4567";
pub const ENTE: &str = "00488410010";
pub const ENTE_NAME: &str = "COMUNE DI PROVA";
pub const NOME: &str = "Mario";
pub const COGNOME: &str = "Rossi";
pub const CF: &str = "RSSMRA85T10A562S";
pub const EMAIL: &str = "mario.rossi@example.it";
pub const PASSWORD: &str = "Girasole-Blu-2026!";

pub fn register_number() -> Handler {
    handler!(register_number::handle)
}
pub fn register_otp() -> Handler {
    handler!(register_otp::handle)
}
pub fn register_profile() -> Handler {
    handler!(register_profile::handle)
}
pub fn register_email() -> Handler {
    handler!(register_email::handle)
}
pub fn confirm_email() -> Handler {
    handler!(confirm_email::handle)
}
pub fn register_password() -> Handler {
    handler!(register_password::handle)
}

pub struct Browser {
    pub app: App,
    pub store: Arc<MemoryStore>,
    pub notifier: Arc<MemoryNotifier>,
    pub clock: Arc<OffsetClock>,
    /// Cookie jar: name → value.
    pub cookies: Vec<(String, String)>,
    /// The browser's address (the edge's viewer address; per-IP limits count it).
    pub ip: String,
    /// The body of the last HTML page received.
    pub html: String,
    /// The CONFERMA EMAIL link (path and query) once the email was sent.
    pub link: String,
}

/// The result of one request, for the checks along the flow.
pub struct Seen {
    pub status: u16,
    pub location: Option<String>,
}

impl Browser {
    /// A new in-memory app with the Convenzione line of [`NUMBER`], and an empty browser.
    pub async fn new() -> Browser {
        let (app, store, notifier, clock) = App::in_memory(Config::for_tests());
        let line = Line {
            number: MobileNumber::parse(NUMBER).expect("valid number"),
            entity_cf: CodiceFiscaleEnte::parse(ENTE).expect("valid entity code"),
            ragione_sociale: ENTE_NAME.into(),
            active: true,
            profile: store::lines::Profile::Utente,
        };
        lines::upsert(store.as_ref(), &line)
            .await
            .expect("memory store");
        Browser {
            app,
            store,
            notifier,
            clock,
            cookies: Vec::new(),
            ip: "203.0.113.7".into(),
            html: String::new(),
            link: String::new(),
        }
    }

    fn builder(&self, method: &str, path_and_query: &str) -> http::request::Builder {
        let mut b = http::Request::builder()
            .method(method)
            .uri(path_and_query)
            .header("host", "127.0.0.1:3000")
            .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130 \
                Safari/537.36")
            .header("accept", "text/html,application/xhtml+xml")
            .header("accept-language", "it-IT,it;q=0.9")
            // What `runtime::entry` attaches after the edge check: per-IP limits count it.
            .extension(web::edge::Viewer { ip: self.ip.clone() });
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            b = b.header("cookie", jar.join("; "));
        }
        b
    }

    /// A GET as the browser sends it (with its cookies).
    pub fn get_req(&self, path_and_query: &str) -> Request {
        self.builder("GET", path_and_query)
            .header("sec-fetch-site", "none")
            .body(Body::Empty)
            .expect("valid request")
    }

    /// A form POST as the browser sends it (same-origin, urlencoded).
    pub fn post_req(&self, path: &str, fields: &[(&str, &str)]) -> Request {
        let body = url_encode(fields);
        self.builder("POST", path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", self.app.config.public_base_url.as_str())
            .header("sec-fetch-site", "same-origin")
            .body(Body::Binary(body.into_bytes()))
            .expect("valid request")
    }

    /// Runs a handler and takes in what a browser keeps: cookies and the page.
    pub async fn send(&mut self, h: Handler, req: Request) -> Seen {
        let resp = h(&self.app, req).await;
        self.absorb(resp)
    }

    pub fn absorb(&mut self, resp: Resp) -> Seen {
        for v in resp.headers().get_all("set-cookie") {
            let Some((name, value)) = v
                .to_str()
                .ok()
                .and_then(|c| c.split(';').next())
                .and_then(|kv| kv.split_once('='))
            else {
                continue;
            };
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Body::Text(t) = resp.body() {
            self.html = t.clone();
        }
        Seen { status, location }
    }

    /// The value of the hidden field `name` in the last page.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .html
            .find(&marker)
            .unwrap_or_else(|| panic!("no field {name} in the last page"))
            + marker.len();
        let end = self.html[start..].find('"').expect("closing quote") + start;
        self.html[start..end].to_owned()
    }

    /// The code in the last SMS.
    pub fn last_code(&self) -> String {
        let sent = self.notifier.sent.lock().unwrap();
        let text = sent
            .iter()
            .rev()
            .find_map(|m| match m {
                Sent::Sms { text, .. } => Some(text.clone()),
                _ => None,
            })
            .expect("an SMS was sent");
        text.split_whitespace()
            .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
            .expect("a 6-digit code")
            .to_owned()
    }

    /// The CONFERMA EMAIL link of the last email, as a path and query.
    fn last_link(&self) -> String {
        let sent = self.notifier.sent.lock().unwrap();
        let text = sent
            .iter()
            .rev()
            .find_map(|m| match m {
                Sent::Email(e) => Some(e.text.clone()),
                _ => None,
            })
            .expect("an email was sent");
        let start = text
            .find(routes::CONFIRM_EMAIL)
            .expect("link in the text part");
        text[start..].split_whitespace().next().unwrap().to_owned()
    }

    /// The step-1 form as a person fills it: the number, the slider at the end, no
    /// proof-of-work (the JS-less path; the PoW check itself is one SHA-256).
    pub fn step1_form(&self) -> Vec<(&'static str, String)> {
        vec![
            ("numero", NUMBER_TYPED.into()),
            ("conferma", "100".into()),
            ("challenge", self.hidden("challenge")),
            ("pow", String::new()),
        ]
    }
}

pub fn url_encode(fields: &[(&str, &str)]) -> String {
    url_encode_pairs(fields.iter().map(|(k, v)| (*k, *v)))
}

fn url_encode_pairs<'a>(fields: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    fields
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Panics unless the response is `status` (and, for redirects, goes to `to`).
pub fn expect(what: &str, seen: &Seen, status: u16, to: Option<&str>) {
    let ok = seen.status == status
        && to.is_none_or(|t| seen.location.as_deref().is_some_and(|l| l.starts_with(t)));
    assert!(
        ok,
        "{what}: expected {status} {to:?}, got {} {:?}",
        seen.status, seen.location
    );
}

// --- Stages of the registration flow -------------------------------------------------

/// Step 1 shown, and a human pause so that the slider counts.
pub async fn at_number() -> Browser {
    let mut b = Browser::new().await;
    let req = b.get_req(routes::REGISTER_NUMBER);
    let seen = b.send(register_number(), req).await;
    expect("GET step 1", &seen, 200, None);
    b.clock.advance(3);
    b
}

/// Step 1 submitted: the flow waits for the SMS code.
pub async fn at_otp() -> Browser {
    let mut b = at_number().await;
    let form = b.step1_form();
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let req = b.post_req(routes::REGISTER_NUMBER, &fields);
    let seen = b.send(register_number(), req).await;
    expect("POST step 1", &seen, 303, Some(routes::REGISTER_OTP));
    b
}

/// The code accepted: step 3 (personal data) is next.
pub async fn at_profile() -> Browser {
    let mut b = at_otp().await;
    let code = b.last_code();
    let req = b.post_req(routes::REGISTER_OTP, &[("codice", &code)]);
    let seen = b.send(register_otp(), req).await;
    expect("POST step 2", &seen, 303, Some(routes::REGISTER_PROFILE));
    b
}

pub fn profile_form() -> [(&'static str, &'static str); 4] {
    [
        ("nome", NOME),
        ("cognome", COGNOME),
        ("cf_personale", CF),
        ("cf_ente", ENTE),
    ]
}

/// The personal data saved: step 4 (email) is next.
pub async fn at_email() -> Browser {
    let mut b = at_profile().await;
    let req = b.post_req(routes::REGISTER_PROFILE, &profile_form());
    let seen = b.send(register_profile(), req).await;
    expect("POST step 3", &seen, 303, Some(routes::REGISTER_EMAIL));
    b
}

/// The email saved (SALVA); the username proposed.
pub async fn at_email_saved() -> Browser {
    let mut b = at_email().await;
    let req = b.post_req(
        routes::REGISTER_EMAIL,
        &[("azione", "salva"), ("email", EMAIL)],
    );
    let seen = b.send(register_email(), req).await;
    expect(
        "POST step 4 SALVA",
        &seen,
        303,
        Some(routes::REGISTER_EMAIL),
    );
    b
}

/// AVANTI: the confirmation email sent; `link` holds its CONFERMA EMAIL link.
pub async fn at_email_sent() -> Browser {
    let mut b = at_email_saved().await;
    let req = b.post_req(routes::REGISTER_EMAIL, &[("azione", "avanti")]);
    let seen = b.send(register_email(), req).await;
    expect(
        "POST step 4 AVANTI",
        &seen,
        303,
        Some(routes::REGISTER_EMAIL),
    );
    b.link = b.last_link();
    b
}

/// The link opened: step 5 (password) is next.
pub async fn at_password() -> Browser {
    let mut b = at_email_sent().await;
    let req = b.get_req(&b.link.clone());
    let seen = b.send(confirm_email(), req).await;
    expect("GET confirmation link", &seen, 200, None);
    b
}

pub fn password_form() -> [(&'static str, &'static str); 4] {
    [
        ("password", PASSWORD),
        ("conferma_password", PASSWORD),
        ("termini", "si"),
        ("privacy", "si"),
    ]
}

/// The account created (one argon2id hash on the way): the outcome page is next.
pub async fn at_done() -> Browser {
    let mut b = at_password().await;
    let req = b.post_req(routes::REGISTER_PASSWORD, &password_form());
    let seen = b.send(register_password(), req).await;
    expect("POST step 5", &seen, 303, Some(routes::REGISTER_DONE));
    b
}
