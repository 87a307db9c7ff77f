//! Attempt counters with exponential back-off, e.g. passwords tried per username. Each
//! attempt is counted atomically *before* the password is verified (so parallel guesses
//! cannot all be verified), and a success forgets the count. The counter is keyed by what
//! was typed, whether or not such an account exists, so the lock tells an attacker nothing.
//! Locks are temporary (capped) and a counter expires a day after the last attempt.
//!
//! The login counts a browser it does not know twice: per (username, client network) with
//! a low threshold, so a stranger who keeps guessing locks only himself, and per username
//! with a much higher one, against guessing from many addresses. A browser that completed
//! a login on the account (its `dispositivo` cookie, `store::devices`) is counted only on
//! its own counter per (username, browser), stricter still, and is not barred by the
//! others (OWASP's device-cookie lockout): strangers cannot hold the owner locked out.

use super::{schema, Cond, Item, Key, Store, StoreError, TxOp};

/// The partition-key prefix of every failure counter, whatever its scope.
pub const PREFIX: &str = "LOCK#";

/// First lock; each further attempt doubles it, up to `MAX_LOCK_SECS`.
pub const FIRST_LOCK_SECS: i64 = 60;
pub const MAX_LOCK_SECS: i64 = 3600;
/// The counter forgets a day after the last attempt.
const MEMORY_SECS: i64 = 24 * 3600;
/// Optimistic writes lost to concurrent attempts before giving up (and refusing).
const MAX_RETRIES: usize = 8;

/// One counter: its key space and how many attempts are free before the first lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub scope: &'static str,
    pub free: i64,
}

fn key(scope: &str, subject: &str) -> Key {
    Key::new(format!("{PREFIX}{scope}#{subject}"), "LOCK")
}

/// The lock that the `attempts`-th attempt sets (before it is verified), if any: the last
/// free attempt already locks, so a wrong one leaves the subject locked.
pub fn lock_secs(policy: Policy, attempts: i64) -> Option<i64> {
    let over = attempts - policy.free;
    (over >= 0).then(|| {
        FIRST_LOCK_SECS
            .saturating_mul(1i64 << over.min(20))
            .min(MAX_LOCK_SECS)
    })
}

/// True when a wrong `attempts`-th attempt is the one that first locks the subject (the
/// lock engages; later ones only extend it until the counter is forgotten or cleared).
pub fn engages(policy: Policy, attempts: i64) -> bool {
    attempts == policy.free
}

/// The outcome of counting an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Go ahead and verify; if it turns out wrong, the subject stays locked this long.
    Allowed { lock_if_wrong: Option<i64> },
    /// Locked: seconds left (nothing was verified).
    Locked(i64),
}

/// A counter as read, with the version its next write is conditioned on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counter {
    /// Attempts so far (0 when absent or forgotten).
    pub attempts: i64,
    pub locked_until: i64,
    /// `None` when the item does not exist; `Some(None)` for an item without a version.
    version: Option<Option<i64>>,
}

impl Counter {
    /// The key a step's loader reads for this counter.
    pub fn key(policy: Policy, subject: &str) -> Key {
        key(policy.scope, subject)
    }

    pub fn from_item(item: Option<&Item>, now: i64) -> Counter {
        let live = item.filter(|i| !i.is_expired(now));
        Counter {
            attempts: live.and_then(|i| i.n("attempts")).unwrap_or(0),
            locked_until: live.and_then(|i| i.n("locked_until")).unwrap_or(0),
            version: item.map(|i| i.n("v")),
        }
    }

    /// True when one more wrong attempt would be the one that first locks (`engages`).
    pub fn next_engages(&self, policy: Policy) -> bool {
        engages(policy, self.attempts + 1)
    }

    /// What one more attempt now would be allowed (a pure decision on the read value).
    pub fn next(&self, policy: Policy, now: i64) -> Attempt {
        if self.locked_until > now {
            return Attempt::Locked(self.locked_until - now);
        }
        Attempt::Allowed {
            lock_if_wrong: lock_secs(policy, self.attempts + 1),
        }
    }

    fn unchanged(&self) -> Cond {
        match self.version {
            Some(Some(v)) => Cond::eq("v", v),
            Some(None) => Cond::missing("v"),
            None => Cond::NotExists,
        }
    }
}

/// The write counting one more attempt over `seen`, on condition that nobody counted one
/// since it was read (else the step's transaction is cancelled and nothing is revealed).
pub fn attempt_op(policy: Policy, subject: &str, seen: &Counter, now: i64) -> TxOp {
    let attempts = seen.attempts + 1;
    let mut item = Item::new()
        .with("attempts", attempts)
        .with("v", seen.version.flatten().unwrap_or(0) + 1)
        .with(schema::TTL_ATTRIBUTE, now + MEMORY_SECS);
    if let Some(l) = lock_secs(policy, attempts) {
        item = item.with("locked_until", now + l);
    }
    TxOp::Put {
        key: key(policy.scope, subject),
        item,
        cond: Some(seen.unchanged()),
    }
}

