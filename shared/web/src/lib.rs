//! The web edge, the only library crate that knows `lambda_http`: the runtime
//! (`runtime::entry`), the request read once into an `engine::Ctx`, the `step!` macro, and
//! HTTP plumbing: forms, cookies, redirects, security headers,
//! CSRF checks, client address, and the one place where errors become pages.

pub mod ctx;
pub mod edge;
pub mod error;
pub mod form;
pub mod otp;
pub mod reply;
pub mod runtime;

pub use engine::Ctx;
pub use error::{Render, WebError};
pub use form::Form;
pub use reply::{render, run};

use lambda_http::{Body, Request, Response};
use maud::Markup;

pub type Resp = Response<Body>;

/// Headers on every response. The CSP has no `unsafe-inline`: pages carry no inline
/// script or style (the layout links hashed files).
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; \
            frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
    ),
    ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
];

fn with_headers(mut b: http::response::Builder) -> http::response::Builder {
    for (k, v) in SECURITY_HEADERS {
        b = b.header(*k, *v);
    }
    b
}

pub fn html(status: u16, page: Markup) -> Resp {
    with_headers(Response::builder().status(status))
        .header("content-type", "text/html; charset=utf-8")
        .body(Body::Text(page.into_string()))
        .expect("static headers are valid")
}

/// A JSON document (for a page's script; `no-store` like every dynamic answer).
pub fn json(status: u16, body: String) -> Resp {
    with_headers(Response::builder().status(status))
        .header("content-type", "application/json")
        .body(Body::Text(body))
        .expect("static headers are valid")
}

/// A file to save (`Content-Disposition: attachment`), e.g. "Scarica i tuoi dati".
pub fn download(bytes: Vec<u8>, content_type: &str, filename: &str) -> Resp {
    with_headers(Response::builder().status(200))
        .header("content-type", content_type)
        .header(
            "content-disposition",
            format!("attachment; filename=\"{filename}\""),
        )
        .body(Body::Binary(bytes))
        .expect("the type and the file name are ours")
}

/// POST-redirect-GET: 303 so the browser follows with a GET.
pub fn redirect(to: &str) -> Resp {
    redirect_with_cookies(to, &[])
}

pub fn redirect_with_cookies(to: &str, cookies: &[String]) -> Resp {
    // A location that cannot be a header (control characters) is a bug upstream; answer
    // 400 rather than panic in the response builder.
    let Ok(location) = http::HeaderValue::from_str(to) else {
        return WebError::BadRequest.into_response();
    };
    let mut b = with_headers(Response::builder().status(303)).header("location", location);
    for c in cookies {
        b = b.header("set-cookie", c.as_str());
    }
    b.body(Body::Empty).expect("location is a path we built")
}

/// Adds Set-Cookie headers to a response.
pub fn with_cookies(mut resp: Resp, cookies: &[String]) -> Resp {
    for c in cookies {
        if let Ok(v) = http::HeaderValue::from_str(c) {
            resp.headers_mut().append("set-cookie", v);
        }
    }
    resp
}

pub use engine::cookies::{clear_cookie, cookie_name, set_cookie, MAX_COOKIE_VALUE};

/// A cookie value from the request, if present (only under its wire name) and within
/// `MAX_COOKIE_VALUE` (`engine::cookies::parse`). What each cookie's parts may be is checked
/// where they are read (`session`, `engine::carry`, `store::devices`).
pub fn cookie(req: &Request, name: &str, secure: bool) -> Option<String> {
    let wanted = cookie_name(name, secure);
    let headers = req.headers().get_all("cookie");
    engine::cookies::parse(headers.iter().filter_map(|v| v.to_str().ok()))
        .into_iter()
        .find(|(n, _)| *n == wanted)
        .map(|(_, v)| v)
}

