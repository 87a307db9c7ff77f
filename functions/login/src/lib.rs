//! Login, first step (guide, section 4): the page, and the wiring of the step
//! `shared::flows::login::password` decides.

use lambda_http::Request;
use maud::{html, Markup};
use shared::domain::OtpCode;
use shared::flows::login::{self, password};
use shared::pages::{error_summary, Field, FieldErrors};
use shared::ui::layout::{self, PageOptions};
use shared::web::{self, Form, Resp, WebError};
use shared::{crypto, engine, routes, session, App};

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
    let client = web::client_ip(req);
    let flow_id = crypto::random_token();
    let decide = || async {
        if let Some(missing) = password::missing_fields(&form) {
            return Ok(missing);
        }
        let facts = password::load(app, &form, &client).await?;
        Ok(password::decide(
            app,
            &form,
            facts,
            &OtpCode::generate(),
            &flow_id,
        ))
    };
    engine::run(app, decide, draw).await
}

fn page(username: &str, next: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let opts = PageOptions {
        noindex: true,
        current: Some(routes::LOGIN),
        ..PageOptions::default()
    };
    layout::page_with(
        &opts,
        "Accedi all'Area Clienti",
        html! {
            div class="container narrow" {
                h1 { "Accedi all'Area Clienti" }
                @if let Some(n) = notice { p class="notice" role="status" { (n) } }
                (error_summary(errors))
                p { "Inserisci username e password scelte in fase di registrazione: ti invieremo un SMS con un codice temporaneo sul numero TIM associato al tuo account." }
                form method="post" action=(routes::LOGIN) novalidate {
                    input type="hidden" name="next" value=(next);
                    (Field::text("username", "Username", username).autocomplete("username").render(errors))
                    (Field::text("password", "Password", "").kind("password").autocomplete("current-password").render(errors))
                    div class="btn-row" {
                        button class="btn btn-primary" type="submit" { "ACCEDI" }
                    }
                }
                p { "Non hai ancora un account? " a href=(routes::REGISTER_NUMBER) { "Registrati ora" } }
                p { a href=(routes::RECOVER) { "Recupera Username e Password" } }
            }
        },
    )
}
