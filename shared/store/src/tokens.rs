//! Single-use link tokens (email confirmation, password reset, email change): only the
//! token's hash is stored, with its expiry. Time is checked in code, never left to TTL
//! (DynamoDB deletes expired items lazily, up to days later): a read treats an expired item
//! as absent, and using a token up is a conditional delete on condition that it exists and
//! its time is not over (`consume_live_op`), so it works once, and only in time.
//!
//! A link that acts on an account records the account's `session_epoch` when it is issued
//! (`create_for_op`): a password change, "end every other session", a suspension or a
//! ceasing bump the epoch, and the link no longer works (`Link::voided`).

use super::{schema, Cond, Item, Key, Store, StoreError, TxOp};
use domain::crypto;

/// The attribute holding the account's `session_epoch` when the link was issued.
pub const EPOCH: &str = "epoch";
/// Longer than any token we issue (43 characters): anything longer is no token of ours and
/// is looked up nowhere.
pub const MAX_TOKEN_LEN: usize = 128;

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

/// `create_op` for a link that acts on account `target`, recording the account's
/// `session_epoch` now: the proof the link was issued on.
pub fn create_for_op(
    kind: &str,
    token: &str,
    target: &str,
    epoch: i64,
    ttl: i64,
    now: i64,
) -> TxOp {
    let mut op = create_op(kind, token, target, ttl, now);
    if let TxOp::Put { item, .. } = &mut op {
        item.attrs.insert(EPOCH.into(), epoch.into());
    }
    op
}

/// A live link, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub target: String,
    /// The token's hash (its key; what a flow remembers of it).
    pub hash: String,
    /// When the link stops working: a flow it starts ends then too.
    pub expires_at: i64,
    /// The account's `session_epoch` when the link was issued (`create_for_op`).
    pub epoch: Option<i64>,
}

impl Link {
    /// True when the account's proof changed since the link was issued (its epoch moved: a
    /// password change, every session ended, a suspension): the link no longer works.
    pub fn voided(&self, account_epoch: i64) -> bool {
        self.epoch.is_some_and(|e| e != account_epoch)
    }
}

/// The link `token` of `kind`, if it is live: none when it is unknown, used, expired (even
/// while its item waits for DynamoDB's TTL deletion) or cannot be one of ours.
pub async fn read(
    store: &dyn Store,
    kind: &str,
    token: &str,
    now: i64,
) -> Result<Option<Link>, StoreError> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Ok(None);
    }
    let hash = crypto::token_hash(token);
    let item = store.get(&key(kind, &hash)).await?;
    Ok(item.filter(|i| !i.is_expired(now)).and_then(|i| {
        Some(Link {
            target: i.s("target")?.to_owned(),
            expires_at: i.n(schema::TTL_ATTRIBUTE).unwrap_or(i64::MAX),
            epoch: i.n(EPOCH),
            hash,
        })
    }))
}

/// The target of a live token, with its hash, without using it.
pub async fn peek(
    store: &dyn Store,
    kind: &str,
    token: &str,
    now: i64,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(read(store, kind, token, now)
        .await?
        .map(|l| (l.target, l.hash)))
}

/// The transaction write that uses the token up, if it exists and its time is not over at
/// `now` (its item may outlive its time: DynamoDB's TTL deletion lags).
pub fn consume_live_op(kind: &str, token_hash: &str, now: i64) -> TxOp {
    consume_key_op(key(kind, token_hash), now)
}

/// `consume_live_op` for a token known by its key.
pub fn consume_key_op(key: Key, now: i64) -> TxOp {
    TxOp::Delete {
        key,
        cond: Some(Cond::And(vec![Cond::Exists, Cond::unexpired(now)])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    #[tokio::test]
    async fn a_token_works_once_and_only_in_time_even_if_its_item_lingers() {
        let s = MemoryStore::new();
        s.transact(vec![create_for_op("T", "tok", "acc", 3, 60, 1000)])
            .await
            .unwrap();
        let link = read(&s, "T", "tok", 1059).await.unwrap().unwrap();
        assert_eq!((link.target.as_str(), link.epoch), ("acc", Some(3)));
        assert!(!link.voided(3) && link.voided(4));
        assert_eq!(read(&s, "T", "tok", 1060).await.unwrap(), None, "expired");
        assert!(
            s.get(&key("T", &link.hash)).await.unwrap().is_some(),
            "TTL lag"
        );
        let late = s
            .transact(vec![consume_live_op("T", &link.hash, 1060)])
            .await;
        assert!(
            matches!(late, Err(StoreError::TxCancelled { .. })),
            "{late:?}"
        );
        s.transact(vec![consume_live_op("T", &link.hash, 1059)])
            .await
            .unwrap();
        let again = s
            .transact(vec![consume_live_op("T", &link.hash, 1059)])
            .await;
        assert!(matches!(again, Err(StoreError::TxCancelled { .. })), "once");
        let long = "x".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(read(&s, "T", &long, 0).await.unwrap(), None);
    }
}
