//! Notifications. Request handlers never call SNS or SES themselves: what a step sends
//! leaves through the **outbox** (`Outbox::post`, one SQS `SendMessage` per call carrying
//! the step's whole batch of `Message`s), and the `send-messages` function consumes the
//! queue and delivers each message with the real `Notifier` (SMS through SNS `Publish`,
//! email through SES v2 `SendEmail`, `aws`). `QueuedNotifier` lets code written against
//! `Notifier` post through the outbox unchanged; `DirectOutbox` delivers at once (unit tests,
//! benchmarks, `App::in_memory`). Every text the user receives is in `messages`.

pub mod account_messages;
pub mod aws;
pub mod memory;
pub mod messages;
pub mod sqs;

use crate::domain::MobileNumber;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    #[error("notification service unavailable: {0}")]
    Unavailable(String),
}

/// What really sends: SNS + SES (`aws::AwsNotifier`) or a recorder (`memory`).
#[async_trait::async_trait]
pub trait Notifier: Send + Sync {
    async fn sms(&self, to: &MobileNumber, text: &str) -> Result<(), NotifyError>;
    async fn email(&self, msg: &EmailMessage) -> Result<(), NotifyError>;
}

/// One message of an outbox batch, as it travels in the queue (JSON, tagged by `kind`).
/// The number is its E.164 string and is parsed again (`MobileNumber::parse`) when read
/// back, so a batch with an invalid number cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    Sms {
        to: MobileNumber,
        text: String,
    },
    Email(EmailMessage),
    /// Posted where an SMS would have been for data that match no account: the request
    /// makes the same AWS calls whether or not the data typed are known (no timing or
    /// call-count oracle); the consumer drops it.
    Nothing,
}

/// The body of one queue message: the batch as a JSON array.
pub fn encode_batch(batch: &[Message]) -> String {
    serde_json::to_string(batch).expect("a batch of messages always serialises")
}

/// A body that is not a batch. Says only what kind of wrong it is: serde's text could
/// quote the body (numbers, addresses, codes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a batch of messages ({0})")]
pub struct DecodeError(&'static str);

/// A queue message's body back into its batch (an unknown kind or an invalid number fails).
pub fn decode_batch(body: &str) -> Result<Vec<Message>, DecodeError> {
    use serde_json::error::Category;
    serde_json::from_str(body).map_err(|e| {
        DecodeError(match e.classify() {
            Category::Io => "io",
            Category::Syntax => "syntax",
            Category::Data => "data",
            Category::Eof => "eof",
        })
    })
}

/// Where a step's messages go. **Exactly one** SQS `SendMessage` per call, whatever the
/// batch holds (an empty batch too): the calls a request makes never depend on its data.
#[async_trait::async_trait]
pub trait Outbox: Send + Sync {
    async fn post(&self, batch: Vec<Message>) -> Result<(), NotifyError>;
}

/// An outbox that delivers at once with a notifier (in-memory apps, unit tests, benchmarks).
pub struct DirectOutbox(pub Arc<dyn Notifier>);

#[async_trait::async_trait]
impl Outbox for DirectOutbox {
    async fn post(&self, batch: Vec<Message>) -> Result<(), NotifyError> {
        deliver(self.0.as_ref(), &batch)
            .await
            .map(|_| ())
            .map_err(|p| p.error)
    }
}

/// A `Notifier` that posts each message to an outbox as a one-message batch: in AWS mode
/// it is `App::notifier`, so every `app.notifier.sms(..)` goes through the queue.
pub struct QueuedNotifier(pub Arc<dyn Outbox>);

#[async_trait::async_trait]
impl Notifier for QueuedNotifier {
    async fn sms(&self, to: &MobileNumber, text: &str) -> Result<(), NotifyError> {
        self.0
            .post(vec![Message::Sms {
                to: to.clone(),
                text: text.to_owned(),
            }])
            .await
    }
    async fn email(&self, msg: &EmailMessage) -> Result<(), NotifyError> {
        self.0.post(vec![Message::Email(msg.clone())]).await
    }
}

/// What one batch became.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sms: usize,
    pub emails: usize,
    /// `Nothing` messages, dropped.
    pub dropped: usize,
}

