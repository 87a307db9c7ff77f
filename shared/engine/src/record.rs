//! A flow record: the server-side state of a multi-step flow, keyed by the hash of an
//! unguessable id that only the browser's cookie holds. Writes are optimistic: each
//! save requires the version it read, so a double-submitted step takes effect once.
//!
//! Every save is conditioned on the record's time not being over, as on its version: a
//! record DynamoDB has not yet deleted (its TTL deletion lags days behind) cannot be saved.
//! A flow whose issue set an absolute end (the end of the link or code it was started from,
//! or its lifetime from the start: `engine::Flow::deadline`) is created and saved with that
//! end (`create_until_op`, `update_until_op`), so a flow kept busy cannot outlive it.

use domain::crypto;
use serde::{de::DeserializeOwned, Serialize};
use store::{flows, Cond, Item, Key, Store, StoreError, TxOp};

#[derive(Debug, Clone)]
pub struct Flow<T> {
    /// The table key; derived from the cookie id, which is not stored.
    pub key: Key,
    pub version: i64,
    pub data: T,
}

pub fn key_for(kind: &str, cookie_id: &str) -> Key {
    flows::key(kind, &crypto::token_hash(cookie_id))
}

fn to_item<T: Serialize>(data: &T, version: i64, expires_at: i64) -> Item {
    let data = serde_json::to_string(data).expect("flow data serialises");
    flows::item(data, version, expires_at)
}

/// Loads a live flow; an expired or unreadable record counts as no flow.
pub async fn load_key<T: DeserializeOwned>(
    store: &dyn Store,
    key: Key,
    now: i64,
) -> Result<Option<Flow<T>>, StoreError> {
    let item = store.get(&key).await?;
    Ok(from_item(item.as_ref(), now).map(|(version, data)| Flow { key, version, data }))
}

/// The version and data of a flow read as `item` (none if expired or unreadable).
pub fn from_item<T: DeserializeOwned>(item: Option<&Item>, now: i64) -> Option<(i64, T)> {
    let (version, data) = flows::read(item.filter(|i| !i.is_expired(now))?)?;
    Some((version, serde_json::from_str(data).ok()?))
}

/// The write creating flow `id` (version 1) in a step's transaction, ending `ttl` seconds
/// from `now` whatever its steps do.
pub fn create_op<T: Serialize>(kind: &str, id: &str, data: &T, ttl: i64, now: i64) -> TxOp {
    create_until_op(kind, id, data, now + ttl)
}

/// The write creating flow `id` (version 1) that ends at `deadline` (epoch seconds), e.g.
/// when the link it was started from stops working.
pub fn create_until_op<T: Serialize>(kind: &str, id: &str, data: &T, deadline: i64) -> TxOp {
    TxOp::Put {
        key: key_for(kind, id),
        item: to_item(data, 1, deadline),
        cond: Some(Cond::NotExists),
    }
}

/// The write saving `data` as version `version + 1` of flow `id`, if it is still at
/// `version` and its time is not over at `now`; the record then ends `ttl` seconds from now
/// (a flow whose issue set an absolute end saves with `update_until_op` instead).
pub fn update_op<T: Serialize>(
    kind: &str,
    id: &str,
    version: i64,
    data: &T,
    ttl: i64,
    now: i64,
) -> TxOp {
    update_until_op(kind, id, version, data, now + ttl, now)
}

/// `update_op` for a flow known by its key (a link's token names its flow by key: the
/// cookie id is only in the browser).
pub fn update_key_op<T: Serialize>(key: Key, version: i64, data: &T, ttl: i64, now: i64) -> TxOp {
    update_key_until_op(key, version, data, now + ttl, now)
}

/// `update_op` for a flow that ends at `deadline` whatever its steps do (the end its issue
/// set: the link's, or its own lifetime from the start): saves never move it.
pub fn update_until_op<T: Serialize>(
    kind: &str,
    id: &str,
    version: i64,
    data: &T,
    deadline: i64,
    now: i64,
) -> TxOp {
    update_key_until_op(key_for(kind, id), version, data, deadline, now)
}

/// The one flow save: on the version read, while the record's time is not over.
pub fn update_key_until_op<T: Serialize>(
    key: Key,
    version: i64,
    data: &T,
    deadline: i64,
    now: i64,
) -> TxOp {
    TxOp::Put {
        key,
        item: to_item(data, version + 1, deadline),
        cond: Some(Cond::And(vec![
            flows::at_version(version),
            Cond::unexpired(now),
        ])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::memory::MemoryStore;

    #[tokio::test]
    async fn saves_never_move_a_flows_deadline() {
        let s = MemoryStore::new();
        s.transact(vec![create_op("T", "id", &1, 100, 1000)])
            .await
            .unwrap();
        for (v, now) in [(1, 1050), (2, 1099)] {
            s.transact(vec![update_until_op("T", "id", v, &(v + 1), 1100, now)])
                .await
                .unwrap();
        }
        let flow = load_key::<i64>(&s, key_for("T", "id"), 1099).await.unwrap();
        assert_eq!(flow.map(|f| (f.version, f.data)), Some((3, 3)));
        // Even a save that would extend it: the record's time is over.
        let late = s
            .transact(vec![update_op("T", "id", 3, &4, 100, 1100)])
            .await;
        assert!(
            matches!(late, Err(StoreError::TxCancelled { .. })),
            "{late:?}"
        );
        assert!(
            s.get(&key_for("T", "id")).await.unwrap().is_some(),
            "TTL lag"
        );
        assert!(load_key::<i64>(&s, key_for("T", "id"), 1100)
            .await
            .unwrap()
            .is_none());
    }
}
