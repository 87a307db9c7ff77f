//! `consensi mostra` / `consensi pubblica`: the versions of the terms and of the privacy
//! notice in force (`store::consent_log`). Publishing a new version makes the
//! next private page of every account ask for it (issue 15 item 7).
//!
//! The item in force carries a `revision` (1, 2, …; none before the first publication).
//! A publication is written on condition that the revision it replaces is still the one in
//! force — the one read just before, or the one the operator saw (`--revisione N`, as
//! `consensi mostra` prints it) — so a concurrent or stale publication is refused, never
//! silently overwritten. Each publication leaves an audit record beside the item
//! (`CONSENTS#CURRENT`, `AUDIT#…`), in the same transaction, kept as long as the consents'
//! own records: `consensi mostra` lists who published what, when and why.

use super::audit::{self, Signed};
use super::{when, Args, Desk, DeskError, Done};
use serde_json::{json, Value};
use store::audit::{Action, Entry};
use store::consent_log::{self, InForce, Publisher};
use store::{Item, StoreError};

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

/// The item in force as read: the versions, when published, its revision (0: none yet).
struct Current {
    in_force: InForce,
    published: Option<i64>,
    revision: i64,
    item: Option<Item>,
}

async fn current(desk: &Desk<'_>) -> Result<Current, DeskError> {
    let item = desk.store.get(&consent_log::in_force_key()).await?;
    Ok(Current {
        in_force: consent_log::in_force_from(item.as_ref()),
        published: consent_log::published_at(item.as_ref()),
        revision: consent_log::revision(item.as_ref()),
        item,
    })
}

/// The publications, newest first (the audit records beside the item in force, each with
/// the revision it made: two in one second keep their order).
async fn history(desk: &Desk<'_>) -> Result<Vec<Entry>, DeskError> {
    let pk = consent_log::in_force_key().pk;
    let mut entries = store::audit::newest(desk.store, &pk, 100, desk.now).await?;
    entries.sort_by_key(|e| std::cmp::Reverse((e.at, e.revision)));
    Ok(entries)
}

/// `consensi mostra`: the versions in force, the revision, and who published what.
pub async fn show(desk: &Desk<'_>) -> Result<Done, DeskError> {
    let c = current(desk).await?;
    let v = &c.in_force;
    let since = c
        .published
        .map_or("versioni iniziali del portale".to_owned(), when);
    let mut text = format!(
        "Termini e condizioni: versione {}\nInformativa privacy: versione {}\nIn vigore da: {since}\n\
         Revisione: {}\n{}",
        v.terms_version,
        v.privacy_version,
        c.revision,
        if v.note.is_empty() {
            String::new()
        } else {
            format!("Cosa cambia: {}\n", v.note)
        }
    );
    let published = history(desk).await?;
    let mut list: Vec<Value> = Vec::new();
    if !published.is_empty() {
        text.push_str("Pubblicazioni (dalla più recente):\n");
    }
    for e in &published {
        text.push_str(&format!(
            "  {}  {}  operatore: {}  motivo: {}\n",
            when(e.at),
            e.detail,
            audit::who(&e.operator, &e.note),
            e.reason
        ));
        list.push(json!({
            "quando": e.at,
            "dettaglio": e.detail,
            "operatore": e.operator,
            "nota_operatore": e.note,
            "motivo": e.reason,
        }));
    }
    Ok(Done {
        text,
        json: json!({
            "termini_versione": v.terms_version,
            "privacy_versione": v.privacy_version,
            "nota": v.note,
            "pubblicata_il": c.published,
            "revisione": c.revision,
            "pubblicazioni": list,
        }),
    })
}

/// `consensi pubblica --termini V --privacy V [--nota TESTO] [--revisione N] --motivo
/// TESTO`: a new version of one document or both (an omitted one keeps its version).
pub async fn publish(desk: &Desk<'_>, a: &Args) -> Result<Done, DeskError> {
    let seen = a
        .get("--revisione")
        .map(|r| {
            r.parse::<i64>().ok().filter(|r| *r >= 0).ok_or_else(|| {
                DeskError::Usage(format!(
                    "--revisione: \"{r}\" non è una revisione (un numero, come lo mostra consensi mostra)"
                ))
            })
        })
        .transpose()?;
    let c = current(desk).await?;
    let next = InForce {
        terms_version: a
            .get("--termini")
            .map_or(Ok(c.in_force.terms_version.clone()), |v| {
                version("--termini", v)
            })?,
        privacy_version: a
            .get("--privacy")
            .map_or(Ok(c.in_force.privacy_version.clone()), |v| {
                version("--privacy", v)
            })?,
        note: a.get("--nota").unwrap_or_default().to_owned(),
    };
    let stale = || {
        DeskError::NotAllowed(
            "le versioni in vigore sono cambiate nel frattempo (un'altra pubblicazione): nessuna modifica \
             fatta; rileggi con consensi mostra e riprova"
                .into(),
        )
    };
    if seen.is_some_and(|s| s != c.revision) {
        return Err(stale());
    }
    if (next.terms_version == c.in_force.terms_version)
        && (next.privacy_version == c.in_force.privacy_version)
    {
        return Err(DeskError::NotAllowed(format!(
            "queste versioni sono già in vigore (termini {}, privacy {}): indica --termini o --privacy nuove",
            c.in_force.terms_version, c.in_force.privacy_version
        )));
    }
    let by = Signed::from(desk, a).await?;
    let revision = c.revision + 1;
    let publisher = Publisher {
        operator: &by.operator,
        note: &by.note,
        reason: &by.reason,
    };
    let publish =
        consent_log::publish_revision_op(&next, desk.now, revision, publisher, c.item.as_ref());
    let detail = format!(
        "revisione {revision}: termini {} → {}, privacy {} → {}",
        c.in_force.terms_version,
        next.terms_version,
        c.in_force.privacy_version,
        next.privacy_version
    );
    let mut record = audit::entry(Action::PublishConsents, "consensi", &detail, &by, desk.now);
    record.expires_at = desk.now + consent_log::KEEP_SECS;
    record.revision = Some(revision);
    let ops = vec![publish, record.op(&consent_log::in_force_key().pk)];
    match desk.store.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled { .. }) | Err(StoreError::ConditionFailed) => {
            return Err(stale())
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Done {
        text: format!(
            "Pubblicate: termini e condizioni versione {}, informativa privacy versione {} (revisione {revision}). \
             Al prossimo accesso all'Area Clienti ogni utente dovrà accettarle.",
            next.terms_version, next.privacy_version
        ),
        json: json!({
            "termini_versione": next.terms_version,
            "privacy_versione": next.privacy_version,
            "nota": next.note,
            "revisione": revision,
            "operatore": by.operator,
            "nota_operatore": by.note,
            "motivo": by.reason,
        }),
    })
}
