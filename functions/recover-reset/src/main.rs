#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    web::runtime::serve(recover_reset::handle).await
}
