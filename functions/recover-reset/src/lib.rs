//! The reset link and the new password. Opening the link shows a page whose button sends
//! an SMS code to the account's number (a GET sends nothing: mail scanners open links);
//! after the code, the new password is set in one transaction that also uses up the link
//! and ends every session of the account. A confirmation email follows.

use lambda_http::Request;
use maud::{html, Markup};
use shared::domain::Password;
use shared::flows::record;
use shared::flows::recovery::{self, Recovery, RecoveryFlow, Step, KIND, RESET_TOKEN, TTL_SECS};
use shared::notify::messages;
use shared::pages::{error_summary, new_password_fields, FieldErrors};
use shared::store::accounts::{self, Account, Status};
use shared::store::{lockout, otp, tokens, StoreError};
use shared::ui::layout;
use shared::web::{self, Form, Resp, WebError};
use shared::{limits, passwords, routes, sms, App};

pub async fn handle(app: &App, req: Request) -> Resp {
    let form = web::is_post(&req).then(|| Form::from_request(&req));
    web::respond(match (form, web::query_param(&req, "token")) {
        (None, Some(token)) => link_page(app, &token).await,
        (None, None) => password_page(app, &req).await,
        (Some(form), _) if !form.get("token").is_empty() => {
            start_reset(app, form.get("token")).await
        }
        (Some(form), _) => set_password(app, &req, &form).await,
    })
}

/// The account a live reset link points to.
async fn link_account(app: &App, token: &str) -> Result<Option<(Account, String)>, WebError> {
    let Some((account_id, hash)) =
        tokens::peek(app.store.as_ref(), RESET_TOKEN, token, app.now()).await?
    else {
        return Ok(None);
    };
    Ok(accounts::get(app.store.as_ref(), &account_id)
        .await?
        .filter(|a| a.status == Status::Active)
        .map(|a| (a, hash)))
}

async fn link_page(app: &App, token: &str) -> Result<Resp, WebError> {
    if link_account(app, token).await?.is_none() {
        return Ok(web::html(410, invalid_link_page()));
    }
    Ok(web::html(
        200,
        frame(
            "Scegli una nuova password",
            html! {
                h1 { "Scegli una nuova password" }
                p { "Per la tua sicurezza, prima di scegliere la nuova password ti invieremo un SMS con un codice temporaneo sul numero TIM associato al tuo account." }
                form method="post" action=(routes::RECOVER_RESET) {
                    input type="hidden" name="token" value=(token);
                    div class="btn-row" {
                        a class="btn btn-secondary" href=(routes::LOGIN) { "ANNULLA" }
                        button class="btn btn-primary" type="submit" { "INVIA IL CODICE" }
                    }
                }
            },
        ),
    ))
}

async fn start_reset(app: &App, token: &str) -> Result<Resp, WebError> {
    let Some((account, token_hash)) = link_account(app, token).await? else {
        return Ok(web::html(410, invalid_link_page()));
    };
    let number = account.number.clone();
    // One code per account: a double-clicked button sends one SMS, both flows accept it.
    let rid = format!("reset:{}", account.id);
    if let Err(refused) = sms::send_otp_once(
        app,
        otp::Purpose::Recovery,
        &rid,
        &number,
        true,
        messages::sms_recovery_otp,
    )
    .await?
    {
        return Ok(web::html(
            429,
            message_page("Codice non inviato", <&str>::from(refused)),
        ));
    }
    let data = Recovery::reset(
        rid,
        account.id.clone(),
        account.number.e164().to_owned(),
        token_hash,
        app.now(),
    );
    let (id, _) = record::create(app.store.as_ref(), KIND, data, TTL_SECS, app.now()).await?;
    Ok(web::redirect_with_cookies(
        Step::Code.path(),
        &[recovery::cookie(app, &id)],
    ))
}

async fn password_page(app: &App, req: &Request) -> Result<Resp, WebError> {
    match recovery::enter(app, req, Step::NewPassword).await? {
        Ok(_) => Ok(web::html(200, new_password_page(&FieldErrors::default()))),
        Err(redirect) => Ok(redirect),
    }
}

