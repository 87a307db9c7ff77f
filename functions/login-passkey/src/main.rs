#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    web::runtime::serve(login_passkey::handle).await
}
