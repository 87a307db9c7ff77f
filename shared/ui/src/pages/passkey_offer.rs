//! The offer of a passkey ("Accedi più velocemente con una passkey"): on the private home
//! after a login by password + SMS, and on the registration's last page. Rendered `hidden`:
//! passkey.js shows it only where the device has a platform authenticator with user
//! verification, so a browser without one (or without JavaScript) never sees it.

use domain::routes;
use maud::{html, Markup};

pub const TITLE: &str = "Accedi più velocemente con una passkey";

const WHY: &str = "Con una passkey entri nell'Area Clienti con l'impronta, il volto o il PIN di questo \
                   dispositivo: senza password e senza attendere l'SMS. Nessuno può usarla da un altro \
                   dispositivo o su un sito falso.";

/// On the home: CREA UNA PASSKEY (the area's creation, which asks the password again after
/// 15 minutes) and NON ORA (remembered on the account: not offered again).
pub fn home_card() -> Markup {
    html! {
        section class="card" aria-labelledby="offerta-passkey" data-passkey-offer hidden {
            h2 id="offerta-passkey" { (TITLE) }
            p { (WHY) }
            div class="card-actions" {
                form method="post" action=(routes::ACCOUNT_PASSKEY_NEW) {
                    button class="btn btn-primary" type="submit" { "CREA UNA PASSKEY" }
                }
                form method="post" action=(routes::ACCOUNT_PASSKEY_DISMISS) {
                    button class="btn btn-secondary" type="submit" { "NON ORA" }
                }
            }
        }
    }
}

/// Where the registration's last page sends a person who wants one: the login (password +
/// SMS, the one way an account opens), which then lands on the area's passkey page.
pub fn after_registration_href() -> String {
    format!("{}?next={}", routes::LOGIN, routes::ACCOUNT_PASSKEYS)
}

/// On the registration's last page: the way to the login that lands on the area's passkeys.
/// NON ORA only closes the card (there is no account session to remember it on).
pub fn registration_card() -> Markup {
    html! {
        section class="card" aria-labelledby="offerta-passkey" data-passkey-offer hidden {
            h2 id="offerta-passkey" { (TITLE) }
            p { (WHY) }
            p { "Accedi con username e password ancora una volta: ti porteremo subito alla pagina per creare \
                la passkey." }
            div class="card-actions" {
                a class="btn btn-primary" href=(after_registration_href()) { "ACCEDI E CREA UNA PASSKEY" }
                button class="btn btn-secondary" type="button" data-passkey-offer-close { "NON ORA" }
            }
        }
    }
}
