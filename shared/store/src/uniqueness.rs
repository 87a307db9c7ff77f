//! Uniqueness claims (username, email, the active registration of a number) as items
//! whose existence is the claim. Writes are conditional, so of two concurrent claims
//! exactly one wins; there is never a read-then-write.
//!
//! A claim's `owner` is either `flow:<id>` (a reservation made during registration,
//! with a TTL) or `account:<id>` (permanent, no TTL). A reservation never overwrites an
//! account's claim: a registration that will supersede an account (PROSEGUI) may *use*
//! that account's values, and only the step-5 transaction moves them to the new account.
//!
//! `Person` claims (entity CF + personal CF) are how step 3 finds "another registration
//! with the data typed" without an index: one active account per person per entity.

use super::{schema, AccountId, Cond, Item, Key, Store, StoreError, TxOp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Username,
    Email,
    Number,
    Person,
}

impl Kind {
    /// The partition-key prefix of this kind's claims.
    pub const fn prefix(self) -> &'static str {
        match self {
            Kind::Username => "USERNAME#",
            Kind::Email => "EMAIL#",
            Kind::Number => "NUMBER#",
            Kind::Person => "PERSON#",
        }
    }
}

pub fn key(kind: Kind, value: &str) -> Key {
    Key::new(format!("{}{}", kind.prefix(), value), "UNIQUE")
}

/// Who holds a claim, as the `owner` attribute stores it (`account:<id>`, `flow:<hash>`,
/// `change:<id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A permanent claim of an account (by its id).
    Account(AccountId),
    /// A registration's reservation (by its flow id's hash), with a TTL.
    Flow(String),
    /// An account's reservation of the new address of its pending email change, with a TTL
    /// (never `Account`, which would make the address find the account before it is
    /// confirmed).
    Change(AccountId),
}

impl Owner {
    /// The stored form read back; `None` for anything else.
    pub fn parse(s: &str) -> Option<Owner> {
        if let Some(id) = s.strip_prefix(ACCOUNT_OWNER) {
            AccountId::parse(id).map(Owner::Account)
        } else if let Some(id) = s.strip_prefix(CHANGE_OWNER) {
            AccountId::parse(id).map(Owner::Change)
        } else {
            s.strip_prefix(FLOW_OWNER)
                .map(|h| Owner::Flow(h.to_owned()))
        }
    }

    /// The account holding the claim (`None` for a reservation).
    pub fn account(&self) -> Option<&AccountId> {
        match self {
            Owner::Account(id) => Some(id),
            Owner::Flow(_) | Owner::Change(_) => None,
        }
    }

    /// The account holding the claim, taken (`None` for a reservation).
    pub fn into_account(self) -> Option<AccountId> {
        match self {
            Owner::Account(id) => Some(id),
            Owner::Flow(_) | Owner::Change(_) => None,
        }
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Owner::Account(id) => write!(f, "{ACCOUNT_OWNER}{id}"),
            Owner::Flow(h) => write!(f, "{FLOW_OWNER}{h}"),
            Owner::Change(id) => write!(f, "{CHANGE_OWNER}{id}"),
        }
    }
}

/// The condition that the claim is still held by `owner`.
pub fn held_by(owner: &Owner) -> Cond {
    Cond::eq(OWNER, owner.to_string())
}

/// The attribute naming a claim's holder.
const OWNER: &str = "owner";
/// The stored forms' prefixes (`Owner`).
const ACCOUNT_OWNER: &str = "account:";
const FLOW_OWNER: &str = "flow:";
const CHANGE_OWNER: &str = "change:";

/// The value of a `Person` claim.
pub fn person_value(entity_cf: &str, personal_cf: &str) -> String {
    format!("{entity_cf}#{personal_cf}")
}

/// A registration's reservations' owner (by its flow id's hash).
pub fn flow_owner(flow_id_hash: &str) -> Owner {
    Owner::Flow(flow_id_hash.to_owned())
}

/// The owner of an account's claims.
pub fn account_owner(account_id: &AccountId) -> Owner {
    Owner::Account(account_id.clone())
}

/// A claim held by `owner` (tests of what reads claims).
pub fn item_held_by(owner: &Owner) -> Item {
    Item::new().with(OWNER, owner.to_string())
}

/// The condition under which `owner` may take the claim: it is free, already ours, a
/// lapsed reservation, or held by one of `may_replace` (accounts a registration supersedes).
pub fn claimable(owner: &Owner, may_replace: &[Owner], now: i64) -> Cond {
    let mut c = vec![
        Cond::NotExists,
        held_by(owner),
        Cond::Lt(schema::TTL_ATTRIBUTE.to_owned(), now + 1),
    ];
    c.extend(may_replace.iter().map(held_by));
    Cond::Or(c)
}

