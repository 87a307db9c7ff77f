//! The local gateway: one HTTP server that serves the generated public area, dispatches
//! every path of the route table (`domain::routes`) to its function — the same table the
//! SAM template's REST API declares — and offers local-only dev pages: `/_dev/inbox` (SMS
//! and emails captured by LocalStack; `/_dev/inbox.json` the same as JSON, `?to=` filters
//! by recipient), `/_dev/metriche` (the funnel, from the functions' metric lines) and
//! `POST /_dev/clock`. A function runs either in-process (its `handle`,
//! `Backend::InProcess`) or as its own binary behind the Lambda event path (`lambda`).
//! A second listener (`spawn_with_api`) plays the REST API's public `execute-api` endpoint
//! behind its regional WAF (`edge`): what someone calling the API directly would reach.

pub mod edge;
pub mod handlers;
pub mod inbox;
pub mod lambda;
pub mod metriche;
pub mod outbox;

use axum::body::{to_bytes, Body as AxumBody};
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use domain::clock::OffsetClock;
use engine::App;
use metrics::Tally;
/// The outbox's consumer, run by the poller (`outbox`), and its real sender.
pub use send_messages::{aws_sender, Consumer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::{ServeDir, ServeFile};
use web::{self, WebError};

#[derive(Clone)]
pub struct Gateway {
    pub app: &'static App,
    pub clock: Arc<OffsetClock>,
    /// LocalStack's base URL, for the dev inbox.
    pub aws_endpoint: String,
    pub region: String,
    /// Trust `x-simulated-client-ip` as the viewer's IP (tests only; see `play_the_edge`).
    pub simulated_clients: bool,
    /// The origin secret CloudFront adds and the API's WAF checks; the invocation count.
    pub edge: edge::Edge,
    /// What the outbox's poller sends with (`send_messages::aws_sender`: SNS and SES v2 on
    /// LocalStack; tests wrap it to count or fail its calls). `App` holds only the outbox.
    pub sender: Arc<dyn notify::Notifier>,
}

/// How the gateway runs a function.
#[derive(Clone)]
pub enum Backend {
    /// Calls the function crate's `handle` in this process (fast; the tests' default).
    InProcess,
    /// An API Gateway event to the function's own binary through a Runtime API emulator.
    Lambda(Arc<lambda::Functions>),
}

pub fn router(gw: Gateway, site_dir: PathBuf) -> Router {
    router_with(gw, site_dir, Backend::InProcess)
}

pub fn router_with(gw: Gateway, site_dir: PathBuf, backend: Backend) -> Router {
    router_counting(gw, site_dir, backend, Arc::default())
}

/// `router_with`, counting the metric lines of the functions run in-process in `metrics`
/// (shared with the outbox poller: `spawn_with`).
pub fn router_counting(
    gw: Gateway,
    site_dir: PathBuf,
    backend: Backend,
    metrics: Arc<Tally>,
) -> Router {
    let statics =
        ServeDir::new(&site_dir).not_found_service(ServeFile::new(site_dir.join("404.html")));
    Router::new()
        .route("/_dev/inbox", get(inbox::page))
        .route("/_dev/inbox.json", get(inbox::json))
        .route("/_dev/inbox/email", get(inbox::email))
        .route("/_dev/inbox/svuota", post(inbox::clear))
        .route("/_dev/metriche", get(metriche::page))
        .route("/_dev/metriche.json", get(metriche::json))
        .route("/_dev/clock", post(advance_clock))
        .fallback(any(dispatch))
        .with_state(Ctx {
            gw,
            statics,
            backend,
            metrics,
        })
}

/// Largest request body passed to a function: in AWS a body reaches the Lambda up to its
/// 6 MB invocation payload (the handlers read only the first `form::MAX_BODY`), so a large
/// form gets the same answer locally as there.
const MAX_REQUEST_BODY: usize = 6 * 1024 * 1024;

#[derive(Clone)]
pub struct Ctx {
    gw: Gateway,
    statics: ServeDir<tower_http::set_status::SetStatus<ServeFile>>,
    backend: Backend,
    /// What the in-process functions and the outbox poller emitted (`/_dev/metriche`).
    metrics: Arc<Tally>,
}

async fn advance_clock(State(Ctx { gw, backend, .. }): State<Ctx>, uri: http::Uri) -> Response {
    if let Backend::Lambda(_) = backend {
        // Each function process reads the real clock of its own; this one moves nobody's.
        let msg = "In modalità lambda (GATEWAY_MODE=lambda) le funzioni sono processi separati \
                   con il proprio orologio: /_dev/clock non può spostarlo. \
                   Usa GATEWAY_MODE=inprocess per i test che avanzano l'orologio.\n";
        return (http::StatusCode::NOT_IMPLEMENTED, msg).into_response();
    }
    let secs = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("advance=")))
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    gw.clock.advance(secs);
    format!("offset={}\n", gw.clock.offset()).into_response()
}