/// The write forgetting the attempts after a success, if nobody counted one meanwhile.
pub fn clear_op(policy: Policy, subject: &str, seen: &Counter) -> TxOp {
    TxOp::Delete {
        key: key(policy.scope, subject),
        cond: (seen.version.is_some()).then(|| seen.unchanged()),
    }
}

/// Counts one attempt, atomically: read the counter, write it back one higher (and the
/// lock this attempt sets) on condition that nobody wrote in between; retry otherwise.
pub async fn attempt(
    store: &dyn Store,
    policy: Policy,
    subject: &str,
    now: i64,
) -> Result<Attempt, StoreError> {
    let k = key(policy.scope, subject);
    for _ in 0..MAX_RETRIES {
        let seen = Counter::from_item(store.get(&k).await?.as_ref(), now);
        let next = seen.next(policy, now);
        if let Attempt::Locked(_) = next {
            return Ok(next);
        }
        match store
            .transact(vec![attempt_op(policy, subject, &seen, now)])
            .await
        {
            Ok(()) => return Ok(next),
            Err(StoreError::TxCancelled { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    // So many attempts at once on one subject: refuse this one.
    Ok(Attempt::Locked(FIRST_LOCK_SECS))
}

/// "N minuti" / "1 minuto" for messages.
pub fn minutes_text(secs: i64) -> String {
    match (secs + 59) / 60 {
        1 => "1 minuto".to_owned(),
        m => format!("{m} minuti"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    const P: Policy = Policy {
        scope: "login",
        free: 5,
    };

    #[test]
    fn back_off_doubles_and_is_capped() {
        assert_eq!(
            (1..=4).map(|n| lock_secs(P, n)).collect::<Vec<_>>(),
            vec![None; 4]
        );
        assert_eq!(lock_secs(P, 5), Some(60));
        assert_eq!(lock_secs(P, 6), Some(120));
        assert_eq!(lock_secs(P, 8), Some(480));
        assert_eq!(lock_secs(P, 12), Some(MAX_LOCK_SECS));
        assert_eq!(lock_secs(P, 1000), Some(MAX_LOCK_SECS));
        // The lock engages once: on the last free attempt, not on the ones extending it.
        assert_eq!(
            (1..=8).filter(|n| engages(P, *n)).collect::<Vec<_>>(),
            vec![5]
        );
        let seen = Counter {
            attempts: 4,
            ..Counter::default()
        };
        assert!(seen.next_engages(P));
    }

    #[test]
    fn the_login_policies_count_in_key_spaces_of_their_own() {
        // (Their order, a known browser's the strictest, is checked at compile time in `limits`.)
        use crate::limits::{
            LOGIN_LOCK_PER_CLIENT, LOGIN_LOCK_PER_DEVICE, LOGIN_LOCK_PER_USERNAME,
        };
        let scopes = [
            LOGIN_LOCK_PER_DEVICE.scope,
            LOGIN_LOCK_PER_CLIENT.scope,
            LOGIN_LOCK_PER_USERNAME.scope,
        ];
        assert_eq!(
            scopes
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            3,
            "three counters, three key spaces"
        );
    }

    #[tokio::test]
    async fn counts_before_verifying_locks_then_releases() {
        let s = MemoryStore::new();
        for _ in 0..4 {
            assert_eq!(
                attempt(&s, P, "mario", 1000).await.unwrap(),
                Attempt::Allowed {
                    lock_if_wrong: None
                }
            );
        }
        assert_eq!(
            attempt(&s, P, "mario", 1000).await.unwrap(),
            Attempt::Allowed {
                lock_if_wrong: Some(60)
            }
        );
        assert_eq!(
            attempt(&s, P, "mario", 1030).await.unwrap(),
            Attempt::Locked(30),
            "nothing verified while locked"
        );
        assert_eq!(
            attempt(&s, P, "mario", 1061).await.unwrap(),
            Attempt::Allowed {
                lock_if_wrong: Some(120)
            }
        );
        // A day later the counter has forgotten.
        assert_eq!(
            attempt(&s, P, "mario", 1061 + MEMORY_SECS + 1)
                .await
                .unwrap(),
            Attempt::Allowed {
                lock_if_wrong: None
            }
        );
        s.transact(vec![clear_op(P, "mario", &Counter::default())])
            .await
            .unwrap();
        assert_eq!(
            attempt(&s, P, "mario", 1000).await.unwrap(),
            Attempt::Allowed {
                lock_if_wrong: None
            }
        );
        assert_eq!(minutes_text(60), "1 minuto");
        assert_eq!(minutes_text(61), "2 minuti");
    }

    #[tokio::test]
    async fn parallel_attempts_get_distinct_counts() {
        let s = std::sync::Arc::new(MemoryStore::new());
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { attempt(s.as_ref(), P, "mario", 1000).await.unwrap() })
            })
            .collect();
        let mut allowed = 0;
        for t in tasks {
            if matches!(t.await.unwrap(), Attempt::Allowed { .. }) {
                allowed += 1;
            }
        }
        assert!(
            allowed <= 5,
            "{allowed} of 20 parallel attempts were let through"
        );
    }
}
