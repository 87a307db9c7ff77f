use lambda_http::Request;
use shared::web::{Resp, WebError};
use shared::App;

pub async fn handle(_app: &App, _req: Request) -> Resp {
    WebError::NotFound.into_response()
}
