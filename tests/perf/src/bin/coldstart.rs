//! Cold start (issue #8, part 1): each function binary is started as Lambda starts it —
//! a fresh process with `AWS_LAMBDA_RUNTIME_API` pointing at a Runtime API — and timed
//! from just before `spawn` to the moment its first response reaches the Runtime API.
//! The Runtime API is a stub in this process: it answers the first
//! `/2018-06-01/runtime/invocation/next` with one API Gateway v2 HTTP event, records when
//! that `next` arrived (end of init) and when `/invocation/{id}/response` arrives, then
//! serves the same request once more (the warm time of that request in that process), and
//! holds the next `next` (the process then waits, like a warm Lambda) until we read its
//! peak RSS (`VmHWM`) and kill it.
//!
//!     coldstart --bin-dir target/release [--runs N] [--baseline hello-lambda] [--probe initprobe]
//!         FUNCTION...   (`NAME@TAG`: another build of NAME copied into the bin dir, e.g. old code)
//!
//! Three kinds of request:
//! - `page`: the function's first GET route from `domain::routes::ROUTES`, no cookie:
//!   no AWS call but step 1's (the flow secret, for the slider's challenge); steps 2-5
//!   answer with the redirect to step 1, private pages with the one to the login. Budget:
//!   the first response within 1.3x hello-world's (issue 23);
//! - `flow`: the page a person in the middle of a registration opens, with a live flow in
//!   DynamoDB (LocalStack): the flow is driven in memory by `perf::browser` and its items
//!   copied to the table `portale-bench`, so the first request makes real DynamoDB calls
//!   (region, credentials, signing, connection set up on first use). Needs LocalStack at
//!   AWS_ENDPOINT_URL (default http://127.0.0.1:4566); skipped without it;
//! - `post` (login only): the login form of an unknown user from a new address, the POST
//!   people wait on: the flow secret's read, DynamoDB reads and counter updates, a password
//!   hash. Its own work is no cold start: judged by what the cold start adds (first response
//!   minus the warm one), against hello-world's.
//!
//! The seeder creates the bench table and the flow secret
//! `portale/bench/flow-secret` (as `portale-admin bootstrap` does); a function that reads the
//! secret is given its name, as in the template. A 5xx row fails the run.
//!
//! `--probe` also starts `initprobe` (same environment) to split the init into its steps.
//!
//! Rounds alternate the binaries (hello, f1, f2, ..., hello, f1, ...) so that machine
//! noise spreads evenly; one untimed round first warms the page cache.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use domain::routes;
use futures::future::LocalBoxFuture;
use perf::browser::{self, Browser};
use perf::stats::{median, ms};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::{dynamo::DynamoStore, Store};
use tokio::sync::oneshot;

const TABLE: &str = "portale-bench";
/// The bench functions' flow secret in LocalStack's Secrets Manager: created by the seeder
/// as `FLOW_SECRET_ARN=portale/bench/flow-secret portale-admin bootstrap` would.
const FLOW_SECRET: &str = "portale/bench/flow-secret";
/// The budget of a page request's first response, against hello-world's (issue 23).
const PAGE_BUDGET: f64 = 1.3;
const PUBLIC_BASE_URL: &str = "http://127.0.0.1:3000";
const MEMORY_MB: &str = "128";

// --- The Runtime API stub ---------------------------------------------------------------

enum Outcome {
    /// When each event's response arrived, and the first one's status.
    Responses {
        at: Vec<Instant>,
        status: u16,
    },
    Error {
        what: String,
        body: String,
    },
}

/// The events of one process: the first is its cold start; the next ones (the same request
/// again) are served warm; after the last, `next` waits forever, like an idle Lambda.
struct Invocation {
    events: Vec<String>,
    next_at: Mutex<Vec<Instant>>,
    responses: Mutex<(Vec<Instant>, u16)>,
    done: Mutex<Option<oneshot::Sender<Outcome>>>,
}

impl Invocation {
    fn finish(&self, o: Outcome) {
        if let Some(tx) = self.done.lock().unwrap().take() {
            let _ = tx.send(o);
        }
    }
}

