//! The Lambda entry point every function's `main` calls: structured JSON logs, the App
//! built once per process (cold start), then the `lambda_http` loop.

use crate::{Render, Resp, WebError};
use domain::routes;
use engine::app::App;
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
        .unwrap_or_else(|| domain::crypto::random_token()[..16].to_owned());
    tracing::info_span!("request", request_id = %request_id, method = %req.method(), path = %req.uri().path())
}

/// One request, the same way in Lambda and in the local gateway (it came through
/// CloudFront: the API's WAF let nobody else in, `web::edge`): with a method the route
/// table lists for its path (else 405), a POST only from the portal's own pages
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
        let admitted = (|| {
            if routes::allows(req.method().as_str(), req.uri().path()) == Some(false) {
                return Err(WebError::MethodNotAllowed);
            }
            if crate::is_post(&req) {
                crate::check_same_origin(&req, &app.config.public_base_url)?;
            }
            Ok(())
        })();
        if let Err(e) = admitted {
            return e.into_response();
        }
        let viewer = crate::edge::viewer(&req);
        req.extensions_mut().insert(viewer);
        // The request read once: every cookie, the query, the form, the viewer.
        let mut ctx = crate::ctx::read(app, &req);
        if routes::is_private(&ctx.path) {
            match engine::session::require(app, &ctx).await {
                Ok(Ok(signed_in)) => ctx.signed_in = Some(signed_in),
                Ok(Err(to)) => return crate::redirect_with_cookies(&to.to, &to.cookies),
                Err(e) => return e.into_response(),
            }
        }
        // The flow secret, for the functions given it (`FLOW_SECRET_ARN`): fetched by the
        // process's first request that may use it, then cached (`store::secret`). A GET
        // without a sealed cookie (the first visit to a page) seals and opens nothing: it
        // does not wait for Secrets Manager. Such a GET that does sign something (step 1's
        // slider) or runs a step fetches the keys itself (`App::need_keys`).
        if needs_keys(&req, &ctx) {
            if let Err(e) = app.need_keys().await {
                return e.into_response();
            }
        }
        req.extensions_mut().insert(ctx);
        handler(req).await
    }
    .instrument(span)
    .await
}

/// Whether a request may use the flow keys before its handler asks for them: any request
/// but a GET (or HEAD), and a GET carrying a sealed value (a flow cookie to open).
fn needs_keys(req: &Request, ctx: &engine::Ctx) -> bool {
    !matches!(*req.method(), http::Method::GET | http::Method::HEAD) || ctx.carries_sealed()
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
        let req = without_stage(req);
        Ok::<_, std::convert::Infallible>(entry(app, req, |req| handler(app, req)).await)
    }))
    .await
}

