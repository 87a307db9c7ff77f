//! The CONFERMA EMAIL link: its pages, and the wiring of `engine::flows::registration::confirm`.
//! Opening the link (GET) changes nothing — mail scanners open every link — and shows a
//! button; its POST confirms, in any browser.

use domain::{crypto, routes};
use engine::flows::registration::{confirm, steps, Step};
use engine::App;
use maud::{html, Markup};
use ui::pages::registration_page;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

/// Reads only (the token): a scanner's visit leaves everything as it was.
async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let token = ctx.query_param("t").unwrap_or_default();
    if confirm::load(app, &token).await?.is_some() {
        return Ok(web::html(200, confirm_page(&token)));
    }
    // After confirming (or reloading): this browser's cookie says so.
    if steps::confirmed_here(app, ctx).await {
        return Ok(web::html(200, confirmed_page()));
    }
    Ok(web::html(410, confirm::invalid_link()))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let step = steps::ConfirmStep {
        form: ctx.form.typed(),
        new_id: crypto::random_token(),
    };
    web::run(app, ctx, &step, |_, _| confirm::invalid_link()).await
}

fn confirm_page(token: &str) -> Markup {
    registration_page(
        4,
        "Conferma il tuo indirizzo email",
        html! {
            h1 { "Conferma il tuo indirizzo email" }
            p {
                "Clicca su " strong { "CONFERMA EMAIL" } " per confermare l'indirizzo email e proseguire con la \
                registrazione all'area clienti TIM dedicata alla Convenzione Telefonia Mobile 8."
            }
            form method="post" action=(routes::CONFIRM_EMAIL) {
                input type="hidden" name="t" value=(token);
                div class="btn-row" {
                    span {}
                    button class="btn btn-primary" type="submit" { "CONFERMA EMAIL" }
                }
            }
        },
    )
}

fn confirmed_page() -> Markup {
    registration_page(
        4,
        "Email Confermata",
        html! {
            h1 { "Email Confermata" }
            p class="success" role="status" {
                "Gentile utente, grazie per aver confermato il tuo indirizzo email."
            }
            p { a class="btn btn-primary" href=(Step::Password.path()) { "CREA PASSWORD" } }
        },
    )
}
