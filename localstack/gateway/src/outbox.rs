//! The local stand-in for Lambda's SQS event source of `send-messages`: a poller on the
//! app's outbox queue (`OUTBOX_QUEUE_URL`) that hands what it receives, as the SQS event
//! Lambda would build, to the same `send_messages::handle`, in this process, with the
//! consumer's sender (`Gateway::sender`: SNS and SES v2 on LocalStack), the app's store (the
//! delivery records, `SENT#<id>`, in the app's table) and its clock (the messages'
//! expiries: a test that moves the portal's clock moves the consumer's). Like the event source
//! with `ReportBatchItemFailures`, it deletes the records that were delivered and leaves
//! the failed ones, which the queue shows again after its visibility timeout (and moves to
//! its dead-letter queue after `maxReceiveCount` receives). It runs in both gateway modes:
//! in `GATEWAY_MODE=lambda` the request functions are separate processes, but what they post
//! lands in the same queue.
//!
//! Long polling with a short wait: a message is handed over as soon as it arrives, and
//! a poller of a portal that has stopped is not left blocked in LocalStack for long.

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use engine::App;
use send_messages::Consumer;
use std::collections::HashMap;
use std::time::Duration;
use store::aws_error::AwsFailure;

/// ReceiveMessage's `WaitTimeSeconds`.
pub const WAIT_SECONDS: i32 = 1;
/// What Lambda's event source takes at most per invocation here (`BatchSize` in the template).
pub const BATCH_SIZE: i32 = 10;

/// Starts the poller of the consumer's app's outbox queue on the current runtime (it ends
/// with it).
pub fn spawn(c: Consumer) -> tokio::task::JoinHandle<()> {
    tokio::spawn(poll(c))
}

/// `spawn`, with the consumer's metrics (SMS and emails sent or failed) counted in `tally`
/// instead of printed (`/_dev/metriche`).
pub fn spawn_counting(
    c: Consumer,
    tally: std::sync::Arc<metrics::Tally>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(metrics::scoped(tally, poll(c)))
}

/// An SQS client for long polls: the app's SDK configuration with timeouts above the wait.
pub async fn client(app: &App) -> aws_sdk_sqs::Client {
    let sdk = engine::app::sdk_config(&app.config).await;
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_timeout(Duration::from_secs(30))
        .operation_attempt_timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(2))
        .build();
    aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&sdk)
            .timeout_config(timeouts)
            .build(),
    )
}

async fn poll(c: Consumer) {
    let sqs = client(&c.app).await;
    let queue = c.app.config.outbox_queue_url.as_str();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(BATCH_SIZE)
            .wait_time_seconds(WAIT_SECONDS)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await;
        match received {
            Ok(out) => {
                let messages = out.messages.unwrap_or_default();
                if !messages.is_empty() {
                    invoke(&c, &sqs, queue, messages).await;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e.code(), "outbox poll failed");
                tokio::time::sleep(Duration::from_secs(1)).await; // LocalStack away: retry pace
            }
        }
    }
}

/// One "invocation": the event, the handler, then the deletes the event source would do.
async fn invoke(
    c: &Consumer,
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    messages: Vec<aws_sdk_sqs::types::Message>,
) {
    let event = sqs_event(queue, &messages);
    let request_id = &domain::crypto::random_token()[..16];
    let response = send_messages::invoke(c, request_id, event).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    let entries: Vec<DeleteMessageBatchRequestEntry> = messages
        .iter()
        .enumerate()
        .filter(|(_, m)| !failed.contains(&m.message_id().unwrap_or_default()))
        .filter_map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(m.receipt_handle()?)
                .build()
                .ok()
        })
        .collect();
    if entries.is_empty() {
        return;
    }
    if let Err(e) = sqs
        .delete_message_batch()
        .queue_url(queue)
        .set_entries(Some(entries))
        .send()
        .await
    {
        // Delivered but not deleted: they come back and are sent again (at-least-once).
        tracing::warn!(error = %e.code(), "outbox delete failed");
    }
}

/// The event Lambda's SQS event source builds from received messages.
pub fn sqs_event(queue_url: &str, messages: &[aws_sdk_sqs::types::Message]) -> SqsEvent {
    let (region, arn) = queue_arn(queue_url);
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|m| {
            let mut r = SqsMessage::default();
            r.message_id = m.message_id.clone();
            r.receipt_handle = m.receipt_handle.clone();
            r.body = m.body.clone();
            r.md5_of_body = m.md5_of_body.clone();
            r.attributes = m
                .attributes
                .iter()
                .flatten()
                .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                .collect::<HashMap<_, _>>();
            r.event_source = Some("aws:sqs".into());
            r.event_source_arn = arn.clone();
            r.aws_region = region.clone();
            r
        })
        .collect();
    event
}

/// Region and `arn:aws:sqs:<region>:<account>:<name>` of a LocalStack path-style queue URL
/// (`http://host/queue/<region>/<account>/<name>`, `SQS_ENDPOINT_STRATEGY=path`).
fn queue_arn(url: &str) -> (Option<String>, Option<String>) {
    let parts: Vec<&str> = url.trim_end_matches('/').rsplit('/').take(3).collect();
    match parts.as_slice() {
        [name, account, region] if account.chars().all(|c| c.is_ascii_digit()) => (
            Some((*region).to_owned()),
            Some(format!("arn:aws:sqs:{region}:{account}:{name}")),
        ),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_is_lambdas() {
        let m = aws_sdk_sqs::types::Message::builder()
            .message_id("m-1")
            .receipt_handle("rh")
            .body("[]")
            .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "2")
            .build();
        let e = sqs_event(
            "http://127.0.0.1:4566/queue/eu-south-1/000000000000/portale-outbox",
            &[m],
        );
        let r = &e.records[0];
        assert_eq!(r.message_id.as_deref(), Some("m-1"));
        assert_eq!(r.body.as_deref(), Some("[]"));
        assert_eq!(r.attributes["ApproximateReceiveCount"], "2");
        assert_eq!(r.event_source.as_deref(), Some("aws:sqs"));
        assert_eq!(
            r.event_source_arn.as_deref(),
            Some("arn:aws:sqs:eu-south-1:000000000000:portale-outbox")
        );
        assert_eq!(r.aws_region.as_deref(), Some("eu-south-1"));
    }
}
