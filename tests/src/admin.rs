//! `portale-admin`'s help-desk commands run in the test process against a portal's table,
//! as an operator runs the binary (the same `helpdesk::run`, the same output and exit code).

use crate::Portal;
use portale_admin::helpdesk::{self, Desk, Output};

/// Runs `portale-admin <words>` as `operator` (the `$USER` the binary would read; `None`
/// for a shell without one).
pub async fn run(p: &Portal, words: &[String], operator: Option<&str>) -> Output {
    let sdk = shared::app::sdk_config(&p.app.config).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let desk = Desk {
        store: p.app.store.as_ref(),
        dynamo: &dynamo,
        table: &p.app.config.table_name,
        now: p.app.now(),
        default_operator: operator.map(str::to_owned),
    };
    helpdesk::run(&desk, words).await
}
