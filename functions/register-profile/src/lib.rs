//! Registration step 3: the data page (or the choice when a registration with these data
//! exists, or the wait for the old registration's owner after PROSEGUI), and the wiring of
//! the step `engine::flows::registration::profile` decides.

mod page;

use engine::flows::registration::{self, consent, steps, Registration, State, Step};
use engine::pages::otp;
use engine::App;
use engine::Carried;
use page::{duplicate_page, page, waiting_page, Values};
use ui::FieldErrors;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

/// Shown from the state the cookie carries: no read (whether the SIM belongs to an account
/// of an earlier Convenzione was learnt at step 2). Waiting for the old registration's
/// owner, the page reads the flow (the link may have recorded the proof) and the awaited
/// account (the help desk may have ceased it).
async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let flow = web::flow_or_redirect!(registration::page(app, ctx, Step::Profile).await?);
    let r = &flow.data;
    match r.state() {
        State::DuplicateFound => {
            return Ok(web::html(200, duplicate_page(&FieldErrors::default())))
        }
        State::AwaitingConsent => {
            let gone = consent::awaited_gone(app, r).await?;
            let none = FieldErrors::default();
            return Ok(web::html(200, waiting_page(gone, &none, otp::notice(ctx))));
        }
        _ => {}
    }
    let values = match r.profile() {
        Some(p) => Values::saved(p),
        None => Values::entity(r.line().entity_cf.as_str()),
    };
    let none = FieldErrors::default();
    let ragione_sociale = &r.line().ragione_sociale;
    Ok(web::html(
        200,
        page(ragione_sociale, &values, &none, r.earlier_convenzione()),
    ))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let step = steps::ProfileStep {
        form: ctx.form.typed(),
        fresh: consent::Fresh::new(),
    };
    let draw = |flow: &Carried<Registration>, errors: &FieldErrors| match flow.data.state() {
        State::DuplicateFound => duplicate_page(errors),
        State::AwaitingConsent => waiting_page(false, errors, None),
        _ => {
            let ragione_sociale = &flow.data.line().ragione_sociale;
            page(ragione_sociale, &Values::typed(&step.form), errors, false)
        }
    };
    web::run(app, ctx, &step, draw).await
}
