//! The Lambda entry point every function's `main` calls: structured JSON logs, the App
//! built once per process (cold start), then the `lambda_http` loop.

use crate::app::App;
use crate::web::Resp;
use lambda_http::Request;
use std::future::Future;

/// JSON logs (CloudWatch-friendly). `RUST_LOG` tunes the level; default `info`.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_current_span(false)
        .without_time()
        .try_init();
}

pub async fn serve<H, F>(handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(&'static App, Request) -> F + Send + Sync + Copy + 'static,
    F: Future<Output = Resp> + Send,
{
    init_tracing();
    let app = match App::from_env().await {
        Ok(app) => Box::leak(Box::new(app)),
        Err(e) => {
            tracing::error!(error = %e, "invalid configuration");
            return Err(e.into());
        }
    };
    let app: &'static App = app;
    lambda_http::run(lambda_http::service_fn(move |req: Request| async move {
        Ok::<_, std::convert::Infallible>(handler(app, req).await)
    }))
    .await
}