async fn set_password(app: &App, req: &Request, form: &Form) -> Result<Resp, WebError> {
    let mut flow = match recovery::enter(app, req, Step::NewPassword).await? {
        Ok(f) => f,
        Err(redirect) => return Ok(redirect),
    };
    let account_id = flow.data.account_id.clone().unwrap_or_default();
    let Some(account) = accounts::get(app.store.as_ref(), &account_id)
        .await?
        .filter(|a| a.status == Status::Active)
    else {
        return Ok(web::html(410, invalid_link_page()));
    };
    let mut errors = FieldErrors::default();
    let personal = [
        account.nome.as_str(),
        account.cognome.as_str(),
        account.email.as_str(),
        account.username.as_str(),
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
    let (Some(password), true) = (password, errors.is_empty()) else {
        return Ok(web::html(422, new_password_page(&errors)));
    };
    let hash = tokio::task::spawn_blocking(move || passwords::hash(&password))
        .await
        .map_err(|e| WebError::Unavailable(e.to_string()))?;
    match commit(app, &mut flow, &account, &hash).await? {
        Ok(()) => {}
        Err(page) => return Ok(page),
    }
    lockout::clear(
        app.store.as_ref(),
        limits::LOGIN_LOCK_PER_USERNAME,
        &account.username,
    )
    .await?;
    let login = format!("{}{}", app.config.public_base_url, routes::LOGIN);
    app.notifier
        .email(&messages::email_password_changed(
            &account.email,
            &account.username,
            &login,
        ))
        .await?;
    tracing::info!(step = "recover-reset", "password changed, sessions ended");
    Ok(web::redirect_with_cookies(
        &format!("{}?password-modificata=1", routes::LOGIN),
        &[recovery::clear_cookie(app)],
    ))
}

/// One transaction: the new hash (if the old one is unchanged) with every session ended,
/// the link used up, the flow completed. `Ok(Err(page))` when the link or flow moved on.
async fn commit(
    app: &App,
    flow: &mut RecoveryFlow,
    account: &Account,
    hash: &str,
) -> Result<Result<(), Resp>, WebError> {
    let mut done = flow.clone();
    if done.data.password_set().is_err() {
        return Ok(Err(web::redirect(done.data.state.path())));
    }
    let token_hash = flow.data.token_hash.clone().unwrap_or_default();
    let ops = vec![
        record::save_op(&done, TTL_SECS, app.now()),
        accounts::set_password_op(&account.id, &account.password_hash, hash, true),
        tokens::consume_op(RESET_TOKEN, &token_hash),
    ];
    match app.store.transact(ops).await {
        Ok(()) => {
            done.version += 1;
            *flow = done;
            Ok(Ok(()))
        }
        // A double submit: the first one changed the password.
        Err(StoreError::TxCancelled { failed }) if failed.first() == Some(&true) => {
            Ok(Err(web::redirect(routes::LOGIN)))
        }
        Err(StoreError::TxCancelled { .. }) => Ok(Err(web::html(410, invalid_link_page()))),
        Err(e) => Err(e.into()),
    }
}

fn frame(title: &str, body: Markup) -> Markup {
    layout::flow_page(title, html! { div class="container narrow" { (body) } })
}

fn new_password_page(errors: &FieldErrors) -> Markup {
    frame(
        "Scegli una nuova password",
        html! {
            h1 { "Scegli una nuova password" }
            (error_summary(errors))
            p { "Scegli la nuova password di accesso: deve rispettare le regole descritte. Inseriscila nuovamente per verifica e clicca su " strong { "SALVA" } ". Tutte le sessioni aperte con la vecchia password verranno chiuse." }
            form method="post" action=(routes::RECOVER_RESET) novalidate {
                (new_password_fields(errors))
                div class="btn-row" {
                    span {}
                    button class="btn btn-primary" type="submit" { "SALVA" }
                }
            }
        },
    )
}

fn message_page(title: &str, text: &str) -> Markup {
    frame(
        title,
        html! {
            h1 { (title) }
            p class="warning" role="alert" { (text) }
            p { a class="btn btn-primary" href=(routes::RECOVER) { "RECUPERA USERNAME E PASSWORD" } }
        },
    )
}

fn invalid_link_page() -> Markup {
    message_page(
        "Link non valido",
        "Il link per scegliere una nuova password non è valido, è scaduto o è già stato usato. Richiedi un nuovo link dalla pagina di recupero delle credenziali.",
    )
}
