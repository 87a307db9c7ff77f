#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    web::runtime::serve(confirm_email::handle).await
}
