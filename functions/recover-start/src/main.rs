#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    web::runtime::serve(recover_start::handle).await
}
