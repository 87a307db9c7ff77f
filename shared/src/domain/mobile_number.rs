//! Italian mobile number, stored in E.164 (`+393331234567`).

use phonenumber::{country, Type};
use serde::{Deserialize, Serialize};

/// An Italian mobile number (country code 39, number type Mobile).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MobileNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileNumberError {
    #[error("Inserisci il tuo numero di cellulare.")]
    Empty,
    #[error("Inserisci un numero di cellulare italiano valido, ad esempio 333 123 4567.")]
    Invalid,
    #[error("Serve un numero di cellulare italiano (+39): i numeri esteri non sono ammessi.")]
    NotItalian,
    #[error(
        "Questo non è un numero di cellulare: inserisci un cellulare, ad esempio 333 123 4567."
    )]
    NotMobile,
}

/// Longest input worth handing to the phone parser (`+39 (333) 123-45-67` with slack).
const MAX_INPUT: usize = 32;

impl MobileNumber {
    pub fn parse(raw: &str) -> Result<Self, MobileNumberError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(MobileNumberError::Empty);
        }
        // We strip separators ourselves and hand phonenumber only `+?digits`: its
        // free-text parser has had panics on odd input, and users only type these.
        if raw.chars().count() > MAX_INPUT {
            return Err(MobileNumberError::Invalid);
        }
        let mut cleaned = String::with_capacity(raw.len());
        for c in raw.chars() {
            match c {
                '0'..='9' => cleaned.push(c),
                '+' if cleaned.is_empty() => cleaned.push(c),
                ' ' | '\u{a0}' | '\t' | '-' | '.' | '/' | '(' | ')' => {}
                _ => return Err(MobileNumberError::Invalid),
            }
        }
        let digits = cleaned.trim_start_matches('+');
        if digits.len() < 6 {
            return Err(MobileNumberError::Invalid);
        }
        // We decide the country code ourselves: phonenumber, given region IT, strips a
        // leading "39" from national input, so "393 123 4567" came out as +39 31234567.
        // National mobiles have at most 10 digits, so 11+ starting with 39 is "39…"
        // typed without the plus.
        let international = if cleaned.starts_with('+') {
            cleaned.clone()
        } else if let Some(rest) = digits.strip_prefix("00") {
            format!("+{rest}")
        } else if digits.starts_with("39") && digits.len() >= 11 {
            format!("+{digits}")
        } else {
            format!("+39{digits}")
        };
        let number = phonenumber::parse(Some(country::Id::IT), &international)
            .map_err(|_| MobileNumberError::Invalid)?;
        if number.code().value() != 39 {
            return Err(MobileNumberError::NotItalian);
        }
        let db = &*phonenumber::metadata::DATABASE;
        match (number.is_valid_with(db), number.number_type(db)) {
            (true, Type::Mobile) => {}
            (true, _) => return Err(MobileNumberError::NotMobile),
            (false, _) => return Err(MobileNumberError::Invalid),
        }
        // Italian mobiles have no national leading zero, so the value is the whole number.
        Ok(Self(format!("+39{}", number.national().value())))
    }

    pub fn e164(&self) -> &str {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// National digits without prefix, e.g. `3331234567`.
    pub fn national(&self) -> String {
        self.0["+39".len()..].to_owned()
    }

    /// Human form used in pages and SMS texts: `333 123 4567` (or `333 123456`).
    pub fn pretty(&self) -> String {
        let n = &self.0["+39".len()..];
        match n.len() {
            10 => format!("{} {} {}", &n[..3], &n[3..6], &n[6..]),
            _ => format!("{} {}", &n[..3], &n[3..]),
        }
    }
}

