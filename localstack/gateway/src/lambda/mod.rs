//! The Lambda event path locally (`GATEWAY_MODE=lambda`): a request to a route of
//! `domain::routes::ROUTES` that passed the API's WAF (`crate::edge`) becomes the API
//! Gateway REST API proxy event AWS builds (`event`) and
//! is delivered to the function's own binary through a Runtime API emulator (`sandbox`):
//! one invocation at a time per process, another process when all are busy, idle ones
//! reused (warm starts). The answer is mapped back as API Gateway maps it; a failed
//! invocation is API Gateway's 502. Why our own emulator and not `cargo lambda watch`:
//! ARCHITECTURE.md, "The Lambda event path locally".

pub mod env;
pub mod event;
pub mod sandbox;

use axum::body::Bytes;
use domain::routes::Route;
use sandbox::{Outcome, Sandbox};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

pub struct LambdaConfig {
    /// Where the function binaries are (`target/debug`, or `target/release`).
    pub bin_dir: PathBuf,
    /// The functions' configuration (`env::from_config` + `env::aws_client_vars`); Lambda's
    /// own variables are added per process.
    pub env: Vec<(String, String)>,
    /// The template's `Timeout` and `MemorySize` (Globals); memory is only reported, not enforced.
    pub timeout: Duration,
    pub memory_mb: u32,
    /// Processes per function at most; further requests wait (Lambda would throttle).
    pub max_per_function: usize,
    /// File the functions' stdout/stderr are appended to (their CloudWatch); None: the gateway's.
    pub log: Option<PathBuf>,
    pub region: String,
    /// The address requests reach API Gateway from (`sourceIp`): the edge, i.e. the gateway.
    pub edge_ip: IpAddr,
}

impl LambdaConfig {
    pub fn new(bin_dir: PathBuf, env: Vec<(String, String)>) -> LambdaConfig {
        LambdaConfig {
            bin_dir,
            env,
            timeout: Duration::from_secs(10),
            memory_mb: 256,
            max_per_function: 8,
            log: None,
            region: "eu-south-1".into(),
            edge_ip: [127, 0, 0, 1].into(),
        }
    }
}

/// Every function of the route table, each a pool of execution environments.
pub struct Functions {
    cfg: LambdaConfig,
    api: event::Api,
    pools: Mutex<HashMap<&'static str, Pool>>,
    /// The metric lines the function processes printed (`/_dev/metriche`).
    metrics: Arc<metrics::Tally>,
}

/// One line of a function's stdout appended to the log file, or printed by the gateway.
fn write_log(log: Option<&std::path::Path>, line: &str) {
    use std::io::Write;
    match log {
        Some(path) => {
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = writeln!(f, "{line}");
            }
        }
        None => {
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        }
    }
}

struct Pool {
    idle: Vec<Sandbox>,
    slots: Arc<Semaphore>,
}

impl Functions {
    pub fn new(cfg: LambdaConfig) -> Functions {
        let api = event::Api {
            api_id: "localapi01".into(),
            account_id: "000000000000".into(),
            region: cfg.region.clone(),
            stage: crate::edge::LOCAL_STAGE.into(),
            source_ip: cfg.edge_ip,
        };
        Functions {
            cfg,
            api,
            pools: Mutex::new(HashMap::new()),
            metrics: Arc::default(),
        }
    }

    /// The metrics counted from the function processes' stdout.
    pub fn metrics(&self) -> &metrics::Tally {
        &self.metrics
    }

