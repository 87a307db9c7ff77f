//! Accounts: the profile, the password hash and the status. An account owns its
//! username, email and number through uniqueness claims (see `uniqueness`).

use super::uniqueness::{self, Kind, Owner};
use super::{AccountId, Cond, Item, Key, ScanFilter, Store, StoreError, TxOp, Update};
use domain::MobileNumber;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
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
    /// NON ORA on the home's passkey offer: not offered again (`passkey_offer_dismissed_op`).
    pub passkey_offer_dismissed: bool,
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

// The attributes that conditions and partial updates name: only this module spells them.
const STATUS: &str = "status";
const SESSION_EPOCH: &str = "session_epoch";
const PASSWORD_HASH: &str = "password_hash";
const EMAIL: &str = "email";
const USERNAME: &str = "username";

/// The partition-key prefix of accounts (`engine::access` grants it).
pub const PREFIX: &str = "ACCOUNT#";
/// The sort key of an account's profile (its partition also holds its audit records).
const PROFILE: &str = "PROFILE";
const PERSONAL_CF: &str = "personal_cf";

pub fn key(id: &AccountId) -> Key {
    Key::new(format!("{PREFIX}{id}"), PROFILE)
}

/// The account id of an account's key (`None` for another item's).
pub fn id_of(key: &Key) -> Option<AccountId> {
    key.pk.strip_prefix(PREFIX).and_then(AccountId::parse)
}

/// The help desk's Scan for every account of a person (by personal codice fiscale; ceased
/// ones too): no key lookup lists them.
pub fn of_person(personal_cf: &str) -> ScanFilter {
    ScanFilter {
        expression: format!("sk = :profile AND {PERSONAL_CF} = :cf"),
        values: vec![
            (":profile", PROFILE.to_owned()),
            (":cf", personal_cf.to_owned()),
        ],
    }
}

/// The account is active (neither suspended nor ceased).
pub fn is_active() -> Cond {
    has_status(Status::Active)
}

/// The account's status is `s`.
pub fn has_status(s: Status) -> Cond {
    Cond::eq(STATUS, s.as_str())
}

/// No session-ending change (a password change, every session ended, a suspension, a
/// ceasing) since the account was read at `epoch`.
pub fn at_epoch(epoch: i64) -> Cond {
    Cond::eq(SESSION_EPOCH, epoch)
}

/// `at_epoch`, for an epoch read as 0 from an account that may carry none (never bumped).
pub fn at_epoch_or_unset(epoch: i64) -> Cond {
    if epoch == 0 {
        Cond::Or(vec![at_epoch(epoch), Cond::missing(SESSION_EPOCH)])
    } else {
        at_epoch(epoch)
    }
}

/// Active, at `epoch`: what a step that read the account at `epoch` writes on condition of.
pub fn active_at(epoch: i64) -> Cond {
    Cond::And(vec![is_active(), at_epoch(epoch)])
}

/// The check, in a transaction, that account `id` is still active at `epoch`.
pub fn active_at_check(id: &AccountId, epoch: i64) -> TxOp {
    TxOp::Check {
        key: key(id),
        cond: active_at(epoch),
    }
}

/// The check, in a transaction, that account `id` is ceased.
pub fn ceased_check(id: &AccountId) -> TxOp {
    TxOp::Check {
        key: key(id),
        cond: has_status(Status::Ceased),
    }
}

/// Every session of the account ends: its epoch moves on.
pub fn end_sessions() -> Update {
    Update::new().add(SESSION_EPOCH, 1)
}

/// "Esci da tutti gli altri dispositivi": every session of `id` ends, if it is still
/// active at `epoch`.
pub fn end_sessions_op(id: &AccountId, epoch: i64) -> TxOp {
    TxOp::Update {
        key: key(id),
        update: end_sessions(),
        cond: Some(active_at(epoch)),
    }
}

/// The login's last step: when it completed, if the account is still active at the epoch
/// the password was checked at.
pub fn record_login_op(id: &AccountId, epoch: i64, now: i64) -> TxOp {
    TxOp::Update {
        key: key(id),
        update: Update::new().set(LAST_LOGIN_AT, now),
        cond: Some(active_at(epoch)),
    }
}

/// "Elimina il tuo account": ceased now (kept until `forget_at` for the help desk, without
/// its password), every session ended, if still active at the `epoch` the deletion began at.
pub fn delete_op(id: &AccountId, epoch: i64, now: i64, forget_at: i64) -> TxOp {
    TxOp::Update {
        key: key(id),
        update: Update::new()
            .set(STATUS, Status::Ceased.as_str())
            .set("deleted_at", now)
            .set(super::schema::TTL_ATTRIBUTE, forget_at)
            .remove(PASSWORD_HASH)
            .add(SESSION_EPOCH, 1),
        cond: Some(active_at(epoch)),
    }
}

/// The versions of the terms and of the privacy notice the account accepted `now`, if it
/// is active.
pub fn accept_versions_op(id: &AccountId, terms: &str, privacy: &str, now: i64) -> TxOp {
    TxOp::Update {
        key: key(id),
        update: Update::new()
            .set("terms_version", terms)
            .set("privacy_version", privacy)
            .set("accepted_at", now),
        cond: Some(is_active()),
    }
}

