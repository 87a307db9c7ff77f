//! The CONFERMA EMAIL link (registration step 4 → 5). Mail systems of public
//! administrations (Safe Links, Proofpoint, Mimecast…) open every link before the person
//! does, so opening the link (GET) changes nothing: it shows a page whose button (POST)
//! confirms. The link can be opened any number of times by anyone; the confirmation works
//! once, expires, and works in any browser: it moves the flow to a new cookie id in the
//! browser that confirmed (people read mail on their phone), then shows "Email Confermata".

use lambda_http::Request;
use maud::{html, Markup};
use shared::flows::registration::{Registration, State, Step, KIND, TTL_SECS};
use shared::flows::{record, registration_step as step};
use shared::pages::{message_page, registration_page};
use shared::store::{tokens, Key, StoreError};
use shared::web::{self, Form, Resp, WebError};
use shared::{routes, App};

pub const TOKEN_KIND: &str = "CONFIRM";

pub async fn handle(app: &App, req: Request) -> Resp {
    web::respond(if web::is_post(&req) {
        post(app, &req).await
    } else {
        get(app, &req).await
    })
}

/// The registration a live link points to, if the link is still its latest one.
async fn linked_flow(
    app: &App,
    token: &str,
) -> Result<Option<(record::Flow<Registration>, String)>, WebError> {
    let now = app.now();
    let target = if token.is_empty() {
        None
    } else {
        tokens::peek(app.store.as_ref(), TOKEN_KIND, token, now).await?
    };
    let Some((flow_pk, hash)) = target else {
        return Ok(None);
    };
    let flow = record::load_key::<Registration>(app.store.as_ref(), Key::new(flow_pk, "FLOW"), now)
        .await?;
    Ok(flow
        .filter(|f| {
            f.data.state == State::EmailSent
                && f.data.confirm_token_hash.as_deref() == Some(hash.as_str())
        })
        .map(|f| (f, hash)))
}

/// Reads only: a scanner's visit leaves everything as it was.
async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let token = web::query_param(req, "t").unwrap_or_default();
    if linked_flow(app, &token).await?.is_some() {
        return Ok(web::html(200, confirm_page(&token)));
    }
    // After confirming (or reloading): this browser's flow says so.
    if let Some(f) = step::load(app, req).await? {
        if f.data.state == State::EmailConfirmed {
            return Ok(web::html(200, confirmed_page()));
        }
    }
    Ok(web::html(410, invalid_link()))
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let form = Form::from_request(req);
    let Some((mut flow, hash)) = linked_flow(app, form.get("t")).await? else {
        // A double click: the first one confirmed in this browser.
        if step::load(app, req)
            .await?
            .is_some_and(|f| f.data.state == State::EmailConfirmed)
        {
            return Ok(web::redirect(routes::CONFIRM_EMAIL));
        }
        return Ok(web::html(410, invalid_link()));
    };
    if flow.data.email_confirmed(&hash).is_err() {
        return Ok(web::html(410, invalid_link()));
    }
    let (id, _, mut ops) = record::rekey_ops(KIND, &flow, TTL_SECS, app.now());
    ops.push(tokens::consume_op(TOKEN_KIND, &hash));
    match app.store.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled { .. }) => return Ok(web::html(410, invalid_link())),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(step = "confirm-email", "email confirmed");
    Ok(web::redirect_with_cookies(
        routes::CONFIRM_EMAIL,
        &[step::cookie(app, &id)],
    ))
}

fn confirm_page(token: &str) -> Markup {
    registration_page(
        4,
        "Conferma il tuo indirizzo email",
        html! {
            h1 { "Conferma il tuo indirizzo email" }
            p { "Clicca su " strong { "CONFERMA EMAIL" } " per confermare l'indirizzo email e proseguire con la registrazione all'area clienti TIM dedicata alla Convenzione Telefonia Mobile 8." }
            form method="post" action=(routes::CONFIRM_EMAIL) {
                input type="hidden" name="t" value=(token);
                div class="btn-row" {
                    span {}
                    button class="btn btn-primary" type="submit" { "CONFERMA EMAIL" }
                }
            }
        },
    )
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
