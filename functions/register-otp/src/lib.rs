//! Registration step 2: the code page, and the wiring of the step
//! `engine::flows::registration::code` decides (AVANTI with the code, or a new code).

use engine::flows::registration::{self, code, Registration, Step};
use engine::pages::otp as otp_page;
use engine::App;
use engine::Carried;
use maud::{html, Markup};
use ui::{pages::error_summary, pages::registration_page, FieldErrors};
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

/// Shown from the state the cookie carries: no read.
async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let flow = web::flow_or_redirect!(registration::page(app, ctx, Step::Otp).await?);
    let notice = otp_page::notice(ctx);
    let number = flow.data.number().e164();
    Ok(web::html(
        200,
        page(app, number, &FieldErrors::default(), notice),
    ))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let step = code::CodeStep {
        form: ctx.form.typed(),
    };
    let draw =
        |f: &Carried<Registration>, e: &FieldErrors| page(app, f.data.number().e164(), e, None);
    web::run(app, ctx, &step, draw).await
}

fn page(app: &App, number: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let path = Step::Otp.path();
    registration_page(
        2,
        "Inserisci il codice temporaneo",
        html! {
            h1 { "Inserisci il codice temporaneo" }
            @if let Some(n) = notice { p class="success" role="status" { (n) } }
            (error_summary(errors))
            p {
                "Inserisci il codice temporaneo (OTP = One Time Password) ricevuto via SMS "
                (app.config.sms_sender.from_phrase()) " sul numero "
                strong { (otp_page::masked(number)) } " nell'apposito campo e clicca su " strong { "AVANTI" } "."
            }
            (otp_page::code_form(path, "AVANTI", Some((Step::Number.path(), "INDIETRO")), errors))
            p {
                "Se non ricevi l'SMS o non hai utilizzato il codice temporaneo entro 5 minuti, clicca su "
                strong { (code::RESEND_LABEL) } "."
            }
            (otp_page::resend_form(path, code::RESEND_LABEL, "btn btn-secondary"))
        },
    )
}
