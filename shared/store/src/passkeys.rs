//! An account's passkeys (issue 24). Two item families:
//! - the account's list, `PASSKEY#<account>`: one item per credential (sort key
//!   `CRED#<credential id>`: name, created, last used, the browser that made it) and the
//!   count of them (sort key `COUNT`), which every add raises on condition that it is below
//!   `limits::PASSKEYS_PER_ACCOUNT` — the cap holds under any race, as a conditional write;
//! - the lookup `PASSKEYCRED#<credential id>` → the account and the serialised `Passkey`
//!   (the public key and its counter), put on condition that it does not exist (a
//!   credential id is one account's), so a login finds the account and the key from the
//!   assertion's credential id in one read.
//!
//! Credential ids are base64url (no padding) as the browser sends them; nothing here
//! parses WebAuthn (that is `shared/passkey`). Lists and lookups have no TTL: a passkey
//! lives until it is removed.

use super::{AccountId, Cond, Item, Key, Query, Store, StoreError, TxOp, Update};
use crate::limits::PASSKEYS_PER_ACCOUNT;

/// The partition-key prefix of an account's passkey list.
pub const PREFIX: &str = "PASSKEY#";
/// The partition-key prefix of the credential id → account lookup.
pub const CRED_PREFIX: &str = "PASSKEYCRED#";
/// How long a name may be (characters).
pub const NAME_MAX_CHARS: usize = 60;

const CRED_SK: &str = "CRED#";
const COUNT_SK: &str = "COUNT";
const LOOKUP_SK: &str = "OWNER";
// The attributes only this module spells.
const N: &str = "n";
const NAME: &str = "name";
const CREATED_AT: &str = "created_at";
const LAST_USED_AT: &str = "last_used_at";
const AGENT: &str = "agent";
const ACCOUNT: &str = "account";
const PASSKEY: &str = "passkey";
/// The creation's time to the nanosecond (`access_log`'s ordered key): the list's order,
/// also for passkeys created in the same second.
const ORDER: &str = "order";

/// One passkey as the list shows it (no key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The credential id, base64url.
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// The browser that created it, as `ui::agent::describe` names it ("Chrome su Android").
    pub agent: String,
    /// Orders the list (filled when it is read; any value when adding).
    pub order: String,
}

/// What the lookup of a credential id finds: whose it is and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub account_id: AccountId,
    pub credential_id: String,
    /// The serialised `webauthn_rs::prelude::Passkey` (JSON).
    pub passkey: String,
}

