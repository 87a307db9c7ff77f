//! The browsers an account has completed a login from (issue 15, "new-access notice").
//! A browser is known by a long-lived HttpOnly cookie holding a random id; the account's
//! partition `DEVICES#<account>` remembers only the id's hash (sort key), with a TTL
//! renewed at each login from it. A login from a browser not in the list sends the
//! account's owner an email.

use super::{schema, AccountId, Item, Key, Store, StoreError, TxOp};
use domain::crypto;

/// The partition-key prefix of the browsers an account logged in from.
pub const PREFIX: &str = "DEVICES#";

/// The cookie naming this browser.
pub const COOKIE: &str = "dispositivo";
/// How long the cookie lives (the longest browsers honour), and how long an unused
/// browser stays known.
pub const KEEP_SECS: i64 = 400 * 24 * 3600;

/// The key under which `account_id` remembers the browser `device_id`.
pub fn key(account_id: &AccountId, device_id: &str) -> Key {
    Key::new(
        format!("{PREFIX}{account_id}"),
        crypto::token_hash(device_id),
    )
}

/// Every browser `account_id` remembers, as keys (what its deletion erases).
pub async fn all(store: &dyn Store, account_id: &AccountId) -> Result<Vec<Key>, StoreError> {
    let pk = format!("{PREFIX}{account_id}");
    Ok(super::sessions::query_all(store, &pk)
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .collect())
}

/// The browsers `account_id` remembers: (last login from it, until when it is remembered),
/// oldest first (the data export).
pub async fn known(
    store: &dyn Store,
    account_id: &AccountId,
    now: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
    let pk = format!("{PREFIX}{account_id}");
    let mut known: Vec<(i64, i64)> = super::sessions::query_all(store, &pk)
        .await?
        .into_iter()
        .filter(|(_, i)| !i.is_expired(now))
        .map(|(_, i)| {
            let last = i.n("last_login_at").unwrap_or(0);
            (last, i.n(schema::TTL_ATTRIBUTE).unwrap_or(last + KEEP_SECS))
        })
        .collect();
    known.sort_unstable();
    Ok(known)
}

/// The write remembering (or renewing) the browser.
pub fn remember_op(account_id: &AccountId, device_id: &str, now: i64) -> TxOp {
    TxOp::Put {
        key: key(account_id, device_id),
        item: Item::new()
            .with("last_login_at", now)
            .with(schema::TTL_ATTRIBUTE, now + KEEP_SECS),
        cond: None,
    }
}

/// A device id as the cookie may carry it: what `crypto::random_token` makes.
pub fn is_well_formed(id: &str) -> bool {
    (20..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
