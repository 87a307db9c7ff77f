//! Registration step 3: personal data and the entity's codice fiscale. If "with the data
//! typed (numero mobile, Codice Fiscale Personale, Codice Fiscale dell'Ente) another
//! registration exists" — an active account with this number, or of this person in this
//! entity — the user chooses RECUPERA LE TUE CREDENZIALI or PROSEGUI (the old registration
//! is ceased when the new one completes, not before).

use lambda_http::Request;
use maud::{html, Markup};
use shared::domain::{CodiceFiscaleEnte, CodiceFiscalePersona};
use shared::flows::registration::{Registration, State, Step};
use shared::flows::registration_step as step;
use shared::pages::{error_summary, registration_page, Field, FieldErrors};
use shared::store::accounts::{self, Status};
use shared::store::uniqueness::{self, Kind};
use shared::web::{self, Form, Resp, WebError};
use shared::{routes, App};

pub async fn handle(app: &App, req: Request) -> Resp {
    web::respond(if web::is_post(&req) {
        post(app, &req).await
    } else {
        get(app, &req).await
    })
}

async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let flow = match step::enter(app, req, Step::Profile).await? {
        Ok(f) => f,
        Err(redirect) => return Ok(redirect),
    };
    let r = &flow.data;
    if r.state == State::DuplicateFound {
        return Ok(web::html(200, duplicate_page()));
    }
    let entity = if r.entity_cf.is_empty() {
        &r.line_entity_cf
    } else {
        &r.entity_cf
    };
    let values = Values {
        nome: &r.nome,
        cognome: &r.cognome,
        personal_cf: &r.personal_cf,
        entity_cf: entity,
    };
    let previous = registered_in_earlier_convenzione(app, &r.number).await?;
    Ok(web::html(
        200,
        page(r, &values, &FieldErrors::default(), previous),
    ))
}

/// The guide's Suggerimento for Convenzione 6/7 users: when the SIM (just proved by the
/// SMS code, so this tells nothing to someone who does not hold it) belongs to an account
/// imported from an earlier Convenzione, there is no need to register again.
async fn registered_in_earlier_convenzione(app: &App, number: &str) -> Result<bool, WebError> {
    let account = accounts::by_claim(app.store.as_ref(), Kind::Number, number, app.now()).await?;
    Ok(account.is_some_and(|a| a.status == Status::Active && a.origin.starts_with("convenzione-")))
}

struct Values<'a> {
    nome: &'a str,
    cognome: &'a str,
    personal_cf: &'a str,
    entity_cf: &'a str,
}

/// A person's name: letters (any script's), spaces, apostrophes, hyphens and dots.
fn parse_name(raw: &str, what: &str) -> Result<String, String> {
    let v = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.is_empty() {
        return Err(format!("Inserisci il tuo {what}."));
    }
    if v.chars().count() > 60
        || !v
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '\'' | '’' | '-' | '.'))
    {
        return Err(format!(
            "Il {what} può contenere solo lettere, spazi e apostrofi (al massimo 60 caratteri)."
        ));
    }
    Ok(v)
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let mut flow = match step::enter(app, req, Step::Profile).await? {
        Ok(f) => f,
        Err(redirect) => return Ok(redirect),
    };
    let form = Form::from_request(req);
    if form.get("azione") == "prosegui" {
        if flow.data.proceed_superseding().is_err() {
            return Ok(web::redirect(flow.data.state.step().path()));
        }
        return step::save_and_continue(app, &mut flow).await;
    }
    let values = Values {
        nome: form.get("nome"),
        cognome: form.get("cognome"),
        personal_cf: form.get("cf_personale"),
        entity_cf: form.get("cf_ente"),
    };
    let mut errors = FieldErrors::default();
    let nome = parse_name(values.nome, "nome")
        .map_err(|e| errors.add("nome", e))
        .ok();
    let cognome = parse_name(values.cognome, "cognome")
        .map_err(|e| errors.add("cognome", e))
        .ok();
    let personal = CodiceFiscalePersona::parse(values.personal_cf)
        .map_err(|e| errors.add("cf_personale", e))
        .ok();
    let entity = CodiceFiscaleEnte::parse(values.entity_cf)
        .map_err(|e| errors.add("cf_ente", e))
        .ok();
    if let Some(e) = &entity {
        if e.as_str() != flow.data.line_entity_cf {
            errors.add("cf_ente", "Il codice fiscale dell'Ente non corrisponde a quello dell'Ente a cui è intestata la SIM. Controlla di aver inserito il codice fiscale del tuo Ente/Amministrazione e non quello personale.");
        }
    }
    let (Some(nome), Some(cognome), Some(personal), Some(entity), true) =
        (nome, cognome, personal, entity, errors.is_empty())
    else {
        return Ok(web::html(422, page(&flow.data, &values, &errors, false)));
    };
    let existing = existing_registrations(app, &flow.data.number, &personal, &entity).await?;
    if flow
        .data
        .profile_entered(
            nome,
            cognome,
            personal.as_str().to_owned(),
            entity.as_str().to_owned(),
            existing,
        )
        .is_err()
    {
        return Ok(web::redirect(flow.data.state.step().path()));
    }
    step::save_and_continue(app, &mut flow).await
}

