//! A flow's state carried in its cookie, signed: a page (GET) shows the state without
//! reading the table, and a step (POST) decides on it, conditioning its transaction on
//! the record's version still being the one carried — so a stale or replayed cookie (a
//! second tab, a back button) can never commit; it only costs a read to catch up.
//!
//! The value is `<flow id>.<version>.<expires>.<base64 JSON>.<HMAC>`; the HMAC (with the
//! flow secret) covers the flow kind too, so one flow's cookie is no other's. It is signed,
//! not encrypted: it holds only what the user typed or was shown in this flow (the
//! cookie is `HttpOnly`, `Secure` and dies with the flow).

use crate::crypto;
use base64::Engine;
use serde::{de::DeserializeOwned, Serialize};

/// A flow's state as a cookie carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried<T> {
    /// The flow id (the record's key is its hash).
    pub id: String,
    /// The record version this state was written as.
    pub version: i64,
    pub data: T,
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn mac(secret: &[u8], kind: &str, body: &str) -> String {
    crypto::keyed_hash(secret, &format!("carry:{kind}:{body}"))
}

/// The cookie value carrying `data` as version `version` of flow `id`, until `expires`.
pub fn seal<T: Serialize>(
    secret: &[u8],
    kind: &str,
    id: &str,
    version: i64,
    data: &T,
    expires: i64,
) -> String {
    let json = serde_json::to_vec(data).expect("flow data serialises");
    let body = format!("{id}.{version}.{expires}.{}", B64.encode(json));
    let sig = mac(secret, kind, &body);
    format!("{body}.{sig}")
}

/// The state in a cookie value, if it is ours, of this kind, unexpired and readable.
pub fn open<T: DeserializeOwned>(
    secret: &[u8],
    kind: &str,
    value: &str,
    now: i64,
) -> Option<Carried<T>> {
    let (body, sig) = value.rsplit_once('.')?;
    if !crypto::digest_eq(sig, &mac(secret, kind, body)) {
        return None;
    }
    let mut parts = body.splitn(4, '.');
    let (id, version, expires, data) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if expires.parse::<i64>().ok()? <= now {
        return None;
    }
    Some(Carried {
        id: id.to_owned(),
        version: version.parse().ok()?,
        data: serde_json::from_slice(&B64.decode(data).ok()?).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let v = seal(b"k", "LOGIN", "id1", 3, &vec!["a".to_owned()], 100);
        let c: Carried<Vec<String>> = open(b"k", "LOGIN", &v, 99).unwrap();
        assert_eq!(
            (c.id.as_str(), c.version, c.data),
            ("id1", 3, vec!["a".to_owned()])
        );
        assert!(
            open::<Vec<String>>(b"k", "LOGIN", &v, 100).is_none(),
            "expired"
        );
        assert!(
            open::<Vec<String>>(b"k", "REG", &v, 99).is_none(),
            "other kind"
        );
        assert!(
            open::<Vec<String>>(b"x", "LOGIN", &v, 99).is_none(),
            "other key"
        );
        let forged = v.replacen(".3.", ".4.", 1);
        assert!(
            open::<Vec<String>>(b"k", "LOGIN", &forged, 99).is_none(),
            "forged"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_garbage(s in "\\PC{0,200}") {
            let _ = open::<Vec<String>>(b"k", "LOGIN", &s, 0);
        }
    }
}
