//! Login, first step (guide, section 4): the page, and the wiring of the step
//! `shared::flows::login::password` decides.

mod page;

use lambda_http::Request;
use page::page;
use shared::flows::login::{self, password};
use shared::pages::FieldErrors;
use shared::web::{self, Form, Resp, WebError};
use shared::{crypto, engine, session, App};

shared::step!(get: get, post: post);

async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let next = login::safe_next(&web::query_param(req, "next").unwrap_or_default());
    if session::current(app, req).await?.is_some() {
        return Ok(web::redirect(&next));
    }
    let notice = notice(req);
    Ok(web::html(
        200,
        page("", &next, &FieldErrors::default(), notice),
    ))
}

fn notice(req: &Request) -> Option<&'static str> {
    let q = |n| web::query_param(req, n).is_some();
    if q("uscito") {
        Some("Sei uscito dall'Area Clienti.")
    } else if q("sessione") {
        Some("La sessione è scaduta: accedi di nuovo per continuare.")
    } else if q("scaduta") {
        Some("La procedura di accesso è scaduta o non è più valida: inserisci di nuovo username e password.")
    } else if q("eliminato") {
        Some("Il tuo account è stato eliminato e tutte le sessioni sono state chiuse. Ti abbiamo inviato un'email di \
              conferma.")
    } else if q("password-modificata") {
        Some("La password è stata modificata: accedi con la nuova password.")
    } else if q("next") {
        Some("Per continuare accedi all'Area Clienti.")
    } else {
        None
    }
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let form: password::Form = Form::from_request(req).typed();
    let typed = form.username();
    let draw = |errors: &FieldErrors| page(&typed, &form.next(), errors, None);
    let client = web::client_network(req);
    let device = session::device_id(app, req);
    let agent = web::user_agent(req);
    let flow_id = crypto::random_token();
    let decide = || password::step(app, &form, &client, device.as_deref(), agent, &flow_id);
    engine::run(app, decide, draw).await
}
