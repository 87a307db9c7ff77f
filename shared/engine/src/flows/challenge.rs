//! The step-1 "barra di controllo": a server-issued, signed, single-use challenge.
//! Without JavaScript the slider is a native range input; the server checks it reached
//! the end and that a human-plausible time passed since the challenge was issued. With
//! JavaScript the browser also solves a small proof-of-work while the user drags;
//! requests without it get a tighter per-IP cap. No third-party service.

use domain::crypto;
use sha2::{Digest, Sha256};
use store::secret::{FlowKey, FlowKeys};
use store::{Store, StoreError, TxOp};

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

/// A new challenge token: `<nonce>.<issued_at>.<key id>.<signature>`, signed with `key`
/// (the flow secret's current version, `store::secret`). The nonce stays first (what the
/// proof-of-work is computed on).
pub fn issue(key: &FlowKey, now: i64) -> String {
    let nonce = &crypto::random_token()[..22];
    let body = format!("{nonce}.{now}");
    format!(
        "{body}.{}.{}",
        key.id(),
        crypto::keyed_hash(key.bytes(), &format!("challenge:{body}"))
    )
}

/// The id of the key a token names (to fetch the secret again if it is newer).
pub fn key_id(token: &str) -> Option<&str> {
    token.split('.').nth(2)
}

/// The nonce of a token well signed with one of `keys`.
pub fn nonce(keys: &FlowKeys, token: &str) -> Option<(String, i64)> {
    let mut parts = token.splitn(4, '.');
    let (n, t, kid, sig) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let key = keys.get(kid)?;
    let expected = crypto::keyed_hash(key.bytes(), &format!("challenge:{n}.{t}"));
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

/// A submission that passed the checks that need no table: its nonce is still to be
/// burnt (`burn_op`, in the step's transaction, so a challenge serves one submission).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passed {
    pub with_pow: bool,
    nonce: String,
    issued: i64,
}

/// Checks a submission: signature, slider, human pause, age (the single use is `burn_op`).
pub fn check(
    keys: &FlowKeys,
    token: &str,
    slider: &str,
    pow: &str,
    now: i64,
) -> Result<Passed, ChallengeError> {
    let (nonce, issued) = nonce(keys, token).ok_or(ChallengeError::Invalid)?;
    if slider != SLIDER_END {
        return Err(ChallengeError::SliderNotAtEnd);
    }
    if now - issued < MIN_HUMAN_SECS {
        return Err(ChallengeError::TooFast);
    }
    if now - issued > MAX_AGE_SECS {
        return Err(ChallengeError::Expired);
    }
    Ok(Passed {
        with_pow: pow_ok(&nonce, pow),
        nonce,
        issued,
    })
}

/// The write that uses the challenge up: it fails if the challenge was used already.
pub fn burn_op(passed: &Passed) -> TxOp {
    store::challenges::burn_op(&passed.nonce, passed.issued + MAX_AGE_SECS + 60)
}

/// `check` and `burn_op` on their own (a step burns the challenge in its transaction).
pub async fn verify(
    store: &dyn Store,
    keys: &FlowKeys,
    token: &str,
    slider: &str,
    pow: &str,
    now: i64,
) -> Result<Result<Passed, ChallengeError>, StoreError> {
    let passed = match check(keys, token, slider, pow, now) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    match store.transact(vec![burn_op(&passed)]).await {
        Ok(()) => Ok(Ok(passed)),
        Err(StoreError::TxCancelled { .. }) => Ok(Err(ChallengeError::Reused)),
        Err(e) => Err(e),
    }
}

/// The message next to the slider.
pub fn message(e: ChallengeError) -> &'static str {
    match e {
        ChallengeError::SliderNotAtEnd => {
            "Trascina il cursore fino all'estremità destra della barra di controllo."
        }
        ChallengeError::TooFast => {
            "Verifica non superata: trascina di nuovo il cursore fino all'estremità destra."
        }
        ChallengeError::Expired | ChallengeError::Invalid | ChallengeError::Reused => {
            "La verifica è scaduta: trascina di nuovo il cursore fino all'estremità destra."
        }
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
    use store::memory::MemoryStore;

    fn keys(k: &str) -> FlowKeys {
        FlowKeys::fixed(k.as_bytes())
    }

    #[tokio::test]
    async fn a_human_passes_once() {
        let (s, k) = (MemoryStore::new(), keys("k"));
        let t = issue(k.current(), 100);
        let (n, _) = nonce(&k, &t).unwrap();
        let pow = solve(&n);
        let passed = verify(&s, &k, &t, "100", &pow, 105).await.unwrap().unwrap();
        assert!(passed.with_pow);
        assert_eq!(
            verify(&s, &k, &t, "100", &pow, 106).await.unwrap(),
            Err(ChallengeError::Reused)
        );
    }

    #[test]
    fn refuses_bots_and_forgeries() {
        let (k, other) = (keys("k"), keys("other"));
        let t = issue(k.current(), 100);
        let check = |key: &FlowKeys, t: &str, slider, pow, now| check(key, t, slider, pow, now);
        assert_eq!(check(&k, &t, "100", "", 100), Err(ChallengeError::TooFast));
        assert_eq!(
            check(&k, &t, "40", "", 105),
            Err(ChallengeError::SliderNotAtEnd)
        );
        assert_eq!(
            check(&other, &t, "100", "", 105),
            Err(ChallengeError::Invalid)
        );
        assert_eq!(
            check(&k, &t, "100", "", 100 + MAX_AGE_SECS + 1),
            Err(ChallengeError::Expired)
        );
        let forged = t.replace(".100.", ".1.");
        assert_eq!(
            check(&k, &forged, "100", "", 105),
            Err(ChallengeError::Invalid)
        );
        assert!(!check(&k, &t, "100", "123", 105).unwrap().with_pow);
        // After a rotation it still passes (previous key); after two, it is void.
        let rotated = FlowKeys::new(other.current().clone(), Some(k.current().clone()));
        assert!(check(&rotated, &t, "100", "", 105).is_ok());
        let twice = FlowKeys::new(
            keys("third").current().clone(),
            Some(other.current().clone()),
        );
        assert_eq!(
            check(&twice, &t, "100", "", 105),
            Err(ChallengeError::Invalid)
        );
        assert_eq!(key_id(&t), Some(k.current().id()));
    }
}
