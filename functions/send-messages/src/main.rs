//! Runs `send_messages::handle` under `lambda_runtime`, on the outbox queue's SQS events.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{service_fn, LambdaEvent};

// Lambda hands a process one event at a time: no worker threads to start (cold start).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    web::runtime::init_tracing();
    let consumer: &'static send_messages::Consumer = match engine::App::from_env().await {
        Ok(app) => Box::leak(Box::new(send_messages::Consumer::aws(app).await)),
        Err(e) => {
            tracing::error!(error = %e, "invalid configuration");
            return Err(e.into());
        }
    };
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, std::convert::Infallible>(
            send_messages::invoke(consumer, &event.context.request_id, event.payload).await,
        )
    }))
    .await
}