    /// The binaries the route table needs that are not in `bin_dir` (build them first).
    pub fn missing_binaries(&self) -> Vec<PathBuf> {
        let mut names: Vec<&str> = domain::routes::ROUTES.iter().map(|r| r.function).collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|f| self.cfg.bin_dir.join(f))
            .filter(|p| !p.is_file())
            .collect()
    }

    /// The environment a process of `function` starts with: its configuration
    /// (`env::for_function`: the flow secret's name only where it is read) and Lambda's own.
    pub fn process_env(&self, function: &str) -> Vec<(String, String)> {
        let mut vars = env::for_function(&self.cfg.env, function);
        vars.extend(env::lambda_vars(function, self.cfg.memory_mb));
        vars
    }

    /// Processes currently kept for `function` (idle ones; busy ones are out of the pool).
    pub fn idle(&self, function: &str) -> usize {
        self.pools
            .lock()
            .unwrap()
            .get(function)
            .map_or(0, |p| p.idle.len())
    }

    /// The event API Gateway builds for this request to the resource `resource` (`/accesso`).
    pub fn event(
        &self,
        resource: &str,
        parts: &http::request::Parts,
        viewer_ip: IpAddr,
        body: &[u8],
    ) -> serde_json::Value {
        event::request(
            &self.api,
            resource,
            parts,
            viewer_ip,
            body,
            time::OffsetDateTime::now_utc(),
        )
    }

    /// One request through API Gateway and Lambda: the event, the invocation, the mapping back.
    pub async fn handle(
        &self,
        route: &'static Route,
        parts: &http::request::Parts,
        viewer_ip: IpAddr,
        body: &[u8],
    ) -> http::Response<Vec<u8>> {
        let ev = self.event(route.path, parts, viewer_ip, body);
        let accept = parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        let request_id = ev["requestContext"]["requestId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mapped = match self
            .invoke(route.function, serde_json::to_vec(&ev).expect("JSON"))
            .await
        {
            Ok(out) => event::response(&out, accept),
            Err(e) => Err(e),
        };
        let mut resp = mapped.unwrap_or_else(|e| {
            tracing::error!(function = route.function, error = %e, "invocation failed: API Gateway answers 502");
            let mut r = http::Response::new(br#"{"message": "Internal server error"}"#.to_vec());
            *r.status_mut() = http::StatusCode::BAD_GATEWAY;
            r.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
            r
        });
        if let Ok(v) = request_id.parse() {
            resp.headers_mut().insert("x-amzn-requestid", v);
        }
        resp
    }

    /// Runs `event` on an idle environment of `function`, or on a new one (a cold start).
    pub async fn invoke(&self, function: &'static str, event: Vec<u8>) -> Result<Bytes, String> {
        let slots = self
            .pools
            .lock()
            .unwrap()
            .entry(function)
            .or_insert_with(|| Pool {
                idle: Vec::new(),
                slots: Arc::new(Semaphore::new(self.cfg.max_per_function)),
            })
            .slots
            .clone();
        let _slot = slots.acquire_owned().await.map_err(|e| e.to_string())?;
        let warm = {
            let mut pools = self.pools.lock().unwrap();
            let idle = &mut pools.get_mut(function).expect("created above").idle;
            idle.retain(Sandbox::is_alive);
            idle.pop()
        };
        let sandbox = match warm {
            Some(s) => s,
            None => self.start(function).await?,
        };
        let outcome = sandbox.invoke(event, self.cfg.timeout).await;
        if sandbox.is_alive() {
            self.pools
                .lock()
                .unwrap()
                .get_mut(function)
                .expect("created above")
                .idle
                .push(sandbox);
        }
        match outcome {
            Outcome::Response(b) => Ok(b),
            Outcome::Failed(e) => Err(e),
        }
    }

    async fn start(&self, function: &str) -> Result<Sandbox, String> {
        let bin = self.cfg.bin_dir.join(function);
        let mut cmd = tokio::process::Command::new(&bin);
        cmd.env_clear()
            .envs(self.process_env(function))
            .stdin(Stdio::null());
        match &self.cfg.log {
            Some(path) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                cmd.stderr(f);
            }
            None => {
                cmd.stderr(Stdio::inherit());
            }
        }
        // stdout is read by the gateway: it counts the metric lines (`metrics`) and
        // passes every line on to where the logs go.
        cmd.stdout(Stdio::piped());
        let (tally, log) = (self.metrics.clone(), self.cfg.log.clone());
        let stdout: sandbox::LineSink = Arc::new(move |line: &str| {
            write_log(log.as_deref(), line);
            tally.record_line(line);
        });
        let arn = format!(
            "arn:aws:lambda:{}:{}:function:{function}",
            self.api.region, self.api.account_id
        );
        let sandbox = Sandbox::start(function, arn, cmd, stdout)
            .await
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        tracing::info!(
            function,
            pid = sandbox.pid,
            "lambda environment started (cold start)"
        );
        Ok(sandbox)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A "function" that dies at start fails its invocation at once (not after the init
    /// limit), and API Gateway answers 502.
    #[tokio::test]
    async fn a_process_that_dies_is_a_502_without_waiting() {
        let dir = std::env::temp_dir().join(format!("lambda-dies-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("login");
        std::fs::write(&bin, "#!/bin/sh\nexit 3\n").unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut cfg = LambdaConfig::new(dir.clone(), vec![]);
        cfg.log = Some(dir.join("functions.log"));
        let functions = Functions::new(cfg);
        let started = std::time::Instant::now();
        let err = functions.invoke("login", b"{}".to_vec()).await.unwrap_err();
        assert!(err.contains("ExitError"), "{err}");
        assert!(
            started.elapsed() < sandbox::INIT_LIMIT / 2,
            "{:?}",
            started.elapsed()
        );
        let route = domain::routes::find("GET", "/accesso").unwrap();
        let (parts, _) = http::Request::get("/accesso")
            .body(())
            .unwrap()
            .into_parts();
        let resp = functions
            .handle(route, &parts, [10, 0, 0, 1].into(), b"")
            .await;
        assert_eq!(resp.status(), 502);
        assert_eq!(resp.body(), br#"{"message": "Internal server error"}"#);
        assert!(resp.headers().contains_key("x-amzn-requestid"));
        assert_eq!(functions.idle("login"), 0, "a dead environment is not kept");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// What a function prints on stdout goes to its log, and its EMF metric lines are
    /// counted (`/_dev/metriche`).
    #[tokio::test]
    async fn stdout_goes_to_the_log_and_metric_lines_are_counted() {
        use metrics::{line, Metric};
        let dir = std::env::temp_dir().join(format!("lambda-stdout-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("login");
        let emf = line(Metric::LoginLocked, 1_700_000_000_000);
        std::fs::write(
            &bin,
            format!("#!/bin/sh\necho 'una riga di log'\necho '{emf}'\nexit 3\n"),
        )
        .unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut cfg = LambdaConfig::new(dir.clone(), vec![]);
        let log = dir.join("functions.log");
        cfg.log = Some(log.clone());
        let functions = Functions::new(cfg);
        let _ = functions.invoke("login", b"{}".to_vec()).await;
        // The reader runs beside the process: wait (bounded) until it has read both lines.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while functions.metrics().get(Metric::LoginLocked) == 0
            && std::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await; // poll interval
        }
        assert_eq!(functions.metrics().get(Metric::LoginLocked), 1);
        let written = std::fs::read_to_string(&log).unwrap();
        assert!(
            written.contains("una riga di log\n") && written.contains(&emf),
            "{written}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
