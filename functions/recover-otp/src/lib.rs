//! Recovery, the code page, and the wiring of the step `engine::flows::recovery::code`
//! decides (the code, or "Invia di nuovo").

use domain::routes;
use engine::flows::recovery::{code, Recovery};
use engine::pages::otp as otp_page;
use engine::App;
use engine::Carried;
use maud::{html, Markup};
use ui::layout;
use ui::FieldErrors;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let elsewhere = |r: &Recovery| code::elsewhere(r.state);
    Ok(web::otp::show(
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
