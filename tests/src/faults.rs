//! Fault injection for the end-to-end tests: a DynamoDB store behind a switchable proxy
//! (LocalStack "stopped" for one portal only) and a notifier whose next calls fail.

use crate::proxy::FaultProxy;
use domain::MobileNumber;
use engine::App;
use notify::{EmailMessage, Message, Notifier, NotifyError, Outbox};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use store::dynamo::DynamoStore;

/// Rebuilds `app`'s store so that its DynamoDB calls go through `proxy`.
pub async fn store_through(app: App, proxy: &FaultProxy) -> App {
    let sdk = engine::app::sdk_config(&app.config).await;
    let conf = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .endpoint_url(&proxy.endpoint)
        .build();
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(conf),
        app.config.table_name.clone(),
    );
    App {
        store: Arc::new(store),
        ..app
    }
}

/// Wraps a notifier; `fail_next_sms(n)` / `fail_next_email(n)` make the next n calls fail.
/// Around `App::notifier` (the handlers' side) a failure is the outbox post failing, which
/// the request sees; around `App::sender` (the consumer's side) it is an SNS or SES outage,
/// which the queue absorbs: the batch is retried, then dead-lettered (`tests/api/outbox.rs`).
pub struct FlakyNotifier {
    inner: Arc<dyn Notifier>,
    sms_failures: AtomicUsize,
    email_failures: AtomicUsize,
}

impl FlakyNotifier {
    pub fn wrap(inner: Arc<dyn Notifier>) -> Arc<FlakyNotifier> {
        Arc::new(FlakyNotifier {
            inner,
            sms_failures: AtomicUsize::new(0),
            email_failures: AtomicUsize::new(0),
        })
    }
    pub fn fail_next_sms(&self, n: usize) {
        self.sms_failures.store(n, Ordering::SeqCst);
    }
    pub fn fail_next_email(&self, n: usize) {
        self.email_failures.store(n, Ordering::SeqCst);
    }
}

fn take(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

#[async_trait::async_trait]
impl Notifier for FlakyNotifier {
    async fn sms(&self, to: &MobileNumber, text: &str) -> Result<(), NotifyError> {
        if take(&self.sms_failures) {
            return Err(NotifyError::Unavailable("injected SNS failure".into()));
        }
        self.inner.sms(to, text).await
    }
    async fn email(&self, msg: &EmailMessage) -> Result<(), NotifyError> {
        if take(&self.email_failures) {
            return Err(NotifyError::Unavailable("injected SES failure".into()));
        }
        self.inner.email(msg).await
    }
}

/// Wraps the handlers' outbox; `fail_next_sms(n)` / `fail_next_email(n)` make the next n
/// posts carrying an SMS (an email) fail, as the SQS `SendMessage` of a step would.
pub struct FlakyOutbox {
    inner: Arc<dyn Outbox>,
    sms_failures: AtomicUsize,
    email_failures: AtomicUsize,
}

impl FlakyOutbox {
    pub fn wrap(inner: Arc<dyn Outbox>) -> Arc<FlakyOutbox> {
        Arc::new(FlakyOutbox {
            inner,
            sms_failures: AtomicUsize::new(0),
            email_failures: AtomicUsize::new(0),
        })
    }
    pub fn fail_next_sms(&self, n: usize) {
        self.sms_failures.store(n, Ordering::SeqCst);
    }
    pub fn fail_next_email(&self, n: usize) {
        self.email_failures.store(n, Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl Outbox for FlakyOutbox {
    async fn post(&self, batch: Vec<Message>) -> Result<(), NotifyError> {
        let has_sms = batch.iter().any(|m| matches!(m, Message::Sms { .. }));
        let has_email = batch.iter().any(|m| matches!(m, Message::Email(_)));
        if (has_sms && take(&self.sms_failures)) || (has_email && take(&self.email_failures)) {
            return Err(NotifyError::Unavailable("injected SQS failure".into()));
        }
        self.inner.post(batch).await
    }
}
