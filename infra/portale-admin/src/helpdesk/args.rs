//! The command line of a help-desk command: words, `--flag value` pairs and `--json`.
//! Parsed once, so every command reads typed options and every mistake is one message.

use super::DeskError;
use std::collections::BTreeMap;

/// The options that take a value.
const VALUED: &[&str] = &[
    "--numero",
    "--email",
    "--username",
    "--cf",
    "--account",
    "--operatore",
    "--motivo",
    "--termini",
    "--privacy",
    "--nota",
    "--revisione",
    super::passkeys::REMOVE,
];

/// The options that take no value (besides `--json`).
const SWITCHES: &[&str] = &["--demo", crate::bootstrap::ALLOW_REMOTE_DEMO];

/// Longest value kept from a flag: an operator's name or reason, never a document.
const MAX_VALUE: usize = 500;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    pub positional: Vec<String>,
    flags: BTreeMap<&'static str, String>,
    switches: Vec<&'static str>,
    pub json: bool,
}

impl Args {
    pub fn parse(raw: &[String]) -> Result<Args, DeskError> {
        let mut a = Args::default();
        let mut it = raw.iter();
        while let Some(word) = it.next() {
            if word == "--json" {
                a.json = true;
            } else if let Some(switch) = SWITCHES.iter().find(|f| **f == word) {
                a.switches.push(switch);
            } else if let Some(flag) = VALUED.iter().find(|f| **f == word) {
                let value = it
                    .next()
                    .filter(|v| !v.starts_with("--"))
                    .ok_or_else(|| DeskError::Usage(format!("manca il valore di {flag}")))?;
                if value.chars().count() > MAX_VALUE || value.chars().any(char::is_control) {
                    return Err(DeskError::Usage(format!(
                        "valore di {flag} non valido (al massimo {MAX_VALUE} caratteri, senza a capo)"
                    )));
                }
                if a.flags.insert(flag, value.trim().to_owned()).is_some() {
                    return Err(DeskError::Usage(format!("{flag} indicato due volte")));
                }
            } else if word.starts_with("--") {
                return Err(DeskError::Usage(format!("opzione sconosciuta: {word}")));
            } else {
                a.positional.push(word.clone());
            }
        }
        Ok(a)
    }

    /// The value of a flag, if given.
    pub fn get(&self, flag: &str) -> Option<&str> {
        self.flags.get(flag).map(String::as_str)
    }

    /// True when the switch `flag` (no value) was given.
    pub fn has(&self, flag: &str) -> bool {
        self.switches.contains(&flag)
    }

    /// The flags given among `of`.
    pub fn given<'a>(&self, of: &[&'a str]) -> Vec<&'a str> {
        of.iter()
            .copied()
            .filter(|f| self.flags.contains_key(f))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, DeskError> {
        Args::parse(&s.split(' ').map(str::to_owned).collect::<Vec<_>>())
    }

    #[test]
    fn flags_words_and_mistakes() {
        let a = args("account find --numero 3331234567 --json").unwrap();
        assert_eq!(a.positional, ["account", "find"]);
        assert_eq!(a.get("--numero"), Some("3331234567"));
        assert!(a.json);
        assert_eq!(
            args("account find --numero").unwrap_err().to_string(),
            "manca il valore di --numero"
        );
        assert_eq!(
            args("account find --colore blu").unwrap_err().to_string(),
            "opzione sconosciuta: --colore"
        );
        assert!(args("audit --account a --account b").is_err());
    }
}
