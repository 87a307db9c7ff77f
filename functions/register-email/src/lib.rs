//! Registration step 4: the email (SALVA), the username proposed from it (MODIFICA to
//! choose another), and AVANTI, which sends the CONFERMA EMAIL link. Email and username
//! are reserved by conditional writes: a taken one is reported, never overwritten.

use lambda_http::Request;
use maud::{html, Markup};
use shared::domain::{Email, Username};
use shared::flows::registration::{Registration, State, Step, CONFIRM_TTL_SECS, TTL_SECS};
use shared::flows::{record, registration_step as step};
use shared::notify::messages;
use shared::pages::{error_summary, registration_page, Field, FieldErrors};
use shared::store::uniqueness::{self, Kind};
use shared::store::{rate, tokens};
use shared::web::{self, Form, Resp, WebError};
use shared::{limits, routes, App};

pub const TOKEN_KIND: &str = "CONFIRM";

pub async fn handle(app: &App, req: Request) -> Resp {
    web::respond(if web::is_post(&req) {
        post(app, &req).await
    } else {
        get(app, &req).await
    })
}

async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let flow = match step::enter(app, req, Step::Email).await? {
        Ok(f) => f,
        Err(redirect) => return Ok(redirect),
    };
    let r = &flow.data;
    let edit = web::query_param(req, "modifica").unwrap_or_default();
    let none = FieldErrors::default();
    Ok(web::html(
        200,
        match r.state {
            State::EmailSaved if edit == "email" => email_page(&r.email, &none),
            State::EmailSaved => username_page(
                r,
                &r.username,
                edit == "username" || r.username.is_empty(),
                &none,
            ),
            State::EmailSent if edit == "email" => email_page(&r.email, &none),
            State::EmailSent => sent_page(r, web::query_param(req, "reinviata").is_some(), &none),
            _ => email_page(&r.email, &none),
        },
    ))
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let mut flow = match step::enter(app, req, Step::Email).await? {
        Ok(f) => f,
        Err(redirect) => return Ok(redirect),
    };
    let form = Form::from_request(req);
    let now = app.now();
    let mut errors = FieldErrors::default();
    match form.get("azione") {
        "salva" => {
            let typed = form.get("email");
            let email = match Email::parse(typed) {
                Ok(e) => e,
                Err(e) => {
                    errors.add("email", e);
                    return Ok(web::html(422, email_page(typed, &errors)));
                }
            };
            match claim(app, req, &mut flow.data, Kind::Email, email.as_str(), now).await? {
                Ok(()) => {}
                Err(Refused::TooMany(message)) => {
                    errors.add("email", message);
                    return Ok(web::html(429, email_page(typed, &errors)));
                }
                Err(Refused::Taken) => {
                    errors.add("email", "Questo indirizzo email è già associato a un'altra registrazione: usa un altro indirizzo oppure recupera le tue credenziali.");
                    return Ok(web::html(409, email_page(typed, &errors)));
                }
            }
            // An email that is not a valid username (e.g. with "+") leaves the choice to the user.
            let username = Username::from_email(&email)
                .map(|u| u.as_str().to_owned())
                .unwrap_or_default();
            if flow
                .data
                .email_saved(email.as_str().to_owned(), username)
                .is_err()
            {
                return Ok(web::redirect(flow.data.state.step().path()));
            }
            step::save_and_continue(app, &mut flow).await
        }
        "avanti" | "invia-di-nuovo" => {
            let typed = if form.has("username") {
                form.get("username").to_owned()
            } else {
                flow.data.username.clone()
            };
            let username = match Username::parse(&typed) {
                Ok(u) => u,
                Err(e) => {
                    errors.add("username", e);
                    return Ok(web::html(
                        422,
                        username_page(&flow.data, &typed, true, &errors),
                    ));
                }
            };
            match claim(
                app,
                req,
                &mut flow.data,
                Kind::Username,
                username.as_str(),
                now,
            )
            .await?
            {
                Ok(()) => {}
                Err(Refused::TooMany(message)) => {
                    errors.add("username", message);
                    return Ok(web::html(
                        429,
                        username_page(&flow.data, &typed, true, &errors),
                    ));
                }
                Err(Refused::Taken) => {
                    errors.add(
                        "username",
                        "Questa username è già in uso: scegline un'altra.",
                    );
                    return Ok(web::html(
                        409,
                        username_page(&flow.data, &typed, true, &errors),
                    ));
                }
            }
            if !rate::hit(
                app.store.as_ref(),
                limits::CONFIRM_EMAIL_PER_FLOW,
                &flow.data.rid,
                now,
            )
            .await?
            {
                errors.add(
                    "email",
                    "Hai richiesto troppe email di conferma. Riprova tra un'ora.",
                );
                return Ok(web::html(429, sent_page(&flow.data, false, &errors)));
            }
            let (token, hash) = tokens::create(
                app.store.as_ref(),
                TOKEN_KIND,
                &flow.key.pk,
                CONFIRM_TTL_SECS,
                now,
            )
            .await?;
            flow.data.username = username.as_str().to_owned();
            if flow.data.email_sent(hash).is_err() {
                return Ok(web::redirect(flow.data.state.step().path()));
            }
            // Saved before sending: of two concurrent clicks only one saves, and only it sends.
            match record::save(app.store.as_ref(), &mut flow, TTL_SECS, now).await {
                Ok(()) => {}
                Err(record::FlowError::Conflict) => return Ok(web::redirect(Step::Email.path())),
                Err(record::FlowError::Store(e)) => return Err(e.into()),
            }
            let link = format!(
                "{}{}?t={}",
                app.config.public_base_url,
                routes::CONFIRM_EMAIL,
                token
            );
            app.notifier
                .email(&messages::email_confirmation(&flow.data.email, &link))
                .await?;
            tracing::info!(step = "register-email", "confirmation email sent");
            let resent = if form.get("azione") == "invia-di-nuovo" {
                "?reinviata=1"
            } else {
                ""
            };
            Ok(web::redirect(&format!("{}{resent}", Step::Email.path())))
        }
        _ => Ok(web::redirect(Step::Email.path())),
    }
}

