//! The step-1 page: the number field and the slider ("barra di controllo").

use domain::routes;
use engine::flows::challenge;
use engine::flows::registration::Step;
use engine::App;
use maud::{html, Markup};
use ui::{pages::error_summary, pages::registration_page, pages::Field, FieldErrors};

pub fn page(app: &App, number: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let keys = app.keys();
    let token = challenge::issue(keys.current(), app.now());
    let nonce = challenge::nonce(&keys, &token).map(|(n, _)| n);
    let slider_error = errors.get("conferma");
    let described = match slider_error {
        Some(_) => "conferma-hint conferma-error",
        None => "conferma-hint",
    };
    registration_page(
        1,
        "Inserisci il numero aziendale",
        html! {
            h1 { "Inserisci il numero aziendale" }
            @if let Some(n) = notice { p class="notice" role="status" { (n) } }
            (error_summary(errors))
            p {
                "In questa pagina inserisci il " strong { "numero mobile TIM in Convenzione 8" }
                ". Poi trascina il cursore dall'estremità sinistra a quella destra della barra orizzontale di \
                controllo e clicca su " strong { "AVANTI" } "."
            }
            form method="post" action=(Step::Number.path()) novalidate {
                (Field::text("numero", "Numero mobile TIM in Convenzione 8", number)
                    .kind("tel").autocomplete("tel-national").inputmode("tel")
                    .hint("Ad esempio 333 123 4567").render(errors))
                div class="field slider-check" {
                    label for="conferma" {
                        "Barra di controllo: trascina il cursore fino all'estremità destra"
                    }
                    p class="hint" id="conferma-hint" {
                        "Con la tastiera: seleziona il cursore e premi il tasto Fine (End) o la freccia destra \
                        fino in fondo."
                    }
                    @if let Some(e) = slider_error {
                        p class="field-error" id="conferma-error" {
                            span class="visually-hidden" { "Errore: " } (e)
                        }
                    }
                    input type="range" id="conferma" name="conferma" min="0" max=(challenge::SLIDER_END)
                        step="1" value="0" data-pow-nonce=(nonce.unwrap_or_default())
                        aria-valuetext="Cursore all'inizio"
                        aria-invalid=[slider_error.map(|_| "true")]
                        aria-describedby=(described);
                    input type="hidden" name="challenge" value=(token);
                    input type="hidden" name="pow" value="";
                }
                div class="notice" {
                    p {
                        strong { "Suggerimento: " }
                        "il numero mobile TIM è quello sulla base del quale il Portale effettuerà la corretta \
                        profilatura e visualizzerà le funzionalità previste. Non inserire numerazioni non legate a \
                        contratti mobili in Convenzione Telefonia Mobile 8."
                    }
                    p {
                        "Sei un utente precedentemente registrato al Portale della Convenzione di Telefonia Mobile 6 \
                        o 7? Non hai bisogno di registrarti nuovamente: se la tua linea è ora attiva in Convenzione \
                        Mobile 8, "
                        a href=(routes::LOGIN) { "accedi con la username e la password già in tuo possesso" } "."
                    }
                }
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::HOME) { "INDIETRO" }
                    button class="btn btn-primary" type="submit" { "AVANTI" }
                }
            }
        },
    )
}
