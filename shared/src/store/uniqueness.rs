//! Uniqueness claims (username, email, the active registration of a number) as items
//! whose existence is the claim. Writes are conditional, so of two concurrent claims
//! exactly one wins; there is never a read-then-write.
//!
//! A claim's `owner` is either `flow:<id>` (a reservation made during registration,
//! with a TTL) or `account:<id>` (permanent, no TTL).

use super::{schema, Cond, Item, Key, Store, StoreError, TxOp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Username,
    Email,
    Number,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Username => "USERNAME",
            Kind::Email => "EMAIL",
            Kind::Number => "NUMBER",
        }
    }
}

pub fn key(kind: Kind, value: &str) -> Key {
    Key::new(format!("{}#{}", kind.tag(), value), "UNIQUE")
}

pub fn flow_owner(flow_id_hash: &str) -> String {
    format!("flow:{flow_id_hash}")
}

pub fn account_owner(account_id: &str) -> String {
    format!("account:{account_id}")
}

/// The condition under which `owner` may take the claim: it is free, already ours, a
/// lapsed reservation, or held by `may_replace` (the account a registration supersedes).
pub fn claimable(owner: &str, may_replace: Option<&str>, now: i64) -> Cond {
    let mut c = vec![Cond::NotExists, Cond::eq("owner", owner), Cond::Lt(schema::TTL_ATTRIBUTE.to_owned(), now + 1)];
    if let Some(other) = may_replace {
        c.push(Cond::eq("owner", other));
    }
    Cond::Or(c)
}

/// Reserves `value` for a registration flow until `until`. `Ok(false)` when someone else holds it.
pub async fn reserve(store: &dyn Store, kind: Kind, value: &str, owner: &str, may_replace: Option<&str>, until: i64, now: i64) -> Result<bool, StoreError> {
    let item = Item::new().with("owner", owner).with(schema::TTL_ATTRIBUTE, until);
    match store.put(&key(kind, value), item, Some(claimable(owner, may_replace, now))).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A transaction write that makes the claim permanent for `account_id`, provided the
/// reservation is still held by `reserved_by` (or the claim is otherwise claimable).
pub fn claim_op(kind: Kind, value: &str, account_id: &str, reserved_by: &str, may_replace: Option<&str>, now: i64) -> TxOp {
    TxOp::Put {
        key: key(kind, value),
        item: Item::new().with("owner", account_owner(account_id)),
        cond: Some(claimable(reserved_by, may_replace, now)),
    }
}

/// Who holds a claim now (ignoring lapsed reservations).
pub async fn holder(store: &dyn Store, kind: Kind, value: &str, now: i64) -> Result<Option<String>, StoreError> {
    Ok(store
        .get(&key(kind, value))
        .await?
        .filter(|i| !i.is_expired(now))
        .and_then(|i| i.s("owner").map(str::to_owned)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    #[tokio::test]
    async fn one_owner_at_a_time() {
        let s = MemoryStore::new();
        assert!(reserve(&s, Kind::Username, "mario", "flow:a", None, 2000, 1000).await.unwrap());
        assert!(reserve(&s, Kind::Username, "mario", "flow:a", None, 2000, 1000).await.unwrap(), "idempotent for its owner");
        assert!(!reserve(&s, Kind::Username, "mario", "flow:b", None, 2000, 1000).await.unwrap());
        assert!(reserve(&s, Kind::Username, "mario", "flow:b", None, 3000, 2000).await.unwrap(), "a lapsed reservation is free");
        s.transact(vec![claim_op(Kind::Username, "mario", "acc1", "flow:b", None, 2001)]).await.unwrap();
        assert!(!reserve(&s, Kind::Username, "mario", "flow:c", None, 9999, 99999).await.unwrap(), "permanent claims never lapse");
        assert_eq!(holder(&s, Kind::Username, "mario", 99999).await.unwrap().as_deref(), Some("account:acc1"));
        assert!(reserve(&s, Kind::Username, "mario", "flow:d", Some("account:acc1"), 9999, 5000).await.unwrap());
    }
}
