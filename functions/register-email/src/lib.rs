//! Registration step 4: its pages (the email, the username, "email sent"), and the wiring
//! of the step `shared::flows::registration::email` decides (SALVA, AVANTI, INVIA DI NUOVO).

mod page;

use lambda_http::Request;
use page::{email_page, sent_page, username_page};
use shared::flows::registration::{self, email, State, Step};
use shared::pages::FieldErrors;
use shared::web::{self, Form, Resp, WebError};
use shared::App;

shared::step!(get: get, post: post);

/// Shown from the state the cookie carries: no read.
async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let flow = shared::flow_or_redirect!(registration::page(app, req, Step::Email).await?);
    let r = &flow.data;
    let edit = web::query_param(req, "modifica").unwrap_or_default();
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
                let resent = web::query_param(req, "reinviata").is_some();
                sent_page(saved, resent, &none)
            }
            _ => email_page(saved, &none),
        },
    ))
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let flow = shared::flow_or_redirect!(registration::posted(app, req, Step::Email).await);
    let form: email::Form = Form::from_request(req).typed();
    let client = web::client_network(req);
    let saved = flow.data.email().map_or("", |e| e.as_str()).to_owned();
    let username = form.username(&flow.data);
    let draw = |errors: &FieldErrors| match form.azione.as_str() {
        email::SAVE => email_page(&form.email, errors),
        _ if errors.get("email").is_some() => sent_page(&saved, false, errors),
        _ => username_page(&saved, &username, true, errors),
    };
    let decide = |flow, attempt| email::decide(app, &form, &client, flow, attempt);
    registration::run(app, flow, Step::Email, decide, draw).await
}
