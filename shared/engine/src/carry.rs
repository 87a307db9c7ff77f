//! A flow's state carried in its cookie, sealed: a page (GET) shows the state without
//! reading the table, and a step (POST) decides on it, conditioning its transaction on
//! the record's version still being the one carried — so a stale or replayed cookie (a
//! second tab, a back button) can never commit; it only costs a read to catch up.
//!
//! The value is `<key id>.<flow id>.<version>.<expires>.<base64 nonce + ciphertext>`,
//! sealed with ChaCha20-Poly1305 under a key derived from the flow secret's current version
//! (`store::secret`, named by its id), with the flow kind, key id, flow id, version and
//! expiry as associated data: one flow's cookie is no other's, and nothing in it can be read
//! or changed by the browser — a recovery for unknown data must look exactly like one for a
//! real account, down to the cookie. It opens under the current or the previous version;
//! two rotations later it opens no more (the flow's "expired" page).

use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use domain::crypto;
use serde::{de::DeserializeOwned, Serialize};
use store::secret::{FlowKey, FlowKeys};

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
const NONCE_LEN: usize = 12;
/// Browsers keep cookies of at most 4096 bytes: a longer value is none we set, and is not
/// decoded at all.
pub const MAX_VALUE_LEN: usize = 4096;

fn cipher(secret: &[u8]) -> ChaCha20Poly1305 {
    let key = hex::decode(crypto::keyed_hash(secret, "carry-key")).expect("hex digest");
    ChaCha20Poly1305::new(Key::from_slice(&key))
}

fn aad(kind: &str, head: &str) -> String {
    format!("carry:{kind}:{head}")
}

/// The cookie value carrying `data` as version `version` of flow `id`, until `expires`,
/// sealed under `key` (the current version of the secret).
pub fn seal<T: Serialize>(
    key: &FlowKey,
    kind: &str,
    id: &str,
    version: i64,
    data: &T,
    expires: i64,
) -> String {
    let json = serde_json::to_vec(data).expect("flow data serialises");
    let head = format!("{}.{id}.{version}.{expires}", key.id());
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let aad = aad(kind, &head);
    let payload = Payload {
        msg: &json,
        aad: aad.as_bytes(),
    };
    let mut sealed = nonce.to_vec();
    sealed.extend(
        cipher(key.bytes())
            .encrypt(&nonce, payload)
            .expect("sealing cannot fail"),
    );
    format!("{head}.{}", B64.encode(sealed))
}

/// The id of the key a cookie value names (its first part), if it looks like one of ours.
pub fn key_id(value: &str) -> Option<&str> {
    (value.len() <= MAX_VALUE_LEN)
        .then(|| value.split_once('.'))
        .flatten()
        .map(|(kid, _)| kid)
}

/// Whether `value` has the shape of a sealed value: a key id (`secret::ID_LEN` hex digits)
/// in front. Opening it needs the flow keys.
pub fn is_sealed(value: &str) -> bool {
    key_id(value).is_some_and(|k| {
        k.len() == store::secret::ID_LEN && k.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The state in a cookie value, if it is ours (sealed under one of `keys`), of this kind,
/// unexpired and readable.
pub fn open<T: DeserializeOwned>(
    keys: &FlowKeys,
    kind: &str,
    value: &str,
    now: i64,
) -> Option<Carried<T>> {
    if value.len() > MAX_VALUE_LEN {
        return None;
    }
    let (head, body) = value.rsplit_once('.')?;
    let mut parts = head.splitn(4, '.');
    let (kid, id, version, expires) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let key = keys.get(kid)?;
    if expires.parse::<i64>().ok()? <= now {
        return None;
    }
    let sealed = B64.decode(body).ok()?;
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, msg) = sealed.split_at(NONCE_LEN);
    let aad = aad(kind, head);
    let json = cipher(key.bytes())
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg,
                aad: aad.as_bytes(),
            },
        )
        .ok()?;
    Some(Carried {
        id: id.to_owned(),
        version: version.parse().ok()?,
        data: serde_json::from_slice(&json).ok()?,
    })
}