async fn dispatch(
    State(Ctx {
        gw,
        statics,
        backend,
        metrics,
    }): State<Ctx>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: http::Request<AxumBody>,
) -> Response {
    let path = req.uri().path().to_owned();
    let method = req.method().as_str().to_owned();
    if let Some(route) = domain::routes::find(&method, &path) {
        let (mut parts, body) = req.into_parts();
        let Ok(bytes) = to_bytes(body, MAX_REQUEST_BODY).await else {
            return to_axum(web::html(
                413,
                ui::pages::message_page(
                    "Richiesta troppo grande",
                    "La richiesta inviata è troppo grande.",
                    domain::routes::HOME,
                    "Torna alla home page",
                ),
            ));
        };
        let viewer = play_the_edge(&gw, &mut parts.headers, peer);
        return through_the_api(&gw, &backend, metrics, route, parts, bytes, viewer.ip()).await;
    }
    if domain::routes::is_dynamic(&path) {
        return to_axum(web::Render::into_response(WebError::MethodNotAllowed));
    }
    let mut resp = tower::ServiceExt::oneshot(statics, req)
        .await
        .map(IntoResponse::into_response)
        .unwrap_or_else(|e| e.into_response());
    for (k, v) in web::SECURITY_HEADERS
        .iter()
        .filter(|(k, _)| *k != "cache-control")
    {
        resp.headers_mut()
            .insert(*k, http::HeaderValue::from_static(v));
    }
    resp
}

/// The request as the REST API receives it (from CloudFront, or called directly): its
/// regional WAF first — a request without the origin secret is answered 403 and no
/// function runs — then the route's function, in-process or through the Lambda event path.
async fn through_the_api(
    gw: &Gateway,
    backend: &Backend,
    metrics: Arc<Tally>,
    route: &'static domain::routes::Route,
    parts: http::request::Parts,
    bytes: axum::body::Bytes,
    viewer_ip: std::net::IpAddr,
) -> Response {
    if !gw.edge.secret.admits(&parts.headers) {
        return edge::blocked().map(AxumBody::from);
    }
    gw.edge.invocations.record(route.function);
    match backend {
        Backend::InProcess => {
            let Some(handler) = handlers::handler_for(route.function) else {
                return to_axum(web::Render::into_response(WebError::NotFound));
            };
            let lreq = http::Request::from_parts(parts, lambda_http::Body::Binary(bytes.to_vec()));
            let entry = web::runtime::entry(gw.app, lreq, |r| handler(gw.app, r));
            to_axum(metrics::scoped(metrics, entry).await)
        }
        Backend::Lambda(functions) => functions
            .handle(route, &parts, viewer_ip, &bytes)
            .await
            .map(AxumBody::from),
    }
}

/// The REST API's public endpoint (`https://<api>.execute-api.<region>.amazonaws.com/<stage>`),
/// reached without CloudFront: paths under `/<stage>` (`edge::LOCAL_STAGE`), nothing added
/// to the request (no viewer address, no secret: only what the caller sent).
async fn execute_api(
    State(Ctx {
        gw,
        backend,
        metrics,
        ..
    }): State<Ctx>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: http::Request<AxumBody>,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let stage_prefix = format!("/{}", edge::LOCAL_STAGE);
    let path = parts
        .uri
        .path()
        .strip_prefix(&stage_prefix)
        .filter(|p| p.starts_with('/'))
        .map(str::to_owned);
    let route = path
        .as_deref()
        .and_then(|p| domain::routes::find(parts.method.as_str(), p));
    let Some(route) = route else {
        return edge::no_resource().map(AxumBody::from);
    };
    let Ok(bytes) = to_bytes(body, MAX_REQUEST_BODY).await else {
        return (http::StatusCode::PAYLOAD_TOO_LARGE, "").into_response();
    };
    // The function sees the resource path (API Gateway's `path`), without the stage.
    let target = match parts.uri.query() {
        Some(q) => format!("{}?{q}", path.unwrap_or_default()),
        None => path.unwrap_or_default(),
    };
    parts.uri = target.parse().expect("a path of the route table");
    through_the_api(&gw, &backend, metrics, route, parts, bytes, peer.ip()).await
}

