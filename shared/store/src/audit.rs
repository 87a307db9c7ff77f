//! The help desk's audit records (`portale-admin`, issue 16): one per change it makes to an
//! account or a line, written in the change's own transaction, in the partition of what
//! changed (`ACCOUNT#<id>` or `LINE#<e164>`, sort key `AUDIT#<epoch, 12 digits>#<random>`).
//! Each is kept `KEEP_SECS` from when it was written (TTL), also after the account is
//! deleted, as the deletion page says. The account's owner sees its own in "Scarica i tuoi
//! dati": what was done, when and why, and until when it is kept — not the operator's
//! name, which is the operator's personal data (the help desk can say who on request).

use super::{
    accounts, consent_log, schema, AccountId, Cond, Item, Key, Query, Store, StoreError, TxOp,
};

/// The sort-key prefix of audit records.
pub const PREFIX: &str = "AUDIT#";
/// How long a record is kept: two years (`area::deletion::KEPT` says so).
pub const KEEP_SECS: i64 = 2 * 365 * 24 * 3600;

// The record's attributes: only this module spells them.
const AT: &str = "at";
const ACTION: &str = "action";
const TARGET: &str = "target";
const DETAIL: &str = "detail";
const OPERATOR: &str = "operator";
const REASON: &str = "reason";
/// The attribute holding `--operatore` / `$USER` beside the caller's ARN (on an audit
/// record, and on the consents' item in force).
pub(crate) const NOTE: &str = "operator_note";

/// The actions, as stored and printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Unlock,
    Disable,
    Enable,
    Cease,
    LineStatus,
    ImportLine,
    ImportAccount,
    PublishConsents,
    RemovePasskey,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Unlock => "sblocco",
            Action::Disable => "sospensione",
            Action::Enable => "riattivazione",
            Action::Cease => "cessazione",
            Action::LineStatus => "stato-linea",
            Action::ImportLine => "importazione-linea",
            Action::ImportAccount => "importazione-account",
            Action::PublishConsents => "pubblicazione-consensi",
            Action::RemovePasskey => "rimozione-passkey",
        }
    }
}

/// One record, as the help desk writes and reads it. Read back, the action is the stored
/// text (`Action::as_str`), kept as written even if no action of today's names it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    pub at: i64,
    pub action: String,
    /// What changed: an account id, a number, `consensi`.
    pub target: String,
    pub detail: String,
    /// Who: the AWS caller identity's ARN.
    pub operator: String,
    /// What `--operatore` (else `$USER`) said: a note, never the identity. May be empty.
    pub note: String,
    pub reason: String,
    /// The consents' publication's revision (`consent_log::REVISION`), on its records only.
    pub revision: Option<i64>,
    /// When its TTL removes it (0 for records written before it had one).
    pub expires_at: i64,
}

impl Entry {
    /// A record of `action` on `target` at `now`, kept `keep_secs`.
    pub fn new(action: Action, target: &str, detail: &str, now: i64, keep_secs: i64) -> Entry {
        Entry {
            at: now,
            action: action.as_str().to_owned(),
            target: target.to_owned(),
            detail: detail.to_owned(),
            expires_at: now + keep_secs,
            ..Entry::default()
        }
    }

    pub fn to_item(&self) -> Item {
        let mut item = Item::new()
            .with(ACTION, self.action.as_str())
            .with(TARGET, self.target.as_str())
            .with(DETAIL, self.detail.as_str())
            .with(OPERATOR, self.operator.as_str())
            .with(REASON, self.reason.as_str())
            .with(AT, self.at)
            .with(schema::TTL_ATTRIBUTE, self.expires_at);
        if !self.note.is_empty() {
            item = item.with(NOTE, self.note.as_str());
        }
        if let Some(r) = self.revision {
            item = item.with(consent_log::REVISION, r);
        }
        item
    }

    pub fn from_item(i: &Item) -> Entry {
        let s = |n: &str| i.s(n).unwrap_or_default().to_owned();
        Entry {
            at: i.n(AT).unwrap_or(0),
            action: s(ACTION),
            target: s(TARGET),
            detail: s(DETAIL),
            operator: s(OPERATOR),
            note: s(NOTE),
            reason: s(REASON),
            revision: i.n(consent_log::REVISION),
            expires_at: i.n(schema::TTL_ATTRIBUTE).unwrap_or(0),
        }
    }

    /// The write of this record in partition `pk` (a new sort key: never two alike).
    pub fn op(&self, pk: &str) -> TxOp {
        let sk = format!(
            "{PREFIX}{:012}#{}",
            self.at,
            &domain::crypto::random_token()[..8]
        );
        TxOp::Put {
            key: Key::new(pk, sk),
            item: self.to_item(),
            cond: Some(Cond::NotExists),
        }
    }
}

/// Whether `key` is an audit record's.
pub fn is_record(key: &Key) -> bool {
    key.sk.starts_with(PREFIX)
}

/// The newest `limit` records of partition `pk`, newest first (one Query); an expired one
/// (its TTL passed, DynamoDB not yet round to deleting it) is gone.
pub async fn newest(
    store: &dyn Store,
    pk: &str,
    limit: usize,
    now: i64,
) -> Result<Vec<Entry>, StoreError> {
    let q = Query::new(pk, PREFIX, limit).newest_first();
    Ok(store
        .query(&q)
        .await?
        .into_iter()
        .filter(|(_, i)| !i.is_expired(now))
        .map(|(_, i)| Entry::from_item(&i))
        .collect())
}

/// One record as the account's owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub at: i64,
    /// The action as the help desk names it (`sblocco`, `sospensione`, …).
    pub action: String,
    pub reason: String,
    /// When its TTL removes it (0 for records written before it had one).
    pub expires_at: i64,
}

/// The newest 200 records of an account, oldest first (one Query).
pub async fn of_account(
    store: &dyn Store,
    account_id: &AccountId,
    now: i64,
) -> Result<Vec<Record>, StoreError> {
    let mut records: Vec<Record> = newest(store, &accounts::key(account_id).pk, 200, now)
        .await?
        .into_iter()
        .map(|e| Record {
            at: e.at,
            action: e.action,
            reason: e.reason,
            expires_at: e.expires_at,
        })
        .collect();
    records.reverse();
    Ok(records)
}
