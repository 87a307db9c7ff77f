#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    web::runtime::serve(login::handle).await
}
