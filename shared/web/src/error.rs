//! The one place errors become pages (the errors themselves are the engine's:
//! `engine::error`). Field-level validation errors are not here: they re-render their own
//! form with the message.

use super::{html, Resp};
use maud::html;

pub use engine::error::WebError;

/// The one place an error becomes a page.
pub trait Render {
    /// The page the user sees. Internal detail goes to the log, never to the page.
    fn into_response(self) -> Resp;
}

fn status(e: &WebError) -> u16 {
    match e {
        WebError::Unavailable(_) => 503,
        WebError::CrossSite => 403,
        WebError::TooManyRequests => 429,
        WebError::NotFound => 404,
        WebError::MethodNotAllowed => 405,
        WebError::BadRequest => 400,
    }
}

fn texts(e: &WebError) -> (&'static str, &'static str) {
    match e {
        WebError::Unavailable(_) => (
            "Servizio momentaneamente non disponibile",
            "Servizio momentaneamente non disponibile, riprova tra qualche minuto. I dati già inseriti non sono \
                andati persi.",
        ),
        WebError::CrossSite => (
            "Richiesta non valida",
            "La richiesta non proviene da questo portale ed è stata bloccata. Torna alla pagina precedente e \
                riprova.",
        ),
        WebError::TooManyRequests => (
            "Troppe richieste",
            "Hai effettuato troppe richieste in poco tempo. Attendi qualche minuto e riprova.",
        ),
        WebError::NotFound => ("Pagina non trovata", "La pagina che cerchi non esiste o non è più disponibile."),
        WebError::MethodNotAllowed => ("Richiesta non valida", "Questa pagina non accetta questo tipo di \
            richiesta."),
        WebError::BadRequest => ("Richiesta non valida", "La richiesta contiene dati non validi. Torna alla \
            pagina precedente e riprova."),
    }
}

impl Render for WebError {
    fn into_response(self) -> Resp {
        if let WebError::Unavailable(detail) = &self {
            tracing::error!(error = %detail, "dependency unavailable");
        } else {
            tracing::warn!(error = %self, "request refused");
        }
        let (title, text) = texts(&self);
        let page = ui::layout::page(
            title,
            html! {
                h1 { (title) }
                p role="alert" { (text) }
                p { a class="btn btn-secondary" href=(domain::routes::HOME) { "Torna alla home page" } }
            },
        );
        let mut resp = html(status(&self), page);
        if status(&self) == 503 {
            resp.headers_mut()
                .insert("retry-after", http::HeaderValue::from_static("30"));
        }
        resp
    }
}
