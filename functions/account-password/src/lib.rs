//! "Cambia la password" in the private area: the page, and the wiring of the change
//! `shared::area::password` decides.

use maud::{html, Markup};
use shared::area::steps::PasswordStep;
use shared::pages::{area, new_password_fields, FieldErrors};
use shared::web::{self, Ctx, Resp, WebError};
use shared::{routes, App};

shared::step!(get: get, post: post);

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
