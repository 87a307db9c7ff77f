#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    web::runtime::serve(account_passkeys::handle).await
}
