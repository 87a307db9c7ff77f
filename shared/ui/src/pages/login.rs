//! The login page (`/accesso`): username + password (then the SMS code), and — where the
//! browser can — a passkey, offered by the username field's autofill (conditional UI) and by
//! the button ACCEDI CON UNA PASSKEY. Both `login` and `login-passkey` draw it: a refused
//! passkey comes back here with its one error, next to the passkey's button.

use crate::layout::{self, PageOptions};
use crate::pages::{error_summary, Field};
use crate::FieldErrors;
use domain::routes;
use maud::{html, Markup};

/// The error field of a refused passkey (the anchor the error summary links to).
pub const PASSKEY_FIELD: &str = "passkey";

pub fn page(username: &str, next: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let opts = PageOptions {
        noindex: true,
        current: Some(routes::LOGIN),
        passkey: true,
        ..PageOptions::default()
    };
    let passkey_error = errors.get(PASSKEY_FIELD);
    layout::page_with(
        &opts,
        "Accedi all'Area Clienti",
        html! {
            div class="container narrow" {
                h1 { "Accedi all'Area Clienti" }
                @if let Some(n) = notice { p class="notice" role="status" { (n) } }
                (error_summary(errors))
                p { "Inserisci username e password scelte in fase di registrazione: ti invieremo un SMS con un codice \
                    temporaneo sul numero TIM associato al tuo account." }
                form method="post" action=(routes::LOGIN) novalidate {
                    input type="hidden" name="next" value=(next);
                    // "webauthn": the browser offers the passkeys of this site in the field's
                    // autofill (conditional mediation, started by passkey.js).
                    (Field::text("username", "Username", username).autocomplete("username webauthn").render(errors))
                    (Field::text("password", "Password", "").kind("password")
                        .autocomplete("current-password").render(errors))
                    div class="btn-row" {
                        button class="btn btn-primary" type="submit" { "ACCEDI" }
                    }
                }
                // Filled and sent by passkey.js; without JavaScript nothing of it shows.
                form id="passkey-login-form" method="post" action=(routes::LOGIN_PASSKEY)
                    data-opzioni=(routes::LOGIN_PASSKEY_OPTIONS) {
                    input type="hidden" name="next" value=(next);
                    input type="hidden" name="cerimonia" value="";
                    input type="hidden" name="credenziale" value="";
                    div class="field" id=(PASSKEY_FIELD) tabindex="-1" {
                        @if let Some(e) = passkey_error {
                            p class="field-error" id="passkey-error" { span class="visually-hidden" { "Errore: " } (e) }
                        }
                        p class="field-error" id="passkey-login-stato" role="status" hidden {}
                        button class="btn btn-secondary" type="button" id="passkey-login-button" hidden {
                            "ACCEDI CON UNA PASSKEY"
                        }
                    }
                }
                p { "Non hai ancora un account? " a href=(routes::REGISTER_NUMBER) { "Registrati ora" } }
                p { a href=(routes::RECOVER) { "Recupera Username e Password" } }
            }
        },
    )
}
