//! What an AWS SDK error may say in a log or an error page: its error code
//! (`ConditionalCheckFailedException`, `MessageRejected`, `ThrottlingException`…) or the
//! kind of transport failure — never the SDK's text, which can quote a recipient (SES:
//! "Email address is not verified: mario.rossi@…") or a phone number.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// An AWS failure that can name itself by code.
pub trait AwsFailure {
    fn code(&self) -> String;
}

impl<E: ProvideErrorMetadata, R> AwsFailure for SdkError<E, R> {
    fn code(&self) -> String {
        match self {
            SdkError::ServiceError(s) => s.err().code().unwrap_or("ServiceError"),
            SdkError::TimeoutError(_) => "TimeoutError",
            SdkError::DispatchFailure(_) => "DispatchFailure",
            SdkError::ResponseError(_) => "ResponseError",
            SdkError::ConstructionFailure(_) => "ConstructionFailure",
            _ => "UnknownSdkError",
        }
        .to_owned()
    }
}

impl AwsFailure for aws_smithy_types::error::operation::BuildError {
    fn code(&self) -> String {
        "BuildError".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sesv2::operation::send_email::SendEmailError;
    use aws_smithy_types::error::ErrorMetadata;

    #[test]
    fn only_the_code_never_the_message() {
        let err = SendEmailError::generic(
            ErrorMetadata::builder()
                .code("MessageRejected")
                .message("Email address is not verified: mario.rossi@comune.example.it")
                .build(),
        );
        let resp = aws_smithy_runtime_api::http::Response::new(
            400u16.try_into().unwrap(),
            aws_smithy_types::body::SdkBody::empty(),
        );
        assert_eq!(
            AwsFailure::code(&SdkError::service_error(err, resp)),
            "MessageRejected"
        );
    }
}