string_type!(MobileNumber, MobileNumberError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(s: &str) -> String {
        MobileNumber::parse(s)
            .unwrap_or_else(|e| panic!("{s:?}: {e}"))
            .e164()
            .to_owned()
    }

    #[test]
    fn common_spellings_normalise_to_e164() {
        for s in [
            "333 123 4567",
            "3331234567",
            "+39 333 1234567",
            "0039 333 1234567",
            "+39-333-123-4567",
            "(+39) 333.123.4567",
            "  +393331234567  ",
            "333/1234567",
            "(333) 123 45 67",
            "39 333 1234567",
        ] {
            assert_eq!(ok(s), "+393331234567", "{s}");
        }
    }

    #[test]
    fn accessors() {
        let m = MobileNumber::parse("333 123 4567").unwrap();
        assert_eq!(m.national(), "3331234567");
        assert_eq!(m.pretty(), "333 123 4567");
        assert_eq!(m.to_string(), "+393331234567");
        // Nine-digit mobiles still exist (old TIM/Vodafone ranges).
        let short = MobileNumber::parse("335 123456").unwrap();
        assert_eq!(
            (short.e164(), short.pretty().as_str()),
            ("+39335123456", "335 123456")
        );
        // 39x prefixes: phonenumber alone would take the "39" for the country code.
        assert_eq!(ok("393 123 4567"), "+393931234567");
        assert_eq!(ok("390 000 0000"), "+393900000000");
        // 43x is a mobile range too, per libphonenumber.
        assert_eq!(ok("431 234 5678"), "+394312345678");
    }

    #[test]
    fn distinct_errors() {
        use MobileNumberError::*;
        assert_eq!(MobileNumber::parse("   "), Err(Empty));
        assert_eq!(MobileNumber::parse("+44 7911 123456"), Err(NotItalian));
        assert_eq!(MobileNumber::parse("+33 6 12 34 56 78"), Err(NotItalian));
        assert_eq!(MobileNumber::parse("02 1234 5678"), Err(NotMobile));
        assert_eq!(MobileNumber::parse("06 1234 5678"), Err(NotMobile));
        assert_eq!(MobileNumber::parse("800 123 456"), Err(NotMobile));
        for bad in [
            "333 123",
            "33312345678901",
            "abc",
            "333-ABC-4567",
            "3+331234567",
            "++39333123456",
        ] {
            assert_eq!(MobileNumber::parse(bad), Err(Invalid), "{bad}");
        }
    }

    #[test]
    fn serde_round_trip_and_rejects_invalid() {
        let m = MobileNumber::parse("333 123 4567").unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, "\"+393331234567\"");
        assert_eq!(serde_json::from_str::<MobileNumber>(&json).unwrap(), m);
        assert!(serde_json::from_str::<MobileNumber>("\"0212345678\"").is_err());
    }

    /// Writes `n` (10 national digits) in one of the ways people type it.
    fn spell(n: &str, style: u8) -> String {
        let (a, b, c) = (&n[..3], &n[3..6], &n[6..]);
        match style % 8 {
            0 => n.to_owned(),
            1 => format!("{a} {b} {c}"),
            2 => format!("+39 {a} {b}{c}"),
            3 => format!("0039 {a} {b}{c}"),
            4 => format!("+39-{a}-{b}-{c}"),
            5 => format!("(+39) {a}.{b}.{c}"),
            6 => format!("+39{n}"),
            _ => format!(" {a}/{b}{c} "),
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = MobileNumber::parse(&s);
        }

        #[test]
        fn never_panics_on_phone_like_input(s in "[0-9 +().\\-/]{0,32}") {
            if let Ok(m) = MobileNumber::parse(&s) {
                prop_assert_eq!(MobileNumber::parse(m.e164()).unwrap(), m);
            }
        }

        // libphonenumber's Italian mobile ranges are 3[1-9]x and 43x; 30x is unassigned.
        #[test]
        fn any_mobile_any_spelling(n in "3[1-9][0-9]{8}", style in 0u8..8) {
            let m = MobileNumber::parse(&spell(&n, style)).unwrap();
            prop_assert_eq!(m.e164(), format!("+39{n}"));
            prop_assert_eq!(m.national(), n);
            prop_assert_eq!(&MobileNumber::parse(&m.pretty()).unwrap(), &m);
            prop_assert_eq!(&MobileNumber::parse(m.e164()).unwrap(), &m);
        }
    }
}
