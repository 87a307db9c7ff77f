//! Single-use link tokens (email confirmation, password reset, email change): only the
//! token's hash is stored, with its expiry. Time is checked in code, never left to TTL
//! (DynamoDB deletes expired items lazily, up to days later): a read treats an expired item
//! as absent, and using a token up is a conditional delete on condition that it exists and
//! its time is not over (`consume_live_op`), so it works once, and only in time.
//!
//! A link that acts on an account records the account's `session_epoch` when it is issued
//! (`create_for_op`): a password change, "end every other session", a suspension or a
//! ceasing bump the epoch, and the link no longer works (`Link::voided`).

use super::{schema, AccountId, Cond, Item, Key, Store, StoreError, TxOp};
use domain::crypto;

/// The attribute holding the account's `session_epoch` when the link was issued.
pub const EPOCH: &str = "epoch";
/// The email change (JSON) an `EMAIL-CHANGE` link carries.
pub const CHANGE: &str = "change";
/// Longer than any token we issue (43 characters): anything longer is no token of ours and
/// is looked up nowhere.
pub const MAX_TOKEN_LEN: usize = 128;

/// The kinds of link, each its own key prefix (`engine::access` narrows grants to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// The registration's email confirmation.
    Confirm,
    /// The recovery's password reset.
    Reset,
    /// To the owner of an account a new registration asks to cease.
    Cease,
    /// The private area's email change, to the new address.
    EmailChange,
}

impl TokenKind {
    /// The kind as the key names it (what `key` takes).
    pub const fn tag(self) -> &'static str {
        match self {
            TokenKind::Confirm => "CONFIRM",
            TokenKind::Reset => "RESET",
            TokenKind::Cease => "CEASE",
            TokenKind::EmailChange => "EMAIL-CHANGE",
        }
    }

    /// The partition-key prefix of this kind's tokens.
    pub const fn prefix(self) -> &'static str {
        match self {
            TokenKind::Confirm => "TOKEN#CONFIRM#",
            TokenKind::Reset => "TOKEN#RESET#",
            TokenKind::Cease => "TOKEN#CEASE#",
            TokenKind::EmailChange => "TOKEN#EMAIL-CHANGE#",
        }
    }
}

/// The partition-key prefix of every token.
pub const PREFIX: &str = "TOKEN#";

/// The key of a token of kind `kind` (a `TokenKind::tag`).
pub fn key(kind: &str, token_hash: &str) -> Key {
    Key::new(format!("{PREFIX}{kind}#{token_hash}"), "TOKEN")
}

/// A link that carries a registration's state (the email confirmation, the link to the
/// owner of an account it asks to cease): its flow's record, the version it was sent at,
/// the state as JSON and, for the owner's link, the account and its epoch then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowLink<'a> {
    pub flow_key: Key,
    pub version: i64,
    pub flow: &'a str,
    pub account: Option<AccountId>,
    pub epoch: Option<i64>,
}

const FLOW: &str = "flow";
const FLOW_VERSION: &str = "version";
const ACCOUNT: &str = "account";

/// The item of a link to flow record `flow_key` at `version`, carrying `flow` (JSON) until
/// `until`; for the owner's link, `account` at `epoch`.
pub fn flow_link_item(
    flow_key: &Key,
    version: i64,
    flow: String,
    account: Option<(&AccountId, i64)>,
    until: i64,
) -> Item {
    let mut item = Item::new()
        .with("target", flow_key.pk.as_str())
        .with(FLOW_VERSION, version)
        .with(FLOW, flow)
        .with(schema::TTL_ATTRIBUTE, until);
    if let Some((id, epoch)) = account {
        item = item.with(ACCOUNT, id.as_str()).with(EPOCH, epoch);
    }
    item
}

/// A link item read back (`None` if it is not one).
pub fn flow_link(item: &Item) -> Option<FlowLink<'_>> {
    Some(FlowLink {
        flow_key: Key::new(item.s("target")?, "FLOW"),
        version: item.n(FLOW_VERSION)?,
        flow: item.s(FLOW)?,
        account: item.s(ACCOUNT).and_then(AccountId::parse),
        epoch: item.n(EPOCH),
    })
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
    target: &AccountId,
    epoch: i64,
    ttl: i64,
    now: i64,
) -> TxOp {
    let mut op = create_op(kind, token, target.as_str(), ttl, now);
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
    /// The account a link that acts on one targets (`create_for_op`).
    pub fn account(&self) -> Option<AccountId> {
        AccountId::parse(&self.target)
    }
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
        s.transact(vec![create_for_op(
            "T",
            "tok",
            &AccountId::parse("acc").unwrap(),
            3,
            60,
            1000,
        )])
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
