//! Storage: one DynamoDB table behind a small trait, with an in-memory twin for unit
//! tests and benchmarks. The trait speaks DynamoDB's vocabulary (items, conditions,
//! transactions) on purpose: uniqueness and counters are conditional writes, never
//! read-then-write, and the in-memory twin must honour the same conditions.
//! Domain repositories (`lines`, `otp`, `rate`, …) are written once on top of it.

pub mod access_log;
pub mod account_id;
pub mod accounts;
pub mod audit;
pub mod aws_error;
pub mod ceremonies;
pub mod challenges;
pub mod cond;
pub mod consent_log;
pub mod devices;
pub mod dynamo;
pub mod flows;
pub mod limits;
pub mod lines;
pub mod lockout;
pub mod memory;
pub mod otp;
pub mod passkeys;
pub mod rate;
pub mod schema;
pub mod secret;
pub mod sent;
pub mod sessions;
pub mod tokens;
pub mod uniqueness;

use std::collections::BTreeMap;

pub use account_id::AccountId;
pub use cond::Cond;

/// An attribute value: the few DynamoDB types the portal uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attr {
    S(String),
    N(i64),
    B(bool),
}

impl Attr {
    pub fn as_s(&self) -> Option<&str> {
        match self {
            Attr::S(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_n(&self) -> Option<i64> {
        match self {
            Attr::N(n) => Some(*n),
            _ => None,
        }
    }
    pub fn as_b(&self) -> Option<bool> {
        match self {
            Attr::B(b) => Some(*b),
            _ => None,
        }
    }
}

impl From<&str> for Attr {
    fn from(s: &str) -> Self {
        Attr::S(s.to_owned())
    }
}
impl From<String> for Attr {
    fn from(s: String) -> Self {
        Attr::S(s)
    }
}
impl From<i64> for Attr {
    fn from(n: i64) -> Self {
        Attr::N(n)
    }
}
impl From<bool> for Attr {
    fn from(b: bool) -> Self {
        Attr::B(b)
    }
}

/// The primary key of an item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// An item: its key plus attributes (the key attributes are not repeated in `attrs`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Item {
    pub attrs: BTreeMap<String, Attr>,
}

impl Item {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with(mut self, name: &str, value: impl Into<Attr>) -> Self {
        self.attrs.insert(name.to_owned(), value.into());
        self
    }
    pub fn s(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).and_then(Attr::as_s)
    }
    pub fn n(&self, name: &str) -> Option<i64> {
        self.attrs.get(name).and_then(Attr::as_n)
    }
    pub fn b(&self, name: &str) -> Option<bool> {
        self.attrs.get(name).and_then(Attr::as_b)
    }
    /// True when the item carries a TTL that has passed: DynamoDB deletes expired items
    /// lazily (up to days later), so every reader treats them as absent.
    pub fn is_expired(&self, now_epoch: i64) -> bool {
        self.n(schema::TTL_ATTRIBUTE)
            .is_some_and(|t| t <= now_epoch)
    }
}

/// An update: SET, atomic ADD and REMOVE of attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    pub set: Vec<(String, Attr)>,
    pub add: Vec<(String, i64)>,
    pub remove: Vec<String>,
}

impl Update {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn set(mut self, name: &str, value: impl Into<Attr>) -> Self {
        self.set.push((name.to_owned(), value.into()));
        self
    }
    pub fn add(mut self, name: &str, by: i64) -> Self {
        self.add.push((name.to_owned(), by));
        self
    }
    pub fn remove(mut self, name: &str) -> Self {
        self.remove.push(name.to_owned());
        self
    }
}

/// One write of a transaction.
#[derive(Debug, Clone)]
pub enum TxOp {
    Put {
        key: Key,
        item: Item,
        cond: Option<Cond>,
    },
    Update {
        key: Key,
        update: Update,
        cond: Option<Cond>,
    },
    Delete {
        key: Key,
        cond: Option<Cond>,
    },
    Check {
        key: Key,
        cond: Cond,
    },
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    /// A single write's condition did not hold.
    #[error("condition check failed")]
    ConditionFailed,
    /// A transaction was cancelled; `failed[i]` is true when op `i`'s condition failed.
    #[error("transaction cancelled")]
    TxCancelled { failed: Vec<bool> },
    /// The table cannot be reached or answered with an error: the user is told the service is
    /// momentarily unavailable and nothing was half-written (every write is one item or one tx).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

/// The storage trait. Conditions are evaluated atomically with the write.
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;
    /// Several items in one round trip (BatchGetItem, strongly consistent), in the order
    /// of `keys`; a step loads its flow's facts with one call. At most 100 distinct keys.
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError>;
    /// Writes `item` if `cond` holds. Idempotent: when the condition fails on an item equal
    /// to `item`, the put is done (`Ok`), because that is what a retry meets after its first
    /// attempt wrote but its answer was lost (a timeout, a cut connection); the SDK retries
    /// by itself, so without this a claim would be refused by its own write. So a
    /// conditional put's item must say whose it is (a random holder or id, an owner): two
    /// writers of byte-equal items both succeed.
    async fn put(&self, key: &Key, item: Item, cond: Option<Cond>) -> Result<(), StoreError>;
    /// Applies `update` (creating the item if absent, as DynamoDB does) and returns the new item.
    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError>;
    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError>;
    /// Deletes the item and returns what it held (DeleteItem with ReturnValues ALL_OLD): of
    /// concurrent takes of one key exactly one gets the item (a ceremony used once).
    async fn take(&self, key: &Key) -> Result<Option<Item>, StoreError>;
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError>;
    /// The items of partition `q.pk` whose sort key starts with `q.sk_prefix`, in sort-key
    /// order (reversed when `q.newest_first`), at most `q.limit` (one Query call, strongly
    /// consistent). Lists that belong to an account (its sessions, its access history)
    /// live in its partition so that one call reads them.
    async fn query(&self, q: &Query) -> Result<Vec<(Key, Item)>, StoreError>;
}

/// One page of a partition (`Store::query`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub pk: String,
    pub sk_prefix: String,
    pub newest_first: bool,
    pub limit: usize,
    /// Continue after this sort key (the last one of the previous page).
    pub after: Option<String>,
}

impl Query {
    pub fn new(pk: impl Into<String>, sk_prefix: impl Into<String>, limit: usize) -> Self {
        Query {
            pk: pk.into(),
            sk_prefix: sk_prefix.into(),
            newest_first: false,
            limit,
            after: None,
        }
    }
    pub fn after(mut self, sk: impl Into<String>) -> Self {
        self.after = Some(sk.into());
        self
    }
    pub fn newest_first(mut self) -> Self {
        self.newest_first = true;
        self
    }
}

/// A Scan's filter: an expression over the table's attributes and its `:placeholders`'
/// string values. Only the help desk scans (`portale-admin`: what no key lookup can list);
/// the store spells the filters, as it spells every other attribute name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanFilter {
    pub expression: String,
    pub values: Vec<(&'static str, String)>,
}

impl ScanFilter {
    /// The items whose partition key starts with `prefix`.
    pub fn partition_prefix(prefix: impl Into<String>) -> ScanFilter {
        ScanFilter {
            expression: format!("begins_with({}, :p)", schema::PK),
            values: vec![(":p", prefix.into())],
        }
    }
}
