//! The audit trail of the help desk: one record per change, written in the change's own
//! transaction (no change without its record, no record without its change), in the
//! partition of what changed — `ACCOUNT#<id>` for an account, `LINE#<e164>` for a line —
//! so that `audit --account ID` is one `Query`. Sort key `AUDIT#<epoch, 12 digits>#<random>`:
//! in time order, never two alike. Kept `store::audit::KEEP_SECS` (two years) by
//! TTL, also after the account is deleted (its deletion page says so); the account's owner
//! sees the action, date and reason in "Scarica i tuoi dati" (`store::audit`).
//!
//! Who: the AWS caller identity (`crate::identity::Caller`, `sts:GetCallerIdentity`), the
//! principal the change was authorised as and CloudTrail records for the same call;
//! `--operatore`, else the shell's `USER`, is only a note beside it. Why: `--motivo`
//! (required by the help desk's commands; the imports name their file when not given).
//!
//! The same records audit every write command: the help desk's, `import-lines` (in the
//! line's partition), `import-accounts` (in the account's), `consensi pubblica` (in
//! `CONSENTS#CURRENT`, kept as long as the consents' own records: the history of who
//! published which version) and the demo data of `bootstrap --demo`.

use super::{when, Args, Desk, DeskError, Done};
use crate::identity::Caller;
use domain::MobileNumber;
use serde_json::json;
use store::{Cond, Item, Key, Query, TxOp};

pub use store::audit::PREFIX;

/// The actions, as stored and printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Unlock,
    Disable,
    Enable,
    Cease,
    LineStatus,
    ImportLine,
    ImportAccount,
    PublishConsents,
    RemovePasskey,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Unlock => "sblocco",
            Action::Disable => "sospensione",
            Action::Enable => "riattivazione",
            Action::Cease => "cessazione",
            Action::LineStatus => "stato-linea",
            Action::ImportLine => "importazione-linea",
            Action::ImportAccount => "importazione-account",
            Action::PublishConsents => "pubblicazione-consensi",
            Action::RemovePasskey => "rimozione-passkey",
        }
    }
}

/// Who and why, known before any change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The AWS caller identity's ARN.
    pub operator: String,
    /// What `--operatore` (else `$USER`) said: a note, never the identity. May be empty.
    pub note: String,
    pub reason: String,
}

impl Signed {
    /// The caller's identity with `note` and `reason`; STS unreachable: nothing changes.
    pub async fn resolve(
        caller: &Caller,
        note: Option<&str>,
        reason: &str,
    ) -> Result<Signed, DeskError> {
        let operator = caller.arn().await.map_err(|e| {
            DeskError::Unavailable(format!("identità AWS di chi esegue non verificabile ({e})"))
        })?;
        Ok(Signed {
            operator: operator.to_owned(),
            note: note.map(str::trim).unwrap_or_default().to_owned(),
            reason: reason.to_owned(),
        })
    }

    /// For a help-desk command: `--motivo` required (checked before any AWS call), the note
    /// from `--operatore`, else the shell's user.
    pub async fn from(desk: &Desk<'_>, a: &Args) -> Result<Signed, DeskError> {
        let reason = a
            .get("--motivo")
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                DeskError::Usage("indica il motivo dell'operazione con --motivo \"TESTO\"".into())
            })?
            .to_owned();
        let note = a.get("--operatore").or(desk.shell_user.as_deref());
        Signed::resolve(desk.caller, note, &reason).await
    }
}

/// The record of `action` on `target`, to commit with the change (in partition `pk`).
pub fn op(pk: &str, action: Action, target: &str, detail: &str, by: &Signed, now: i64) -> TxOp {
    op_kept(pk, action, target, detail, by, now, store::audit::KEEP_SECS)
}

/// `op`, kept `keep_secs` (the consents' publications: as long as the consents' records).
pub fn op_kept(
    pk: &str,
    action: Action,
    target: &str,
    detail: &str,
    by: &Signed,
    now: i64,
    keep_secs: i64,
) -> TxOp {
    let sk = format!("{PREFIX}{now:012}#{}", &domain::crypto::random_token()[..8]);
    let mut item = Item::new()
        .with("action", action.as_str())
        .with("target", target)
        .with("detail", detail)
        .with("operator", by.operator.as_str())
        .with("reason", by.reason.as_str())
        .with("at", now)
        .with(store::schema::TTL_ATTRIBUTE, now + keep_secs);
    if !by.note.is_empty() {
        item = item.with(NOTE, by.note.as_str());
    }
    TxOp::Put {
        key: Key::new(pk, sk),
        item,
        cond: Some(Cond::NotExists),
    }
}

/// The attribute holding `--operatore` / `$USER` beside the caller's ARN.
pub const NOTE: &str = "operator_note";

/// "arn:… (nota: anna.v)", or the ARN alone.
pub fn who(operator: &str, note: &str) -> String {
    if note.is_empty() {
        operator.to_owned()
    } else {
        format!("{operator} (nota: {note})")
    }
}

/// `audit --account ID | --numero N`: the newest 100 records, newest first.
pub async fn list(desk: &Desk<'_>, a: &Args) -> Result<Done, DeskError> {
    let pk = match a.given(&["--account", "--numero"]).as_slice() {
        ["--account"] => {
            let id = super::account::parse_id(a.get("--account").unwrap_or_default())?;
            store::accounts::key(&id).pk
        }
        ["--numero"] => {
            let n = MobileNumber::parse(a.get("--numero").unwrap_or_default())
                .map_err(|e| DeskError::Usage(format!("numero non valido: {e}")))?;
            store::lines::key(&n).pk
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
            who(&s("operator"), &s(NOTE)),
            s("reason")
        ));
        records.push(json!({
            "quando": at,
            "azione": s("action"),
            "oggetto": s("target"),
            "dettaglio": s("detail"),
            "operatore": s("operator"),
            "nota_operatore": s(NOTE),
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
