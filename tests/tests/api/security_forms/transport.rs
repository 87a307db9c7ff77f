//! Transport: the in-memory app through the handler table, or the real gateway over HTTP.

use super::*;

pub(super) enum Backend {
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
pub(super) struct Raw {
    pub(super) method: &'static str,
    pub(super) path: String,
    pub(super) headers: Vec<(&'static str, String)>,
    pub(super) body: Option<Vec<u8>>,
    /// In memory: hand the body to the handler as `Body::Text` (when it is UTF-8).
    pub(super) text_body: bool,
}

pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) location: Option<String>,
    pub(super) set_cookies: Vec<String>,
    pub(super) csp: bool,
    pub(super) content_type: String,
    pub(super) body: String,
}

impl Backend {
    pub(super) fn memory() -> Arc<Backend> {
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
    pub(super) async fn gateway() -> Arc<Backend> {
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

    pub(super) fn origin(&self) -> String {
        match self {
            Backend::Memory { .. } => MEMORY_ORIGIN.to_owned(),
            Backend::Gateway { portal, .. } => portal.base.clone(),
        }
    }

    pub(super) fn advance(&self, secs: i64) {
        match self {
            Backend::Memory { clock, .. } => clock.advance(secs),
            Backend::Gateway { portal, .. } => portal.clock.advance(secs),
        }
    }

    /// Sends a request; `Err` is a panic in the handler (or a dropped connection).
    pub(super) async fn send(&self, raw: Raw, cookies: &str, ip: &str) -> Result<Reply, String> {
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

    pub(super) async fn add_line(&self, e164: &str) {
        match self {
            Backend::Memory { store, .. } => {
                let line = Line {
                    number: MobileNumber::parse(e164).unwrap(),
                    entity_cf: CodiceFiscaleEnte::parse(ENTE).unwrap(),
                    ragione_sociale: e2e::register::ENTE_NAME.into(),
                    active: true,
                    profile: store::lines::Profile::Utente,
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
    pub(super) async fn last_code(&self, e164: &str) -> String {
        match self {
            Backend::Memory { notifier, .. } => e2e::memory::last_code(notifier, e164),
            Backend::Gateway { portal, .. } => portal.last_code(e164).await,
        }
    }

    /// The path and query of the link to `path` in the latest email to `to`.
    pub(super) async fn last_link(&self, to: &str, path: &str) -> String {
        let portal = match self {
            Backend::Memory { notifier, .. } => return e2e::memory::last_link(notifier, to, path),
            Backend::Gateway { portal, .. } => portal,
        };
        let texts: Vec<String> = portal
            .emails_to_until(to, |m| m.text.contains(path))
            .await
            .into_iter()
            .map(|m| m.text)
            .collect();
        let text = texts
            .iter()
            .rev()
            .find(|t| t.contains(path))
            .unwrap_or_else(|| panic!("an email to {to} with a link to {path}"));
        e2e::memory::link_from(text, path)
    }

    pub(super) fn snapshot(&self) -> Option<Vec<(Key, Item)>> {
        match self {
            Backend::Memory { store, .. } => Some(store.dump()),
            Backend::Gateway { .. } => None,
        }
    }

    /// Puts the in-memory store back to `snapshot` (rate counters, OTP attempts, flows).
    pub(super) async fn restore(&self, snapshot: &[(Key, Item)]) {
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

pub(super) fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    let msg = p
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    format!("PANIC in the handler: {msg}")
}

/// A browser: its cookie jar and its address.
#[derive(Clone)]
pub(super) struct Browser {
    pub(super) backend: Arc<Backend>,
    pub(super) cookies: Vec<(String, String)>,
    pub(super) ip: String,
}

impl Browser {
    pub(super) fn new(backend: Arc<Backend>) -> Browser {
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

    pub(super) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(super) fn absorb(&mut self, reply: &Reply) {
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

    pub(super) async fn send_as(&mut self, raw: Raw, ip: &str) -> Result<Reply, String> {
        let reply = self.backend.send(raw, &self.cookie_header(), ip).await?;
        self.absorb(&reply);
        Ok(reply)
    }

    pub(super) async fn get(&mut self, path: &str) -> Reply {
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

    pub(super) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
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
pub(super) fn encode(bytes: &[u8], plus: bool) -> String {
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

pub(super) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

pub(super) fn expect_redirect(what: &str, r: &Reply, to: &str) {
    assert!(
        r.status == 303 && r.location.as_deref().is_some_and(|l| l.starts_with(to)),
        "{what}: expected 303 to {to}, got {} {:?}: {}",
        r.status,
        r.location,
        r.body.chars().take(600).collect::<String>()
    );
}
