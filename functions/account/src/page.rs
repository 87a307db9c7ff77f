//! The private area's home page.

use maud::{html, Markup};
use shared::routes;
use shared::store::accounts::Account;
use shared::ui::layout::{self, PageOptions};

/// The services of the Convenzione that the private area will host.
const SERVICES: &[(&str, &str)] = &[
    (
        "Le tue linee",
        "Consulta le SIM del tuo Ente in Convenzione e il loro stato.",
    ),
    (
        "Traffico e consumi",
        "Verifica il traffico e i consumi della tua linea aziendale.",
    ),
    (
        "Richieste di assistenza",
        "Apri una segnalazione e segui lo stato delle tue richieste.",
    ),
];

pub fn page(a: &Account) -> Markup {
    let number = a.number.pretty();
    let opts = PageOptions {
        noindex: true,
        current: Some(routes::ACCOUNT),
        signed_in: true,
        ..PageOptions::default()
    };
    layout::page_with(
        &opts,
        "Area Clienti",
        html! {
            div class="container" {
                h1 { "Ciao, " (a.nome) " " (a.cognome) }
                p class="lead" { "Questa è la tua Area Clienti dei servizi in Convenzione Telefonia Mobile 8." }
                section class="card" aria-labelledby="profilo" {
                    h2 id="profilo" { "Il tuo profilo" }
                    dl {
                        dt { "Nome" } dd { (a.nome) }
                        dt { "Cognome" } dd { (a.cognome) }
                        dt { "Ente/Amministrazione" } dd { (a.ragione_sociale) }
                        dt { "C.F. Ente/Amministrazione" } dd { (a.entity_cf) }
                        dt { "Numero mobile" } dd { (number) }
                        dt { "Email" } dd { (a.email) }
                        dt { "Username" } dd { (a.username) }
                    }
                }
                h2 { "I servizi della Convenzione" }
                ul class="cards" {
                    @for (title, text) in SERVICES {
                        li class="card" {
                            h3 class="card-title" { (title) }
                            p { (text) }
                            p class="muted" { "Servizio disponibile prossimamente." }
                        }
                    }
                }
                form method="post" action=(routes::LOGOUT) {
                    button class="btn btn-secondary" type="submit" { "ESCI" }
                }
            }
        },
    )
}
