//! The step-1 "barra di controllo": a server-issued, signed, single-use challenge.
//! Without JavaScript the slider is a native range input; the server checks it reached
//! the end and that a human-plausible time passed since the challenge was issued. With
//! JavaScript the browser also solves a small proof-of-work while the user drags;
//! requests without it get a tighter per-IP cap. No third-party service.

use crate::crypto;
use crate::store::{schema, Cond, Item, Key, Store, StoreError};
use sha2::{Digest, Sha256};

/// Seconds a person needs at least to type a number and drag the slider.
pub const MIN_HUMAN_SECS: i64 = 2;
/// A challenge is valid this long after it was issued.
pub const MAX_AGE_SECS: i64 = 15 * 60;
/// Leading zero bits of sha256("<nonce>:<counter>"): ~65k hashes, well under a second in a browser.
pub const POW_BITS: u32 = 16;
/// The slider's end value.
pub const SLIDER_END: &str = "100";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("challenge invalid")]
    Invalid,
    #[error("too fast")]
    TooFast,
    #[error("challenge expired")]
    Expired,
    #[error("challenge already used")]
    Reused,
    #[error("slider not at the end")]
    SliderNotAtEnd,
}

/// A new challenge token: `<nonce>.<issued_at>.<signature>`.
pub fn issue(secret: &[u8], now: i64) -> String {
    let nonce = &crypto::random_token()[..22];
    let body = format!("{nonce}.{now}");
    format!(
        "{body}.{}",
        crypto::keyed_hash(secret, &format!("challenge:{body}"))
    )
}

/// The nonce of a well-signed token.
pub fn nonce(secret: &[u8], token: &str) -> Option<(String, i64)> {
    let mut parts = token.splitn(3, '.');
    let (n, t, sig) = (parts.next()?, parts.next()?, parts.next()?);
    let expected = crypto::keyed_hash(secret, &format!("challenge:{n}.{t}"));
    if !crypto::digest_eq(sig, &expected) {
        return None;
    }
    Some((n.to_owned(), t.parse().ok()?))
}

/// True when `counter` solves the proof-of-work for `nonce`.
pub fn pow_ok(nonce: &str, counter: &str) -> bool {
    if counter.is_empty() || counter.len() > 20 || !counter.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let d = Sha256::digest(format!("{nonce}:{counter}").as_bytes());
    let mut zeros = 0;
    for b in d {
        if b == 0 {
            zeros += 8;
            continue;
        }
        zeros += b.leading_zeros();
        break;
    }
    zeros >= POW_BITS
}

/// Outcome of a verified submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Passed {
    pub with_pow: bool,
}

/// Checks a submission and burns the challenge (a conditional write: single use).
pub async fn verify(
    store: &dyn Store,
    secret: &[u8],
    token: &str,
    slider: &str,
    pow: &str,
    now: i64,
) -> Result<Result<Passed, ChallengeError>, StoreError> {
    let Some((nonce, issued)) = nonce(secret, token) else {
        return Ok(Err(ChallengeError::Invalid));
    };
    if slider != SLIDER_END {
        return Ok(Err(ChallengeError::SliderNotAtEnd));
    }
    if now - issued < MIN_HUMAN_SECS {
        return Ok(Err(ChallengeError::TooFast));
    }
    if now - issued > MAX_AGE_SECS {
        return Ok(Err(ChallengeError::Expired));
    }
    let key = Key::new(format!("CHALLENGE#{nonce}"), "USED");
    let item = Item::new().with(schema::TTL_ATTRIBUTE, issued + MAX_AGE_SECS + 60);
    match store.put(&key, item, Some(Cond::NotExists)).await {
        Ok(()) => Ok(Ok(Passed {
            with_pow: pow_ok(&nonce, pow),
        })),
        Err(StoreError::ConditionFailed) => Ok(Err(ChallengeError::Reused)),
        Err(e) => Err(e),
    }
}

/// Solves the proof-of-work (tests and benchmarks; the browser does the same in JS).
pub fn solve(nonce: &str) -> String {
    (0u64..)
        .map(|c| c.to_string())
        .find(|c| pow_ok(nonce, c))
        .expect("a solution exists")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    #[tokio::test]
    async fn a_human_passes_once() {
        let s = MemoryStore::new();
        let t = issue(b"k", 100);
        let (n, _) = nonce(b"k", &t).unwrap();
        let pow = solve(&n);
        assert_eq!(
            verify(&s, b"k", &t, "100", &pow, 105).await.unwrap(),
            Ok(Passed { with_pow: true })
        );
        assert_eq!(
            verify(&s, b"k", &t, "100", &pow, 106).await.unwrap(),
            Err(ChallengeError::Reused)
        );
    }

    #[tokio::test]
    async fn refuses_bots_and_forgeries() {
        let s = MemoryStore::new();
        let t = issue(b"k", 100);
        assert_eq!(
            verify(&s, b"k", &t, "100", "", 100).await.unwrap(),
            Err(ChallengeError::TooFast)
        );
        assert_eq!(
            verify(&s, b"k", &t, "40", "", 105).await.unwrap(),
            Err(ChallengeError::SliderNotAtEnd)
        );
        assert_eq!(
            verify(&s, b"other", &t, "100", "", 105).await.unwrap(),
            Err(ChallengeError::Invalid)
        );
        assert_eq!(
            verify(&s, b"k", &t, "100", "", 100 + MAX_AGE_SECS + 1)
                .await
                .unwrap(),
            Err(ChallengeError::Expired)
        );
        let forged = t.replace(".100.", ".1.");
        assert_eq!(
            verify(&s, b"k", &forged, "100", "", 105).await.unwrap(),
            Err(ChallengeError::Invalid)
        );
        assert_eq!(
            verify(&s, b"k", &t, "100", "123", 105).await.unwrap(),
            Ok(Passed { with_pow: false })
        );
    }
}
