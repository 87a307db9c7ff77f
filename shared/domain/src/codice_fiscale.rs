//! Codice fiscale: personal (16 characters) and numeric for Enti (11 digits).
//!
//! `Debug` shows the masked form: the code encodes birth date, sex and birthplace,
//! and `{:?}` is what ends up in logs.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Personal codice fiscale, uppercase, omocodia letters kept as issued.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CodiceFiscalePersona(String);

/// Numeric codice fiscale / partita IVA of an Ente or company (11 digits).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CodiceFiscaleEnte(String);

/// Either kind, for fields that accept both.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum CodiceFiscale {
    Persona(CodiceFiscalePersona),
    Ente(CodiceFiscaleEnte),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonaCfError {
    #[error("Inserisci il tuo codice fiscale.")]
    Empty,
    #[error("Il codice fiscale contiene caratteri non validi: usa solo lettere e numeri.")]
    BadCharacters,
    #[error("Il codice fiscale personale ha 16 caratteri (ne hai inseriti {0}).")]
    WrongLength(usize),
    #[error("Hai inserito il codice fiscale di un Ente (11 cifre): qui serve il tuo codice fiscale personale (16 \
        caratteri).")]
    IsEntity,
    #[error("Il codice fiscale non ha il formato corretto (ad esempio RSSMRA85T10A562S): controlla di averlo digitato \
        bene.")]
    Malformed,
    #[error("Il codice fiscale non è corretto: controlla di averlo digitato bene.")]
    WrongCheckChar,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnteCfError {
    #[error("Inserisci il codice fiscale del tuo Ente/Amministrazione.")]
    Empty,
    #[error("Hai inserito un codice fiscale personale: qui serve il codice fiscale del tuo Ente/Amministrazione (11 \
        cifre).")]
    IsPersonal,
    #[error("Il codice fiscale dell'Ente è composto solo da cifre (11 cifre, senza lettere).")]
    BadCharacters,
    #[error("Il codice fiscale dell'Ente ha 11 cifre (ne hai inserite {0}).")]
    WrongLength(usize),
    #[error("Il codice fiscale non è corretto: controlla di averlo digitato bene.")]
    WrongCheckDigit,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodiceFiscaleError {
    #[error("Inserisci il codice fiscale.")]
    Empty,
    #[error("Il codice fiscale ha 16 caratteri (persone) o 11 cifre (Enti): controlla di averlo digitato bene.")]
    WrongLength,
    #[error(transparent)]
    Persona(#[from] PersonaCfError),
    #[error(transparent)]
    Ente(#[from] EnteCfError),
}

/// Users paste codes with spaces or in lowercase; neither is significant.
fn clean(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// 0-based positions that hold digits, which omocodia may replace with letters.
const DIGIT_POSITIONS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];
const OMOCODIA: &[u8; 10] = b"LMNPQRSTUV";
const MONTHS: &[u8] = b"ABCDEHLMPRST";
/// Values of characters in odd (1-based) positions, for digits 0-9 and letters A-Z;
/// even positions use the plain value (digit, or letter index).
const ODD_DIGIT: [u32; 10] = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21];
const ODD_LETTER: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// Check character over the first 15 (uppercase alphanumeric) characters, as issued
/// (omocodia letters included).
fn check_char(first15: &[u8]) -> u8 {
    let sum: u32 = first15
        .iter()
        .enumerate()
        .map(|(i, &c)| match (i % 2 == 0, c) {
            (true, b'0'..=b'9') => ODD_DIGIT[(c - b'0') as usize],
            (true, _) => ODD_LETTER[(c - b'A') as usize],
            (false, b'0'..=b'9') => u32::from(c - b'0'),
            (false, _) => u32::from(c - b'A'),
        })
        .sum();
    b'A' + (sum % 26) as u8
}

/// Digit at a numeric position, undoing omocodia; `None` if neither.
fn digit_at(code: &[u8], i: usize) -> Option<u8> {
    match code[i] {
        c @ b'0'..=b'9' => Some(c - b'0'),
        c => OMOCODIA.iter().position(|&o| o == c).map(|d| d as u8),
    }
}

fn well_formed(c: &[u8]) -> bool {
    let letters = [0, 1, 2, 3, 4, 5, 8, 11, 15]
        .iter()
        .all(|&i| c[i].is_ascii_uppercase());
    let digits = DIGIT_POSITIONS.iter().all(|&i| digit_at(c, i).is_some());
    if !(letters && digits && MONTHS.contains(&c[8])) {
        return false;
    }
    let day = digit_at(c, 9).unwrap_or(0) * 10 + digit_at(c, 10).unwrap_or(0);
    matches!(day, 1..=31 | 41..=71)
}

fn ente_check_ok(d: &[u8]) -> bool {
    let sum: u32 = d[..10]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let v = u32::from(c - b'0');
            match i % 2 {
                0 => v,
                _ if v * 2 > 9 => v * 2 - 9,
                _ => v * 2,
            }
        })
        .sum();
    (10 - sum % 10) % 10 == u32::from(d[10] - b'0')
}

