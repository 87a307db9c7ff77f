//! The two doors of the API, as in AWS. CloudFront (the gateway's main listener,
//! `play_the_edge`) adds the origin secret `x-origin-verify` to every request it forwards;
//! the API's own endpoint (the REST API's `execute-api` URL, here a second listener:
//! `spawn_with_api`) is public, so anyone may call it directly. In front of it stands the
//! regional WAF web ACL of the template (`ApiWebAcl`): default Block, one rule that allows
//! a request whose `x-origin-verify` equals the secret (its current value, or the previous
//! one during a rotation). A blocked request is answered by API Gateway (`WAF_FILTERED`,
//! 403 `{"message":"Forbidden"}`) and no function runs: `Invocations` counts the ones
//! that do, per function.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The stage of the local REST API: the execute-api listener's paths start with `/local`,
/// as CloudFront's `OriginPath` (the stage) prefixes every path it forwards in AWS.
pub const LOCAL_STAGE: &str = "local";

/// The origin secret as CloudFront and the WAF know it: CloudFront sends `current`; the
/// WAF admits `current` and, during a rotation, `previous` (the value edges still send
/// until the distribution's change has propagated).
#[derive(Clone)]
pub struct OriginSecret {
    pub current: String,
    pub previous: Option<String>,
}

impl OriginSecret {
    /// A fresh random secret (64 alphanumerics, as Secrets Manager generates it).
    pub fn random() -> OriginSecret {
        OriginSecret {
            current: domain::crypto::random_token(),
            previous: None,
        }
    }

    /// `ORIGIN_VERIFY_SECRET` of the gateway's environment (and `ORIGIN_VERIFY_PREVIOUS`),
    /// else a random one: only the gateway (CloudFront and the WAF) needs to know it.
    pub fn from_env() -> OriginSecret {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match var("ORIGIN_VERIFY_SECRET") {
            Some(current) => OriginSecret {
                current,
                previous: var("ORIGIN_VERIFY_PREVIOUS"),
            },
            None => OriginSecret::random(),
        }
    }

    /// The WAF rule: the header equals one of the values (exactly, as a `ByteMatchStatement`
    /// with `PositionalConstraint: EXACTLY` and no text transformation).
    pub fn admits(&self, headers: &http::HeaderMap) -> bool {
        let Some(presented) = headers
            .get(web::edge::ORIGIN_VERIFY_HEADER)
            .map(|v| v.as_bytes())
        else {
            return false;
        };
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .any(|s| presented == s.as_bytes())
    }
}

/// How many times each function was invoked (in-process: its handler called; Lambda mode:
/// an event sent to a process).
#[derive(Default)]
pub struct Invocations(Mutex<HashMap<&'static str, u64>>);

impl Invocations {
    pub fn record(&self, function: &'static str) {
        *self.0.lock().unwrap().entry(function).or_default() += 1;
    }
    pub fn get(&self, function: &str) -> u64 {
        self.0.lock().unwrap().get(function).copied().unwrap_or(0)
    }
    pub fn total(&self) -> u64 {
        self.0.lock().unwrap().values().sum()
    }
}

/// What the local edge knows: the origin secret, and the count of invocations.
#[derive(Clone)]
pub struct Edge {
    pub secret: OriginSecret,
    pub invocations: Arc<Invocations>,
}

impl Default for Edge {
    fn default() -> Edge {
        Edge {
            secret: OriginSecret::random(),
            invocations: Arc::default(),
        }
    }
}

/// API Gateway's answer to a request the WAF blocked (gateway response `WAF_FILTERED`).
pub fn blocked() -> http::Response<Vec<u8>> {
    json_answer(http::StatusCode::FORBIDDEN, br#"{"message":"Forbidden"}"#)
}

/// A REST API's answer to a path or method it has no resource for
/// (`MISSING_AUTHENTICATION_TOKEN`).
pub fn no_resource() -> http::Response<Vec<u8>> {
    json_answer(
        http::StatusCode::FORBIDDEN,
        br#"{"message":"Missing Authentication Token"}"#,
    )
}

fn json_answer(status: http::StatusCode, body: &[u8]) -> http::Response<Vec<u8>> {
    let mut r = http::Response::new(body.to_vec());
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: Option<&str>) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        if let Some(v) = v {
            h.insert(web::edge::ORIGIN_VERIFY_HEADER, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_waf_admits_the_current_and_the_previous_value_only() {
        let mut s = OriginSecret {
            current: "a".repeat(64),
            previous: None,
        };
        assert!(s.admits(&headers(Some(&"a".repeat(64)))));
        assert!(!s.admits(&headers(None)));
        assert!(!s.admits(&headers(Some(""))));
        assert!(!s.admits(&headers(Some(&"a".repeat(63)))), "exactly");
        assert!(
            !s.admits(&headers(Some(&"A".repeat(64)))),
            "no case folding"
        );
        assert!(!s.admits(&headers(Some(&"b".repeat(64)))));
        s.previous = Some("b".repeat(64));
        assert!(
            s.admits(&headers(Some(&"b".repeat(64)))),
            "during a rotation"
        );
        assert!(s.admits(&headers(Some(&"a".repeat(64)))));
    }
}
