//! Logout: ESCI (a POST, so a link or an image elsewhere cannot sign the user out) ends
//! the session server-side and clears the cookie. A GET asks for confirmation.

use domain::routes;
use engine::{session, App};
use maud::html;
use ui::layout;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    if session::current(app, ctx).await?.is_none() {
        return Ok(web::redirect(routes::LOGIN));
    }
    Ok(web::html(
        200,
        layout::flow_page(
            "Esci dall'Area Clienti",
            html! {
                div class="container narrow" {
                    h1 { "Esci dall'Area Clienti" }
                    p { "Vuoi uscire dall'Area Clienti? Per rientrare dovrai accedere di nuovo con username, password \
                        e codice SMS." }
                    form method="post" action=(routes::LOGOUT) class="btn-row" {
                        a class="btn btn-secondary" href=(routes::ACCOUNT) { "ANNULLA" }
                        button class="btn btn-primary" type="submit" { "ESCI" }
                    }
                }
            },
        ),
    ))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let cleared = session::end(app, ctx).await?;
    tracing::info!(step = "logout", "signed out");
    Ok(web::redirect_with_cookies(
        &format!("{}?uscito=1", routes::LOGIN),
        &[cleared],
    ))
}