/// The active accounts that hold this number or this person's claim in this entity:
/// proving the SIM by SMS lets the user replace them (PROSEGUI) or recover credentials.
async fn existing_registrations(
    app: &App,
    number: &str,
    personal: &CodiceFiscalePersona,
    entity: &CodiceFiscaleEnte,
) -> Result<Vec<String>, WebError> {
    let store = app.store.as_ref();
    let person = uniqueness::person_value(entity.as_str(), personal.as_str());
    // Two independent lookups: one round trip of latency, not two.
    let (by_number, by_person) = tokio::try_join!(
        accounts::by_claim(store, Kind::Number, number, app.now()),
        accounts::by_claim(store, Kind::Person, &person, app.now()),
    )?;
    let mut found: Vec<String> = Vec::new();
    for a in [by_number, by_person]
        .into_iter()
        .flatten()
        .filter(|a| a.status == Status::Active)
    {
        if !found.contains(&a.id) {
            found.push(a.id);
        }
    }
    Ok(found)
}

fn page(r: &Registration, v: &Values<'_>, errors: &FieldErrors, previous: bool) -> Markup {
    registration_page(
        3,
        "Inserisci i tuoi dati",
        html! {
            h1 { "Inserisci i tuoi dati e quelli dell'Ente/Amministrazione" }
            @if previous {
                div class="notice" role="status" {
                    p { strong { "Sei già registrato: " } "questo numero risulta registrato al Portale della Convenzione di Telefonia Mobile 6 o 7. Non hai bisogno di registrarti nuovamente: utilizza da subito la username e la password già in tuo possesso." }
                    p { a class="btn btn-primary" href=(routes::LOGIN) { "ACCEDI" } " " a href=(routes::RECOVER) { "Recupera Username e Password" } }
                }
            }
            (error_summary(errors))
            p { "Inserisci i tuoi dati identificativi personali: nome, cognome, Codice Fiscale personale, ed il Codice Fiscale dell'Ente/Amministrazione di appartenenza se non già presente nell'apposito campo. Infine clicca su " strong { "AVANTI" } "." }
            form method="post" action=(Step::Profile.path()) novalidate {
                (Field::text("nome", "Nome", v.nome).autocomplete("given-name").render(errors))
                (Field::text("cognome", "Cognome", v.cognome).autocomplete("family-name").render(errors))
                (Field::text("cf_personale", "Codice Fiscale personale", v.personal_cf).hint("16 caratteri, ad esempio RSSMRA85T10A562S").render(errors))
                (Field::text("cf_ente", "Codice Fiscale dell'Ente/Amministrazione", v.entity_cf).inputmode("numeric")
                    .hint(&format!("11 cifre: è il codice dell'Ente a cui è intestata la SIM ({})", r.ragione_sociale)).render(errors))
                p class="notice" { strong { "Suggerimento: " } "non confondere il Codice Fiscale del tuo Ente/Amministrazione con quello personale. Se vengono inseriti in modo errato, la registrazione non potrà completarsi." }
                div class="btn-row" {
                    a class="btn btn-secondary" href=(Step::Number.path()) { "INDIETRO" }
                    button class="btn btn-primary" type="submit" { "AVANTI" }
                }
            }
        },
    )
}

fn duplicate_page() -> Markup {
    registration_page(
        3,
        "Registrazione già presente",
        html! {
            h1 { "Registrazione già presente" }
            div class="warning" role="alert" {
                p { strong { "Attenzione: " } "con i dati inseriti (numero mobile, Codice Fiscale personale, Codice Fiscale dell'Ente) esiste già un'altra registrazione." }
                p { "Puoi interrompere la registrazione e recuperare la username o la password della registrazione precedente, oppure proseguire con la nuova registrazione: in questo caso la registrazione precedente sarà cessata al completamento della nuova." }
            }
            div class="btn-row" {
                a class="btn btn-secondary" href=(routes::RECOVER) { "RECUPERA LE TUE CREDENZIALI" }
                form method="post" action=(Step::Profile.path()) class="inline-form" {
                    input type="hidden" name="azione" value="prosegui";
                    button class="btn btn-primary" type="submit" { "PROSEGUI" }
                }
            }
            p { a href=(Step::Number.path()) { "Torna all'inizio della registrazione" } }
        },
    )
}
