#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::runtime::serve(account_lines::handle).await
}
