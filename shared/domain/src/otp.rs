//! One-time code sent by SMS: exactly six digits.

use rand::{rngs::OsRng, Rng};
use serde::Deserialize;
use std::fmt;
use subtle::ConstantTimeEq;

/// Deserialisable (form input) but deliberately not `Serialize` nor `Display`.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct OtpCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OtpCodeError {
    #[error("Inserisci il codice di 6 cifre che hai ricevuto via SMS.")]
    Empty,
    #[error("Il codice è composto da 6 cifre: controlla di averlo copiato bene.")]
    Invalid,
}

const LEN: usize = 6;

impl OtpCode {
    /// Spaces anywhere are dropped: people copy "123 456" from the SMS.
    pub fn parse(raw: &str) -> Result<Self, OtpCodeError> {
        let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if s.is_empty() {
            return Err(OtpCodeError::Empty);
        }
        if s.len() != LEN || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OtpCodeError::Invalid);
        }
        Ok(Self(s))
    }

    /// Uniform over 000000..=999999 from the OS CSPRNG (`gen_range` has no modulo bias).
    pub fn generate() -> Self {
        Self(format!("{:06}", OsRng.gen_range(0..1_000_000u32)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Constant-time, so response timing does not reveal how many digits matched.
impl PartialEq for OtpCode {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}
impl Eq for OtpCode {}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode(***)")
    }
}

impl std::str::FromStr for OtpCode {
    type Err = OtpCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for OtpCode {
    type Error = OtpCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_redacts() {
        let c = OtpCode::parse(" 012 345 ").unwrap();
        assert_eq!(c.as_str(), "012345");
        assert_eq!(format!("{c:?}"), "OtpCode(***)");
        assert_eq!(c, OtpCode::parse("012345").unwrap());
        assert_ne!(c, OtpCode::parse("012346").unwrap());
        let form: OtpCode = serde_json::from_str("\"123 456\"").unwrap();
        assert_eq!(form.as_str(), "123456");
    }

    #[test]
    fn errors() {
        assert_eq!(OtpCode::parse("  ").unwrap_err(), OtpCodeError::Empty);
        for bad in ["12345", "1234567", "12a456", "١٢٣٤٥٦", "12-456"] {
            assert_eq!(
                OtpCode::parse(bad).unwrap_err(),
                OtpCodeError::Invalid,
                "{bad}"
            );
        }
    }

    #[test]
    fn generated_codes_are_valid_and_spread() {
        let codes: Vec<OtpCode> = (0..2000).map(|_| OtpCode::generate()).collect();
        for c in &codes {
            assert_eq!(OtpCode::parse(c.as_str()).unwrap(), *c);
        }
        // Every leading digit shows up: a padding or range bug would skew these.
        for d in '0'..='9' {
            assert!(
                codes.iter().any(|c| c.as_str().starts_with(d)),
                "no code starts with {d}"
            );
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = OtpCode::parse(&s);
        }

        #[test]
        fn six_digits_round_trip(n in 0u32..1_000_000) {
            let s = format!("{n:06}");
            let code = OtpCode::parse(&s).unwrap();
            prop_assert_eq!(code.as_str(), s.as_str());
        }
    }
}
