//! Registration step 1: the page, and the wiring of the step
//! `engine::flows::registration::number` decides (the number, the slider, the SMS code).

mod page;

use engine::flows::registration::{steps, Registration};
use engine::App;
use engine::{self, Flow};
use page::page;
use ui::FieldErrors;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

const EXPIRED: &str =
    "La sessione di registrazione è scaduta o non è più valida: inserisci di nuovo il tuo \
    numero per ricominciare.";

/// The page, with the number of the flow the cookie carries (INDIETRO from step 2): no read.
async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    // The slider's challenge is signed with the flow key.
    app.need_keys().await?;
    let number =
        engine::carry::from_ctx::<Registration>(app, ctx, Registration::COOKIE, Registration::KIND)
            .await
            .map(|f| f.data.number().pretty());
    let notice = ctx.query.has("scaduta").then_some(EXPIRED);
    let typed = number.as_deref().unwrap_or("");
    Ok(web::html(
        200,
        page(app, typed, &FieldErrors::default(), notice),
    ))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let step = steps::NumberStep {
        form: ctx.form.typed(),
    };
    web::run(app, ctx, &step, |_, errors| {
        page(app, &step.form.numero, errors, None)
    })
    .await
}
