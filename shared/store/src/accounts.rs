//! Accounts: the profile, the password hash and the status. An account owns its
//! username, email and number through uniqueness claims (see `uniqueness`).

use super::uniqueness::{self, Kind};
use super::{Cond, Item, Key, Store, StoreError, TxOp, Update};
use domain::MobileNumber;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub nome: String,
    pub cognome: String,
    pub personal_cf: String,
    pub entity_cf: String,
    pub ragione_sociale: String,
    pub number: MobileNumber,
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
    /// Where the account comes from: empty when registered on this portal,
    /// `convenzione-5`/`-6`/`-7` when loaded by `import-accounts`.
    pub origin: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    /// Suspended by the help desk (`portale-admin account disable`): the login refuses it
    /// after a correct password, and `account enable` brings it back as it was.
    Disabled,
    Ceased,
}

impl Status {
    /// The stored value (`status` attribute); conditions in transactions compare with it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Disabled => "disabled",
            Status::Ceased => "ceased",
        }
    }

    /// The stored value read back; anything unknown is ceased (never more than it was).
    pub fn parse(s: &str) -> Status {
        match s {
            "active" => Status::Active,
            "disabled" => Status::Disabled,
            _ => Status::Ceased,
        }
    }
}
/// When the last login completed (epoch seconds): written by the login's code step, shown
/// to the help desk. Not part of `Account`: nothing decides on it.
pub const LAST_LOGIN_AT: &str = "last_login_at";

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
        .with("number", a.number.e164())
        .with("email", a.email.as_str())
        .with("username", a.username.as_str())
        .with("password_hash", a.password_hash.as_str())
        .with("status", a.status.as_str())
        .with("session_epoch", a.session_epoch)
        .with("created_at", a.created_at)
        .with("terms_version", a.terms_version.as_str())
        .with("privacy_version", a.privacy_version.as_str())
        .with("accepted_at", a.accepted_at)
        .with("origin", a.origin.as_str())
}

/// The account stored as `i`; `None` if its number is unreadable (a record that could only
/// have been written by hand: it is treated as no account, and logged).
pub fn from_item(id: &str, i: &Item) -> Option<Account> {
    let s = |n: &str| i.s(n).unwrap_or_default().to_owned();
    let Ok(number) = MobileNumber::parse(&s("number")) else {
        tracing::error!(account = %domain::crypto::log_id(id), "account record with an unreadable number");
        return None;
    };
    Some(Account {
        id: id.to_owned(),
        nome: s("nome"),
        cognome: s("cognome"),
        personal_cf: s("personal_cf"),
        entity_cf: s("entity_cf"),
        ragione_sociale: s("ragione_sociale"),
        number,
        email: s("email"),
        username: s("username"),
        password_hash: s("password_hash"),
        status: Status::parse(i.s("status").unwrap_or_default()),
        session_epoch: i.n("session_epoch").unwrap_or(0),
        created_at: i.n("created_at").unwrap_or(0),
        terms_version: s("terms_version"),
        privacy_version: s("privacy_version"),
        accepted_at: i.n("accepted_at").unwrap_or(0),
        origin: s("origin"),
    })
}

pub async fn get(store: &dyn Store, id: &str) -> Result<Option<Account>, StoreError> {
    Ok(store.get(&key(id)).await?.and_then(|i| from_item(id, &i)))
}

/// The account holding a username, email or number claim (never a reservation).
pub async fn by_claim(
    store: &dyn Store,
    kind: Kind,
    value: &str,
    now: i64,
) -> Result<Option<Account>, StoreError> {
    let Some(owner) = uniqueness::holder(store, kind, value, now).await? else {
        return Ok(None);
    };
    match id_from_owner(&owner) {
        Some(id) => get(store, id).await,
        None => Ok(None),
    }
}

/// Replaces the password hash if it is still `old` (a concurrent reset wins), optionally
/// ending every session of the account.
pub fn set_password_op(id: &str, old_hash: &str, new_hash: &str, end_sessions: bool) -> TxOp {
    let mut update = Update::new().set("password_hash", new_hash);
    if end_sessions {
        update = update.add("session_epoch", 1);
    }
    TxOp::Update {
        key: key(id),
        update,
        cond: Some(Cond::eq("password_hash", old_hash)),
    }
}

/// The claims an account holds: username, email, number, person.
pub fn claims(a: &Account) -> [(Kind, String); 4] {
    [
        (Kind::Username, a.username.clone()),
        (Kind::Email, a.email.clone()),
        (Kind::Number, a.number.e164().to_owned()),
        (
            Kind::Person,
            uniqueness::person_value(&a.entity_cf, &a.personal_cf),
        ),
    ]
}

/// The writes ceasing `old` (its sessions end with the epoch) and releasing the claims
/// that `taken` (a new account's, after PROSEGUI) does not take over. The registration's
/// step 5 and the help desk (`portale-admin account cease`, with nothing taken) share it.
pub fn cease_ops(old: &Account, taken: &[(Kind, String)], now: i64) -> Vec<TxOp> {
    let update = Update::new()
        .set("status", Status::Ceased.as_str())
        .set("ceased_at", now)
        .add("session_epoch", 1);
    let mut ops = vec![TxOp::Update {
        key: key(&old.id),
        update,
        cond: Some(Cond::Exists),
    }];
    for (kind, value) in claims(old) {
        if !value.is_empty() && !taken.iter().any(|(k, v)| *k == kind && *v == value) {
            ops.push(uniqueness::release_op(
                kind,
                &value,
                &uniqueness::account_owner(&old.id),
            ));
        }
    }
    ops
}

/// The account id inside an `account:<id>` claim owner.
pub fn id_from_owner(owner: &str) -> Option<&str> {
    owner.strip_prefix("account:")
}
