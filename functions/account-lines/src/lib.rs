//! "Le linee del tuo Ente" (`/area-clienti/linee`): the entity's lines for its referente,
//! with a search by number and pages of 20. Wiring only: the use case is
//! `engine::area::lines`, the markup `page`. A user who is no referente is sent back to the
//! private home (there is no page for them here).

mod page;

use domain::routes;
use engine::area::lines::{self, Form, View};
use engine::App;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get);

/// The runtime's session guard already ran (`routes::PRIVATE`): the signed-in user is
/// attached to the request.
async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let Some(signed_in) = ctx.signed_in.as_ref() else {
        return Err(WebError::Unavailable(
            "private route without the session guard".into(),
        ));
    };
    let form = ctx.query.typed::<Form>();
    match lines::view(app.store.as_ref(), &signed_in.account, &form).await? {
        View::NotReferente => Ok(web::redirect(routes::ACCOUNT)),
        View::Lines(listing) => {
            // What was typed is no number: the page says so next to the field.
            let status = if listing.search_error.is_some() {
                422
            } else {
                200
            };
            Ok(web::html(status, page::page(&listing, &form)))
        }
    }
}
