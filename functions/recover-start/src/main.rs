#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::runtime::serve(recover_start::handle).await
}
