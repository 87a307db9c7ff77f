//! Recovery, the SMS code: in mode 3 it proves the SIM before the email with the username
//! and the reset link; after a reset link is opened it proves the SIM before the new
//! password. "Invia di nuovo" replaces the code. A flow for data that matched no account
//! behaves the same: its code exists but was never sent, so every guess is wrong.

use lambda_http::Request;
use maud::{html, Markup};
use shared::domain::OtpCode;
use shared::flows::record::{self, FlowError};
use shared::flows::recovery::{self, Mode, RecoveryFlow, State, Step, TTL_SECS};
use shared::notify::messages;
use shared::pages::{otp as otp_page, FieldErrors};
use shared::store::accounts::{self, Status};
use shared::store::otp::{self, OtpError};
use shared::ui::layout;
use shared::web::{self, Form, Resp, WebError};
use shared::{routes, sms, App};

pub async fn handle(app: &App, req: Request) -> Resp {
    web::respond(if web::is_post(&req) {
        post(app, &req).await
    } else {
        get(app, &req).await
    })
}

fn sent_redirect() -> Resp {
    web::redirect(&format!(
        "{}?inviato={}",
        routes::RECOVER,
        Mode::Both.slug()
    ))
}

async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let flow = match recovery::enter(app, req, Step::Code).await? {
        Ok(f) => f,
        Err(redirect) => return Ok(redirect),
    };
    if flow.data.state == State::LinkSent {
        return Ok(sent_redirect());
    }
    let notice = web::query_param(req, "nuovo").map(|_| otp_page::NEW_CODE_NOTICE);
    Ok(web::html(
        200,
        page(&flow.data.number, &FieldErrors::default(), notice),
    ))
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let mut flow = match recovery::enter(app, req, Step::Code).await? {
        Ok(f) => f,
        Err(redirect) => return Ok(redirect),
    };
    if flow.data.state == State::LinkSent {
        return Ok(sent_redirect());
    }
    let form = Form::from_request(req);
    if form.get("azione") == otp_page::RESEND_ACTION {
        return resend(app, &mut flow).await;
    }
    let mut errors = FieldErrors::default();
    let code = match OtpCode::parse(form.get(otp_page::FIELD)) {
        Ok(c) => c,
        Err(e) => {
            errors.add(otp_page::FIELD, e);
            return Ok(web::html(422, page(&flow.data.number, &errors, None)));
        }
    };
    let verified = otp::verify(
        app.store.as_ref(),
        &app.config.flow_secret,
        otp::Purpose::Recovery,
        &flow.data.rid,
        &code,
        app.now(),
    )
    .await;
    match verified {
        Ok(()) => code_verified(app, flow).await,
        Err(OtpError::Expired | OtpError::Missing) => Ok(web::html(410, expired_page())),
        Err(OtpError::Store(e)) => Err(e.into()),
        Err(e) => {
            errors.add(
                otp_page::FIELD,
                otp_page::guess_error(&e, otp_page::RESEND_LABEL).unwrap_or_default(),
            );
            Ok(web::html(422, page(&flow.data.number, &errors, None)))
        }
    }
}

async fn code_verified(app: &App, mut flow: RecoveryFlow) -> Result<Resp, WebError> {
    let identifying = flow.data.state == State::IdentifyCodeSent;
    if flow.data.code_verified().is_err() {
        // Only an impossible guess for data without an account ends here: same as wrong.
        let mut errors = FieldErrors::default();
        errors.add(
            otp_page::FIELD,
            otp_page::guess_error(&OtpError::Wrong { remaining: 1 }, otp_page::RESEND_LABEL)
                .unwrap_or_default(),
        );
        return Ok(web::html(422, page(&flow.data.number, &errors, None)));
    }
    match record::save(app.store.as_ref(), &mut flow, TTL_SECS, app.now()).await {
        Ok(()) => {}
        Err(FlowError::Conflict) => return Ok(web::redirect(flow.data.state.path())),
        Err(FlowError::Store(e)) => return Err(e.into()),
    }
    if !identifying {
        return Ok(web::redirect(Step::NewPassword.path()));
    }
    let account_id = flow.data.account_id.as_deref().unwrap_or_default();
    if let Some(account) = accounts::get(app.store.as_ref(), account_id)
        .await?
        .filter(|a| a.status == Status::Active)
    {
        if recovery::request_allowed(app, &flow.data.rid, Mode::Both).await? {
            recovery::send_reset_link(app, &account, true).await?;
            tracing::info!(
                step = "recover-otp",
                mode = "both",
                "username and reset link sent"
            );
        }
    }
    Ok(sent_redirect())
}

async fn resend(app: &App, flow: &mut RecoveryFlow) -> Result<Resp, WebError> {
    let d = &flow.data;
    let deliver = d.account_id.is_some();
    if let Err(message) = sms::resend(
        app,
        d.otp_sent_at,
        &d.number,
        otp::Purpose::Recovery,
        &d.rid,
        deliver,
        messages::sms_recovery_otp,
    )
    .await?
    {
        let mut errors = FieldErrors::default();
        errors.add(otp_page::FIELD, message);
        return Ok(web::html(429, page(&flow.data.number, &errors, None)));
    }
    flow.data.otp_sent_at = app.now();
    match record::save(app.store.as_ref(), flow, TTL_SECS, app.now()).await {
        Ok(()) | Err(FlowError::Conflict) => {
            Ok(web::redirect(&format!("{}?nuovo=1", routes::RECOVER_OTP)))
        }
        Err(FlowError::Store(e)) => Err(e.into()),
    }
}

fn page(number: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let intro = html! { "Se i dati sono corretti, riceverai un SMS dal numero 40134 con il codice temporaneo (OTP) sul numero " strong { (otp_page::masked(number)) } ". Inseriscilo qui sotto e clicca su " strong { "AVANTI" } "." };
    let back = Some((routes::RECOVER, "INDIETRO"));
    layout::flow_page(
        "Inserisci il codice temporaneo",
        html! { div class="container narrow" { (otp_page::code_section(routes::RECOVER_OTP, "AVANTI", back, intro, errors, notice)) } },
    )
}

fn expired_page() -> Markup {
    layout::flow_page(
        "Codice temporaneo scaduto",
        html! { div class="container narrow" { (otp_page::expired(routes::RECOVER_OTP)) } },
    )
}
