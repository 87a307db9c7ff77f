//! The login page.

use domain::routes;
use maud::{html, Markup};
use ui::layout::{self, PageOptions};
use ui::{pages::error_summary, pages::Field, FieldErrors};

pub fn page(username: &str, next: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let opts = PageOptions {
        noindex: true,
        current: Some(routes::LOGIN),
        ..PageOptions::default()
    };
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
                    (Field::text("username", "Username", username).autocomplete("username").render(errors))
                    (Field::text("password", "Password", "").kind("password")
                        .autocomplete("current-password").render(errors))
                    div class="btn-row" {
                        button class="btn btn-primary" type="submit" { "ACCEDI" }
                    }
                }
                p { "Non hai ancora un account? " a href=(routes::REGISTER_NUMBER) { "Registrati ora" } }
                p { a href=(routes::RECOVER) { "Recupera Username e Password" } }
            }
        },
    )
}
