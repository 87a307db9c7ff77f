//! `local-gateway`: serves the portal at http://127.0.0.1:$PORT (default 3000) against
//! LocalStack. Started by `make run`; see README.md.

use local_gateway::Gateway;
use shared::clock::OffsetClock;
use std::sync::Arc;

#[tokio::main]
async fn main() {
    shared::runtime::init_tracing();
    let config = match shared::config::Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configurazione non valida: {e}");
            std::process::exit(2);
        }
    };
    let clock = Arc::new(OffsetClock::default());
    let app: &'static shared::App =
        Box::leak(Box::new(shared::App::aws(config, clock.clone()).await));
    let gw = Gateway {
        app,
        clock,
        aws_endpoint: std::env::var("AWS_ENDPOINT_URL")
            .unwrap_or_else(|_| "http://127.0.0.1:4566".into()),
        region: std::env::var("AWS_REGION").unwrap_or_else(|_| "eu-south-1".into()),
        // Browser tests that play many clients from one host set this explicitly.
        simulated_clients: std::env::var("GATEWAY_SIMULATED_CLIENTS").is_ok_and(|v| v == "1"),
    };
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let site = std::env::var("SITE_DIR").unwrap_or_else(|_| "target/site".into());
    let addr =
        match local_gateway::spawn(gw, site.clone().into(), ([127, 0, 0, 1], port).into()).await {
            Ok(a) => a,
            Err(e) => {
                eprintln!("impossibile ascoltare sulla porta {port}: {e}");
                std::process::exit(1);
            }
        };
    println!("Portale in ascolto su http://{addr}/ (sito statico da {site}; posta di sviluppo: http://{addr}/_dev/inbox)");
    let _ = tokio::signal::ctrl_c().await;
}
