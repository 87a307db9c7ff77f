//! The errors a handler can end with, and the one place they become pages. Field-level
//! validation errors are not here: they re-render their own form with the message.

use super::{html, Resp};
use crate::notify::NotifyError;
use crate::store::StoreError;
use maud::html;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// DynamoDB, SNS or SES failed or timed out: nothing was half-done; retrying works.
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
    #[error("cross-site request refused")]
    CrossSite,
    #[error("too many requests")]
    TooManyRequests,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A request that cannot be answered as asked (e.g. a return address that is no path).
    #[error("bad request")]
    BadRequest,
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::Unavailable(e.to_string())
    }
}

impl From<NotifyError> for WebError {
    fn from(e: NotifyError) -> Self {
        WebError::Unavailable(e.to_string())
    }
}

impl WebError {
    fn status(&self) -> u16 {
        match self {
            WebError::Unavailable(_) => 503,
            WebError::CrossSite => 403,
            WebError::TooManyRequests => 429,
            WebError::NotFound => 404,
            WebError::MethodNotAllowed => 405,
            WebError::BadRequest => 400,
        }
    }

    fn texts(&self) -> (&'static str, &'static str) {
        match self {
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

    /// The page the user sees. Internal detail goes to the log, never to the page.
    pub fn into_response(self) -> Resp {
        if let WebError::Unavailable(detail) = &self {
            tracing::error!(error = %detail, "dependency unavailable");
        } else {
            tracing::warn!(error = %self, "request refused");
        }
        let (title, text) = self.texts();
        let page = crate::ui::layout::page(
            title,
            html! {
                h1 { (title) }
                p role="alert" { (text) }
                p { a class="btn btn-secondary" href=(crate::routes::HOME) { "Torna alla home page" } }
            },
        );
        let mut resp = html(self.status(), page);
        if self.status() == 503 {
            resp.headers_mut()
                .insert("retry-after", http::HeaderValue::from_static("30"));
        }
        resp
    }
}
