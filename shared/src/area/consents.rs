//! New terms or privacy notice: when ops publish a new version (`consent_log::publish_op`),
//! the session guard sends every private page here until the person accepts it; the
//! acceptance (versions, date) is stored on the account and in the consents' audit.

use super::Refusal;
use crate::engine::{Outcome, Reply, Tx};
use crate::flows::login::safe_next;
use crate::pages::FieldErrors;
use crate::session::SignedIn;
use crate::store::{accounts, consent_log, Cond, TxOp, Update};
use crate::App;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub termini: String,
    pub privacy: String,
    pub next: String,
}

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
    let (now, v) = (app.now(), &s.in_force);
    let mut tx = Tx::new();
    tx.guard(
        TxOp::Update {
            key: accounts::key(&s.account.id),
            update: Update::new()
                .set("terms_version", v.terms_version.as_str())
                .set("privacy_version", v.privacy_version.as_str())
                .set("accepted_at", now),
            cond: Some(Cond::eq("status", "active")),
        },
        Refusal::Changed("termini"),
    );
    tx.write(consent_log::record_op(
        &s.account.id,
        consent_log::Action::Accepted,
        &v.terms_version,
        &v.privacy_version,
        now,
    ));
    Outcome::redirect(safe_next(&form.next)).with_tx(tx)
}
