#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::runtime::serve(account_password::handle).await
}