/// A query string (`a=1&b=x+y`) for links that carry a GET form's values.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A query-string parameter.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    let q = req.uri().query()?;
    form::parse_pairs(q.as_bytes())
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The browser's User-Agent (forwarded by the edge), empty if none.
pub fn user_agent(req: &Request) -> &str {
    req.headers()
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// CSRF defence for state-changing requests: browsers send `Sec-Fetch-Site` and
/// `Origin` on POST; a cross-site value is refused. Requests without either header do
/// not come from a browser page, so they cannot carry a victim's cookies cross-site.
/// `public_base_url` is the site's own origin: behind CloudFront the `Host` the function
/// sees is the API's, so the public origin is accepted as well as the request's host.
pub fn check_same_origin(req: &Request, public_base_url: &str) -> Result<(), WebError> {
    if let Some(site) = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        if !matches!(site, "same-origin" | "none") {
            return Err(WebError::CrossSite);
        }
    }
    if let Some(origin) = req.headers().get("origin").and_then(|v| v.to_str().ok()) {
        let host = req
            .headers()
            .get("host")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
        if origin == "null" || (origin_host != host && origin != public_base_url) {
            return Err(WebError::CrossSite);
        }
    }
    Ok(())
}

pub fn is_post(req: &Request) -> bool {
    req.method() == http::Method::POST
}

/// Runs a handler's result through the one error renderer.
pub fn respond(r: Result<Resp, WebError>) -> Resp {
    r.unwrap_or_else(Render::into_response)
}

#[doc(hidden)]
pub use {engine as __engine, http as __http, lambda_http as __lambda_http};

/// A function's `handle`: the request's context (`engine::Ctx`, read once by
/// `runtime::entry`) goes to `get` or `post` (the runtime has already answered 405 to any
/// method the route table does not list for the path, refused cross-site POSTs and, on
/// private routes, checked the session), and whatever error it ends with becomes a page in
/// one place (`web::respond`).
#[macro_export]
macro_rules! step {
    (get: $get:path $(, post: $post:path)? $(,)?) => {
        pub async fn handle(
            app: &$crate::__engine::App,
            mut req: $crate::__lambda_http::Request,
        ) -> $crate::Resp {
            let ctx = req
                .extensions_mut()
                .remove::<$crate::__engine::Ctx>()
                .unwrap_or_else(|| $crate::ctx::read(app, &req));
            $crate::respond(match *req.method() {
                $($crate::__http::Method::POST => $post(app, &ctx).await,)?
                _ => $get(app, &ctx).await,
            })
        }
    };
}

#[cfg(test)]
mod cookie_tests {
    use super::*;

    #[test]
    fn host_prefixed_in_aws_and_session_cookies_end_with_the_browser() {
        let c = set_cookie("session", "abc", None, true);
        assert!(c.starts_with("__Host-session=abc"), "{c}");
        for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(c.contains(attr), "{c} lacks {attr}");
        }
        assert!(
            !c.contains("Max-Age") && !c.contains("Expires") && !c.contains("Domain"),
            "{c}"
        );
        let local = set_cookie("reg_flow", "x", Some(60), false);
        assert!(
            local.starts_with("reg_flow=x")
                && local.contains("Max-Age=60")
                && !local.contains("Secure"),
            "{local}"
        );
        let req = http::Request::builder()
            .header("cookie", "reg_flow=plain; __Host-reg_flow=prefixed")
            .body(Body::Empty)
            .unwrap();
        assert_eq!(
            cookie(&req, "reg_flow", true).as_deref(),
            Some("prefixed"),
            "in AWS only the prefixed cookie counts"
        );
        assert_eq!(cookie(&req, "reg_flow", false).as_deref(), Some("plain"));
        let huge = format!("session={}; session=ok", "a".repeat(MAX_COOKIE_VALUE + 1));
        let req = http::Request::builder()
            .header("cookie", huge)
            .body(Body::Empty)
            .unwrap();
        assert_eq!(cookie(&req, "session", false).as_deref(), Some("ok"));
    }
}
