//! WebAuthn ceremonies in progress (issue 24). The library's state between "options" and
//! "response" (`PasskeyRegistration`, `DiscoverableAuthentication`: the challenge and
//! what it expects, a few hundred bytes of JSON) is kept server-side, never in a cookie:
//! one item under the hash of a random id the page carries (`CEREMONY#<kind>#<sha256(id)>`,
//! the kind in the key so each function's role names only its own), with a TTL.
//!
//! `take` deletes the item as it reads it (one DeleteItem returning the old item): of two
//! requests with the same id only one gets the state, so a ceremony is used once even under
//! a race; an expired one (DynamoDB deletes lazily) is refused in code.

use super::{schema, AccountId, Cond, Item, Key, Store, StoreError, TxOp};
use domain::crypto;

/// The partition-key prefix of every ceremony.
pub const PREFIX: &str = "CEREMONY#";
/// How long a ceremony may take: the browser's dialog and the person's fingerprint or PIN.
pub const TTL_SECS: i64 = 300;

const KIND: &str = "kind";
const STATE: &str = "state";
const ACCOUNT: &str = "account";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A passkey being created in the private area (the account in the item).
    Registration,
    /// A login with a passkey (no account yet: the passkey will say whose).
    Authentication,
}

impl Kind {
    /// The partition-key prefix of this kind (`engine::access` grants each function its own).
    pub const fn prefix(self) -> &'static str {
        match self {
            Kind::Registration => "CEREMONY#REG#",
            Kind::Authentication => "CEREMONY#AUTH#",
        }
    }
    fn tag(self) -> &'static str {
        match self {
            Kind::Registration => "registration",
            Kind::Authentication => "authentication",
        }
    }
}

/// A ceremony as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    pub kind: Kind,
    /// The library's serialised state (JSON).
    pub state: String,
    /// The account creating a passkey (`None` for a login: the passkey will say whose).
    pub account_id: Option<AccountId>,
    pub expires_at: i64,
}

/// A ceremony id as pages carry it (what `crypto::random_token` makes).
pub fn is_well_formed(id: &str) -> bool {
    id.len() == 43
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn key(kind: Kind, id: &str) -> Key {
    Key::new(
        format!("{}{}", kind.prefix(), crypto::token_hash(id)),
        "CEREMONY",
    )
}

/// A new ceremony's id and the write storing `state` under it until `now + TTL_SECS`.
pub fn start_op(
    kind: Kind,
    state: &str,
    account_id: Option<&AccountId>,
    now: i64,
) -> (String, TxOp) {
    let id = crypto::random_token();
    let mut item = Item::new()
        .with(KIND, kind.tag())
        .with(STATE, state)
        .with(schema::TTL_ATTRIBUTE, now + TTL_SECS);
    if let Some(a) = account_id {
        item = item.with(ACCOUNT, a.as_str());
    }
    let op = TxOp::Put {
        key: key(kind, &id),
        item,
        cond: Some(Cond::NotExists),
    };
    (id, op)
}

/// Stores a new ceremony (one PutItem) and returns its id.
pub async fn start(
    store: &dyn Store,
    kind: Kind,
    state: &str,
    account_id: Option<&AccountId>,
    now: i64,
) -> Result<String, StoreError> {
    let (id, op) = start_op(kind, state, account_id, now);
    let TxOp::Put { key, item, cond } = op else {
        unreachable!("start_op is a put")
    };
    store.put(&key, item, cond).await?;
    Ok(id)
}

/// Why a ceremony id gives no state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// Never issued, already used, or not an id at all.
    Unknown,
    /// Issued, but its time is over (now used up all the same).
    Expired,
}

/// The ceremony `id` of `kind`, deleted as it is read (one DeleteItem; none for a
/// malformed id): a second take of the same id finds nothing.
pub async fn take(
    store: &dyn Store,
    kind: Kind,
    id: &str,
    now: i64,
) -> Result<Result<Ceremony, Gone>, StoreError> {
    if !is_well_formed(id) {
        return Ok(Err(Gone::Unknown));
    }
    let item = store.take(&key(kind, id)).await?;
    Ok(from_item(kind, item.as_ref(), now))
}

