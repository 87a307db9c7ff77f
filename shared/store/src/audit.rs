//! The help desk's audit records (`portale-admin`, issue 16): one per change it makes to an
//! account or a line, written in the change's own transaction, in the partition of what
//! changed (`ACCOUNT#<id>` or `LINE#<e164>`, sort key `AUDIT#<epoch, 12 digits>#<random>`).
//! Each is kept `KEEP_SECS` from when it was written (TTL), also after the account is
//! deleted, as the deletion page says. The account's owner sees its own in "Scarica i tuoi
//! dati": what was done, when and why, and until when it is kept — not the operator's
//! name, which is the operator's personal data (the help desk can say who on request).

use super::{accounts, schema, Query, Store, StoreError};

/// The sort-key prefix of audit records.
pub const PREFIX: &str = "AUDIT#";
/// How long a record is kept: two years (`area::deletion::KEPT` says so).
pub const KEEP_SECS: i64 = 2 * 365 * 24 * 3600;

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
    account_id: &str,
    now: i64,
) -> Result<Vec<Record>, StoreError> {
    let q = Query::new(accounts::key(account_id).pk, PREFIX, 200).newest_first();
    let mut records: Vec<Record> = store
        .query(&q)
        .await?
        .into_iter()
        .filter(|(_, i)| !i.is_expired(now))
        .map(|(_, i)| {
            let s = |n: &str| i.s(n).unwrap_or_default().to_owned();
            Record {
                at: i.n("at").unwrap_or(0),
                action: s("action"),
                reason: s("reason"),
                expires_at: i.n(schema::TTL_ATTRIBUTE).unwrap_or(0),
            }
        })
        .collect();
    records.reverse();
    Ok(records)
}
