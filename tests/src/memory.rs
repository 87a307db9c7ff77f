//! The handlers in memory, reached as through CloudFront: the route table picks the function,
//! `runtime::entry` runs it with the viewer's address CloudFront adds (the origin secret is
//! the API's WAF's business: past it, a function never sees a request without it).
//! Shared by the suites that drive the handlers directly (`security_forms`,
//! `security_headers`, `template_consistency`'s recorded walk), so they are reached the way
//! Lambda and the gateway reach them.

use domain::routes;
use engine::App;
use lambda_http::Body;
use notify::memory::{MemoryNotifier, Sent};
use web::edge;
use web::Resp;

/// One request to the function the route table names for `method` + the path of `target`;
/// `None` when no route has them. `cookies` is the Cookie header (empty: none).
pub async fn send(
    app: &'static App,
    method: &str,
    target: &str,
    viewer_ip: &str,
    cookies: &str,
    headers: &[(&str, String)],
    body: Body,
) -> Option<Resp> {
    crate::logcapture::install();
    let path = target.split('?').next().unwrap_or_default();
    let route = routes::find(method, path)?;
    let handler = local_gateway::handlers::handler_for(route.function).expect("a handler");
    let mut b = http::Request::builder()
        .method(method)
        .uri(target)
        .header("host", "127.0.0.1:3000")
        .header(edge::VIEWER_ADDRESS_HEADER, format!("{viewer_ip}:443"));
    if !cookies.is_empty() {
        b = b.header("cookie", cookies);
    }
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    let req = b.body(body).expect("a valid request");
    Some(web::runtime::entry(app, req, |r| handler(app, r)).await)
}

/// The function crate that answers `method` + the path of `target`.
pub fn function_for(method: &str, target: &str) -> Option<&'static str> {
    routes::find(method, target.split('?').next().unwrap_or_default()).map(|r| r.function)
}

/// A response's body as text.
pub fn text(resp: &Resp) -> String {
    match resp.body() {
        Body::Text(t) => t.clone(),
        Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        _ => String::new(),
    }
}

/// A browser's cookies: what `Set-Cookie` headers leave, sent back as one Cookie header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Jar(Vec<(String, String)>);

impl Jar {
    /// Takes a response's cookies (an empty value clears one); returns the `Set-Cookie` values.
    pub fn absorb(&mut self, resp: &Resp) -> Vec<String> {
        let all: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        for c in &all {
            if let Some((name, value)) = c.split(';').next().and_then(|kv| kv.split_once('=')) {
                self.0.retain(|(k, _)| k != name);
                if !value.is_empty() {
                    self.0.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        all
    }

    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The code in the latest SMS the in-memory notifier sent to `to`.
pub fn last_code(notifier: &MemoryNotifier, to: &str) -> String {
    let sent = notifier.sent.lock().unwrap();
    let text = sent
        .iter()
        .rev()
        .find_map(|m| match m {
            Sent::Sms { to: t, text } if t == to => Some(text.clone()),
            _ => None,
        })
        .expect("an SMS was sent");
    crate::code_in(&text).expect("a 6-digit code").to_owned()
}

/// The link to `path` (from `path` on: its path and query) in the latest email to `to` that
/// holds one.
pub fn last_link(notifier: &MemoryNotifier, to: &str, path: &str) -> String {
    let sent = notifier.sent.lock().unwrap();
    let text = sent
        .iter()
        .rev()
        .find_map(|m| match m {
            Sent::Email(e) if e.to == to && e.text.contains(path) => Some(e.text.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("an email to {to} with a link to {path}"));
    link_from(&text, path)
}

/// The word of `text` that starts with `path`.
pub fn link_from(text: &str, path: &str) -> String {
    let start = text.find(path).unwrap();
    text[start..].split_whitespace().next().unwrap().to_owned()
}
