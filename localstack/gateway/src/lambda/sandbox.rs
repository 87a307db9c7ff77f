//! One execution environment: a function's binary started as Lambda starts it — a fresh
//! process, the function's environment, `AWS_LAMBDA_RUNTIME_API` pointing at a Runtime API
//! of its own (the 2018-06-01 interface `lambda_runtime` speaks) on a port of 127.0.0.1.
//! Like Lambda it runs one invocation at a time: the event is handed over when the process
//! asks `/invocation/next`, the answer comes back on `/invocation/{id}/response` (or
//! `/error`). A process that overruns its time is killed and, like one that dies, is
//! discarded with the invocation it had.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot, Notify};

/// Lambda's limit on an on-demand init (the process start up to its first `next`).
pub const INIT_LIMIT: Duration = Duration::from_secs(10);
/// Lambda's limit on a synchronous response payload.
const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

/// How an invocation ended.
#[derive(Debug)]
pub enum Outcome {
    /// What the function posted to `/response`.
    Response(Bytes),
    /// A function error, an init error, a timeout or a dead process (Lambda's error text).
    Failed(String),
}

struct Invocation {
    id: String,
    event: Vec<u8>,
    timeout: Duration,
    picked: oneshot::Sender<()>,
    done: oneshot::Sender<Outcome>,
}

/// What the Runtime API handlers and the process supervisor share.
struct Env {
    arn: String,
    inbox: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    current: Mutex<Option<(String, oneshot::Sender<Outcome>)>>,
    /// The last `/init/error` or `/error` body, to say why a process died.
    last_error: Mutex<Option<String>>,
    dead: AtomicBool,
    kill: Notify,
}

pub struct Sandbox {
    tx: mpsc::Sender<Invocation>,
    env: Arc<Env>,
    pub pid: u32,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.env.kill.notify_one();
    }
}

/// Where a function process's stdout lines go (its logs, and the EMF metric lines in them).
pub type LineSink = Arc<dyn Fn(&str) + Send + Sync>;

impl Sandbox {
    /// Starts `cmd` (binary, environment and output already set) with a Runtime API of its own.
    /// If `cmd`'s stdout is piped, each line it prints goes to `stdout`.
    pub async fn start(
        function: &str,
        arn: String,
        mut cmd: tokio::process::Command,
        stdout: LineSink,
    ) -> std::io::Result<Sandbox> {
        let (tx, rx) = mpsc::channel(1);
        let env = Arc::new(Env {
            arn,
            inbox: tokio::sync::Mutex::new(rx),
            current: Mutex::new(None),
            last_error: Mutex::new(None),
            dead: AtomicBool::new(false),
            kill: Notify::new(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let api = listener.local_addr()?;
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .layer(DefaultBodyLimit::max(MAX_PAYLOAD))
            .with_state(env.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let mut child = match cmd
            .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
            .kill_on_drop(true)
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                server.abort();
                return Err(e);
            }
        };
        let pid = child.id().unwrap_or(0);
        if let Some(out) = child.stdout.take() {
            tokio::spawn(async move {
                use tokio::io::AsyncBufReadExt;
                let mut lines = tokio::io::BufReader::new(out).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    stdout(&line);
                }
            });
        }
        let sup = env.clone();
        let function = function.to_owned();
        tokio::spawn(async move {
            let status = tokio::select! {
                s = child.wait() => s,
                _ = sup.kill.notified() => { let _ = child.start_kill(); child.wait().await }
            };
            sup.dead.store(true, Ordering::SeqCst);
            server.abort();
            let why = sup
                .last_error
                .lock()
                .unwrap()
                .take()
                .unwrap_or_else(|| format!("Runtime.ExitError: {status:?}"));
            tracing::info!(function, pid, status = ?status, "lambda environment ended");
            if let Some((_, done)) = sup.current.lock().unwrap().take() {
                let _ = done.send(Outcome::Failed(why.clone()));
            }
            // Events handed over but never picked up fail the same way.
            let mut inbox = sup.inbox.lock().await;
            inbox.close();
            while let Ok(inv) = inbox.try_recv() {
                let _ = inv.done.send(Outcome::Failed(why.clone()));
            }
        });
        Ok(Sandbox { tx, env, pid })
    }

    /// Kills the process; the environment is never used again (as Lambda does after a timeout).
    fn discard(&self) {
        self.env.dead.store(true, Ordering::SeqCst);
        self.env.kill.notify_one();
    }

    pub fn is_alive(&self) -> bool {
        !self.env.dead.load(Ordering::SeqCst)
    }

    /// Runs one invocation: up to `INIT_LIMIT` for the process to ask for it (a cold start),
    /// then up to `timeout` for its answer (the function's Timeout).
    pub async fn invoke(&self, event: Vec<u8>, timeout: Duration) -> Outcome {
        let (picked, picked_rx) = oneshot::channel();
        let (done, mut done_rx) = oneshot::channel();
        let id = uuid();
        if self
            .tx
            .send(Invocation {
                id,
                event,
                timeout,
                picked,
                done,
            })
            .await
            .is_err()
        {
            return Outcome::Failed("Runtime.ExitError: the environment is gone".into());
        }
        match tokio::time::timeout(INIT_LIMIT, picked_rx).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => {
                return done_rx
                    .await
                    .unwrap_or_else(|_| Outcome::Failed("Runtime.ExitError".into()))
            }
            Err(_) => {
                self.discard();
                return Outcome::Failed(format!(
                    "Runtime.InitTimeout: no /invocation/next within {INIT_LIMIT:?}"
                ));
            }
        }
        match tokio::time::timeout(timeout, &mut done_rx).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Outcome::Failed("Runtime.ExitError".into()),
            Err(_) => {
                self.discard();
                Outcome::Failed(format!(
                    "Task timed out after {:.2} seconds",
                    timeout.as_secs_f64()
                ))
            }
        }
    }
}

