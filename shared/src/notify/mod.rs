//! Notifications: SMS through SNS `Publish`, email through SES v2 `SendEmail`, behind a
//! trait so unit tests and benchmarks can record messages in memory. Every text the
//! user receives is in `messages`.

pub mod aws;
pub mod memory;
pub mod messages;

use crate::domain::MobileNumber;

#[derive(Debug, Clone, PartialEq, Eq)]
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

#[async_trait::async_trait]
pub trait Notifier: Send + Sync {
    async fn sms(&self, to: &MobileNumber, text: &str) -> Result<(), NotifyError>;
    async fn email(&self, msg: &EmailMessage) -> Result<(), NotifyError>;
}
