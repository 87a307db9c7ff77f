//! Records messages instead of sending them (unit tests, benchmarks).

use super::{EmailMessage, Notifier, NotifyError};
use domain::MobileNumber;
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Sms { to: String, text: String },
    Email(EmailMessage),
}

#[derive(Default)]
pub struct MemoryNotifier {
    pub sent: Mutex<Vec<Sent>>,
}

impl MemoryNotifier {
    pub fn take(&self) -> Vec<Sent> {
        std::mem::take(&mut self.sent.lock().unwrap())
    }
}

#[async_trait::async_trait]
impl Notifier for MemoryNotifier {
    async fn sms(&self, to: &MobileNumber, text: &str) -> Result<(), NotifyError> {
        self.sent.lock().unwrap().push(Sent::Sms {
            to: to.e164().to_owned(),
            text: text.to_owned(),
        });
        Ok(())
    }
    async fn email(&self, msg: &EmailMessage) -> Result<(), NotifyError> {
        self.sent.lock().unwrap().push(Sent::Email(msg.clone()));
        Ok(())
    }
}
