//! The audit trail of the help desk: one record per change, written in the change's own
//! transaction (no change without its record, no record without its change), in the
//! partition of what changed — `ACCOUNT#<id>` for an account, `LINE#<e164>` for a line —
//! so that `audit --account ID` is one `Query`. Sort key `AUDIT#<epoch, 12 digits>#<random>`:
//! in time order, never two alike. Kept `shared::store::audit::KEEP_SECS` (two years) by
//! TTL, also after the account is deleted (its deletion page says so); the account's owner
//! sees the action, date and reason in "Scarica i tuoi dati" (`shared::store::audit`).
//!
//! Who: `--operatore`, else the `USER` of the shell. Not the AWS caller identity: STS is not
//! among LocalStack's services here (`localstack/env.sh`), and in AWS CloudTrail already
//! records the IAM principal of every write; the name here is the person the help desk
//! knows. Without either the command refuses to change anything.

use super::{when, Args, Desk, DeskError, Done};
use serde_json::json;
use shared::domain::MobileNumber;
use shared::store::{Cond, Item, Key, Query, TxOp};

pub use shared::store::audit::PREFIX;

/// The actions, as stored and printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Unlock,
    Disable,
    Enable,
    Cease,
    LineStatus,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Unlock => "sblocco",
            Action::Disable => "sospensione",
            Action::Enable => "riattivazione",
            Action::Cease => "cessazione",
            Action::LineStatus => "stato-linea",
        }
    }
}

/// Who and why, required before any change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub operator: String,
    pub reason: String,
}

impl Signed {
    pub fn from(desk: &Desk<'_>, a: &Args) -> Result<Signed, DeskError> {
        let operator = a
            .get("--operatore")
            .map(str::to_owned)
            .or_else(|| desk.default_operator.clone())
            .filter(|o| !o.trim().is_empty())
            .ok_or_else(|| {
                DeskError::Usage("indica chi esegue l'operazione con --operatore NOME".into())
            })?;
        let reason = a
            .get("--motivo")
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                DeskError::Usage("indica il motivo dell'operazione con --motivo \"TESTO\"".into())
            })?
            .to_owned();
        Ok(Signed { operator, reason })
    }
}

/// The record of `action` on `target`, to commit with the change (in partition `pk`).
pub fn op(pk: &str, action: Action, target: &str, detail: &str, by: &Signed, now: i64) -> TxOp {
    let sk = format!("{PREFIX}{now:012}#{}", &shared::crypto::random_token()[..8]);
    TxOp::Put {
        key: Key::new(pk, sk),
        item: Item::new()
            .with("action", action.as_str())
            .with("target", target)
            .with("detail", detail)
            .with("operator", by.operator.as_str())
            .with("reason", by.reason.as_str())
            .with("at", now)
            .with(
                shared::store::schema::TTL_ATTRIBUTE,
                now + shared::store::audit::KEEP_SECS,
            ),
        cond: Some(Cond::NotExists),
    }
}

/// `audit --account ID | --numero N`: the newest 100 records, newest first.
pub async fn list(desk: &Desk<'_>, a: &Args) -> Result<Done, DeskError> {
    let pk = match a.given(&["--account", "--numero"]).as_slice() {
        ["--account"] => {
            let id = super::account::parse_id(a.get("--account").unwrap_or_default())?;
            shared::store::accounts::key(&id).pk
        }
        ["--numero"] => {
            let n = MobileNumber::parse(a.get("--numero").unwrap_or_default())
                .map_err(|e| DeskError::Usage(format!("numero non valido: {e}")))?;
            shared::store::lines::key(&n).pk
        }
        _ => {
            return Err(DeskError::Usage(
                "indica uno solo tra --account ID e --numero NUMERO".into(),
            ))
        }
    };
    // An expired record (its TTL passed, DynamoDB not yet round to deleting it) is gone.
    let items: Vec<_> = desk
        .store
        .query(&Query::new(pk, PREFIX, 100).newest_first())
        .await?
        .into_iter()
        .filter(|(_, i)| !i.is_expired(desk.now))
        .collect();
    let mut text = String::new();
    let mut records = Vec::new();
    for (_, i) in &items {
        let s = |n: &str| i.s(n).unwrap_or_default().to_owned();
        let at = i.n("at").unwrap_or(0);
        text.push_str(&format!(
            "{}  {}  {}{}  operatore: {}  motivo: {}\n",
            when(at),
            s("action"),
            s("target"),
            if s("detail").is_empty() {
                String::new()
            } else {
                format!(" ({})", s("detail"))
            },
            s("operator"),
            s("reason")
        ));
        records.push(json!({
            "quando": at,
            "azione": s("action"),
            "oggetto": s("target"),
            "dettaglio": s("detail"),
            "operatore": s("operator"),
            "motivo": s("reason"),
        }));
    }
    if items.is_empty() {
        text = "Nessuna operazione registrata.".into();
    }
    Ok(Done {
        text,
        json: json!({ "operazioni": records }),
    })
}
