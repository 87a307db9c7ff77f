//! The per-process context every handler receives: configuration, the store, the
//! notifier, the outbox and the clock. Built once per Lambda process (cold start), reused
//! after; the AWS clients inside are built on first use.

use crate::clock::{Clock, OffsetClock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::domain::MobileNumber;
use crate::notify::{
    aws::AwsNotifier, memory::MemoryNotifier, sqs::SqsOutbox, DirectOutbox, EmailMessage, Message,
    Notifier, NotifyError, Outbox, QueuedNotifier,
};
use crate::store::{
    dynamo::DynamoStore, memory::MemoryStore, Cond, Item, Key, Store, StoreError, TxOp, Update,
};
use std::sync::Arc;

#[derive(Clone)]
pub struct App {
    pub config: Config,
    pub store: Arc<dyn Store>,
    /// What the handlers send with. In AWS mode a `QueuedNotifier`: each SMS or email is
    /// posted to `outbox` as a one-message batch; in memory, the recorder itself.
    pub notifier: Arc<dyn Notifier>,
    /// Where a step posts its batch of messages (one SQS `SendMessage` per post in AWS mode,
    /// `OUTBOX_QUEUE_URL`; `DirectOutbox` in memory).
    pub outbox: Arc<dyn Outbox>,
    /// The notifier that really sends (SNS + SES in AWS mode; the recorder in memory):
    /// used only by the outbox's consumer (`send-messages`, the local gateway's poller),
    /// never by a request handler.
    pub sender: Arc<dyn Notifier>,
    pub clock: Arc<dyn Clock>,
}

/// The AWS SDK configuration: region and endpoint from the environment (so
/// `AWS_ENDPOINT_URL` points the same binary at LocalStack), a timeout on every call and
/// bounded retries, so a slow dependency turns into a clear error page, not a hung request.
pub async fn sdk_config(config: &Config) -> aws_config::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_timeout(config.aws_timeout)
        .operation_attempt_timeout(config.aws_timeout / 2)
        .connect_timeout(std::time::Duration::from_secs(2))
        .build();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

impl App {
    /// Reads the environment and builds the AWS clients.
    pub async fn from_env() -> Result<App, ConfigError> {
        let config = Config::from_env()?;
        Ok(Self::aws(config, Arc::new(SystemClock)).await)
    }

    /// AWS-backed app with a chosen clock (the local gateway passes an `OffsetClock`). The
    /// SDK configuration and the clients are built by the first call that needs them
    /// (`LazyAws`), not at start: a page that makes no AWS call does not pay for them.
    pub async fn aws(config: Config, clock: Arc<dyn Clock>) -> App {
        let aws = Arc::new(LazyAws {
            config: config.clone(),
            clients: tokio::sync::OnceCell::new(),
        });
        let outbox: Arc<dyn Outbox> = Arc::new(LazyOutbox(aws.clone()));
        App {
            config,
            store: Arc::new(LazyStore(aws.clone())),
            notifier: Arc::new(QueuedNotifier(outbox.clone())),
            outbox,
            sender: Arc::new(LazyNotifier(aws)),
            clock,
        }
    }

    /// This app with its messages posted to `outbox` (the handlers' `notifier` becomes a
    /// `QueuedNotifier` on it): tests wrap the outbox to count or fail posts.
    pub fn with_outbox(self, outbox: Arc<dyn Outbox>) -> App {
        App {
            notifier: Arc::new(QueuedNotifier(outbox.clone())),
            outbox,
            ..self
        }
    }

    /// Fully in-memory app for unit tests and benchmarks.
    pub fn in_memory(
        config: Config,
    ) -> (App, Arc<MemoryStore>, Arc<MemoryNotifier>, Arc<OffsetClock>) {
        let store = Arc::new(MemoryStore::new());
        let notifier = Arc::new(MemoryNotifier::default());
        let clock = Arc::new(OffsetClock::default());
        let app = App {
            config,
            store: store.clone(),
            notifier: notifier.clone(),
            outbox: Arc::new(DirectOutbox(notifier.clone())),
            sender: notifier.clone(),
            clock: clock.clone(),
        };
        (app, store, notifier, clock)
    }

    pub fn now(&self) -> i64 {
        self.clock.epoch()
    }
}

/// The AWS clients of a process, built once, on first use. Loading the SDK configuration
/// costs ~4.4 ms in a cold Lambda (most of it reading the system trust store), which a
/// request that makes no AWS call (a first visit to step 1) should not pay.
struct LazyAws {
    config: Config,
    clients: tokio::sync::OnceCell<(DynamoStore, AwsNotifier, SqsOutbox)>,
}

impl LazyAws {
    async fn clients(&self) -> &(DynamoStore, AwsNotifier, SqsOutbox) {
        self.clients
            .get_or_init(|| async {
                let c = &self.config;
                let sdk = sdk_config(c).await;
                let store =
                    DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), c.table_name.clone());
                let notifier = AwsNotifier {
                    sns: aws_sdk_sns::Client::new(&sdk),
                    ses: aws_sdk_sesv2::Client::new(&sdk),
                    sender_id: c.sms_sender_id.clone(),
                    sms_type: c.sms_type.clone(),
                    from: format!("{} <{}>", c.email_from_name, c.email_from_address),
                    configuration_set: c.ses_configuration_set.clone(),
                };
                let outbox = SqsOutbox {
                    sqs: aws_sdk_sqs::Client::new(&sdk),
                    queue_url: c.outbox_queue_url.clone(),
                };
                (store, notifier, outbox)
            })
            .await
    }
}

struct LazyStore(Arc<LazyAws>);

#[async_trait::async_trait]
impl Store for LazyStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.0.clients().await.0.get(key).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        self.0.clients().await.0.batch_get(keys).await
    }
    async fn put(&self, key: &Key, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
        self.0.clients().await.0.put(key, item, cond).await
    }
    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError> {
        self.0.clients().await.0.update(key, update, cond).await
    }
    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
        self.0.clients().await.0.delete(key, cond).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        self.0.clients().await.0.transact(ops).await
    }
}

struct LazyNotifier(Arc<LazyAws>);

#[async_trait::async_trait]
impl Notifier for LazyNotifier {
    async fn sms(&self, to: &MobileNumber, text: &str) -> Result<(), NotifyError> {
        self.0.clients().await.1.sms(to, text).await
    }
    async fn email(&self, msg: &EmailMessage) -> Result<(), NotifyError> {
        self.0.clients().await.1.email(msg).await
    }
}

struct LazyOutbox(Arc<LazyAws>);

#[async_trait::async_trait]
impl Outbox for LazyOutbox {
    async fn post(&self, batch: Vec<Message>) -> Result<(), NotifyError> {
        self.0.clients().await.2.post(batch).await
    }
}
