//! The form decoder (`web::Form`) on any request body: the first byte picks the
//! content type, the rest is the body (as bytes, or as lossy text). Never panics;
//! values are cut at `max_len` (`MAX_FIELD`; a credential's JSON longer); the first of repeated fields wins.
#![no_main]
use lambda_http::{Body, Request};
use libfuzzer_sys::fuzz_target;
use web::form::{max_len, parse_pairs};
use web::{self, Form};

const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("application/x-www-form-urlencoded"),
    Some("application/x-www-form-urlencoded; charset=UTF-8"),
    Some("multipart/form-data; boundary=x"),
    Some("application/json"),
    Some(""),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let pairs = parse_pairs(body);
    assert!(pairs.iter().all(|(k, v)| v.chars().count() <= max_len(k)));

    let mut b = http::Request::builder().method("POST").uri("/registrazione/numero?scaduta=1");
    if let Some(ct) = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()] {
        b = b.header("content-type", ct);
    }
    if let Ok(cookie) = http::HeaderValue::from_bytes(&body[..body.len().min(64)]) {
        b = b.header("cookie", cookie);
    }
    let body = if selector & 0x80 != 0 {
        Body::Text(String::from_utf8_lossy(body).into_owned())
    } else {
        Body::Binary(body.to_vec())
    };
    let req: Request = b.body(body).expect("valid request");
    let form = Form::from_request(&req);
    if selector & 0x80 == 0 && usize::from(selector) % CONTENT_TYPES.len() <= 2 {
        for (k, _) in &pairs {
            let first = pairs.iter().find(|(k2, _)| k2 == k).map(|(_, v)| v.as_str()).unwrap_or("");
            assert_eq!(form.get(k), first);
        }
    }
    let _ = (web::cookie(&req, "reg_flow", true), web::query_param(&req, "scaduta"), web::client_ip(&req));
});
