//! The outbox sends each message once (issue 22, item 6), on the real LocalStack queue with
//! the gateway's poller running `send-messages`: a batch retried after one of its messages
//! failed does not deliver the others again; the same record delivered twice sends once;
//! a code redriven from the dead-letter queue after it expired is not sent, and is counted;
//! a claim whose answer was lost (the SDK's retry finds its own record) still sends.

use super::metrics::counts;
use super::outbox::dead_letter_url;
use domain::MobileNumber;
use e2e::faults::{store_through, FlakyNotifier};
use e2e::proxy::FaultProxy;
use e2e::register::{new_line, step1};
use e2e::{queue_depth, random_email, random_number, sqs, Portal};
use notify::{encode_batch, messages, Message};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A portal whose consumer's SNS / SES calls (`App::sender`) fail on demand.
async fn portal_with_flaky_sender() -> (Portal, Arc<FlakyNotifier>) {
    let slot = std::sync::OnceLock::new();
    let p = Portal::start_with_sender(|sender| {
        let f = FlakyNotifier::wrap(sender);
        slot.set(f.clone()).ok();
        f
    })
    .await;
    let flaky = slot.get().unwrap().clone();
    (p, flaky)
}

fn code_sms(to: &str, text: &str) -> Message {
    Message::Sms {
        to: MobileNumber::parse(to).unwrap(),
        text: text.into(),
        expires_at: None,
    }
}

/// The SMS and the email of one batch; SES fails the first time. The batch comes back after
/// the visibility timeout and the email goes then: the SMS, already delivered, is not sent
/// again (before: once per receive of the batch).
#[tokio::test]
async fn a_retried_batch_sends_the_sms_once_and_the_failed_email_once() {
    let (p, flaky) = portal_with_flaky_sender().await;
    flaky.fail_next_email(1);
    let (to, mail) = (random_number(), random_email("una.volta"));
    let email = messages::email_confirmation(&mail, "https://esempio.it/conferma?t=2");
    p.app
        .outbox
        .post(vec![
            code_sms(&to, "Usa il codice temporaneo 135790 una volta sola"),
            Message::Email(email.clone()),
        ])
        .await
        .unwrap();
    // The email arrives only on the retry: once it is there the batch is done.
    let start = Instant::now();
    let mut mails = p.emails_to(&mail).await;
    while mails.is_empty() && start.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(100)).await; // poll interval
        mails = p.emails_to(&mail).await;
    }
    assert_eq!(mails.len(), 1, "the email, once: {mails:?}");
    assert_eq!(mails[0].subject, email.subject);
    let sms = p.sms_to(&to).await;
    assert_eq!(
        sms.len(),
        1,
        "the SMS was delivered again with the retried batch: {sms:?}"
    );
    assert_eq!(queue_depth(&p.app.config.outbox_queue_url).await, Some(0));
    let c = counts(&p).await;
    assert_eq!(c["SmsSent"], 1, "{c}");
    assert_eq!(c["EmailFailed"], 1, "{c}");
    assert_eq!(c["EmailSent"], 1, "{c}");
    assert_eq!(c["OutboxDuplicateSkipped"], 1, "{c}");
}

/// The same queue message twice (SQS is at-least-once; or one body sent twice): one SMS.
#[tokio::test]
async fn the_same_record_delivered_twice_sends_once() {
    let p = Portal::start().await;
    let to = random_number();
    let body = encode_batch(&[code_sms(&to, "Usa il codice temporaneo 246801, doppio")]);
    for _ in 0..2 {
        sqs()
            .await
            .send_message()
            .queue_url(&p.app.config.outbox_queue_url)
            .message_body(&body)
            .send()
            .await
            .unwrap();
    }
    p.settle().await;
    let sms = p.sms_to(&to).await;
    assert_eq!(sms.len(), 1, "one body delivered twice sent: {sms:?}");
    let c = counts(&p).await;
    assert_eq!(c["SmsSent"], 1, "{c}");
    assert_eq!(c["OutboxDuplicateSkipped"], 1, "{c}");
}

/// Moves every message of `dlq` back to `queue` (what the console's "Start DLQ redrive"
/// does): each body sent to the source queue, then deleted from the DLQ. Waits up to
/// `deadline` for `n` of them.
async fn redrive(dlq: &str, queue: &str, n: usize, deadline: Duration) -> usize {
    let start = Instant::now();
    let mut moved = 0;
    while moved < n && start.elapsed() < deadline {
        let out = sqs()
            .await
            .receive_message()
            .queue_url(dlq)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for m in out.messages.unwrap_or_default() {
            sqs()
                .await
                .send_message()
                .queue_url(queue)
                .message_body(m.body().unwrap_or_default())
                .send()
                .await
                .unwrap();
            sqs()
                .await
                .delete_message()
                .queue_url(dlq)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .unwrap();
            moved += 1;
        }
    }
    moved
}

