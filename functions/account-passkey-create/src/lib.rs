//! "Crea una passkey" (issue 24): the intro page (the password again when the login is
//! older than 15 minutes), the creation options with their ceremony, and the created
//! credential verified and stored — the wiring of `engine::area::passkeys`. The one
//! function of the area that links the WebAuthn library (`shared/passkey`).

use domain::routes;
use engine::area::passkeys::{self, NewForm, RegisterForm};
use engine::area::reauth;
use engine::area::steps::{PasskeyNewStep, PasskeyRegisterStep};
use engine::session::SignedIn;
use engine::App;
use maud::{html, Markup};
use ui::pages::area;
use ui::FieldErrors;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

/// The relying party of this deployment. Built per request (a few allocations): tests run
/// portals of several origins in one process.
fn rp(app: &App) -> Result<passkey::Rp, WebError> {
    passkey::Rp::from_config(&app.config.passkey).map_err(WebError::Unavailable)
}

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    Ok(web::html(200, intro(s, app.now(), &FieldErrors::default())))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let rp = rp(app)?;
    let draw = |_: &(), e: &FieldErrors| intro(s, app.now(), e);
    match ctx.path.as_str() {
        routes::ACCOUNT_PASSKEY_REGISTER => {
            let form: RegisterForm = ctx.form.typed();
            let step = PasskeyRegisterStep { s, form, rp: &rp };
            web::run(app, ctx, &step, draw).await
        }
        _ => {
            let form: NewForm = ctx.form.typed();
            let step = PasskeyNewStep { s, form, rp: &rp };
            web::run(app, ctx, &step, draw).await
        }
    }
}

/// What a passkey is, and CONTINUA (with the password when the login is old).
fn intro(s: &SignedIn, now: i64, errors: &FieldErrors) -> Markup {
    area::page(
        "Crea una passkey",
        html! {
            (area::heading("Crea una passkey", None, errors))
            p { "Con una passkey accedi all'Area Clienti senza password e senza codice SMS: il dispositivo ti chiede \
                l'impronta, il volto, il PIN o la sequenza di sblocco. Nessuno può usarla da un sito falso, perché \
                funziona solo su questo sito." }
            p { "Crea la passkey sul dispositivo che usi per accedere (telefono o computer). Puoi averne fino a 10 e \
                rimuoverle quando vuoi dalla pagina " a href=(routes::ACCOUNT_PASSKEYS) { "Passkey" } "." }
            form id=(passkeys::FIELD) method="post" action=(routes::ACCOUNT_PASSKEY_NEW) novalidate {
                (reauth::field(s, now, errors))
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::ACCOUNT_PASSKEYS) { "ANNULLA" }
                    button class="btn btn-primary" type="submit" { "CONTINUA" }
                }
            }
        },
    )
}
