//! The end-to-end tests, one binary (linking the AWS SDK once instead of once per file):
//! real HTTP against the local gateway and real LocalStack, the real function binaries on
//! the Lambda event path, the SAM template against the code. `tests/src` is the harness.
//!
//!     cargo test -p e2e --test api                  # all of them (LocalStack running)
//!     cargo test -p e2e --test api -- outside_bench # one module
//!
//! One module per topic (a folder where a topic has parts: `template_consistency/`,
//! `security_forms/`, `security_headers/`). Helpers that more than one module needs live in
//! `tests/src` (see its lib.rs); the exceptions stay with their topic: the `template_*`
//! modules share the template loader of `template_consistency`, `outbox_once` reads the
//! queues with `outbox`'s and `metrics`' helpers.

mod abuse;
mod account_lines;
mod area;
mod aws_calls;
mod edge_origin;
mod faults;
mod foundation;
mod helpdesk;
mod helpdesk_identity;
mod home_line;
mod inbox;
mod lambda_path;
mod login;
mod logs;
mod metrics;
mod outbox;
mod outbox_once;
mod outside_bench;
mod passkey_bench;
mod passkey_login;
mod passkeys_area;
mod proof_area;
mod proof_login;
mod proof_registration;
mod proof_time;
mod races;
mod recovery;
mod registration;
mod registration_race;
mod secrets;
mod security_forms;
mod security_headers;
mod sms_sender;
mod template_audit;
mod template_consistency;
mod template_edge;
mod template_iam;
mod template_prod;
mod template_secrets;
