//! The private area's refusals, and what the person is told for each: in one place.

use crate::sms::{self, SendRefused};
use crate::Reply;
use ui::pages::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A concurrent request changed what this one read (a second tab): decided again.
    Concurrent(&'static str),
    /// The account changed since the page was read (another tab changed the password or
    /// the email first).
    Changed(&'static str),
    /// The email (or the username) is already another account's.
    Taken(&'static str),
    /// Too many email changes asked today.
    TooManyChanges,
    Sms(SendRefused),
    /// The confirmation link was used, has expired or never existed.
    LinkGone,
    /// The link was asked before the account's sessions were ended (a password change,
    /// "Esci da tutti gli altri dispositivi", the help desk): the change it carries is void.
    LinkVoided,
    /// "Esci da questo dispositivo" named no live session of this account.
    NoSuchSession,
    /// The consents page showed versions that are no longer the ones in force.
    NewerVersions,
    /// The account has `limits::PASSKEYS_PER_ACCOUNT` passkeys already.
    TooManyPasskeys,
    /// The credential is registered already (to this account or another).
    PasskeyTaken,
    /// The passkey named is not the account's (removed meanwhile, in another tab).
    NoSuchPasskey,
}

pub const CHANGED_TEXT: &str =
    "I dati del tuo account sono stati modificati nel frattempo (forse da un'altra scheda): ricarica la pagina e \
    riprova.";

impl crate::Refusal for Refusal {
    fn reply(&self) -> Reply {
        let (field, status, text) = match *self {
            Refusal::Concurrent(f) => (f, 429, "Troppe richieste in corso: riprova tra qualche secondo.".to_owned()),
            Refusal::Changed(f) => (f, 409, CHANGED_TEXT.to_owned()),
            Refusal::Taken(f) => (
                f,
                409,
                "Questo indirizzo è già associato a un altro account dell'Area Clienti: scegline un altro.".to_owned(),
            ),
            Refusal::TooManyChanges => (
                "email",
                429,
                "Hai chiesto troppe modifiche dell'indirizzo email oggi: riprova domani.".to_owned(),
            ),
            Refusal::Sms(r) => ("codice", 429, sms::refused_text(r).to_owned()),
            Refusal::LinkGone => {
                return Reply::Page(410, super::email::link_gone_page());
            }
            Refusal::LinkVoided => {
                return Reply::Page(410, super::email::link_voided_page());
            }
            Refusal::TooManyPasskeys => {
                return Reply::Page(409, super::passkeys::refused_page(super::passkeys::TOO_MANY));
            }
            Refusal::PasskeyTaken => {
                return Reply::Page(409, super::passkeys::refused_page(super::passkeys::TAKEN));
            }
            Refusal::NoSuchPasskey => {
                return Reply::Redirect(super::passkeys::done(super::passkeys::NONE));
            }
            Refusal::NoSuchSession => {
                return Reply::Redirect(format!("{}?chiuse=0", domain::routes::ACCOUNT_SESSIONS));
            }
            Refusal::NewerVersions => (
                super::consents::NEWER,
                409,
                super::consents::NEWER_TEXT.to_owned(),
            ),
        };
        let mut errors = FieldErrors::default();
        errors.add(field, text);
        Reply::Form(status, errors)
    }
    fn retry(&self) -> bool {
        matches!(self, Refusal::Concurrent(_))
    }
}
