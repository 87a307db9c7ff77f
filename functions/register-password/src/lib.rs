//! Registration steps 5 and 6: the password with the terms, then the outcome. AVANTI
//! creates the account in one transaction: the account, its username, email and number
//! claims, the ceasing of a superseded registration, and the flow's completion — all
//! or nothing, so a double submit or a race makes exactly one account.

use lambda_http::Request;
use maud::{html, Markup};
use shared::documents;
use shared::domain::{MobileNumber, Password};
use shared::flows::record;
use shared::flows::registration::{Step, TTL_SECS};
use shared::flows::registration_step::{self as step, RegFlow};
use shared::notify::messages::{self, RegistrationSummary};
use shared::pages::{error_summary, new_password_fields, registration_page, FieldErrors};
use shared::store::accounts::{self, Account, Status};
use shared::store::uniqueness::{self, account_owner, Kind};
use shared::store::{Cond, StoreError, TxOp, Update};
use shared::web::{self, Form, Resp, WebError};
use shared::{crypto, passwords, routes, App};

pub async fn handle(app: &App, req: Request) -> Resp {
    let done = req.uri().path() == routes::REGISTER_DONE;
    web::respond(match (web::is_post(&req), done) {
        (false, false) => get(app, &req).await,
        (true, false) => post(app, &req).await,
        (_, true) => outcome(app, &req).await,
    })
}

async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    match step::enter(app, req, Step::Password).await? {
        Ok(_) => Ok(web::html(200, page(&FieldErrors::default(), false, false))),
        Err(redirect) => Ok(redirect),
    }
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let mut flow = match step::enter(app, req, Step::Password).await? {
        Ok(f) => f,
        Err(redirect) => return Ok(redirect),
    };
    let form = Form::from_request(req);
    let (terms, privacy) = (form.get("termini") == "si", form.get("privacy") == "si");
    let mut errors = FieldErrors::default();
    let r = &flow.data;
    let personal = [
        r.nome.as_str(),
        r.cognome.as_str(),
        r.email.as_str(),
        r.username.as_str(),
    ];
    let password = Password::parse(form.get("password"), &personal)
        .map_err(|e| errors.add("password", e))
        .ok();
    if password.is_some() && form.get("password") != form.get("conferma_password") {
        errors.add(
            "conferma_password",
            "Le due password non coincidono: inserisci di nuovo la stessa password.",
        );
    }
    if !terms {
        errors.add(
            "termini",
            "Per proseguire devi accettare i Termini e condizioni generali.",
        );
    }
    if !privacy {
        errors.add(
            "privacy",
            "Per proseguire devi accettare l'Informativa privacy.",
        );
    }
    let (Some(password), true) = (password, errors.is_empty()) else {
        return Ok(web::html(422, page(&errors, terms, privacy)));
    };
    // argon2id takes tens of milliseconds of CPU: off the async workers.
    let hash = tokio::task::spawn_blocking(move || passwords::hash(&password))
        .await
        .map_err(|e| WebError::Unavailable(e.to_string()))?;
    let now = app.now();
    let account = Account {
        id: crypto::random_token(),
        nome: r.nome.clone(),
        cognome: r.cognome.clone(),
        personal_cf: r.personal_cf.clone(),
        entity_cf: r.entity_cf.clone(),
        ragione_sociale: r.ragione_sociale.clone(),
        number: MobileNumber::parse(&r.number)
            .map_err(|_| WebError::Unavailable("flow number unreadable".into()))?,
        email: r.email.clone(),
        username: r.username.clone(),
        password_hash: hash,
        status: Status::Active,
        session_epoch: 0,
        created_at: now,
        terms_version: documents::TERMS_VERSION.into(),
        privacy_version: documents::PRIVACY_VERSION.into(),
        accepted_at: now,
        origin: String::new(),
    };
    let ceased = match create_account(app, &mut flow, &account, now).await? {
        Ok(ceased) => ceased,
        Err(message) => {
            errors.add("password", message);
            return Ok(web::html(409, page(&errors, terms, privacy)));
        }
    };
    tracing::info!(
        step = "register-password",
        ceased = ceased.len(),
        "account created"
    );
    notify_ceased(app, &ceased, account.number.e164()).await;
    send_summary(app, &mut flow).await;
    Ok(web::redirect(Step::Done.path()))
}

