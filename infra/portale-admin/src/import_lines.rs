//! `import-lines FILE.csv`: the Convenzione's lines from the operator's CSV (UTF-8, comma
//! or semicolon separated, header `numero,codice_fiscale_ente,ragione_sociale,stato`, and
//! optionally `profilo`: `utente` (the default, also for an empty cell) or `referente`).
//! Idempotent (a re-import updates rows); every rejected row is reported with its line
//! number and reason, never silently dropped.
//!
//! Each row that changes something (a new line, a line ceased, a `referente` granted…) is
//! written in one transaction with its audit record in the line's partition (`audit
//! --numero N` lists it): who (the caller identity), what it was and what it is now.

use crate::csv_input;
pub use crate::csv_input::ImportError;
use crate::helpdesk::audit::{self, Signed};
use domain::{CodiceFiscaleEnte, MobileNumber};
use std::io::Read;
use store::audit::Action;
use store::lines::{self, Line, Profile, Upsert};
use store::Store;

pub const COLUMNS: [&str; 4] = ["numero", "codice_fiscale_ente", "ragione_sociale", "stato"];
/// Optional: the line's holder is the entity's referente (sees all its lines) or a user.
pub const PROFILE_COLUMN: &str = "profilo";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// (line number in the file, reason)
    pub rejected: Vec<(usize, String)>,
}

impl Report {
    pub fn imported(&self) -> usize {
        self.inserted + self.updated + self.unchanged
    }
}

fn parse_row(get: impl Fn(usize) -> String, profile: Option<String>) -> Result<Line, String> {
    let number = MobileNumber::parse(&get(0)).map_err(|e| format!("numero \"{}\": {e}", get(0)))?;
    let entity_cf = CodiceFiscaleEnte::parse(&get(1))
        .map_err(|e| format!("codice_fiscale_ente \"{}\": {e}", get(1)))?;
    let ragione_sociale = get(2);
    if ragione_sociale.is_empty() {
        return Err("ragione_sociale vuota".into());
    }
    let active = match get(3).to_lowercase().as_str() {
        "attiva" => true,
        "cessata" => false,
        other => {
            return Err(format!(
                "stato \"{other}\": atteso \"attiva\" o \"cessata\""
            ))
        }
    };
    let profile = Profile::parse(&profile.unwrap_or_default()).map_err(|e| e.to_string())?;
    Ok(Line {
        number,
        entity_cf,
        ragione_sociale,
        active,
        profile,
    })
}

/// How a line reads in its audit record.
fn state(l: &Line) -> String {
    format!(
        "{}, profilo {}, ente {}",
        if l.active { "attiva" } else { "cessata" },
        l.profile.as_str(),
        l.entity_cf.as_str()
    )
}

/// Writes one line with its audit record (nothing when it is already as given).
pub async fn write_line(
    store: &dyn Store,
    line: &Line,
    by: &Signed,
    now: i64,
) -> Result<Upsert, store::StoreError> {
    let (upsert, old, mut ops) = lines::upsert_ops(store, line).await?;
    if ops.is_empty() {
        return Ok(upsert);
    }
    let detail = match &old {
        Some(old) => format!("da {} a {}", state(old), state(line)),
        None => format!("nuova: {}", state(line)),
    };
    ops.push(audit::op(
        &lines::key(&line.number).pk,
        Action::ImportLine,
        line.number.e164(),
        &detail,
        by,
        now,
    ));
    store.transact(ops).await?;
    Ok(upsert)
}