/// The account's email becomes `new` (and its username too, when it was the old email), if
/// the account is active at `epoch` and still has `old` (and the username `old`).
pub fn change_email_op(
    id: &AccountId,
    epoch: i64,
    old: &str,
    new: &str,
    username_too: bool,
) -> TxOp {
    let mut update = Update::new().set(EMAIL, new);
    let mut expected = vec![is_active(), at_epoch(epoch), Cond::eq(EMAIL, old)];
    if username_too {
        update = update.set(USERNAME, new);
        expected.push(Cond::eq(USERNAME, old));
    }
    TxOp::Update {
        key: key(id),
        update,
        cond: Some(Cond::And(expected)),
    }
}

/// The help desk's `account disable`: suspended, every session ended, if it was active.
pub fn suspend_op(id: &AccountId) -> TxOp {
    TxOp::Update {
        key: key(id),
        update: Update::new()
            .set(STATUS, Status::Disabled.as_str())
            .add(SESSION_EPOCH, 1),
        cond: Some(has_status(Status::Active)),
    }
}

/// The help desk's `account enable`: active again, if it was suspended (its sessions stay
/// ended).
pub fn reactivate_op(id: &AccountId) -> TxOp {
    TxOp::Update {
        key: key(id),
        update: Update::new().set(STATUS, Status::Active.as_str()),
        cond: Some(has_status(Status::Disabled)),
    }
}

/// An account item holding only its status (tests of what checks it).
pub fn item_with_status(s: Status) -> Item {
    Item::new().with(STATUS, s.as_str())
}

pub fn to_item(a: &Account) -> Item {
    Item::new()
        .with("nome", a.nome.as_str())
        .with("cognome", a.cognome.as_str())
        .with(PERSONAL_CF, a.personal_cf.as_str())
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
pub fn from_item(id: &AccountId, i: &Item) -> Option<Account> {
    let s = |n: &str| i.s(n).unwrap_or_default().to_owned();
    let Ok(number) = MobileNumber::parse(&s("number")) else {
        tracing::error!(account = %domain::crypto::log_id(id.as_str()), "account record with an unreadable number");
        return None;
    };
    Some(Account {
        id: id.clone(),
        nome: s("nome"),
        cognome: s("cognome"),
        personal_cf: s(PERSONAL_CF),
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
        passkey_offer_dismissed: i.n(PASSKEY_OFFER_DISMISSED_AT).is_some(),
    })
}

/// When the owner said NON ORA to the passkey offer.
const PASSKEY_OFFER_DISMISSED_AT: &str = "passkey_offer_dismissed_at";

/// NON ORA on the passkey offer, remembered on the account (if it is still active).
pub fn passkey_offer_dismissed_op(id: &AccountId, now: i64) -> TxOp {
    TxOp::Update {
        key: key(id),
        update: Update::new().set(PASSKEY_OFFER_DISMISSED_AT, now),
        cond: Some(is_active()),
    }
}

pub async fn get(store: &dyn Store, id: &AccountId) -> Result<Option<Account>, StoreError> {
    Ok(store.get(&key(id)).await?.and_then(|i| from_item(id, &i)))
}

/// The account holding a username, email or number claim (never a reservation).
pub async fn by_claim(
    store: &dyn Store,
    kind: Kind,
    value: &str,
    now: i64,
) -> Result<Option<Account>, StoreError> {
    match uniqueness::holder(store, kind, value, now).await? {
        Some(Owner::Account(id)) => get(store, &id).await,
        _ => Ok(None),
    }
}

/// Replaces the password hash if it is still `old` (a concurrent reset wins), optionally
/// ending every session of the account.
pub fn set_password_op(id: &AccountId, old_hash: &str, new_hash: &str, end_sessions: bool) -> TxOp {
    let mut update = Update::new().set(PASSWORD_HASH, new_hash);
    if end_sessions {
        update = update.add(SESSION_EPOCH, 1);
    }
    TxOp::Update {
        key: key(id),
        update,
        cond: Some(Cond::eq(PASSWORD_HASH, old_hash)),
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

/// The writes ceasing `old` (its sessions end with the epoch), voiding its passkeys
/// (`passkeys`, as `passkeys::list` read them: a passkey added after the read fails the
/// transaction) and releasing the claims that `taken` (a new account's, after PROSEGUI)
/// does not take over. The registration's step 5 and the help desk (`portale-admin account
/// cease`, with nothing taken) share it, so every cease is the same cease.
pub fn cease_ops(
    old: &Account,
    passkeys: &[super::passkeys::Credential],
    taken: &[(Kind, String)],
    now: i64,
) -> Vec<TxOp> {
    let update = Update::new()
        .set(STATUS, Status::Ceased.as_str())
        .set("ceased_at", now)
        .add(SESSION_EPOCH, 1);
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
                &Owner::Account(old.id.clone()),
            ));
        }
    }
    ops.extend(super::passkeys::remove_all_ops(&old.id, passkeys));
    ops
}
