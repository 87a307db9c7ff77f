//! The reset link's page and the new password's page, and the wiring of the steps
//! `shared::flows::recovery::reset` decides (INVIA IL CODICE, SALVA).

mod page;

use lambda_http::Request;
use shared::flows::recovery::reset::{self, Form};
use shared::flows::recovery::{self, Step};
use shared::pages::FieldErrors;
use shared::web::{self, Resp, WebError};
use shared::{crypto, engine, App};

shared::step!(get: get, post: post);

async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    if let Some(token) = web::query_param(req, "token") {
        // The link's page: it sends nothing (mail scanners open links).
        return Ok(match reset::link(app, &token).await? {
            reset::Link::Live(..) => web::html(200, page::link_page(&token)),
            reset::Link::Voided => web::html(410, reset::link_voided_page()),
            reset::Link::Gone => web::html(410, reset::link_gone_page()),
        });
    }
    Ok(match recovery::carried(app, req).await {
        Some(f) if f.data.state.allows(Step::NewPassword) => {
            web::html(200, page::new_password_page(&FieldErrors::default()))
        }
        Some(f) => web::redirect(f.data.state.path()),
        None => web::redirect(&recovery::expired()),
    })
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let form: Form = web::Form::from_request(req).typed();
    let draw = page::new_password_page;
    if !form.token.is_empty() {
        let (flow_id, client) = (crypto::random_token(), web::client_ip(req));
        let start = || reset::start(app, &form.token, &flow_id, &client);
        return engine::run(app, start, draw).await;
    }
    engine::run_flow(app, req, |flow| reset::set_password(app, flow, &form), draw).await
}
