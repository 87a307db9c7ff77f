//! Login, first step (guide, section 4): the page, and the wiring of the step
//! `engine::flows::login::password` decides.

use engine::flows::login::{self, password};
use engine::{session, App};
use ui::pages::login::page;
use ui::FieldErrors;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let next = login::safe_next(&ctx.query_param("next").unwrap_or_default());
    if session::current(app, ctx).await?.is_some() {
        return Ok(web::redirect(&next));
    }
    let notice = notice(ctx);
    Ok(web::html(
        200,
        page("", &next, &FieldErrors::default(), notice),
    ))
}

fn notice(ctx: &Ctx) -> Option<&'static str> {
    let q = |n| ctx.query.has(n);
    if q("uscito") {
        Some("Sei uscito dall'Area Clienti.")
    } else if q("sessione") {
        Some("La sessione è scaduta: accedi di nuovo per continuare.")
    } else if q("scaduta") {
        Some("La procedura di accesso è scaduta o non è più valida: inserisci di nuovo username e password.")
    } else if q("eliminato") {
        Some("Il tuo account è stato eliminato e tutte le sessioni sono state chiuse. Ti abbiamo inviato un'email di \
              conferma.")
    } else if q("password-modificata") {
        Some("La password è stata modificata: accedi con la nuova password.")
    } else if q("next") {
        Some("Per continuare accedi all'Area Clienti.")
    } else {
        None
    }
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let step = password::Step::new(ctx.form.typed());
    let (typed, next) = (step.form.username(), step.form.next());
    web::run(app, ctx, &step, |_, errors| {
        page(&typed, &next, errors, None)
    })
    .await
}