async fn next(State(inv): State<Arc<Invocation>>) -> axum::response::Response {
    let served = {
        let mut at = inv.next_at.lock().unwrap();
        at.push(Instant::now());
        at.len() - 1
    };
    let Some(event) = inv.events.get(served) else {
        // The process is warm and waits for its next event: it never comes.
        std::future::pending::<()>().await;
        unreachable!()
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 30_000;
    let mut h = HeaderMap::new();
    h.insert(
        "lambda-runtime-aws-request-id",
        format!("8476a536-e9f4-11e8-9739-2dfe598c3f{served:02}")
            .parse()
            .unwrap(),
    );
    h.insert(
        "lambda-runtime-deadline-ms",
        deadline.to_string().parse().unwrap(),
    );
    h.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:eu-south-1:123456789012:function:bench"
            .parse()
            .unwrap(),
    );
    h.insert(
        "lambda-runtime-trace-id",
        "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
            .parse()
            .unwrap(),
    );
    h.insert("content-type", "application/json".parse().unwrap());
    (StatusCode::OK, h, event.clone()).into_response()
}

async fn response(
    State(inv): State<Arc<Invocation>>,
    Path(_id): Path<String>,
    body: axum::body::Bytes,
) -> StatusCode {
    let at = Instant::now();
    let status = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["statusCode"].as_u64())
        .unwrap_or(0) as u16;
    let done = {
        let mut r = inv.responses.lock().unwrap();
        if r.0.is_empty() {
            r.1 = status;
        }
        r.0.push(at);
        (r.0.len() == inv.events.len()).then(|| r.clone())
    };
    if let Some((at, status)) = done {
        inv.finish(Outcome::Responses { at, status });
    }
    StatusCode::ACCEPTED
}

async fn invocation_error(
    State(inv): State<Arc<Invocation>>,
    Path(_id): Path<String>,
    body: String,
) -> StatusCode {
    inv.finish(Outcome::Error {
        what: "invocation error".into(),
        body,
    });
    StatusCode::ACCEPTED
}

async fn init_error(State(inv): State<Arc<Invocation>>, body: String) -> StatusCode {
    inv.finish(Outcome::Error {
        what: "init error".into(),
        body,
    });
    StatusCode::ACCEPTED
}

/// Starts a stub serving `events` to one process; returns its address and the outcome to
/// await.
async fn stub(
    events: Vec<String>,
) -> (
    String,
    Arc<Invocation>,
    oneshot::Receiver<Outcome>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = oneshot::channel();
    let inv = Arc::new(Invocation {
        events,
        next_at: Mutex::new(Vec::new()),
        responses: Mutex::new((Vec::new(), 0)),
        done: Mutex::new(Some(tx)),
    });
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route(
            "/2018-06-01/runtime/invocation/{id}/error",
            post(invocation_error),
        )
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(inv.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, inv, rx, server)
}

// --- The event -------------------------------------------------------------------------

/// An API Gateway HTTP API (payload 2.0) event for a GET, as API Gateway sends it.
fn event(path_and_query: &str, cookies: &[(String, String)]) -> String {
    event_value(path_and_query, cookies).to_string()
}

/// The login form posted from the portal's own page by viewer `ip` (an address of its own
/// each time: no lockout counter is shared between runs): an unknown username, so the
/// step reads the table, hashes the password (as for a real account) and answers the form
/// with its error, changing nothing but counters.
fn login_post(ip: &str) -> String {
    let mut e = event_value(routes::LOGIN, &[]);
    let user = format!("bench{:08x}", rand_u32());
    let form = format!(
        "username={user}&password=Bench-Password-{:08x}&next=",
        rand_u32()
    );
    e["routeKey"] = format!("POST {}", routes::LOGIN).into();
    e["requestContext"]["http"]["method"] = "POST".into();
    e["requestContext"]["routeKey"] = e["routeKey"].clone();
    e["requestContext"]["http"]["sourceIp"] = ip.into();
    let h = &mut e["headers"];
    h["content-type"] = "application/x-www-form-urlencoded".into();
    h["origin"] = PUBLIC_BASE_URL.into();
    h["sec-fetch-site"] = "same-origin".into();
    h["cloudfront-viewer-address"] = format!("{ip}:50123").into();
    h["x-forwarded-for"] = format!("{ip}, 130.176.0.1").into();
    e["body"] = form.into();
    e.to_string()
}

