// Lambda hands a process one event at a time: no worker threads to start (cold start).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    web::runtime::serve(confirm_email::handle).await
}