/// A batch that stopped at a failed message: the first `delivered` went out (or were
/// dropped), the one after them failed with `error`, the rest were not tried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{delivered} of {total} messages delivered, then: {error}")]
pub struct PartialDelivery {
    pub delivered: usize,
    pub total: usize,
    pub error: NotifyError,
}

/// The consumer's use case (knows nothing of SQS or Lambda): sends each message of a
/// batch in order with `notifier`; `Nothing` is dropped.
///
/// **Partial failure.** The queue is at-least-once and a failed batch comes back whole
/// (the consumer reports it in `batchItemFailures`; SQS redelivers it after the visibility
/// timeout, up to 5 receives, then the DLQ). So `deliver` **stops at the first failure**:
/// the messages after it are not sent now, and a retry re-sends only those before it. Going
/// on past a failure would deliver them now *and again* at every retry. A batch is one
/// step's messages (one or two), so at worst a retry repeats one message the user already
/// has (the same code, still valid), never more than the messages before the failed one.
/// (Re-posting only the undelivered rest as a new queue message would avoid even that, but
/// it restarts the receive count: a message that can never be delivered would never reach
/// the DLQ, and the consumer would need `sqs:SendMessage` on its own queue.)
pub async fn deliver(
    notifier: &dyn Notifier,
    batch: &[Message],
) -> Result<Delivered, PartialDelivery> {
    use crate::metrics::{emit, Metric};
    let mut done = Delivered::default();
    for (i, m) in batch.iter().enumerate() {
        let (sent, (ok, failed)) = match m {
            Message::Sms { to, text } => (
                notifier.sms(to, text).await.map(|_| done.sms += 1),
                (Metric::SmsSent, Metric::SmsFailed),
            ),
            Message::Email(e) => (
                notifier.email(e).await.map(|_| done.emails += 1),
                (Metric::EmailSent, Metric::EmailFailed),
            ),
            Message::Nothing => {
                done.dropped += 1;
                continue;
            }
        };
        emit(if sent.is_ok() { ok } else { failed });
        if let Err(error) = sent {
            return Err(PartialDelivery {
                delivered: i,
                total: batch.len(),
                error,
            });
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::memory::{MemoryNotifier, Sent};
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    fn sms(n: &str, text: &str) -> Message {
        Message::Sms {
            to: MobileNumber::parse(n).unwrap(),
            text: text.into(),
        }
    }

    fn email(to: &str) -> EmailMessage {
        EmailMessage {
            to: to.into(),
            subject: "Oggetto".into(),
            text: "Testo".into(),
            html: "<p>Testo</p>".into(),
        }
    }

    #[tokio::test]
    async fn deliver_sends_both_kinds_in_order_and_drops_nothing() {
        let n = MemoryNotifier::default();
        let batch = vec![
            sms("+393331234567", "codice 123456"),
            Message::Nothing,
            Message::Email(email("a@example.it")),
        ];
        let done = deliver(&n, &batch).await.unwrap();
        assert_eq!(
            done,
            Delivered {
                sms: 1,
                emails: 1,
                dropped: 1
            }
        );
        assert_eq!(
            n.take(),
            vec![
                Sent::Sms {
                    to: "+393331234567".into(),
                    text: "codice 123456".into()
                },
                Sent::Email(email("a@example.it")),
            ]
        );
        // A batch of Nothing sends nothing at all.
        let done = deliver(&n, &[Message::Nothing, Message::Nothing])
            .await
            .unwrap();
        assert_eq!(done.dropped, 2);
        assert!(n.take().is_empty());
    }

    /// Fails the `fail_at`-th call (0-based), records the others.
    struct FailsOnce {
        calls: AtomicUsize,
        fail_at: usize,
        sent: Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl Notifier for FailsOnce {
        async fn sms(&self, to: &MobileNumber, _: &str) -> Result<(), NotifyError> {
            self.note(to.e164())
        }
        async fn email(&self, msg: &EmailMessage) -> Result<(), NotifyError> {
            self.note(&msg.to)
        }
    }

    impl FailsOnce {
        fn note(&self, who: &str) -> Result<(), NotifyError> {
            if self.calls.fetch_add(1, Ordering::SeqCst) == self.fail_at {
                return Err(NotifyError::Unavailable("Throttling".into()));
            }
            self.sent.lock().unwrap().push(who.to_owned());
            Ok(())
        }
    }

    #[tokio::test]
    async fn deliver_stops_at_the_first_failure() {
        let n = FailsOnce {
            calls: AtomicUsize::new(0),
            fail_at: 1,
            sent: Mutex::default(),
        };
        let batch = vec![
            sms("+393331234567", "uno"),
            Message::Email(email("b@example.it")),
            sms("+393337654321", "tre"),
        ];
        let err = deliver(&n, &batch).await.unwrap_err();
        assert_eq!(
            err,
            PartialDelivery {
                delivered: 1,
                total: 3,
                error: NotifyError::Unavailable("Throttling".into())
            }
        );
        // The message after the failed one was not tried: a retry of the batch repeats
        // only the first.
        assert_eq!(*n.sent.lock().unwrap(), vec!["+393331234567".to_owned()]);
    }

    #[tokio::test]
    async fn deliver_counts_what_was_sent_and_what_failed() {
        use crate::metrics::{scoped, Metric, Tally};
        let n = FailsOnce {
            calls: AtomicUsize::new(0),
            fail_at: 1,
            sent: Mutex::default(),
        };
        let batch = vec![
            sms("+393331234567", "uno"),
            Message::Nothing,
            Message::Email(email("b@example.it")),
        ];
        let tally = Arc::new(Tally::default());
        assert!(scoped(tally.clone(), deliver(&n, &batch)).await.is_err());
        let counts = tally.counts();
        assert_eq!(counts.get(&Metric::SmsSent), Some(&1));
        assert_eq!(counts.get(&Metric::EmailFailed), Some(&1));
        assert_eq!(counts.len(), 2, "Nothing counts nothing: {counts:?}");
    }

    #[test]
    fn a_batch_round_trips_through_json() {
        let batch = vec![
            sms("333 123 4567", "Usa il codice temporaneo 123456"),
            Message::Email(email("c@example.it")),
            Message::Nothing,
        ];
        let body = encode_batch(&batch);
        assert!(
            body.contains(r#""kind":"sms","to":"+393331234567""#),
            "{body}"
        );
        assert!(body.contains(r#"{"kind":"nothing"}"#), "{body}");
        assert_eq!(decode_batch(&body).unwrap(), batch);
        assert_eq!(decode_batch("[]").unwrap(), vec![]);
    }

    #[test]
    fn an_invalid_number_cannot_be_decoded() {
        for to in ["+441234567890", "+390612345678", "not a number", ""] {
            let body = format!(r#"[{{"kind":"sms","to":"{to}","text":"x"}}]"#);
            assert!(decode_batch(&body).is_err(), "{to} was accepted");
        }
        assert!(decode_batch(r#"[{"kind":"fax","to":"x"}]"#).is_err());
        assert!(
            decode_batch(r#"{"kind":"nothing"}"#).is_err(),
            "not a batch"
        );
    }

    #[tokio::test]
    async fn queued_notifier_posts_one_message_batches() {
        #[derive(Default)]
        struct Recorder(Mutex<Vec<Vec<Message>>>);
        #[async_trait::async_trait]
        impl Outbox for Recorder {
            async fn post(&self, batch: Vec<Message>) -> Result<(), NotifyError> {
                self.0.lock().unwrap().push(batch);
                Ok(())
            }
        }
        let outbox = Arc::new(Recorder::default());
        let q = QueuedNotifier(outbox.clone());
        let to = MobileNumber::parse("+393331234567").unwrap();
        q.sms(&to, "ciao").await.unwrap();
        q.email(&email("d@example.it")).await.unwrap();
        assert_eq!(
            *outbox.0.lock().unwrap(),
            vec![
                vec![sms("+393331234567", "ciao")],
                vec![Message::Email(email("d@example.it"))]
            ]
        );
    }

    #[tokio::test]
    async fn direct_outbox_delivers_at_once() {
        let n = Arc::new(MemoryNotifier::default());
        let o = DirectOutbox(n.clone());
        o.post(vec![sms("+393331234567", "x"), Message::Nothing])
            .await
            .unwrap();
        assert_eq!(n.take().len(), 1);
    }
}
