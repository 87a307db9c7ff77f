//! The start page's three views: the choice of mode, the data of a mode, and "sent".

use domain::routes;
use engine::flows::recovery::start::Form;
use engine::flows::recovery::{Mode, REQUEST_FIELD};
use maud::{html, Markup};
use ui::layout;
use ui::{pages::error_summary, pages::Field, FieldErrors};

fn frame(title: &str, body: Markup) -> Markup {
    layout::flow_page(title, html! { div class="container narrow" { (body) } })
}

pub fn choose_page(errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let err = errors.get("modalita");
    frame(
        "Recupera Username e Password",
        html! {
            h1 { "Recupera Username e Password" }
            @if let Some(n) = notice { p class="notice" role="status" { (n) } }
            (error_summary(errors))
            p { "Seleziona una delle 3 modalità, clicca su \
                " strong { "AVANTI" } " ed inserisci le informazioni richieste utilizzate durante la registrazione al \
                Portale. Riceverai una email o un SMS contenente le informazioni necessarie per proseguire \
                nell'operazione desiderata." }
            form method="get" action=(routes::RECOVER) novalidate {
                input type="hidden" name="scelta" value="1";
                fieldset class="field" aria-describedby=[err.map(|_| "modalita-error")] {
                    legend { "Cosa hai dimenticato?" }
                    @if let Some(e) = err {
                        p class="field-error" id="modalita-error" { span class="visually-hidden" { "Errore: " } (e) }
                    }
                    @for (i, mode) in Mode::ALL.iter().enumerate() {
                        @let id = if i == 0 { "modalita".to_owned() } else { format!("modalita-{}", mode.slug()) };
                        label class="checkbox" {
                            input type="radio" id=(id) name="modalita" value=(mode.slug()) required;
                            span { strong { (mode.title()) } br; span class="hint" { (mode.description()) } }
                        }
                    }
                }
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::LOGIN) { "INDIETRO" }
                    button class="btn btn-primary" type="submit" { "AVANTI" }
                }
            }
        },
    )
}

pub fn data_page(mode: Mode, v: &Form, errors: &FieldErrors) -> Markup {
    frame(
        mode.title(),
        html! {
            h1 { (mode.title()) }
            (error_summary(errors))
            p { (mode.description()) }
            form method="post" action=(routes::RECOVER) novalidate {
                input type="hidden" name="modalita" value=(mode.slug());
                @if mode == Mode::Both {
                    // This request's own value: its code is nobody else's (a double click
                    // sends it twice and gets one code).
                    input type="hidden" name=(REQUEST_FIELD) value=(v.request());
                }
                @if mode == Mode::Password {
                    (Field::text("username", "Username", &v.username).autocomplete("username").render(errors))
                } @else {
                    (Field::text("numero", "Numero mobile TIM in Convenzione 8", &v.numero).kind("tel")
                        .autocomplete("tel-national").inputmode("tel")
                        .hint("Il numero usato in registrazione, ad esempio 333 123 4567").render(errors))
                    (Field::text("cf_personale", "Codice Fiscale personale", &v.cf_personale).hint("16 caratteri, ad \
                        esempio RSSMRA85T10A562S").render(errors))
                }
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::RECOVER) { "INDIETRO" }
                    button class="btn btn-primary" type="submit" { "AVANTI" }
                }
            }
        },
    )
}

pub fn sent_page(mode: Mode) -> Markup {
    let text = match mode {
        Mode::Username => "Se i dati inseriti sono corretti, riceverai a breve un SMS sul numero indicato e una email \
            all'indirizzo associato al tuo account con la tua username.",
        Mode::Password => "Se i dati inseriti sono corretti, riceverai a breve una email all'indirizzo associato al \
            tuo account con un link per scegliere una nuova password. Il link è valido 30 minuti.",
        Mode::Both => "Se i dati inseriti sono corretti, riceverai a breve una email con la tua username e un link \
            per scegliere una nuova password.",
    };
    frame(
        "Richiesta inviata",
        html! {
            h1 { "Richiesta inviata" }
            p class="success" role="status" { (text) }
            p { "Se non ricevi nulla, controlla i dati inseriti e la cartella \"Posta indesiderata\", poi riprova." }
            div class="btn-row" {
                a class="btn btn-secondary" href=(routes::RECOVER) { "NUOVA RICHIESTA" }
                a class="btn btn-primary" href=(routes::LOGIN) { "ACCEDI" }
            }
        },
    )
}
