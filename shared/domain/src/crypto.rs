//! Small cryptographic helpers: random tokens, keyed hashes of OTPs and tokens.

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A random 256-bit token, URL-safe base64 without padding (43 characters).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// SHA-256 hex of a high-entropy token: what is stored instead of the token itself.
/// No key is needed because 256 random bits cannot be guessed from the hash.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// How an account appears in logs: the first 16 hex digits of its id's SHA-256, enough to
/// follow one account's events, never the id the table is keyed by.
pub fn log_id(account_id: &str) -> String {
    token_hash(&format!("log:{account_id}"))[..16].to_owned()
}

/// HMAC-SHA256 hex of a low-entropy secret (a 6-digit OTP) with the server key: a plain
/// hash of one million possible codes would be reversed instantly by whoever reads the table.
pub fn keyed_hash(key: &[u8], data: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time equality of two hex digests.
pub fn digest_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_url_safe() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn keyed_hash_depends_on_key() {
        assert_ne!(keyed_hash(b"k1", "123456"), keyed_hash(b"k2", "123456"));
        assert!(digest_eq(&keyed_hash(b"k", "1"), &keyed_hash(b"k", "1")));
        assert!(!digest_eq(&token_hash("a"), &token_hash("b")));
    }
}
