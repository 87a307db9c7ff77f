//! Fixed-window rate limits as atomic DynamoDB counters (ADD with a condition), so
//! concurrent requests can never exceed a limit and windows expire by TTL.

use super::{schema, Cond, Key, Store, StoreError, TxOp, Update};

/// The partition-key prefix of every rate window and once-guard.
pub const PREFIX: &str = "RATE#";

/// One limit: at most `max` events per `window_secs` for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub scope: &'static str,
    pub max: i64,
    pub window_secs: i64,
}

/// The write that counts one event against `limit` for `key`: an atomic ADD, on condition
/// that the window is not full (a step puts it in its transaction, `engine::Tx::charge`).
pub fn charge_op(limit: Limit, key: &str, now: i64) -> TxOp {
    let window = now.div_euclid(limit.window_secs);
    TxOp::Update {
        key: window_key(limit, key, now),
        update: Update::new()
            .add("count", 1)
            .set(schema::TTL_ATTRIBUTE, (window + 1) * limit.window_secs + 60),
        cond: Some(Cond::Or(vec![
            Cond::NotExists,
            Cond::lt("count", limit.max),
        ])),
    }
}

/// The counter of `key`'s current window (a loader reads it to know whether it is full).
pub fn window_key(limit: Limit, key: &str, now: i64) -> Key {
    let window = now.div_euclid(limit.window_secs);
    Key::new(
        format!("{PREFIX}{}#{}#{}", limit.scope, key, window),
        "RATE",
    )
}

/// True when the counter read as `item` (from `window_key`) has no room for one more event.
pub fn is_full(item: Option<&super::Item>, limit: Limit, now: i64) -> bool {
    item.filter(|i| !i.is_expired(now))
        .and_then(|i| i.n("count"))
        .is_some_and(|c| c >= limit.max)
}

/// The key of a once-guard (`first_within`).
pub fn once_key(scope: &str, key: &str) -> Key {
    Key::new(format!("{PREFIX}{scope}#{key}#once"), "RATE")
}

/// True when the once-guard read as `item` still holds (an event happened in its window).
pub fn once_holds(item: Option<&super::Item>, now: i64) -> bool {
    item.is_some_and(|i| !i.is_expired(now))
}

/// The write taking a once-guard for `window_secs`, if it is free.
pub fn once_op(scope: &str, key: &str, window_secs: i64, now: i64) -> TxOp {
    TxOp::Put {
        key: once_key(scope, key),
        item: super::Item::new().with(schema::TTL_ATTRIBUTE, now + window_secs),
        cond: Some(Cond::Or(vec![
            Cond::NotExists,
            Cond::lt(schema::TTL_ATTRIBUTE, now + 1),
        ])),
    }
}

/// Counts one event; `Ok(false)` when the limit is already reached (the event is not counted).
pub async fn hit(store: &dyn Store, limit: Limit, key: &str, now: i64) -> Result<bool, StoreError> {
    let TxOp::Update { key, update, cond } = charge_op(limit, key, now) else {
        unreachable!("charge_op is an update")
    };
    match store.update(&key, update, cond).await {
        Ok(_) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

/// True for the first event per `key` within `window_secs` (later ones in the window get
/// `false`): a double-clicked button triggers one message.
pub async fn first_within(
    store: &dyn Store,
    scope: &str,
    key: &str,
    window_secs: i64,
    now: i64,
) -> Result<bool, StoreError> {
    match store
        .transact(vec![once_op(scope, key, window_secs, now)])
        .await
    {
        Ok(()) => Ok(true),
        Err(StoreError::TxCancelled { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    #[tokio::test]
    async fn allows_up_to_max_per_window() {
        let s = MemoryStore::new();
        let l = Limit {
            scope: "t",
            max: 3,
            window_secs: 60,
        };
        for _ in 0..3 {
            assert!(hit(&s, l, "k", 120).await.unwrap());
        }
        assert!(!hit(&s, l, "k", 150).await.unwrap());
        assert!(hit(&s, l, "other", 150).await.unwrap());
        assert!(
            hit(&s, l, "k", 180).await.unwrap(),
            "a new window starts afresh"
        );
    }

    #[tokio::test]
    async fn first_within_a_window_only() {
        let s = MemoryStore::new();
        assert!(first_within(&s, "t", "k", 30, 100).await.unwrap());
        assert!(!first_within(&s, "t", "k", 30, 129).await.unwrap());
        assert!(first_within(&s, "t", "k", 30, 130).await.unwrap());
    }
}
