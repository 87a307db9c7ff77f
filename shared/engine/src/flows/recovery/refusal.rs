//! The recovery flow's refusals, and what the user is told for each: in one place.

use super::Mode;
use crate::pages::otp as otp_page;
use crate::sms::{self, SendRefused};
use crate::Reply;
use domain::routes;
use ui::pages::FieldErrors;

/// The recovery's pages, where a refusal is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The start page (the data of a mode).
    Start,
    Code,
    /// The reset link's page (INVIA IL CODICE) and the new password's.
    Reset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many recoveries from this connection.
    ClientCap(Mode),
    /// A guard, counter, code or the flow changed under a concurrent request: decided again.
    Concurrent(Page),
    Sms(Page, SendRefused),
    /// The reset link was used, or expired.
    LinkGone,
    /// The account's proof changed since the link or the request was issued (its
    /// `session_epoch` moved: a password change, every session ended, a suspension).
    Voided(Page),
    /// The password changed meanwhile (a double submit: the first one set it).
    AlreadyChanged,
}

/// The page of a reset link that no longer works.
pub fn link_gone_page() -> maud::Markup {
    warning(
        "Link non valido",
        "Il link per scegliere una nuova password non è valido, è scaduto o è già stato usato. \
         Richiedi un nuovo link dalla pagina di recupero delle credenziali.",
    )
}

/// The page of a reset link issued before the account's password changed, its sessions
/// were all ended or it was suspended.
pub fn link_voided_page() -> maud::Markup {
    warning(
        "Link non più valido",
        "Dopo l'invio di questo link la password del tuo account è stata cambiata, oppure sono state chiuse \
         tutte le sessioni o l'account è stato sospeso: per la tua sicurezza il link non è più valido. Se ti \
         serve ancora una nuova password, richiedi un nuovo link dalla pagina di recupero delle credenziali.",
    )
}

/// The page of a recovery request (mode 3) made before the account's password changed, its
/// sessions were all ended or it was suspended.
pub fn request_voided_page() -> maud::Markup {
    warning(
        "Richiesta non più valida",
        "Dopo la tua richiesta la password del tuo account è stata cambiata, oppure sono state chiuse tutte le \
         sessioni o l'account è stato sospeso: per la tua sicurezza la procedura di recupero non è più valida. \
         Se ti serve ancora, avviala di nuovo.",
    )
}

fn warning(title: &str, text: &str) -> maud::Markup {
    ui::pages::warning_page(title, text, routes::RECOVER, "RECUPERA USERNAME E PASSWORD")
}

fn form(field: &'static str, text: &str) -> Reply {
    let mut errors = FieldErrors::default();
    errors.add(field, text);
    Reply::Form(429, errors)
}

impl crate::Refusal for Refusal {
    fn reply(&self) -> Reply {
        const AGAIN: &str = "Riprova tra qualche secondo.";
        match *self {
            Refusal::ClientCap(mode) => form(
                if mode == Mode::Password { "username" } else { "numero" },
                "Hai effettuato troppe richieste di recupero da questa connessione. Riprova tra un'ora.",
            ),
            Refusal::Concurrent(Page::Start) => form("numero", AGAIN),
            Refusal::Concurrent(Page::Code) => form(otp_page::FIELD, AGAIN),
            Refusal::Concurrent(Page::Reset) => Reply::Redirect(routes::RECOVER_RESET.to_owned()),
            Refusal::Sms(Page::Start, r) => form("numero", sms::refused_text(r)),
            Refusal::Sms(Page::Code, r) => form(otp_page::FIELD, sms::refused_text(r)),
            Refusal::Sms(Page::Reset, r) => Reply::Page(429, warning("Codice non inviato", sms::refused_text(r))),
            Refusal::LinkGone => Reply::Page(410, link_gone_page()),
            Refusal::Voided(Page::Reset) => Reply::Page(410, link_voided_page()),
            Refusal::Voided(_) => Reply::Page(410, request_voided_page()),
            Refusal::AlreadyChanged => Reply::Redirect(routes::LOGIN.to_owned()),
        }
    }
    fn retry(&self) -> bool {
        matches!(self, Refusal::Concurrent(_))
    }
}
