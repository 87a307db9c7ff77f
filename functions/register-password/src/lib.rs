//! Registration steps 5 and 6: the password page and the outcome page, and the wiring of
//! the step `shared::flows::registration::password` decides (one transaction makes the
//! account).

mod page;

use lambda_http::Request;
use page::{outcome_page, page};
use shared::flows::registration::{self, password, Step};
use shared::pages::FieldErrors;
use shared::web::{self, Form, Resp, WebError};
use shared::{crypto, routes, App};

shared::step!(get: get, post: post);

async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    if req.uri().path() == routes::REGISTER_DONE {
        return outcome(app, req).await;
    }
    let _ = shared::flow_or_redirect!(registration::page(app, req, Step::Password).await?);
    Ok(web::html(200, page(&FieldErrors::default(), false, false)))
}

/// The password is checked as typed, then the step decides: its read of the flow refuses a
/// stale or replayed cookie before the password is hashed (`password::Hasher`).
async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let flow = shared::flow_or_redirect!(registration::posted(app, req, Step::Password).await);
    let form: password::Form = Form::from_request(req).typed();
    let draw = |errors: &FieldErrors| page(errors, form.terms(), form.privacy());
    let chosen = match password::check(&form, &flow.data) {
        Ok(p) => p,
        Err(errors) => return Ok(web::html(422, draw(&errors))),
    };
    let hasher = password::Hasher::new(chosen);
    let id = crypto::random_token();
    let decide = |flow, attempt| password::decide(app, flow, attempt, &id, &hasher);
    registration::run(app, flow, Step::Password, decide, draw).await
}

/// Step 6, from the state the cookie carries; a summary email that did not go out with
/// step 5 is sent now, once (`password::outcome`, on the engine).
async fn outcome(app: &App, req: &Request) -> Result<Resp, WebError> {
    let flow = shared::flow_or_redirect!(registration::page(app, req, Step::Done).await?);
    let decide = |flow, _| async move { Ok(password::outcome(app, flow, outcome_page)) };
    registration::run(app, flow, Step::Done, decide, |_| outcome_page(false)).await
}
