//! "Scarica i tuoi dati": everything the portal holds about the signed-in person, as a JSON
//! file (for machines, with the stored values as they are) and a readable PDF (the same
//! facts, in Italian): the profile, the line, the consents with versions and dates and
//! their audit, the live sessions, the access history and what the help desk did to the
//! account. Hashes, codes and tokens are never part of it: they are not data about the
//! person.

use crate::clock;
use crate::pdf::{self, Block, Run, Style};
use crate::session::SignedIn;
use crate::store::access_log::{self, Recorded};
use crate::store::consent_log::{self, Entry};
use crate::store::lines::{self, Line};
use crate::store::sessions::{self, Listed};
use crate::store::{accounts, Query};
use crate::ui::agent;
use crate::web::WebError;
use crate::App;
use serde_json::{json, Value};

/// Everything read about the person.
pub struct Data {
    pub signed_in: SignedIn,
    pub line: Option<Line>,
    pub consents: Vec<Entry>,
    pub sessions: Vec<Listed>,
    pub accesses: Vec<Recorded>,
    /// What the help desk did to the account (`portale-admin`'s audit records, sort key
    /// `AUDIT#…` in the account's partition): (time, action, reason).
    pub help_desk: Vec<(i64, String, String)>,
}

/// At most this many access events are exported (12 months of them fit).
const ACCESSES_MAX: usize = 1000;

/// The reads: the line, the consents' audit, the sessions and the history.
pub async fn gather(app: &App, s: &SignedIn) -> Result<Data, WebError> {
    let (store, a, now) = (app.store.as_ref(), &s.account, app.now());
    Ok(Data {
        signed_in: s.clone(),
        line: lines::get(store, &a.number).await?,
        consents: consent_log::of_account(store, &a.id).await?,
        sessions: sessions::of_account(store, &a.id, a.session_epoch, now).await?,
        accesses: access_log::recent(store, &a.id, ACCESSES_MAX, now).await?,
        help_desk: store
            .query(&Query::new(accounts::key(&a.id).pk, "AUDIT#", 200))
            .await?
            .into_iter()
            .map(|(_, i)| {
                let s = |n: &str| i.s(n).unwrap_or_default().to_owned();
                (i.n("at").unwrap_or(0), s("action"), s("reason"))
            })
            .collect(),
    })
}

fn when(epoch: i64) -> String {
    if epoch <= 0 {
        return String::new();
    }
    clock::rome_datetime(epoch)
}

impl Data {
    pub fn to_json(&self, generated_at: i64) -> Value {
        let a = &self.signed_in.account;
        json!({
            "generato_il": when(generated_at),
            "profilo": {
                "nome": a.nome, "cognome": a.cognome, "codice_fiscale": a.personal_cf,
                "ente": a.ragione_sociale, "codice_fiscale_ente": a.entity_cf,
                "numero_mobile": a.number.e164(), "email": a.email, "username": a.username,
                "registrato_il": when(a.created_at),
                "provenienza": if a.origin.is_empty() { "registrazione sul portale" } else { a.origin.as_str() },
            },
            "linea": self.line.as_ref().map(|l| json!({
                "numero": l.number.e164(), "ente": l.ragione_sociale, "codice_fiscale_ente": l.entity_cf.as_str(),
                "stato": if l.active { "attiva" } else { "cessata" },
            })),
            "consensi": {
                "termini_versione": a.terms_version, "privacy_versione": a.privacy_version,
                "accettati_il": when(a.accepted_at),
                "storico": self.consents.iter().map(|c| json!({
                    "data": when(c.at), "azione": consent_log::Action::label(&c.action),
                    "termini_versione": c.terms_version, "privacy_versione": c.privacy_version,
                })).collect::<Vec<_>>(),
            },
            "sessioni": self.sessions.iter().map(|s| json!({
                "browser": agent::describe(&s.user_agent), "user_agent": s.user_agent,
                "iniziata_il": when(s.created_at), "ultima_attivita": when(s.last_seen),
            })).collect::<Vec<_>>(),
            "interventi_assistenza": self.help_desk.iter().map(|(at, action, reason)| json!({
                "data": when(*at), "azione": action, "motivo": reason,
            })).collect::<Vec<_>>(),
            "accessi": self.accesses.iter().map(|e| json!({
                "data": when(e.at), "esito": e.event.label(), "browser": agent::describe(&e.user_agent),
                "user_agent": e.user_agent,
            })).collect::<Vec<_>>(),
        })
    }

