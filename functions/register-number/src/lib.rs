//! Registration step 1: the company mobile number and the slider check ("barra di
//! controllo"). A valid submission starts a registration flow and sends the SMS code.

use lambda_http::Request;
use maud::{html, Markup};
use shared::domain::MobileNumber;
use shared::flows::challenge::{self, ChallengeError};
use shared::flows::registration::{Registration, Step, KIND, TTL_SECS};
use shared::flows::{record, registration_step as step};
use shared::notify::messages;
use shared::pages::{error_summary, registration_page, Field, FieldErrors};
use shared::store::{lines, otp, rate};
use shared::web::{self, Form, Resp, WebError};
use shared::{crypto, limits, sms, App};

pub async fn handle(app: &App, req: Request) -> Resp {
    web::respond(if web::is_post(&req) {
        post(app, &req).await
    } else {
        get(app, &req).await
    })
}

async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let expired = web::query_param(req, "scaduta").is_some();
    let number = step::load(app, req).await?.map(|f| {
        MobileNumber::parse(&f.data.number)
            .map(|n| n.pretty())
            .unwrap_or_default()
    });
    let notice = expired.then_some("La sessione di registrazione è scaduta o non è più valida: inserisci di nuovo il tuo numero per ricominciare.");
    Ok(web::html(
        200,
        page(
            app,
            number.as_deref().unwrap_or(""),
            &FieldErrors::default(),
            notice,
        ),
    ))
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let form = Form::from_request(req);
    let typed = form.get("numero");
    let mut errors = FieldErrors::default();
    let number = MobileNumber::parse(typed)
        .map_err(|e| errors.add("numero", e))
        .ok();
    let now = app.now();
    let passed = match challenge::verify(
        app.store.as_ref(),
        &app.config.flow_secret,
        form.get("challenge"),
        form.get("conferma"),
        form.get("pow"),
        now,
    )
    .await?
    {
        Ok(p) => Some(p),
        Err(e) => {
            errors.add("conferma", challenge_message(e));
            None
        }
    };
    let (Some(number), Some(passed)) = (number, passed) else {
        return Ok(web::html(422, page(app, typed, &errors, None)));
    };
    let ip_limit = if passed.with_pow {
        limits::REGISTER_PER_IP
    } else {
        limits::REGISTER_PER_IP_NO_POW
    };
    if !rate::hit(app.store.as_ref(), ip_limit, &web::client_ip(req), now).await? {
        errors.add("numero", "Hai effettuato troppe richieste di registrazione da questa connessione. Riprova tra un'ora.");
        return Ok(web::html(429, page(app, typed, &errors, None)));
    }
    // Only active SIMs of the Convenzione; the message says nothing about the number elsewhere.
    let Some(line) = lines::active(app.store.as_ref(), &number).await? else {
        errors.add(
            "numero",
            "Il numero inserito non risulta tra le linee TIM attive in Convenzione Telefonia Mobile 8. Controlla il numero o rivolgiti al referente del tuo Ente.",
        );
        return Ok(web::html(422, page(app, typed, &errors, None)));
    };
    let rid = crypto::random_token();
    if let Err(refused) = sms::send_otp(
        app,
        otp::Purpose::Registration,
        &rid,
        &number,
        true,
        messages::sms_registration_otp,
    )
    .await?
    {
        errors.add("numero", <&str>::from(refused));
        return Ok(web::html(429, page(app, typed, &errors, None)));
    }
    let data = Registration::start(
        rid,
        number.e164().to_owned(),
        line.entity_cf.as_str().to_owned(),
        line.ragione_sociale,
        now,
    );
    let (id, _) = record::create(app.store.as_ref(), KIND, data, TTL_SECS, now).await?;
    tracing::info!(step = "register-number", "registration started, code sent");
    Ok(web::redirect_with_cookies(
        Step::Otp.path(),
        &[step::cookie(app, &id)],
    ))
}

fn challenge_message(e: ChallengeError) -> &'static str {
    match e {
        ChallengeError::SliderNotAtEnd => {
            "Trascina il cursore fino all'estremità destra della barra di controllo."
        }
        ChallengeError::TooFast => {
            "Verifica non superata: trascina di nuovo il cursore fino all'estremità destra."
        }
        ChallengeError::Expired | ChallengeError::Invalid | ChallengeError::Reused => {
            "La verifica è scaduta: trascina di nuovo il cursore fino all'estremità destra."
        }
    }
}

fn page(app: &App, number: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let token = challenge::issue(&app.config.flow_secret, app.now());
    let slider_error = errors.get("conferma");
    registration_page(
        1,
        "Inserisci il numero aziendale",
        html! {
            h1 { "Inserisci il numero aziendale" }
            @if let Some(n) = notice { p class="notice" role="status" { (n) } }
            (error_summary(errors))
            p { "In questa pagina inserisci il " strong { "numero mobile TIM in Convenzione 8" } ". Poi trascina il cursore dall'estremità sinistra a quella destra della barra orizzontale di controllo e clicca su " strong { "AVANTI" } "." }
            form method="post" action=(Step::Number.path()) novalidate {
                (Field::text("numero", "Numero mobile TIM in Convenzione 8", number)
                    .kind("tel").autocomplete("tel-national").inputmode("tel")
                    .hint("Ad esempio 333 123 4567").render(errors))
                div class="field slider-check" {
                    label for="conferma" { "Barra di controllo: trascina il cursore fino all'estremità destra" }
                    p class="hint" id="conferma-hint" { "Con la tastiera: seleziona il cursore e premi il tasto Fine (End) o la freccia destra fino in fondo." }
                    @if let Some(e) = slider_error { p class="field-error" id="conferma-error" { span class="visually-hidden" { "Errore: " } (e) } }
                    input type="range" id="conferma" name="conferma" min="0" max=(challenge::SLIDER_END) step="1" value="0"
                        data-pow-nonce=(challenge::nonce(&app.config.flow_secret, &token).map(|(n, _)| n).unwrap_or_default())
                        aria-valuetext="Cursore all'inizio"
                        aria-invalid=[slider_error.map(|_| "true")]
                        aria-describedby=(if slider_error.is_some() { "conferma-hint conferma-error" } else { "conferma-hint" });
                    input type="hidden" name="challenge" value=(token);
                    input type="hidden" name="pow" value="";
                }
                div class="notice" {
                    p { strong { "Suggerimento: " } "il numero mobile TIM è quello sulla base del quale il Portale effettuerà la corretta profilatura e visualizzerà le funzionalità previste. Non inserire numerazioni non legate a contratti mobili in Convenzione Telefonia Mobile 8." }
                    p { "Sei un utente precedentemente registrato al Portale della Convenzione di Telefonia Mobile 6 o 7? Non hai bisogno di registrarti nuovamente: se la tua linea è ora attiva in Convenzione Mobile 8, " a href=(shared::routes::LOGIN) { "accedi con la username e la password già in tuo possesso" } "." }
                }
                div class="btn-row" {
                    a class="btn btn-secondary" href=(shared::routes::HOME) { "INDIETRO" }
                    button class="btn btn-primary" type="submit" { "AVANTI" }
                }
            }
        },
    )
}
