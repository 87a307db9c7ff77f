//! `consensi mostra` / `consensi pubblica`: the versions of the terms and of the privacy
//! notice in force (`shared::store::consent_log`). Publishing a new version makes the
//! next private page of every account ask for it (issue 15 item 7); the item carries who
//! published it and why, as the help desk's changes do.

use super::{when, Args, Desk, DeskError, Done};
use serde_json::json;
use shared::store::consent_log::{self, InForce};
use shared::store::TxOp;

/// A version as the pages show it: short, letters, digits, dots and dashes.
fn version(flag: &str, raw: &str) -> Result<String, DeskError> {
    let ok = !raw.is_empty()
        && raw.len() <= 20
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    ok.then(|| raw.to_owned()).ok_or_else(|| {
        DeskError::Usage(format!(
            "{flag}: versione non valida (es. 2.0; lettere, cifre, punti, trattini)"
        ))
    })
}

async fn in_force(desk: &Desk<'_>) -> Result<(InForce, Option<i64>), DeskError> {
    let item = desk.store.get(&consent_log::in_force_key()).await?;
    let published = item.as_ref().and_then(|i| i.n("published_at"));
    Ok((consent_log::in_force_from(item.as_ref()), published))
}

/// `consensi mostra`: the versions in force.
pub async fn show(desk: &Desk<'_>) -> Result<Done, DeskError> {
    let (v, published) = in_force(desk).await?;
    let since = published.map_or("versioni iniziali del portale".to_owned(), when);
    Ok(Done {
        text: format!(
            "Termini e condizioni: versione {}\nInformativa privacy: versione {}\nIn vigore da: {since}\n{}",
            v.terms_version,
            v.privacy_version,
            if v.note.is_empty() { String::new() } else { format!("Cosa cambia: {}\n", v.note) }
        ),
        json: json!({
            "termini_versione": v.terms_version,
            "privacy_versione": v.privacy_version,
            "nota": v.note,
            "pubblicata_il": published,
        }),
    })
}

/// `consensi pubblica --termini V --privacy V [--nota TESTO] --motivo TESTO`: a new
/// version of one document or both (an omitted one keeps its version).
pub async fn publish(desk: &Desk<'_>, a: &Args) -> Result<Done, DeskError> {
    let by = super::audit::Signed::from(desk, a)?;
    let (current, _) = in_force(desk).await?;
    let next = InForce {
        terms_version: a
            .get("--termini")
            .map_or(Ok(current.terms_version.clone()), |v| {
                version("--termini", v)
            })?,
        privacy_version: a
            .get("--privacy")
            .map_or(Ok(current.privacy_version.clone()), |v| {
                version("--privacy", v)
            })?,
        note: a.get("--nota").unwrap_or_default().to_owned(),
    };
    if (next.terms_version == current.terms_version)
        && (next.privacy_version == current.privacy_version)
    {
        return Err(DeskError::NotAllowed(format!(
            "queste versioni sono già in vigore (termini {}, privacy {}): indica --termini o --privacy nuove",
            current.terms_version, current.privacy_version
        )));
    }
    let TxOp::Put { key, item, cond } = consent_log::publish_op(&next, desk.now) else {
        unreachable!("publishing is a put")
    };
    let item = item
        .with("published_by", by.operator.as_str())
        .with("reason", by.reason.as_str());
    desk.store.put(&key, item, cond).await?;
    Ok(Done {
        text: format!(
            "Pubblicate: termini e condizioni versione {}, informativa privacy versione {}. Al prossimo accesso \
             all'Area Clienti ogni utente dovrà accettarle.",
            next.terms_version, next.privacy_version
        ),
        json: json!({
            "termini_versione": next.terms_version,
            "privacy_versione": next.privacy_version,
            "nota": next.note,
            "operatore": by.operator,
            "motivo": by.reason,
        }),
    })
}
