//! `local-gateway`: serves the portal at http://127.0.0.1:$PORT (default 3000) against
//! LocalStack. Started by `make run`; see README.md.
//!
//! `GATEWAY_MODE=inprocess` (default) calls each function's `handle` in this process;
//! `GATEWAY_MODE=lambda` runs the function binaries from `LAMBDA_BIN_DIR` (default
//! `${CARGO_TARGET_DIR:-target}/debug`) through the Lambda event path (`lambda` module).

use domain::clock::OffsetClock;
use local_gateway::lambda::{self, LambdaConfig};
use local_gateway::{Backend, Gateway};
use std::sync::Arc;

#[tokio::main]
async fn main() {
    web::runtime::init_tracing();
    let config = match engine::config::Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configurazione non valida: {e}");
            std::process::exit(2);
        }
    };
    let backend = match std::env::var("GATEWAY_MODE").as_deref() {
        Ok("lambda") => Backend::Lambda(Arc::new(lambda_functions(&config))),
        Ok("inprocess") | Ok("") | Err(_) => Backend::InProcess,
        Ok(other) => {
            eprintln!("GATEWAY_MODE={other} non valido: usa inprocess oppure lambda");
            std::process::exit(2);
        }
    };
    let clock = Arc::new(OffsetClock::default());
    let app: &'static engine::App =
        Box::leak(Box::new(engine::App::aws(config, clock.clone()).await));
    let gw = Gateway {
        app,
        sender: Arc::new(send_messages::aws_sender(&app.config).await),
        clock,
        aws_endpoint: std::env::var("AWS_ENDPOINT_URL")
            .unwrap_or_else(|_| "http://127.0.0.1:4566".into()),
        region: std::env::var("AWS_REGION").unwrap_or_else(|_| "eu-south-1".into()),
        // Browser tests that play many clients from one host set this explicitly.
        simulated_clients: std::env::var("GATEWAY_SIMULATED_CLIENTS").is_ok_and(|v| v == "1"),
        // CloudFront's origin secret and the API's WAF: ORIGIN_VERIFY_SECRET if set, else random.
        edge: local_gateway::edge::Edge {
            secret: local_gateway::edge::OriginSecret::from_env(),
            invocations: Default::default(),
        },
    };
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let site = std::env::var("SITE_DIR").unwrap_or_else(|_| "target/site".into());
    let mode = if matches!(backend, Backend::Lambda(_)) {
        "lambda"
    } else {
        "inprocess"
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("impossibile ascoltare sulla porta {port}: {e}");
            std::process::exit(1);
        }
    };
    // API_PORT: also serve the REST API's own endpoint (behind its WAF), as someone who skips
    // CloudFront would reach it: http://127.0.0.1:$API_PORT/local/accesso.
    let api_listener = match std::env::var("API_PORT")
        .ok()
        .and_then(|p| p.parse::<u16>().ok())
    {
        Some(p) => match tokio::net::TcpListener::bind(("127.0.0.1", p)).await {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("impossibile ascoltare sulla porta {p}: {e}");
                std::process::exit(1);
            }
        },
        None => None,
    };
    let api_addr = api_listener.as_ref().and_then(|l| l.local_addr().ok());
    let addr =
        local_gateway::spawn_with_api(gw, site.clone().into(), listener, api_listener, backend)
            .expect("bound listener");
    if let Some(a) = api_addr {
        println!(
            "API (execute-api, dietro il WAF) su http://{a}/{}/",
            local_gateway::edge::LOCAL_STAGE
        );
    }
    println!("Portale in ascolto su http://{addr}/ (modalità {mode}; sito statico da {site}; posta di sviluppo: \
        http://{addr}/_dev/inbox)");
    // Ctrl-C or SIGTERM (scripts stop the gateway with kill): returning drops the runtime,
    // which kills the function processes (kill_on_drop).
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// The Lambda mode's functions: the binaries must exist (built by the caller: `cargo build`
/// of the function crates), each process gets the gateway's configuration as its own.
fn lambda_functions(config: &engine::config::Config) -> lambda::Functions {
    let bin_dir = std::env::var("LAMBDA_BIN_DIR").unwrap_or_else(|_| {
        format!(
            "{}/debug",
            std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into())
        )
    });
    let mut env = lambda::env::from_config(config);
    env.extend(lambda::env::aws_client_vars());
    let mut cfg = LambdaConfig::new(bin_dir.clone().into(), env);
    if let Some(t) = std::env::var("LAMBDA_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        cfg.timeout = std::time::Duration::from_secs(t);
    }
    cfg.region = std::env::var("AWS_REGION").unwrap_or(cfg.region);
    let functions = lambda::Functions::new(cfg);
    let missing = functions.missing_binaries();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|p| p.display().to_string()).collect();
        eprintln!("GATEWAY_MODE=lambda: mancano i binari delle funzioni in {bin_dir} (compilali con cargo build -p \
            <funzione>): {}", names.join(", "));
        std::process::exit(2);
    }
    functions
}
