//! "Scarica i tuoi dati": everything the portal holds about the signed-in person, as a JSON
//! file (for machines, with the stored values as they are) and a readable PDF (the same
//! facts, in Italian): the profile, the line, the consents with versions and dates and
//! their audit, the live sessions, the browsers it knows, the passkeys (name, dates, browser;
//! never the key), the access history, what the
//! help desk did to the account (action, date, reason and until when the record is kept;
//! not the operator's name, see `store::audit`) and what would be kept after a deletion
//! (`deletion::KEPT`). Hashes, codes and tokens are never part of it: they are not data
//! about the person.

use super::deletion;
use crate::session::SignedIn;
use crate::App;
use crate::WebError;
use domain::clock;
use pdf::{self, Block, Run, Style};
use serde_json::{json, Value};
use store::access_log::{self, Recorded};
use store::audit::{self, Record};
use store::consent_log::{self, Entry};
use store::devices;
use store::lines::{self, Line};
use store::sessions::{self, Listed};
use ui::agent;

/// Everything read about the person.
pub struct Data {
    pub signed_in: SignedIn,
    pub line: Option<Line>,
    pub consents: Vec<Entry>,
    pub sessions: Vec<Listed>,
    pub accesses: Vec<Recorded>,
    /// The browsers the account logged in from: (last login, kept until).
    pub browsers: Vec<(i64, i64)>,
    /// What the help desk did to the account (`portale-admin`'s audit records).
    pub help_desk: Vec<Record>,
    /// The account's passkeys: name, dates, browser (never the key).
    pub passkeys: Vec<store::passkeys::Credential>,
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
        browsers: devices::known(store, &a.id, now).await?,
        help_desk: audit::of_account(store, &a.id, now).await?,
        passkeys: store::passkeys::list(store, &a.id).await?,
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
            "browser_riconosciuti": self.browsers.iter().map(|(last, until)| json!({
                "ultimo_accesso": when(*last), "conservato_fino_al": when(*until),
            })).collect::<Vec<_>>(),
            "passkey": self.passkeys.iter().map(|p| json!({
                "nome": p.name, "creata_il": when(p.created_at),
                "ultimo_utilizzo": p.last_used_at.map(when), "creata_con": p.agent,
            })).collect::<Vec<_>>(),
            "interventi_assistenza": self.help_desk.iter().map(|r| json!({
                "data": when(r.at), "azione": r.action, "motivo": r.reason,
                "conservato_fino_al": when(r.expires_at),
            })).collect::<Vec<_>>(),
            "accessi": self.accesses.iter().map(|e| json!({
                "data": when(e.at), "esito": e.event.label(), "browser": agent::describe(&e.user_agent),
                "user_agent": e.user_agent,
            })).collect::<Vec<_>>(),
            "se_elimini_l_account": {
                "conserviamo": deletion::KEPT.iter().map(|k| json!({
                    "dato": k.what, "per_quanto": k.how_long, "perche": k.why,
                })).collect::<Vec<_>>(),
                "cancelliamo_subito": deletion::ERASED_TEXT,
            },
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
        b.push(h("Browser da cui hai effettuato l'accesso"));
        if self.browsers.is_empty() {
            b.push(row("Browser", "nessuno"));
        }
        for (last, until) in &self.browsers {
            b.push(item(format!(
                "ultimo accesso il {}, ricordato fino al {}",
                when(*last),
                when(*until)
            )));
        }
        b.push(h("Le tue passkey"));
        if self.passkeys.is_empty() {
            b.push(row("Passkey", "nessuna"));
        }
        for p in &self.passkeys {
            let used = p.last_used_at.map_or("mai usata".to_owned(), |t| {
                format!("ultimo utilizzo il {}", when(t))
            });
            b.push(item(format!(
                "{}: creata il {} con {}, {used}",
                p.name,
                when(p.created_at),
                p.agent
            )));
        }
        if !self.help_desk.is_empty() {
            b.push(h("Interventi dell'assistenza sul tuo account"));
            for r in &self.help_desk {
                let until = if r.expires_at > 0 {
                    format!(", conservato fino al {}", when(r.expires_at))
                } else {
                    String::new()
                };
                b.push(item(format!(
                    "{}: {} (motivo: {}){until}",
                    when(r.at),
                    r.action,
                    r.reason
                )));
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
        b.push(h("Se elimini il tuo account"));
        b.push(Block::Para {
            runs: vec![run(
                "Dopo l'eliminazione conserviamo soltanto:",
                Style::Regular,
            )],
            indent: 0,
            marker: None,
            quote: false,
        });
        for k in deletion::kept_sentences() {
            b.push(item(k));
        }
        b.push(row("Cancelliamo subito", deletion::ERASED_TEXT));
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
