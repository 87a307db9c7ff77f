#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    web::runtime::serve(account::handle).await
}
