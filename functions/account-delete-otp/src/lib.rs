//! "Elimina il tuo account", second step: the SMS code page, and the wiring of
//! `engine::area::deletion::decide` (ELIMINA L'ACCOUNT with the code, or "Invia di nuovo").

use domain::routes;
use engine::area::deletion::{self, Deletion};
use engine::area::steps::DeleteCodeStep;
use engine::pages::otp as otp_page;
use engine::App;
use engine::Carried;
use maud::{html, Markup};
use ui::layout;
use ui::FieldErrors;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    // A deletion started before the account's sessions were ended is void: its page says so.
    let void = |d: &Deletion| deletion::is_void(d, s).then(deletion::voided_path);
    Ok(web::otp::show(app, ctx, void, |d: &Deletion| &d.number, page).await)
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let step = DeleteCodeStep {
        s,
        form: ctx.form.typed(),
        later: deletion::Later::default(),
    };
    let draw = |d: &Carried<Deletion>, e: &FieldErrors| page(d.data.number.e164(), e, None);
    let resp = web::run(app, ctx, &step, draw).await?;
    // What of the account's lists did not fit in the deletion's transaction.
    deletion::erase_later(app, &s.account.id, step.later).await;
    Ok(resp)
}

fn page(number: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let intro = html! { "Ti abbiamo inviato un SMS con il codice temporaneo (OTP) sul numero "
    strong { (otp_page::masked(number)) } ". Inseriscilo qui sotto e clicca su " strong { "ELIMINA L'ACCOUNT" }
    ": l'eliminazione non si può annullare." };
    layout::flow_page(
        "Conferma l'eliminazione dell'account",
        html! {
            div class="container narrow" {
                (otp_page::code_section(routes::ACCOUNT_DELETE_CODE, "ELIMINA L'ACCOUNT", None, intro, errors, notice))
                p { a href=(routes::ACCOUNT_PRIVACY) { "Annulla e torna alla privacy" } }
            }
        },
    )
}
