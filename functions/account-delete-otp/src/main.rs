#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    web::runtime::serve(account_delete_otp::handle).await
}
