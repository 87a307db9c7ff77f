//! Reading a request's form: its body (a POST) or its query string (a GET form), decoded
//! by `engine::form` (never failing).

use lambda_http::{Body, Request};

pub use engine::form::{max_len, parse_pairs, FieldErrors, Form, MAX_BODY, MAX_FIELD};

/// The request's urlencoded body as a form (none of another content type).
pub fn from_request(req: &Request) -> Form {
    let ct = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ct.is_empty() && !ct.starts_with("application/x-www-form-urlencoded") {
        return Form::default();
    }
    let bytes: &[u8] = match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    };
    Form::of(parse_pairs(bytes))
}

/// A GET form: the request's query string, decoded like a body.
pub fn from_query(req: &Request) -> Form {
    Form::of(parse_pairs(
        req.uri().query().unwrap_or_default().as_bytes(),
    ))
}
