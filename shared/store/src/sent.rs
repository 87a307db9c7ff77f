//! The outbox's delivery records: one item per message id (`SENT#<id>`, sort key `SENT`),
//! written only by the queue's consumer (`notify::once`), so that a message that comes back
//! — its batch retried after another message of it failed, the same SQS message delivered
//! twice, a redrive from the dead-letter queue — is not sent again. The item holds the
//! delivery's state and times, never the message (no number, address or text).
//!
//! **Claim, send, mark — with a lease.** Before sending, the consumer *claims* the id: a
//! conditional put (`state = sending`, a random `holder`, `lease_until = now + LEASE_SECS`)
//! that holds only if there is no record, or a `sending` one whose lease is over. Then it
//! sends, then *marks* the record `sent` (conditioned on still being its holder); if the
//! provider refused the message it *releases* the claim (deletes it, same condition) so the
//! retry sends it. A claim that finds `sent` skips the message (a duplicate); one that
//! finds a live lease leaves the record for a later retry (another consumer is sending it
//! right now: both SQS copies of one message, received at once).
//!
//! Why this and not "send, then mark" (one write fewer): with a mark only after the send,
//! two receives of one message at the same moment (SQS at-least-once, or one body posted
//! twice) both find no record and both send; the claim lets exactly one of them send. And
//! why a lease, not a permanent claim (at-most-once, one write fewer too): a consumer that
//! dies between its claim and its mark (a Lambda timeout, a crash) would leave the message
//! claimed and never sent; with the lease, the next receive (after the queue's visibility
//! timeout, 60 s > `LEASE_SECS` > the function's 10 s timeout) sends it. So SMS codes are
//! **at-least-once until they expire, and exactly once unless the consumer dies between
//! the provider's answer and the mark**: a lost code is worse for the person waiting on
//! the code page (and the resend counts against their daily SMS cap) than the rare second
//! copy of the same, still valid code; a code past its expiry is never sent (`notify::once`).

use super::{schema, Cond, Item, Key, Store, StoreError, Update};
use serde::{Deserialize, Serialize};

/// The partition-key prefix of the outbox's delivery records (one per message id).
pub const PREFIX: &str = "SENT#";

/// How long a claim holds before another receive may take the message over: above the
/// function's timeout (10 s: a live consumer is done by then), below the queue's visibility
/// timeout (60 s: the retry after a crash finds the lease over). The template check
/// (`tests/tests/api/outbox_once.rs`) keeps the three in this order.
pub const LEASE_SECS: i64 = 30;

/// How long the record of a message that does not expire is kept: longer than a message can
/// stay in the queues (4 days in the outbox queue, 14 in the dead-letter queue, counted from
/// its first enqueue). A time-bound message's record lives until its expiry, after which the
/// message is dropped without a look at the record.
pub const KEEP_SECS: i64 = 15 * 24 * 3600;

/// The id of one posted message, drawn when it is posted (`encode_batch`): 256 random bits,
/// base64url. The consumer records its delivery under it (`store::sent`), so a message that
/// comes back (a retried batch, a duplicate SQS delivery, a redrive) is not sent again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageId(String);

