//! Why a registration step's transaction did not commit, and what the user is told: every
//! refusal of the flow, rendered here (by the tag of the write that failed, never by its
//! position in the transaction).

use super::confirm;
use crate::flows::challenge::{self, ChallengeError};
use crate::sms::{self, SendRefused};
use crate::Reply;
use store::uniqueness::Kind;
use ui::pages::FieldErrors;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Another request moved the flow first (a double click, a second tab): decided again
    /// on the table's flow.
    Moved,
    /// Step 1: the slider's challenge served another submission (a double click); the
    /// number's error, if it had one, is shown too.
    ChallengeUsed(Option<String>),
    /// Step 1: too many registrations from this connection.
    ClientCap,
    /// Steps 1-2: an SMS cap, next to `field`.
    Sms(&'static str, SendRefused),
    /// Step 4: too many email or username choices (next to the field chosen).
    Choices(&'static str),
    /// Step 4: someone else holds the value (decided again on who holds it: a superseded
    /// account's value is usable).
    Taken(Kind),
    /// Step 4: too many confirmation emails for this flow.
    ConfirmEmails,
    /// The link was used, replaced or expired in the meantime.
    LinkInvalid,
    /// Step 5: another registration took this claim first.
    Claimed(Kind),
    /// Step 5: the account could not be written as decided (a superseded account changed).
    NotCompleted,
    /// Step 3, PROSEGUI on a registration found by person only: too many requests for its
    /// owner's proof from this flow.
    ConsentRequests,
    /// What a request for the old owner's proof read (the account, its counters) changed:
    /// decided again on fresh facts.
    OwnerFactsChanged,
    /// The old account changed (a password change, a suspension, every session ended) since
    /// its owner was asked, or since the proof: the proof no longer holds (next to `field`).
    ConsentStale(&'static str),
    /// The old owner's link was used, replaced or expired, or the new registration moved on.
    CeaseLinkInvalid,
}

pub const NOT_A_LINE: &str =
    "Il numero inserito non risulta tra le linee TIM attive in Convenzione Telefonia \
    Mobile 8. Controlla il numero o rivolgiti al referente del tuo Ente.";
const CLIENT_CAP: &str =
    "Hai effettuato troppe richieste di registrazione da questa connessione. Riprova tra un'ora.";
const CHOICES: &str =
    "Hai fatto troppi tentativi di scelta dell'email o della username. Riprova più tardi.";
const EMAIL_TAKEN: &str =
    "Questo indirizzo email è già associato a un'altra registrazione: usa un altro \
    indirizzo oppure recupera le tue credenziali.";
const USERNAME_TAKEN: &str = "Questa username è già in uso: scegline un'altra.";
const CONFIRM_EMAILS: &str = "Hai richiesto troppe email di conferma. Riprova tra un'ora.";
const CONSENT_REQUESTS: &str =
    "Hai richiesto troppe volte la conferma del titolare della registrazione precedente. Riprova domani \
    oppure contatta il Numero Verde 800.680.068.";

/// A proof that no longer holds, said where it was given.
fn consent_stale(field: &str) -> &'static str {
    if field == "password" {
        "Dopo la conferma del suo titolare la registrazione precedente è stata modificata: la conferma non è \
        più valida e la registrazione non può essere completata. Ricomincia la registrazione oppure contatta il \
        Numero Verde 800.680.068."
    } else {
        "La registrazione precedente è stata modificata dopo l'invio del codice: clicca su Invia di nuovo per \
        chiedere una nuova conferma."
    }
}

/// Step 5's message for a claim another registration took first.
fn claimed(kind: Kind) -> &'static str {
    match kind {
        Kind::Username => {
            "La username scelta non è più disponibile: ricomincia la registrazione scegliendone un'altra."
        }
        Kind::Email => "L'indirizzo email è già associato a un'altra registrazione.",
        Kind::Number => {
            "Questo numero è stato appena registrato da un'altra registrazione: se è la tua, accedi o recupera \
            le tue credenziali."
        }
        Kind::Person => {
            "Con i tuoi dati è stata appena completata un'altra registrazione: se è la tua, accedi o recupera le \
            tue credenziali."
        }
    }
}

fn form(status: u16, fields: &[(&'static str, &str)]) -> Reply {
    let mut errors = FieldErrors::default();
    for (field, text) in fields {
        errors.add(field, text);
    }
    Reply::Form(status, errors)
}

impl crate::Refusal for Refusal {
    fn reply(&self) -> Reply {
        match self {
            Refusal::Moved => Reply::Redirect(super::Step::Number.path().to_owned()),
            Refusal::ChallengeUsed(numero) => {
                let slider = challenge::message(ChallengeError::Reused);
                let mut fields: Vec<(&'static str, &str)> = Vec::new();
                fields.extend(numero.as_deref().map(|e| ("numero", e)));
                fields.push(("conferma", slider));
                form(422, &fields)
            }
            Refusal::ClientCap => form(429, &[("numero", CLIENT_CAP)]),
            Refusal::Sms(field, r) => form(429, &[(field, sms::refused_text(*r))]),
            Refusal::Choices(field) => form(429, &[(field, CHOICES)]),
            Refusal::Taken(Kind::Email) => form(409, &[("email", EMAIL_TAKEN)]),
            Refusal::Taken(_) => form(409, &[("username", USERNAME_TAKEN)]),
            Refusal::ConfirmEmails => form(429, &[("email", CONFIRM_EMAILS)]),
            Refusal::LinkInvalid => Reply::Page(410, confirm::invalid_link()),
            Refusal::Claimed(kind) => form(409, &[("password", claimed(*kind))]),
            Refusal::ConsentRequests => form(429, &[("codice", CONSENT_REQUESTS)]),
            Refusal::OwnerFactsChanged => Reply::Redirect(super::Step::Profile.path().to_owned()),
            Refusal::ConsentStale(field) => form(409, &[(field, consent_stale(field))]),
            Refusal::CeaseLinkInvalid => Reply::Page(410, super::consent::invalid_link()),
            Refusal::NotCompleted => form(
                409,
                &[(
                    "password",
                    "Non è stato possibile completare la registrazione: riprova.",
                )],
            ),
        }
    }

    fn retry(&self) -> bool {
        matches!(
            self,
            Refusal::Moved | Refusal::Taken(_) | Refusal::OwnerFactsChanged
        )
    }
}
