//! A flow record: the server-side state of a multi-step flow, keyed by the hash of an
//! unguessable id that only the browser's cookie holds. Writes are optimistic: each
//! save requires the version it read, so a double-submitted step takes effect once.

use crate::crypto;
use crate::store::{schema, Cond, Item, Key, Store, StoreError, TxOp};
use serde::{de::DeserializeOwned, Serialize};

#[derive(Debug, Clone)]
pub struct Flow<T> {
    /// The table key; derived from the cookie id, which is not stored.
    pub key: Key,
    pub version: i64,
    pub data: T,
}

pub fn key_for(kind: &str, cookie_id: &str) -> Key {
    Key::new(
        format!("FLOW#{kind}#{}", crypto::token_hash(cookie_id)),
        "FLOW",
    )
}

fn to_item<T: Serialize>(data: &T, version: i64, expires_at: i64) -> Item {
    Item::new()
        .with(
            "data",
            serde_json::to_string(data).expect("flow data serialises"),
        )
        .with("version", version)
        .with(schema::TTL_ATTRIBUTE, expires_at)
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
    let item = item.filter(|i| !i.is_expired(now))?;
    let data = serde_json::from_str(item.s("data")?).ok()?;
    Some((item.n("version").unwrap_or(0), data))
}

/// The write creating flow `id` (version 1) in a step's transaction.
pub fn create_op<T: Serialize>(kind: &str, id: &str, data: &T, ttl: i64, now: i64) -> TxOp {
    TxOp::Put {
        key: key_for(kind, id),
        item: to_item(data, 1, now + ttl),
        cond: Some(Cond::NotExists),
    }
}

/// The write saving `data` as version `version + 1` of flow `id`, if it is still at `version`.
pub fn update_op<T: Serialize>(
    kind: &str,
    id: &str,
    version: i64,
    data: &T,
    ttl: i64,
    now: i64,
) -> TxOp {
    update_key_op(key_for(kind, id), version, data, ttl, now)
}

/// `update_op` for a flow known by its key (a link's token names its flow by key: the
/// cookie id is only in the browser).
pub fn update_key_op<T: Serialize>(key: Key, version: i64, data: &T, ttl: i64, now: i64) -> TxOp {
    TxOp::Put {
        key,
        item: to_item(data, version + 1, now + ttl),
        cond: Some(Cond::eq("version", version)),
    }
}
