//! Recovery, the code page, and the wiring of the step `shared::flows::recovery::code`
//! decides (the code, or "Invia di nuovo").

use maud::{html, Markup};
use shared::engine::Carried;
use shared::flows::recovery::{code, Recovery};
use shared::pages::{otp as otp_page, FieldErrors};
use shared::ui::layout;
use shared::web::{self, Ctx, Resp, WebError};
use shared::{routes, App};

shared::step!(get: get, post: post);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let elsewhere = |r: &Recovery| code::elsewhere(r.state);
    Ok(otp_page::show(
        app,
        ctx,
        elsewhere,
        |r: &Recovery| &r.number,
        |n, e, notice| page(app, n, e, notice),
    )
    .await)
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let step = code::CodeStep {
        form: ctx.form.typed(),
    };
    let draw = |r: &Carried<Recovery>, e: &FieldErrors| page(app, r.data.number.e164(), e, None);
    web::run(app, ctx, &step, draw).await
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