fn rand_u32() -> u32 {
    let mut b = [0u8; 4];
    getrandom_fill(&mut b);
    u32::from_le_bytes(b)
}

fn getrandom_fill(b: &mut [u8]) {
    // SAFETY: a valid buffer of b.len() bytes we own.
    let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), 0) };
    assert_eq!(n, b.len() as isize, "getrandom");
}

fn event_value(path_and_query: &str, cookies: &[(String, String)]) -> serde_json::Value {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let ua = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130 Mobile Safari/537.36";
    serde_json::json!({
        "version": "2.0",
        "routeKey": format!("GET {path}"),
        "rawPath": path,
        "rawQueryString": query,
        "cookies": cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
        "headers": {
            "accept": "text/html,application/xhtml+xml",
            "accept-encoding": "gzip, deflate, br",
            "accept-language": "it-IT,it;q=0.9",
            "host": "abcdef1234.execute-api.eu-south-1.amazonaws.com",
            "sec-fetch-site": "none",
            "user-agent": ua,
            "x-forwarded-for": "203.0.113.7, 130.176.0.1",
            "cloudfront-viewer-address": "203.0.113.7:50123",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https"
        },
        "queryStringParameters": if query.is_empty() { serde_json::Value::Null } else {
            let pairs = url_pairs(query).into_iter();
            serde_json::Value::Object(pairs.map(|(k, v)| (k, serde_json::Value::String(v))).collect())
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "domainName": "abcdef1234.execute-api.eu-south-1.amazonaws.com",
            "domainPrefix": "abcdef1234",
            "http": {
                "method": "GET", "path": path, "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7", "userAgent": ua,
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": format!("GET {path}"),
            "stage": "$default",
            "time": "10/Mar/2026:10:00:00 +0000",
            "timeEpoch": 1773136800000u64
        },
        "isBase64Encoded": false
    })
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

// --- What each function is asked ------------------------------------------------------

/// The function a binary is: `login@old` is another build of `login` (a binary copied into
/// the bin dir under that name), asked the same requests in the same run.
fn base(binary: &str) -> &str {
    binary.split('@').next().unwrap_or(binary)
}

/// The first GET route of a function (new functions are found through the route table).
fn page_path(function: &str) -> Option<&'static str> {
    routes::ROUTES
        .iter()
        .find(|r| r.function == base(function) && r.method == "GET")
        .map(|r| r.path)
}

type Stage = fn() -> LocalBoxFuture<'static, Browser>;
/// The path and query of the page to open, from the seeded browser.
type PageOf = fn(&Browser) -> String;

/// For `flow` mode: the flow state to seed and the page a person opens in it. A new
/// function without a row here runs the `page` request only.
fn flow_request(function: &str) -> Option<(Stage, PageOf)> {
    macro_rules! st {
        ($f:path) => {
            (|| -> LocalBoxFuture<'static, Browser> { Box::pin($f()) }) as Stage
        };
    }
    Some(match function {
        "register-number" => (st!(browser::at_otp), |_| routes::REGISTER_NUMBER.to_owned()),
        "register-otp" => (st!(browser::at_otp), |_| routes::REGISTER_OTP.to_owned()),
        "register-profile" => (st!(browser::at_profile), |_| {
            routes::REGISTER_PROFILE.to_owned()
        }),
        "register-email" => (st!(browser::at_email), |_| {
            routes::REGISTER_EMAIL.to_owned()
        }),
        "confirm-email" => (st!(browser::at_email_sent), |b| b.link.clone()),
        "register-password" => (st!(browser::at_password), |_| {
            routes::REGISTER_PASSWORD.to_owned()
        }),
        _ => return None,
    })
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Mode {
    Page,
    Flow,
    Post,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Page => "page",
            Mode::Flow => "flow",
            Mode::Post => "post",
        }
    }
}

/// The functions asked a `post` request: the login form, the POST people wait on.
fn posts(function: &str) -> bool {
    base(function) == "login"
}

struct Seeder {
    store: DynamoStore,
}

impl Seeder {
    async fn connect(endpoint: &str) -> Option<Seeder> {
        let host = endpoint
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .trim_end_matches('/');
        if tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(host))
            .await
            .ok()?
            .is_err()
        {
            return None;
        }
        let mut config = engine::config::Config::for_tests();
        config.table_name = TABLE.into();
        config.flow_secret = Some(store::secret::FlowSecretSource::SecretsManager(
            FLOW_SECRET.into(),
        ));
        let sdk = engine::app::sdk_config(&config).await;
        let client = aws_sdk_dynamodb::Client::new(&sdk);
        store::dynamo::ensure_table(&client, TABLE).await.ok()?;
        // Without the flow secret every function that reads it answers 503.
        if let Err(e) = ensure_flow_secret(&aws_sdk_secretsmanager::Client::new(&sdk)).await {
            println!("note: the bench's flow secret {FLOW_SECRET} could not be created: {e}");
            return None;
        }
        Some(Seeder {
            store: DynamoStore::new(client, TABLE),
        })
    }

    /// Drives a registration in memory to `stage` and copies its items to the table.
    async fn seed(&self, function: &str) -> Option<(String, Vec<(String, String)>)> {
        let (stage, path) = flow_request(base(function))?;
        let b = stage().await;
        for (key, item) in b.store.dump() {
            self.store
                .put(&key, item, None)
                .await
                .expect("seed item into DynamoDB");
        }
        Some((path(&b), b.cookies.clone()))
    }
}

