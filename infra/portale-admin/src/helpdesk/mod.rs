//! The help desk's commands (issue 16 item 1), in the spirit of Cognito's `Admin*` APIs
//! and Keycloak's admin console: find and show an account, unlock, suspend, reactivate
//! or cease it, show a line and change its status, read the audit trail.
//!
//! Every command parses its input with the domain types (a bad value is an Italian
//! message and exit 2), prints Italian text or, with `--json`, one JSON object, and exits
//! with a code a script can test (`Exit`). Every change is written in **one transaction
//! with its audit record** (`audit`): who (the AWS caller identity; `--operatore`, else
//! `$USER`, as a note), when, what, on what, why (`--motivo`, required). Nothing printed
//! is ever a hash, a code or a token; contact data are masked where the operator does not
//! need them whole.

pub mod account;
pub mod args;
pub mod audit;
pub mod consents;
pub mod lines;
pub mod mask;
pub mod passkeys;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use std::collections::HashMap;
use store::{Item, Key, ScanFilter, Store, StoreError};

pub use args::Args;

/// What a command needs: the table through the store, and — for the few questions the
/// key design cannot answer (accounts by personal codice fiscale, a username's
/// per-address lock counters) — the SDK client for a Scan. Scans are acceptable in an ops
/// tool run by hand, never in a function.
pub struct Desk<'a> {
    pub store: &'a dyn Store,
    pub dynamo: &'a aws_sdk_dynamodb::Client,
    pub table: &'a str,
    pub now: i64,
    /// Who runs the tool: the AWS caller identity, asked of STS by the first write.
    pub caller: &'a crate::identity::Caller,
    /// The shell's `USER`: the note beside the caller when `--operatore` is not given.
    pub shell_user: Option<String>,
    /// Where the owner's emails go (the portal's outbox, `OUTBOX_QUEUE_URL`): a passkey the
    /// help desk removes is told to its owner, as one they remove themselves.
    pub outbox: &'a dyn notify::Outbox,
    /// The portal's address, for the links in those emails.
    pub public_base_url: &'a str,
}

/// Exit codes, documented in `main.rs` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// The table (or AWS) could not be reached: nothing was changed.
    Unavailable = 1,
    /// Unknown command, missing or invalid argument.
    Usage = 2,
    /// No account / line matches.
    NotFound = 4,
    /// The change is not possible in the current state (e.g. reactivating a ceased account).
    NotAllowed = 5,
}

/// Why a command did not do what was asked: the message is what the operator reads.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    NotAllowed(String),
    #[error("servizio non raggiungibile, nessuna modifica fatta: {0}")]
    Unavailable(String),
}

impl From<StoreError> for DeskError {
    fn from(e: StoreError) -> Self {
        DeskError::Unavailable(e.to_string())
    }
}

impl DeskError {
    pub fn exit(&self) -> Exit {
        match self {
            DeskError::Usage(_) => Exit::Usage,
            DeskError::NotFound(_) => Exit::NotFound,
            DeskError::NotAllowed(_) => Exit::NotAllowed,
            DeskError::Unavailable(_) => Exit::Unavailable,
        }
    }
}

/// A command's answer: the Italian text and the same facts as JSON.
#[derive(Debug, Clone)]
pub struct Done {
    pub text: String,
    pub json: Value,
}

/// What the binary prints and exits with.
#[derive(Debug, Clone)]
pub struct Output {
    pub code: Exit,
    pub stdout: String,
    pub stderr: String,
}

pub const USAGE: &str = "\
comandi per l'assistenza (aggiungi --json per una risposta JSON):
  account find --numero N | --email E | --username U | --cf CODICE_FISCALE
  account show ID
  account unlock ID --motivo TESTO [--operatore NOME]
  account disable ID --motivo TESTO [--operatore NOME]
  account enable ID --motivo TESTO [--operatore NOME]
  account cease ID --motivo TESTO [--operatore NOME]
  account passkeys ID [--rimuovi N --motivo TESTO [--operatore NOME]]
  lines show NUMERO
  lines set-status NUMERO attiva|cessata --motivo TESTO [--operatore NOME]
  audit --account ID | --numero NUMERO
  consensi mostra
  consensi pubblica [--termini VERSIONE] [--privacy VERSIONE] [--nota TESTO] [--revisione N] --motivo TESTO
    [--operatore NOME]
