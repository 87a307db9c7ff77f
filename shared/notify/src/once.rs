//! The queue consumer's delivery (`send-messages`, the local gateway's poller): each message
//! of a batch is sent **once**, whatever comes back. SQS is at-least-once and a record the
//! consumer reports as failed comes back whole; so each message is looked at on its own:
//!
//! - `Nothing` is dropped;
//! - a message past its expiry (`Message::expires_at`: an SMS code, an email whose link
//!   expires) is dropped, logged by id and kind only, and counted (`OutboxExpiredDropped`):
//!   a batch redriven from the dead-letter queue days later sends no dead code;
//! - any other is claimed in the table, sent, and marked sent (`store::sent`, which says why
//!   claim-then-send with a lease); a message already marked is skipped and counted
//!   (`OutboxDuplicateSkipped`).
//!
//! A failed message does not stop the others (each has its own record, so going on sends
//! nothing twice): the batch is "not all delivered", and its retry sends only what failed.

use super::{Delivered, Message, Notifier, NotifyError, Posted};
use metrics::{emit, Metric};
use store::sent::{self, Claim};
use store::Store;

/// A batch whose retry has something left to send: `failed` of its `total` messages were
/// not delivered (the provider refused them, another receive holds them, or their record
/// could not be written); `done` says what became of the others.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{failed} of {total} messages not delivered (first: {first})")]
pub struct NotAllDelivered {
    pub done: Delivered,
    pub failed: usize,
    pub total: usize,
    pub first: String,
}

/// What became of one message.
enum Fate {
    Sms,
    Email,
    Dropped,
    Expired,
    Duplicate,
    Failed(String),
}

/// Delivers `batch` at `now` with `notifier`, recording each delivery in `store`.
pub async fn deliver_once(
    notifier: &dyn Notifier,
    store: &dyn Store,
    now: i64,
    batch: &[Posted],
) -> Result<Delivered, NotAllDelivered> {
    let mut done = Delivered::default();
    let (mut failed, mut first) = (0, None);
    for p in batch {
        match one(notifier, store, now, p).await {
            Fate::Sms => done.sms += 1,
            Fate::Email => done.emails += 1,
            Fate::Dropped => done.dropped += 1,
            Fate::Expired => done.expired += 1,
            Fate::Duplicate => done.duplicates += 1,
            Fate::Failed(why) => {
                failed += 1;
                first.get_or_insert(why);
            }
        }
    }
    match first {
        None => Ok(done),
        Some(first) => Err(NotAllDelivered {
            done,
            failed,
            total: batch.len(),
            first,
        }),
    }
}

