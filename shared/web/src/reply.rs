//! What a step answers (`engine::Answer`), as a response: its page, its form again with
//! the errors drawn by the step's page, or its redirect, with its cookies.

use super::{html, redirect_with_cookies, with_cookies, Resp, WebError};
use engine::App;
use engine::{self, Answer, Ctx, FieldErrors, Reply, Step};
use maud::Markup;

/// `reply` with `cookies`; `form` draws the step's page with a form's errors.
pub fn render(reply: Reply, cookies: &[String], form: impl FnOnce(&FieldErrors) -> Markup) -> Resp {
    match reply {
        Reply::Page(status, page) => with_cookies(html(status, page), cookies),
        Reply::Form(status, errors) => with_cookies(html(status, form(&errors)), cookies),
        Reply::Redirect(to) => redirect_with_cookies(&to, cookies),
        Reply::Json(status, body) => with_cookies(super::json(status, body), cookies),
    }
}

/// A function's POST: `step` run by the engine (`engine::run`), its answer rendered;
/// `draw` is the step's page with errors, given the flow the request carried.
pub async fn run<S: Step>(
    app: &App,
    ctx: &Ctx,
    step: &S,
    draw: impl FnOnce(&S::Flow, &FieldErrors) -> Markup,
) -> Result<Resp, WebError> {
    let Answer {
        reply,
        cookies,
        shown,
    } = engine::run(app, ctx, step).await?;
    // A form's errors come with the flow they belong to: a step without its flow is sent
    // to the flow's first page before any decision.
    Ok(render(reply, &cookies, |errors| match &shown {
        Some(flow) => draw(flow, errors),
        None => maud::html! {},
    }))
}

/// The flow a page shows (`engine::shown`, e.g. `registration::page`), or (from a handler)
/// the redirect it says instead.
#[macro_export]
macro_rules! flow_or_redirect {
    ($entered:expr) => {
        match $entered {
            Ok(flow) => flow,
            Err(e) => {
                let e: $crate::__engine::Elsewhere = e;
                return Ok($crate::redirect_with_cookies(&e.to, e.cookie.as_slice()));
            }
        }
    };
}
