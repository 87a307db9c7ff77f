#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::runtime::serve(recover_reset::handle).await
}
