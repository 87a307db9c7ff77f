//! Login with a passkey (issue 24): POST `/accesso/passkey/opzioni` gives passkey.js the
//! ceremony's options (JSON), POST `/accesso/passkey` takes the assertion and signs the
//! person in without password and SMS. The steps are `engine::flows::login::passkey`'s;
//! this crate gives them the WebAuthn library (`passkey::Rp`), which only it links.

use domain::routes;
use engine::flows::login::passkey::{FinishStep, OptionsStep};
use engine::flows::login::safe_next;
use engine::App;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

/// The relying party of this app's configuration (checked at start-up by `engine::config`).
/// Built per request — it only parses the origin — so that apps of different origins in one
/// process (the tests' portals) each verify against their own.
fn rp(app: &App) -> Result<passkey::Rp, WebError> {
    passkey::Rp::from_config(&app.config.passkey).map_err(WebError::Unavailable)
}

/// Both routes are POSTs (the runtime answers 405 to anything else); a stray GET goes to
/// the login page.
async fn get(_: &App, _: &Ctx) -> Result<Resp, WebError> {
    Ok(web::redirect(routes::LOGIN))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let rp = &rp(app)?;
    if ctx.path == routes::LOGIN_PASSKEY_OPTIONS {
        return web::run(app, ctx, &OptionsStep { rp }, |_, _| maud::html! {}).await;
    }
    let step = FinishStep {
        rp,
        form: ctx.form.typed(),
    };
    let next = safe_next(&step.form.next);
    web::run(app, ctx, &step, |_, errors| {
        ui::pages::login::page("", &next, errors, None)
    })
    .await
}