impl CodiceFiscalePersona {
    pub fn parse(raw: &str) -> Result<Self, PersonaCfError> {
        let s = clean(raw);
        if s.is_empty() {
            return Err(PersonaCfError::Empty);
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(PersonaCfError::BadCharacters);
        }
        if s.len() == 11 && CodiceFiscaleEnte::parse(&s).is_ok() {
            return Err(PersonaCfError::IsEntity);
        }
        if s.len() != 16 {
            return Err(PersonaCfError::WrongLength(s.chars().count()));
        }
        let b = s.as_bytes();
        if !well_formed(b) {
            return Err(PersonaCfError::Malformed);
        }
        if check_char(&b[..15]) != b[15] {
            return Err(PersonaCfError::WrongCheckChar);
        }
        Ok(Self(s))
    }

    /// The code whose first 15 characters are `first15`, with its check character (test
    /// data and tools that make codes; a person's code is parsed, never made).
    pub fn with_check_char(first15: &str) -> Result<Self, PersonaCfError> {
        if first15.len() != 15
            || !first15
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(PersonaCfError::Malformed);
        }
        Self::parse(&format!(
            "{first15}{}",
            check_char(first15.as_bytes()) as char
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs: `RSS************S`.
    pub fn masked(&self) -> String {
        format!("{}{}{}", &self.0[..3], "*".repeat(12), &self.0[15..])
    }
}

impl CodiceFiscaleEnte {
    pub fn parse(raw: &str) -> Result<Self, EnteCfError> {
        let s = clean(raw);
        if s.is_empty() {
            return Err(EnteCfError::Empty);
        }
        if s.len() == 16 && CodiceFiscalePersona::parse(&s).is_ok() {
            return Err(EnteCfError::IsPersonal);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(EnteCfError::BadCharacters);
        }
        if s.len() != 11 {
            return Err(EnteCfError::WrongLength(s.len()));
        }
        if !ente_check_ok(s.as_bytes()) {
            return Err(EnteCfError::WrongCheckDigit);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs: `004******10`.
    pub fn masked(&self) -> String {
        format!("{}{}{}", &self.0[..3], "*".repeat(6), &self.0[9..])
    }
}

impl CodiceFiscale {
    pub fn parse(raw: &str) -> Result<Self, CodiceFiscaleError> {
        let s = clean(raw);
        let digits = s.bytes().all(|b| b.is_ascii_digit());
        match s.len() {
            0 => Err(CodiceFiscaleError::Empty),
            _ if !s.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                Err(PersonaCfError::BadCharacters.into())
            }
            11 if digits => Ok(Self::Ente(CodiceFiscaleEnte::parse(&s)?)),
            16 => Ok(Self::Persona(CodiceFiscalePersona::parse(&s)?)),
            _ => Err(CodiceFiscaleError::WrongLength),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Persona(p) => p.as_str(),
            Self::Ente(e) => e.as_str(),
        }
    }

    pub fn masked(&self) -> String {
        match self {
            Self::Persona(p) => p.masked(),
            Self::Ente(e) => e.masked(),
        }
    }
}

string_type!(CodiceFiscalePersona, PersonaCfError);
string_type!(CodiceFiscaleEnte, EnteCfError);
string_type!(CodiceFiscale, CodiceFiscaleError);

impl fmt::Debug for CodiceFiscalePersona {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodiceFiscalePersona({})", self.masked())
    }
}

impl fmt::Debug for CodiceFiscaleEnte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodiceFiscaleEnte({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Check characters verified by hand and with an independent script, not only here:
    /// RSSMRA85T10A562S (common example), MRTMTT25D09F205Z (it.wikipedia "Matteo
    /// Moretti"), RSSMRA80A01H501U and RSSMRA45D25F205N (common "Mario Rossi" examples).
    const PERSONE: [&str; 4] = [
        "RSSMRA85T10A562S",
        "MRTMTT25D09F205Z",
        "RSSMRA80A01H501U",
        "RSSMRA45D25F205N",
    ];
    /// Omocodia variants of RSSMRA85T10A562S with the check recomputed: one
    /// substitution (2→N) and all seven.
    const OMOCODICI: [&str; 2] = ["RSSMRA85T10A56NH", "RSSMRAURTMLARSNL"];
    /// Checksums verified independently: TIM's P.IVA (00488410010), Agenzia delle
    /// Entrate's P.IVA (06363391001), and two numeric codes of central administrations.
    const ENTI: [&str; 4] = ["00488410010", "06363391001", "80415740580", "80188230587"];

    fn with_check(first15: &str) -> String {
        format!("{first15}{}", check_char(first15.as_bytes()) as char)
    }

    #[test]
    fn valid_persone_and_omocodia() {
        for cf in PERSONE.iter().chain(&OMOCODICI) {
            assert_eq!(CodiceFiscalePersona::parse(cf).unwrap().as_str(), *cf);
        }
        assert_eq!(with_check("RSSMRA85T10A56N"), OMOCODICI[0]);
        // Substituting without recomputing the check is a typo, not omocodia.
        assert_eq!(
            CodiceFiscalePersona::parse("RSSMRA85T10A56NS"),
            Err(PersonaCfError::WrongCheckChar)
        );
    }

    #[test]
    fn normalises_case_and_spaces() {
        let cf = CodiceFiscalePersona::parse("  rss mra 85t10 a562s ").unwrap();
        assert_eq!(cf.to_string(), "RSSMRA85T10A562S");
        assert_eq!(cf.masked(), "RSS************S");
        assert_eq!(format!("{cf:?}"), "CodiceFiscalePersona(RSS************S)");
    }

    #[test]
    fn persona_errors() {
        use PersonaCfError::*;
        let p = CodiceFiscalePersona::parse;
        assert_eq!(p(" "), Err(Empty));
        assert_eq!(p("RSSMRA85T10A562"), Err(WrongLength(15)));
        assert_eq!(p("RSSMRA85T10A562S-"), Err(BadCharacters));
        assert_eq!(p("RSSMRÀ85T10A562S"), Err(BadCharacters));
        assert_eq!(p("00488410010"), Err(IsEntity));
        assert_eq!(p("00488410011"), Err(WrongLength(11)));
        assert_eq!(p("RSSMRA85T10A562X"), Err(WrongCheckChar));
        // Structure errors, with a correct check character so only the structure fails.
        for bad in [
            "RSSMRA85F10A562",
            "RSSMRA85T32A562",
            "RSSMRA85T00A562",
            "RSSMRA85T72A562",
            "RSSMR185T10A562",
            "RSSMRA8AT10A562",
            "RSSMRA85T10A56Z",
            "RSSMRA85T10256Z",
        ] {
            assert_eq!(p(&with_check(bad)), Err(Malformed), "{bad}");
        }
        // Female day (+40) and an omocodia day (M1 = 11) are fine.
        assert!(p(&with_check("RSSMRA85T50A562")).is_ok());
        assert!(p(&with_check("RSSMRA85TM1A562")).is_ok());
    }

    /// Every single-character corruption of a valid code is rejected. Why none can be
    /// valid: in each position the allowed characters have pairwise distinct values
    /// mod 26 (odd table on letters is a permutation of 0..26; odd digits and odd
    /// omocodia letters are 20 distinct values; even values are the digit or letter
    /// index, and letters are not allowed where digits are, except LMNPQRSTUV whose
    /// values 11..21 differ from 0..9). So any change shifts the sum and the check fails.
    #[test]
    fn every_single_substitution_is_rejected() {
        let alphabet: Vec<char> = ('A'..='Z').chain('0'..='9').collect();
        for cf in PERSONE.iter().chain(&OMOCODICI) {
            for i in 0..16 {
                for &c in &alphabet {
                    let mut bad: Vec<char> = cf.chars().collect();
                    if bad[i] == c {
                        continue;
                    }
                    bad[i] = c;
                    let bad: String = bad.into_iter().collect();
                    assert!(CodiceFiscalePersona::parse(&bad).is_err(), "{bad} accepted");
                }
            }
        }
        for cf in ENTI {
            for i in 0..11 {
                for c in '0'..='9' {
                    let mut bad: Vec<char> = cf.chars().collect();
                    if bad[i] == c {
                        continue;
                    }
                    bad[i] = c;
                    let bad: String = bad.into_iter().collect();
                    assert_eq!(
                        CodiceFiscaleEnte::parse(&bad),
                        Err(EnteCfError::WrongCheckDigit),
                        "{bad}"
                    );
                }
            }
        }
    }

    #[test]
    fn ente() {
        use EnteCfError::*;
        for cf in ENTI {
            assert_eq!(CodiceFiscaleEnte::parse(cf).unwrap().as_str(), cf);
        }
        let e = CodiceFiscaleEnte::parse(" 004 884 100 10 ").unwrap();
        assert_eq!(e.masked(), "004******10");
        assert_eq!(format!("{e:?}"), "CodiceFiscaleEnte(004******10)");
        assert_eq!(CodiceFiscaleEnte::parse(""), Err(Empty));
        assert_eq!(
            CodiceFiscaleEnte::parse("rssmra85t10a562s"),
            Err(IsPersonal)
        );
        assert_eq!(
            CodiceFiscaleEnte::parse("RSSMRA85T10A562X"),
            Err(BadCharacters)
        );
        assert_eq!(CodiceFiscaleEnte::parse("0048841001"), Err(WrongLength(10)));
        assert_eq!(
            CodiceFiscaleEnte::parse("00488410011"),
            Err(WrongCheckDigit)
        );
        assert_eq!(
            IsPersonal.to_string(),
            "Hai inserito un codice fiscale personale: qui serve il codice fiscale del \
            tuo Ente/Amministrazione (11 cifre)."
        );
    }

    #[test]
    fn either_kind() {
        use CodiceFiscale as Cf;
        assert!(matches!(Cf::parse("RSSMRA85T10A562S"), Ok(Cf::Persona(_))));
        assert!(matches!(Cf::parse("00488410010"), Ok(Cf::Ente(_))));
        assert_eq!(Cf::parse("00488410010").unwrap().masked(), "004******10");
        assert_eq!(Cf::parse(""), Err(CodiceFiscaleError::Empty));
        assert_eq!(Cf::parse("12345"), Err(CodiceFiscaleError::WrongLength));
        assert_eq!(
            Cf::parse("00488410011"),
            Err(EnteCfError::WrongCheckDigit.into())
        );
        assert_eq!(
            Cf::parse("RSSMRA85T10A562X"),
            Err(PersonaCfError::WrongCheckChar.into())
        );
        let json = serde_json::to_string(&Cf::parse("rssmra85t10a562s").unwrap()).unwrap();
        assert_eq!(json, "\"RSSMRA85T10A562S\"");
        assert_eq!(
            serde_json::from_str::<Cf>(&json).unwrap().as_str(),
            "RSSMRA85T10A562S"
        );
        assert!(serde_json::from_str::<CodiceFiscaleEnte>("\"00488410011\"").is_err());
    }

    /// A structurally valid personal code, omocodia letters included.
    fn persona_strategy() -> impl Strategy<Value = String> {
        "[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-2LMN][1-9][A-Z][0-9LMNPQRSTUV]{3}"
            .prop_map(|s| with_check(&s))
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = CodiceFiscale::parse(&s);
            let _ = CodiceFiscalePersona::parse(&s);
            let _ = CodiceFiscaleEnte::parse(&s);
        }

        #[test]
        fn generated_persone_round_trip(cf in persona_strategy()) {
            let p = CodiceFiscalePersona::parse(&cf.to_lowercase()).unwrap();
            prop_assert_eq!(p.as_str(), cf.as_str());
            prop_assert_eq!(&CodiceFiscalePersona::parse(p.as_str()).unwrap(), &p);
            prop_assert_eq!(CodiceFiscaleEnte::parse(&cf), Err(EnteCfError::IsPersonal));
        }

        #[test]
        fn generated_enti_round_trip(first10 in "[0-9]{10}") {
            let ok: Vec<String> = (0..10).map(|d| format!("{first10}{d}"))
                .filter(|c| CodiceFiscaleEnte::parse(c).is_ok()).collect();
            prop_assert_eq!(ok.len(), 1);
            let e = CodiceFiscaleEnte::parse(&ok[0]).unwrap();
            prop_assert_eq!(&CodiceFiscaleEnte::parse(e.as_str()).unwrap(), &e);
            prop_assert_eq!(CodiceFiscalePersona::parse(&ok[0]), Err(PersonaCfError::IsEntity));
        }
    }
}
