//! The step-3 pages: the data form, and the choice when a registration with these data exists.

use domain::routes;
use engine::flows::registration::{profile, Profile, Step};
use engine::pages::otp;
use maud::{html, Markup};
use ui::{pages::error_summary, pages::registration_page, pages::Field, FieldErrors};

/// What the form shows in its fields.
pub struct Values<'a> {
    nome: &'a str,
    cognome: &'a str,
    personal_cf: &'a str,
    entity_cf: &'a str,
}

impl<'a> Values<'a> {
    /// The data saved earlier (the user came back to the page).
    pub fn saved(p: &'a Profile) -> Self {
        Values {
            nome: &p.nome,
            cognome: &p.cognome,
            personal_cf: p.personal_cf.as_str(),
            entity_cf: p.entity_cf.as_str(),
        }
    }
    /// Nothing yet: the entity's code pre-filled from the SIM.
    pub fn entity(entity_cf: &'a str) -> Self {
        Values {
            nome: "",
            cognome: "",
            personal_cf: "",
            entity_cf,
        }
    }
    /// What was typed.
    pub fn typed(f: &'a profile::Form) -> Self {
        Values {
            nome: &f.nome,
            cognome: &f.cognome,
            personal_cf: &f.cf_personale,
            entity_cf: &f.cf_ente,
        }
    }
}

pub fn page(ragione_sociale: &str, v: &Values<'_>, errors: &FieldErrors, previous: bool) -> Markup {
    let entity_hint =
        format!("11 cifre: è il codice dell'Ente a cui è intestata la SIM ({ragione_sociale})");
    registration_page(
        3,
        "Inserisci i tuoi dati",
        html! {
            h1 { "Inserisci i tuoi dati e quelli dell'Ente/Amministrazione" }
            @if previous {
                div class="notice" role="status" {
                    p {
                        strong { "Sei già registrato: " }
                        "questo numero risulta registrato al Portale della Convenzione di Telefonia Mobile 6 o 7. \
                        Non hai bisogno di registrarti nuovamente: utilizza da subito la username e la password \
                        già in tuo possesso."
                    }
                    p {
                        a class="btn btn-primary" href=(routes::LOGIN) { "ACCEDI" } " "
                        a href=(routes::RECOVER) { "Recupera Username e Password" }
                    }
                }
            }
            (error_summary(errors))
            p {
                "Inserisci i tuoi dati identificativi personali: nome, cognome, Codice Fiscale personale, ed il \
                Codice Fiscale dell'Ente/Amministrazione di appartenenza se non già presente nell'apposito campo. \
                Infine clicca su " strong { "AVANTI" } "."
            }
            form method="post" action=(Step::Profile.path()) novalidate {
                (Field::text("nome", "Nome", v.nome).autocomplete("given-name").render(errors))
                (Field::text("cognome", "Cognome", v.cognome).autocomplete("family-name").render(errors))
                (Field::text("cf_personale", "Codice Fiscale personale", v.personal_cf)
                    .hint("16 caratteri, ad esempio RSSMRA85T10A562S").render(errors))
                (Field::text("cf_ente", "Codice Fiscale dell'Ente/Amministrazione", v.entity_cf)
                    .inputmode("numeric").hint(&entity_hint).render(errors))
                p class="notice" {
                    strong { "Suggerimento: " }
                    "non confondere il Codice Fiscale del tuo Ente/Amministrazione con quello personale. Se vengono \
                    inseriti in modo errato, la registrazione non potrà completarsi."
                }
                div class="btn-row" {
                    a class="btn btn-secondary" href=(Step::Number.path()) { "INDIETRO" }
                    button class="btn btn-primary" type="submit" { "AVANTI" }
                }
            }
        },
    )
}

