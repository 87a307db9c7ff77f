//! Sessions of the private area: the cookie holds a random 256-bit id, the table only its
//! SHA-256, with the account, the account's `session_epoch` at login, and two clocks: an
//! idle timeout (renewed on use) and an absolute lifetime. Bumping an account's epoch
//! (ceased registration, password reset) ends all its sessions at once.
//!
//! Each session also has an entry in its account's list (partition `SESSIONS#<account>`,
//! sort key the session's hash, with the browser's User-Agent): the private area lists an
//! account's sessions with one Query, and can end any one of them. A partition of its own,
//! not the account's, so that IAM can let logout end a session without writing accounts.

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
    /// When the password was last typed in this session (the login, or a re-authentication
    /// before a sensitive change).
    pub auth_at: i64,
}

impl Session {
    /// The id of the session in its account's list (the hash of the cookie's id).
    pub fn hash(&self) -> &str {
        self.key.pk.strip_prefix("SESSION#").unwrap_or_default()
    }
    /// When the session ends if unused from now on.
    pub fn expires_at(&self) -> i64 {
        (self.last_seen + IDLE_SECS).min(self.created_at + ABSOLUTE_SECS)
    }
}

fn key_for(cookie_id: &str) -> Key {
    key_of_hash(&crypto::token_hash(cookie_id))
}

/// The session's key from its hash (as the account's list names it).
pub fn key_of_hash(hash: &str) -> Key {
    Key::new(format!("SESSION#{hash}"), "SESSION")
}

/// The session's entry in its account's list.
pub fn entry_key(account_id: &str, hash: &str) -> Key {
    Key::new(list_pk(account_id), hash)
}

fn list_pk(account_id: &str) -> String {
    format!("SESSIONS#{account_id}")
}

/// The User-Agent as stored: bounded, so a huge header cannot make a huge item.
pub fn bounded_agent(user_agent: &str) -> String {
    user_agent.chars().take(300).collect()
}

/// The writes creating a session and its entry in the account's list, and the id for the
/// cookie (a new one at every login: no fixation).
pub fn create_ops(account_id: &str, epoch: i64, now: i64, user_agent: &str) -> (String, [TxOp; 2]) {
    let id = crypto::random_token();
    let hash = crypto::token_hash(&id);
    let item = Item::new()
        .with("account_id", account_id)
        .with("epoch", epoch)
        .with("created_at", now)
        .with("last_seen", now)
        .with("auth_at", now)
        .with(schema::TTL_ATTRIBUTE, now + IDLE_SECS);
    let session = TxOp::Put {
        key: key_of_hash(&hash),
        item,
        cond: Some(Cond::NotExists),
    };
    let entry = TxOp::Put {
        key: entry_key(account_id, &hash),
        item: Item::new()
            .with("created_at", now)
            .with("user_agent", bounded_agent(user_agent))
            .with(schema::TTL_ATTRIBUTE, now + ABSOLUTE_SECS),
        cond: None,
    };
    (id, [session, entry])
}

/// The write creating a session alone (tests and tools that need no list entry).
pub fn create_op(account_id: &str, epoch: i64, now: i64) -> (String, TxOp) {
    let (id, [session, _]) = create_ops(account_id, epoch, now, "");
    (id, session)
}

/// The writes ending the session `hash` of `account_id` and its entry in the list.
pub fn end_ops(account_id: &str, hash: &str) -> [TxOp; 2] {
    [
        TxOp::Delete {
            key: key_of_hash(hash),
            cond: None,
        },
        TxOp::Delete {
            key: entry_key(account_id, hash),
            cond: None,
        },
    ]
}

/// The write recording that the password was typed again in this session now.
pub fn reauthenticated_op(session: &Session, now: i64) -> TxOp {
    TxOp::Update {
        key: session.key.clone(),
        update: Update::new().set("auth_at", now),
        cond: Some(Cond::Exists),
    }
}

/// One live session of an account, as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub hash: String,
    pub user_agent: String,
    pub created_at: i64,
    pub last_seen: i64,
}

/// At most this many sessions are listed (and ended at once by "Esci da tutti gli altri").
pub const LIST_MAX: usize = 40;

/// The live sessions of an account (at epoch `epoch`), most recently used first: one
/// Query of its list, one BatchGet of the sessions themselves.
pub async fn of_account(
    store: &dyn Store,
    account_id: &str,
    epoch: i64,
    now: i64,
) -> Result<Vec<Listed>, StoreError> {
    let q = super::Query::new(list_pk(account_id), "", LIST_MAX);
    let entries: Vec<_> = store
        .query(&q)
        .await?
        .into_iter()
        .filter(|(_, i)| !i.is_expired(now))
        .map(|(k, i)| (k.sk, i))
        .collect();
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<Key> = entries.iter().map(|(h, _)| key_of_hash(h)).collect();
    let sessions = store.batch_get(&keys).await?;
    let mut live: Vec<Listed> = entries
        .into_iter()
        .zip(keys.into_iter().zip(sessions))
        .filter_map(|((hash, entry), (key, item))| {
            let s = from_item(key, item.as_ref(), now)?;
            (s.account_id == account_id && s.epoch == epoch).then(|| Listed {
                hash,
                user_agent: entry.s("user_agent").unwrap_or_default().to_owned(),
                created_at: s.created_at,
                last_seen: s.last_seen,
            })
        })
        .collect();
    live.sort_by_key(|l| std::cmp::Reverse(l.last_seen));
    Ok(live)
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
        auth_at: item.n("auth_at").or(item.n("created_at")).unwrap_or(0),
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

#[cfg(test)]
mod list_tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    #[tokio::test]
    async fn the_list_shows_live_sessions_of_the_current_epoch_and_ending_one_removes_it() {
        let s = MemoryStore::new();
        let (a, ops_a) = create_ops("acc", 1, 1000, "UA-a");
        let (_, ops_b) = create_ops("acc", 1, 1010, "UA-b");
        let (_, ops_old) = create_ops("acc", 0, 1020, "UA-old");
        let (_, ops_other) = create_ops("other", 1, 1030, "UA-x");
        for ops in [ops_a, ops_b, ops_old, ops_other] {
            s.transact(ops.to_vec()).await.unwrap();
        }
        let listed = of_account(&s, "acc", 1, 1100).await.unwrap();
        let agents: Vec<&str> = listed.iter().map(|l| l.user_agent.as_str()).collect();
        assert_eq!(
            agents,
            ["UA-b", "UA-a"],
            "most recently used first; other epochs and accounts left out"
        );
        let hash_a = crypto::token_hash(&a);
        s.transact(end_ops("acc", &hash_a).to_vec()).await.unwrap();
        assert!(load(&s, &a, 1100).await.unwrap().is_none());
        assert_eq!(of_account(&s, "acc", 1, 1100).await.unwrap().len(), 1);
        assert!(
            of_account(&s, "acc", 1, 1010 + IDLE_SECS)
                .await
                .unwrap()
                .is_empty(),
            "idle ones are gone"
        );
    }
}
