//! "Cambia l'indirizzo email" in the private area: the page, and the wiring of the request
//! `engine::area::email` decides (the link goes to the new address).

use domain::routes;
use engine::area::steps::EmailStep;
use engine::area::{email, reauth};
use engine::session::SignedIn;
use engine::App;
use maud::{html, Markup};
use ui::{pages::area, pages::Field, FieldErrors};
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let sent = ctx.query.has("inviata");
    let form = email::Form::default();
    Ok(web::html(
        200,
        page(s, app.now(), &form, &FieldErrors::default(), sent),
    ))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let step = EmailStep {
        s,
        form: ctx.form.typed(),
    };
    let draw = |_: &(), e: &FieldErrors| page(s, app.now(), &step.form, e, false);
    web::run(app, ctx, &step, draw).await
}

fn page(s: &SignedIn, now: i64, form: &email::Form, errors: &FieldErrors, sent: bool) -> Markup {
    let a = &s.account;
    let notice = sent.then_some(
        "Ti abbiamo inviato un'email al nuovo indirizzo: apri il link che contiene e clicca su CONFERMA IL NUOVO \
         INDIRIZZO. Fino ad allora resta valido l'indirizzo attuale.",
    );
    let username_is_email = a.username == a.email;
    area::page(
        "Cambia l'indirizzo email",
        html! {
            (area::heading("Cambia l'indirizzo email", notice, errors))
            p { "Il tuo indirizzo email attuale è " strong { (a.email) } ". Il nuovo indirizzo sostituirà quello \
                attuale solo dopo che lo avrai confermato dal link che ti invieremo; all'indirizzo attuale arriverà \
                un avviso della modifica. Non sono accettati indirizzi PEC." }
            form method="post" action=(routes::ACCOUNT_EMAIL) novalidate {
                (Field::text("email", "Nuovo indirizzo email", &form.email).kind("email").autocomplete("email")
                    .render(errors))
                @if username_is_email {
                    (area::checkbox("anche_username", form.anche_username == "si", errors, html! {
                        "Usa il nuovo indirizzo anche come username (oggi la tua username è il tuo indirizzo email)"
                    }))
                }
                (reauth::field(s, now, errors))
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::ACCOUNT) { "ANNULLA" }
                    button class="btn btn-primary" type="submit" { "INVIA IL LINK DI CONFERMA" }
                }
            }
        },
    )
}
