//! Runs `send_messages::handle` under `lambda_runtime`, on the outbox queue's SQS events.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::init_tracing();
    let app: &'static shared::App = match shared::App::from_env().await {
        Ok(app) => Box::leak(Box::new(app)),
        Err(e) => {
            tracing::error!(error = %e, "invalid configuration");
            return Err(e.into());
        }
    };
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, std::convert::Infallible>(
            send_messages::invoke(app, &event.context.request_id, event.payload).await,
        )
    }))
    .await
}
