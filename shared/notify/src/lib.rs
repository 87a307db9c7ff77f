//! Notifications. Request handlers never call SNS or SES themselves: what a step sends
//! leaves through the **outbox** (`Outbox::post`, one SQS `SendMessage` per call carrying
//! the step's whole batch of `Message`s, `sqs`), and the `send-messages` function consumes
//! the queue and delivers each message once (`once::deliver_once`) with a `Notifier`: the
//! real one (SMS through SNS `Publish`, email through SES v2 `SendEmail`) is the `deliver`
//! crate, linked by the consumers only. `DirectOutbox` delivers at once to a `Notifier`
//! (unit tests, benchmarks, `App::in_memory`'s recorder, `memory`). Every text the user
//! receives is in `messages`.
pub mod account_messages;
pub mod memory;
pub mod messages;
pub mod once;
pub mod retention;
pub mod sender;
pub mod sqs;

use domain::MobileNumber;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// When the link it carries stops working (epoch seconds), for the emails whose point is
    /// a link that expires (`valid_until`); `None` for the others (notices, summaries),
    /// which are worth delivering however late. The consumer drops an email past it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl EmailMessage {
    /// This email is about a link that works until `expires_at` (its token's TTL).
    pub fn valid_until(mut self, expires_at: i64) -> Self {
        self.expires_at = Some(expires_at);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    #[error("notification service unavailable: {0}")]
    Unavailable(String),
}

/// What really sends: SNS + SES (`deliver::AwsNotifier`) or a recorder (`memory`).
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
        /// When the code it carries expires (epoch seconds: `otp::expiry` of the code's
        /// issue); `None` for an SMS that is no code (the username). The consumer drops an
        /// SMS past it: a redrive from the dead-letter queue never sends a dead code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<i64>,
    },
    Email(EmailMessage),
    /// Posted where an SMS would have been for data that match no account: the request
    /// makes the same AWS calls whether or not the data typed are known (no timing or
    /// call-count oracle); the consumer drops it.
    Nothing,
}

impl Message {
    /// When what it carries stops working (a code, a link); `None`: it is not time-bound.
    pub fn expires_at(&self) -> Option<i64> {
        match self {
            Message::Sms { expires_at, .. } => *expires_at,
            Message::Email(e) => e.expires_at,
            Message::Nothing => None,
        }
    }

    /// What the logs say of it (never its content).
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Sms { .. } => "sms",
            Message::Email(_) => "email",
            Message::Nothing => "nothing",
        }
    }
}

pub use sender::SmsSender;
pub use store::sent::MessageId;

/// One message as it travels in the queue: its id, then the message's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    pub id: MessageId,
    #[serde(flatten)]
    pub message: Message,
}

/// The body of one queue message: the batch as a JSON array, each message with an id drawn
/// now (`Posted`). Two posts of the same messages are two batches (two codes asked twice
/// are sent twice); one body delivered twice is one.
pub fn encode_batch(batch: &[Message]) -> String {
    let posted: Vec<Posted> = batch
        .iter()
        .map(|m| Posted {
            id: MessageId::draw(),
            message: m.clone(),
        })
        .collect();
    serde_json::to_string(&posted).expect("a batch of messages always serialises")
}

