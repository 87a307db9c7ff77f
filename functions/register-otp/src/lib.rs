//! Registration step 2: the SMS code (OTP). AVANTI verifies it; INVIA DI NUOVO and
//! RICHIEDI UN NUOVO CODICE send a new one that replaces the old.

use lambda_http::Request;
use maud::{html, Markup};
use shared::domain::OtpCode;
use shared::flows::registration::Step;
use shared::flows::registration_step as step;
use shared::notify::messages;
use shared::pages::{error_summary, otp as otp_page, registration_page, FieldErrors};
use shared::store::otp::{self, OtpError};
use shared::web::{self, Form, Resp, WebError};
use shared::{sms, App};

pub async fn handle(app: &App, req: Request) -> Resp {
    web::respond(if web::is_post(&req) {
        post(app, &req).await
    } else {
        get(app, &req).await
    })
}

async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let flow = match step::enter(app, req, Step::Otp).await? {
        Ok(f) => f,
        Err(redirect) => return Ok(redirect),
    };
    let notice = web::query_param(req, "nuovo").map(|_| otp_page::NEW_CODE_NOTICE);
    Ok(web::html(
        200,
        page(&flow.data.number, &FieldErrors::default(), notice),
    ))
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let mut flow = match step::enter(app, req, Step::Otp).await? {
        Ok(f) => f,
        Err(redirect) => return Ok(redirect),
    };
    let form = Form::from_request(req);
    let now = app.now();
    let mut errors = FieldErrors::default();
    if form.get("azione") == otp_page::RESEND_ACTION {
        let d = &flow.data;
        if let Err(message) = sms::resend(
            app,
            d.otp_sent_at,
            &d.number,
            otp::Purpose::Registration,
            &d.rid,
            true,
            messages::sms_registration_otp,
        )
        .await?
        {
            errors.add(otp_page::FIELD, message);
            return Ok(web::html(429, page(&flow.data.number, &errors, None)));
        }
        flow.data.otp_sent_at = now;
        step::save_and_continue(app, &mut flow).await?;
        return Ok(web::redirect(&format!("{}?nuovo=1", Step::Otp.path())));
    }
    let code = match OtpCode::parse(form.get("codice")) {
        Ok(c) => c,
        Err(e) => {
            errors.add("codice", e);
            return Ok(web::html(422, page(&flow.data.number, &errors, None)));
        }
    };
    match otp::verify(
        app.store.as_ref(),
        &app.config.flow_secret,
        otp::Purpose::Registration,
        &flow.data.rid,
        &code,
        now,
    )
    .await
    {
        Ok(()) => {
            if flow.data.otp_verified().is_err() {
                return Ok(web::redirect(flow.data.state.step().path()));
            }
            step::save_and_continue(app, &mut flow).await
        }
        Err(OtpError::Expired) | Err(OtpError::Missing) => Ok(web::html(410, expired_page())),
        Err(e @ (OtpError::Wrong { .. } | OtpError::TooManyAttempts)) => {
            errors.add(
                "codice",
                otp_page::guess_error(&e, "INVIA DI NUOVO").unwrap_or_default(),
            );
            Ok(web::html(422, page(&flow.data.number, &errors, None)))
        }
        Err(OtpError::Store(e)) => Err(e.into()),
    }
}

fn page(number: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    registration_page(
        2,
        "Inserisci il codice temporaneo",
        html! {
            h1 { "Inserisci il codice temporaneo" }
            @if let Some(n) = notice { p class="success" role="status" { (n) } }
            (error_summary(errors))
            p { "Inserisci il codice temporaneo (OTP = One Time Password) ricevuto via SMS dal numero 40134 sul numero " strong { (otp_page::masked(number)) } " nell'apposito campo e clicca su " strong { "AVANTI" } "." }
            (otp_page::code_form(Step::Otp.path(), "AVANTI", Some((Step::Number.path(), "INDIETRO")), errors))
            p { "Se non ricevi l'SMS o non hai utilizzato il codice temporaneo entro 5 minuti, clicca su " strong { "INVIA DI NUOVO" } "." }
            (otp_page::resend_form(Step::Otp.path(), "INVIA DI NUOVO", "btn btn-secondary"))
        },
    )
}

fn expired_page() -> Markup {
    registration_page(
        2,
        "Codice temporaneo scaduto",
        otp_page::expired(Step::Otp.path()),
    )
}
