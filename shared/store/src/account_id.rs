//! An account's id: what follows `ACCOUNT#` in its partition key (`accounts::key`) and
//! `account:` in the claims it owns (`uniqueness::Owner::Account`). A registration makes a
//! random one (`random`), `portale-admin import-accounts` a stable one per username.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    /// A new random id (URL-safe base64, 43 characters).
    pub fn random() -> AccountId {
        AccountId(domain::crypto::random_token())
    }

    /// An id as the store writes it: 1 to 100 ASCII letters, digits, `-` or `_` (never a
    /// `#` or `:`, which separate the parts of keys and owners). `None` for anything else.
    pub fn parse(s: &str) -> Option<AccountId> {
        let ok = !s.is_empty()
            && s.len() <= 100
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| AccountId(s.to_owned()))
    }

    /// The id no account has (`-`, never `random` nor imported): what a step reads for data
    /// that match no account, so that it makes the same calls whether or not one exists.
    pub fn nobody() -> AccountId {
        AccountId("-".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Read as the text it is (a code's subject, a log id); made only by `parse` and `random`.
impl std::ops::Deref for AccountId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AccountId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        AccountId::parse(&s).ok_or_else(|| format!("not an account id: {s:?}"))
    }
}

impl From<AccountId> for String {
    fn from(id: AccountId) -> String {
        id.0
    }
}

impl AsRef<str> for AccountId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_what_the_store_writes_and_nothing_else() {
        let random = AccountId::random();
        assert_eq!(AccountId::parse(random.as_str()), Some(random.clone()));
        for ok in ["acc", "imp-0123abcd", "a_B-9"] {
            assert_eq!(
                AccountId::parse(ok).map(|i| i.to_string()),
                Some(ok.to_owned())
            );
        }
        for bad in ["", "a#b", "account:x", "a b", &"x".repeat(101)] {
            assert_eq!(AccountId::parse(bad), None, "{bad:?}");
        }
        let json = serde_json::to_string(&random).unwrap();
        assert_eq!(json, format!("\"{random}\""), "serialised as a string");
        assert_eq!(serde_json::from_str::<AccountId>(&json).unwrap(), random);
        assert!(serde_json::from_str::<AccountId>("\"a#b\"").is_err());
    }
}