/// The flow state of kind `kind` the request's cookie `cookie` carries, if live and ours
/// (a key id this process has not seen makes it fetch the secret's versions again).
pub async fn from_ctx<T: DeserializeOwned>(
    app: &crate::App,
    ctx: &super::Ctx,
    cookie: &str,
    kind: &str,
) -> Option<Carried<T>> {
    // Only a sealed value needs the keys (`web::runtime::entry` fetched them for it).
    let value = ctx.cookie(cookie).filter(|v| is_sealed(v))?;
    let keys = app.keys_for(key_id(value)?).await;
    open(&keys, kind, value, app.now())
}

/// The `Set-Cookie` carrying `data` as version `version` of flow `id`, for `ttl` seconds.
pub fn set_cookie<T: Serialize>(
    app: &crate::App,
    (cookie, kind, ttl): (&str, &str, i64),
    id: &str,
    version: i64,
    data: &T,
) -> String {
    let value = seal(
        app.keys().current(),
        kind,
        id,
        version,
        data,
        app.now() + ttl,
    );
    super::cookies::set_cookie(cookie, &value, Some(ttl), app.config.cookie_secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: &str) -> FlowKeys {
        FlowKeys::fixed(k.as_bytes())
    }

    #[test]
    fn round_trip_and_refusals() {
        let (k, x) = (keys("k"), keys("x"));
        let v = seal(k.current(), "LOGIN", "id1", 3, &vec!["a".to_owned()], 100);
        let c: Carried<Vec<String>> = open(&k, "LOGIN", &v, 99).unwrap();
        assert_eq!(
            (c.id.as_str(), c.version, c.data),
            ("id1", 3, vec!["a".to_owned()])
        );
        assert!(
            open::<Vec<String>>(&k, "LOGIN", &v, 100).is_none(),
            "expired"
        );
        assert!(
            open::<Vec<String>>(&k, "REG", &v, 99).is_none(),
            "other kind"
        );
        assert!(
            open::<Vec<String>>(&x, "LOGIN", &v, 99).is_none(),
            "other key"
        );
        let long = format!("{v}{}", "A".repeat(MAX_VALUE_LEN));
        assert!(
            open::<Vec<String>>(&k, "LOGIN", &long, 99).is_none(),
            "oversized"
        );
        let forged = v.replacen(".3.", ".4.", 1);
        assert!(
            open::<Vec<String>>(&k, "LOGIN", &forged, 99).is_none(),
            "forged"
        );
        let plain = serde_json::to_vec(&vec!["a".to_owned()]).unwrap();
        assert!(
            !v.contains(&B64.encode(plain)),
            "the data cannot be read: {v}"
        );
        assert_ne!(
            v,
            seal(k.current(), "LOGIN", "id1", 3, &vec!["a".to_owned()], 100),
            "fresh nonce"
        );
        // Another key's id put in front: refused (the id is associated data too).
        let renamed = format!("{}{}", x.current().id(), &v[k.current().id().len()..]);
        let both = FlowKeys::new(k.current().clone(), Some(x.current().clone()));
        assert!(
            open::<Vec<String>>(&both, "LOGIN", &renamed, 99).is_none(),
            "renamed key"
        );
    }

    /// A rotation: sealed under the old key, opened while it is the previous one; two
    /// rotations later, not at all.
    #[test]
    fn opens_under_the_previous_key_until_the_next_rotation() {
        let (a, b, c) = (
            keys("a").current().clone(),
            keys("b").current().clone(),
            keys("c").current().clone(),
        );
        let v = seal(&a, "LOGIN", "id1", 1, &1u8, 100);
        assert_eq!(key_id(&v), Some(a.id()));
        let after_one = FlowKeys::new(b.clone(), Some(a));
        assert_eq!(
            open::<u8>(&after_one, "LOGIN", &v, 99).map(|c| c.data),
            Some(1)
        );
        let after_two = FlowKeys::new(c, Some(b));
        assert!(open::<u8>(&after_two, "LOGIN", &v, 99).is_none());
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_garbage(s in "\\PC{0,200}") {
            let _ = open::<Vec<String>>(&FlowKeys::fixed(b"k".as_slice()), "LOGIN", &s, 0);
        }
    }
}
