//! The audit of consents: every acceptance of the terms and the privacy notice (version
//! and date), and the deletion of the account, in the account's own partition
//! (`CONSENTLOG#<account>`). Kept `KEEP_SECS` by TTL, also after the account is deleted:
//! it is what the portal must be able to show about a person's consents.
//!
//! The versions in force are published by ops (`portale-admin consensi pubblica`) as one
//! item (`CONSENTS#CURRENT`); without it, the versions of `documents` are in force.

use super::{schema, AccountId, Cond, Item, Key, Query, Store, StoreError, TxOp};
use domain::documents;

/// The partition-key prefix of an account's consents' audit.
pub const PREFIX: &str = "CONSENTLOG#";
/// The partition-key prefix of the versions in force (`in_force_key`).
pub const IN_FORCE_PREFIX: &str = "CONSENTS#";

pub const KEEP_SECS: i64 = 10 * 365 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Terms and privacy accepted (at registration, or a new version at login).
    Accepted,
    AccountDeleted,
}

impl Action {
    fn code(self) -> &'static str {
        match self {
            Action::Accepted => "accepted",
            Action::AccountDeleted => "account-deleted",
        }
    }
    pub fn label(code: &str) -> &'static str {
        match code {
            "accepted" => "Termini e informativa privacy accettati",
            "account-deleted" => "Account eliminato",
            _ => "Altro",
        }
    }
}

/// One entry of the audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: i64,
    pub action: String,
    pub terms_version: String,
    pub privacy_version: String,
}

fn pk(account_id: &AccountId) -> String {
    format!("{PREFIX}{account_id}")
}

pub fn record_op(
    account_id: &AccountId,
    action: Action,
    terms: &str,
    privacy: &str,
    now: i64,
) -> TxOp {
    TxOp::Put {
        key: Key::new(pk(account_id), super::access_log::ordered_sort_key(now)),
        item: Item::new()
            .with("action", action.code())
            .with("terms_version", terms)
            .with("privacy_version", privacy)
            .with("at", now)
            .with(schema::TTL_ATTRIBUTE, now + KEEP_SECS),
        cond: None,
    }
}

/// The audit of an account, oldest first (one Query).
pub async fn of_account(
    store: &dyn Store,
    account_id: &AccountId,
) -> Result<Vec<Entry>, StoreError> {
    Ok(store
        .query(&Query::new(pk(account_id), "", 200))
        .await?
        .into_iter()
        .map(|(_, i)| Entry {
            at: i.n("at").unwrap_or(0),
            action: i.s("action").unwrap_or_default().to_owned(),
            terms_version: i.s("terms_version").unwrap_or_default().to_owned(),
            privacy_version: i.s("privacy_version").unwrap_or_default().to_owned(),
        })
        .collect())
}

/// The versions in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InForce {
    pub terms_version: String,
    pub privacy_version: String,
    /// What changed, as ops wrote it when publishing.
    pub note: String,
}

impl Default for InForce {
    fn default() -> Self {
        InForce {
            terms_version: documents::TERMS_VERSION.to_owned(),
            privacy_version: documents::PRIVACY_VERSION.to_owned(),
            note: String::new(),
        }
    }
}

/// A document's version as published and shown (`2.0`, `2026-1`): 1 to 20 letters, digits,
/// dots and dashes. A consents page carries the versions it showed as such values, so the
/// acceptance records what the person read, never what is in force when the form arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(String);

