//! Who made the request, as the edge said (`web::edge` reads it from CloudFront's
//! viewer address): the client every per-client cap counts. Plain values, no HTTP.

use std::net::{IpAddr, Ipv6Addr};

/// The client as the edge saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The full address (what logs show), or `unknown`.
    pub ip: String,
}

impl Viewer {
    /// The network every per-client cap counts this viewer in.
    pub fn network(&self) -> ClientNetwork {
        self.ip
            .parse::<IpAddr>()
            .map_or_else(|_| ClientNetwork::unknown(), ClientNetwork::of)
    }
}

/// What a per-client cap counts: an IPv4 address as it is, an IPv6 address by its /64
/// (`2001:db8:1:2::/64`). An IPv6 subscriber (a home, a phone, a server) is given a whole
/// /64 and can use any of its 2^64 addresses, so counting per /128 would give one client
/// endless caps. An IPv4-mapped IPv6 address counts as its IPv4 address. The only way to
/// make one is from a parsed address, so every cap keys alike; it reads as the key text
/// (`&str`), which is what the counters take.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientNetwork(String);

/// The prefix length an IPv6 client is counted by.
pub const IPV6_CLIENT_PREFIX: u32 = 64;

impl ClientNetwork {
    pub fn of(ip: IpAddr) -> ClientNetwork {
        match ip {
            IpAddr::V4(v4) => ClientNetwork(v4.to_string()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientNetwork(v4.to_string()),
                None => {
                    let mask = u128::MAX << (128 - IPV6_CLIENT_PREFIX);
                    let net = Ipv6Addr::from(u128::from(v6) & mask);
                    ClientNetwork(format!("{net}/{IPV6_CLIENT_PREFIX}"))
                }
            },
        }
    }
    /// A request whose viewer address is missing (never in AWS: CloudFront always adds it).
    pub fn unknown() -> ClientNetwork {
        ClientNetwork("unknown".to_owned())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for ClientNetwork {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClientNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
