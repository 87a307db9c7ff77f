//! `send-messages`: the consumer of the outbox queue (an SQS event source, not an HTTP
//! route). Each record's body is one step's batch (`shared::notify::encode_batch`); its
//! messages are delivered by `shared::notify::deliver` with the real notifier (SNS, SES v2).
//! A record that cannot be decoded or delivered is reported in `batchItemFailures`
//! (`ReportBatchItemFailures`): SQS redelivers just that record after the visibility
//! timeout, and after 5 receives moves it to the dead-letter queue (an alarm). The others
//! are deleted from the queue. The local gateway runs this same function on its own poller.
//!
//! Logs carry the SQS message id and counts only: a body holds numbers, addresses, codes.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use shared::notify::{decode_batch, deliver, Notifier};
use tracing::Instrument;

/// One invocation: `handle` inside the span every line of the portal's logs carries
/// (`request_id`: Lambda's, or the local poller's own), as `shared::runtime` does for requests.
pub async fn invoke(
    notifier: &dyn Notifier,
    request_id: &str,
    event: SqsEvent,
) -> SqsBatchResponse {
    let span = tracing::info_span!("request", request_id = %request_id, source = "sqs");
    handle(notifier, event).instrument(span).await
}

/// Delivers every record of `event` (concurrently: they are independent steps' batches)
/// and answers the ones to retry.
pub async fn handle(notifier: &dyn Notifier, event: SqsEvent) -> SqsBatchResponse {
    let outcomes =
        futures::future::join_all(event.records.iter().map(|r| record(notifier, r))).await;
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

/// One record: true when its batch is done (delivered, or only `Nothing`).
async fn record(notifier: &dyn Notifier, r: &SqsMessage) -> bool {
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
    match deliver(notifier, &batch).await {
        Ok(d) => {
            tracing::info!(
                message_id = id,
                receives,
                sms = d.sms,
                emails = d.emails,
                dropped = d.dropped,
                "outbox batch delivered"
            );
            true
        }
        Err(p) => {
            tracing::warn!(
                message_id = id,
                receives,
                delivered = p.delivered,
                total = p.total,
                error = %p.error,
                "outbox batch failed, left for a retry"
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::MobileNumber;
    use shared::notify::memory::{MemoryNotifier, Sent};
    use shared::notify::{encode_batch, EmailMessage, Message, NotifyError};

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

    fn sms(to: &str) -> Message {
        Message::Sms {
            to: MobileNumber::parse(to).unwrap(),
            text: "codice".into(),
        }
    }

    #[tokio::test]
    async fn delivers_each_record_and_reports_the_undecodable() {
        let n = MemoryNotifier::default();
        let resp = handle(
            &n,
            event(vec![
                record("a", &encode_batch(&[sms("+393331234567")])),
                record("b", &encode_batch(&[Message::Nothing])),
                record("c", r#"[{"kind":"sms","to":"+15551234567","text":"x"}]"#),
                record("d", "non json"),
            ]),
        )
        .await;
        let failed: Vec<_> = resp
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, vec!["c", "d"]);
        assert_eq!(
            n.take(),
            vec![Sent::Sms {
                to: "+393331234567".into(),
                text: "codice".into()
            }]
        );
    }

    struct NoEmail(MemoryNotifier);

    #[async_trait::async_trait]
    impl Notifier for NoEmail {
        async fn sms(&self, to: &MobileNumber, text: &str) -> Result<(), NotifyError> {
            self.0.sms(to, text).await
        }
        async fn email(&self, _: &EmailMessage) -> Result<(), NotifyError> {
            Err(NotifyError::Unavailable("MessageRejected".into()))
        }
    }

    #[tokio::test]
    async fn a_failed_delivery_is_a_batch_item_failure() {
        let n = NoEmail(MemoryNotifier::default());
        let mail = EmailMessage {
            to: "a@example.it".into(),
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
        };
        let resp = handle(
            &n,
            event(vec![
                record("ok", &encode_batch(&[sms("+393331234567")])),
                record("ko", &encode_batch(&[Message::Email(mail)])),
            ]),
        )
        .await;
        assert_eq!(resp.batch_item_failures.len(), 1);
        assert_eq!(resp.batch_item_failures[0].item_identifier, "ko");
        assert_eq!(n.0.take().len(), 1);
    }
}
