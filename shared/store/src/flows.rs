//! Flow records (`engine::flows::record`): the server-side state of a multi-step flow, one
//! item per flow, keyed by its kind and the hash of the id only the browser's cookie holds.
//! The item holds the state as JSON and a version every save is conditioned on.

use super::{schema, Cond, Item, Key};

/// The partition-key prefix of every flow record.
pub const PREFIX: &str = "FLOW#";

/// The kinds of flow with a record, each its own key prefix (`engine::access` narrows
/// grants to it: the login steps cannot touch a registration's flow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowKind {
    Registration,
    Login,
    Recovery,
    /// "Elimina il tuo account".
    Deletion,
}

impl FlowKind {
    /// The kind as the key (and the flow's sealed cookie) names it.
    pub const fn tag(self) -> &'static str {
        match self {
            FlowKind::Registration => "REG",
            FlowKind::Login => "LOGIN",
            FlowKind::Recovery => "RECOVER",
            FlowKind::Deletion => "DELETE",
        }
    }

    /// The partition-key prefix of this kind's records.
    pub const fn prefix(self) -> &'static str {
        match self {
            FlowKind::Registration => "FLOW#REG#",
            FlowKind::Login => "FLOW#LOGIN#",
            FlowKind::Recovery => "FLOW#RECOVER#",
            FlowKind::Deletion => "FLOW#DELETE#",
        }
    }
}

/// The key of the record of a flow of kind `kind` (a `FlowKind::tag`) whose id hashes to
/// `id_hash`.
pub fn key(kind: &str, id_hash: &str) -> Key {
    Key::new(format!("{PREFIX}{kind}#{id_hash}"), "FLOW")
}

const DATA: &str = "data";
const VERSION: &str = "version";

/// A record holding `data` (JSON) at `version`, ending at `expires_at`.
pub fn item(data: String, version: i64, expires_at: i64) -> Item {
    Item::new()
        .with(DATA, data)
        .with(VERSION, version)
        .with(schema::TTL_ATTRIBUTE, expires_at)
}

/// The version and the data (JSON) of a record (`None` without data).
pub fn read(item: &Item) -> Option<(i64, &str)> {
    Some((item.n(VERSION).unwrap_or(0), item.s(DATA)?))
}

/// The record is still at `version` (a save or a delete is conditioned on the version read).
pub fn at_version(version: i64) -> Cond {
    Cond::eq(VERSION, version)
}
