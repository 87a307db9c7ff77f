//! What the API trusts about the edge in front of it. In AWS the only way in is
//! CloudFront → REST API → Lambda: the distribution adds a secret header
//! (`x-origin-verify`, value from Secrets Manager) to every request it forwards, and the
//! viewer's address as `CloudFront-Viewer-Address` (origin request policy). The REST API's
//! regional WAF web ACL (`ApiWebAcl` in the template) blocks every request without the
//! secret before API Gateway invokes anything, so someone calling the execute-api URL
//! directly never reaches a function: the functions neither hold nor check the secret.
//! A request that reaches a function therefore came through CloudFront, and its viewer
//! address is the client every per-client cap is keyed on — by its network
//! ([`ClientNetwork`]: an IPv4 address, or the /64 of an IPv6 one, which one subscriber
//! gets whole). API Gateway's `sourceIp` would be the CloudFront edge's, shared by a whole
//! city.
//!
//! Locally the gateway plays CloudFront (adds both headers, the address from the socket)
//! and the API's WAF (`local_gateway::edge`).

use lambda_http::Request;

/// The header only the distribution sends (`OriginCustomHeaders` in the template), which
/// the API's WAF requires.
pub const ORIGIN_VERIFY_HEADER: &str = "x-origin-verify";
/// `<ip>:<port>` of the viewer, added by CloudFront (origin request policy).
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// The viewer headers CloudFront forwards to the API (the template's origin request policy,
/// checked equal by `template_consistency::cloudfront`; the local Lambda event path forwards exactly
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

pub use engine::viewer::{ClientNetwork, Viewer, IPV6_CLIENT_PREFIX};

/// Who the viewer is, as CloudFront said (`unknown` without a viewer address, which never
/// happens in AWS). Trusted because only requests that passed the API's WAF — that is,
/// came through CloudFront, which overwrites a viewer's own `CloudFront-Viewer-Address` —
/// reach a function.
pub fn viewer(req: &Request) -> Viewer {
    Viewer {
        ip: viewer_ip(req).unwrap_or_else(|| "unknown".to_owned()),
    }
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
    fn the_viewer_is_the_address_cloudfront_names() {
        let v = viewer(&req(&[(VIEWER_ADDRESS_HEADER, "198.51.100.10:46532")]));
        assert_eq!(v.ip, "198.51.100.10");
        assert_eq!(viewer(&req(&[])).ip, "unknown");
        assert_eq!(viewer(&req(&[])).network().as_str(), "unknown");
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

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_and_an_ipv4_one_by_its_address() {
        let net = |ip: &str| Viewer { ip: ip.into() }.network().to_string();
        assert_eq!(net("198.51.100.10"), "198.51.100.10");
        assert_eq!(net("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(
            net("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            "2001:db8:1:2::/64",
            "any address of the /64 is the same client"
        );
        assert_eq!(
            net("2001:db8:1:3::1"),
            "2001:db8:1:3::/64",
            "the next /64 is not"
        );
        assert_eq!(net("::ffff:198.51.100.10"), "198.51.100.10");
        assert_eq!(net("unknown"), "unknown");
        assert_eq!(
            &*ClientNetwork::of("2001:db8::1".parse().unwrap()),
            "2001:db8::/64"
        );
    }
}
