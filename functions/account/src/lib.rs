//! The private area's home page: greets the signed-in user, shows the profile and the
//! Convenzione's services (placeholders for now, marked "prossimamente"). Without a
//! valid session it redirects to the login, which comes back here.

use lambda_http::Request;
use maud::{html, Markup};
use shared::store::accounts::Account;
use shared::store::lines;
use shared::ui::layout::{self, PageOptions};
use shared::web::{self, Resp, WebError};
use shared::{routes, session, App};

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

shared::step!(get: get);

/// The runtime's session guard already ran (`routes::PRIVATE`): the signed-in user is
/// attached to the request.
async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let Some(signed_in) = session::signed_in(req) else {
        return Err(WebError::Unavailable(
            "private route without the session guard".into(),
        ));
    };
    let mut account = signed_in.account.clone();
    if account.ragione_sociale.is_empty() {
        // Imported accounts may lack the entity's name: the line knows it.
        if let Some(line) = lines::get(app.store.as_ref(), &account.number).await? {
            account.ragione_sociale = line.ragione_sociale;
        }
    }
    Ok(web::html(200, page(&account)))
}

fn page(a: &Account) -> Markup {
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
