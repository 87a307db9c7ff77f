//! Where a function's cold start goes: the steps of `web::runtime::serve` before the
//! Lambda loop (logs, configuration), then what the first request that needs them pays
//! once per process (the AWS SDK configuration and the clients `engine::App` builds on first
//! use, phone-number parsing, first page render, first and second DynamoDB read, the flow
//! secret's first read from Secrets Manager), each timed. `coldstart` starts this binary like a
//! function (same environment) and passes `PERF_SPAWN_MONO_NS`, the CLOCK_MONOTONIC time
//! just before `spawn`, so the time from exec to `main` is measured too. Prints one JSON line.

use std::time::Instant;
use store::{dynamo::DynamoStore, Key, Store};

fn mono_ns() -> u128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid pointer to a timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128
}

#[tokio::main]
async fn main() {
    let at_main = mono_ns();
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!(
            "initprobe: the steps of a function's init, timed; one JSON line \
             (started by coldstart --probe)\nusage: initprobe"
        );
        return;
    }
    let exec_to_main_ms = std::env::var("PERF_SPAWN_MONO_NS")
        .ok()
        .and_then(|v| v.parse::<u128>().ok())
        .map(|s| (at_main - s) as f64 / 1e6);
    let mut steps: Vec<(&str, f64)> = Vec::new();
    let mut t = Instant::now();
    let mut lap = |name: &'static str, steps: &mut Vec<(&str, f64)>| {
        steps.push((name, t.elapsed().as_secs_f64() * 1e3));
        t = Instant::now();
    };
    web::runtime::init_tracing();
    lap("tracing", &mut steps);
    let config = engine::config::Config::from_env().expect("configuration");
    lap("config", &mut steps);
    let sdk = engine::app::sdk_config(&config).await;
    lap("aws_config load", &mut steps);
    std::hint::black_box(engine::app::sdk_config(&config).await);
    lap(
        "aws_config load again (what is per-load, not once)",
        &mut steps,
    );
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    lap("DynamoDB client", &mut steps);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let sm = aws_sdk_secretsmanager::Client::new(&sdk);
    lap("SQS + Secrets Manager clients", &mut steps);
    std::hint::black_box(&sqs);
    std::hint::black_box(domain::MobileNumber::parse("+393331234567").is_ok());
    lap("1st MobileNumber::parse (phonenumber metadata)", &mut steps);
    std::hint::black_box(domain::MobileNumber::parse("+393337654321").is_ok());
    lap("2nd MobileNumber::parse", &mut steps);
    {
        let (app, ..) = engine::App::in_memory(config.clone());
        let req = http::Request::builder()
            .uri(domain::routes::REGISTER_NUMBER)
            .body(lambda_http::Body::Empty)
            .unwrap();
        lap("(in-memory app for the next step)", &mut steps);
        std::hint::black_box(register_number::handle(&app, req).await);
        lap(
            "1st page render (register-number GET, in memory)",
            &mut steps,
        );
        let req = http::Request::builder()
            .uri(domain::routes::REGISTER_NUMBER)
            .body(lambda_http::Body::Empty)
            .unwrap();
        std::hint::black_box(register_number::handle(&app, req).await);
        lap("2nd page render", &mut steps);
    }
    let mut reads_ok = true;
    if std::env::var("PERF_PROBE_READS").as_deref() != Ok("0") {
        let store = DynamoStore::new(ddb, config.table_name.clone());
        let key = Key::new(
            "FLOW#REG#0000000000000000000000000000000000000000000000000000000000000000",
            "FLOW",
        );
        reads_ok &= store.get(&key).await.is_ok();
        lap("1st GetItem (credentials, connection, signing)", &mut steps);
        reads_ok &= store.get(&key).await.is_ok();
        lap("2nd GetItem (warm connection)", &mut steps);
        if let Ok(name) = std::env::var("FLOW_SECRET_ARN") {
            let read = store::secret::fetch_versions(&sm, &name).await;
            reads_ok &= read.is_ok();
            lap("1st flow secret read (GetSecretValue x2)", &mut steps);
        }
    }
    let steps: Vec<serde_json::Value> = steps
        .into_iter()
        .map(|(k, v)| serde_json::json!([k, v]))
        .collect();
    println!(
        "{}",
        serde_json::json!({ "exec_to_main": exec_to_main_ms, "steps": steps, "reads_ok": reads_ok })
    );
}
