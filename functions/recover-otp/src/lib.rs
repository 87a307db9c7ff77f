//! Recovery, the code page, and the wiring of the step `shared::flows::recovery::code`
//! decides (the code, or "Invia di nuovo").

use lambda_http::Request;
use maud::{html, Markup};
use shared::flows::recovery::{self, code};
use shared::pages::{otp as otp_page, FieldErrors};
use shared::ui::layout;
use shared::web::{self, Form, Resp, WebError};
use shared::{engine, routes, App};

shared::step!(get: get, post: post);

/// Shown from the state the cookie carries: no read.
async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let Some(flow) = recovery::carried(app, req) else {
        return Ok(web::redirect(&recovery::expired()));
    };
    if let Some(to) = code::elsewhere(flow.data.state) {
        return Ok(web::redirect(&to));
    }
    let notice = web::query_param(req, "nuovo").map(|_| otp_page::NEW_CODE_NOTICE);
    Ok(web::html(
        200,
        page(flow.data.number.e164(), &FieldErrors::default(), notice),
    ))
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let form: code::Form = Form::from_request(req).typed();
    let number = recovery::carried(app, req).map(|f| f.data.number);
    let draw = |errors: &FieldErrors| page(number.as_ref().map_or("", |n| n.e164()), errors, None);
    engine::run_flow(app, req, |flow| code::decide(app, flow, &form), draw).await
}

fn page(number: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let intro = html! { "Se i dati sono corretti, riceverai un SMS dal numero 40134 con il codice temporaneo (OTP) \
    sul numero " strong { (otp_page::masked(number)) } ". Inseriscilo qui sotto e clicca su " strong { "AVANTI" } "." };
    let back = Some((routes::RECOVER, "INDIETRO"));
    layout::flow_page(
        "Inserisci il codice temporaneo",
        html! { div class="container narrow" {
            (otp_page::code_section(routes::RECOVER_OTP, "AVANTI", back, intro, errors, notice))
        } },
    )
}
