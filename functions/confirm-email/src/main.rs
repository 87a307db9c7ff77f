#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::runtime::serve(confirm_email::handle).await
}