async fn next(State(env): State<Arc<Env>>) -> Response {
    let Some(inv) = env.inbox.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        + inv.timeout;
    let mut h = HeaderMap::new();
    let mut set = |k: &'static str, v: String| {
        if let Ok(v) = v.parse() {
            h.insert(k, v);
        }
    };
    set("lambda-runtime-aws-request-id", inv.id.clone());
    set(
        "lambda-runtime-deadline-ms",
        deadline.as_millis().to_string(),
    );
    set("lambda-runtime-invoked-function-arn", env.arn.clone());
    set(
        "lambda-runtime-trace-id",
        format!(
            "Root=1-{:08x}-{};Sampled=0",
            deadline.as_secs(),
            &uuid().replace('-', "")[..24]
        ),
    );
    set("content-type", "application/json".into());
    *env.current.lock().unwrap() = Some((inv.id, inv.done));
    let _ = inv.picked.send(());
    (StatusCode::OK, h, inv.event).into_response()
}

/// Ends the invocation `id` with `outcome`; 400 for an id that is not in flight.
fn finish(env: &Env, id: &str, outcome: Outcome) -> (StatusCode, Json<serde_json::Value>) {
    let mut current = env.current.lock().unwrap();
    match current.take_if(|(cur, _)| cur == id) {
        Some((_, done)) => {
            let _ = done.send(outcome);
            (StatusCode::ACCEPTED, Json(json!({"status": "OK"})))
        }
        None => (
            StatusCode::BAD_REQUEST,
            Json(json!({"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"})),
        ),
    }
}

async fn response(
    State(env): State<Arc<Env>>,
    Path(id): Path<String>,
    body: Bytes,
) -> impl IntoResponse {
    finish(&env, &id, Outcome::Response(body))
}

async fn error(
    State(env): State<Arc<Env>>,
    Path(id): Path<String>,
    body: String,
) -> impl IntoResponse {
    finish(&env, &id, Outcome::Failed(body))
}

async fn init_error(State(env): State<Arc<Env>>, body: String) -> impl IntoResponse {
    *env.last_error.lock().unwrap() = Some(format!("Runtime.InitError: {body}"));
    (StatusCode::ACCEPTED, Json(json!({"status": "OK"})))
}

/// A random request id in Lambda's UUID shape.
fn uuid() -> String {
    let h = domain::crypto::token_hash(&domain::crypto::random_token());
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
