//! Single-use link tokens (email confirmation, password reset): only the token's hash is
//! stored, with a TTL; using one is a conditional delete, so it works once.

use super::{schema, Cond, Item, Key, Store, StoreError, TxOp};
use crate::crypto;

pub fn key(kind: &str, token_hash: &str) -> Key {
    Key::new(format!("TOKEN#{kind}#{token_hash}"), "TOKEN")
}

/// The write creating `token` (its hash) pointing at `target` until `now + ttl`.
pub fn create_op(kind: &str, token: &str, target: &str, ttl: i64, now: i64) -> TxOp {
    TxOp::Put {
        key: key(kind, &crypto::token_hash(token)),
        item: Item::new()
            .with("target", target)
            .with(schema::TTL_ATTRIBUTE, now + ttl),
        cond: Some(Cond::NotExists),
    }
}

/// The target of a live token, without using it.
pub async fn peek(
    store: &dyn Store,
    kind: &str,
    token: &str,
    now: i64,
) -> Result<Option<(String, String)>, StoreError> {
    let hash = crypto::token_hash(token);
    Ok(store
        .get(&key(kind, &hash))
        .await?
        .filter(|i| !i.is_expired(now))
        .and_then(|i| i.s("target").map(|t| (t.to_owned(), hash))))
}

/// The transaction write that uses the token up.
pub fn consume_op(kind: &str, token_hash: &str) -> TxOp {
    TxOp::Delete {
        key: key(kind, token_hash),
        cond: Some(Cond::Exists),
    }
}
