//! "Elimina il tuo account", first step: what happens and what is kept (exactly
//! `deletion::KEPT`: what, how long, why), the password, and the wiring of
//! `engine::area::deletion::start` (an SMS code to the account's SIM).

use domain::routes;
use engine::area::deletion;
use engine::area::steps::DeleteStep;
use engine::pages::otp::masked;
use engine::session::SignedIn;
use engine::App;
use maud::{html, Markup};
use ui::{pages::area, FieldErrors};
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(_app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let notice = if ctx.query.has("annullata") {
        Some(deletion::VOIDED_TEXT)
    } else {
        ctx.query_param("scaduta")
            .map(|_| "La richiesta precedente è scaduta: inserisci di nuovo la password.")
    };
    Ok(web::html(200, page(s, &FieldErrors::default(), notice)))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let step = DeleteStep {
        s,
        form: ctx.form.typed(),
    };
    web::run(app, ctx, &step, |_, e| page(s, e, None)).await
}

fn page(s: &SignedIn, errors: &FieldErrors, notice: Option<&str>) -> Markup {
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
            (kept())
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

/// What stays after the deletion, why and how long, and what goes at once.
fn kept() -> Markup {
    html! {
        h2 id="cosa-conserviamo" { "Cosa conserviamo dopo l'eliminazione" }
        div class="table-wrap" { table {
            caption class="visually-hidden" { "Dati conservati dopo l'eliminazione dell'account" }
            thead { tr {
                th scope="col" { "Dato" }
                th scope="col" { "Per quanto tempo" }
                th scope="col" { "Perché" }
            } }
            tbody {
                @for k in &deletion::KEPT {
                    tr { td { (k.what) } td { (k.how_long) } td { (k.why) } }
                }
            }
        } }
        p { (deletion::ERASED_TEXT) }
    }
}
