//! "Accessi recenti": the last 20 access events of the account (`store::access_log`), with
//! "Non sei stato tu?" leading to the password change.

use domain::clock::rome_datetime;
use domain::routes;
use engine::App;
use maud::html;
use store::access_log::{self, SHOWN};
use ui::agent;
use ui::{pages::area, FieldErrors};
use web::{self, Ctx, Resp, WebError};

web::step!(get: get);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let events = access_log::recent(app.store.as_ref(), &s.account.id, SHOWN, app.now()).await?;
    let title = "Accessi recenti";
    Ok(web::html(
        200,
        area::page(
            title,
            html! {
                (area::heading(title, None, &FieldErrors::default()))
                p { "Gli ultimi " (SHOWN) " tentativi di accesso al tuo account, dal più recente. Li conserviamo \
                    per 12 mesi." }
                @if events.is_empty() {
                    p { "Nessun accesso registrato." }
                } @else {
                    div class="table-wrap" {
                        table {
                            caption class="visually-hidden" { "Accessi recenti al tuo account" }
                            thead { tr {
                                th scope="col" { "Data e ora" }
                                th scope="col" { "Browser" }
                                th scope="col" { "Esito" }
                            } }
                            tbody {
                                @for e in &events {
                                    tr {
                                        td { (rome_datetime(e.at)) }
                                        td { (agent::describe(&e.user_agent)) }
                                        td { @if e.event.is_warning() {
                                            strong { (e.event.label()) }
                                        } @else { (e.event.label()) } }
                                    }
                                }
                            }
                        }
                    }
                }
                section aria-labelledby="non-tu" {
                    h2 id="non-tu" { "Non sei stato tu?" }
                    p { "Se vedi un accesso che non riconosci, cambia subito la password: chiuderemo anche le sessioni \
                        aperte sugli altri dispositivi." }
                    p { a class="btn btn-primary" href=(routes::ACCOUNT_PASSWORD) { "CAMBIA LA PASSWORD" } }
                }
            },
        ),
    ))
}
