//! The per-process context every handler receives: configuration, the store, the
//! notifier and the clock. Built once per Lambda process (cold start), reused after.

use crate::clock::{Clock, OffsetClock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::notify::{aws::AwsNotifier, memory::MemoryNotifier, Notifier};
use crate::store::{dynamo::DynamoStore, memory::MemoryStore, Store};
use std::sync::Arc;

#[derive(Clone)]
pub struct App {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub notifier: Arc<dyn Notifier>,
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

    /// AWS-backed app with a chosen clock (the local gateway passes an `OffsetClock`).
    pub async fn aws(config: Config, clock: Arc<dyn Clock>) -> App {
        let sdk = sdk_config(&config).await;
        let store = DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            config.table_name.clone(),
        );
        let notifier = AwsNotifier {
            sns: aws_sdk_sns::Client::new(&sdk),
            ses: aws_sdk_sesv2::Client::new(&sdk),
            sender_id: config.sms_sender_id.clone(),
            sms_type: config.sms_type.clone(),
            from: format!("{} <{}>", config.email_from_name, config.email_from_address),
            configuration_set: config.ses_configuration_set.clone(),
        };
        App {
            config,
            store: Arc::new(store),
            notifier: Arc::new(notifier),
            clock,
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
            clock: clock.clone(),
        };
        (app, store, notifier, clock)
    }

    pub fn now(&self) -> i64 {
        self.clock.epoch()
    }
}
