//! The link emailed to the owner of a registration that a new one (same codice fiscale and
//! entity, another number) asked to cease: its pages, and the wiring of
//! `engine::flows::registration::consent`. Opening the link (GET) changes nothing — mail
//! scanners open every link — and shows what was asked, by whom (the new number, masked),
//! and a button; its POST records the owner's consent on the new registration, once, then
//! redirects to the page that says so (POST-redirect-GET). Public: any browser.

use domain::routes;
use engine::flows::registration::{consent, steps};
use engine::App;
use maud::{html, Markup};
use ui::layout;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

/// Reads only (the token): a scanner's visit leaves everything as it was.
async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    if ctx.query.has("confermata") {
        return Ok(web::html(200, confirmed_page()));
    }
    let token = ctx.query_param("t").unwrap_or_default();
    Ok(match consent::load_link(app, &token).await? {
        Some(link) => web::html(200, confirm_page(&token, &link.new_number_masked())),
        None => web::html(410, consent::invalid_link()),
    })
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let step = steps::CeaseStep {
        form: ctx.form.typed(),
    };
    web::run(app, ctx, &step, |_, _| consent::invalid_link()).await
}

fn confirm_page(token: &str, new_number: &str) -> Markup {
    layout::flow_page(
        "Conferma la cessazione della tua registrazione",
        html! {
            div class="container narrow" {
                h1 { "Conferma la cessazione della tua registrazione" }
                p {
                    "Con il tuo Codice Fiscale e quello del tuo Ente è stata avviata una nuova registrazione all'area \
                    clienti TIM dedicata alla Convenzione Telefonia Mobile 8 dal numero " strong { (new_number) }
                    ", che chiede di cessare la tua registrazione attuale."
                }
                p {
                    "Se sei stato tu, clicca su " strong { "CONFERMA LA CESSAZIONE" } ": la tua registrazione attuale \
                    sarà cessata quando la nuova sarà completata, e la nuova potrà usare la tua username e il tuo \
                    indirizzo email. Fino ad allora puoi continuare ad accedere come sempre."
                }
                p class="warning" {
                    "Se non sei stato tu, non cliccare sul pulsante: la tua registrazione resta attiva e invariata. \
                    Segnala l'accaduto al referente della Convenzione del tuo Ente o al Numero Verde 800.680.068."
                }
                form method="post" action=(routes::CONFIRM_CEASE) {
                    input type="hidden" name="t" value=(token);
                    button class="btn btn-primary" type="submit" { "CONFERMA LA CESSAZIONE" }
                }
            }
        },
    )
}

fn confirmed_page() -> Markup {
    layout::flow_page(
        "Cessazione confermata",
        html! {
            div class="container narrow" {
            h1 { "Cessazione confermata" }
            p class="success" role="status" {
                "Grazie: hai confermato la cessazione della tua registrazione precedente. Sarà cessata quando la \
                nuova registrazione sarà completata; fino ad allora puoi continuare ad accedere come sempre."
            }
            p {
                "Per proseguire con la nuova registrazione torna alla pagina in cui la stavi compilando e aggiornala."
            }
            }
        },
    )
}