/// Creates the bench's flow secret with a random value unless it exists, as `FLOW_SECRET_ARN=
/// portale/bench/flow-secret portale-admin bootstrap` does (infra/portale-admin/src/bootstrap.rs;
/// not called from here: that crate would change the SDK features this build shares with
/// the functions').
async fn ensure_flow_secret(sm: &aws_sdk_secretsmanager::Client) -> Result<(), String> {
    let value = format!(
        "{}{}",
        domain::crypto::random_token(),
        domain::crypto::random_token()
    );
    match sm
        .create_secret()
        .name(FLOW_SECRET)
        .secret_string(&value[..64])
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_resource_exists_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(format!("{e:?}")),
    }
}

// --- One measured start ---------------------------------------------------------------

struct Sample {
    total_ms: f64,
    init_ms: f64,
    /// The same request again in the same (now warm) process: its handling alone.
    warm_ms: f64,
    status: u16,
    hwm_kib: u64,
}

fn lambda_env(function: &str, api: &str, endpoint: &str) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("AWS_LAMBDA_RUNTIME_API", api),
        ("AWS_LAMBDA_FUNCTION_NAME", function),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", MEMORY_MB),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            &format!("/aws/lambda/{function}"),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "2026/03/10/[$LATEST]bench"),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
        ("AWS_REGION", "eu-south-1"),
        ("AWS_DEFAULT_REGION", "eu-south-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_SESSION_TOKEN", "test"),
        // No profile files on Lambda: don't let the SDK read this machine's.
        ("AWS_CONFIG_FILE", "/nonexistent/aws-config"),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        ),
        ("AWS_ENDPOINT_URL", endpoint),
        ("TZ", ":UTC"),
        ("LANG", "en_US.UTF-8"),
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("TABLE_NAME", TABLE),
        ("PUBLIC_BASE_URL", PUBLIC_BASE_URL),
        ("EMAIL_FROM_ADDRESS", "convenzionemobile8@telecomitalia.it"),
        // Its name only: the function fetches it from Secrets Manager at first use (the
        // seeder creates it, as `FLOW_SECRET_ARN=... portale-admin bootstrap` does).
        ("FLOW_SECRET_ARN", FLOW_SECRET),
        ("COOKIE_SECURE", "false"),
        // Required by the configuration; what a step posts there is not measured here.
        ("OUTBOX_QUEUE_URL", engine::config::LOCAL_OUTBOX_QUEUE_URL),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    // As the template does: the secret's name only to the functions that read it.
    if !engine::access::reads_flow_secret(base(function)) && function != "initprobe" {
        env.retain(|(k, _)| k != "FLOW_SECRET_ARN");
    }
    env
}

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn start_once(
    bin: &PathBuf,
    function: &str,
    events: Vec<String>,
    endpoint: &str,
    log: &std::fs::File,
) -> Result<Sample, String> {
    let (api, inv, rx, server) = stub(events).await;
    let start = Instant::now();
    let mut child = Command::new(bin)
        .env_clear()
        .envs(lambda_env(function, &api, endpoint))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log.try_clone().unwrap())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let pid = child.id();
    let outcome = tokio::time::timeout(Duration::from_secs(30), rx).await;
    let hwm = vm_hwm_kib(pid);
    let _ = child.kill();
    let _ = child.wait();
    server.abort();
    let next_at = inv.next_at.lock().unwrap().clone();
    match outcome {
        Ok(Ok(Outcome::Responses { at, status })) => Ok(Sample {
            total_ms: ms(at[0] - start),
            init_ms: ms(next_at[0] - start),
            warm_ms: match (next_at.get(1), at.get(1)) {
                (Some(n), Some(r)) => ms(*r - *n),
                _ => f64::NAN,
            },
            status,
            hwm_kib: hwm,
        }),
        Ok(Ok(Outcome::Error { what, body })) => Err(format!("{function}: {what}: {body}")),
        Ok(Err(_)) => Err(format!("{function}: stub closed")),
        Err(_) => Err(format!("{function}: no response within 30 s (see the log)")),
    }
}

