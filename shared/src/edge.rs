//! What the API trusts about the edge in front of it. In AWS the only way in is
//! CloudFront → HTTP API → Lambda: the distribution adds a secret header
//! (`x-origin-verify`, value from Secrets Manager) to every request it forwards, and the
//! viewer's address as `CloudFront-Viewer-Address` (origin request policy). A request
//! without the secret (someone calling the execute-api URL directly) gets 403; with it,
//! the viewer address is the client address every per-IP cap is keyed on. API Gateway's
//! `sourceIp` would be the CloudFront edge's, shared by a whole city.
//!
//! Locally the gateway plays the edge and adds both headers itself (from the socket).

use crate::crypto;
use crate::web::WebError;
use lambda_http::Request;

/// The header only the distribution sends (`OriginCustomHeaders` in the template).
pub const ORIGIN_VERIFY_HEADER: &str = "x-origin-verify";
/// `<ip>:<port>` of the viewer, added by CloudFront (origin request policy).
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// The viewer headers CloudFront forwards to the API (the template's origin request policy,
/// checked equal by `template_consistency.rs`; the local Lambda event path forwards exactly
/// these): the CSRF check's `Origin` and `Sec-Fetch-Site`, forms' `Content-Type`, and the
/// viewer address, which CloudFront adds only when named. Lowercase.
pub const FORWARDED_VIEWER_HEADERS: &[&str] = &[
    "origin",
    "sec-fetch-site",
    "content-type",
    VIEWER_ADDRESS_HEADER,
    // The private area lists sessions and accesses by browser (issue 15).
    "user-agent",
];

/// The client as the edge saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub ip: String,
}

/// Admits a request that came through the edge, and says who the viewer is.
pub fn admit(req: &Request, secret: &str) -> Result<Viewer, WebError> {
    let presented = req
        .headers()
        .get(ORIGIN_VERIFY_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if secret.is_empty() || !crypto::digest_eq(presented, secret) {
        return Err(WebError::NotThroughEdge);
    }
    Ok(Viewer {
        ip: viewer_ip(req).unwrap_or_else(|| "unknown".to_owned()),
    })
}

/// The viewer's IP from `CloudFront-Viewer-Address` (`198.51.100.10:46532`,
/// `2001:db8::1:46532`): everything before the last colon.
pub fn viewer_ip(req: &Request) -> Option<String> {
    let v = req
        .headers()
        .get(VIEWER_ADDRESS_HEADER)?
        .to_str()
        .ok()?
        .trim();
    let (ip, port) = v.rsplit_once(':')?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    (port.parse::<u16>().is_ok() && ip.parse::<std::net::IpAddr>().is_ok()).then(|| ip.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut b = http::Request::builder().uri("/accesso");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(lambda_http::Body::Empty).unwrap()
    }

    #[test]
    fn only_requests_with_the_secret_pass() {
        let s = "s".repeat(32);
        assert!(admit(&req(&[]), &s).is_err());
        assert!(admit(&req(&[(ORIGIN_VERIFY_HEADER, "wrong")]), &s).is_err());
        assert!(
            admit(&req(&[(ORIGIN_VERIFY_HEADER, &s)]), "").is_err(),
            "no configured secret admits nobody"
        );
        let v = admit(
            &req(&[
                (ORIGIN_VERIFY_HEADER, &s),
                (VIEWER_ADDRESS_HEADER, "198.51.100.10:46532"),
            ]),
            &s,
        )
        .unwrap();
        assert_eq!(v.ip, "198.51.100.10");
    }

    #[test]
    fn parses_ipv4_and_ipv6_viewer_addresses() {
        let ip = |v: &str| viewer_ip(&req(&[(VIEWER_ADDRESS_HEADER, v)]));
        assert_eq!(ip("198.51.100.10:46532").as_deref(), Some("198.51.100.10"));
        assert_eq!(ip("2001:db8::1:443").as_deref(), Some("2001:db8::1"));
        assert_eq!(ip("[2001:db8::1]:443").as_deref(), Some("2001:db8::1"));
        assert_eq!(ip("nonsense"), None);
        assert_eq!(ip("1.2.3.4"), None);
    }
}
