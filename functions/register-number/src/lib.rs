//! Registration step 1: the page, and the wiring of the step
//! `shared::flows::registration::number` decides (the number, the slider, the SMS code).

mod page;

use lambda_http::Request;
use page::page;
use shared::domain::OtpCode;
use shared::flows::challenge;
use shared::flows::registration::{self, number};
use shared::pages::FieldErrors;
use shared::web::{self, Form, Resp, WebError};
use shared::{crypto, engine, App};

shared::step!(get: get, post: post);

const EXPIRED: &str =
    "La sessione di registrazione è scaduta o non è più valida: inserisci di nuovo il tuo \
    numero per ricominciare.";

/// The page, with the number of the flow the cookie carries (INDIETRO from step 2): no read.
async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let number = registration::carried(app, req)
        .await
        .map(|f| f.data.number().pretty());
    let notice = web::query_param(req, "scaduta").map(|_| EXPIRED);
    let typed = number.as_deref().unwrap_or("");
    Ok(web::html(
        200,
        page(app, typed, &FieldErrors::default(), notice),
    ))
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let form: number::Form = Form::from_request(req).typed();
    let client = web::client_network(req);
    // A challenge signed after a rotation this process has not seen: fetch the secret again
    // (`number::check` then finds its key among `app.keys()`).
    if let Some(kid) = challenge::key_id(&form.challenge) {
        app.keys_for(kid).await;
    }
    let decide = || async {
        let (typed, passed) = match number::check(app, &form) {
            Ok(checked) => checked,
            Err(answer) => return Ok(*answer),
        };
        let facts = number::load(app, &typed).await?;
        let fresh = number::Fresh {
            flow_id: crypto::random_token(),
            rid: crypto::random_token(),
            code: OtpCode::generate(),
        };
        Ok(number::decide(app, typed, &passed, facts, &client, fresh))
    };
    engine::run(app, decide, |errors| page(app, &form.numero, errors, None)).await
}
