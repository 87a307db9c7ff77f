//! Login name: lowercase `a-z 0-9 . _ - @`, so an email address can be one.

use super::Email;
use serde::{Deserialize, Serialize};

#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("Scegli un nome utente.")]
    Empty,
    #[error("Il nome utente deve avere almeno 3 caratteri.")]
    TooShort,
    #[error("Il nome utente non può superare i 64 caratteri.")]
    TooLong,
    #[error("Il nome utente può contenere solo lettere senza accenti, numeri e i simboli . _ - @")]
    InvalidCharacter,
    #[error("Il nome utente deve iniziare con una lettera o un numero.")]
    BadStart,
}

const MIN_LEN: usize = 3;
const MAX_LEN: usize = 64;

impl Username {
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(UsernameError::Empty);
        }
        let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b);
        if !s.bytes().all(allowed) {
            return Err(UsernameError::InvalidCharacter);
        }
        if !s.as_bytes()[0].is_ascii_alphanumeric() {
            return Err(UsernameError::BadStart);
        }
        // All ASCII from here, so bytes are characters.
        match s.len() {
            n if n < MIN_LEN => Err(UsernameError::TooShort),
            n if n > MAX_LEN => Err(UsernameError::TooLong),
            _ => Ok(Self(s)),
        }
    }

    /// Proposes the email itself as username; `None` when it does not fit the
    /// username rules (e.g. `mario+tim@…` or longer than 64), and the user must choose.
    pub fn from_email(email: &Email) -> Option<Self> {
        Self::parse(email.as_str()).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_type!(Username, UsernameError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(
            Username::parse("  MRossi_85 ").unwrap().as_str(),
            "mrossi_85"
        );
        assert_eq!(Username::parse("abc").unwrap().as_str(), "abc");
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        let email = Email::parse("Mario.Rossi@Comune.Milano.it").unwrap();
        let u = Username::from_email(&email).unwrap();
        assert_eq!(u.as_str(), "mario.rossi@comune.milano.it");
        assert_eq!(u, Username::parse(email.as_str()).unwrap());
        assert_eq!(
            Username::from_email(&Email::parse("mario+tim@gmail.com").unwrap()),
            None
        );
    }

    #[test]
    fn errors() {
        use UsernameError::*;
        assert_eq!(Username::parse(" "), Err(Empty));
        assert_eq!(Username::parse("ab"), Err(TooShort));
        assert_eq!(Username::parse(&"a".repeat(65)), Err(TooLong));
        assert_eq!(Username::parse("mario rossi"), Err(InvalidCharacter));
        assert_eq!(Username::parse("niccolò"), Err(InvalidCharacter));
        assert_eq!(Username::parse("mario+1"), Err(InvalidCharacter));
        assert_eq!(Username::parse(".mario"), Err(BadStart));
        assert_eq!(Username::parse("_mario"), Err(BadStart));
    }

    #[test]
    fn serde_via_parse() {
        let u: Username = serde_json::from_str("\"MRossi\"").unwrap();
        assert_eq!(serde_json::to_string(&u).unwrap(), "\"mrossi\"");
        assert!(serde_json::from_str::<Username>("\"ab\"").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = Username::parse(&s);
        }

        #[test]
        fn normalised_reparses(s in "[A-Za-z0-9][A-Za-z0-9._@-]{2,63}") {
            let u = Username::parse(&s).unwrap();
            prop_assert_eq!(u.as_str(), s.to_lowercase());
            prop_assert_eq!(&Username::parse(u.as_str()).unwrap(), &u);
        }
    }
}