enum Refused {
    TooMany(&'static str),
    Taken,
}

/// Reserves `value` (an email or a username) for the flow. Step 4 is where a taken value
/// shows, so each *new* value is charged per flow and per client address (it cannot be used
/// to probe who is registered); choosing it again only refreshes its reservation. The
/// reservation it replaces is released, so probes leave nothing behind.
async fn claim(
    app: &App,
    req: &Request,
    r: &mut Registration,
    kind: Kind,
    value: &str,
    now: i64,
) -> Result<Result<(), Refused>, WebError> {
    let store = app.store.as_ref();
    let held = if kind == Kind::Email {
        &r.reserved_email
    } else {
        &r.reserved_username
    };
    let new_value = held.as_deref() != Some(value);
    if new_value
        && (!rate::hit(store, limits::REG_CLAIMS_PER_FLOW, &r.rid, now).await?
            || !rate::hit(store, limits::REG_CLAIMS_PER_IP, &web::client_ip(req), now).await?)
    {
        return Ok(Err(Refused::TooMany(
            "Hai fatto troppi tentativi di scelta dell'email o della username. Riprova più tardi.",
        )));
    }
    let owner = r.owner();
    if !uniqueness::reserve(
        store,
        kind,
        value,
        &owner,
        &r.superseded_owners(),
        now + TTL_SECS,
        now,
    )
    .await?
    {
        return Ok(Err(Refused::Taken));
    }
    let held = if kind == Kind::Email {
        &mut r.reserved_email
    } else {
        &mut r.reserved_username
    };
    if let Some(old) = held.replace(value.to_owned()).filter(|old| old != value) {
        uniqueness::release(store, kind, &old, &owner).await?;
    }
    Ok(Ok(()))
}

fn email_page(value: &str, errors: &FieldErrors) -> Markup {
    registration_page(
        4,
        "Inserisci la tua email",
        html! {
            h1 { "Inserisci la tua email" }
            (error_summary(errors))
            p { "Inserisci l'indirizzo email da associare al tuo profilo: ti verrà proposto anche come username per accedere alla tua Area Clienti. Inserisci un indirizzo che usi regolarmente e clicca su " strong { "SALVA" } "." }
            p class="warning" { strong { "Attenzione: " } "non sono ammessi indirizzi di Posta Elettronica Certificata (PEC)." }
            form method="post" action=(Step::Email.path()) novalidate {
                input type="hidden" name="azione" value="salva";
                (Field::text("email", "Email", value).kind("email").autocomplete("email").inputmode("email").render(errors))
                div class="btn-row" {
                    a class="btn btn-secondary" href=(Step::Profile.path()) { "INDIETRO" }
                    button class="btn btn-primary" type="submit" { "SALVA" }
                }
            }
        },
    )
}

fn username_page(r: &Registration, username: &str, editing: bool, errors: &FieldErrors) -> Markup {
    registration_page(
        4,
        "Scegli la tua username",
        html! {
            h1 { "Scegli la tua username" }
            (error_summary(errors))
            p { "Email: " strong { (r.email) } " " a href={ (Step::Email.path()) "?modifica=email" } { "Modifica email" } }
            p { "Ti proponiamo come username il tuo indirizzo email. Se vuoi usarne un'altra, clicca su " strong { "MODIFICA" } ". Infine clicca su " strong { "AVANTI" } ": ti invieremo una email per confermare l'indirizzo." }
            form method="post" action=(Step::Email.path()) novalidate {
                input type="hidden" name="azione" value="avanti";
                @if editing {
                    (Field::text("username", "Username", username).autocomplete("username")
                        .hint("Da 3 a 64 caratteri: lettere minuscole, numeri e . _ - @").render(errors))
                } @else {
                    div class="field" {
                        p { "Username: " strong { (username) } }
                        a class="btn btn-secondary" href={ (Step::Email.path()) "?modifica=username" } { "MODIFICA" }
                    }
                }
                div class="btn-row" {
                    a class="btn btn-secondary" href=(Step::Profile.path()) { "INDIETRO" }
                    button class="btn btn-primary" type="submit" { "AVANTI" }
                }
            }
        },
    )
}

fn sent_page(r: &Registration, resent: bool, errors: &FieldErrors) -> Markup {
    registration_page(
        4,
        "Conferma la tua email",
        html! {
            h1 { "Conferma la tua email" }
            (error_summary(errors))
            @if resent { p class="success" role="status" { "Ti abbiamo inviato una nuova email: il link precedente non è più valido." } }
            p { "Ti abbiamo inviato una email all'indirizzo " strong { (r.email) } ". Apri la email e clicca sul link " strong { "CONFERMA EMAIL" } " per proseguire: puoi aprirla anche da un altro dispositivo. Il link è valido 24 ore." }
            p class="notice" { strong { "Suggerimento: " } "se non dovesse arrivarti la email, controlla l'indirizzo inserito durante la registrazione oppure la cartella \"Posta indesiderata\" oppure i filtri anti-spam del tuo sistema di posta elettronica. Il mittente della email è \"TIM - convenzionemobile8@telecomitalia.it\"." }
            form method="post" action=(Step::Email.path()) class="inline-form" {
                input type="hidden" name="azione" value="invia-di-nuovo";
                button class="btn btn-secondary" type="submit" { "INVIA DI NUOVO" }
            }
            p { a href={ (Step::Email.path()) "?modifica=email" } { "Modifica l'indirizzo email" } }
        },
    )
}
