//! "Elimina il tuo account", first step: what happens and what is kept, the password, and
//! the wiring of `shared::area::deletion::start` (an SMS code to the account's SIM).

use lambda_http::Request;
use maud::{html, Markup};
use shared::area::deletion;
use shared::pages::otp::masked;
use shared::pages::{area, FieldErrors};
use shared::session::SignedIn;
use shared::web::{self, Form, Resp, WebError};
use shared::{engine, routes, session, App};

shared::step!(get: get, post: post);

async fn get(_app: &App, req: &Request) -> Result<Resp, WebError> {
    let s = session::required(req)?;
    let expired = web::query_param(req, "scaduta").is_some();
    Ok(web::html(200, page(s, &FieldErrors::default(), expired)))
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let s = session::required(req)?;
    let form: deletion::Form = Form::from_request(req).typed();
    engine::run(
        app,
        || deletion::start(app, s, &form),
        |e| page(s, e, false),
    )
    .await
}

fn page(s: &SignedIn, errors: &FieldErrors, expired: bool) -> Markup {
    let notice =
        expired.then_some("La richiesta precedente è scaduta: inserisci di nuovo la password.");
    area::page(
        "Elimina il tuo account",
        html! {
            (area::heading("Elimina il tuo account", notice, errors))
            p { "Se elimini il tuo account:" }
            ul {
                li { "non potrai più accedere all'Area Clienti con le credenziali attuali;" }
                li { "tutte le sessioni aperte verranno chiuse;" }
                li { "username, indirizzo email e numero verranno liberati: potrai registrarti di nuovo con la tua SIM \
                    in Convenzione." }
            }
            p { (deletion::KEPT_TEXT) }
            p { "Per confermare inserisci la tua password: ti invieremo un SMS con un codice temporaneo sul numero "
                strong { (masked(s.account.number.e164())) } "." }
            form method="post" action=(routes::ACCOUNT_DELETE) novalidate {
                (area::current_password(errors, None))
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::ACCOUNT_PRIVACY) { "ANNULLA" }
                    button class="btn btn-primary" type="submit" { "CONTINUA" }
                }
            }
        },
    )
}