pub async fn import(
    store: &dyn Store,
    input: impl Read,
    by: &Signed,
    now: i64,
) -> Result<Report, ImportError> {
    let table = csv_input::read(input, &COLUMNS, &[PROFILE_COLUMN])?;
    let mut report = Report::default();
    for (line_no, rec) in table.rows.iter() {
        let parsed = rec.clone().and_then(|rec| {
            parse_row(
                |i| table.field(&rec, i),
                table.optional(&rec, PROFILE_COLUMN),
            )
        });
        match parsed {
            Ok(line) => match write_line(store, &line, by, now).await? {
                Upsert::Inserted => report.inserted += 1,
                Upsert::Updated => report.updated += 1,
                Upsert::Unchanged => report.unchanged += 1,
            },
            Err(reason) => report.rejected.push((*line_no, reason)),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::memory::MemoryStore;

    fn by() -> Signed {
        Signed {
            operator: "arn:aws:sts::123456789012:assumed-role/assistenza/anna.v".into(),
            note: "anna".into(),
            reason: "importazione di prova".into(),
        }
    }

    async fn import(s: &MemoryStore, input: &[u8]) -> Result<Report, ImportError> {
        super::import(s, input, &by(), 1000).await
    }

    const CSV: &str = "numero;codice_fiscale_ente;ragione_sociale;stato\n\
        333 123 4567;00488410010;TIM SPA;attiva\n\
        +39 320 000 0001;00488410010;TIM SPA;cessata\n\
        06 1234567;00488410010;TIM SPA;attiva\n\
        3331234568;12345678901;TIM SPA;attiva\n\
        3331234569;00488410010;;attiva\n\
        3331234570;00488410010;TIM SPA;sospesa\n";

    #[tokio::test]
    async fn imports_good_rows_and_reports_bad_ones() {
        let s = MemoryStore::new();
        let r = import(&s, CSV.as_bytes()).await.unwrap();
        assert_eq!(r.inserted, 2);
        assert_eq!(
            r.rejected.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            vec![4, 5, 6, 7]
        );
        assert!(r.rejected[0].1.contains("numero"));
        assert!(r.rejected[1].1.contains("codice_fiscale_ente"));
        assert!(r.rejected[3].1.contains("sospesa"));
        let again = import(&s, CSV.as_bytes()).await.unwrap();
        assert_eq!(
            (again.inserted, again.updated, again.unchanged),
            (0, 0, 2),
            "re-import is idempotent"
        );
        let changed = import(
            &s,
            "numero,codice_fiscale_ente,ragione_sociale,stato\n3331234567,00488410010,TIM \
            SPA,cessata\n"
                .as_bytes(),
        )
        .await
        .unwrap();
        assert_eq!(changed.updated, 1);
        // Every change audited, in the line's partition; the unchanged re-import left none.
        let n = MobileNumber::parse("3331234567").unwrap();
        let records = store::audit::newest(&s, &lines::key(&n).pk, 10, 0)
            .await
            .unwrap();
        let mut details: Vec<_> = records.iter().map(|e| e.detail.as_str()).collect();
        details.sort();
        assert_eq!(
            details,
            [
                "da attiva, profilo utente, ente 00488410010 a cessata, profilo utente, ente 00488410010",
                "nuova: attiva, profilo utente, ente 00488410010",
            ],
            "{records:?}"
        );
        assert!(records
            .iter()
            .all(|e| e.operator == by().operator && e.action == "importazione-linea"));
    }

    #[tokio::test]
    async fn the_profile_column_is_optional_and_checked() {
        let s = MemoryStore::new();
        let csv = "numero;codice_fiscale_ente;ragione_sociale;stato;profilo\n\
            3331230001;00488410010;TIM SPA;attiva;referente\n\
            3331230002;00488410010;TIM SPA;attiva;\n\
            3331230003;00488410010;TIM SPA;attiva;capo\n";
        let r = import(&s, csv.as_bytes()).await.unwrap();
        assert_eq!(r.inserted, 2);
        assert_eq!(
            r.rejected,
            vec![(
                4,
                "profilo \"capo\": atteso \"utente\" o \"referente\"".to_owned()
            )]
        );
        for (n, want) in [
            ("3331230001", Profile::Referente),
            ("3331230002", Profile::Utente),
        ] {
            let n = MobileNumber::parse(n).unwrap();
            assert_eq!(lines::get(&s, &n).await.unwrap().unwrap().profile, want);
        }
        let listed = lines::of_entity(&s, "00488410010", "", None, 20)
            .await
            .unwrap();
        assert_eq!(
            listed.lines.len(),
            2,
            "each line is indexed in its entity's partition"
        );
    }

    #[tokio::test]
    async fn a_wrong_header_is_an_error() {
        let s = MemoryStore::new();
        assert!(matches!(
            import(&s, "a,b\n1,2\n".as_bytes()).await,
            Err(ImportError::Header { .. })
        ));
    }
}
