//! The outbox on the real LocalStack queue: what a step posts (one SQS message per batch)
//! is delivered by the gateway's poller, which runs `send-messages` in-process, to SNS and
//! SES; a batch the consumer cannot deliver stays in the queue, is retried after the
//! visibility timeout, and after 5 receives moves to the dead-letter queue — so does a body
//! that is not a batch. Each portal has its own queue (`e2e::own_outbox_queue`).

use domain::MobileNumber;
use e2e::faults::FlakyNotifier;
use e2e::{queue_depth, random_email, random_number, sqs, Portal};
use notify::{decode_batch, messages, Message};
use std::time::{Duration, Instant};

fn sms(to: &str, text: &str) -> Message {
    Message::Sms {
        to: MobileNumber::parse(to).unwrap(),
        text: text.into(),
        expires_at: None,
    }
}

#[tokio::test]
async fn a_posted_batch_is_delivered_to_sns_and_ses_and_nothing_is_dropped() {
    let p = Portal::start().await;
    let (to, mail) = (random_number(), random_email("coda"));
    let email = messages::email_confirmation(&mail, "https://esempio.it/conferma?t=1");
    p.app
        .outbox
        .post(vec![
            sms(
                &to,
                "Usa il codice temporaneo 112233 per la prova della coda",
            ),
            Message::Nothing,
            Message::Email(email.clone()),
        ])
        .await
        .unwrap();
    let got = p.sms_to_at_least(&to, 1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0].text,
        "Usa il codice temporaneo 112233 per la prova della coda"
    );
    assert_eq!(got[0].sender_id, "40134");
    let mails = p.emails_to(&mail).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, email.subject);
    assert_eq!(queue_depth(&p.app.config.outbox_queue_url).await, Some(0));

    // A second post goes through the same queue.
    let other = random_number();
    p.app
        .outbox
        .post(vec![sms(&other, "seconda prova")])
        .await
        .unwrap();
    assert_eq!(p.sms_to_at_least(&other, 1).await.len(), 1);
}

/// The DLQ of a portal's queue (`portale_admin::bootstrap::ensure_outbox_queue`).
pub(crate) async fn dead_letter_url(p: &Portal) -> String {
    let name = portale_admin::bootstrap::queue_name(&p.app.config.outbox_queue_url).unwrap();
    sqs()
        .await
        .get_queue_url()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap()
}

/// Receives from `queue` until `n` messages came, or `deadline` passes; returns the bodies.
pub(crate) async fn receive(queue: &str, n: usize, deadline: Duration) -> Vec<String> {
    let start = Instant::now();
    let mut bodies = vec![];
    while bodies.len() < n && start.elapsed() < deadline {
        let out = sqs()
            .await
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        bodies.extend(
            out.messages
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| m.body),
        );
    }
    bodies
}

#[tokio::test]
async fn a_failed_batch_stays_in_the_queue_and_is_retried() {
    let flaky = std::sync::OnceLock::new();
    let p = Portal::start_with_sender(|sender| {
        let f = FlakyNotifier::wrap(sender);
        flaky.set(f.clone()).ok();
        f
    })
    .await;
    let flaky = flaky.get().unwrap();
    flaky.fail_next_sms(2);
    let to = random_number();
    let t = Instant::now();
    p.app
        .outbox
        .post(vec![sms(
            &to,
            "Usa il codice temporaneo 445566 per riprovare",
        )])
        .await
        .unwrap();
    // Two failed receives, each followed by the visibility timeout (1 s for test queues),
    // then delivered once: the message was never lost, nor sent twice.
    let got = p.sms_to_at_least(&to, 1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].text.contains("445566"));
    assert!(
        t.elapsed() >= Duration::from_secs(2),
        "delivered after {:?}: the failed receives were not retried after the visibility timeout",
        t.elapsed()
    );
    assert!(
        receive(&dead_letter_url(&p).await, 1, Duration::from_secs(1))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn an_undeliverable_batch_and_a_body_that_is_no_batch_end_in_the_dead_letter_queue() {
    let flaky = std::sync::OnceLock::new();
    let p = Portal::start_with_sender(|sender| {
        let f = FlakyNotifier::wrap(sender);
        flaky.set(f.clone()).ok();
        f
    })
    .await;
    flaky.get().unwrap().fail_next_sms(usize::MAX);
    let to = random_number();
    let batch = vec![sms(&to, "Usa il codice temporaneo 778899, mai consegnato")];
    p.app.outbox.post(batch.clone()).await.unwrap();
    sqs()
        .await
        .send_message()
        .queue_url(&p.app.config.outbox_queue_url)
        .message_body("questo non è un lotto di messaggi")
        .send()
        .await
        .unwrap();

    // 5 receives (maxReceiveCount), each 1 s apart (the visibility timeout), then the DLQ.
    let dlq = dead_letter_url(&p).await;
    let mut bodies = receive(&dlq, 2, Duration::from_secs(30)).await;
    bodies.sort();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    let dead: Vec<Message> = decode_batch(&bodies[0])
        .unwrap()
        .into_iter()
        .map(|p| p.message)
        .collect();
    assert_eq!(dead, batch);
    assert_eq!(bodies[1], "questo non è un lotto di messaggi");
    assert_eq!(queue_depth(&p.app.config.outbox_queue_url).await, Some(0));
    assert!(
        p.sms_to(&to).await.is_empty(),
        "an undeliverable SMS was sent"
    );
}
