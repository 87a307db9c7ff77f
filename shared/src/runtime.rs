//! The Lambda entry point every function's `main` calls: structured JSON logs, the App
//! built once per process (cold start), then the `lambda_http` loop.

use crate::app::App;
use crate::routes;
use crate::web::{Resp, WebError};
use lambda_http::Request;
use std::future::Future;
use tracing::Instrument;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The log format: one JSON object per line (CloudWatch-friendly), with the current
/// request's span (`request_id`, method, path) on every line. Tests capture the same format
/// through another writer to check that no secret is ever logged.
pub fn json_subscriber<W>(writer: W, filter: EnvFilter) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .with_writer(writer)
        .finish()
}

/// The production filter: `RUST_LOG`, default `info` (the AWS SDK logs nothing at info).
pub fn default_filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into())
}

pub fn init_tracing() {
    let _ =
        tracing::subscriber::set_global_default(json_subscriber(std::io::stdout, default_filter()));
}

/// The span every request runs in: Lambda's request id (locally a random one), method and
/// path. Never the query string or the body: they can carry tokens and personal data.
pub fn request_span(req: &Request) -> tracing::Span {
    use lambda_http::RequestExt;
    let request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| crate::crypto::random_token()[..16].to_owned());
    tracing::info_span!("request", request_id = %request_id, method = %req.method(), path = %req.uri().path())
}

/// One request, the same way in Lambda and in the local gateway: admitted only if it
/// came through the edge (`shared::edge`, else 403), with a method the route table lists
/// for its path (else 405), a POST only from the portal's own pages
/// (`web::check_same_origin`, else 403), on a private route only with a live session
/// (`session::require`, else to the login); then, with the flow secret's keys ready (if the
/// function is given the secret), the handler inside the request's span, with the viewer
/// (and the signed-in user) attached.
pub async fn entry<F>(app: &App, mut req: Request, handler: impl FnOnce(Request) -> F) -> Resp
where
    F: Future<Output = Resp>,
{
    let span = request_span(&req);
    async move {
        let admitted =
            crate::edge::admit(&req, &app.config.origin_verify_secret).and_then(|viewer| {
                let path = req.uri().path();
                if routes::allows(req.method().as_str(), path) == Some(false) {
                    return Err(WebError::MethodNotAllowed);
                }
                if crate::web::is_post(&req) {
                    crate::web::check_same_origin(&req, &app.config.public_base_url)?;
                }
                Ok(viewer)
            });
        let viewer = match admitted {
            Ok(viewer) => viewer,
            Err(e) => return e.into_response(),
        };
        req.extensions_mut().insert(viewer);
        if routes::is_private(req.uri().path()) {
            match crate::session::require(app, &req).await {
                Ok(Ok(signed_in)) => {
                    req.extensions_mut().insert(signed_in);
                }
                Ok(Err(to_login)) => return to_login,
                Err(e) => return e.into_response(),
            }
        }
        // The flow secret, for the functions given it (`FLOW_SECRET_ARN`): fetched at the
        // process's first request, then cached (`shared::secret`).
        if app.secret.is_configured() {
            if let Err(e) = app.ready_keys().await {
                tracing::error!(error = %e, "flow secret unavailable");
                return WebError::Unavailable(e.to_string()).into_response();
            }
        }
        handler(req).await
    }
    .instrument(span)
    .await
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
        Ok::<_, std::convert::Infallible>(entry(app, req, |req| handler(app, req)).await)
    }))
    .await
}