/// What a cancelled creation failed on (the transaction's ops are tagged, not counted).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Flow,
    Account,
    Claim(Kind),
    Superseded,
}

/// The all-or-nothing creation: the flow completed, the account, its claims (taken from
/// the flow's reservations or from the accounts it supersedes), and each superseded account
/// ceased with the claims the new one does not take released. `Ok(Err(msg))` when a
/// uniqueness rule refused it; `Ok(Ok(ceased))` lists the accounts ceased.
async fn create_account(
    app: &App,
    flow: &mut RegFlow,
    account: &Account,
    now: i64,
) -> Result<Result<Vec<Account>, &'static str>, WebError> {
    let owner = flow.data.owner();
    let may_replace = flow.data.superseded_owners();
    let mut completed = flow.clone();
    if completed.data.completed(account.id.clone()).is_err() {
        return Ok(Err("La registrazione è già stata completata."));
    }
    let person = uniqueness::person_value(&account.entity_cf, &account.personal_cf);
    let claims = [
        (Kind::Username, account.username.clone()),
        (Kind::Email, account.email.clone()),
        (Kind::Number, account.number.e164().to_owned()),
        (Kind::Person, person),
    ];
    let mut ops = vec![
        (Part::Flow, record::save_op(&completed, TTL_SECS, now)),
        (
            Part::Account,
            TxOp::Put {
                key: accounts::key(&account.id),
                item: accounts::to_item(account),
                cond: Some(Cond::NotExists),
            },
        ),
    ];
    ops.extend(claims.iter().map(|(kind, value)| {
        (
            Part::Claim(*kind),
            uniqueness::claim_op(*kind, value, &account.id, &owner, &may_replace, now),
        )
    }));
    let mut ceased = Vec::new();
    for id in &flow.data.supersedes {
        let Some(old) = accounts::get(app.store.as_ref(), id).await? else {
            continue;
        };
        let update = Update::new()
            .set("status", "ceased")
            .set("ceased_at", now)
            .add("session_epoch", 1);
        ops.push((
            Part::Superseded,
            TxOp::Update {
                key: accounts::key(id),
                update,
                cond: Some(Cond::Exists),
            },
        ));
        let old_person = uniqueness::person_value(&old.entity_cf, &old.personal_cf);
        let old_claims = [
            (Kind::Username, old.username.as_str()),
            (Kind::Email, old.email.as_str()),
            (Kind::Number, old.number.e164()),
            (Kind::Person, old_person.as_str()),
        ];
        for (kind, value) in old_claims {
            if !value.is_empty() && !claims.iter().any(|(k, v)| *k == kind && v == value) {
                ops.push((
                    Part::Superseded,
                    uniqueness::release_op(kind, value, &account_owner(id)),
                ));
            }
        }
        ceased.push(old);
    }
    let (parts, ops): (Vec<Part>, Vec<TxOp>) = ops.into_iter().unzip();
    match app.store.transact(ops).await {
        Ok(()) => {
            completed.version += 1;
            *flow = completed;
            Ok(Ok(ceased))
        }
        Err(StoreError::TxCancelled { failed }) => Ok(Err(match failed.iter().position(|f| *f).map(|i| parts[i]) {
            Some(Part::Flow) => "La registrazione è già stata completata o è cambiata in un'altra finestra: ricarica la pagina.",
            Some(Part::Claim(Kind::Username)) => "La username scelta non è più disponibile: ricomincia la registrazione scegliendone un'altra.",
            Some(Part::Claim(Kind::Email)) => "L'indirizzo email è già associato a un'altra registrazione.",
            Some(Part::Claim(Kind::Number)) => "Questo numero è stato appena registrato da un'altra registrazione: se è la tua, accedi o recupera le tue credenziali.",
            Some(Part::Claim(Kind::Person)) => "Con i tuoi dati è stata appena completata un'altra registrazione: se è la tua, accedi o recupera le tue credenziali.",
            Some(Part::Account | Part::Superseded) | None => "Non è stato possibile completare la registrazione: riprova.",
        })),
        Err(e) => Err(e.into()),
    }
}

