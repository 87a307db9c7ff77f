//! Italian mobile number, stored in E.164 (`+393331234567`).
//!
//! Validated by the Italian numbering plan's rules below rather than with `phonenumber` at
//! run time: that crate loads the metadata of every country on first use (~94 ms and ~6 MiB
//! in a cold Lambda, BENCHMARKS.md), to answer a question about one country. The rules are
//! libphonenumber's for IT (PhoneNumberMetadata.xml, territory IT); a property test keeps
//! them equal to `phonenumber` (a dev-dependency) over generated input.

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
        // Only `+?digits` with the separators people type; anything else is refused.
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
        let international = international(cleaned.starts_with('+'), digits);
        let Some(national) = international.strip_prefix("+39") else {
            return Err(MobileNumberError::NotItalian);
        };
        match plan::classify(national) {
            plan::Kind::Mobile => Ok(Self(format!("+39{national}"))),
            plan::Kind::OtherService => Err(MobileNumberError::NotMobile),
            plan::Kind::Invalid => Err(MobileNumberError::Invalid),
        }
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

/// `+<country code><number>` of what was typed. A "39" typed without the plus is the country
/// code only when 11+ digits follow it (national mobiles have at most 10), so "393 123 4567"
/// stays the Italian 393 1234567 rather than +39 31234567.
fn international(plus: bool, digits: &str) -> String {
    if plus {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix("00") {
        format!("+{rest}")
    } else if digits.starts_with("39") && digits.len() >= 11 {
        format!("+{digits}")
    } else {
        format!("+39{digits}")
    }
}

/// The Italian numbering plan, as far as telling a mobile from the rest needs it.
mod plan {
    pub enum Kind {
        Mobile,
        /// A valid number of another kind (fixed line, toll-free, premium, VoIP, voicemail…).
        OtherService,
        Invalid,
    }

    /// `national`: the digits after +39. Mobile is libphonenumber's
    /// `3[2-9]\d{7,8}|(?:31|43)\d{8}`; the other kinds are told apart by their leading
    /// digits and lengths only (fixed lines 0…, 6–12 digits; services 1…, 8…, 55…;
    /// voicemail 3[2-8] with 11–12 digits): a number of those shapes is refused either way,
    /// only the message differs.
    pub fn classify(national: &str) -> Kind {
        let b = national.as_bytes();
        let len = b.len();
        if !b.iter().all(u8::is_ascii_digit) || len < 6 {
            return Kind::Invalid;
        }
        match (b[0], b[1]) {
            (b'3', b'2'..=b'9') if len == 9 || len == 10 => Kind::Mobile,
            (b'3', b'1') | (b'4', b'3') if len == 10 => Kind::Mobile,
            (b'3', b'2'..=b'8') if len == 11 || len == 12 => Kind::OtherService,
            (b'0', _) if len <= 12 => Kind::OtherService,
            (b'1', _) if (9..=11).contains(&len) => Kind::OtherService,
            (b'8', _) if (6..=10).contains(&len) => Kind::OtherService,
            (b'5', b'5') if len == 10 => Kind::OtherService,
            _ => Kind::Invalid,
        }
    }
}

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
        // 39x prefixes: a parser given "393…" could take the "39" for the country code.
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

    /// What `phonenumber` (with the world's metadata) makes of `s`, given the same reading
    /// of the country code as `parse`: the E.164 of a valid Italian mobile, or nothing.
    fn oracle(s: &str) -> Option<String> {
        use phonenumber::{country, Type};
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        let international = super::international(s.starts_with('+'), &digits);
        if digits.len() < 6 {
            return None;
        }
        let n = phonenumber::parse(Some(country::Id::IT), &international).ok()?;
        let db = &*phonenumber::metadata::DATABASE;
        // A national number written with Italy's leading zero (`0341…`) is a fixed line in
        // the plan; the crate classifies it by the digits after the zero (as if `341…`,
        // a mobile range), so such numbers are not mobiles whatever it says.
        let leading_zero = n.national().zeros() > 0;
        let mobile = n.is_valid_with(db) && n.number_type(db) == Type::Mobile && !leading_zero;
        (n.code().value() == 39 && mobile).then(|| format!("+39{}", n.national().value()))
    }

    #[test]
    fn a_leading_zero_makes_a_fixed_line_for_both() {
        // Found by the property below: the oracle once called this a mobile.
        assert!(MobileNumber::parse("0341000000").is_err());
        assert_eq!(oracle("0341000000"), None);
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

        /// The numbering-plan rules accept exactly what libphonenumber calls a valid Italian
        /// mobile, with the same E.164 value.
        #[test]
        fn accepts_what_libphonenumber_calls_an_italian_mobile(
            s in "(\\+39|0039|39)?[0-9]{4,13}|\\+[1-9][0-9]{5,13}|[34][0-9]{8,9}"
        ) {
            prop_assert_eq!(MobileNumber::parse(&s).ok().map(|m| m.e164().to_owned()), oracle(&s));
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
