//! Registration step 4: its pages (the email, the username, "email sent"), and the wiring
//! of the step `engine::flows::registration::email` decides (SALVA, AVANTI, INVIA DI NUOVO).

mod page;

use engine::flows::registration::{self, email, steps, Registration, State, Step};
use engine::App;
use engine::Carried;
use page::{email_page, sent_page, username_page};
use ui::FieldErrors;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

/// Shown from the state the cookie carries: no read.
async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let flow = web::flow_or_redirect!(registration::page(app, ctx, Step::Email).await?);
    let r = &flow.data;
    let edit = ctx.query_param("modifica").unwrap_or_default();
    let none = FieldErrors::default();
    let saved = r.email().map_or("", |e| e.as_str());
    let username = r.username().map_or("", |u| u.as_str());
    Ok(web::html(
        200,
        match r.state() {
            State::EmailSaved | State::EmailSent if edit == "email" => email_page(saved, &none),
            State::EmailSaved => {
                let editing = edit == "username" || username.is_empty();
                username_page(saved, username, editing, &none)
            }
            State::EmailSent => {
                let resent = ctx.query.has("reinviata");
                sent_page(saved, resent, &none)
            }
            _ => email_page(saved, &none),
        },
    ))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let step = steps::EmailStep {
        form: ctx.form.typed(),
    };
    let form = &step.form;
    let draw = |flow: &Carried<Registration>, errors: &FieldErrors| {
        let saved = flow.data.email().map_or("", |e| e.as_str());
        match form.azione.as_str() {
            email::SAVE => email_page(&form.email, errors),
            _ if errors.get("email").is_some() => sent_page(saved, false, errors),
            _ => username_page(saved, &form.username(&flow.data), true, errors),
        }
    };
    web::run(app, ctx, &step, draw).await
}
