//! Sessions of the private area: the cookie holds a random 256-bit id, the table only its
//! SHA-256, with the account, the account's `session_epoch` at login, and two clocks: an
//! idle timeout (renewed on use) and an absolute lifetime. Bumping an account's epoch
//! (ceased registration, password reset) ends all its sessions at once.
//!
//! Each session also has an entry in its account's list (partition `SESSIONS#<account>`,
//! sort key the session's hash, with the browser's User-Agent and the epoch it was started
//! at): the private area lists an account's sessions with one Query (paged: every entry,
//! whatever their number), and can end any one of them. Entries of an older epoch are
//! ended sessions, left out without reading them; the others are read to know whether they
//! are still live. A partition of its own, not the account's, so that IAM can let logout
//! end a session without writing accounts.

use super::{schema, AccountId, Cond, Item, Key, Store, StoreError, TxOp, Update};
use domain::crypto;

/// The partition-key prefix of a session (by its hash).
pub const PREFIX: &str = "SESSION#";
/// The partition-key prefix of an account's list of sessions.
pub const LIST_PREFIX: &str = "SESSIONS#";

/// Idle timeout: a session unused this long ends.
pub const IDLE_SECS: i64 = 30 * 60;
/// Absolute lifetime, however active the session.
pub const ABSOLUTE_SECS: i64 = 12 * 3600;
/// The attribute naming a session's account.
const ACCOUNT_ID: &str = "account_id";
/// `last_seen` is rewritten at most this often, to save a write per page view.
const TOUCH_EVERY_SECS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub key: Key,
    pub account_id: AccountId,
    pub epoch: i64,
    pub created_at: i64,
    pub last_seen: i64,
    /// When the password was last typed in this session (the login, or a re-authentication
    /// before a sensitive change).
    pub auth_at: i64,
    /// Opened by a passkey (issue 24), not by password + SMS: the home offers no passkey.
    pub by_passkey: bool,
}

impl Session {
    /// The id of the session in its account's list (the hash of the cookie's id).
    pub fn hash(&self) -> &str {
        self.key.pk.strip_prefix(PREFIX).unwrap_or_default()
    }
    /// When the session ends if unused from now on.
    pub fn expires_at(&self) -> i64 {
        (self.last_seen + IDLE_SECS).min(self.created_at + ABSOLUTE_SECS)
    }
}

/// The session item's mark of a login by passkey (`mark_by_passkey`).
const BY_PASSKEY: &str = "by_passkey";

/// The session `create_ops` puts, marked as opened by a passkey (other ops unchanged).
pub fn mark_by_passkey(op: TxOp) -> TxOp {
    match op {
        TxOp::Put { key, item, cond } if key.pk.starts_with(PREFIX) => TxOp::Put {
            key,
            item: item.with(BY_PASSKEY, true),
            cond,
        },
        other => other,
    }
}

fn key_for(cookie_id: &str) -> Key {
    key_of_hash(&crypto::token_hash(cookie_id))
}

/// The session's key from its hash (as the account's list names it).
pub fn key_of_hash(hash: &str) -> Key {
    Key::new(format!("{PREFIX}{hash}"), "SESSION")
}

/// The session's entry in its account's list.
pub fn entry_key(account_id: &AccountId, hash: &str) -> Key {
    Key::new(list_pk(account_id), hash)
}

fn list_pk(account_id: &AccountId) -> String {
    format!("{LIST_PREFIX}{account_id}")
}

/// The User-Agent as stored: bounded, so a huge header cannot make a huge item.
pub fn bounded_agent(user_agent: &str) -> String {
    user_agent.chars().take(300).collect()
}

/// The writes creating a session and its entry in the account's list, and the id for the
/// cookie (a new one at every login: no fixation).
pub fn create_ops(
    account_id: &AccountId,
    epoch: i64,
    now: i64,
    user_agent: &str,
) -> (String, [TxOp; 2]) {
    let id = crypto::random_token();
    let hash = crypto::token_hash(&id);
    let item = Item::new()
        .with(ACCOUNT_ID, account_id.as_str())
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
    let entry = entry_op(account_id, &hash, epoch, now, user_agent);
    (id, [session, entry])
}

