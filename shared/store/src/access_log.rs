//! An account's access history (the private area's "Accessi recenti"): one item per
//! login event in the account's own partition (`ACCESS#<account>`, sort key the time and
//! a random suffix), kept 12 months by TTL. Written in the transaction of the login step
//! that decided it, so an event is there exactly when the step happened.

use super::{schema, AccountId, Item, Key, Query, Store, StoreError, TxOp};
use domain::crypto;

/// The partition-key prefix of an account's access history.
pub const PREFIX: &str = "ACCESS#";

/// How long an event is kept.
pub const KEEP_SECS: i64 = 365 * 24 * 3600;
/// How many events the private area shows.
pub const SHOWN: usize = 20;

/// What happened at a login attempt, as the history says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    PasswordWrong,
    CodeSent,
    Completed,
    Locked,
    /// A login completed with a passkey (no password, no SMS).
    PasskeyLogin,
    /// A passkey was created from the private area (issue 24).
    PasskeyAdded,
    /// A passkey was removed by its owner.
    PasskeyRemoved,
    /// A passkey was removed by the help desk (`portale-admin account passkeys --rimuovi`).
    PasskeyRemovedByHelpDesk,
}

impl Event {
    fn code(self) -> &'static str {
        match self {
            Event::PasswordWrong => "password-wrong",
            Event::CodeSent => "code-sent",
            Event::Completed => "completed",
            Event::Locked => "locked",
            Event::PasskeyLogin => "passkey-login",
            Event::PasskeyAdded => "passkey-added",
            Event::PasskeyRemoved => "passkey-removed",
            Event::PasskeyRemovedByHelpDesk => "passkey-removed-help-desk",
        }
    }
    fn parse(s: &str) -> Option<Event> {
        Some(match s {
            "password-wrong" => Event::PasswordWrong,
            "code-sent" => Event::CodeSent,
            "completed" => Event::Completed,
            "locked" => Event::Locked,
            "passkey-login" => Event::PasskeyLogin,
            "passkey-added" => Event::PasskeyAdded,
            "passkey-removed" => Event::PasskeyRemoved,
            "passkey-removed-help-desk" => Event::PasskeyRemovedByHelpDesk,
            _ => return None,
        })
    }
    /// The outcome as the page shows it.
    pub fn label(self) -> &'static str {
        match self {
            Event::PasswordWrong => "Password errata",
            Event::CodeSent => "Password corretta, codice SMS inviato",
            Event::Completed => "Accesso completato",
            Event::Locked => "Accesso bloccato per troppi tentativi",
            Event::PasskeyLogin => "Accesso completato con una passkey",
            Event::PasskeyAdded => "Passkey aggiunta",
            Event::PasskeyRemoved => "Passkey rimossa",
            Event::PasskeyRemovedByHelpDesk => "Passkey rimossa dall'assistenza",
        }
    }
    /// True for the events a person may not recognise as theirs.
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            Event::PasswordWrong
                | Event::Locked
                | Event::PasskeyAdded
                | Event::PasskeyRemoved
                | Event::PasskeyRemovedByHelpDesk
        )
    }
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub at: i64,
    pub event: Event,
    pub user_agent: String,
}

fn pk(account_id: &AccountId) -> String {
    format!("{PREFIX}{account_id}")
}

/// A sort key that orders a partition's records by time, also within one second: the
/// zero-padded time first; then the wall clock's nanoseconds, so that two steps of the same
/// second (the code sent, then the login completed; the registration's consent, then a new
/// version accepted) keep their order; a random suffix keeps simultaneous ones apart.
pub(super) fn ordered_sort_key(now: i64) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let suffix = &crypto::random_token()[..6];
    format!("{now:012}#{nanos:020}#{suffix}")
}

/// The write recording `event` for `account_id` now.
pub fn record_op(account_id: &AccountId, event: Event, user_agent: &str, now: i64) -> TxOp {
    TxOp::Put {
        key: Key::new(pk(account_id), ordered_sort_key(now)),
        item: Item::new()
            .with("event", event.code())
            .with("user_agent", super::sessions::bounded_agent(user_agent))
            .with("at", now)
            .with(schema::TTL_ATTRIBUTE, now + KEEP_SECS),
        cond: None,
    }
}

/// Every event of an account, as keys (what its deletion erases).
pub async fn all(store: &dyn Store, account_id: &AccountId) -> Result<Vec<Key>, StoreError> {
    Ok(super::sessions::query_all(store, &pk(account_id))
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .collect())
}

/// The latest events of an account, newest first (one Query).
pub async fn recent(
    store: &dyn Store,
    account_id: &AccountId,
    limit: usize,
    now: i64,
) -> Result<Vec<Recorded>, StoreError> {
    let q = Query::new(pk(account_id), "", limit).newest_first();
    Ok(store
        .query(&q)
        .await?
        .into_iter()
        .filter(|(_, i)| !i.is_expired(now))
        .filter_map(|(_, i)| {
            Some(Recorded {
                at: i.n("at")?,
                event: Event::parse(i.s("event")?)?,
                user_agent: i.s("user_agent").unwrap_or_default().to_owned(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    fn id(s: &str) -> AccountId {
        AccountId::parse(s).unwrap()
    }

    /// Every event is read back as written, and says itself apart from the others.
    #[test]
    fn each_event_reads_back_as_itself() {
        use Event::*;
        let all = [
            PasswordWrong,
            CodeSent,
            Completed,
            Locked,
            PasskeyLogin,
            PasskeyAdded,
            PasskeyRemoved,
            PasskeyRemovedByHelpDesk,
        ];
        for e in all {
            assert_eq!(Event::parse(e.code()), Some(e));
        }
        let labels: std::collections::BTreeSet<_> = all.iter().map(|e| e.label()).collect();
        assert_eq!(labels.len(), all.len());
    }

    #[tokio::test]
    async fn newest_first_bounded_and_expired_ones_hidden() {
        let s = MemoryStore::new();
        let ops = (0..25)
            .map(|i| record_op(&id("a"), Event::PasswordWrong, "UA", 1_000 + i))
            .chain([record_op(&id("a"), Event::Completed, "UA", 2_000)])
            .chain([record_op(&id("b"), Event::Locked, "UA", 3_000)])
            .collect();
        s.transact(ops).await.unwrap();
        let got = recent(&s, &id("a"), SHOWN, 2_001).await.unwrap();
        assert_eq!(got.len(), SHOWN);
        assert_eq!(got[0].event, Event::Completed);
        assert_eq!(got[1].at, 1_024);
        assert!(recent(&s, &id("a"), SHOWN, 1_000 + KEEP_SECS + 2_000)
            .await
            .unwrap()
            .is_empty());
    }
}