/// Tells the owner of each ceased account (a failure is logged: the registration stands).
async fn notify_ceased(app: &App, ceased: &[Account], new_number: &str) {
    let when = shared::clock::rome_datetime(app.now());
    let recover = format!("{}{}", app.config.public_base_url, routes::RECOVER);
    for old in ceased {
        let mail = messages::email_account_ceased(
            &old.email,
            &when,
            &shared::pages::otp::masked(new_number),
            &recover,
        );
        if let Err(e) = app.notifier.email(&mail).await {
            tracing::error!(error = %e, "ceased-account email not sent");
        }
    }
}

/// Sends the summary email once; a failure is retried when the outcome page is shown.
async fn send_summary(app: &App, flow: &mut RegFlow) {
    if flow.data.summary_sent {
        return;
    }
    let r = &flow.data;
    let number = MobileNumber::parse(&r.number)
        .map(|n| n.national())
        .unwrap_or_else(|_| r.number.clone());
    let nome_cognome = format!("{} {}", r.nome, r.cognome);
    let login = format!("{}{}", app.config.public_base_url, routes::LOGIN);
    let summary = RegistrationSummary {
        nome_cognome: &nome_cognome,
        ragione_sociale: &r.ragione_sociale,
        entity_cf: &r.entity_cf,
        personal_cf: &r.personal_cf,
        number: &number,
        email: &r.email,
        username: &r.username,
        login_link: &login,
    };
    match app
        .notifier
        .email(&messages::email_registration_summary(&r.email, &summary))
        .await
    {
        Ok(()) => {
            flow.data.summary_sent = true;
            if let Err(e) = record::save(app.store.as_ref(), flow, TTL_SECS, app.now()).await {
                tracing::warn!(error = %e, "summary sent but flow not updated");
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "summary email not sent; will retry on the outcome page")
        }
    }
}

async fn outcome(app: &App, req: &Request) -> Result<Resp, WebError> {
    let mut flow = match step::enter(app, req, Step::Done).await? {
        Ok(f) => f,
        Err(redirect) => return Ok(redirect),
    };
    send_summary(app, &mut flow).await;
    let body = html! {
        h1 { "Richiesta inviata con successo" }
        @if flow.data.summary_sent {
            p class="success" role="status" { "Ti abbiamo inviato una email per ricordarti i tuoi dati di accesso." }
        } @else {
            p class="warning" role="status" { "La registrazione è completata, ma non siamo riusciti a inviarti l'email di riepilogo: ricarica la pagina tra qualche minuto per riprovare." }
        }
        p { "Clicca su " strong { "ACCEDI" } " e inserisci la username e la password scelte durante la registrazione." }
        p { a class="btn btn-primary" href=(routes::LOGIN) { "ACCEDI" } }
    };
    Ok(web::html(
        200,
        registration_page(6, "Richiesta inviata con successo", body),
    ))
}

fn checkbox(name: &'static str, checked: bool, errors: &FieldErrors, label: Markup) -> Markup {
    let err = errors.get(name);
    html! {
        div class="field" {
            @if let Some(e) = err { p class="field-error" id={ (name) "-error" } { span class="visually-hidden" { "Errore: " } (e) } }
            label class="checkbox" {
                input type="checkbox" id=(name) name=(name) value="si" checked[checked]
                    aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| format!("{name}-error"))];
                " " (label)
            }
        }
    }
}

fn page(errors: &FieldErrors, terms: bool, privacy: bool) -> Markup {
    registration_page(
        5,
        "Scegli la password",
        html! {
            h1 { "Scegli la password e accetta le condizioni" }
            (error_summary(errors))
            p { "Scegli la password di accesso: deve rispettare le regole descritte. Inseriscila nuovamente per verifica. Poi scarica, leggi ed accetta i Termini e condizioni generali e l'Informativa della privacy ed infine clicca su " strong { "AVANTI" } "." }
            form method="post" action=(Step::Password.path()) novalidate {
                (new_password_fields(errors))
                (checkbox("termini", terms, errors, html! { "Ho letto e accetto i " a href=(documents::TERMS_PDF) { "Termini e condizioni generali (PDF)" } }))
                (checkbox("privacy", privacy, errors, html! { "Ho letto e accetto l'" a href=(documents::PRIVACY_PDF) { "Informativa privacy (PDF)" } }))
                div class="btn-row" {
                    span {}
                    button class="btn btn-primary" type="submit" { "AVANTI" }
                }
            }
        },
    )
}