/// The request with the path API Gateway matched its resource on. For a REST API event
/// `lambda_http` puts the stage in front of the path (`/prod/accesso`: the execute-api URL
/// the request was sent to), while the route table, the handlers and the redirects speak
/// of the resource path (`/accesso`, the event's `path`, which CloudFront's `OriginPath`
/// maps the viewer's path to): the URI keeps its query, takes the event's path.
pub fn without_stage(mut req: Request) -> Request {
    use lambda_http::RequestExt;
    let raw = req.raw_http_path().to_owned();
    if raw.is_empty() || raw == req.uri().path() || !raw.starts_with('/') {
        return req;
    }
    let target = match req.uri().query() {
        Some(q) => format!("{raw}?{q}"),
        None => raw,
    };
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = target.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use store::secret::{FlowKeys, FlowSecret, KeySource, SecretError};

    /// Secrets Manager as the runtime sees it: counts its reads.
    #[derive(Default)]
    struct CountedSecret(AtomicUsize);

    #[async_trait::async_trait]
    impl KeySource for CountedSecret {
        async fn fetch(&self) -> Result<FlowKeys, SecretError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(FlowKeys::fixed(vec![7u8; 32]))
        }
    }

    /// A function given the flow secret (fetched on first use), and its reads.
    fn app_reading_the_secret() -> (App, Arc<CountedSecret>) {
        let (app, ..) = App::in_memory(engine::config::Config::for_tests());
        let source = Arc::new(CountedSecret::default());
        let secret = FlowSecret::fetched(source.clone(), app.clock.clone());
        let app = App {
            secret: Arc::new(secret),
            ..app
        };
        (app, source)
    }

    fn request(method: &str, cookie: Option<&str>) -> Request {
        let mut b = http::Request::builder().method(method).uri(routes::LOGIN);
        if let Some(c) = cookie {
            b = b.header("cookie", c);
        }
        b.body(lambda_http::Body::Empty).unwrap()
    }

    async fn answer(app: &App, req: Request) -> u16 {
        let ok = |_| async { crate::Resp::default() };
        entry(app, req, ok).await.status().as_u16()
    }

    /// Issue 23: the first GET of a page (no sealed cookie) seals and opens nothing, so a cold
    /// process answers it without waiting for Secrets Manager; a POST, or a GET carrying a
    /// flow cookie to open, has the keys fetched before its handler.
    #[tokio::test]
    async fn only_requests_that_may_use_the_flow_keys_read_the_secret() {
        let (app, reads) = app_reading_the_secret();
        let reads = || reads.0.load(Ordering::SeqCst);
        assert_eq!(answer(&app, request("GET", None)).await, 200);
        assert_eq!(
            answer(&app, request("GET", Some("device=0123abcd"))).await,
            200
        );
        assert_eq!(reads(), 0, "a GET without a sealed cookie read the secret");
        let sealed = engine::carry::seal(
            FlowKeys::fixed(vec![7u8; 32]).current(),
            "LOGIN",
            "flow",
            1,
            &(),
            app.now() + 60,
        );
        assert!(engine::carry::is_sealed(&sealed), "{sealed}");
        assert_eq!(
            answer(&app, request("GET", Some(&format!("login_flow={sealed}")))).await,
            200
        );
        assert_eq!(reads(), 1, "a GET with a flow cookie to open");
        let (app, reads) = app_reading_the_secret();
        assert_eq!(answer(&app, request("POST", None)).await, 200);
        assert_eq!(reads.0.load(Ordering::SeqCst), 1, "a POST");
    }

    /// A REST API event (payload 1.0) of stage `prod`: lambda_http reads `/prod/accesso`,
    /// the function serves `/accesso` with the same query.
    #[test]
    fn a_rest_api_request_loses_the_stage_prefix() {
        let event = serde_json::json!({
            "resource": "/accesso",
            "path": "/accesso",
            "httpMethod": "GET",
            "headers": {"host": "abc.execute-api.eu-south-1.amazonaws.com"},
            "multiValueHeaders": {"host": ["abc.execute-api.eu-south-1.amazonaws.com"]},
            "queryStringParameters": {"next": "/area-clienti"},
            "multiValueQueryStringParameters": {"next": ["/area-clienti"]},
            "requestContext": {
                "accountId": "000000000000", "apiId": "abc", "resourceId": "r1",
                "resourcePath": "/accesso", "httpMethod": "GET", "path": "/prod/accesso",
                "stage": "prod", "requestId": "x", "identity": {"sourceIp": "10.0.0.1"}
            },
            "isBase64Encoded": false
        });
        let req = lambda_http::request::from_str(&event.to_string()).unwrap();
        assert_eq!(
            req.uri().path(),
            "/prod/accesso",
            "what lambda_http makes of it"
        );
        let req = without_stage(req);
        assert_eq!(req.uri().path(), "/accesso");
        assert_eq!(req.uri().query(), Some("next=%2Farea-clienti"));
        assert_eq!(
            domain::routes::find("GET", req.uri().path()).map(|r| r.function),
            Some("login")
        );
    }
}
