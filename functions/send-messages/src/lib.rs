//! `send-messages`: the consumer of the outbox queue (an SQS event source, not an HTTP
//! route). Each record's body is one step's batch (`notify::encode_batch`), each
//! message with its id and, for a code or a link, its expiry; the messages are delivered by
//! `notify::once::deliver_once` with the real notifier (SNS, SES v2): each at most
//! once per id (a delivery record `SENT#<id>` in the table, `store::sent`), none
//! past its expiry. A record with a message left to send (the provider refused it, or
//! another receive is sending it) or that cannot be decoded is reported in
//! `batchItemFailures` (`ReportBatchItemFailures`): SQS redelivers just that record after
//! the visibility timeout — and the retry sends only what is left — and after 5 receives
//! moves it to the dead-letter queue (an alarm). The others are deleted from the queue. The
//! local gateway runs this same function on its own poller.
//!
//! Per message sent it costs, besides the SNS or SES call, two DynamoDB writes (the claim's
//! conditional PutItem, the UpdateItem marking it sent); a duplicate a PutItem refused and a
//! GetItem; a refused send a PutItem and a DeleteItem; an expired message or `Nothing`,
//! nothing.
//!
//! Logs carry the SQS message id, the messages' ids and kinds, and counts only: a body holds
//! numbers, addresses, codes.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use engine::config::Config;
use engine::App;
use notify::decode_batch;
use notify::once::deliver_once;
use notify::Notifier;
use std::sync::Arc;
use tracing::Instrument;

/// What the consumer works with: the app (its store keeps the delivery records, its clock
/// says what has expired) and the sender that really sends. The sender is the consumer's
/// own: `App` has only the outbox, so a request function links no SNS or SES client.
#[derive(Clone)]
pub struct Consumer {
    pub app: App,
    pub sender: Arc<dyn Notifier>,
}

impl Consumer {
    /// The consumer of `app`'s queue with the real sender (`aws_sender`).
    pub async fn aws(app: App) -> Consumer {
        let sender = Arc::new(aws_sender(&app.config).await);
        Consumer { app, sender }
    }
}

/// The real sender (SNS, SES v2) as the configuration names it, on the SDK configuration
/// every AWS call of the portal uses (`engine::app::sdk_config`).
pub async fn aws_sender(c: &Config) -> deliver::AwsNotifier {
    deliver::AwsNotifier::new(
        &engine::app::sdk_config(c).await,
        c.sms_sender.clone(),
        c.sms_type.clone(),
        format!("{} <{}>", c.email_from_name, c.email_from_address),
        c.ses_configuration_set.clone(),
    )
}

/// One invocation: `handle` inside the span every line of the portal's logs carries
/// (`request_id`: Lambda's, or the local poller's own), as `web::runtime` does for requests.
pub async fn invoke(c: &Consumer, request_id: &str, event: SqsEvent) -> SqsBatchResponse {
    let span = tracing::info_span!("request", request_id = %request_id, source = "sqs");
    handle(c, event).instrument(span).await
}

