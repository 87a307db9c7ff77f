//! Issue #9, "Headers and CSRF":
//!
//! - every answer of the real local gateway — every route of `domain::routes::ROUTES` (without
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
//!
//! The header rules are here; the walks by topic: `gateway` (every answer of the real
//! gateway), `cookies` (in memory with `COOKIE_SECURE=true`, and the person brought to each
//! stage) and `csrf` (cross-site posts, in memory and through the gateway).

use domain::clock::OffsetClock;
use domain::routes::{self, ROUTES};
use domain::{CodiceFiscaleEnte, MobileNumber};
use engine::config::Config;
use engine::App;
use lambda_http::Body;
use notify::memory::MemoryNotifier;
use scraper::{Html, Selector};
use std::collections::BTreeSet;
use std::sync::Arc;
use store::lines::{self, Line};
use store::memory::MemoryStore;

mod cookies;
mod csrf;
mod gateway;
use cookies::*;
use gateway::*;

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
    for (k, v) in web::SECURITY_HEADERS {
        ok.insert(*k, v.parse().unwrap());
    }
    ok.append(
        "set-cookie",
        web::set_cookie("reg_flow", "x", Some(60), true)
            .parse()
            .unwrap(),
    );
    assert_eq!(header_failures("ok", &ok, true), Vec::<String>::new());
    let mut not_secure = ok.clone();
    not_secure.insert(
        "set-cookie",
        web::set_cookie("reg_flow", "x", Some(60), false)
            .parse()
            .unwrap(),
    );
    assert_eq!(
        header_failures("plain", &not_secure, true).len(),
        2,
        "no Secure, no __Host- prefix"
    );
}