/// Locally the gateway is CloudFront: it sets the viewer address from the socket (a
/// client-supplied one is dropped) and adds the origin secret. Only a gateway started with
/// `simulated_clients` (tests that play many clients from one host, and say so) takes the
/// viewer's IP from `x-simulated-client-ip`. Returns the viewer's address.
pub fn play_the_edge(gw: &Gateway, headers: &mut http::HeaderMap, peer: SocketAddr) -> SocketAddr {
    use web::edge::{ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_HEADER};
    let simulated = headers
        .remove(SIMULATED_CLIENT_HEADER)
        .filter(|_| gw.simulated_clients);
    let ip = simulated
        .and_then(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<std::net::IpAddr>().ok())
        })
        .unwrap_or(peer.ip());
    let viewer = SocketAddr::new(ip, peer.port());
    headers.remove("x-forwarded-for");
    headers.insert(
        VIEWER_ADDRESS_HEADER,
        viewer
            .to_string()
            .parse()
            .expect("an address is a header value"),
    );
    if let Ok(v) = gw.edge.secret.current.parse() {
        headers.insert(ORIGIN_VERIFY_HEADER, v);
    }
    viewer
}

/// The header a test client names its simulated address with (see `play_the_edge`).
pub const SIMULATED_CLIENT_HEADER: &str = "x-simulated-client-ip";

fn to_axum(resp: web::Resp) -> Response {
    let (parts, body) = resp.into_parts();
    let bytes: Vec<u8> = match body {
        lambda_http::Body::Empty => Vec::new(),
        lambda_http::Body::Text(t) => t.into_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => Vec::new(),
    };
    Response::from_parts(parts, AxumBody::from(bytes))
}

/// Serves on `addr` until the process ends. Returns the bound address (port 0 picks one).
pub async fn spawn(
    gw: Gateway,
    site_dir: PathBuf,
    addr: SocketAddr,
) -> std::io::Result<SocketAddr> {
    spawn_on(gw, site_dir, tokio::net::TcpListener::bind(addr).await?)
}

/// Serves on an already bound listener (tests bind first to learn the port).
pub fn spawn_on(
    gw: Gateway,
    site_dir: PathBuf,
    listener: tokio::net::TcpListener,
) -> std::io::Result<SocketAddr> {
    spawn_with(gw, site_dir, listener, Backend::InProcess)
}

/// `spawn_on`, and the REST API's own endpoint on `api_listener` (`execute_api`).
pub fn spawn_on_with_api(
    gw: Gateway,
    site_dir: PathBuf,
    listener: tokio::net::TcpListener,
    api_listener: tokio::net::TcpListener,
) -> std::io::Result<SocketAddr> {
    spawn_with_api(
        gw,
        site_dir,
        listener,
        Some(api_listener),
        Backend::InProcess,
    )
}

/// `spawn_on` with the functions run by `backend`. Also starts the poller that delivers the
/// app's outbox queue (`outbox::spawn`); both end with the current runtime.
pub fn spawn_with(
    gw: Gateway,
    site_dir: PathBuf,
    listener: tokio::net::TcpListener,
    backend: Backend,
) -> std::io::Result<SocketAddr> {
    spawn_with_api(gw, site_dir, listener, None, backend)
}

/// `spawn_with`, and when `api_listener` is given the REST API's public endpoint on it:
/// paths `/<stage>/...` (`edge::LOCAL_STAGE`) through the API's WAF to the same functions.
pub fn spawn_with_api(
    gw: Gateway,
    site_dir: PathBuf,
    listener: tokio::net::TcpListener,
    api_listener: Option<tokio::net::TcpListener>,
    backend: Backend,
) -> std::io::Result<SocketAddr> {
    let bound = listener.local_addr()?;
    let metrics = Arc::new(Tally::default());
    let consumer = send_messages::Consumer {
        app: gw.app.clone(),
        sender: gw.sender.clone(),
    };
    outbox::spawn_counting(consumer, metrics.clone());
    if let Some(api_listener) = api_listener {
        let statics =
            ServeDir::new(&site_dir).not_found_service(ServeFile::new(site_dir.join("404.html")));
        let api = Router::new()
            .fallback(any(execute_api))
            .with_state(Ctx {
                gw: gw.clone(),
                statics,
                backend: backend.clone(),
                metrics: metrics.clone(),
            })
            .into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move {
            let _ = axum::serve(api_listener, api).await;
        });
    }
    let app = router_counting(gw, site_dir, backend, metrics)
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(bound)
}