async fn one(notifier: &dyn Notifier, store: &dyn Store, now: i64, p: &Posted) -> Fate {
    let (id, kind) = (p.id.as_str(), p.message.kind());
    if p.message == Message::Nothing {
        return Fate::Dropped;
    }
    let expires_at = p.message.expires_at();
    if let Some(at) = expires_at.filter(|at| *at <= now) {
        emit(Metric::OutboxExpiredDropped);
        tracing::warn!(
            message = id,
            kind,
            expired_secs_ago = now - at,
            "outbox message past its expiry, not sent"
        );
        return Fate::Expired;
    }
    let holder = match sent::claim(store, &p.id, expires_at, now).await {
        Ok(Claim::Ours { holder }) => holder,
        Ok(Claim::Sent) => {
            emit(Metric::OutboxDuplicateSkipped);
            tracing::info!(message = id, kind, "outbox message already sent, skipped");
            return Fate::Duplicate;
        }
        Ok(Claim::Busy) => {
            tracing::info!(
                message = id,
                kind,
                "outbox message being sent by another receive"
            );
            return Fate::Failed("being sent by another receive".into());
        }
        Err(e) => {
            // Not sent without a claim: it could be sent twice.
            tracing::warn!(message = id, kind, error = %e, "outbox message not claimed");
            return Fate::Failed(e.to_string());
        }
    };
    let (sent, fate, (ok, ko)) = match &p.message {
        Message::Sms { to, text, .. } => (
            notifier.sms(to, text).await,
            Fate::Sms,
            (Metric::SmsSent, Metric::SmsFailed),
        ),
        Message::Email(e) => (
            notifier.email(e).await,
            Fate::Email,
            (Metric::EmailSent, Metric::EmailFailed),
        ),
        Message::Nothing => unreachable!("dropped above"),
    };
    match sent {
        Ok(()) => {
            emit(ok);
            if let Err(e) = sent::mark_sent(store, &p.id, &holder, now).await {
                // It went out: the batch is done. Only a copy of it arriving after the lease
                // (LEASE_SECS) would find the record unmarked and send it again.
                tracing::warn!(message = id, kind, error = %e, "outbox message sent, not marked");
            }
            fate
        }
        Err(NotifyError::Unavailable(why)) => {
            emit(ko);
            if let Err(e) = sent::release(store, &p.id, &holder).await {
                // Its lease ends before the retry (the visibility timeout) all the same.
                tracing::warn!(message = id, kind, error = %e, "outbox claim not released");
            }
            Fate::Failed(why)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{MemoryNotifier, Sent};
    use crate::{decode_batch, encode_batch, EmailMessage};
    use domain::MobileNumber;
    use metrics::{scoped, Tally};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use store::memory::MemoryStore;

    fn sms(text: &str, expires_at: Option<i64>) -> Message {
        Message::Sms {
            to: MobileNumber::parse("+393331234567").unwrap(),
            text: text.into(),
            expires_at,
        }
    }

    fn email(expires_at: Option<i64>) -> Message {
        Message::Email(EmailMessage {
            to: "a@example.it".into(),
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
            expires_at,
        })
    }

    /// Fails the next `emails` email sends.
    struct FlakyEmail {
        inner: MemoryNotifier,
        emails: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl Notifier for FlakyEmail {
        async fn sms(&self, to: &MobileNumber, text: &str) -> Result<(), NotifyError> {
            self.inner.sms(to, text).await
        }
        async fn email(&self, m: &EmailMessage) -> Result<(), NotifyError> {
            let fail = self
                .emails
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if fail {
                return Err(NotifyError::Unavailable("MessageRejected".into()));
            }
            self.inner.email(m).await
        }
    }

    #[tokio::test]
    async fn a_retry_sends_only_what_failed() {
        let n = FlakyEmail {
            inner: MemoryNotifier::default(),
            emails: AtomicUsize::new(1),
        };
        let store = MemoryStore::new();
        let batch =
            decode_batch(&encode_batch(&[sms("codice", Some(1_000)), email(None)])).unwrap();
        let tally = Arc::new(Tally::default());
        let first = scoped(tally.clone(), deliver_once(&n, &store, 500, &batch)).await;
        let err = first.unwrap_err();
        assert_eq!((err.failed, err.total, err.done.sms), (1, 2, 1));
        assert_eq!(n.inner.take().len(), 1, "the SMS went, the email failed");
        let again = scoped(tally.clone(), deliver_once(&n, &store, 560, &batch))
            .await
            .unwrap();
        assert_eq!((again.emails, again.duplicates, again.sms), (1, 1, 0));
        assert!(matches!(&n.inner.take()[..], [Sent::Email(_)]));
        // A third delivery of the same record sends nothing at all.
        let third = deliver_once(&n, &store, 561, &batch).await.unwrap();
        assert_eq!(third.duplicates, 2);
        assert!(n.inner.take().is_empty());
        let c = tally.counts();
        assert_eq!(c.get(&Metric::SmsSent), Some(&1));
        assert_eq!(c.get(&Metric::EmailFailed), Some(&1));
        assert_eq!(c.get(&Metric::EmailSent), Some(&1));
        assert_eq!(c.get(&Metric::OutboxDuplicateSkipped), Some(&1));
    }

    #[tokio::test]
    async fn a_failure_does_not_stop_the_messages_after_it() {
        let n = FlakyEmail {
            inner: MemoryNotifier::default(),
            emails: AtomicUsize::new(1),
        };
        let store = MemoryStore::new();
        let batch = decode_batch(&encode_batch(&[email(None), sms("dopo", None)])).unwrap();
        let err = deliver_once(&n, &store, 0, &batch).await.unwrap_err();
        assert_eq!((err.failed, err.done.sms), (1, 1));
        assert_eq!(err.first, "MessageRejected");
        assert!(matches!(&n.inner.take()[..], [Sent::Sms { .. }]));
    }

    #[tokio::test]
    async fn past_its_expiry_a_message_is_dropped_and_counted_without_a_write() {
        let n = MemoryNotifier::default();
        let store = MemoryStore::new();
        let batch = decode_batch(&encode_batch(&[
            sms("codice scaduto", Some(1_000)),
            email(Some(999)),
            sms("username", None),
            Message::Nothing,
        ]))
        .unwrap();
        let tally = Arc::new(Tally::default());
        let done = scoped(tally.clone(), deliver_once(&n, &store, 1_000, &batch))
            .await
            .unwrap();
        assert_eq!((done.expired, done.sms, done.dropped), (2, 1, 1));
        assert_eq!(
            n.take(),
            vec![Sent::Sms {
                to: "+393331234567".into(),
                text: "username".into()
            }]
        );
        assert_eq!(tally.get(Metric::OutboxExpiredDropped), 2);
        // One record: the SMS that went; none for the dropped ones.
        assert_eq!(store.dump().len(), 1);
    }

    #[tokio::test]
    async fn no_record_no_send() {
        use store::{Cond, Item, Key, Query, StoreError, TxOp, Update};
        fn down<T>() -> Result<T, StoreError> {
            Err(StoreError::Unavailable("down".into()))
        }
        struct Down;
        #[async_trait::async_trait]
        impl Store for Down {
            async fn get(&self, _: &Key) -> Result<Option<Item>, StoreError> {
                down()
            }
            async fn batch_get(&self, _: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
                down()
            }
            async fn put(&self, _: &Key, _: Item, _: Option<Cond>) -> Result<(), StoreError> {
                down()
            }
            async fn update(
                &self,
                _: &Key,
                _: Update,
                _: Option<Cond>,
            ) -> Result<Item, StoreError> {
                down()
            }
            async fn delete(&self, _: &Key, _: Option<Cond>) -> Result<(), StoreError> {
                down()
            }
            async fn take(&self, _: &Key) -> Result<Option<Item>, StoreError> {
                down()
            }
            async fn transact(&self, _: Vec<TxOp>) -> Result<(), StoreError> {
                down()
            }
            async fn query(&self, _: &Query) -> Result<Vec<(Key, Item)>, StoreError> {
                down()
            }
        }
        let n = MemoryNotifier::default();
        let batch = decode_batch(&encode_batch(&[sms("codice", None)])).unwrap();
        let err = deliver_once(&n, &Down, 0, &batch).await.unwrap_err();
        assert_eq!(err.failed, 1);
        assert!(n.take().is_empty(), "sent without a record of it");
    }
}
