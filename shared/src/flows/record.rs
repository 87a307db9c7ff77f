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

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// Another request changed the flow first (double submit, two tabs).
    #[error("flow changed concurrently")]
    Conflict,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for FlowError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ConditionFailed => FlowError::Conflict,
            e => FlowError::Store(e),
        }
    }
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
pub async fn load<T: DeserializeOwned>(
    store: &dyn Store,
    kind: &str,
    cookie_id: &str,
    now: i64,
) -> Result<Option<Flow<T>>, StoreError> {
    load_key(store, key_for(kind, cookie_id), now).await
}

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
    TxOp::Put {
        key: key_for(kind, id),
        item: to_item(data, version + 1, now + ttl),
        cond: Some(Cond::eq("version", version)),
    }
}

/// Creates a new flow and returns the cookie id for it.
pub async fn create<T: Serialize>(
    store: &dyn Store,
    kind: &str,
    data: T,
    ttl: i64,
    now: i64,
) -> Result<(String, Flow<T>), StoreError> {
    let id = crypto::random_token();
    let key = key_for(kind, &id);
    store
        .put(&key, to_item(&data, 1, now + ttl), Some(Cond::NotExists))
        .await?;
    Ok((
        id,
        Flow {
            key,
            version: 1,
            data,
        },
    ))
}

/// Saves a changed flow if nobody else saved it since it was loaded.
pub async fn save<T: Serialize>(
    store: &dyn Store,
    flow: &mut Flow<T>,
    ttl: i64,
    now: i64,
) -> Result<(), FlowError> {
    store
        .put(
            &flow.key,
            to_item(&flow.data, flow.version + 1, now + ttl),
            Some(Cond::eq("version", flow.version)),
        )
        .await?;
    flow.version += 1;
    Ok(())
}

/// The transaction write that saves `flow` (for steps whose effect spans several items).
pub fn save_op<T: Serialize>(flow: &Flow<T>, ttl: i64, now: i64) -> TxOp {
    TxOp::Put {
        key: flow.key.clone(),
        item: to_item(&flow.data, flow.version + 1, now + ttl),
        cond: Some(Cond::eq("version", flow.version)),
    }
}

/// Writes that move a flow to a new cookie id (deleting the old record): used when a
/// flow continues in another browser, and so that an old id never gains privileges.
pub fn rekey_ops<T: Serialize>(
    kind: &str,
    flow: &Flow<T>,
    ttl: i64,
    now: i64,
) -> (String, Key, Vec<TxOp>) {
    let id = crypto::random_token();
    let new_key = key_for(kind, &id);
    let ops = vec![
        TxOp::Delete {
            key: flow.key.clone(),
            cond: Some(Cond::eq("version", flow.version)),
        },
        TxOp::Put {
            key: new_key.clone(),
            item: to_item(&flow.data, 1, now + ttl),
            cond: Some(Cond::NotExists),
        },
    ];
    (id, new_key, ops)
}

pub async fn delete<T>(store: &dyn Store, flow: &Flow<T>) -> Result<(), StoreError> {
    store.delete(&flow.key, None).await
}
