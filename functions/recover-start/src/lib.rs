//! "Recupera Username e Password" (guide, end of section 4): the pages, and the wiring of
//! the step `engine::flows::recovery::start` decides.

mod page;

use domain::crypto;
use engine::flows::recovery::start::{self, Form};
use engine::flows::recovery::{steps, Mode};
use engine::App;
use ui::FieldErrors;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

const CHOOSE: &str = "Seleziona una delle 3 modalità di recupero.";

async fn get(_app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let q = |n| ctx.query_param(n);
    if let Some(mode) = q("inviato").as_deref().and_then(Mode::parse) {
        return Ok(web::html(200, page::sent_page(mode)));
    }
    let mut errors = FieldErrors::default();
    Ok(match q("modalita").map(|m| Mode::parse(&m)) {
        Some(Some(mode)) => web::html(200, page::data_page(mode, &Form::default(), &errors)),
        // AVANTI without a choice (the form always sends `scelta`), or a made-up mode.
        Some(None) | None if q("scelta").is_some() || q("modalita").is_some() => {
            errors.add("modalita", CHOOSE);
            web::html(422, page::choose_page(&errors, None))
        }
        _ => {
            let notice = q("scaduta").map(|_| {
                "La procedura di recupero è scaduta o non è più valida: scegli di nuovo cosa hai dimenticato."
            });
            web::html(200, page::choose_page(&errors, notice))
        }
    })
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let form = ctx.form.typed::<Form>().trimmed();
    let (mode, identity) = match start::parse(&form) {
        Ok(parsed) => parsed,
        Err(Some((mode, errors))) => {
            return Ok(web::html(422, page::data_page(mode, &form, &errors)))
        }
        Err(None) => {
            let mut errors = FieldErrors::default();
            errors.add("modalita", CHOOSE);
            return Ok(web::html(422, page::choose_page(&errors, None)));
        }
    };
    let step = steps::StartStep {
        form,
        mode,
        identity,
        flow_id: crypto::random_token(),
    };
    web::run(app, ctx, &step, |_, errors| {
        page::data_page(mode, &step.form, errors)
    })
    .await
}
