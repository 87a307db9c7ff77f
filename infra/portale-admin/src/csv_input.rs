//! Reading the operator's CSV files: UTF-8 (a BOM is ignored), comma or semicolon
//! separated (whichever the header uses), named columns in any order. Unreadable and
//! empty rows are returned as errors with their line number, so imports report them.

use std::io::Read;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("il file non è un CSV leggibile: {0}")]
    Unreadable(String),
    #[error("intestazione non valida: servono le colonne {expected}, trovate: {found}")]
    Header { expected: String, found: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Table {
    /// Position of each required column, in the order asked for.
    idx: Vec<usize>,
    headers: Vec<String>,
    /// (line number in the file, the record or why it is unusable)
    pub rows: Vec<(usize, Result<csv::StringRecord, String>)>,
}

impl Table {
    /// The trimmed value of the `i`-th required column.
    pub fn field(&self, rec: &csv::StringRecord, i: usize) -> String {
        rec.get(self.idx[i]).unwrap_or("").trim().to_owned()
    }
    /// The value of an optional column, if the file has it.
    pub fn optional(&self, rec: &csv::StringRecord, name: &str) -> Option<String> {
        let i = self.headers.iter().position(|h| h == name)?;
        Some(rec.get(i).unwrap_or("").trim().to_owned())
    }
}

pub fn read(
    mut input: impl Read,
    required: &[&str],
    optional: &[&str],
) -> Result<Table, ImportError> {
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .map_err(|e| ImportError::Unreadable(e.to_string()))?;
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| ImportError::Unreadable(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let header_error = || {
        let mut expected = required.join(", ");
        if !optional.is_empty() {
            expected.push_str(&format!(" (facoltative: {})", optional.join(", ")));
        }
        ImportError::Header {
            expected,
            found: headers.join(", "),
        }
    };
    let idx = required
        .iter()
        .map(|col| {
            headers
                .iter()
                .position(|h| h == col)
                .ok_or_else(header_error)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rows = rdr
        .records()
        .enumerate()
        .map(|(n, rec)| {
            let line_no = n + 2;
            let rec = match rec {
                Ok(r) if r.iter().all(|f| f.trim().is_empty()) => Err("riga vuota".to_owned()),
                Ok(r) => Ok(r),
                Err(e) => Err(format!("riga illeggibile: {e}")),
            };
            (line_no, rec)
        })
        .collect();
    Ok(Table { idx, headers, rows })
}
