//! "Passkey" in the private area (issue 24): the account's passkeys (name, created, last
//! used, the browser that made it), and the wiring of RINOMINA and RIMUOVI
//! (`engine::area::passkeys`). No WebAuthn here: creating one is `account-passkey-create`.

use domain::clock::rome_datetime;
use domain::routes;
use engine::area::passkeys::{self, EditForm};
use engine::area::steps::{PasskeyRemoveStep, PasskeyRenameStep};
use engine::App;
use maud::{html, Markup};
use store::limits::PASSKEYS_PER_ACCOUNT;
use store::passkeys::{Credential, NAME_MAX_CHARS};
use ui::pages::{area, Field};
use ui::FieldErrors;
use web::{self, Ctx, Resp, WebError};

web::step!(get: get, post: post);

async fn get(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let listed = passkeys::list(app, s).await?;
    let notice = ctx.query_param("fatto").and_then(|d| notice(&d));
    Ok(web::html(200, page(&listed, notice)))
}

async fn post(app: &App, ctx: &Ctx) -> Result<Resp, WebError> {
    let s = ctx.required()?;
    let form: EditForm = ctx.form.typed();
    let draw = |_: &(), e: &FieldErrors| rename_page(&form, e);
    match ctx.path.as_str() {
        routes::ACCOUNT_PASSKEY_REMOVE => {
            let step = PasskeyRemoveStep {
                s,
                form: form.clone(),
            };
            web::run(app, ctx, &step, draw).await
        }
        _ => {
            let step = PasskeyRenameStep {
                s,
                form: form.clone(),
            };
            web::run(app, ctx, &step, draw).await
        }
    }
}

fn notice(done: &str) -> Option<&'static str> {
    Some(match done {
        passkeys::ADDED => "La passkey è stata creata: da ora puoi usarla per accedere. Ti abbiamo inviato un'email di \
            conferma.",
        passkeys::RENAMED => "Il nome della passkey è stato modificato.",
        passkeys::REMOVED => "La passkey è stata rimossa: non si potrà più usarla per accedere. Ti abbiamo inviato \
            un'email di conferma.",
        passkeys::NONE => "Questa passkey non c'è più: forse è stata rimossa da un'altra scheda.",
        _ => return None,
    })
}

fn page(listed: &[Credential], notice: Option<&str>) -> Markup {
    area::page(
        "Passkey",
        html! {
            (area::heading("Passkey", notice, &FieldErrors::default()))
            p { "Con una passkey accedi all'Area Clienti senza password e senza codice SMS: il dispositivo ti chiede \
                l'impronta, il volto, il PIN o la sequenza di sblocco. Puoi averne fino a " (PASSKEYS_PER_ACCOUNT)
                ". Se perdi un dispositivo, accedi con username, password e codice SMS (o recupera le credenziali) e \
                rimuovi la sua passkey." }
            @if listed.is_empty() {
                p { "Non hai ancora creato nessuna passkey." }
            } @else {
                ul class="cards" {
                    @for (i, c) in listed.iter().enumerate() {
                        li class="card" {
                            h2 class="card-title" { (c.name) }
                            dl {
                                dt { "Creata il" } dd { (rome_datetime(c.created_at)) }
                                dt { "Ultimo utilizzo" }
                                dd { @match c.last_used_at { Some(t) => (rome_datetime(t)), None => "Mai usata" } }
                                dt { "Creata con" } dd { (c.agent) }
                            }
                            form method="post" action=(routes::ACCOUNT_PASSKEY_RENAME) {
                                input type="hidden" name="id" value=(c.id);
                                div class="field" {
                                    label for={ "nome-" (i) } { "Nuovo nome" }
                                    input type="text" id={ "nome-" (i) } name="nome" value=(c.name)
                                        maxlength=(NAME_MAX_CHARS) autocomplete="off";
                                }
                                button class="btn btn-secondary" type="submit" {
                                    "RINOMINA" span class="visually-hidden" { " la passkey " (c.name) }
                                }
                            }
                            form method="post" action=(routes::ACCOUNT_PASSKEY_REMOVE) {
                                input type="hidden" name="id" value=(c.id);
                                button class="btn btn-secondary" type="submit" {
                                    "RIMUOVI" span class="visually-hidden" { " la passkey " (c.name) }
                                }
                            }
                        }
                    }
                }
            }
            @if (listed.len() as i64) < PASSKEYS_PER_ACCOUNT {
                form method="post" action=(routes::ACCOUNT_PASSKEY_NEW) {
                    button class="btn btn-primary" type="submit" { "AGGIUNGI UNA PASSKEY" }
                }
            } @else {
                p class="notice" { (passkeys::TOO_MANY) }
            }
        },
    )
}

/// RINOMINA again with what was typed and its error (an empty name).
fn rename_page(form: &EditForm, errors: &FieldErrors) -> Markup {
    area::page(
        "Rinomina la passkey",
        html! {
            (area::heading("Rinomina la passkey", None, errors))
            form method="post" action=(routes::ACCOUNT_PASSKEY_RENAME) novalidate {
                input type="hidden" name="id" value=(form.id);
                (Field::text(passkeys::NAME_FIELD, "Nuovo nome", &form.nome).render(errors))
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::ACCOUNT_PASSKEYS) { "ANNULLA" }
                    button class="btn btn-primary" type="submit" { "RINOMINA" }
                }
            }
        },
    )
}
