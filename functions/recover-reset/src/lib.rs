//! The reset link's page and the new password's page, and the wiring of the steps
//! `engine::flows::recovery::reset` decides (INVIA IL CODICE, SALVA).

mod page;

use domain::crypto;
use engine::flows::recovery::reset::{self, Form};
use engine::flows::recovery::{self, steps, Recovery, Step};
use engine::App;
use engine::{self, Flow};
use ui::FieldErrors;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    if let Some(token) = ctx.query_param("token") {
        // The link's page: it sends nothing (mail scanners open links).
        return Ok(match reset::link(app, &token).await? {
            reset::Link::Live(..) => web::html(200, page::link_page(&token)),
            reset::Link::Voided => web::html(410, reset::link_voided_page()),
            reset::Link::Gone => web::html(410, reset::link_gone_page()),
        });
    }
    let carried =
        engine::carry::from_ctx::<Recovery>(app, ctx, Recovery::COOKIE, Recovery::KIND).await;
    Ok(match carried {
        Some(f) if f.data.state.allows(Step::NewPassword) => {
            web::html(200, page::new_password_page(&FieldErrors::default()))
        }
        Some(f) => web::redirect(f.data.state.path()),
        None => web::redirect(&recovery::expired()),
    })
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let form: Form = ctx.form.typed();
    if !form.token.is_empty() {
        let step = steps::LinkStep {
            token: form.token,
            flow_id: crypto::random_token(),
        };
        return web::run(app, ctx, &step, draw::<()>).await;
    }
    web::run(app, ctx, &steps::PasswordStep { form }, draw).await
}

/// Both steps' page with errors: the new password's.
fn draw<F>(_: &F, errors: &FieldErrors) -> maud::Markup {
    page::new_password_page(errors)
}
