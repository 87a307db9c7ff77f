//! The login flow's refusals, and what the user is told for each: in one place.

use crate::pages::otp as otp_page;
use crate::sms::{self, SendRefused};
use crate::Reply;
use ui::pages::FieldErrors;

/// The login's pages, where a refusal is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Password,
    Code,
}

impl Page {
    fn field(self) -> &'static str {
        match self {
            Page::Password => "username",
            Page::Code => otp_page::FIELD,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many logins from this connection.
    ClientCap,
    /// A counter or the code changed under a concurrent request: decided again.
    Concurrent(Page),
    /// The account's SIM is no longer an active line of the Convenzione.
    LineNotActive,
    Sms(Page, SendRefused),
    /// The account was ceased or its password reset since the password was checked.
    AccountChanged,
    /// The help desk suspended the account (told only after the right password).
    AccountDisabled,
}

/// What a suspended account is told after the right password.
pub const ACCOUNT_DISABLED: &str =
    "Il tuo account è sospeso: non è possibile accedere all'Area Clienti. Per \
     informazioni chiama il Numero Verde 800.680.068.";

impl crate::Refusal for Refusal {
    fn reply(&self) -> Reply {
        let (page, status, text) = match *self {
            Refusal::AccountChanged => return Reply::Redirect(super::expired()),
            Refusal::ClientCap => (
                Page::Password,
                429,
                "Troppi tentativi di accesso da questa connessione. Attendi qualche minuto e riprova.",
            ),
            Refusal::LineNotActive => {
                let why = "login refused: SIM not in the Convenzione";
                tracing::info!(step = "login", outcome = "line-not-active", "{why}");
                (
                    Page::Password,
                    403,
                    "La SIM associata al tuo account non risulta attiva in Convenzione Telefonia Mobile 8: \
                     non è possibile completare l'accesso. Per informazioni rivolgiti al referente della \
                     Convenzione del tuo Ente.",
                )
            }
            Refusal::AccountDisabled => {
                tracing::info!(step = "login", outcome = "account-disabled", "login refused: account suspended");
                (Page::Password, 403, ACCOUNT_DISABLED)
            }
            Refusal::Sms(page, r) => (page, 429, sms::refused_text(r)),
            Refusal::Concurrent(page) => (page, 429, "Troppi tentativi in corso: riprova tra qualche secondo."),
        };
        let mut errors = FieldErrors::default();
        errors.add(page.field(), text);
        Reply::Form(status, errors)
    }
    fn retry(&self) -> bool {
        matches!(self, Refusal::Concurrent(_))
    }
}
