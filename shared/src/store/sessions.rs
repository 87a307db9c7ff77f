//! Sessions of the private area: the cookie holds a random 256-bit id, the table only its
//! SHA-256, with the account, the account's `session_epoch` at login, and two clocks: an
//! idle timeout (renewed on use) and an absolute lifetime. Bumping an account's epoch
//! (ceased registration, password reset) ends all its sessions at once.

use super::{schema, Cond, Item, Key, Store, StoreError, TxOp, Update};
use crate::crypto;

/// Idle timeout: a session unused this long ends.
pub const IDLE_SECS: i64 = 30 * 60;
/// Absolute lifetime, however active the session.
pub const ABSOLUTE_SECS: i64 = 12 * 3600;
/// `last_seen` is rewritten at most this often, to save a write per page view.
const TOUCH_EVERY_SECS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub key: Key,
    pub account_id: String,
    pub epoch: i64,
    pub created_at: i64,
    pub last_seen: i64,
}

impl Session {
    /// When the session ends if unused from now on.
    pub fn expires_at(&self) -> i64 {
        (self.last_seen + IDLE_SECS).min(self.created_at + ABSOLUTE_SECS)
    }
}

fn key_for(cookie_id: &str) -> Key {
    Key::new(
        format!("SESSION#{}", crypto::token_hash(cookie_id)),
        "SESSION",
    )
}

/// The write creating a session, and the id for the cookie (a new one at every login:
/// no fixation).
pub fn create_op(account_id: &str, epoch: i64, now: i64) -> (String, TxOp) {
    let id = crypto::random_token();
    let item = Item::new()
        .with("account_id", account_id)
        .with("epoch", epoch)
        .with("created_at", now)
        .with("last_seen", now)
        .with(schema::TTL_ATTRIBUTE, now + IDLE_SECS);
    let op = TxOp::Put {
        key: key_for(&id),
        item,
        cond: Some(Cond::NotExists),
    };
    (id, op)
}

/// Creates a session; returns the id for the cookie.
pub async fn create(
    store: &dyn Store,
    account_id: &str,
    epoch: i64,
    now: i64,
) -> Result<String, StoreError> {
    let (id, op) = create_op(account_id, epoch, now);
    store.transact(vec![op]).await?;
    Ok(id)
}

/// The key a loader reads for a cookie id.
pub fn key(cookie_id: &str) -> Key {
    key_for(cookie_id)
}

/// The live session in `item` (read under `key(cookie_id)`), checked against `now`.
pub fn from_item(key: Key, item: Option<&Item>, now: i64) -> Option<Session> {
    let item = item?;
    let session = Session {
        key,
        account_id: item.s("account_id").unwrap_or_default().to_owned(),
        epoch: item.n("epoch").unwrap_or(-1),
        created_at: item.n("created_at").unwrap_or(0),
        last_seen: item.n("last_seen").unwrap_or(0),
    };
    (now < session.expires_at() && !session.account_id.is_empty()).then_some(session)
}

/// The live session for a cookie id (idle and absolute limits checked against `now`).
pub async fn load(
    store: &dyn Store,
    cookie_id: &str,
    now: i64,
) -> Result<Option<Session>, StoreError> {
    let key = key_for(cookie_id);
    let item = store.get(&key).await?;
    Ok(from_item(key, item.as_ref(), now))
}

/// The write ending a session.
pub fn delete_op(cookie_id: &str) -> TxOp {
    TxOp::Delete {
        key: key_for(cookie_id),
        cond: None,
    }
}

/// Renews the idle timeout (at most once a minute).
pub async fn touch(store: &dyn Store, session: &Session, now: i64) -> Result<(), StoreError> {
    if now - session.last_seen < TOUCH_EVERY_SECS {
        return Ok(());
    }
    let renewed = Session {
        last_seen: now,
        ..session.clone()
    };
    let update = Update::new()
        .set("last_seen", now)
        .set(schema::TTL_ATTRIBUTE, renewed.expires_at());
    match store.update(&session.key, update, Some(Cond::Exists)).await {
        // Logged out meanwhile: nothing to renew.
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}

pub async fn delete(store: &dyn Store, cookie_id: &str) -> Result<(), StoreError> {
    store.delete(&key_for(cookie_id), None).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    #[tokio::test]
    async fn idle_and_absolute_limits() {
        let s = MemoryStore::new();
        let id = create(&s, "acc", 0, 1000).await.unwrap();
        assert!(load(&s, &id, 1000 + IDLE_SECS - 1).await.unwrap().is_some());
        assert!(
            load(&s, &id, 1000 + IDLE_SECS).await.unwrap().is_none(),
            "idle timeout"
        );
        // Used every 20 minutes: lives until the absolute limit, not beyond.
        let mut t = 1000;
        while t + 20 * 60 < 1000 + ABSOLUTE_SECS {
            t += 20 * 60;
            let sess = load(&s, &id, t).await.unwrap().expect("alive while used");
            touch(&s, &sess, t).await.unwrap();
        }
        assert!(
            load(&s, &id, 1000 + ABSOLUTE_SECS).await.unwrap().is_none(),
            "absolute lifetime"
        );
    }

    #[tokio::test]
    async fn ids_are_fresh_and_stored_hashed() {
        let s = MemoryStore::new();
        let a = create(&s, "acc", 0, 1000).await.unwrap();
        let b = create(&s, "acc", 0, 1000).await.unwrap();
        assert_ne!(a, b);
        assert!(!format!("{:?}", s.dump()).contains(&a));
        delete(&s, &a).await.unwrap();
        assert!(load(&s, &a, 1001).await.unwrap().is_none());
        assert!(load(&s, &b, 1001).await.unwrap().is_some());
    }
}
