//! Login, second step: the SMS code. ACCEDI with the right code opens the private area
//! with a new session; "Invia di nuovo" sends a code that replaces the previous one.

use lambda_http::Request;
use maud::{html, Markup};
use shared::domain::OtpCode;
use shared::flows::login::{self, LoginFlow, TTL_SECS};
use shared::flows::record::{self, FlowError};
use shared::notify::messages;
use shared::pages::{otp as otp_page, FieldErrors};
use shared::store::accounts::{self, Status};
use shared::store::otp::{self, OtpError};
use shared::ui::layout;
use shared::web::{self, Form, Resp, WebError};
use shared::{routes, session, sms, App};

pub async fn handle(app: &App, req: Request) -> Resp {
    web::respond(if web::is_post(&req) {
        post(app, &req).await
    } else {
        get(app, &req).await
    })
}

async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let flow = match login::enter_code_step(app, req).await? {
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
    let mut flow = match login::enter_code_step(app, req).await? {
        Ok(f) => f,
        Err(redirect) => return Ok(redirect),
    };
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
    let now = app.now();
    match otp::verify(
        app.store.as_ref(),
        &app.config.flow_secret,
        otp::Purpose::Login,
        &flow.data.account_id,
        &code,
        now,
    )
    .await
    {
        Ok(()) => sign_in(app, req, flow).await,
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

/// The right code: a new session for the account, unless the account changed since the
/// password was checked (ceased, or its password reset).
async fn sign_in(app: &App, req: &Request, mut flow: LoginFlow) -> Result<Resp, WebError> {
    let account = accounts::get(app.store.as_ref(), &flow.data.account_id).await?;
    let Some(account) =
        account.filter(|a| a.status == Status::Active && a.session_epoch == flow.data.epoch)
    else {
        record::delete(app.store.as_ref(), &flow).await?;
        return Ok(web::redirect_with_cookies(
            &format!("{}?scaduta=1", routes::LOGIN),
            &[web::clear_cookie(login::COOKIE, app.config.cookie_secure)],
        ));
    };
    if flow.data.complete().is_err() {
        return Ok(web::redirect(&flow.data.next));
    }
    match record::save(app.store.as_ref(), &mut flow, TTL_SECS, app.now()).await {
        Ok(()) => {}
        // A double-submitted code: the first request signed in.
        Err(FlowError::Conflict) => return Ok(web::redirect(&flow.data.next)),
        Err(FlowError::Store(e)) => return Err(e.into()),
    }
    let session_cookie = session::start(app, req, &account).await?;
    tracing::info!(step = "login-otp", outcome = "signed-in", account = %shared::crypto::log_id(&account.id), viewer = %web::client_ip(req), "signed in");
    Ok(web::redirect_with_cookies(
        &flow.data.next,
        &[
            session_cookie,
            web::clear_cookie(login::COOKIE, app.config.cookie_secure),
        ],
    ))
}

async fn resend(app: &App, flow: &mut LoginFlow) -> Result<Resp, WebError> {
    let d = &flow.data;
    if let Err(message) = sms::resend(
        app,
        d.otp_sent_at,
        &d.number,
        otp::Purpose::Login,
        &d.account_id,
        true,
        messages::sms_login_otp,
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
            Ok(web::redirect(&format!("{}?nuovo=1", routes::LOGIN_OTP)))
        }
        Err(FlowError::Store(e)) => Err(e.into()),
    }
}

fn page(number: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let intro = html! { "Ti abbiamo inviato un SMS dal numero 40134 con il codice temporaneo (OTP) sul numero " strong { (otp_page::masked(number)) } ". Inseriscilo qui sotto e clicca su " strong { "ACCEDI" } "." };
    layout::flow_page(
        "Inserisci il codice temporaneo",
        html! {
            div class="container narrow" {
                (otp_page::code_section(routes::LOGIN_OTP, "ACCEDI", None, intro, errors, notice))
                p { a href=(routes::LOGIN) { "Torna all'accesso" } }
            }
        },
    )
}

fn expired_page() -> Markup {
    layout::flow_page(
        "Codice temporaneo scaduto",
        html! { div class="container narrow" { (otp_page::expired(routes::LOGIN_OTP)) } },
    )
}
