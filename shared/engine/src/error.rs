//! The errors a step or a handler can end with (the web layer renders them: `web::error`).
//! Field-level validation errors are not here: they re-render their own form.

use notify::NotifyError;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// DynamoDB, SNS or SES failed or timed out: nothing was half-done; retrying works.
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
    #[error("cross-site request refused")]
    CrossSite,
    #[error("too many requests")]
    TooManyRequests,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A request that cannot be answered as asked (e.g. a return address that is no path).
    #[error("bad request")]
    BadRequest,
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::Unavailable(e.to_string())
    }
}

impl From<NotifyError> for WebError {
    fn from(e: NotifyError) -> Self {
        WebError::Unavailable(e.to_string())
    }
}
