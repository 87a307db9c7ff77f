//! New terms or privacy notice: when ops publish a new version (`consent_log::publish_op`),
//! the session guard sends every private page here until the person accepts it; the
//! acceptance (versions, date) is stored on the account and in the consents' audit.
//!
//! What is accepted is what the page showed: the form carries the versions it showed
//! (hidden fields, parsed into `consent_log::Shown`), and the acceptance records those. If
//! they are no longer the ones in force (ops published a newer one while the page was
//! open), nothing is recorded and the page asks again with the newest; the transaction
//! also checks the versions in force did not move between the read and the write.

use super::Refusal;
use crate::flows::login::safe_next;
use crate::session::SignedIn;
use crate::App;
use crate::{Outcome, Refusal as _, Reply, Tx};
use serde::Deserialize;
use store::accounts;
use store::consent_log::{self, Shown};
use ui::pages::FieldErrors;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub termini: String,
    pub privacy: String,
    pub next: String,
    /// The versions the page showed (hidden fields).
    pub termini_versione: String,
    pub privacy_versione: String,
}

/// Where the page says a newer version was published meanwhile (the error's anchor: the
/// paragraph naming the versions).
pub const NEWER: &str = "versioni";
pub const NEWER_TEXT: &str = "Nel frattempo abbiamo pubblicato una nuova versione dei documenti: leggila qui sotto \
    e, per continuare, accettala. L'accettazione della versione che avevi davanti non è stata registrata.";

pub fn accept(app: &App, s: &SignedIn, form: &Form) -> Outcome<Refusal> {
    let mut errors = FieldErrors::default();
    if form.termini != "si" {
        errors.add(
            "termini",
            "Per continuare devi accettare i Termini e condizioni.",
        );
    }
    if form.privacy != "si" {
        errors.add(
            "privacy",
            "Per continuare devi dichiarare di aver letto l'Informativa privacy.",
        );
    }
    if !errors.is_empty() {
        return Outcome::reply(Reply::Form(422, errors));
    }
    let Some(shown) = Shown::parse(&form.termini_versione, &form.privacy_versione)
        .filter(|shown| shown.are(&s.in_force))
    else {
        return Outcome::reply(Refusal::NewerVersions.reply());
    };
    let now = app.now();
    let (terms, privacy) = (shown.terms.as_str(), shown.privacy.as_str());
    let mut tx = Tx::new();
    tx.guard(shown.still_in_force_op(), Refusal::NewerVersions);
    tx.guard(
        accounts::accept_versions_op(&s.account.id, terms, privacy, now),
        Refusal::Changed("termini"),
    );
    tx.write(consent_log::record_op(
        &s.account.id,
        consent_log::Action::Accepted,
        terms,
        privacy,
        now,
    ));
    Outcome::redirect(safe_next(&form.next)).with_tx(tx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::Reply;
    use domain::MobileNumber;
    use store::accounts::{Account, Status};
    use store::consent_log::InForce;
    use store::AccountId;
    use store::{sessions, Key};

    fn aid(s: &str) -> AccountId {
        AccountId::parse(s).unwrap()
    }

    fn signed_in() -> SignedIn {
        SignedIn {
            session: sessions::Session {
                key: Key::new("SESSION#h", "SESSION"),
                account_id: aid("acc"),
                epoch: 0,
                created_at: 0,
                last_seen: 0,
                auth_at: 0,
                by_passkey: false,
            },
            account: Account {
                id: aid("acc"),
                nome: "Mario".into(),
                cognome: "Rossi".into(),
                personal_cf: "RSSMRA85T10A562S".into(),
                entity_cf: "00488410010".into(),
                ragione_sociale: "Ente".into(),
                number: MobileNumber::parse("+393331234567").unwrap(),
                email: "m@example.it".into(),
                username: "m@example.it".into(),
                password_hash: "h".into(),
                status: Status::Active,
                session_epoch: 0,
                created_at: 0,
                terms_version: "1.0".into(),
                privacy_version: "1.0".into(),
                accepted_at: 0,
                origin: String::new(),
                passkey_offer_dismissed: false,
            },
            in_force: InForce {
                terms_version: "2.0".into(),
                ..InForce::default()
            },
            line_copy: None,
        }
    }

    #[test]
    fn both_boxes_are_needed_and_the_acceptance_is_stored_with_its_audit() {
        let app = App::in_memory(Config::for_tests()).0;
        let s = signed_in();
        assert!(s.needs_consent());
        let o = accept(&app, &s, &Form::default());
        assert!(
            matches!(&o.reply, Reply::Form(422, e) if e.get("termini").is_some() && e.get("privacy").is_some())
        );
        assert!(o.tx.is_empty(), "nothing written");
        let form = Form {
            termini: "si".into(),
            privacy: "si".into(),
            next: "https://evil.example".into(),
            termini_versione: "2.0".into(),
            privacy_versione: s.in_force.privacy_version.clone(),
        };
        let o = accept(&app, &s, &form);
        assert!(
            matches!(&o.reply, Reply::Redirect(to) if to == domain::routes::ACCOUNT),
            "next stays private"
        );
        assert_eq!(
            o.tx.kinds(),
            ["CONSENTS#CURRENT", "ACCOUNT#acc", "CONSENTLOG#acc"]
        );
    }

    #[test]
    fn an_acceptance_of_versions_no_longer_in_force_records_nothing() {
        let app = App::in_memory(Config::for_tests()).0;
        let s = signed_in();
        for (terms, privacy) in [("1.5", "1.0"), ("", ""), ("2.0", "<script>")] {
            let form = Form {
                termini: "si".into(),
                privacy: "si".into(),
                next: String::new(),
                termini_versione: terms.into(),
                privacy_versione: privacy.into(),
            };
            let o = accept(&app, &s, &form);
            assert!(
                matches!(&o.reply, Reply::Form(409, e) if e.get(NEWER).is_some()),
                "{terms}/{privacy}: asked again"
            );
            assert!(o.tx.is_empty(), "{terms}/{privacy}: nothing written");
        }
    }
}
