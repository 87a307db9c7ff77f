//! "Cambia la password" in the private area: the page, and the wiring of the change
//! `engine::area::password` decides.

use domain::routes;
use engine::area::steps::PasswordStep;
use engine::App;
use maud::{html, Markup};
use ui::pages::new_password_fields;
use ui::{pages::area, FieldErrors};
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(_app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    ctx.required()?;
    let done = ctx.query.has("modificata");
    Ok(web::html(200, page(&FieldErrors::default(), done)))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let step = PasswordStep {
        s,
        form: ctx.form.typed(),
    };
    web::run(app, ctx, &step, |_, e| page(e, false)).await
}

fn page(errors: &FieldErrors, done: bool) -> Markup {
    let notice = done.then_some(
        "La password è stata modificata. Per sicurezza abbiamo chiuso le sessioni aperte sugli altri dispositivi.",
    );
    area::page(
        "Cambia la password",
        html! {
            (area::heading("Cambia la password", notice, errors))
            p { "Inserisci la password che usi ora, poi la nuova password due volte. Dopo la modifica resterai \
                collegato solo su questo dispositivo." }
            form method="post" action=(routes::ACCOUNT_PASSWORD) novalidate {
                (area::current_password(errors, None))
                (new_password_fields(errors))
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::ACCOUNT) { "ANNULLA" }
                    button class="btn btn-primary" type="submit" { "SALVA LA NUOVA PASSWORD" }
                }
            }
        },
    )
}
