#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::runtime::serve(confirm_cease::handle).await
}
