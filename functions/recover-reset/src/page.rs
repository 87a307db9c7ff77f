//! The reset link's page and the new password's page.

use domain::routes;
use maud::{html, Markup};
use ui::layout;
use ui::pages::new_password_fields;
use ui::{pages::error_summary, FieldErrors};

fn frame(title: &str, body: Markup) -> Markup {
    layout::flow_page(title, html! { div class="container narrow" { (body) } })
}

pub fn link_page(token: &str) -> Markup {
    frame(
        "Scegli una nuova password",
        html! {
            h1 { "Scegli una nuova password" }
            p { "Per la tua sicurezza, prima di scegliere la nuova password ti invieremo un SMS con un codice \
                temporaneo sul numero TIM associato al tuo account." }
            form method="post" action=(routes::RECOVER_RESET) {
                input type="hidden" name="token" value=(token);
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::LOGIN) { "ANNULLA" }
                    button class="btn btn-primary" type="submit" { "INVIA IL CODICE" }
                }
            }
        },
    )
}

pub fn new_password_page(errors: &FieldErrors) -> Markup {
    frame(
        "Scegli una nuova password",
        html! {
            h1 { "Scegli una nuova password" }
            (error_summary(errors))
            p { "Scegli la nuova password di accesso: deve rispettare le regole descritte. Inseriscila nuovamente per \
                verifica e clicca su " strong { "SALVA" } ". Tutte le sessioni aperte con la vecchia password \
                verranno chiuse." }
            form method="post" action=(routes::RECOVER_RESET) novalidate {
                (new_password_fields(errors))
                div class="btn-row" {
                    span {}
                    button class="btn btn-primary" type="submit" { "SALVA" }
                }
            }
        },
    )
}
