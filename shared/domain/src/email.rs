//! Ordinary (non-PEC) email address.

use email_address::{EmailAddress, Options};
use serde::{Deserialize, Serialize};

/// A trimmed, lowercased, syntactically valid address whose domain has a dot and
/// is not a PEC domain.
///
/// The local part is lowercased too: RFC 5321 lets it be case-sensitive, but
/// practically every provider ignores case, and a single canonical form stops the
/// same person registering twice and keeps the proposed username stable.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Inserisci il tuo indirizzo email.")]
    Empty,
    #[error("L'indirizzo email è troppo lungo (massimo 254 caratteri).")]
    TooLong,
    #[error("L'indirizzo email non può contenere lettere accentate o caratteri speciali.")]
    NonAscii,
    #[error("Inserisci un indirizzo email valido, ad esempio nome.cognome@esempio.it.")]
    Invalid,
    #[error("Dopo la @ manca il dominio completo, ad esempio nome.cognome@comune.milano.it.")]
    MissingDomainDot,
    #[error("Non sono ammessi indirizzi di Posta Elettronica Certificata (PEC): inserisci un indirizzo email \
        ordinario.")]
    Pec,
}

const MAX_LEN: usize = 254;
const PEC_LIST: &str = include_str!("pec_domains.txt");

/// True if `domain` (lowercase) matches an entry of `pec_domains.txt`.
fn is_pec(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    // Labels left of the registered name: all but the last two.
    let sub_labels = &labels[..labels.len().saturating_sub(2)];
    PEC_LIST
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .any(|entry| match entry.strip_prefix("label:") {
            Some(label) => sub_labels.contains(&label),
            None => domain == entry || domain.ends_with(&format!(".{entry}")),
        })
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.chars().count() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        // Our mail sender cannot deliver to internationalised (SMTPUTF8) addresses.
        if !s.is_ascii() {
            return Err(EmailError::NonAscii);
        }
        let s = s.to_ascii_lowercase();
        // Quoted local parts are legal but unused in practice and mishandled by senders.
        if s.contains('"') {
            return Err(EmailError::Invalid);
        }
        let options = Options::default()
            .without_display_text()
            .without_domain_literal();
        EmailAddress::parse_with_options(&s, options).map_err(|_| EmailError::Invalid)?;
        let (_, domain) = s.rsplit_once('@').ok_or(EmailError::Invalid)?;
        // email_address allows any atext in domain labels; real host names are LDH.
        if !domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(EmailError::Invalid);
        }
        if !domain.contains('.') {
            return Err(EmailError::MissingDomainDot);
        }
        if is_pec(domain) {
            return Err(EmailError::Pec);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(l, _)| l)
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// "m***o@comune.example.it": enough for its owner to recognise, not to read.
    pub fn masked(&self) -> String {
        let local: Vec<char> = self.local_part().chars().collect();
        let shown = match local.as_slice() {
            [] => String::new(),
            [only] => format!("{only}***"),
            [first, .., last] => format!("{first}***{last}"),
        };
        format!("{shown}@{}", self.domain())
    }
}

string_type!(Email, EmailError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masked_keeps_the_ends_and_the_domain() {
        let m = |s: &str| Email::parse(s).unwrap().masked();
        assert_eq!(
            m("mario.rossi@comune.example.it"),
            "m***i@comune.example.it"
        );
        assert_eq!(m("a@b.it"), "a***@b.it");
    }

    #[test]
    fn accepts_and_normalises() {
        for (raw, want) in [
            ("mario.rossi@email.it", "mario.rossi@email.it"),
            (
                "nome.cognome@comune.milano.it",
                "nome.cognome@comune.milano.it",
            ),
            (
                "  Mario.Rossi@Comune.Milano.IT ",
                "mario.rossi@comune.milano.it",
            ),
            ("mario+tim@gmail.com", "mario+tim@gmail.com"),
            ("info@cert.org", "info@cert.org"),
            ("ufficio@specchio.it", "ufficio@specchio.it"),
            ("a@pec-service.com", "a@pec-service.com"),
        ] {
            let e = Email::parse(raw).unwrap_or_else(|err| panic!("{raw}: {err}"));
            assert_eq!(e.as_str(), want);
        }
        let e = Email::parse("Mario.Rossi@Email.it").unwrap();
        assert_eq!((e.local_part(), e.domain()), ("mario.rossi", "email.it"));
    }

    #[test]
    fn rejects_pec() {
        for raw in [
            "telefoniamobile@pec.telecomitalia.it",
            "mario.rossi@pec.it",
            "MARIO@PEC.IT",
            "studio@arubapec.it",
            "studio@pec.aruba.it",
            "avv.rossi@legalmail.it",
            "ufficio@cert.legalmail.it",
            "protocollo@postacert.regione.veneto.it",
            "protocollo@cert.comune.roma.it",
            "x@postacertificata.gov.it",
            "x@pecveneto.it",
            "x@sicurezzapostale.it",
            "x@ente.sicurezzapostale.it",
            "x@mypec.eu",
            "x@gigapec.it",
            "x@ticertifica.it",
            "x@pec.libero.it",
            "x@ingpec.eu",
            "x@omceo.pec.ordine.it",
        ] {
            assert_eq!(Email::parse(raw), Err(EmailError::Pec), "{raw}");
        }
    }

    #[test]
    fn other_errors() {
        use EmailError::*;
        assert_eq!(Email::parse("  "), Err(Empty));
        assert_eq!(
            Email::parse(&format!("{}@email.it", "a".repeat(250))),
            Err(TooLong)
        );
        assert_eq!(Email::parse("màrio@email.it"), Err(NonAscii));
        assert_eq!(Email::parse("mario@localhost"), Err(MissingDomainDot));
        for bad in [
            "mario",
            "mario@",
            "@email.it",
            "mario rossi@email.it",
            "mario@@email.it",
            "mario..rossi@email.it",
            "Mario <mario@email.it>",
            "mario@[127.0.0.1]",
            "\"mario\"@email.it",
            "mario@ema_il.it",
            "mario@email..it",
            "mario@-email.it",
        ] {
            assert_eq!(Email::parse(bad), Err(Invalid), "{bad}");
        }
    }

    #[test]
    fn serde_via_parse() {
        let e: Email = serde_json::from_str("\"Mario.Rossi@Email.it\"").unwrap();
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            "\"mario.rossi@email.it\""
        );
        assert!(serde_json::from_str::<Email>("\"x@pec.it\"").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = Email::parse(&s);
        }

        #[test]
        fn normalised_reparses(s in "[A-Za-z0-9._+-]{1,20}@[A-Za-z0-9-]{1,10}\\.[A-Za-z]{2,4}") {
            if let Ok(e) = Email::parse(&s) {
                prop_assert_eq!(&Email::parse(e.as_str()).unwrap(), &e);
                prop_assert_eq!(e.as_str(), s.to_ascii_lowercase());
            }
        }
    }
}