pub fn duplicate_page(errors: &FieldErrors) -> Markup {
    registration_page(
        3,
        "Registrazione già presente",
        html! {
            h1 { "Registrazione già presente" }
            @if !errors.is_empty() {
                div class="error-summary" role="alert" tabindex="-1" autofocus {
                    @for (_, m) in &errors.0 { p { (m) } }
                }
            }
            div class="warning" role="alert" {
                p {
                    strong { "Attenzione: " }
                    "con i dati inseriti (numero mobile, Codice Fiscale personale, Codice Fiscale dell'Ente) esiste \
                    già un'altra registrazione."
                }
                p {
                    "Puoi interrompere la registrazione e recuperare la username o la password della registrazione \
                    precedente, oppure proseguire con la nuova registrazione: in questo caso la registrazione \
                    precedente sarà cessata al completamento della nuova."
                }
            }
            div class="btn-row" {
                a class="btn btn-secondary" href=(routes::RECOVER) { "RECUPERA LE TUE CREDENZIALI" }
                (proceed_form())
            }
            p { a href=(Step::Number.path()) { "Torna all'inizio della registrazione" } }
        },
    )
}

fn proceed_form() -> Markup {
    html! {
        form method="post" action=(Step::Profile.path()) class="inline-form" {
            input type="hidden" name="azione" value=(profile::PROCEED);
            button class="btn btn-primary" type="submit" { "PROSEGUI" }
        }
    }
}

/// After PROSEGUI on a registration found by person only: the old registration's owner
/// must confirm. The same words whatever that registration has (its address and number are
/// never shown); `gone`: the old registration has been ceased meanwhile (by the help desk),
/// so PROSEGUI goes on.
pub fn waiting_page(gone: bool, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let action = Step::Profile.path();
    registration_page(
        3,
        "Conferma del titolare della registrazione precedente",
        html! {
            h1 { "Conferma del titolare della registrazione precedente" }
            @if gone {
                p class="success" role="status" {
                    "La registrazione precedente è stata cessata. Clicca su " strong { "PROSEGUI" }
                    " per continuare con la nuova registrazione."
                }
                div class="btn-row" { span {} (proceed_form()) }
            } @else {
                @if let Some(n) = notice { p class="success" role="status" { (n) } }
                (error_summary(errors))
                div class="notice" {
                    p {
                        "Con i dati inseriti esiste già un'altra registrazione, associata a un altro numero mobile. \
                        Per cessarla e proseguire con la nuova registrazione è necessaria la conferma del suo titolare."
                    }
                    p {
                        "Abbiamo inviato all'indirizzo email della registrazione precedente un messaggio con il \
                        pulsante " strong { "CONFERMA LA CESSAZIONE" } " e, se la sua linea è ancora attiva, un SMS \
                        con un codice temporaneo al suo numero."
                    }
                }
                p {
                    "Se la registrazione precedente è tua, clicca sul pulsante nell'email e poi aggiorna questa \
                    pagina, oppure inserisci qui il codice ricevuto via SMS e clicca su " strong { "AVANTI" } "."
                }
                (otp::code_form(action, "AVANTI", None, errors))
                p {
                    "Non hai ricevuto i messaggi o il codice è scaduto? Clicca su " strong { (otp::RESEND_LABEL) }
                    ": il nuovo link e il nuovo codice sostituiscono quelli precedenti."
                }
                (otp::resend_form(action, otp::RESEND_LABEL, "btn btn-secondary"))
                p {
                    a href=(action) { "Aggiorna questa pagina" }
                    " dopo aver confermato dall'email."
                }
                p {
                    "Se non hai più accesso né all'email né al numero della registrazione precedente, contatta il \
                    Numero Verde 800.680.068: l'assistenza può cessarla, e potrai poi proseguire da questa pagina. \
                    Se invece vuoi continuare a usare la registrazione precedente, recupera le sue credenziali."
                }
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::RECOVER) { "RECUPERA LE TUE CREDENZIALI" }
                }
            }
            p { a href=(Step::Number.path()) { "Torna all'inizio della registrazione" } }
        },
    )
}