/// The entry of session `hash` (started at `created_at`) in its account's list: it lives
/// as long as the session can.
fn entry_op(
    account_id: &AccountId,
    hash: &str,
    epoch: i64,
    created_at: i64,
    user_agent: &str,
) -> TxOp {
    TxOp::Put {
        key: entry_key(account_id, hash),
        item: Item::new()
            .with("created_at", created_at)
            .with("epoch", epoch)
            .with("user_agent", bounded_agent(user_agent))
            .with(schema::TTL_ATTRIBUTE, created_at + ABSOLUTE_SECS),
        cond: None,
    }
}

/// The writes replacing `old` by a session with a fresh id at `epoch` ("Esci da tutti gli
/// altri dispositivi": the account's epoch moves on, this browser stays). The new session
/// keeps the old one's start and password time, so renewing it extends neither the
/// absolute lifetime nor the window of recent authentication; the old one and its entry
/// are deleted (a copy of the old cookie is worth nothing).
pub fn renew_ops(old: &Session, epoch: i64, now: i64, user_agent: &str) -> (String, [TxOp; 4]) {
    let id = crypto::random_token();
    let hash = crypto::token_hash(&id);
    let renewed = Session {
        key: key_of_hash(&hash),
        epoch,
        last_seen: now,
        ..old.clone()
    };
    let item = Item::new()
        .with(ACCOUNT_ID, old.account_id.as_str())
        .with("epoch", epoch)
        .with("created_at", old.created_at)
        .with("last_seen", now)
        .with("auth_at", old.auth_at)
        .with(BY_PASSKEY, old.by_passkey)
        .with(schema::TTL_ATTRIBUTE, renewed.expires_at());
    let [end_session, end_entry] = end_ops(&old.account_id, old.hash());
    let session = TxOp::Put {
        key: renewed.key.clone(),
        item,
        cond: Some(Cond::NotExists),
    };
    let entry = entry_op(&old.account_id, &hash, epoch, old.created_at, user_agent);
    (id, [end_session, end_entry, session, entry])
}

/// The write creating a session alone (tests and tools that need no list entry).
pub fn create_op(account_id: &AccountId, epoch: i64, now: i64) -> (String, TxOp) {
    let (id, [session, _]) = create_ops(account_id, epoch, now, "");
    (id, session)
}

