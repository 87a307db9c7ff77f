//! "Recupera Username e Password" (guide, end of section 4): the user picks one of the 3
//! modes, clicks AVANTI, enters the data used at registration. Modes 1 and 2 end here
//! with an SMS and/or an email; mode 3 continues on the code page.
//!
//! Whatever was typed, the answer is the same page (or the same code page): it never
//! says whether an account exists. Caps per IP, per number and per account.

use lambda_http::Request;
use maud::{html, Markup};
use shared::domain::{CodiceFiscalePersona, MobileNumber, Username};
use shared::flows::record;
use shared::flows::recovery::{self, Mode, Recovery, KIND, TTL_SECS};
use shared::notify::messages;
use shared::pages::{error_summary, Field, FieldErrors};
use shared::store::accounts::{self, Account, Status};
use shared::store::uniqueness::Kind;
use shared::store::{otp, rate};
use shared::ui::layout;
use shared::web::{self, Form, Resp, WebError};
use shared::{crypto, limits, routes, sms, App};

pub async fn handle(app: &App, req: Request) -> Resp {
    web::respond(if web::is_post(&req) {
        post(app, &req).await
    } else {
        Ok(get(&req))
    })
}

fn get(req: &Request) -> Resp {
    if let Some(mode) = web::query_param(req, "inviato")
        .as_deref()
        .and_then(Mode::parse)
    {
        return web::html(200, sent_page(mode));
    }
    match web::query_param(req, "modalita") {
        // AVANTI without a choice: say so (the form always sends `scelta`).
        None if web::query_param(req, "scelta").is_some() => {
            let mut errors = FieldErrors::default();
            errors.add("modalita", "Seleziona una delle 3 modalità di recupero.");
            web::html(422, choose_page(&errors, None))
        }
        None => {
            let notice = web::query_param(req, "scaduta")
                .map(|_| "La procedura di recupero è scaduta o non è più valida: scegli di nuovo cosa hai dimenticato.");
            web::html(200, choose_page(&FieldErrors::default(), notice))
        }
        Some(m) => match Mode::parse(&m) {
            Some(mode) => web::html(
                200,
                data_page(mode, &Values::default(), &FieldErrors::default()),
            ),
            None => {
                let mut errors = FieldErrors::default();
                errors.add("modalita", "Seleziona una delle 3 modalità di recupero.");
                web::html(422, choose_page(&errors, None))
            }
        },
    }
}

#[derive(Default)]
struct Values {
    numero: String,
    cf: String,
    username: String,
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let form = Form::from_request(req);
    let Some(mode) = Mode::parse(form.get("modalita")) else {
        let mut errors = FieldErrors::default();
        errors.add("modalita", "Seleziona una delle 3 modalità di recupero.");
        return Ok(web::html(422, choose_page(&errors, None)));
    };
    let values = Values {
        numero: form.get("numero").trim().to_owned(),
        cf: form.get("cf_personale").trim().to_owned(),
        username: form.get("username").trim().to_owned(),
    };
    let mut errors = FieldErrors::default();
    let identity = match mode {
        Mode::Username | Mode::Both => {
            let number = MobileNumber::parse(&values.numero)
                .map_err(|e| errors.add("numero", e))
                .ok();
            let cf = CodiceFiscalePersona::parse(&values.cf)
                .map_err(|e| errors.add("cf_personale", e))
                .ok();
            number.zip(cf)
        }
        Mode::Password => {
            if values.username.is_empty() {
                errors.add("username", "Inserisci la tua username.");
            }
            None
        }
    };
    if !errors.is_empty() {
        return Ok(web::html(422, data_page(mode, &values, &errors)));
    }
    if !rate::hit(
        app.store.as_ref(),
        limits::RECOVER_PER_IP,
        &web::client_ip(req),
        app.now(),
    )
    .await?
    {
        errors.add(first_field(mode), "Hai effettuato troppe richieste di recupero da questa connessione. Riprova tra un'ora.");
        return Ok(web::html(429, data_page(mode, &values, &errors)));
    }
    match (mode, identity) {
        (Mode::Password, _) => forgot_password(app, &values.username).await,
        (Mode::Username, Some((number, cf))) => forgot_username(app, &number, &cf).await,
        (Mode::Both, Some((number, cf))) => forgot_both(app, &number, &cf, &values).await,
        _ => unreachable!("identity parsed above for the modes that need it"),
    }
}

