//! Failure counters with exponential back-off, e.g. wrong passwords per username. The
//! counter is keyed by what was typed, whether or not such an account exists, so the
//! lock itself tells an attacker nothing. Locks are temporary (capped) and the counter
//! expires a day after the last failure: nobody is locked out forever.

use super::{schema, Cond, Key, Store, StoreError, Update};

/// Failures allowed before the first lock.
pub const FREE_FAILURES: i64 = 5;
/// First lock; each further failure doubles it, up to `MAX_LOCK_SECS`.
pub const FIRST_LOCK_SECS: i64 = 60;
pub const MAX_LOCK_SECS: i64 = 3600;
/// The counter forgets a day after the last failure.
const MEMORY_SECS: i64 = 24 * 3600;

fn key(scope: &str, subject: &str) -> Key {
    Key::new(format!("LOCK#{scope}#{subject}"), "LOCK")
}

/// The lock that follows the `failures`-th failure, if any.
pub fn lock_secs(failures: i64) -> Option<i64> {
    let over = failures - FREE_FAILURES;
    (over >= 0).then(|| FIRST_LOCK_SECS.saturating_mul(1i64 << over.min(20)).min(MAX_LOCK_SECS))
}

/// Seconds left on a lock, if the subject is locked now.
pub async fn locked_for(store: &dyn Store, scope: &str, subject: &str, now: i64) -> Result<Option<i64>, StoreError> {
    let item = store.get(&key(scope, subject)).await?.filter(|i| !i.is_expired(now));
    Ok(item.and_then(|i| i.n("locked_until")).map(|t| t - now).filter(|left| *left > 0))
}

/// Counts a failure atomically; returns the lock (seconds) it triggers, if any.
pub async fn fail(store: &dyn Store, scope: &str, subject: &str, now: i64) -> Result<Option<i64>, StoreError> {
    let k = key(scope, subject);
    // An expired counter starts again from zero.
    let fresh = Cond::Or(vec![Cond::NotExists, Cond::gt(schema::TTL_ATTRIBUTE, now)]);
    let counted = match store.update(&k, Update::new().add("failures", 1).set(schema::TTL_ATTRIBUTE, now + MEMORY_SECS), Some(fresh)).await {
        Ok(item) => item,
        Err(StoreError::ConditionFailed) => {
            let restart = Update::new().set("failures", 1i64).set(schema::TTL_ATTRIBUTE, now + MEMORY_SECS).remove("locked_until");
            store.update(&k, restart, None).await?
        }
        Err(e) => return Err(e),
    };
    let Some(lock) = lock_secs(counted.n("failures").unwrap_or(1)) else { return Ok(None) };
    store.update(&k, Update::new().set("locked_until", now + lock), None).await?;
    Ok(Some(lock))
}

/// Forgets the failures (after a success).
pub async fn clear(store: &dyn Store, scope: &str, subject: &str) -> Result<(), StoreError> {
    store.delete(&key(scope, subject), None).await
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
    use crate::store::memory::MemoryStore;

    #[test]
    fn back_off_doubles_and_is_capped() {
        assert_eq!((1..=4).map(lock_secs).collect::<Vec<_>>(), vec![None; 4]);
        assert_eq!(lock_secs(5), Some(60));
        assert_eq!(lock_secs(6), Some(120));
        assert_eq!(lock_secs(8), Some(480));
        assert_eq!(lock_secs(12), Some(MAX_LOCK_SECS));
        assert_eq!(lock_secs(1000), Some(MAX_LOCK_SECS));
    }

    #[tokio::test]
    async fn locks_after_five_failures_then_releases() {
        let s = MemoryStore::new();
        for _ in 0..4 {
            assert_eq!(fail(&s, "login", "mario", 1000).await.unwrap(), None);
        }
        assert_eq!(locked_for(&s, "login", "mario", 1000).await.unwrap(), None);
        assert_eq!(fail(&s, "login", "mario", 1000).await.unwrap(), Some(60));
        assert_eq!(locked_for(&s, "login", "mario", 1030).await.unwrap(), Some(30));
        assert_eq!(locked_for(&s, "login", "mario", 1060).await.unwrap(), None);
        assert_eq!(fail(&s, "login", "mario", 1061).await.unwrap(), Some(120));
        // A day later the counter has forgotten.
        assert_eq!(fail(&s, "login", "mario", 1061 + MEMORY_SECS + 1).await.unwrap(), None);
        clear(&s, "login", "mario").await.unwrap();
        assert_eq!(locked_for(&s, "login", "mario", 1000).await.unwrap(), None);
        assert_eq!(minutes_text(60), "1 minuto");
        assert_eq!(minutes_text(61), "2 minuti");
    }
}