// --- Main ---------------------------------------------------------------------------------

struct Args {
    bin_dir: PathBuf,
    runs: usize,
    baseline: String,
    probe: Option<PathBuf>,
    functions: Vec<String>,
}

fn args() -> Args {
    let mut a = Args {
        bin_dir: PathBuf::from("target/release"),
        runs: 7,
        baseline: "hello-lambda".into(),
        probe: None,
        functions: vec![],
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--bin-dir" => a.bin_dir = it.next().expect("--bin-dir DIR").into(),
            "--runs" => a.runs = it.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--baseline" => a.baseline = it.next().expect("--baseline NAME"),
            "--probe" => a.probe = Some(it.next().expect("--probe PATH").into()),
            "-h" | "--help" => {
                println!(
                    "coldstart: each function binary started as Lambda starts it, timed to its \
                     first response, next to hello-world in the same run (scripts/bench.sh \
                     coldstart; budget 1.3x hello)\n\
                     usage: coldstart [--bin-dir target/release] [--runs 7] \
                     [--baseline hello-lambda] [--probe PATH] FUNCTION..."
                );
                std::process::exit(0);
            }
            f if !f.starts_with('-') => a.functions.push(f.to_owned()),
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(
        !a.functions.is_empty(),
        "name the function binaries to start"
    );
    a
}

#[tokio::main]
async fn main() {
    let a = args();
    // The seeder's SDK client (the functions get their own environment, see lambda_env).
    for (k, v) in [
        ("AWS_REGION", "eu-south-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
    ] {
        if std::env::var_os(k).is_none() {
            std::env::set_var(k, v);
        }
    }
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into());
    let log_path = a.bin_dir.join("coldstart-functions.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let seeder = Seeder::connect(&endpoint).await;
    if seeder.is_none() {
        println!("note: LocalStack not reachable at {endpoint}: the `flow` request (real DynamoDB calls) is skipped");
    }
    let mut bins: Vec<String> = vec![a.baseline.clone()];
    bins.extend(a.functions.iter().cloned());
    for b in &bins {
        assert!(
            a.bin_dir.join(b).exists(),
            "{} not built",
            a.bin_dir.join(b).display()
        );
    }

    let mut results: BTreeMap<(Mode, String), Vec<Sample>> = BTreeMap::new();
    let modes: Vec<Mode> = if seeder.is_some() {
        vec![Mode::Page, Mode::Flow, Mode::Post]
    } else {
        vec![Mode::Page]
    };
    let mut viewers = 0u32;
    for round in 0..=a.runs {
        for mode in &modes {
            for function in &bins {
                // Each process is asked its request twice: cold, then warm.
                let events = if function == &a.baseline {
                    vec![event("/", &[]); 2]
                } else if *mode == Mode::Post {
                    if !posts(function) {
                        continue;
                    }
                    let mut viewer = || {
                        viewers += 1;
                        let r = rand_u32();
                        format!("198.18.{}.{}", (r >> 8) as u8, viewers % 250 + 1)
                    };
                    vec![login_post(&viewer()), login_post(&viewer())]
                } else {
                    let (path, cookies) = if *mode == Mode::Flow {
                        match seeder.as_ref().unwrap().seed(function).await {
                            Some(x) => x,
                            None => continue,
                        }
                    } else {
                        match page_path(function) {
                            Some(p) => (p.to_owned(), vec![]),
                            None => continue,
                        }
                    };
                    vec![event(&path, &cookies); 2]
                };
                let bin = a.bin_dir.join(function);
                match start_once(&bin, function, events, &endpoint, &log).await {
                    // Round 0 only warms the page cache and LocalStack.
                    Ok(s) if round > 0 => results
                        .entry((*mode, function.clone()))
                        .or_default()
                        .push(s),
                    Ok(_) => {}
                    Err(e) => panic!("{e} (log: {})", log_path.display()),
                }
            }
        }
    }

    println!(
        "{} binaries from {} (Cargo.toml [profile.release]); {} runs each, medians",
        std::env::consts::ARCH,
        a.bin_dir.display(),
        a.runs
    );
    println!(
        "{:<5} {:<22} {:>8} {:>8} {:>11} {:>8} {:>8} {:>9} {:>8} {:>8} {:>6} {:>6}",
        "req",
        "binary",
        "size MiB",
        "init ms",
        "1st resp ms",
        "x hello",
        "warm ms",
        "cold adds",
        "x hello",
        "RSS MiB",
        "status",
        "budget"
    );
    let mut over: Vec<(String, f64)> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    let mut within = 0;
    let med = |xs: &[Sample], f: fn(&Sample) -> f64| median(&xs.iter().map(f).collect::<Vec<_>>());
    for mode in &modes {
        let hello = &results[&(*mode, a.baseline.clone())];
        let (base, base_cold) = (
            med(hello, |x| x.total_ms),
            med(hello, |x| x.total_ms - x.warm_ms),
        );
        for function in &bins {
            let Some(samples) = results.get(&(*mode, function.clone())) else {
                if *mode != Mode::Post {
                    println!(
                        "{:<5} {function:<22} (no {} request defined for it)",
                        mode.name(),
                        mode.name()
                    );
                }
                continue;
            };
            let size = std::fs::metadata(a.bin_dir.join(function))
                .map(|m| m.len())
                .unwrap_or(0) as f64
                / (1024.0 * 1024.0);
            let total = med(samples, |x| x.total_ms);
            let init = med(samples, |x| x.init_ms);
            let warm = med(samples, |x| x.warm_ms);
            let cold = med(samples, |x| x.total_ms - x.warm_ms);
            let hwm = med(samples, |x| x.hwm_kib as f64) / 1024.0;
            let mut statuses: Vec<u16> = samples.iter().map(|x| x.status).collect();
            statuses.sort_unstable();
            statuses.dedup();
            let (ratio, cold_ratio) = (total / base, cold / base_cold);
            // A 5xx is not the page's answer (e.g. 503: the flow secret could not be read).
            let broken = statuses.iter().any(|s| *s >= 500);
            // Pages: the first response against hello-world's (issue 23); the login POST,
            // which does real work (reads, a password hash), by what its cold start adds.
            let judged = match mode {
                Mode::Page => Some(ratio),
                Mode::Post => Some(cold_ratio),
                Mode::Flow => None,
            };
            let verdict = match judged {
                _ if function == &a.baseline => "-",
                _ if broken => {
                    failed.push(format!("{} {function}", mode.name()));
                    "ERROR"
                }
                None => "-",
                Some(r) if r <= PAGE_BUDGET => {
                    within += 1;
                    "ok"
                }
                Some(r) => {
                    over.push((format!("{} {function}", mode.name()), r));
                    "OVER"
                }
            };
            let status = statuses
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(",");
            println!(
                "{:<5} {function:<22} {size:>8.2} {init:>8.2} {total:>11.2} {ratio:>7.2}x {warm:>8.2} {cold:>9.2} \
                 {cold_ratio:>7.2}x {hwm:>8.1} {status:>6} {verdict:>6}",
                mode.name()
            );
        }
    }
    println!(
        "init = process start to its first /invocation/next; 1st resp = process start to its first /response; \
         warm = the same request again in that process; cold adds = 1st resp - warm; each x hello is against \
         hello-lambda's figure in the same run and request mode."
    );
    println!(
        "page: the function's first GET route, no cookie; budget 1st resp <= {PAGE_BUDGET}x hello (issue 23). \
         flow: a live registration in LocalStack DynamoDB (real DynamoDB calls); no budget. post: the login \
         form (unknown user: reads, a password hash, counters); budget cold adds <= {PAGE_BUDGET}x hello's."
    );
    println!(
        "within {PAGE_BUDGET}x hello-lambda: {within} of {}{}",
        within + over.len(),
        if over.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = over.iter().map(|(f, r)| format!("{f} {r:.2}x")).collect();
            format!("; over: {}", list.join(", "))
        }
    );
    if !failed.is_empty() {
        println!(
            "ERROR: a 5xx instead of the page (see {}): {}",
            log_path.display(),
            failed.join(", ")
        );
    }

    if let Some(probe) = &a.probe {
        probe_init(probe, a.runs, &endpoint, seeder.is_some());
    }
    if !failed.is_empty() {
        std::process::exit(1);
    }
}

/// Runs `initprobe` `runs` times (after one untimed start) and prints the median of each step.
fn probe_init(probe: &PathBuf, runs: usize, endpoint: &str, reads: bool) {
    let mut steps: Vec<(String, Vec<f64>)> = Vec::new();
    let mut exec_to_main = Vec::new();
    for run in 0..=runs {
        let mut env = lambda_env("initprobe", "127.0.0.1:9", endpoint);
        env.push(("PERF_SPAWN_MONO_NS".into(), mono_ns().to_string()));
        env.push((
            "PERF_PROBE_READS".into(),
            if reads { "1" } else { "0" }.into(),
        ));
        let out = Command::new(probe)
            .env_clear()
            .envs(env)
            .stderr(Stdio::null())
            .output()
            .expect("run initprobe");
        assert!(out.status.success(), "initprobe failed");
        let line = String::from_utf8_lossy(&out.stdout);
        let v: serde_json::Value =
            serde_json::from_str(line.lines().last().unwrap_or("")).expect("initprobe JSON");
        if run == 0 {
            continue;
        }
        exec_to_main.push(v["exec_to_main"].as_f64().unwrap_or(f64::NAN));
        for step in v["steps"].as_array().expect("steps") {
            let (k, ms) = (
                step[0].as_str().unwrap_or_default().to_owned(),
                step[1].as_f64().unwrap_or(f64::NAN),
            );
            match steps.iter_mut().find(|(name, _)| *name == k) {
                Some((_, xs)) => xs.push(ms),
                None => steps.push((k, vec![ms])),
            }
        }
    }
    println!("\nWhere the init goes: initprobe (web::runtime::serve's steps, timed one by one), {runs} runs, \
        medians in ms");
    println!(
        "  {:<50} {:>8.2}",
        "exec to main (loader, relocations, runtime start)",
        median(&exec_to_main)
    );
    for (name, xs) in &steps {
        println!("  {name:<50} {:>8.2}", median(xs));
    }
}

fn mono_ns() -> u128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid pointer to a timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128
}