/// Reserves `value` for a registration flow until `until`. `Ok(false)` when someone else
/// holds it. A value held by one of `may_replace` is usable but is not written: the
/// account keeps its claim until the new registration completes.
pub async fn reserve(
    store: &dyn Store,
    kind: Kind,
    value: &str,
    owner: &Owner,
    may_replace: &[Owner],
    until: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let TxOp::Put { key: k, item, cond } = reserve_op(kind, value, owner, until, now) else {
        unreachable!("reserve_op is a put")
    };
    match store.put(&k, item, cond).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(holder(store, kind, value, now)
            .await?
            .is_some_and(|h| may_replace.contains(&h))),
        Err(e) => Err(e),
    }
}

/// The write reserving `value` for `owner` until `until`, on condition that it is free,
/// already `owner`'s or a lapsed reservation (a step puts it in its transaction).
pub fn reserve_op(kind: Kind, value: &str, owner: &Owner, until: i64, now: i64) -> TxOp {
    TxOp::Put {
        key: key(kind, value),
        item: Item::new()
            .with(OWNER, owner.to_string())
            .with(schema::TTL_ATTRIBUTE, until),
        cond: Some(claimable(owner, &[], now)),
    }
}

/// A transaction write that makes the claim permanent for `account_id`, provided the
/// reservation is still held by `reserved_by` (or the claim is otherwise claimable).
pub fn claim_op(
    kind: Kind,
    value: &str,
    account_id: &AccountId,
    reserved_by: &Owner,
    may_replace: &[Owner],
    now: i64,
) -> TxOp {
    TxOp::Put {
        key: key(kind, value),
        item: item_held_by(&account_owner(account_id)),
        cond: Some(claimable(reserved_by, may_replace, now)),
    }
}

/// A transaction write that frees a ceased account's claim (if it still holds it).
pub fn release_op(kind: Kind, value: &str, holder: &Owner) -> TxOp {
    TxOp::Delete {
        key: key(kind, value),
        cond: Some(Cond::Or(vec![Cond::NotExists, held_by(holder)])),
    }
}

/// Who holds a claim now (ignoring lapsed reservations).
pub async fn holder(
    store: &dyn Store,
    kind: Kind,
    value: &str,
    now: i64,
) -> Result<Option<Owner>, StoreError> {
    Ok(holder_in(store.get(&key(kind, value)).await?.as_ref(), now))
}

/// Who holds the claim read as `item` (a lapsed reservation holds nothing; an owner that
/// is neither form, nobody).
pub fn holder_in(item: Option<&Item>, now: i64) -> Option<Owner> {
    item.filter(|i| !i.is_expired(now))
        .and_then(|i| i.s(OWNER))
        .and_then(Owner::parse)
}

/// The account holding the claim read as `item`, whatever the clock (an account's claim
/// has no TTL; a reservation is no account's).
pub fn account_in(item: Option<&Item>) -> Option<AccountId> {
    item.and_then(|i| i.s(OWNER))
        .and_then(Owner::parse)
        .and_then(Owner::into_account)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    fn flow(h: &str) -> Owner {
        Owner::Flow(h.to_owned())
    }

    #[tokio::test]
    async fn one_owner_at_a_time() {
        let s = MemoryStore::new();
        assert!(
            reserve(&s, Kind::Username, "mario", &flow("a"), &[], 2000, 1000)
                .await
                .unwrap()
        );
        assert!(
            reserve(&s, Kind::Username, "mario", &flow("a"), &[], 2000, 1000)
                .await
                .unwrap(),
            "idempotent for its owner"
        );
        assert!(
            !reserve(&s, Kind::Username, "mario", &flow("b"), &[], 2000, 1000)
                .await
                .unwrap()
        );
        assert!(
            reserve(&s, Kind::Username, "mario", &flow("b"), &[], 3000, 2000)
                .await
                .unwrap(),
            "a lapsed reservation is free"
        );
        s.transact(vec![claim_op(
            Kind::Username,
            "mario",
            &AccountId::parse("acc1").unwrap(),
            &flow("b"),
            &[],
            2001,
        )])
        .await
        .unwrap();
        assert!(
            !reserve(&s, Kind::Username, "mario", &flow("c"), &[], 9999, 99999)
                .await
                .unwrap(),
            "permanent claims never lapse"
        );
        assert_eq!(
            holder(&s, Kind::Username, "mario", 99999)
                .await
                .unwrap()
                .map(|o| o.to_string())
                .as_deref(),
            Some("account:acc1")
        );
        let old = vec![Owner::parse("account:acc1").unwrap()];
        assert!(
            reserve(&s, Kind::Username, "mario", &flow("d"), &old, 9999, 5000)
                .await
                .unwrap(),
            "usable by a superseding flow"
        );
        assert_eq!(
            holder(&s, Kind::Username, "mario", 99999)
                .await
                .unwrap()
                .map(|o| o.to_string())
                .as_deref(),
            Some("account:acc1"),
            "but the account keeps it"
        );
        // Not flow:d's to release: the condition fails and nothing is deleted.
        let _ = s
            .transact(vec![release_op(Kind::Username, "mario", &flow("d"))])
            .await;
        assert_eq!(
            holder(&s, Kind::Username, "mario", 99999)
                .await
                .unwrap()
                .map(|o| o.to_string())
                .as_deref(),
            Some("account:acc1"),
            "release frees only one's own"
        );
    }
}
