//! The real sender: SMS through SNS `Publish`, email through SES v2 `SendEmail`. Only the
//! outbox's consumers link it (`functions/send-messages`, the local gateway's poller) and
//! tests: a request handler posts to the outbox (`notify::Outbox`) and links no SNS or SES
//! client.

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sns::types::MessageAttributeValue;
use domain::MobileNumber;
use notify::{EmailMessage, Notifier, NotifyError, SmsSender};
use store::aws_error::AwsFailure;

pub struct AwsNotifier {
    pub sns: aws_sdk_sns::Client,
    pub ses: aws_sdk_sesv2::Client,
    /// Who the SMS come from (`SMS_SENDER_ID`: a sender ID or an origination number).
    pub sender: SmsSender,
    pub sms_type: String,
    /// `"TIM <convenzionemobile8@telecomitalia.it>"`.
    pub from: String,
    pub configuration_set: Option<String>,
}

impl AwsNotifier {
    /// The two clients on `sdk` (the consumer's SDK configuration, `engine::app::sdk_config`).
    pub fn new(
        sdk: &aws_config::SdkConfig,
        sender: SmsSender,
        sms_type: String,
        from: String,
        configuration_set: Option<String>,
    ) -> AwsNotifier {
        AwsNotifier {
            sns: aws_sdk_sns::Client::new(sdk),
            ses: aws_sdk_sesv2::Client::new(sdk),
            sender,
            sms_type,
            from,
            configuration_set,
        }
    }
}

fn unavailable(e: impl AwsFailure) -> NotifyError {
    // The code only (`store::aws_error`): SES and SNS messages can quote the recipient.
    NotifyError::Unavailable(e.code())
}

fn string_attr(v: &str) -> Result<MessageAttributeValue, NotifyError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(v)
        .build()
        .map_err(unavailable)
}

fn content(text: &str) -> Result<Content, NotifyError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(unavailable)
}

#[async_trait::async_trait]
impl Notifier for AwsNotifier {
    async fn sms(&self, to: &MobileNumber, text: &str) -> Result<(), NotifyError> {
        let sender = self.sender.sns_attribute();
        self.sns
            .publish()
            .phone_number(to.e164())
            .message(text)
            .message_attributes(sender.0, string_attr(sender.1)?)
            .message_attributes("AWS.SNS.SMS.SMSType", string_attr(&self.sms_type)?)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn email(&self, msg: &EmailMessage) -> Result<(), NotifyError> {
        let body = Body::builder()
            .text(content(&msg.text)?)
            .html(content(&msg.html)?)
            .build();
        let message = Message::builder()
            .subject(content(&msg.subject)?)
            .body(body)
            .build();
        self.ses
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&msg.to).build())
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
