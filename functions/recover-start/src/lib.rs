//! "Recupera Username e Password" (guide, end of section 4): the pages, and the wiring of
//! the step `shared::flows::recovery::start` decides.

mod page;

use lambda_http::Request;
use shared::domain::OtpCode;
use shared::flows::recovery::start::{self, Form};
use shared::flows::recovery::Mode;
use shared::pages::FieldErrors;
use shared::web::{self, Resp, WebError};
use shared::{crypto, engine, App};

shared::step!(get: get, post: post);

const CHOOSE: &str = "Seleziona una delle 3 modalità di recupero.";

async fn get(_app: &App, req: &Request) -> Result<Resp, WebError> {
    let q = |n| web::query_param(req, n);
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

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let form = web::Form::from_request(req).typed::<Form>().trimmed();
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
    let client = web::client_network(req);
    let flow_id = crypto::random_token();
    let decide = || async {
        let code = OtpCode::generate();
        let asked = start::Asked {
            client: &client,
            request: &form.richiesta,
            flow_id: &flow_id,
            code: &code,
        };
        let facts = start::load(app, mode, &identity, &asked).await?;
        Ok(start::decide(app, mode, &identity, facts, &asked))
    };
    engine::run(app, decide, |errors| page::data_page(mode, &form, errors)).await
}