/// A body that is not a batch. Says only what kind of wrong it is: serde's text could
/// quote the body (numbers, addresses, codes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a batch of messages ({0})")]
pub struct DecodeError(&'static str);

/// A queue message's body back into its batch (an unknown kind, an invalid number or a
/// missing id fails).
pub fn decode_batch(body: &str) -> Result<Vec<Posted>, DecodeError> {
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

/// What one batch became.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sms: usize,
    pub emails: usize,
    /// `Nothing` messages, dropped.
    pub dropped: usize,
    /// Messages past their expiry, not sent (`once::deliver_once`).
    pub expired: usize,
    /// Messages already delivered by an earlier receive, not sent again (`once::deliver_once`).
    pub duplicates: usize,
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

/// Sends each message of a batch in order with `notifier`, **at once and without a record**;
/// `Nothing` is dropped. It stops at the first failure, which the caller sees: this is the
/// in-memory outbox's delivery (`DirectOutbox`: unit tests, benchmarks), where the step
/// itself gets the error. The queue's consumer delivers with `once::deliver_once`, which
/// records each message it sends and skips what was sent or has expired.
pub async fn deliver(
    notifier: &dyn Notifier,
    batch: &[Message],
) -> Result<Delivered, PartialDelivery> {
    use metrics::{emit, Metric};
    let mut done = Delivered::default();
    for (i, m) in batch.iter().enumerate() {
        let (sent, (ok, failed)) = match m {
            Message::Sms { to, text, .. } => (
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
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    fn sms(n: &str, text: &str) -> Message {
        Message::Sms {
            to: MobileNumber::parse(n).unwrap(),
            text: text.into(),
            expires_at: None,
        }
    }

    fn email(to: &str) -> EmailMessage {
        EmailMessage {
            to: to.into(),
            subject: "Oggetto".into(),
            text: "Testo".into(),
            html: "<p>Testo</p>".into(),
            expires_at: None,
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
                dropped: 1,
                ..Delivered::default()
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
        use metrics::{scoped, Metric, Tally};
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
    fn a_batch_round_trips_through_json_each_message_with_an_id() {
        let batch = vec![
            sms("333 123 4567", "Usa il codice temporaneo 123456"),
            Message::Email(email("c@example.it").valid_until(1_700_000_300)),
            Message::Nothing,
        ];
        let body = encode_batch(&batch);
        assert!(
            body.contains(r#""kind":"sms","to":"+393331234567""#),
            "{body}"
        );
        assert!(body.contains(r#""expires_at":1700000300"#), "{body}");
        assert!(body.contains(r#""kind":"nothing"}"#), "{body}");
        let posted = decode_batch(&body).unwrap();
        let messages: Vec<Message> = posted.iter().map(|p| p.message.clone()).collect();
        assert_eq!(messages, batch);
        assert_eq!(posted[1].message.expires_at(), Some(1_700_000_300));
        assert_eq!(posted[0].message.expires_at(), None);
        // An id per message, drawn at each post: the same messages posted again are new.
        let ids: BTreeSet<_> = posted.iter().map(|p| p.id.clone()).collect();
        assert_eq!(ids.len(), 3);
        let again = decode_batch(&encode_batch(&batch)).unwrap();
        assert!(again.iter().all(|p| !ids.contains(&p.id)));
        assert_eq!(decode_batch(&body).unwrap(), posted, "decoding is stable");
        assert_eq!(decode_batch("[]").unwrap(), vec![]);
    }

    #[test]
    fn an_invalid_number_or_id_cannot_be_decoded() {
        let id = MessageId::draw();
        let id = id.as_str();
        for to in ["+441234567890", "+390612345678", "not a number", ""] {
            let body = format!(r#"[{{"id":"{id}","kind":"sms","to":"{to}","text":"x"}}]"#);
            assert!(decode_batch(&body).is_err(), "{to} was accepted");
        }
        let good = format!(r#"[{{"id":"{id}","kind":"sms","to":"+393331234567","text":"x"}}]"#);
        assert!(decode_batch(&good).is_ok());
        for bad in ["", "SENT#x", "a b", &id[1..], &format!("{id}#")] {
            let body = format!(r#"[{{"id":"{bad}","kind":"nothing"}}]"#);
            assert!(decode_batch(&body).is_err(), "id {bad:?} was accepted");
        }
        assert!(decode_batch(r#"[{"kind":"nothing"}]"#).is_err(), "no id");
        assert!(decode_batch(&format!(r#"[{{"id":"{id}","kind":"fax","to":"x"}}]"#)).is_err());
        assert!(
            decode_batch(&format!(r#"{{"id":"{id}","kind":"nothing"}}"#)).is_err(),
            "not a batch"
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