/// Step 1's code cannot be sent (SNS down): after 5 receives its batch is dead-lettered.
/// SNS is back, ops redrive the DLQ after the code's 5 minutes: nothing reaches the phone
/// (a code that no longer works, or one the user thinks is new), and the metrics count it.
#[tokio::test]
async fn a_code_redriven_after_its_expiry_is_not_sent_and_is_counted() {
    let (p, flaky) = portal_with_flaky_sender().await;
    flaky.fail_next_sms(usize::MAX);
    let number = new_line(&p).await;
    let page = step1(&p, &number).await;
    assert_eq!(page.path, "/registrazione/codice", "{}", page.text());

    let dlq = dead_letter_url(&p).await;
    let queue = p.app.config.outbox_queue_url.clone();
    // 5 receives, 1 s apart (the test queue's visibility timeout), then the DLQ.
    let start = Instant::now();
    while queue_depth(&dlq).await != Some(1) && start.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(100)).await; // poll interval
    }
    assert_eq!(
        queue_depth(&dlq).await,
        Some(1),
        "the batch reached the DLQ"
    );
    assert_eq!(queue_depth(&queue).await, Some(0));

    flaky.fail_next_sms(0);
    p.clock.advance(store::otp::TTL_SECS + 60);
    assert_eq!(redrive(&dlq, &queue, 1, Duration::from_secs(10)).await, 1);
    p.settle().await;
    assert!(
        p.sms_to(&number).await.is_empty(),
        "an expired code was sent after the redrive"
    );
    let c = counts(&p).await;
    assert_eq!(c["SmsSent"], 0, "{c}");
    assert_eq!(c["SmsFailed"], 5, "{c}");
    assert_eq!(c["OutboxExpiredDropped"], 1, "{c}");
}

/// The lease of a delivery claim (`store::sent::LEASE_SECS`) sits between the function's
/// timeout (a live consumer is done before its claim can be taken over) and the queue's
/// visibility timeout (the retry after a consumer died finds the claim free).
#[test]
fn a_claim_outlives_the_function_and_ends_before_the_retry() {
    use super::template_consistency::template;
    use store::sent::LEASE_SECS;
    let t = template();
    let function = &t["Resources"]["SendMessagesFunction"]["Properties"]["Timeout"];
    let timeout = function
        .as_i64()
        .or(t["Globals"]["Function"]["Timeout"].as_i64())
        .expect("a function timeout");
    let visibility = t["Resources"]["OutboxQueue"]["Properties"]["VisibilityTimeout"]
        .as_i64()
        .expect("the outbox queue's VisibilityTimeout");
    assert!(
        timeout < LEASE_SECS && LEASE_SECS < visibility,
        "send-messages Timeout {timeout} s < LEASE_SECS {LEASE_SECS} s < OutboxQueue VisibilityTimeout \
            {visibility} s"
    );
}

/// The claim of a message (`SENT#<id>`, a conditional PutItem) is done by DynamoDB but its
/// answer never comes back (an attempt that timed out, a connection cut): the SDK tries the
/// same PutItem again, which finds the record its first attempt wrote. Before: that was
/// "being sent by another receive", at every receive after it too (the lease outlived
/// them), and the batch went to the dead-letter queue unsent: the owner asked for a reset
/// link and never got it (CI, stop 29: "the owner got the link", 0).
#[tokio::test]
async fn a_claim_whose_answer_was_lost_sends_the_email_once() {
    let upstream = e2e::endpoint().trim_start_matches("http://").to_owned();
    let proxy = FaultProxy::start(&upstream).await;
    let p = Portal::start_full(|_| {}, |app| store_through(app, &proxy)).await;
    let h = e2e::quick::user(&p).await;
    proxy.lose_answer_to(store::sent::PREFIX.as_bytes());
    let b = p.as_browser(Portal::browser());
    let page = b.get("/recupero?modalita=password").await;
    let sent = b
        .submit(&page, "modalita", &[("username", &h.username)])
        .await;
    assert!(
        sent.contains("Se i dati inseriti sono corretti"),
        "{}",
        sent.text()
    );
    let mails = p
        .emails_to_until(&h.username, |m| m.subject.contains("nuova password"))
        .await;
    assert_eq!(proxy.answers_lost(), 1, "the claim's answer was lost");
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.subject.contains("nuova password"))
            .count(),
        1,
        "the reset email went once; dead-letter queue: {:?}",
        queue_depth(&dead_letter_url(&p).await).await
    );
}
