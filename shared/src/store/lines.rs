//! The Convenzione's lines: which mobile numbers are SIMs in the Convenzione, with their
//! entity. Loaded by `portale-admin import-lines`.

use super::{Cond, Item, Key, Store, StoreError, TxOp};
use crate::domain::{CodiceFiscaleEnte, MobileNumber};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: MobileNumber,
    pub entity_cf: CodiceFiscaleEnte,
    pub ragione_sociale: String,
    pub active: bool,
}

/// The line's key (a step's loader reads it with its other facts).
pub fn key(number: &MobileNumber) -> Key {
    Key::new(format!("LINE#{}", number.e164()), "LINE")
}

fn to_item(line: &Line) -> Item {
    Item::new()
        .with("entity_cf", line.entity_cf.as_str())
        .with("ragione_sociale", line.ragione_sociale.as_str())
        .with("active", line.active)
}

/// The outcome of an upsert, for the import report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Inserted,
    Updated,
    Unchanged,
}

pub async fn get(store: &dyn Store, number: &MobileNumber) -> Result<Option<Line>, StoreError> {
    Ok(from_item(number, store.get(&key(number)).await?.as_ref()))
}

/// The line of `number` read as `item`.
pub fn from_item(number: &MobileNumber, item: Option<&Item>) -> Option<Line> {
    let item = item?;
    let entity_cf = CodiceFiscaleEnte::parse(item.s("entity_cf")?).ok()?;
    Some(Line {
        number: number.clone(),
        entity_cf,
        ragione_sociale: item.s("ragione_sociale").unwrap_or_default().to_owned(),
        active: item.b("active").unwrap_or(false),
    })
}

/// The line only if it is an active SIM of the Convenzione.
pub async fn active(store: &dyn Store, number: &MobileNumber) -> Result<Option<Line>, StoreError> {
    Ok(get(store, number).await?.filter(|l| l.active))
}

/// The condition check a step commits with its writes: the number is still an active line.
pub fn active_check(number: &MobileNumber) -> TxOp {
    TxOp::Check {
        key: key(number),
        cond: Cond::eq("active", true),
    }
}

/// Inserts or updates a line. Last write wins: an import is the operator's statement of truth.
pub async fn upsert(store: &dyn Store, line: &Line) -> Result<Upsert, StoreError> {
    let before = get(store, &line.number).await?;
    if before.as_ref() == Some(line) {
        return Ok(Upsert::Unchanged);
    }
    store.put(&key(&line.number), to_item(line), None).await?;
    Ok(if before.is_some() {
        Upsert::Updated
    } else {
        Upsert::Inserted
    })
}