    /// The JSON file, indented: it is also for the person to read.
    pub fn to_json_file(&self, generated_at: i64) -> Vec<u8> {
        serde_json::to_vec_pretty(&self.to_json(generated_at)).expect("a JSON value serialises")
    }

    pub fn to_pdf(&self, generated_at: i64) -> Vec<u8> {
        let a = &self.signed_in.account;
        let mut b = Vec::new();
        let h = |t: &str| Block::Heading {
            level: 2,
            runs: vec![run(t, Style::Bold)],
        };
        let row = |k: &str, v: &str| Block::Para {
            runs: vec![run(&format!("{k}: "), Style::Bold), run(v, Style::Regular)],
            indent: 0,
            marker: None,
            quote: false,
        };
        let item = |t: String| Block::Para {
            runs: vec![run(&t, Style::Regular)],
            indent: 0,
            marker: Some("•".into()),
            quote: false,
        };
        b.push(h("Il tuo profilo"));
        for (k, v) in [
            ("Nome", a.nome.as_str()),
            ("Cognome", a.cognome.as_str()),
            ("Codice fiscale", a.personal_cf.as_str()),
            ("Ente/Amministrazione", a.ragione_sociale.as_str()),
            ("C.F. Ente/Amministrazione", a.entity_cf.as_str()),
            ("Numero mobile", &a.number.pretty()),
            ("Email", a.email.as_str()),
            ("Username", a.username.as_str()),
            ("Registrato il", &when(a.created_at)),
        ] {
            b.push(row(k, v));
        }
        b.push(h("La tua linea"));
        match &self.line {
            Some(l) => {
                b.push(row("Numero", &l.number.pretty()));
                b.push(row("Ente", &l.ragione_sociale));
                b.push(row(
                    "Stato in Convenzione",
                    if l.active { "attiva" } else { "cessata" },
                ));
            }
            None => b.push(row(
                "Stato in Convenzione",
                "linea non presente in Convenzione",
            )),
        }
        b.push(h("I tuoi consensi"));
        b.push(row("Termini e condizioni, versione", &a.terms_version));
        b.push(row("Informativa privacy, versione", &a.privacy_version));
        b.push(row("Accettati il", &when(a.accepted_at)));
        for c in &self.consents {
            let label = consent_log::Action::label(&c.action);
            b.push(item(format!(
                "{}: {label} (termini {}, privacy {})",
                when(c.at),
                c.terms_version,
                c.privacy_version
            )));
        }
        b.push(h("Sessioni attive"));
        for s in &self.sessions {
            let browser = agent::describe(&s.user_agent);
            b.push(item(format!(
                "{browser}: iniziata il {}, ultima attività il {}",
                when(s.created_at),
                when(s.last_seen)
            )));
        }
        if !self.help_desk.is_empty() {
            b.push(h("Interventi dell'assistenza sul tuo account"));
            for (at, action, reason) in &self.help_desk {
                b.push(item(format!("{}: {action} (motivo: {reason})", when(*at))));
            }
        }
        b.push(h("Accessi degli ultimi 12 mesi"));
        if self.accesses.is_empty() {
            b.push(row("Accessi", "nessuno"));
        }
        for e in &self.accesses {
            b.push(item(format!(
                "{}: {} ({})",
                when(e.at),
                e.event.label(),
                agent::describe(&e.user_agent)
            )));
        }
        let subtitle = format!("Generato il {}", when(generated_at));
        pdf::render(
            "I tuoi dati - Area Clienti Convenzione Mobile 8",
            &subtitle,
            &b,
        )
    }
}

fn run(text: &str, style: Style) -> Run {
    Run {
        text: text.to_owned(),
        style,
    }
}
