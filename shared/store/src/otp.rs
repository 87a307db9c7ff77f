//! One-time codes as TTL items: stored as a keyed hash, at most `MAX_ATTEMPTS` guesses,
//! single use (consumed by a conditional delete, so of concurrent right answers exactly
//! one wins), replaced by a new code on resend, and checked for expiry on every read and in
//! the condition of every write that counts a guess or uses the code up (DynamoDB's TTL
//! deletion lags: an expired code's item may still be there).

use super::uniqueness::Owner;
use super::{schema, AccountId, Cond, Item, Key, Store, StoreError, TxOp, Update};
use crate::secret::{FlowKey, FlowSecret};
use domain::crypto;
use domain::OtpCode;

pub const MAX_ATTEMPTS: i64 = 5;
pub const TTL_SECS: i64 = 5 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Registration,
    Login,
    Recovery,
    /// "Elimina il tuo account" (issue 15): reachable only signed in, after the password.
    Deletion,
}

impl Purpose {
    /// The partition-key prefix of this purpose's codes (`engine::access` narrows grants
    /// to it: the login cannot touch a registration's code).
    pub const fn prefix(self) -> &'static str {
        match self {
            Purpose::Registration => "OTP#REG#",
            Purpose::Login => "OTP#LOGIN#",
            Purpose::Recovery => "OTP#RECOVERY#",
            Purpose::Deletion => "OTP#DELETE#",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OtpError {
    #[error("no code")]
    Missing,
    #[error("code expired")]
    Expired,
    #[error("wrong code")]
    Wrong { remaining: i64 },
    #[error("too many attempts")]
    TooManyAttempts,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn key(purpose: Purpose, subject: &str) -> Key {
    Key::new(format!("{}{}", purpose.prefix(), subject), "OTP")
}

/// When a code issued at `issued_at` stops working: its item's TTL, and the expiry its SMS
/// carries to the outbox (`notify::Message::Sms`), past which the SMS is not sent.
pub fn expiry(issued_at: i64) -> i64 {
    issued_at + TTL_SECS
}

/// The attribute naming the key a code's hash was made with (`store::secret`).
pub const KEY_ID: &str = "kid";

fn code_item(key: &FlowKey, code: &OtpCode, now: i64) -> Item {
    Item::new()
        .with("hash", crypto::keyed_hash(key.bytes(), code.as_str()))
        .with(KEY_ID, key.id())
        .with("attempts", 0i64)
        .with("issued_at", now)
        .with(schema::TTL_ATTRIBUTE, expiry(now))
}

/// The write storing a new code for `subject`, replacing any previous one. With
/// `keep_recent: Some(window)` it does not replace a live code issued less than `window`
/// seconds ago (its condition fails): a double-clicked button sends one SMS.
pub fn issue_op(
    key: &FlowKey,
    purpose: Purpose,
    subject: &str,
    code: &OtpCode,
    now: i64,
    keep_recent: Option<i64>,
) -> TxOp {
    // Replace only a missing, old, expired or burnt code.
    let cond = keep_recent.map(|window| {
        Cond::Or(vec![
            Cond::NotExists,
            Cond::lt("issued_at", now - window + 1),
            Cond::lt(schema::TTL_ATTRIBUTE, now + 1),
            Cond::gt("attempts", MAX_ATTEMPTS - 1),
        ])
    });
    TxOp::Put {
        key: self::key(purpose, subject),
        item: code_item(key, code, now),
        cond,
    }
}

/// `issue_op` for a code that names the account it proves (recovery): the account is
/// known only to whoever reads the code back after a right guess (`check_item`), never
/// to the browser, whose flow looks the same whether or not the data matched an account.
pub fn issue_for_op(
    key: &FlowKey,
    purpose: Purpose,
    subject: &str,
    code: &OtpCode,
    now: i64,
    keep_recent: Option<i64>,
    account: Option<&AccountId>,
) -> TxOp {
    issue_naming_op(
        key,
        purpose,
        subject,
        code,
        now,
        keep_recent,
        account.map(|a| (a, None)),
    )
}

// The attributes beside a code that name the account it proves and that account's
// `session_epoch` when the code was asked for (`issue_naming_op`).
const ACCOUNT: &str = "account";
const EPOCH: &str = "epoch";
/// The number's claim holder noted beside a registration code at step 1, read at step 2 once
/// the SIM is proved (`with_holder`, `holder_noted`).
const HOLDER: &str = "holder";

/// `op` (an `issue_op`) made a code nobody can type: its hash one no 6-digit code has (the
/// hash of a random token), for a code that is not sent — its guesses count down alike.
pub fn unguessable(op: &mut TxOp, key: &FlowKey) {
    if let TxOp::Put { item, .. } = op {
        let void = crypto::keyed_hash(key.bytes(), &crypto::random_token());
        item.attrs.insert("hash".into(), void.into());
    }
}

/// The account a code names (`issue_for_op`, `issue_naming_op`), read back.
pub fn account_named(item: &Item) -> Option<AccountId> {
    item.s(ACCOUNT).and_then(AccountId::parse)
}

/// The account's `session_epoch` noted beside a code when it was asked for.
pub fn epoch_noted(item: &Item) -> Option<i64> {
    item.n(EPOCH)
}

/// A registration code's item with the number's claim holder noted beside it (empty when
/// the number has none).
pub fn with_holder(item: Item, holder: Option<&Owner>) -> Item {
    item.with(HOLDER, holder.map(Owner::to_string).unwrap_or_default())
}

/// The claim holder noted beside a registration code (`with_holder`).
pub fn holder_noted(item: &Item) -> Option<Owner> {
    item.s(HOLDER).and_then(Owner::parse)
}

/// `issue_for_op` that also records the account's `session_epoch` when the code was asked
/// for: the proof the request was made on (a password change or a suspension since then
/// voids it).
pub fn issue_naming_op(
    key: &FlowKey,
    purpose: Purpose,
    subject: &str,
    code: &OtpCode,
    now: i64,
    keep_recent: Option<i64>,
    account: Option<(&AccountId, Option<i64>)>,
) -> TxOp {
    let mut op = issue_op(key, purpose, subject, code, now, keep_recent);
    if let (TxOp::Put { item, .. }, Some((id, epoch))) = (&mut op, account) {
        item.attrs.insert(ACCOUNT.into(), id.as_str().into());
        if let Some(e) = epoch {
            item.attrs.insert(EPOCH.into(), e.into());
        }
    }
    op
}

/// The key of `subject`'s code (a loader reads it to know whether one is recent).
pub fn code_key(purpose: Purpose, subject: &str) -> Key {
    key(purpose, subject)
}

/// True when `item` is a live code issued less than `window` seconds ago.
pub fn is_recent(item: Option<&Item>, now: i64, window: i64) -> bool {
    item.filter(|i| !i.is_expired(now))
        .filter(|i| i.n("attempts").unwrap_or(0) < MAX_ATTEMPTS)
        .and_then(|i| i.n("issued_at"))
        .is_some_and(|t| now - t < window)
}

/// Stores a new code for `subject`, replacing any previous one (which stops working).
pub async fn issue(
    store: &dyn Store,
    key: &FlowKey,
    purpose: Purpose,
    subject: &str,
    code: &OtpCode,
    now: i64,
) -> Result<(), StoreError> {
    store
        .put(
            &self::key(purpose, subject),
            code_item(key, code, now),
            None,
        )
        .await
}

/// Like `issue`, but keeps a code issued less than `window` seconds ago (returns `false`):
/// a double-clicked button sends one SMS, and both requests work with that one code.
pub async fn issue_unless_recent(
    store: &dyn Store,
    key: &FlowKey,
    purpose: Purpose,
    subject: &str,
    code: &OtpCode,
    now: i64,
    window: i64,
) -> Result<bool, StoreError> {
    match store
        .transact(vec![issue_op(
            key,
            purpose,
            subject,
            code,
            now,
            Some(window),
        )])
        .await
    {
        Ok(()) => Ok(true),
        Err(StoreError::TxCancelled { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The write deleting `code` if it is still the current one (it could not be sent); `key`
/// is the one it was issued with (the same request's).
pub fn withdraw_op(key: &FlowKey, purpose: Purpose, subject: &str, code: &OtpCode) -> TxOp {
    TxOp::Delete {
        key: self::key(purpose, subject),
        cond: Some(Cond::eq(
            "hash",
            crypto::keyed_hash(key.bytes(), code.as_str()),
        )),
    }
}

/// Counts a guess and compares it (every guess is counted atomically before it is
/// compared, so parallel guesses cannot exceed `MAX_ATTEMPTS`). `Ok(consume)` is the
/// write that uses the code up; the step commits it with its own writes, and of
/// concurrent right answers exactly one commit succeeds.
pub async fn check(
    store: &dyn Store,
    secret: &FlowSecret,
    purpose: Purpose,
    subject: &str,
    guess: &OtpCode,
    now: i64,
) -> Result<TxOp, OtpError> {
    Ok(check_item(store, secret, purpose, subject, guess, now)
        .await?
        .0)
}

/// `check`, also returning the code's item as counted (what the step stored beside the
/// code, e.g. the account it names: `issue_for_op`).
pub async fn check_item(
    store: &dyn Store,
    secret: &FlowSecret,
    purpose: Purpose,
    subject: &str,
    guess: &OtpCode,
    now: i64,
) -> Result<(TxOp, Item), OtpError> {
    let counted = count(store, secret, purpose, subject, now).await?;
    let consume = counted.compare(guess, now)?;
    Ok((consume, counted.item))
}

/// A guess counted on `subject`'s current code (the I/O half of `check`): the code's item
/// as counted, and the keys it may have been hashed with.
#[derive(Debug, Clone)]
pub struct Counted {
    key: Key,
    pub item: Item,
    keys: std::sync::Arc<crate::secret::FlowKeys>,
}

/// Counts one more guess on `subject`'s current code, before it is compared (a guess that
/// is not counted is never compared): refused when there is none, it expired or its
/// guesses are used up.
pub async fn count(
    store: &dyn Store,
    secret: &FlowSecret,
    purpose: Purpose,
    subject: &str,
    now: i64,
) -> Result<Counted, OtpError> {
    let k = key(purpose, subject);
    let counted = store
        .update(
            &k,
            Update::new().add("attempts", 1),
            Some(Cond::And(vec![
                Cond::Exists,
                Cond::lt("attempts", MAX_ATTEMPTS),
                Cond::unexpired(now),
            ])),
        )
        .await;
    let item = match counted {
        Ok(item) => item,
        Err(StoreError::ConditionFailed) => {
            return Err(match store.get(&k).await? {
                None => OtpError::Missing,
                Some(i) if i.is_expired(now) => OtpError::Expired,
                Some(_) => OtpError::TooManyAttempts,
            })
        }
        Err(e) => return Err(e.into()),
    };
    // The key the code was hashed with: the current or previous version (fetched again if
    // it is newer than this process has seen); a code of two rotations ago matches nothing.
    let kid = item.s(KEY_ID).unwrap_or_default();
    let keys = secret
        .keys_with(kid)
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    Ok(Counted { key: k, item, keys })
}

impl Counted {
    /// The guess compared with the counted code (no I/O): the write that uses the code up,
    /// or why the guess is refused.
    pub fn compare(&self, guess: &OtpCode, now: i64) -> Result<TxOp, OtpError> {
        let item = &self.item;
        if item.is_expired(now) {
            return Err(OtpError::Expired);
        }
        let stored = item.s("hash").unwrap_or_default().to_owned();
        let kid = item.s(KEY_ID).unwrap_or_default();
        let is = |k: &FlowKey| {
            crypto::digest_eq(&stored, &crypto::keyed_hash(k.bytes(), guess.as_str()))
        };
        let matches = match kid {
            // A code stored before codes named their key.
            "" => self.keys.all().any(is),
            kid => self.keys.get(kid).is_some_and(is),
        };
        if !matches {
            let remaining = MAX_ATTEMPTS - item.n("attempts").unwrap_or(MAX_ATTEMPTS);
            return Err(if remaining <= 0 {
                OtpError::TooManyAttempts
            } else {
                OtpError::Wrong { remaining }
            });
        }
        Ok(TxOp::Delete {
            key: self.key.clone(),
            cond: Some(Cond::And(vec![
                Cond::Exists,
                Cond::eq("hash", stored),
                Cond::unexpired(now),
            ])),
        })
    }
}

/// Checks a guess and uses the code up on its own (steps that have nothing to commit
/// with it).
pub async fn verify(
    store: &dyn Store,
    secret: &FlowSecret,
    purpose: Purpose,
    subject: &str,
    guess: &OtpCode,
    now: i64,
) -> Result<(), OtpError> {
    let consume = check(store, secret, purpose, subject, guess, now).await?;
    match store.transact(vec![consume]).await {
        Ok(()) => Ok(()),
        Err(StoreError::TxCancelled { .. }) => Err(OtpError::Missing),
        Err(e) => Err(e.into()),
    }
}

/// Seconds since the current code was issued, if there is a live one.
pub async fn age(
    store: &dyn Store,
    purpose: Purpose,
    subject: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(store
        .get(&key(purpose, subject))
        .await?
        .filter(|i| !i.is_expired(now))
        .and_then(|i| i.n("issued_at"))
        .map(|t| now - t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;
    use crate::secret::FlowKeys;

    fn code(s: &str) -> OtpCode {
        OtpCode::parse(s).unwrap()
    }

    fn keys(k: &str) -> FlowKeys {
        FlowKeys::fixed(k.as_bytes())
    }

    fn key() -> FlowKey {
        keys("k").current().clone()
    }

    fn secret() -> FlowSecret {
        FlowSecret::fixed(keys("k"))
    }

    /// A code hashed before a rotation is still right after it (the previous key); after
    /// two rotations it matches nothing (counted as a wrong guess, never a 500).
    #[tokio::test]
    async fn a_code_survives_one_rotation_not_two() {
        let s = MemoryStore::new();
        let (k, b, c) = (
            key(),
            keys("b").current().clone(),
            keys("c").current().clone(),
        );
        issue(&s, &k, Purpose::Login, "a", &code("123456"), 1000)
            .await
            .unwrap();
        let once = FlowSecret::fixed(FlowKeys::new(b.clone(), Some(k.clone())));
        assert_eq!(
            verify(&s, &once, Purpose::Login, "a", &code("123456"), 1001).await,
            Ok(())
        );
        issue(&s, &k, Purpose::Login, "a", &code("123456"), 1000)
            .await
            .unwrap();
        let twice = FlowSecret::fixed(FlowKeys::new(c, Some(b)));
        assert!(matches!(
            verify(&s, &twice, Purpose::Login, "a", &code("123456"), 1001).await,
            Err(OtpError::Wrong { .. })
        ));
    }

    #[tokio::test]
    async fn right_code_once_only() {
        let s = MemoryStore::new();
        issue(&s, &key(), Purpose::Login, "a", &code("123456"), 1000)
            .await
            .unwrap();
        assert_eq!(
            verify(&s, &secret(), Purpose::Login, "a", &code("123456"), 1001).await,
            Ok(())
        );
        assert_eq!(
            verify(&s, &secret(), Purpose::Login, "a", &code("123456"), 1002).await,
            Err(OtpError::Missing)
        );
    }

    #[tokio::test]
    async fn five_wrong_guesses_burn_the_code() {
        let s = MemoryStore::new();
        issue(
            &s,
            &key(),
            Purpose::Registration,
            "a",
            &code("123456"),
            1000,
        )
        .await
        .unwrap();
        for left in (0..5).rev() {
            let r = verify(
                &s,
                &secret(),
                Purpose::Registration,
                "a",
                &code("000000"),
                1001,
            )
            .await;
            if left == 0 {
                assert_eq!(r, Err(OtpError::TooManyAttempts));
            } else {
                assert_eq!(r, Err(OtpError::Wrong { remaining: left }));
            }
        }
        assert_eq!(
            verify(
                &s,
                &secret(),
                Purpose::Registration,
                "a",
                &code("123456"),
                1002
            )
            .await,
            Err(OtpError::TooManyAttempts)
        );
    }

    #[tokio::test]
    async fn expired_and_replaced_codes_fail() {
        let s = MemoryStore::new();
        issue(&s, &key(), Purpose::Login, "a", &code("111111"), 1000)
            .await
            .unwrap();
        assert_eq!(
            verify(
                &s,
                &secret(),
                Purpose::Login,
                "a",
                &code("111111"),
                1000 + TTL_SECS
            )
            .await,
            Err(OtpError::Expired)
        );
        issue(&s, &key(), Purpose::Login, "a", &code("111111"), 2000)
            .await
            .unwrap();
        issue(&s, &key(), Purpose::Login, "a", &code("222222"), 2001)
            .await
            .unwrap();
        assert_eq!(
            verify(&s, &secret(), Purpose::Login, "a", &code("111111"), 2002).await,
            Err(OtpError::Wrong { remaining: 4 })
        );
        assert_eq!(
            verify(&s, &secret(), Purpose::Login, "a", &code("222222"), 2002).await,
            Ok(())
        );
    }

    #[tokio::test]
    async fn an_expired_code_whose_item_lingers_counts_no_guess_and_cannot_be_used() {
        let s = MemoryStore::new();
        issue(&s, &key(), Purpose::Login, "a", &code("123456"), 1000)
            .await
            .unwrap();
        let late = 1000 + TTL_SECS;
        let guess = check(&s, &secret(), Purpose::Login, "a", &code("000000"), late).await;
        assert!(matches!(guess, Err(OtpError::Expired)), "{guess:?}");
        let item = s
            .get(&super::key(Purpose::Login, "a"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            item.n("attempts"),
            Some(0),
            "an expired code counts no guess"
        );
        let consume = check(
            &s,
            &secret(),
            Purpose::Login,
            "a",
            &code("123456"),
            late - 1,
        )
        .await
        .unwrap();
        assert!(s.transact(vec![consume]).await.is_ok(), "in time, it works");
    }

    #[tokio::test]
    async fn a_recent_code_is_kept_once() {
        let s = MemoryStore::new();
        assert!(
            issue_unless_recent(&s, &key(), Purpose::Login, "a", &code("111111"), 1000, 30)
                .await
                .unwrap()
        );
        assert!(
            !issue_unless_recent(&s, &key(), Purpose::Login, "a", &code("222222"), 1010, 30)
                .await
                .unwrap()
        );
        assert_eq!(
            verify(&s, &secret(), Purpose::Login, "a", &code("111111"), 1011).await,
            Ok(())
        );
        assert!(
            issue_unless_recent(&s, &key(), Purpose::Login, "a", &code("333333"), 1012, 30)
                .await
                .unwrap(),
            "a used code is gone"
        );
        assert!(
            issue_unless_recent(&s, &key(), Purpose::Login, "a", &code("444444"), 1042, 30)
                .await
                .unwrap(),
            "an old code is replaced"
        );
    }

    #[tokio::test]
    async fn stored_value_is_not_the_code() {
        let s = MemoryStore::new();
        issue(&s, &key(), Purpose::Login, "a", &code("123456"), 1000)
            .await
            .unwrap();
        let dump = format!("{:?}", s.dump());
        assert!(!dump.contains("123456"));
    }
}
