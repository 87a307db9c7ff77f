//! The outbox in AWS: one SQS `SendMessage` per batch to the queue `OUTBOX_QUEUE_URL`,
//! consumed by the `send-messages` function.

use super::{encode_batch, Message, NotifyError, Outbox};
use store::aws_error::AwsFailure;

pub struct SqsOutbox {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
}

#[async_trait::async_trait]
impl Outbox for SqsOutbox {
    async fn post(&self, batch: Vec<Message>) -> Result<(), NotifyError> {
        self.sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(encode_batch(&batch))
            .send()
            .await
            // The code only (`store::aws_error`): an SDK message could quote the body.
            .map_err(|e| NotifyError::Unavailable(e.code()))?;
        Ok(())
    }
}