fn first_field(mode: Mode) -> &'static str {
    if mode == Mode::Password {
        "username"
    } else {
        "numero"
    }
}

/// The active account registered with this number and personal codice fiscale.
async fn account_for(
    app: &App,
    number: &MobileNumber,
    cf: &CodiceFiscalePersona,
) -> Result<Option<Account>, WebError> {
    let account =
        accounts::by_claim(app.store.as_ref(), Kind::Number, number.e164(), app.now()).await?;
    Ok(account.filter(|a| a.status == Status::Active && a.personal_cf == cf.as_str()))
}

/// Mode 1. The same counters are charged whether or not the data match an account; only
/// the SMS and the email are skipped for data that match none.
async fn forgot_username(
    app: &App,
    number: &MobileNumber,
    cf: &CodiceFiscalePersona,
) -> Result<Resp, WebError> {
    let account = account_for(app, number, cf).await?;
    let subject = recovery::identity_subject(number.e164(), cf.as_str());
    if recovery::request_allowed(app, &subject, Mode::Username).await? {
        let text = account
            .as_ref()
            .map(|a| messages::sms_recovered_username(&a.username))
            .unwrap_or_default();
        // A refused SMS (caps) is not reported: the email still carries the username.
        if sms::send_text(
            app,
            otp::Purpose::Recovery,
            number,
            account.is_some(),
            &text,
        )
        .await?
        .is_err()
        {
            tracing::warn!(step = "recover-start", "username SMS refused by the caps");
        }
        if let Some(account) = &account {
            let login = format!("{}{}", app.config.public_base_url, routes::LOGIN);
            app.notifier
                .email(&messages::email_recovered_username(
                    &account.email,
                    &account.username,
                    &login,
                ))
                .await?;
            tracing::info!(step = "recover-start", mode = "username", "username sent");
        }
    }
    Ok(web::redirect(&format!(
        "{}?inviato={}",
        routes::RECOVER,
        Mode::Username.slug()
    )))
}

async fn forgot_password(app: &App, typed: &str) -> Result<Resp, WebError> {
    // Only a valid username can name an account; anything else is looked up nowhere (a
    // 512-character value would make a key over DynamoDB's 2048-byte limit) and gets the
    // same answer as an unknown one.
    let username = Username::parse(typed).ok();
    let account = match &username {
        Some(u) => accounts::by_claim(app.store.as_ref(), Kind::Username, u.as_str(), app.now())
            .await?
            .filter(|a| a.status == Status::Active),
        None => None,
    };
    let subject = crypto::token_hash(&format!(
        "username:{}",
        username.as_ref().map_or(typed, |u| u.as_str())
    ));
    if recovery::request_allowed(app, &subject, Mode::Password).await? {
        if let Some(account) = account {
            recovery::send_reset_link(app, &account, false).await?;
            tracing::info!(step = "recover-start", mode = "password", "reset link sent");
        }
    }
    Ok(web::redirect(&format!(
        "{}?inviato={}",
        routes::RECOVER,
        Mode::Password.slug()
    )))
}

/// Mode 3: a code to the number if the data match an account; if they do not, a code is
/// still issued (never sent) under the same counters, so the next page behaves exactly
/// alike. The code's subject derives from what was typed, so a double click sends one SMS.
async fn forgot_both(
    app: &App,
    number: &MobileNumber,
    cf: &CodiceFiscalePersona,
    values: &Values,
) -> Result<Resp, WebError> {
    let subject = recovery::identity_subject(number.e164(), cf.as_str());
    let account = account_for(app, number, cf).await?;
    let deliver = account.is_some();
    if let Err(refused) = sms::send_otp_once(
        app,
        otp::Purpose::Recovery,
        &subject,
        number,
        deliver,
        messages::sms_recovery_otp,
    )
    .await?
    {
        let mut errors = FieldErrors::default();
        errors.add("numero", <&str>::from(refused));
        return Ok(web::html(429, data_page(Mode::Both, values, &errors)));
    }
    let data = Recovery::identify(
        subject,
        account.map(|a| a.id),
        number.e164().to_owned(),
        app.now(),
    );
    let (id, _) = record::create(app.store.as_ref(), KIND, data, TTL_SECS, app.now()).await?;
    Ok(web::redirect_with_cookies(
        routes::RECOVER_OTP,
        &[recovery::cookie(app, &id)],
    ))
}