/// The ceremony of `kind` in `item` as read under `key(kind, id)` (`None`: nothing there),
/// refused when expired. For a step that reads it in a batch with its other facts and
/// deletes it in its own transaction, on condition that it is still there (`use_op`), so
/// that it is used once under a race as with `take` (the passkey login).
pub fn from_item(kind: Kind, item: Option<&Item>, now: i64) -> Result<Ceremony, Gone> {
    let Some(item) = item else {
        return Err(Gone::Unknown);
    };
    if item.s(KIND) != Some(kind.tag()) {
        return Err(Gone::Unknown);
    }
    if item.is_expired(now) {
        return Err(Gone::Expired);
    }
    Ok(Ceremony {
        kind,
        state: item.s(STATE).unwrap_or_default().to_owned(),
        account_id: item.s(ACCOUNT).and_then(AccountId::parse),
        expires_at: item.n(schema::TTL_ATTRIBUTE).unwrap_or(0),
    })
}

/// Uses ceremony `id` up in a transaction: deleted, on condition that it is still there
/// (`must_exist`: of two requests with it only one commits) or whatever it holds (a refusal
/// still spends it).
pub fn use_op(kind: Kind, id: &str, must_exist: bool) -> TxOp {
    TxOp::Delete {
        key: key(kind, id),
        cond: must_exist.then_some(Cond::Exists),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    fn acc1() -> AccountId {
        AccountId::parse("acc1").unwrap()
    }

    #[tokio::test]
    async fn a_ceremony_is_taken_once() {
        let s = MemoryStore::new();
        let id = start(&s, Kind::Registration, "{\"rs\":1}", Some(&acc1()), 1000)
            .await
            .unwrap();
        assert!(is_well_formed(&id));
        let c = take(&s, Kind::Registration, &id, 1001)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.state, "{\"rs\":1}");
        assert_eq!(c.account_id, Some(acc1()));
        assert_eq!(c.expires_at, 1000 + TTL_SECS);
        assert_eq!(
            take(&s, Kind::Registration, &id, 1002).await.unwrap(),
            Err(Gone::Unknown),
            "a replay finds nothing"
        );
        assert!(s.dump().is_empty(), "nothing left behind");
    }

    #[tokio::test]
    async fn concurrent_takes_give_the_state_to_one() {
        let s = std::sync::Arc::new(MemoryStore::new());
        let id = start(s.as_ref(), Kind::Authentication, "{}", None, 0)
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (s, id) = (s.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                take(s.as_ref(), Kind::Authentication, &id, 1)
                    .await
                    .unwrap()
            }));
        }
        let mut won = 0;
        for t in tasks {
            won += usize::from(t.await.unwrap().is_ok());
        }
        assert_eq!(won, 1);
    }

    #[tokio::test]
    async fn expired_wrong_kind_and_garbage_are_refused() {
        let s = MemoryStore::new();
        let id = start(&s, Kind::Registration, "{}", Some(&acc1()), 0)
            .await
            .unwrap();
        assert_eq!(
            take(&s, Kind::Registration, &id, TTL_SECS).await.unwrap(),
            Err(Gone::Expired),
            "expired at its TTL, even if DynamoDB has not deleted it yet"
        );
        assert!(s.dump().is_empty(), "used up all the same");
        let id = start(&s, Kind::Registration, "{}", Some(&acc1()), 0)
            .await
            .unwrap();
        assert_eq!(
            take(&s, Kind::Authentication, &id, 1).await.unwrap(),
            Err(Gone::Unknown),
            "a registration's id is no login's"
        );
        for bad in ["", "x", &"é".repeat(43), &format!("{id}x")] {
            assert_eq!(
                take(&s, Kind::Registration, bad, 1).await.unwrap(),
                Err(Gone::Unknown)
            );
        }
        assert_eq!(
            take(&s, Kind::Registration, &id, 1)
                .await
                .unwrap()
                .unwrap()
                .account_id,
            Some(acc1())
        );
    }
}
