//! Registration steps 5 and 6: the password page and the outcome page, and the wiring of
//! the step `engine::flows::registration::password` decides (one transaction makes the
//! account).

mod page;

use domain::routes;
use engine::flows::registration::{self, steps, Step};
use engine::App;
use page::{outcome_page, page};
use ui::FieldErrors;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    if ctx.path == routes::REGISTER_DONE {
        return outcome(app, ctx).await;
    }
    let _ = web::flow_or_redirect!(registration::page(app, ctx, Step::Password).await?);
    Ok(web::html(200, page(&FieldErrors::default(), false, false)))
}

/// The password is checked as typed, then the step decides: its read of the flow refuses a
/// stale or replayed cookie before the password is hashed (`password::Hasher`).
async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let step = steps::PasswordStep::new(ctx.form.typed());
    let form = &step.form;
    web::run(app, ctx, &step, |_, errors| {
        page(errors, form.terms(), form.privacy())
    })
    .await
}

/// Step 6, from the state the cookie carries; a summary email that did not go out with
/// step 5 is sent now, once (`password::outcome`, on the engine).
async fn outcome(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let _ = web::flow_or_redirect!(registration::page(app, ctx, Step::Done).await?);
    let step = steps::DoneStep { page: outcome_page };
    web::run(app, ctx, &step, |_, _| outcome_page(false)).await
}
