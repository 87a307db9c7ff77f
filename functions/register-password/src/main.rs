#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    web::runtime::serve(register_password::handle).await
}
