//! New versions of the terms or of the privacy notice: the page every private page leads
//! to until they are accepted, and the wiring of `engine::area::consents::accept`.

use domain::{documents, routes};
use engine::area::consents;
use engine::area::steps::ConsentsStep;
use engine::flows::login::safe_next;
use engine::session::SignedIn;
use engine::App;
use maud::{html, Markup};
use ui::{pages::area, FieldErrors};
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(_app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let next = safe_next(&ctx.query_param("next").unwrap_or_default());
    if !s.needs_consent() {
        return Ok(web::redirect(&next));
    }
    let form = consents::Form {
        next,
        ..Default::default()
    };
    Ok(web::html(200, page(s, &form, &FieldErrors::default())))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let step = ConsentsStep {
        s,
        form: ctx.form.typed(),
    };
    web::run(app, ctx, &step, |_, e| page(s, &step.form, e)).await
}

fn page(s: &SignedIn, form: &consents::Form, errors: &FieldErrors) -> Markup {
    let v = &s.in_force;
    // Asked again for a newer version: the boxes ticked for the older one stay unticked.
    let asked_again = errors.get(consents::NEWER).is_some();
    let ticked = |value: &str| value == "si" && !asked_again;
    let terms = html! {
        "Ho letto e accetto i " a href=(documents::TERMS_PDF) { "Termini e condizioni generali (PDF)" }
        ", versione " (v.terms_version)
    };
    let privacy = html! {
        "Ho letto l'" a href=(documents::PRIVACY_PDF) { "Informativa privacy (PDF)" } ", versione " (v.privacy_version)
    };
    area::page(
        "Aggiornamento dei documenti",
        html! {
            (area::heading("Leggi e accetta i documenti dell'Area Clienti", None, errors))
            @if s.account.terms_version.is_empty() {
                p { "Prima di entrare nell'Area Clienti della Convenzione Telefonia Mobile 8 leggi e accetta i suoi \
                    documenti." }
            } @else {
                p { "Abbiamo aggiornato i documenti dell'Area Clienti: prima di continuare leggi e accetta la nuova \
                    versione. Hai accettato finora: Termini e condizioni versione " (s.account.terms_version)
                    ", Informativa privacy versione " (or_none(&s.account.privacy_version)) "." }
            }
            p id=(consents::NEWER) { "Versioni in vigore: Termini e condizioni " strong { (v.terms_version) }
                ", Informativa privacy " strong { (v.privacy_version) } "." }
            @if !v.note.is_empty() { p { strong { "Cosa cambia: " } (v.note) } }
            form method="post" action=(routes::ACCOUNT_CONSENTS) novalidate {
                input type="hidden" name="next" value=(form.next);
                // The versions this page shows: what an acceptance of it accepts.
                input type="hidden" name="termini_versione" value=(v.terms_version);
                input type="hidden" name="privacy_versione" value=(v.privacy_version);
                (area::checkbox("termini", ticked(&form.termini), errors, terms))
                (area::checkbox("privacy", ticked(&form.privacy), errors, privacy))
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::ACCOUNT_PRIVACY) { "NON ACCETTO: I MIEI DATI" }
                    button class="btn btn-primary" type="submit" { "ACCETTA E CONTINUA" }
                }
            }
        },
    )
}

fn or_none(v: &str) -> &str {
    if v.is_empty() {
        "nessuna"
    } else {
        v
    }
}