impl MessageId {
    pub fn draw() -> Self {
        MessageId(domain::crypto::random_token())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MessageId {
    type Error = &'static str;
    /// What `draw` makes, and nothing else: it goes into a table key.
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let ok = s.len() == 43
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then_some(MessageId(s)).ok_or("not a message id")
    }
}

impl From<MessageId> for String {
    fn from(id: MessageId) -> String {
        id.0
    }
}

const SENDING: &str = "sending";
const SENT: &str = "sent";

pub fn key(id: &MessageId) -> Key {
    Key::new(format!("{PREFIX}{}", id.as_str()), "SENT")
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The message is ours to send; `holder` marks or releases it.
    Ours { holder: String },
    /// Already delivered.
    Sent,
    /// Another receive holds a live lease on it (or released it a moment ago): try later.
    Busy,
}

/// Claims message `id` for sending at `now` (see the module's comment). `expires_at` is the
/// message's own expiry, if it has one: its record is kept until then.
pub async fn claim(
    store: &dyn Store,
    id: &MessageId,
    expires_at: Option<i64>,
    now: i64,
) -> Result<Claim, StoreError> {
    let holder = domain::crypto::random_token();
    let keep_until = expires_at.map_or(now + KEEP_SECS, |e| e.max(now + LEASE_SECS));
    let item = Item::new()
        .with("state", SENDING)
        .with("holder", holder.as_str())
        .with("lease_until", now + LEASE_SECS)
        .with(schema::TTL_ATTRIBUTE, keep_until);
    let free = Cond::Or(vec![
        Cond::NotExists,
        Cond::And(vec![
            Cond::eq("state", SENDING),
            Cond::lt("lease_until", now + 1),
        ]),
    ]);
    match store.put(&key(id), item, Some(free)).await {
        Ok(()) => Ok(Claim::Ours { holder }),
        Err(StoreError::ConditionFailed) => {
            let found = store.get(&key(id)).await?;
            Ok(match found.as_ref().and_then(|i| i.s("state")) {
                Some(SENT) => Claim::Sent,
                _ => Claim::Busy,
            })
        }
        Err(e) => Err(e),
    }
}

/// The message `holder` claimed went out: its record says so for good (until its TTL).
pub async fn mark_sent(
    store: &dyn Store,
    id: &MessageId,
    holder: &str,
    now: i64,
) -> Result<(), StoreError> {
    let update = Update::new()
        .set("state", SENT)
        .set("sent_at", now)
        .remove("lease_until")
        .remove("holder");
    store
        .update(&key(id), update, Some(Cond::eq("holder", holder)))
        .await
        .map(|_| ())
}

/// The provider refused the message `holder` claimed: the claim goes, the retry sends it.
pub async fn release(store: &dyn Store, id: &MessageId, holder: &str) -> Result<(), StoreError> {
    store
        .delete(&key(id), Some(Cond::eq("holder", holder)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    #[tokio::test]
    async fn one_claim_wins_then_sent_is_final() {
        let s = MemoryStore::new();
        let id = MessageId::draw();
        let Claim::Ours { holder } = claim(&s, &id, None, 100).await.unwrap() else {
            panic!("the first claim is ours")
        };
        // Another receive while the lease runs: busy, not sent.
        assert_eq!(claim(&s, &id, None, 101).await.unwrap(), Claim::Busy);
        mark_sent(&s, &id, &holder, 102).await.unwrap();
        // Sent is final, whatever time it is (until its TTL).
        assert_eq!(claim(&s, &id, None, 103).await.unwrap(), Claim::Sent);
        assert_eq!(
            claim(&s, &id, None, 102 + LEASE_SECS * 10).await.unwrap(),
            Claim::Sent
        );
        let item = s.get(&key(&id)).await.unwrap().unwrap();
        assert_eq!(item.s("state"), Some("sent"));
        assert_eq!(item.n(schema::TTL_ATTRIBUTE), Some(100 + KEEP_SECS));
        assert!(item.s("holder").is_none());
    }

    #[tokio::test]
    async fn a_released_or_abandoned_claim_can_be_taken_again() {
        let s = MemoryStore::new();
        let id = MessageId::draw();
        let Claim::Ours { holder } = claim(&s, &id, Some(400), 100).await.unwrap() else {
            panic!("ours")
        };
        assert_eq!(
            s.get(&key(&id))
                .await
                .unwrap()
                .unwrap()
                .n(schema::TTL_ATTRIBUTE),
            Some(400),
            "a time-bound message's record lives until its expiry"
        );
        release(&s, &id, &holder).await.unwrap();
        let Claim::Ours { holder: second } = claim(&s, &id, None, 101).await.unwrap() else {
            panic!("a released message is claimed again")
        };
        // The consumer holding it dies: after the lease, another takes it over, and the
        // first one's late mark or release changes nothing.
        let Claim::Ours { holder: third } = claim(&s, &id, None, 101 + LEASE_SECS).await.unwrap()
        else {
            panic!("an abandoned claim is taken over after its lease")
        };
        assert_eq!(
            mark_sent(&s, &id, &second, 200).await,
            Err(StoreError::ConditionFailed)
        );
        assert_eq!(
            release(&s, &id, &second).await,
            Err(StoreError::ConditionFailed)
        );
        mark_sent(&s, &id, &third, 200).await.unwrap();
        assert_eq!(claim(&s, &id, None, 201).await.unwrap(), Claim::Sent);
    }
}