/// Delivers every record of `event` (concurrently: they are independent steps' batches)
/// with the consumer's sender, its app's store (the delivery records) and clock (the
/// expiries), and answers the ones to retry.
pub async fn handle(c: &Consumer, event: SqsEvent) -> SqsBatchResponse {
    let outcomes = futures::future::join_all(event.records.iter().map(|r| record(c, r))).await;
    let mut response = SqsBatchResponse::default();
    for (r, delivered) in event.records.iter().zip(outcomes) {
        if !delivered {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = r.message_id.clone().unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// One record: true when its batch is done (each message sent now or before, expired, or
/// `Nothing`).
async fn record(c: &Consumer, r: &SqsMessage) -> bool {
    let id = r.message_id.as_deref().unwrap_or("");
    let receives = r
        .attributes
        .get("ApproximateReceiveCount")
        .map(String::as_str)
        .unwrap_or("");
    let batch = match decode_batch(r.body.as_deref().unwrap_or("")) {
        Ok(batch) => batch,
        Err(e) => {
            // Retried like a failed delivery, so it ends in the DLQ where ops can read it.
            tracing::error!(message_id = id, receives, error = %e, "outbox message not a batch");
            return false;
        }
    };
    let (sender, store) = (c.sender.as_ref(), c.app.store.as_ref());
    match deliver_once(sender, store, c.app.now(), &batch).await {
        Ok(d) => {
            tracing::info!(
                message_id = id,
                receives,
                sms = d.sms,
                emails = d.emails,
                dropped = d.dropped,
                expired = d.expired,
                duplicates = d.duplicates,
                "outbox batch delivered"
            );
            true
        }
        Err(p) => {
            tracing::warn!(
                message_id = id,
                receives,
                failed = p.failed,
                total = p.total,
                sms = p.done.sms,
                emails = p.done.emails,
                error = %p.first,
                "outbox batch not all delivered, left for a retry"
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::MobileNumber;
    use engine::config::Config;
    use metrics::{scoped, Metric, Tally};
    use notify::memory::{MemoryNotifier, Sent};
    use notify::{encode_batch, EmailMessage, Message, Notifier, NotifyError};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn record(id: &str, body: &str) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.into());
        m.body = Some(body.into());
        m
    }

    fn event(records: Vec<SqsMessage>) -> SqsEvent {
        let mut e = SqsEvent::default();
        e.records = records;
        e
    }

    fn sms(to: &str, expires_at: Option<i64>) -> Message {
        Message::Sms {
            to: MobileNumber::parse(to).unwrap(),
            text: "codice".into(),
            expires_at,
        }
    }

    fn mail() -> Message {
        Message::Email(EmailMessage {
            to: "a@example.it".into(),
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
            expires_at: None,
        })
    }

    fn failed(resp: &SqsBatchResponse) -> Vec<&str> {
        resp.batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    /// An in-memory app's consumer, sending with `sender`.
    fn app_with(sender: Arc<dyn Notifier>) -> Consumer {
        let app = App::in_memory(Config::for_tests()).0;
        Consumer { app, sender }
    }

    #[tokio::test]
    async fn delivers_each_record_and_reports_the_undecodable() {
        let n = Arc::new(MemoryNotifier::default());
        let app = app_with(n.clone());
        let id = notify::MessageId::draw();
        let resp = handle(
            &app,
            event(vec![
                record("a", &encode_batch(&[sms("+393331234567", None)])),
                record("b", &encode_batch(&[Message::Nothing])),
                record(
                    "c",
                    &format!(
                        r#"[{{"id":"{}","kind":"sms","to":"+15551234567","text":"x"}}]"#,
                        id.as_str()
                    ),
                ),
                record("d", "non json"),
                record(
                    "e",
                    r#"[{"kind":"sms","to":"+393331234567","text":"senza id"}]"#,
                ),
            ]),
        )
        .await;
        assert_eq!(failed(&resp), vec!["c", "d", "e"]);
        assert_eq!(
            n.take(),
            vec![Sent::Sms {
                to: "+393331234567".into(),
                text: "codice".into()
            }]
        );
    }

    /// Fails the next `n` emails.
    struct NoEmail(MemoryNotifier, AtomicUsize);

    #[async_trait::async_trait]
    impl Notifier for NoEmail {
        async fn sms(&self, to: &MobileNumber, text: &str) -> Result<(), NotifyError> {
            self.0.sms(to, text).await
        }
        async fn email(&self, m: &EmailMessage) -> Result<(), NotifyError> {
            if self
                .1
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(NotifyError::Unavailable("MessageRejected".into()));
            }
            self.0.email(m).await
        }
    }

    #[tokio::test]
    async fn a_retried_record_sends_only_the_message_that_failed() {
        let n = Arc::new(NoEmail(MemoryNotifier::default(), AtomicUsize::new(1)));
        let app = app_with(n.clone());
        let body = encode_batch(&[sms("+393331234567", None), mail()]);
        let tally = Arc::new(Tally::default());
        let first = scoped(
            tally.clone(),
            handle(
                &app,
                event(vec![
                    record("ko", &body),
                    record("ok", &encode_batch(&[mail()])),
                ]),
            ),
        )
        .await;
        // Only the record with a message left: the other is done (its email went after the
        // failed one: each message has its own record).
        assert_eq!(failed(&first), vec!["ko"]);
        assert_eq!(n.0.take().len(), 2, "the SMS and the other record's email");
        // SQS gives the record back: the email goes, the SMS does not go again.
        let retry = scoped(
            tally.clone(),
            handle(&app, event(vec![record("ko", &body)])),
        )
        .await;
        assert!(failed(&retry).is_empty());
        assert!(matches!(&n.0.take()[..], [Sent::Email(_)]));
        assert_eq!(tally.get(Metric::SmsSent), 1);
        assert_eq!(tally.get(Metric::EmailSent), 2);
        assert_eq!(tally.get(Metric::EmailFailed), 1);
        assert_eq!(tally.get(Metric::OutboxDuplicateSkipped), 1);
        // The table holds the delivery records, not the messages.
        let store = app.app.store.as_ref();
        let ids: Vec<_> = notify::decode_batch(&body)
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        for id in &ids {
            let item = store.get(&store::sent::key(id)).await.unwrap().unwrap();
            assert_eq!(item.s("state"), Some("sent"));
            assert!(item
                .attrs
                .values()
                .all(|v| v.as_s().is_none_or(|s| !s.contains("codice"))));
        }
    }

    #[tokio::test]
    async fn the_same_body_twice_in_one_event_sends_once() {
        let n = Arc::new(MemoryNotifier::default());
        let app = app_with(n.clone());
        let body = encode_batch(&[sms("+393331234567", None)]);
        let tally = Arc::new(Tally::default());
        let resp = scoped(
            tally.clone(),
            handle(&app, event(vec![record("x", &body), record("y", &body)])),
        )
        .await;
        assert_eq!(n.take().len(), 1, "one SMS for one message id");
        // The copy that found the other's claim comes back later and is skipped then (or was
        // already: the two ran one after the other).
        if !failed(&resp).is_empty() {
            let again = scoped(tally.clone(), handle(&app, event(vec![record("y", &body)]))).await;
            assert!(failed(&again).is_empty());
        }
        assert!(n.take().is_empty());
        assert_eq!(tally.get(Metric::OutboxDuplicateSkipped), 1);
    }

    #[tokio::test]
    async fn an_expired_code_is_dropped_counted_and_the_record_done() {
        let n = Arc::new(MemoryNotifier::default());
        let app = app_with(n.clone());
        let now = app.app.now();
        let body = encode_batch(&[
            sms("+393331234567", Some(now)),
            sms("+393337654321", Some(now + 60)),
        ]);
        let tally = Arc::new(Tally::default());
        let resp = scoped(tally.clone(), handle(&app, event(vec![record("r", &body)]))).await;
        assert!(
            failed(&resp).is_empty(),
            "an expired message is not retried"
        );
        assert_eq!(
            n.take(),
            vec![Sent::Sms {
                to: "+393337654321".into(),
                text: "codice".into()
            }]
        );
        assert_eq!(tally.get(Metric::OutboxExpiredDropped), 1);
        assert_eq!(tally.get(Metric::SmsSent), 1);
    }
}
