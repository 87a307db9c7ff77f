//! `lines show | set-status`.

use super::audit::{self, Signed};
use super::{Args, Desk, DeskError, Done};
use domain::MobileNumber;
use serde_json::json;
use store::audit::Action;
use store::lines::{self, Line};
use store::uniqueness::{self, Kind, Owner};
use store::{AccountId, StoreError};

fn number(raw: &str) -> Result<MobileNumber, DeskError> {
    MobileNumber::parse(raw).map_err(|e| DeskError::Usage(format!("numero non valido: {e}")))
}

fn status_text(active: bool) -> &'static str {
    if active {
        "attiva"
    } else {
        "cessata"
    }
}

fn not_found(n: &MobileNumber) -> DeskError {
    DeskError::NotFound(format!(
        "il numero {} non è una linea della Convenzione",
        n.pretty()
    ))
}

fn describe(l: &Line, holder: Option<&AccountId>) -> Done {
    let text = format!(
        "Linea {}\nEnte: {} (C.F. {})\nStato: {}\nProfilo: {}\nAccount: {}",
        l.number.pretty(),
        l.ragione_sociale,
        l.entity_cf,
        status_text(l.active),
        l.profile.as_str(),
        holder.map_or("nessuno", AccountId::as_str)
    );
    let json = json!({
        "numero": l.number.e164(),
        "ente": l.ragione_sociale,
        "cf_ente": l.entity_cf.as_str(),
        "stato": status_text(l.active),
        "profilo": l.profile.as_str(),
        "account": holder,
    });
    Done { text, json }
}

/// `lines show N`: the line and the account registered on it, if any.
pub async fn show(desk: &Desk<'_>, raw: &str) -> Result<Done, DeskError> {
    let n = number(raw)?;
    let line = lines::get(desk.store, &n)
        .await?
        .ok_or_else(|| not_found(&n))?;
    let holder = uniqueness::holder(desk.store, Kind::Number, n.e164(), desk.now).await?;
    let holder = holder.and_then(Owner::into_account);
    Ok(describe(&line, holder.as_ref()))
}

/// `lines set-status N attiva|cessata`: the line and its index item in one transaction
/// with the audit record; ceasing an active line also ends every session of the account
/// on it (`lines::set_status_ops`), and the login refuses it from then on.
pub async fn set_status(
    desk: &Desk<'_>,
    args: &Args,
    raw: &str,
    status: &str,
) -> Result<Done, DeskError> {
    let n = number(raw)?;
    let active = match status.trim().to_lowercase().as_str() {
        "attiva" => true,
        "cessata" => false,
        other => {
            return Err(DeskError::Usage(format!(
                "stato \"{other}\" non valido: indica attiva o cessata"
            )))
        }
    };
    let by = Signed::from(desk, args).await?;
    let (line, mut ops) = lines::set_status_ops(desk.store, &n, active)
        .await?
        .ok_or_else(|| not_found(&n))?;
    let holder = uniqueness::holder(desk.store, Kind::Number, n.e164(), desk.now).await?;
    let holder = holder.and_then(Owner::into_account);
    let mut done = describe(&line, holder.as_ref());
    if ops.is_empty() {
        done.text = format!(
            "La linea {} è già {}: nessuna modifica.\n{}",
            n.pretty(),
            status_text(active),
            done.text
        );
        return Ok(done);
    }
    ops.push(audit::op(
        &lines::key(&n).pk,
        Action::LineStatus,
        n.e164(),
        status_text(active),
        &by,
        desk.now,
    ));
    match desk.store.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled { .. }) => {
            return Err(DeskError::NotAllowed(
                "la linea o il suo account sono cambiati nel frattempo: nessuna modifica fatta, riprova".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    done.text = format!(
        "Linea {} ora {}.{}\n{}",
        n.pretty(),
        status_text(active),
        if active {
            ""
        } else {
            " Le sessioni dell'account sulla linea sono terminate e l'accesso è rifiutato."
        },
        done.text
    );
    Ok(done)
}
