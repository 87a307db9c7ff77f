#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    web::runtime::serve(account_passkey_create::handle).await
}