impl Version {
    pub fn parse(raw: &str) -> Option<Version> {
        let raw = raw.trim();
        let ok = !raw.is_empty()
            && raw.len() <= 20
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        ok.then(|| Version(raw.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The versions a consents page showed (its hidden fields), parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub terms: Version,
    pub privacy: Version,
}

impl Shown {
    pub fn parse(terms: &str, privacy: &str) -> Option<Shown> {
        Some(Shown {
            terms: Version::parse(terms)?,
            privacy: Version::parse(privacy)?,
        })
    }
    /// True when these are the versions in force.
    pub fn are(&self, in_force: &InForce) -> bool {
        self.terms.as_str() == in_force.terms_version
            && self.privacy.as_str() == in_force.privacy_version
    }
    /// The transaction check that these are still the versions in force when the
    /// acceptance commits (a publication in between fails it).
    pub fn still_in_force_op(&self) -> TxOp {
        let mut either = vec![Cond::And(vec![
            Cond::eq("terms_version", self.terms.as_str()),
            Cond::eq("privacy_version", self.privacy.as_str()),
        ])];
        if self.are(&InForce::default()) {
            // Nothing published yet: the portal's own versions are in force.
            either.push(Cond::NotExists);
        }
        TxOp::Check {
            key: in_force_key(),
            cond: Cond::Or(either),
        }
    }
}

/// When the versions in force were published (epoch seconds), on their item.
const PUBLISHED_AT: &str = "published_at";
/// The help desk's count of publications (`portale-admin consensi pubblica`), on the item in
/// force and on each publication's audit record (`audit::Entry::revision`); none before
/// the first publication.
pub(crate) const REVISION: &str = "revision";
const PUBLISHED_BY: &str = "published_by";
const REASON: &str = "reason";

/// The item holding the versions in force (the session guard reads it with the session).
pub fn in_force_key() -> Key {
    Key::new(format!("{IN_FORCE_PREFIX}CURRENT"), "CURRENT")
}

pub fn in_force_from(item: Option<&Item>) -> InForce {
    let Some(i) = item else {
        return InForce::default();
    };
    let d = InForce::default();
    InForce {
        terms_version: i.s("terms_version").map_or(d.terms_version, str::to_owned),
        privacy_version: i
            .s("privacy_version")
            .map_or(d.privacy_version, str::to_owned),
        note: i.s("note").unwrap_or_default().to_owned(),
    }
}

/// The write publishing new versions (ops).
pub fn publish_op(in_force: &InForce, now: i64) -> TxOp {
    TxOp::Put {
        key: in_force_key(),
        item: Item::new()
            .with("terms_version", in_force.terms_version.as_str())
            .with("privacy_version", in_force.privacy_version.as_str())
            .with("note", in_force.note.as_str())
            .with(PUBLISHED_AT, now),
        cond: None,
    }
}

/// When the item in force `item` was published (none: the versions of `documents`).
pub fn published_at(item: Option<&Item>) -> Option<i64> {
    item.and_then(|i| i.n(PUBLISHED_AT))
}

/// The revision of the item in force `item` (0: none yet).
pub fn revision(item: Option<&Item>) -> i64 {
    item.and_then(|i| i.n(REVISION)).unwrap_or(0)
}

/// The condition that the item in force is still `read` (what a publication replaces): its
/// revision; for one written before revisions (or by `publish_op` alone), its time.
pub fn unchanged(read: Option<&Item>) -> Cond {
    match read {
        None => Cond::NotExists,
        Some(i) if i.n(REVISION).is_some() => Cond::eq(REVISION, revision(read)),
        Some(i) => Cond::And(vec![
            Cond::missing(REVISION),
            match i.n(PUBLISHED_AT) {
                Some(at) => Cond::eq(PUBLISHED_AT, at),
                None => Cond::missing(PUBLISHED_AT),
            },
        ]),
    }
}

/// Who published a revision, and why (the help desk's `consensi pubblica`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publisher<'a> {
    /// The AWS caller identity's ARN.
    pub operator: &'a str,
    /// What `--operatore` (else `$USER`) said; may be empty.
    pub note: &'a str,
    pub reason: &'a str,
}

/// The write publishing `in_force` as revision `revision` by `by`, if the item in force is
/// still `read` (`unchanged`).
pub fn publish_revision_op(
    in_force: &InForce,
    now: i64,
    revision: i64,
    by: Publisher<'_>,
    read: Option<&Item>,
) -> TxOp {
    let TxOp::Put { key, item, .. } = publish_op(in_force, now) else {
        unreachable!("publishing is a put")
    };
    let mut item = item
        .with(REVISION, revision)
        .with(PUBLISHED_BY, by.operator)
        .with(REASON, by.reason);
    if !by.note.is_empty() {
        item = item.with(super::audit::NOTE, by.note);
    }
    TxOp::Put {
        key,
        item,
        cond: Some(unchanged(read)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    fn acc() -> AccountId {
        AccountId::parse("acc").unwrap()
    }

    /// The registration's acceptance and a new version accepted in the same second come
    /// back in that order (a random suffix alone ordered them by chance).
    #[tokio::test]
    async fn entries_of_one_second_come_back_oldest_first() {
        let store = MemoryStore::default();
        for version in ["1.0", "2.0", "3.0", "4.0", "5.0", "6.0"] {
            let op = record_op(&acc(), Action::Accepted, version, "1.0", 1_000);
            store.transact(vec![op]).await.unwrap();
        }
        let versions: Vec<_> = of_account(&store, &acc())
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.terms_version)
            .collect();
        assert_eq!(versions, ["1.0", "2.0", "3.0", "4.0", "5.0", "6.0"]);
    }

    #[test]
    fn a_publication_replaces_exactly_what_it_read() {
        let published = Item::new()
            .with("terms_version", "2.0")
            .with(PUBLISHED_AT, 100i64);
        let with_revision = published.clone().with(REVISION, 3i64);
        // Nothing published yet: only if still nothing is.
        assert_eq!(unchanged(None), Cond::NotExists);
        assert!(!unchanged(None).holds(Some(&published)));
        // Revision 3: only if still revision 3.
        let c = unchanged(Some(&with_revision));
        assert!(c.holds(Some(&with_revision)));
        assert!(!c.holds(Some(&with_revision.clone().with(REVISION, 4i64))));
        assert!(!c.holds(None));
        // Published before revisions existed: only that publication (its time), unrevised.
        let c = unchanged(Some(&published));
        assert!(c.holds(Some(&published)));
        assert!(!c.holds(Some(&published.clone().with(PUBLISHED_AT, 101i64))));
        assert!(!c.holds(Some(&with_revision)));
    }
}
