//! Login, second step: the code page, and the wiring of the step
//! `engine::flows::login::code` decides (ACCEDI with the code, or "Invia di nuovo").

use domain::routes;
use engine::flows::login::{code, Login, State};
use engine::pages::otp as otp_page;
use engine::App;
use engine::Carried;
use maud::{html, Markup};
use ui::layout;
use ui::FieldErrors;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let elsewhere = |l: &Login| (l.state == State::Completed).then(|| l.next.clone());
    Ok(web::otp::show(
        app,
        ctx,
        elsewhere,
        |l: &Login| &l.number,
        |n, e, notice| page(app, n, e, notice),
    )
    .await)
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let step = code::Step {
        form: ctx.form.typed(),
    };
    let draw = |l: &Carried<Login>, e: &FieldErrors| page(app, l.data.number.e164(), e, None);
    web::run(app, ctx, &step, draw).await
}

fn page(app: &App, number: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let intro = html! { "Ti abbiamo inviato un SMS " (app.config.sms_sender.from_phrase())
    " con il codice temporaneo (OTP) sul numero " strong { (otp_page::masked(number)) }
    ". Inseriscilo qui sotto e clicca su " strong { "ACCEDI" } "." };
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
