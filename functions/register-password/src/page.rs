//! The step-5 page (password and consents) and the step-6 outcome page.

use domain::documents;
use domain::routes;
use engine::flows::registration::Step;
use maud::{html, Markup};
use ui::pages::new_password_fields;
use ui::{pages::error_summary, pages::registration_page, FieldErrors};

use ui::pages::area::checkbox;

pub fn page(errors: &FieldErrors, terms: bool, privacy: bool) -> Markup {
    let terms_label = html! {
        "Ho letto e accetto i " a href=(documents::TERMS_PDF) { "Termini e condizioni generali (PDF)" }
    };
    let privacy_label = html! {
        "Ho letto e accetto l'" a href=(documents::PRIVACY_PDF) { "Informativa privacy (PDF)" }
    };
    registration_page(
        5,
        "Scegli la password",
        html! {
            h1 { "Scegli la password e accetta le condizioni" }
            (error_summary(errors))
            p {
                "Scegli la password di accesso: deve rispettare le regole descritte. Inseriscila nuovamente per \
                verifica. Poi scarica, leggi ed accetta i Termini e condizioni generali e l'Informativa della privacy \
                ed infine clicca su " strong { "AVANTI" } "."
            }
            form method="post" action=(Step::Password.path()) novalidate {
                (new_password_fields(errors))
                (checkbox("termini", terms, errors, terms_label))
                (checkbox("privacy", privacy, errors, privacy_label))
                div class="btn-row" {
                    span {}
                    button class="btn btn-primary" type="submit" { "AVANTI" }
                }
            }
        },
    )
}

/// Step 6; `sent`: the summary email went out.
pub fn outcome_page(sent: bool) -> Markup {
    let body = html! {
        h1 { "Richiesta inviata con successo" }
        @if sent {
            p class="success" role="status" {
                "Ti abbiamo inviato una email per ricordarti i tuoi dati di accesso."
            }
        } @else {
            p class="warning" role="status" {
                "La registrazione è completata, ma non siamo riusciti a inviarti l'email di riepilogo: ricarica la \
                pagina tra qualche minuto per riprovare."
            }
        }
        p { "Clicca su " strong { "ACCEDI" } " e inserisci la username e la password scelte durante la registrazione." }
        p { a class="btn btn-primary" href=(routes::LOGIN) { "ACCEDI" } }
        (ui::pages::passkey_offer::registration_card())
    };
    ui::pages::registration_page_with(6, "Richiesta inviata con successo", body, true)
}
