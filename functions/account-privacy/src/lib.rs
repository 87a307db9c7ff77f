//! "Privacy e dati personali": the page, and "Scarica i tuoi dati" as JSON and as PDF
//! (`engine::area::export`), with the way to "Elimina il tuo account".

use domain::routes;
use engine::area::{deletion, export};
use engine::App;
use maud::html;
use ui::{pages::area, FieldErrors};
use web::{self, Ctx, Resp, WebError};

web::step!(get: get);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let path = ctx.path.as_str();
    if path == routes::ACCOUNT_EXPORT_JSON || path == routes::ACCOUNT_EXPORT_PDF {
        let data = export::gather(app, s).await?;
        let now = app.now();
        return Ok(if path == routes::ACCOUNT_EXPORT_JSON {
            web::download(
                data.to_json_file(now),
                "application/json; charset=utf-8",
                "i-miei-dati.json",
            )
        } else {
            web::download(data.to_pdf(now), "application/pdf", "i-miei-dati.pdf")
        });
    }
    let title = "Privacy e dati personali";
    Ok(web::html(
        200,
        area::page(
            title,
            html! {
                (area::heading(title, None, &FieldErrors::default()))
                section aria-labelledby="scarica" {
                    h2 id="scarica" { "Scarica i tuoi dati" }
                    p { "Tutto quello che conserviamo su di te: profilo, linea, consensi con versioni e date, sessioni \
                        attive, accessi degli ultimi 12 mesi, interventi dell'assistenza sul tuo account e cosa \
                        conserveremmo se lo eliminassi." }
                    ul {
                        li { a href=(routes::ACCOUNT_EXPORT_PDF) download { "Scarica i tuoi dati in PDF (leggibile)" } }
                        li { a href=(routes::ACCOUNT_EXPORT_JSON) download { "Scarica i tuoi dati in JSON (per altri \
                            programmi)" } }
                    }
                }
                section aria-labelledby="elimina" {
                    h2 id="elimina" { "Elimina il tuo account" }
                    p { "L'eliminazione chiude tutte le sessioni e libera username, email e numero: potrai registrarti \
                        di nuovo quando vorrai. Dopo l'eliminazione conserviamo soltanto:" }
                    ul { @for k in deletion::kept_sentences() { li { (k) } } }
                    p { (deletion::ERASED_TEXT) }
                    p { a class="btn btn-secondary" href=(routes::ACCOUNT_DELETE) { "ELIMINA IL TUO ACCOUNT" } }
                }
            },
        ),
    ))
}
