//! The step-4 pages: the email, the username proposed from it, and "email sent".

use engine::flows::registration::{email, Step};
use maud::{html, Markup};
use ui::{pages::error_summary, pages::registration_page, pages::Field, FieldErrors};

pub fn email_page(value: &str, errors: &FieldErrors) -> Markup {
    registration_page(
        4,
        "Inserisci la tua email",
        html! {
            h1 { "Inserisci la tua email" }
            (error_summary(errors))
            p {
                "Inserisci l'indirizzo email da associare al tuo profilo: ti verrà proposto anche come username per \
                accedere alla tua Area Clienti. Inserisci un indirizzo che usi regolarmente e clicca su "
                strong { "SALVA" } "."
            }
            p class="warning" {
                strong { "Attenzione: " } "non sono ammessi indirizzi di Posta Elettronica Certificata (PEC)."
            }
            form method="post" action=(Step::Email.path()) novalidate {
                input type="hidden" name="azione" value=(email::SAVE);
                (Field::text("email", "Email", value).kind("email").autocomplete("email").inputmode("email")
                    .render(errors))
                div class="btn-row" {
                    a class="btn btn-secondary" href=(Step::Profile.path()) { "INDIETRO" }
                    button class="btn btn-primary" type="submit" { "SALVA" }
                }
            }
        },
    )
}

pub fn username_page(email: &str, username: &str, editing: bool, errors: &FieldErrors) -> Markup {
    registration_page(
        4,
        "Scegli la tua username",
        html! {
            h1 { "Scegli la tua username" }
            (error_summary(errors))
            p {
                "Email: " strong { (email) } " "
                a href={ (Step::Email.path()) "?modifica=email" } { "Modifica email" }
            }
            p {
                "Ti proponiamo come username il tuo indirizzo email. Se vuoi usarne un'altra, clicca su "
                strong { "MODIFICA" } ". Infine clicca su " strong { "AVANTI" }
                ": ti invieremo una email per confermare l'indirizzo."
            }
            form method="post" action=(Step::Email.path()) novalidate {
                input type="hidden" name="azione" value=(email::SEND);
                @if editing {
                    (Field::text("username", "Username", username).autocomplete("username")
                        .hint("Da 3 a 64 caratteri: lettere minuscole, numeri e . _ - @").render(errors))
                } @else {
                    div class="field" {
                        p { "Username: " strong { (username) } }
                        a class="btn btn-secondary" href={ (Step::Email.path()) "?modifica=username" } { "MODIFICA" }
                    }
                }
                div class="btn-row" {
                    a class="btn btn-secondary" href=(Step::Profile.path()) { "INDIETRO" }
                    button class="btn btn-primary" type="submit" { "AVANTI" }
                }
            }
        },
    )
}

pub fn sent_page(email: &str, resent: bool, errors: &FieldErrors) -> Markup {
    registration_page(
        4,
        "Conferma la tua email",
        html! {
            h1 { "Conferma la tua email" }
            (error_summary(errors))
            @if resent {
                p class="success" role="status" {
                    "Ti abbiamo inviato una nuova email: il link precedente non è più valido."
                }
            }
            p {
                "Ti abbiamo inviato una email all'indirizzo " strong { (email) } ". Apri la email e clicca sul link "
                strong { "CONFERMA EMAIL" }
                " per proseguire: puoi aprirla anche da un altro dispositivo. Il link è valido 24 ore."
            }
            p class="notice" {
                strong { "Suggerimento: " }
                "se non dovesse arrivarti la email, controlla l'indirizzo inserito durante la registrazione oppure la \
                cartella \"Posta indesiderata\" oppure i filtri anti-spam del tuo sistema di posta elettronica. Il \
                mittente della email è \"TIM - convenzionemobile8@telecomitalia.it\"."
            }
            form method="post" action=(Step::Email.path()) class="inline-form" {
                input type="hidden" name="azione" value=(email::RESEND);
                button class="btn btn-secondary" type="submit" { "INVIA DI NUOVO" }
            }
            p { a href={ (Step::Email.path()) "?modifica=email" } { "Modifica l'indirizzo email" } }
        },
    )
}