fn frame(title: &str, body: Markup) -> Markup {
    layout::flow_page(title, html! { div class="container narrow" { (body) } })
}

fn choose_page(errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let err = errors.get("modalita");
    frame(
        "Recupera Username e Password",
        html! {
            h1 { "Recupera Username e Password" }
            @if let Some(n) = notice { p class="notice" role="status" { (n) } }
            (error_summary(errors))
            p { "Seleziona una delle 3 modalità, clicca su " strong { "AVANTI" } " ed inserisci le informazioni richieste utilizzate durante la registrazione al Portale. Riceverai una email o un SMS contenente le informazioni necessarie per proseguire nell'operazione desiderata." }
            form method="get" action=(routes::RECOVER) novalidate {
                input type="hidden" name="scelta" value="1";
                fieldset class="field" aria-describedby=[err.map(|_| "modalita-error")] {
                    legend { "Cosa hai dimenticato?" }
                    @if let Some(e) = err { p class="field-error" id="modalita-error" { span class="visually-hidden" { "Errore: " } (e) } }
                    @for (i, mode) in Mode::ALL.iter().enumerate() {
                        @let id = if i == 0 { "modalita".to_owned() } else { format!("modalita-{}", mode.slug()) };
                        label class="checkbox" {
                            input type="radio" id=(id) name="modalita" value=(mode.slug()) required;
                            span { strong { (mode.title()) } br; span class="hint" { (mode.description()) } }
                        }
                    }
                }
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::LOGIN) { "INDIETRO" }
                    button class="btn btn-primary" type="submit" { "AVANTI" }
                }
            }
        },
    )
}

fn data_page(mode: Mode, v: &Values, errors: &FieldErrors) -> Markup {
    frame(
        mode.title(),
        html! {
            h1 { (mode.title()) }
            (error_summary(errors))
            p { (mode.description()) }
            form method="post" action=(routes::RECOVER) novalidate {
                input type="hidden" name="modalita" value=(mode.slug());
                @if mode == Mode::Password {
                    (Field::text("username", "Username", &v.username).autocomplete("username").render(errors))
                } @else {
                    (Field::text("numero", "Numero mobile TIM in Convenzione 8", &v.numero).kind("tel").autocomplete("tel-national").inputmode("tel")
                        .hint("Il numero usato in registrazione, ad esempio 333 123 4567").render(errors))
                    (Field::text("cf_personale", "Codice Fiscale personale", &v.cf).hint("16 caratteri, ad esempio RSSMRA85T10A562S").render(errors))
                }
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::RECOVER) { "INDIETRO" }
                    button class="btn btn-primary" type="submit" { "AVANTI" }
                }
            }
        },
    )
}

fn sent_page(mode: Mode) -> Markup {
    let text = match mode {
        Mode::Username => "Se i dati inseriti sono corretti, riceverai a breve un SMS sul numero indicato e una email all'indirizzo associato al tuo account con la tua username.",
        Mode::Password => "Se i dati inseriti sono corretti, riceverai a breve una email all'indirizzo associato al tuo account con un link per scegliere una nuova password. Il link è valido 30 minuti.",
        Mode::Both => "Se i dati inseriti sono corretti, riceverai a breve una email con la tua username e un link per scegliere una nuova password.",
    };
    frame(
        "Richiesta inviata",
        html! {
            h1 { "Richiesta inviata" }
            p class="success" role="status" { (text) }
            p { "Se non ricevi nulla, controlla i dati inseriti e la cartella \"Posta indesiderata\", poi riprova." }
            div class="btn-row" {
                a class="btn btn-secondary" href=(routes::RECOVER) { "NUOVA RICHIESTA" }
                a class="btn btn-primary" href=(routes::LOGIN) { "ACCEDI" }
            }
        },
    )
}
