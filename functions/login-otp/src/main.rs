#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::runtime::serve(login_otp::handle).await
}
