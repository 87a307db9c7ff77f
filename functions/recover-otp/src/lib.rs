//! Recovery, the code page, and the wiring of the step `shared::flows::recovery::code`
//! decides (the code, or "Invia di nuovo").

use lambda_http::Request;
use maud::{html, Markup};
use shared::flows::recovery::{code, Recovery};
use shared::pages::{otp as otp_page, FieldErrors};
use shared::ui::layout;
use shared::web::{Form, Resp, WebError};
use shared::{routes, App};

shared::step!(get: get, post: post);

async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let elsewhere = |r: &Recovery| code::elsewhere(r.state);
    Ok(otp_page::show(
        app,
        req,
        elsewhere,
        |r: &Recovery| &r.number,
        |n, e, notice| page(app, n, e, notice),
    )
    .await)
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let form: code::Form = Form::from_request(req).typed();
    let client = shared::web::client_ip(req);
    let decide = |flow| code::decide(app, flow, &form, &client);
    otp_page::submit(
        app,
        req,
        |r: &Recovery| &r.number,
        decide,
        |n, e, notice| page(app, n, e, notice),
    )
    .await
}

fn page(app: &App, number: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let intro = html! { "Se i dati sono corretti, riceverai un SMS " (app.config.sms_sender.from_phrase())
    " con il codice temporaneo (OTP) sul numero " strong { (otp_page::masked(number)) }
    ". Inseriscilo qui sotto e clicca su " strong { "AVANTI" } "." };
    let back = Some((routes::RECOVER, "INDIETRO"));
    layout::flow_page(
        "Inserisci il codice temporaneo",
        html! { div class="container narrow" {
            (otp_page::code_section(routes::RECOVER_OTP, "AVANTI", back, intro, errors, notice))
        } },
    )
}
