//! The portal with its functions run as Lambda runs them (`local_gateway::lambda`): every
//! flow request becomes an API Gateway REST API proxy event delivered to the function's own
//! binary through the Runtime API emulator. The binaries must be built first
//! (`cargo build --workspace --bins`; `make test` does it); they read the real clock, so
//! tests here wait instead of moving `Portal::clock`.

use crate::{endpoint, ensure_infra, own_outbox_queue, region, test_config, Portal};
use domain::clock::OffsetClock;
use engine::App;
use local_gateway::lambda::{self, Functions, LambdaConfig};
use local_gateway::{Backend, Gateway};
use std::path::PathBuf;
use std::sync::Arc;

pub struct LambdaPortal {
    /// The usual helpers (get, post, submit, last_code…) against the Lambda-mode gateway.
    pub portal: Portal,
    pub functions: Arc<Functions>,
    /// Where the functions' stdout/stderr (their JSON logs) are appended.
    pub log: PathBuf,
}

/// `LAMBDA_BIN_DIR`, else the profile directory this test binary was built into
/// (`target/debug/deps/<test>` → `target/debug`), where cargo puts the function binaries.
pub fn bin_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("LAMBDA_BIN_DIR") {
        return d.into();
    }
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>")
        .to_path_buf()
}

impl LambdaPortal {
    pub async fn start() -> LambdaPortal {
        Self::start_with(|_| {}).await
    }

    /// A portal whose Lambda settings (timeout, processes per function…) the test adjusts.
    pub async fn start_with(configure: impl FnOnce(&mut LambdaConfig)) -> LambdaPortal {
        Self::start_full(|_| {}, configure).await
    }

    /// A portal whose configuration (e.g. its flow secret) and Lambda settings the test
    /// adjusts. The function processes read the flow secret from Secrets Manager by its
    /// name (`crate::LAMBDA_FLOW_SECRET` unless the test names another).
    pub async fn start_full(
        configure_app: impl FnOnce(&mut engine::config::Config),
        configure: impl FnOnce(&mut LambdaConfig),
    ) -> LambdaPortal {
        crate::logcapture::install();
        ensure_infra().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let api_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let execute_api = format!(
            "http://{}/{}",
            api_listener.local_addr().unwrap(),
            local_gateway::edge::LOCAL_STAGE
        );
        let mut config = test_config(&base);
        config.flow_secret = Some(store::secret::FlowSecretSource::SecretsManager(
            crate::LAMBDA_FLOW_SECRET.into(),
        ));
        configure_app(&mut config);
        // The function processes post to it, the gateway's poller (in this process) delivers.
        own_outbox_queue(&mut config).await;
        let mut env = lambda::env::from_config(&config);
        env.extend(lambda::env::aws_client_vars());
        let bin_dir = bin_dir();
        let log = bin_dir.join("e2e-lambda-functions.log");
        let mut cfg = LambdaConfig::new(bin_dir.clone(), env);
        cfg.log = Some(log.clone());
        cfg.region = region();
        configure(&mut cfg);
        let functions = Arc::new(Functions::new(cfg));
        let missing = functions.missing_binaries();
        assert!(
            missing.is_empty(),
            "function binaries not built (run `cargo build --workspace --bins`): {missing:?}"
        );
        let clock = Arc::new(OffsetClock::default());
        let app: &'static App = Box::leak(Box::new(App::aws(config, clock.clone()).await));
        // Many clients from one host, each with its own address (Portal::browser): said so.
        let gw = Gateway {
            app,
            sender: Arc::new(local_gateway::aws_sender(&app.config).await),
            clock: clock.clone(),
            aws_endpoint: endpoint(),
            region: region(),
            simulated_clients: true,
            edge: local_gateway::edge::Edge::default(),
        };
        let edge = gw.edge.clone();
        let site = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site");
        local_gateway::spawn_with_api(
            gw,
            site,
            listener,
            Some(api_listener),
            Backend::Lambda(functions.clone()),
        )
        .unwrap();
        LambdaPortal {
            portal: Portal {
                base,
                app,
                clock,
                client: Portal::browser(),
                execute_api,
                edge,
            },
            functions,
            log,
        }
    }
}