/// A name as stored: trimmed, control characters dropped, at most `NAME_MAX_CHARS`.
pub fn clean_name(raw: &str) -> String {
    raw.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(NAME_MAX_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// True for a credential id as browsers send it: base64url, 16..=1023 bytes once decoded
/// (WebAuthn caps ids at 1023 bytes).
pub fn is_credential_id(id: &str) -> bool {
    (22..=1364).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn list_pk(account_id: &AccountId) -> String {
    format!("{PREFIX}{account_id}")
}

/// The key of one credential in the account's list.
pub fn key(account_id: &AccountId, credential_id: &str) -> Key {
    Key::new(list_pk(account_id), format!("{CRED_SK}{credential_id}"))
}

/// The key of the account's count of passkeys.
pub fn count_key(account_id: &AccountId) -> Key {
    Key::new(list_pk(account_id), COUNT_SK)
}

/// The key of the credential id's lookup (a login reads it, alone or in a batch).
pub fn lookup_key(credential_id: &str) -> Key {
    Key::new(format!("{CRED_PREFIX}{credential_id}"), LOOKUP_SK)
}

fn credential_from(key: &Key, i: &Item) -> Option<Credential> {
    Some(Credential {
        id: key.sk.strip_prefix(CRED_SK)?.to_owned(),
        name: i.s(NAME).unwrap_or_default().to_owned(),
        created_at: i.n(CREATED_AT).unwrap_or(0),
        last_used_at: i.n(LAST_USED_AT),
        agent: i.s(AGENT).unwrap_or_default().to_owned(),
        order: i.s(ORDER).unwrap_or_default().to_owned(),
    })
}

/// The account's passkeys, oldest first: one Query of its list.
pub async fn list(
    store: &dyn Store,
    account_id: &AccountId,
) -> Result<Vec<Credential>, StoreError> {
    // A page larger than the cap: the list is always read whole in one call.
    let q = Query::new(
        list_pk(account_id),
        CRED_SK,
        4 * PASSKEYS_PER_ACCOUNT as usize,
    );
    let mut all: Vec<Credential> = store
        .query(&q)
        .await?
        .iter()
        .filter_map(|(k, i)| credential_from(k, i))
        .collect();
    all.sort_by(|a, b| (a.created_at, &a.order, &a.id).cmp(&(b.created_at, &b.order, &b.id)));
    Ok(all)
}

/// The credential id's lookup as read (`None`: no such passkey, or not well formed).
pub fn stored_from(credential_id: &str, item: Option<&Item>) -> Option<Stored> {
    let i = item?;
    Some(Stored {
        account_id: AccountId::parse(i.s(ACCOUNT)?)?,
        credential_id: credential_id.to_owned(),
        passkey: i.s(PASSKEY)?.to_owned(),
    })
}

/// Whose passkey `credential_id` is, and its key: one GetItem (none for a malformed id).
pub async fn find_by_credential_id(
    store: &dyn Store,
    credential_id: &str,
) -> Result<Option<Stored>, StoreError> {
    if !is_credential_id(credential_id) {
        return Ok(None);
    }
    let item = store.get(&lookup_key(credential_id)).await?;
    Ok(stored_from(credential_id, item.as_ref()))
}

/// The three writes of a new passkey, kept apart so that a step tags each failure with its
/// own refusal.
#[derive(Debug, Clone)]
pub struct Add {
    /// The list's item (on condition that it does not exist).
    pub credential: TxOp,
    /// The lookup (on condition that it does not exist: the credential id is one account's).
    pub lookup: TxOp,
    /// The count raised, on condition that it is below the cap.
    pub count: TxOp,
}

/// The writes adding `c` (its serialised key `passkey`) to `account_id`.
pub fn add_ops(account_id: &AccountId, c: &Credential, passkey: &str) -> Add {
    let mut item = Item::new()
        .with(NAME, clean_name(&c.name))
        .with(CREATED_AT, c.created_at)
        .with(AGENT, c.agent.as_str())
        .with(ORDER, super::access_log::ordered_sort_key(c.created_at));
    if let Some(t) = c.last_used_at {
        item = item.with(LAST_USED_AT, t);
    }
    Add {
        credential: TxOp::Put {
            key: key(account_id, &c.id),
            item,
            cond: Some(Cond::NotExists),
        },
        lookup: TxOp::Put {
            key: lookup_key(&c.id),
            item: Item::new()
                .with(ACCOUNT, account_id.as_str())
                .with(PASSKEY, passkey)
                .with(CREATED_AT, c.created_at),
            cond: Some(Cond::NotExists),
        },
        count: TxOp::Update {
            key: count_key(account_id),
            update: Update::new().add(N, 1),
            cond: Some(Cond::Or(vec![
                Cond::missing(N),
                Cond::lt(N, PASSKEYS_PER_ACCOUNT),
            ])),
        },
    }
}

/// Renames one of the account's passkeys (on condition that it is still there).
pub fn rename_op(account_id: &AccountId, credential_id: &str, name: &str) -> TxOp {
    TxOp::Update {
        key: key(account_id, credential_id),
        update: Update::new().set(NAME, clean_name(name)),
        cond: Some(Cond::Exists),
    }
}

/// Removes one of the account's passkeys: the list's item (on condition that it is there:
/// another account's id, or one removed meanwhile, fails here), its lookup, the count.
/// The first op is the one to tag.
pub fn remove_ops(account_id: &AccountId, credential_id: &str) -> [TxOp; 3] {
    [
        TxOp::Delete {
            key: key(account_id, credential_id),
            cond: Some(Cond::Exists),
        },
        TxOp::Delete {
            key: lookup_key(credential_id),
            cond: Some(Cond::eq(ACCOUNT, account_id.as_str())),
        },
        TxOp::Update {
            key: count_key(account_id),
            update: Update::new().add(N, -1),
            cond: Some(Cond::gt(N, 0)),
        },
    ]
}

/// Removes every passkey of the account (`listed`, as `list` read it): its items, their
/// lookups and the count — the count's delete conditioned on the number listed, so a
/// passkey added after the read makes the transaction fail rather than survive it.
/// For the help desk's disable and cease and the account's deletion.
pub fn remove_all_ops(account_id: &AccountId, listed: &[Credential]) -> Vec<TxOp> {
    let mut ops = Vec::with_capacity(2 * listed.len() + 1);
    for c in listed {
        ops.push(TxOp::Delete {
            key: key(account_id, &c.id),
            cond: None,
        });
        ops.push(TxOp::Delete {
            key: lookup_key(&c.id),
            cond: None,
        });
    }
    let count = match listed.len() {
        0 => Cond::Or(vec![Cond::NotExists, Cond::eq(N, 0i64)]),
        n => Cond::eq(N, n as i64),
    };
    ops.push(TxOp::Delete {
        key: count_key(account_id),
        cond: Some(count),
    });
    ops
}

/// After a login with the passkey: its key's new state (the counter, the backup flags) and
/// when it was used, on the lookup (on condition that it is still the account's: a passkey
/// removed meanwhile fails the login's transaction).
pub fn touch_op(stored: &Stored, passkey: &str, now: i64) -> TxOp {
    TxOp::Update {
        key: lookup_key(&stored.credential_id),
        update: Update::new().set(PASSKEY, passkey).set(LAST_USED_AT, now),
        cond: Some(Cond::eq(ACCOUNT, stored.account_id.as_str())),
    }
}

/// With `touch_op`: "last used" on the account's list.
pub fn touch_list_op(stored: &Stored, now: i64) -> TxOp {
    TxOp::Update {
        key: key(&stored.account_id, &stored.credential_id),
        update: Update::new().set(LAST_USED_AT, now),
        cond: Some(Cond::Exists),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    fn cred(id: &str, at: i64) -> Credential {
        Credential {
            id: id.to_owned(),
            name: format!("  Chrome su Android {id}\u{7}  "),
            created_at: at,
            last_used_at: None,
            agent: "Chrome su Android".into(),
            order: String::new(),
        }
    }

    fn a(s: &str) -> AccountId {
        AccountId::parse(s).unwrap()
    }

    fn id(n: usize) -> String {
        format!("credential-id-number-{n:04}-abcdefgh")
    }

    async fn add(s: &MemoryStore, account: &str, c: &Credential) -> Result<(), StoreError> {
        let a = add_ops(&a(account), c, "{\"cred\":1}");
        s.transact(vec![a.credential, a.lookup, a.count]).await
    }

    #[tokio::test]
    async fn add_list_find_rename_remove() {
        let s = MemoryStore::new();
        add(&s, "acc1", &cred(&id(2), 20)).await.unwrap();
        add(&s, "acc1", &cred(&id(1), 10)).await.unwrap();
        let l = list(&s, &a("acc1")).await.unwrap();
        assert_eq!(
            l.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
            [id(1), id(2)]
        );
        assert_eq!(l[0].name, format!("Chrome su Android {}", id(1)));
        assert_eq!(l[0].agent, "Chrome su Android");
        let f = find_by_credential_id(&s, &id(1)).await.unwrap().unwrap();
        assert_eq!(
            (f.account_id.as_str(), f.passkey.as_str()),
            ("acc1", "{\"cred\":1}")
        );
        assert_eq!(find_by_credential_id(&s, "short").await.unwrap(), None);
        assert_eq!(find_by_credential_id(&s, &id(9)).await.unwrap(), None);

        s.transact(vec![rename_op(&a("acc1"), &id(1), &"x".repeat(80))])
            .await
            .unwrap();
        assert_eq!(list(&s, &a("acc1")).await.unwrap()[0].name, "x".repeat(60));
        // Renaming one that is not there (another account's) changes nothing.
        let e = s.transact(vec![rename_op(&a("acc2"), &id(1), "y")]).await;
        assert!(matches!(e, Err(StoreError::TxCancelled { .. })));
        assert!(list(&s, &a("acc2")).await.unwrap().is_empty());

        let [item, lookup, count] = remove_ops(&a("acc2"), &id(1));
        assert!(
            s.transact(vec![item, lookup, count]).await.is_err(),
            "another account's"
        );
        s.transact(remove_ops(&a("acc1"), &id(1)).to_vec())
            .await
            .unwrap();
        assert_eq!(list(&s, &a("acc1")).await.unwrap().len(), 1);
        assert_eq!(find_by_credential_id(&s, &id(1)).await.unwrap(), None);
        assert_eq!(
            s.get(&count_key(&a("acc1"))).await.unwrap().unwrap().n(N),
            Some(1)
        );

        let now = 99;
        let f = f_for(&s, &id(2)).await;
        s.transact(vec![
            touch_op(&f, "{\"cred\":2}", now),
            touch_list_op(&f, now),
        ])
        .await
        .unwrap();
        assert_eq!(
            list(&s, &a("acc1")).await.unwrap()[0].last_used_at,
            Some(now)
        );
        assert_eq!(f_for(&s, &id(2)).await.passkey, "{\"cred\":2}");
    }

    async fn f_for(s: &MemoryStore, id: &str) -> Stored {
        find_by_credential_id(s, id).await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn at_most_ten_and_a_credential_is_one_accounts() {
        let s = MemoryStore::new();
        for n in 0..PASSKEYS_PER_ACCOUNT as usize {
            add(&s, "acc1", &cred(&id(n), n as i64)).await.unwrap();
        }
        let e = add(&s, "acc1", &cred(&id(50), 50)).await.unwrap_err();
        assert_eq!(
            e,
            StoreError::TxCancelled {
                failed: vec![false, false, true]
            },
            "the 11th fails on the count"
        );
        assert_eq!(list(&s, &a("acc1")).await.unwrap().len(), 10);
        let e = add(&s, "acc2", &cred(&id(3), 1)).await.unwrap_err();
        assert_eq!(
            e,
            StoreError::TxCancelled {
                failed: vec![false, true, false]
            },
            "another account's credential id fails on the lookup"
        );
        // One removed: room for one more.
        s.transact(remove_ops(&a("acc1"), &id(0)).to_vec())
            .await
            .unwrap();
        add(&s, "acc1", &cred(&id(50), 50)).await.unwrap();
    }

    #[tokio::test]
    async fn remove_all_voids_every_passkey_and_fails_on_one_added_meanwhile() {
        let s = MemoryStore::new();
        assert!(
            s.transact(remove_all_ops(&a("acc1"), &[])).await.is_ok(),
            "none to remove"
        );
        for n in 0..3 {
            add(&s, "acc1", &cred(&id(n), n as i64)).await.unwrap();
        }
        let listed = list(&s, &a("acc1")).await.unwrap();
        add(&s, "acc1", &cred(&id(7), 7)).await.unwrap();
        assert!(s
            .transact(remove_all_ops(&a("acc1"), &listed))
            .await
            .is_err());
        let listed = list(&s, &a("acc1")).await.unwrap();
        s.transact(remove_all_ops(&a("acc1"), &listed))
            .await
            .unwrap();
        assert!(list(&s, &a("acc1")).await.unwrap().is_empty());
        for n in [0, 1, 2, 7] {
            assert_eq!(find_by_credential_id(&s, &id(n)).await.unwrap(), None);
        }
        assert_eq!(s.get(&count_key(&a("acc1"))).await.unwrap(), None);
        // The cap counts again from zero.
        add(&s, "acc1", &cred(&id(8), 8)).await.unwrap();
    }

    #[test]
    fn names_are_plain_short_text() {
        assert_eq!(clean_name("  Il mio\ttelefono \n"), "Il miotelefono");
        assert_eq!(clean_name(&"é".repeat(70)).chars().count(), 60);
        assert_eq!(
            clean_name("<b>x</b>"),
            "<b>x</b>",
            "escaped where shown, kept as typed"
        );
    }
}
