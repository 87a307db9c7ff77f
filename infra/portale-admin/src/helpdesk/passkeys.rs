//! `account passkeys ID [--rimuovi N --motivo …]` (issue 24): the account's passkeys as its
//! owner sees them (name, created, last used, the browser that made it; never the key), and
//! one removed — with the owner's access history noted and the audit record, in one
//! transaction. A lost device is otherwise the owner's own business: a login with password
//! and SMS (or a recovery), then "Rimuovi" in the Area Clienti.
//!
//! The owner is emailed the removal (through the portal's outbox), as for one they remove.
//!
//! `account disable` (`void_ops`) and `account cease` (`accounts::cease_ops`, as every
//! cease) void every passkey of the account in the same transaction as the change: the
//! list read just before, and the count's delete conditioned on the number read, so a
//! passkey added in between makes the command fail ("l'account è cambiato nel frattempo")
//! rather than survive it.

use super::account::{self as desk_account, commit};
use super::audit::{self, Signed};
use super::{when, Args, Desk, DeskError, Done};
use notify::Message;
use serde_json::json;
use store::access_log::{self, Event};
use store::audit::Action;
use store::passkeys::{self, Credential};
use store::{accounts, TxOp};

/// The flag naming the passkey to remove: its number in the list (1 = the oldest).
pub const REMOVE: &str = "--rimuovi";

fn describe(n: usize, c: &Credential) -> String {
    let used = c.last_used_at.map_or("mai usata".to_owned(), |t| {
        format!("ultimo utilizzo {}", when(t))
    });
    format!(
        "  {n}. {} — creata {} con {}, {used}",
        c.name,
        when(c.created_at),
        c.agent
    )
}

fn as_json(n: usize, c: &Credential) -> serde_json::Value {
    json!({
        "numero": n, "nome": c.name, "creata_il": when(c.created_at),
        "ultimo_utilizzo": c.last_used_at.map(when), "browser": c.agent,
    })
}

/// The list, or with `--rimuovi N` the Nth removed.
pub async fn run(desk: &Desk<'_>, args: &Args, id: &str) -> Result<Done, DeskError> {
    let a = desk_account::load(desk, id).await?;
    let listed = passkeys::list(desk.store, &a.id).await?;
    let Some(raw) = args.get(REMOVE) else {
        let text = match listed.is_empty() {
            true => format!("L'account {} non ha passkey.", a.id),
            false => {
                let rows: Vec<String> = listed
                    .iter()
                    .enumerate()
                    .map(|(i, c)| describe(i + 1, c))
                    .collect();
                format!(
                    "Passkey dell'account {} ({}):\n{}",
                    a.id,
                    listed.len(),
                    rows.join("\n")
                )
            }
        };
        let all: Vec<_> = listed
            .iter()
            .enumerate()
            .map(|(i, c)| as_json(i + 1, c))
            .collect();
        return Ok(Done {
            text,
            json: json!({ "id": a.id, "passkey": all }),
        });
    };
    let n: usize = raw
        .parse()
        .ok()
        .filter(|n| (1..=listed.len()).contains(n))
        .ok_or_else(|| match listed.len() {
            0 => DeskError::NotFound(format!("l'account {} non ha passkey", a.id)),
            max => DeskError::Usage(format!(
                "{REMOVE} vuole il numero di una passkey dell'elenco, da 1 a {max}"
            )),
        })?;
    let by = Signed::from(desk, args).await?;
    let c = &listed[n - 1];
    let mut ops: Vec<TxOp> = passkeys::remove_ops(&a.id, &c.id).into();
    ops.push(access_log::record_op(
        &a.id,
        Event::PasskeyRemovedByHelpDesk,
        "",
        desk.now,
    ));
    let detail = format!("passkey «{}» creata {}", c.name, when(c.created_at));
    ops.push(audit::op(
        &accounts::key(&a.id).pk,
        Action::RemovePasskey,
        &a.id,
        &detail,
        &by,
        desk.now,
    ));
    commit(desk, ops).await?;
    // Told after the removal stands: an outbox that fails leaves it done, and says so.
    let recover = format!("{}{}", desk.public_base_url, domain::routes::RECOVER);
    let mail = notify::account_messages::email_passkey_removed(
        &a.email,
        &domain::clock::rome_datetime(desk.now),
        &c.name,
        &recover,
        notify::account_messages::RemovedBy::HelpDesk,
    );
    let told = if a.email.is_empty() {
        " L'account non ha un indirizzo email: avvisa tu il titolare.".to_owned()
    } else {
        match desk.outbox.post(vec![Message::Email(mail)]).await {
            Ok(()) => " Il titolare ne riceve conferma via email.".to_owned(),
            Err(e) => format!(" Attenzione: l'email al titolare non è partita ({e}): avvisalo tu."),
        }
    };
    Ok(Done {
        text: format!(
            "Passkey {n} dell'account {} rimossa («{}»): non si potrà più usarla per accedere.{told}",
            a.id, c.name
        ),
        json: json!({ "id": a.id, "azione": Action::RemovePasskey.as_str(), "rimossa": as_json(n, c) }),
    })
}

/// The writes voiding every passkey of the account (disable; a cease does it in
/// `accounts::cease_ops`), and how many: read now, committed with the change.
pub async fn void_ops(
    desk: &Desk<'_>,
    account_id: &store::AccountId,
) -> Result<(Vec<TxOp>, usize), DeskError> {
    let listed = passkeys::list(desk.store, account_id).await?;
    Ok((passkeys::remove_all_ops(account_id, &listed), listed.len()))
}
