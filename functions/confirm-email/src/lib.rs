//! The CONFERMA EMAIL link (registration step 4 → 5). It works once, expires, and works
//! in any browser: confirming moves the flow to a new cookie id in the browser that
//! opened the link (people read mail on their phone), then shows "Email Confermata".

use lambda_http::Request;
use maud::{html, Markup};
use shared::flows::registration::{Registration, State, Step, KIND, TTL_SECS};
use shared::flows::{record, registration_step as step};
use shared::pages::{message_page, registration_page};
use shared::store::{tokens, Key, StoreError};
use shared::web::{self, Resp, WebError};
use shared::App;

pub const TOKEN_KIND: &str = "CONFIRM";

pub async fn handle(app: &App, req: Request) -> Resp {
    web::respond(get(app, &req).await)
}

async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let now = app.now();
    let token = web::query_param(req, "t").unwrap_or_default();
    let target = if token.is_empty() { None } else { tokens::peek(app.store.as_ref(), TOKEN_KIND, &token, now).await? };
    let Some((flow_pk, hash)) = target else {
        // Reloading the page after confirming: this browser's flow says so.
        if let Some(f) = step::load(app, req).await? {
            if f.data.state == State::EmailConfirmed {
                return Ok(web::html(200, confirmed_page()));
            }
        }
        return Ok(web::html(410, invalid_link()));
    };
    let Some(mut flow) = record::load_key::<Registration>(app.store.as_ref(), Key::new(flow_pk, "FLOW"), now).await? else {
        return Ok(web::html(410, invalid_link()));
    };
    if flow.data.email_confirmed(&hash).is_err() {
        return Ok(web::html(410, invalid_link()));
    }
    let (id, _, mut ops) = record::rekey_ops(KIND, &flow, TTL_SECS, now);
    ops.push(tokens::consume_op(TOKEN_KIND, &hash));
    match app.store.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled { .. }) => return Ok(web::html(410, invalid_link())),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(step = "confirm-email", "email confirmed");
    Ok(web::with_cookies(web::html(200, confirmed_page()), &[step::cookie(app, &id)]))
}

fn confirmed_page() -> Markup {
    registration_page(
        4,
        "Email Confermata",
        html! {
            h1 { "Email Confermata" }
            p class="success" role="status" { "Gentile utente, grazie per aver confermato il tuo indirizzo email." }
            p { a class="btn btn-primary" href=(Step::Password.path()) { "CREA PASSWORD" } }
        },
    )
}

fn invalid_link() -> Markup {
    message_page(
        "Link non valido",
        "Il link di conferma non è più valido: potrebbe essere già stato usato, essere scaduto o essere stato sostituito da un'email più recente. Se hai già confermato la tua email prosegui dal dispositivo su cui l'hai confermata, altrimenti richiedi una nuova email di conferma.",
        Step::Email.path(),
        "TORNA ALLA REGISTRAZIONE",
    )
}
