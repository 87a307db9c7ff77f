//! Password policy: stated once in `PASSWORD_RULES`, enforced by `Password::parse`.

use std::fmt;
use zxcvbn::Score;

pub const PASSWORD_MIN_LEN: usize = 10;
pub const PASSWORD_MAX_LEN: usize = 64;
pub const PASSWORD_SPECIALS: &str = "!?@#$%&*()-_+=.,;:";

/// The rules shown on the page, in the order `parse` checks them; each
/// `PasswordError` names the rule it breaks (`PasswordError::rule`).
pub const PASSWORD_RULES: &[&str] = &[
    "almeno 10 caratteri e non più di 64",
    "almeno una lettera maiuscola e una minuscola",
    "almeno un numero",
    "almeno un carattere speciale tra ! ? @ # $ % & * ( ) - _ + = . , ; :",
    "non deve contenere il tuo nome, cognome, email o username",
    "non deve essere una password comune o facile da indovinare",
];

/// A password that satisfies every rule. Not trimmed: spaces are the user's choice.
#[derive(Clone)]
pub struct Password(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("La password deve avere almeno 10 caratteri.")]
    TooShort,
    #[error("La password non può superare i 64 caratteri.")]
    TooLong,
    #[error("La password deve contenere almeno una lettera maiuscola e una minuscola.")]
    MissingCase,
    #[error("La password deve contenere almeno un numero.")]
    MissingDigit,
    #[error("La password deve contenere almeno un carattere speciale tra ! ? @ # $ % & * ( ) - _ + = . , ; :")]
    MissingSpecial,
    #[error("La password non deve contenere il tuo nome, cognome, email o username.")]
    ContainsPersonalData,
    #[error("La password è troppo comune o facile da indovinare: scegline una meno prevedibile.")]
    TooWeak,
    #[error("La password non può contenere caratteri di controllo come a capo o tabulazioni.")]
    ControlCharacter,
}

impl PasswordError {
    /// The rule of `PASSWORD_RULES` that was broken (the page can highlight it).
    pub fn rule(self) -> Option<&'static str> {
        let i = match self {
            Self::TooShort | Self::TooLong => 0,
            Self::MissingCase => 1,
            Self::MissingDigit => 2,
            Self::MissingSpecial => 3,
            Self::ContainsPersonalData => 4,
            Self::TooWeak => 5,
            Self::ControlCharacter => return None,
        };
        Some(PASSWORD_RULES[i])
    }
}

/// Personal-data fragments worth refusing: each input and the words of it (of an
/// email, only of the local part: "milano" in the domain is not personal). Pieces
/// under three letters ("li") would refuse too much.
fn personal_fragments(user_inputs: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for input in user_inputs {
        let input = input.trim().to_lowercase();
        let personal = input.split('@').next().unwrap_or_default();
        out.extend(
            personal
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_owned),
        );
        out.push(input);
    }
    out.retain(|f| f.chars().count() >= 3);
    out
}

impl Password {
    pub fn parse(raw: &str, user_inputs: &[&str]) -> Result<Self, PasswordError> {
        let len = raw.chars().count();
        if raw.chars().any(char::is_control) {
            return Err(PasswordError::ControlCharacter);
        }
        if len < PASSWORD_MIN_LEN {
            return Err(PasswordError::TooShort);
        }
        if len > PASSWORD_MAX_LEN {
            return Err(PasswordError::TooLong);
        }
        if !(raw.chars().any(char::is_uppercase) && raw.chars().any(char::is_lowercase)) {
            return Err(PasswordError::MissingCase);
        }
        if !raw.chars().any(|c| c.is_ascii_digit()) {
            return Err(PasswordError::MissingDigit);
        }
        if !raw.chars().any(|c| PASSWORD_SPECIALS.contains(c)) {
            return Err(PasswordError::MissingSpecial);
        }
        let lower = raw.to_lowercase();
        if personal_fragments(user_inputs)
            .iter()
            .any(|f| lower.contains(f.as_str()))
        {
            return Err(PasswordError::ContainsPersonalData);
        }
        if zxcvbn::zxcvbn(raw, user_inputs).score() < Score::Three {
            return Err(PasswordError::TooWeak);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The only way to read the password: for hashing, never for logging.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GOOD: &str = "Vento-Gatto;Lampada7";

    #[test]
    fn accepts_strong_password_untrimmed() {
        let p = Password::parse(GOOD, &["Mario", "Rossi"]).unwrap();
        assert_eq!(p.expose_secret(), GOOD);
        let spaced = format!(" {GOOD} ");
        assert_eq!(
            Password::parse(&spaced, &[]).unwrap().expose_secret(),
            spaced
        );
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn each_rule_has_its_error() {
        use PasswordError::*;
        let cases = [
            ("Ab1!efgh", TooShort),
            (&*format!("Ab1!{}", "x".repeat(61)), TooLong),
            ("vento-gatto;lampada7", MissingCase),
            ("VENTO-GATTO;LAMPADA7", MissingCase),
            ("Vento-Gatto;Lampada", MissingDigit),
            ("VentoGattoLampada7", MissingSpecial),
            ("Password123!", TooWeak),
            ("Qwerty12345!", TooWeak),
            ("Vento\nGatto;Lampada7", ControlCharacter),
        ];
        for (raw, want) in cases {
            assert_eq!(Password::parse(raw, &[]).map(|_| ()), Err(want), "{raw}");
        }
        // Ten characters with all classes is the minimum length, not a guarantee.
        assert!(Password::parse("Zq7!vLp#2x", &[]).is_ok());
    }

    #[test]
    fn refuses_personal_data() {
        let inputs = ["Mario", "Rossi", "mario.rossi@email.it", "mrossi"];
        for raw in [
            "Rossi-Vento;Lampada7",
            "Lampada7!MARIO",
            "Xmrossi#Vento9Lago",
        ] {
            assert_eq!(
                Password::parse(raw, &inputs).map(|_| ()),
                Err(PasswordError::ContainsPersonalData),
                "{raw}"
            );
        }
        // Fragments shorter than three letters, and email domains, do not count.
        assert!(Password::parse("Li-Vento;Lampada7", &["Li"]).is_ok());
        assert!(Password::parse("Milano-Vento;Lampada7", &["m.r@comune.milano.it"]).is_ok());
    }

    #[test]
    fn rules_match_constants() {
        assert!(PASSWORD_RULES[0].contains(&PASSWORD_MIN_LEN.to_string()));
        assert!(PASSWORD_RULES[0].contains(&PASSWORD_MAX_LEN.to_string()));
        for c in PASSWORD_SPECIALS.chars() {
            assert!(PASSWORD_RULES[3].contains(c), "{c}");
            assert!(PasswordError::MissingSpecial.to_string().contains(c));
        }
        assert_eq!(PasswordError::TooWeak.rule(), Some(PASSWORD_RULES[5]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn never_panics(s in "\\PC{0,80}", name in "\\PC{0,10}") {
            let _ = Password::parse(&s, &[&name]);
        }

        #[test]
        fn accepted_passwords_reparse(s in "[A-Za-z0-9!?@#$%&*()_+=.,;:-]{10,30}") {
            if let Ok(p) = Password::parse(&s, &[]) {
                let again = Password::parse(p.expose_secret(), &[]).unwrap();
                prop_assert_eq!(again.expose_secret(), s.as_str());
            }
        }
    }
}
