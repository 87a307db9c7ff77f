//! Accounts: the profile, the password hash and the status. An account owns its
//! username, email and number through uniqueness claims (see `uniqueness`).

use super::{Item, Key, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub nome: String,
    pub cognome: String,
    pub personal_cf: String,
    pub entity_cf: String,
    pub ragione_sociale: String,
    /// E.164.
    pub number: String,
    pub email: String,
    pub username: String,
    pub password_hash: String,
    pub status: Status,
    /// Bumped to end every session of the account at once.
    pub session_epoch: i64,
    pub created_at: i64,
    pub terms_version: String,
    pub privacy_version: String,
    pub accepted_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Ceased,
}

pub fn key(id: &str) -> Key {
    Key::new(format!("ACCOUNT#{id}"), "PROFILE")
}

pub fn to_item(a: &Account) -> Item {
    Item::new()
        .with("nome", a.nome.as_str())
        .with("cognome", a.cognome.as_str())
        .with("personal_cf", a.personal_cf.as_str())
        .with("entity_cf", a.entity_cf.as_str())
        .with("ragione_sociale", a.ragione_sociale.as_str())
        .with("number", a.number.as_str())
        .with("email", a.email.as_str())
        .with("username", a.username.as_str())
        .with("password_hash", a.password_hash.as_str())
        .with("status", if a.status == Status::Active { "active" } else { "ceased" })
        .with("session_epoch", a.session_epoch)
        .with("created_at", a.created_at)
        .with("terms_version", a.terms_version.as_str())
        .with("privacy_version", a.privacy_version.as_str())
        .with("accepted_at", a.accepted_at)
}

fn from_item(id: &str, i: &Item) -> Account {
    let s = |n: &str| i.s(n).unwrap_or_default().to_owned();
    Account {
        id: id.to_owned(),
        nome: s("nome"),
        cognome: s("cognome"),
        personal_cf: s("personal_cf"),
        entity_cf: s("entity_cf"),
        ragione_sociale: s("ragione_sociale"),
        number: s("number"),
        email: s("email"),
        username: s("username"),
        password_hash: s("password_hash"),
        status: if i.s("status") == Some("active") { Status::Active } else { Status::Ceased },
        session_epoch: i.n("session_epoch").unwrap_or(0),
        created_at: i.n("created_at").unwrap_or(0),
        terms_version: s("terms_version"),
        privacy_version: s("privacy_version"),
        accepted_at: i.n("accepted_at").unwrap_or(0),
    }
}

pub async fn get(store: &dyn Store, id: &str) -> Result<Option<Account>, StoreError> {
    Ok(store.get(&key(id)).await?.map(|i| from_item(id, &i)))
}

/// The account id inside an `account:<id>` claim owner.
pub fn id_from_owner(owner: &str) -> Option<&str> {
    owner.strip_prefix("account:")
}
