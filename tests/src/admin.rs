//! `portale-admin`'s help-desk commands run in the test process against a portal's table,
//! as an operator runs the binary (the same `helpdesk::run`, the same output and exit code).

use crate::Portal;
use portale_admin::helpdesk::{self, Desk, Output};

/// Runs `portale-admin <words>` with `operator` as the shell's `$USER` (`None` for a shell
/// without one), as the AWS caller of this process (LocalStack's STS answers who).
pub async fn run(p: &Portal, words: &[String], operator: Option<&str>) -> Output {
    let sdk = engine::app::sdk_config(&p.app.config).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let caller = portale_admin::identity::Caller::new(&sdk);
    let desk = Desk {
        store: p.app.store.as_ref(),
        dynamo: &dynamo,
        table: &p.app.config.table_name,
        now: p.app.now(),
        caller: &caller,
        shell_user: operator.map(str::to_owned),
        outbox: p.app.outbox.as_ref(),
        public_base_url: &p.app.config.public_base_url,
    };
    helpdesk::run(&desk, words).await
}

/// `portale-admin <words>` as `operator`.
pub async fn run_as(p: &Portal, operator: &str, words: &[&str]) -> Output {
    let words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    run(p, &words, Some(operator)).await
}

/// `portale-admin <words>` as the operator "ops.test".
pub async fn ops(p: &Portal, words: &[&str]) -> Output {
    run_as(p, "ops.test", words).await
}

/// What the real `portale-admin` binary printed and exited with.
#[derive(Debug, Clone)]
pub struct Cli {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the real `portale-admin` binary (built next to the test binary, as the functions
/// are for `lambda`: `cargo build -p portale-admin`) with `words`, in an environment of
/// its own: the portal's configuration, the AWS client variables of this process, then
/// `env` (a later value wins; `AWS_*` there replace the credentials or the endpoint). No
/// `USER` unless `env` gives one.
pub async fn binary(p: &Portal, words: &[&str], env: &[(&str, &str)]) -> Cli {
    let exe = crate::lambda::bin_dir().join("portale-admin");
    assert!(
        exe.exists(),
        "portale-admin not built (run `cargo build -p portale-admin`): {}",
        exe.display()
    );
    let mut vars = local_gateway::lambda::env::from_config(&p.app.config);
    vars.extend(local_gateway::lambda::env::aws_client_vars());
    vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args(&words)
            .env_clear()
            .envs(vars)
            .output()
            .expect("portale-admin runs")
    })
    .await
    .unwrap();
    Cli {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
