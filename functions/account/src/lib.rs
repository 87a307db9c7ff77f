//! The private area's home page: greets the signed-in user, shows the profile, the line
//! and what the person can do (security, privacy), and — until NON ORA — the offer of a
//! passkey. Without a valid session the runtime's guard redirects to the login, which comes
//! back here.

mod dismiss;
mod page;

use engine::App;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

/// The runtime's session guard already ran (`routes::PRIVATE`): the signed-in user is
/// attached to the request.
async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let (account, line) = s.profile(app).await?;
    let offer = page::offers_passkey(&account, s.session.by_passkey);
    Ok(web::html(200, page::page(&account, line.as_ref(), offer)))
}

/// NON ORA on the passkey offer (the one POST route of this function).
async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let step = dismiss::Step { s: ctx.required()? };
    web::run(app, ctx, &step, |_, _| dismiss::changed_page()).await
}
