//! The link in the email to a new address. Opening it (GET) only reads and shows a button
//! (mail scanners open every link); the button (POST) confirms through
//! `engine::area::email::confirm`. Public: it works in any browser, signed in or not. A
//! link asked before the account's sessions were ended says it is void, on both.

use domain::routes;
use engine::area::email;
use engine::area::steps::EmailConfirmStep;
use engine::App;
use maud::{html, Markup};
use ui::layout;
use ui::{pages::error_summary, FieldErrors};
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    if let Some(done) = ctx.query_param("confermata") {
        return Ok(web::html(200, email::done_page(&done)));
    }
    let token = ctx.query_param("t").unwrap_or_default();
    Ok(match email::pending(app, &token).await? {
        email::Pending::Live(_, change) => web::html(
            200,
            page(&token, &change.new_email, &FieldErrors::default()),
        ),
        email::Pending::Voided => web::html(410, email::link_voided_page()),
        email::Pending::Gone => web::html(410, email::link_gone_page()),
    })
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let step = EmailConfirmStep {
        form: ctx.form.typed(),
    };
    web::run(app, ctx, &step, |_, e| page(&step.form.t, "", e)).await
}

fn page(token: &str, new_email: &str, errors: &FieldErrors) -> Markup {
    layout::flow_page(
        "Conferma il nuovo indirizzo email",
        html! {
            div class="container narrow" {
                h1 { "Conferma il nuovo indirizzo email" }
                (error_summary(errors))
                @if !new_email.is_empty() {
                    p { "Clicca su " strong { "CONFERMA IL NUOVO INDIRIZZO" } " per usare " strong { (new_email) }
                        " come indirizzo email del tuo account dell'Area Clienti." }
                }
                form method="post" action=(routes::ACCOUNT_EMAIL_CONFIRM) {
                    input type="hidden" name="t" value=(token);
                    button class="btn btn-primary" type="submit" { "CONFERMA IL NUOVO INDIRIZZO" }
                }
            }
        },
    )
}