chi esegue è l'identità AWS con cui gira il comando (sts:GetCallerIdentity), registrata in ogni
operazione; --operatore (o $USER) è solo una nota accanto.";

/// True for the commands this module answers.
pub fn handles(command: &str) -> bool {
    matches!(command, "account" | "lines" | "audit" | "consensi")
}

/// Runs one help-desk command (`args` without the program name) and renders its answer.
pub async fn run(desk: &Desk<'_>, args: &[String]) -> Output {
    let json = args.iter().any(|a| a == "--json");
    let result = match Args::parse(args) {
        Ok(a) => dispatch(desk, &a).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(done) if json => {
            let mut v = done.json;
            if let Value::Object(m) = &mut v {
                m.insert("esito".into(), json!("ok"));
            }
            Output {
                code: Exit::Ok,
                stdout: format!("{v}\n"),
                stderr: String::new(),
            }
        }
        Ok(done) => Output {
            code: Exit::Ok,
            stdout: format!("{}\n", done.text.trim_end()),
            stderr: String::new(),
        },
        Err(e) => {
            let code = e.exit();
            let mut stderr = format!("errore: {e}\n");
            if code == Exit::Usage {
                stderr.push_str(USAGE);
                stderr.push('\n');
            }
            let stdout = if json {
                let v = json!({"esito": "errore", "codice": code as u8, "errore": e.to_string()});
                format!("{v}\n")
            } else {
                String::new()
            };
            Output {
                code,
                stdout,
                stderr,
            }
        }
    }
}

async fn dispatch(desk: &Desk<'_>, a: &Args) -> Result<Done, DeskError> {
    let pos: Vec<&str> = a.positional.iter().map(String::as_str).collect();
    match pos.as_slice() {
        ["account", "find"] => account::find(desk, a).await,
        ["account", "show", id] => account::show(desk, id).await,
        ["account", "unlock", id] => account::unlock(desk, a, id).await,
        ["account", "disable", id] => account::disable(desk, a, id).await,
        ["account", "enable", id] => account::enable(desk, a, id).await,
        ["account", "cease", id] => account::cease(desk, a, id).await,
        ["account", "passkeys", id] => passkeys::run(desk, a, id).await,
        ["lines", "show", n] => lines::show(desk, n).await,
        ["lines", "set-status", n, status] => lines::set_status(desk, a, n, status).await,
        ["audit"] => audit::list(desk, a).await,
        ["consensi", "mostra"] => consents::show(desk).await,
        ["consensi", "pubblica"] => consents::publish(desk, a).await,
        _ => Err(DeskError::Usage(format!(
            "comando non riconosciuto: {}",
            pos.join(" ")
        ))),
    }
}

/// Every item of the table matching `filter` (a Scan, page after page; the store spells the
/// filters). Ops only: see `Desk`.
pub async fn scan(desk: &Desk<'_>, filter: &ScanFilter) -> Result<Vec<(Key, Item)>, DeskError> {
    let values: HashMap<String, AttributeValue> = filter
        .values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), AttributeValue::S(v.clone())))
        .collect();
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = desk
            .dynamo
            .scan()
            .table_name(desk.table)
            .filter_expression(&filter.expression)
            .set_expression_attribute_values(Some(values.clone()))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| DeskError::Unavailable(format!("Scan: {}", e.into_service_error())))?;
        out.extend(page.items().iter().filter_map(store::dynamo::decode));
        match page.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return Ok(out),
        }
    }
}

/// A date and time for the operator (Europe/Rome).
pub fn when(epoch: i64) -> String {
    domain::clock::rome_datetime(epoch)
}