/// The writes ending the session `hash` of `account_id` and its entry in the list.
pub fn end_ops(account_id: &AccountId, hash: &str) -> [TxOp; 2] {
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

/// A session's hash as a form names it (`crypto::token_hash`: 64 lowercase hex digits):
/// anything else names no session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionHash(String);

impl SessionHash {
    pub fn parse(raw: &str) -> Option<SessionHash> {
        (raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| SessionHash(raw.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The writes ending session `hash` if it is `account_id`'s (the condition fails for any
/// other account's, or one already gone), and its entry in the list.
pub fn end_own_ops(account_id: &AccountId, hash: &SessionHash) -> [TxOp; 2] {
    [
        TxOp::Delete {
            key: key_of_hash(hash.as_str()),
            cond: Some(Cond::eq(ACCOUNT_ID, account_id.as_str())),
        },
        TxOp::Delete {
            key: entry_key(account_id, hash.as_str()),
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

/// A page of the list when it is read: every page is read, whatever the number of entries.
const PAGE: usize = 200;

/// Every item of the partition `pk`, page after page (one Query per `PAGE` items).
pub async fn query_all(store: &dyn Store, pk: &str) -> Result<Vec<(Key, Item)>, StoreError> {
    let mut all: Vec<(Key, Item)> = Vec::new();
    loop {
        let mut q = super::Query::new(pk, "", PAGE);
        if let Some((last, _)) = all.last() {
            q = q.after(last.sk.clone());
        }
        let page = store.query(&q).await?;
        let full = page.len() == PAGE;
        all.extend(page);
        if !full {
            return Ok(all);
        }
    }
}

/// The entries of an account's list (live or not), as keys: what its deletion erases.
pub async fn entries(store: &dyn Store, account_id: &AccountId) -> Result<Vec<Key>, StoreError> {
    Ok(query_all(store, &list_pk(account_id))
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .collect())
}

/// The live sessions of an account (at epoch `epoch`), newest first: the Query of its
/// whole list, then the sessions of the entries at this epoch (BatchGet, 100 a call).
pub async fn of_account(
    store: &dyn Store,
    account_id: &AccountId,
    epoch: i64,
    now: i64,
) -> Result<Vec<Listed>, StoreError> {
    let entries: Vec<_> = query_all(store, &list_pk(account_id))
        .await?
        .into_iter()
        // An entry of another epoch is an ended session (entries written before the epoch
        // was noted on them are read).
        .filter(|(_, i)| !i.is_expired(now) && i.n("epoch").is_none_or(|e| e == epoch))
        .map(|(k, i)| (k.sk, i))
        .collect();
    let mut live = Vec::new();
    for chunk in entries.chunks(100) {
        let keys: Vec<Key> = chunk.iter().map(|(h, _)| key_of_hash(h)).collect();
        let sessions = store.batch_get(&keys).await?;
        live.extend(chunk.iter().zip(keys.into_iter().zip(sessions)).filter_map(
            |((hash, entry), (key, item))| {
                let s = from_item(key, item.as_ref(), now)?;
                (&s.account_id == account_id && s.epoch == epoch).then(|| Listed {
                    hash: hash.clone(),
                    user_agent: entry.s("user_agent").unwrap_or_default().to_owned(),
                    created_at: s.created_at,
                    last_seen: s.last_seen,
                })
            },
        ));
    }
    live.sort_by(|a, b| (b.created_at, &b.hash).cmp(&(a.created_at, &a.hash)));
    Ok(live)
}

/// Creates a session; returns the id for the cookie.
pub async fn create(
    store: &dyn Store,
    account_id: &AccountId,
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
        account_id: AccountId::parse(item.s(ACCOUNT_ID)?)?,
        epoch: item.n("epoch").unwrap_or(-1),
        created_at: item.n("created_at").unwrap_or(0),
        last_seen: item.n("last_seen").unwrap_or(0),
        auth_at: item.n("auth_at").or(item.n("created_at")).unwrap_or(0),
        by_passkey: item.b(BY_PASSKEY).unwrap_or(false),
    };
    (now < session.expires_at()).then_some(session)
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
    use crate::memory::MemoryStore;

    fn acc() -> AccountId {
        AccountId::parse("acc").unwrap()
    }

    #[tokio::test]
    async fn idle_and_absolute_limits() {
        let s = MemoryStore::new();
        let id = create(&s, &acc(), 0, 1000).await.unwrap();
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
        let a = create(&s, &acc(), 0, 1000).await.unwrap();
        let b = create(&s, &acc(), 0, 1000).await.unwrap();
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
    use crate::memory::MemoryStore;

    fn acc() -> AccountId {
        AccountId::parse("acc").unwrap()
    }

    #[tokio::test]
    async fn the_list_shows_live_sessions_of_the_current_epoch_and_ending_one_removes_it() {
        let s = MemoryStore::new();
        let (a, ops_a) = create_ops(&acc(), 1, 1000, "UA-a");
        let (_, ops_b) = create_ops(&acc(), 1, 1010, "UA-b");
        let (_, ops_old) = create_ops(&acc(), 0, 1020, "UA-old");
        let (_, ops_other) = create_ops(&AccountId::parse("other").unwrap(), 1, 1030, "UA-x");
        for ops in [ops_a, ops_b, ops_old, ops_other] {
            s.transact(ops.to_vec()).await.unwrap();
        }
        let listed = of_account(&s, &acc(), 1, 1100).await.unwrap();
        let agents: Vec<&str> = listed.iter().map(|l| l.user_agent.as_str()).collect();
        assert_eq!(
            agents,
            ["UA-b", "UA-a"],
            "most recently used first; other epochs and accounts left out"
        );
        let hash_a = crypto::token_hash(&a);
        s.transact(end_ops(&acc(), &hash_a).to_vec()).await.unwrap();
        assert!(load(&s, &a, 1100).await.unwrap().is_none());
        assert_eq!(of_account(&s, &acc(), 1, 1100).await.unwrap().len(), 1);
        assert!(
            of_account(&s, &acc(), 1, 1010 + IDLE_SECS)
                .await
                .unwrap()
                .is_empty(),
            "idle ones are gone"
        );
    }

    #[tokio::test]
    async fn the_list_reads_every_page_and_leaves_out_older_epochs_unread() {
        let s = MemoryStore::new();
        let mut ids = Vec::new();
        for k in 0..250 {
            let (id, ops) = create_ops(&acc(), 2, 10_000 + k, "UA");
            s.transact(ops.to_vec()).await.unwrap();
            ids.push(id);
        }
        // Ended by an epoch bump: their entries stay until their TTL.
        for k in 0..30 {
            let (_, ops) = create_ops(&acc(), 1, 10_000 + k, "UA-old");
            s.transact(ops.to_vec()).await.unwrap();
        }
        let listed = of_account(&s, &acc(), 2, 10_300).await.unwrap();
        assert_eq!(listed.len(), 250, "past one page of the Query");
        assert_eq!(
            listed[0].hash,
            crypto::token_hash(&ids[249]),
            "newest first"
        );
        assert!(listed
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at));
        assert_eq!(entries(&s, &acc()).await.unwrap().len(), 280);
    }

    #[tokio::test]
    async fn a_renewed_session_keeps_its_start_and_password_time_at_the_new_epoch() {
        let s = MemoryStore::new();
        let (old_id, ops) = create_ops(&acc(), 1, 1000, "UA");
        s.transact(ops.to_vec()).await.unwrap();
        let old = load(&s, &old_id, 1500).await.unwrap().unwrap();
        let (new_id, ops) = renew_ops(&old, 2, 1600, "UA-2");
        s.transact(ops.to_vec()).await.unwrap();
        assert!(
            load(&s, &old_id, 1600).await.unwrap().is_none(),
            "the old id is dead"
        );
        let new = load(&s, &new_id, 1600).await.unwrap().unwrap();
        assert_eq!(
            (new.epoch, new.created_at, new.auth_at, new.last_seen),
            (2, 1000, 1000, 1600)
        );
        assert!(
            load(&s, &new_id, 1000 + ABSOLUTE_SECS)
                .await
                .unwrap()
                .is_none(),
            "the absolute lifetime is the old one's"
        );
        let listed = of_account(&s, &acc(), 2, 1600).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].created_at, listed[0].user_agent.as_str()),
            (1000, "UA-2")
        );
    }

    #[tokio::test]
    async fn one_session_is_ended_only_by_its_own_account() {
        let s = MemoryStore::new();
        let (id, ops) = create_ops(&acc(), 0, 1000, "UA");
        s.transact(ops.to_vec()).await.unwrap();
        let hash = SessionHash::parse(&crypto::token_hash(&id)).unwrap();
        assert!(SessionHash::parse("00ff").is_none());
        assert!(SessionHash::parse(&"G".repeat(64)).is_none());
        let other = s
            .transact(end_own_ops(&AccountId::parse("intruder").unwrap(), &hash).to_vec())
            .await;
        assert!(matches!(other, Err(StoreError::TxCancelled { .. })));
        assert!(load(&s, &id, 1001).await.unwrap().is_some());
        s.transact(end_own_ops(&acc(), &hash).to_vec())
            .await
            .unwrap();
        assert!(load(&s, &id, 1001).await.unwrap().is_none());
        assert!(entries(&s, &acc()).await.unwrap().is_empty());
    }
}
