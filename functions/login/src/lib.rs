//! Login, first step (guide, section 4): username + password, ACCEDI. On success the
//! SIM must still be an active line of the Convenzione; then an SMS code is sent and
//! the login flow continues on the code page.
//!
//! Enumeration: an unknown username, a ceased account and a wrong password give the
//! same page, status and work (a hash is verified in every case); the failure counter
//! is keyed by what was typed, so its lock is the same for real and invented names.

use lambda_http::Request;
use maud::{html, Markup};
use shared::domain::{MobileNumber, Username};
use shared::flows::login::{self, Login, KIND, TTL_SECS};
use shared::flows::record;
use shared::notify::messages;
use shared::pages::{error_summary, Field, FieldErrors};
use shared::store::accounts::{self, Account, Status};
use shared::store::lockout::{self, Attempt};
use shared::store::uniqueness::Kind;
use shared::store::{lines, otp, rate};
use shared::ui::layout::{self, PageOptions};
use shared::web::{self, Form, Resp, WebError};
use shared::{crypto, limits, passwords, routes, session, sms, App};

const WRONG_CREDENTIALS: &str =
    "Username o password non corretti. Controlla i dati inseriti e riprova.";

pub async fn handle(app: &App, req: Request) -> Resp {
    web::respond(if web::is_post(&req) {
        post(app, &req).await
    } else {
        get(app, &req).await
    })
}

async fn get(app: &App, req: &Request) -> Result<Resp, WebError> {
    let next = login::safe_next(&web::query_param(req, "next").unwrap_or_default());
    if session::current(app, req).await?.is_some() {
        return Ok(web::redirect(&next));
    }
    let notice = notice(req);
    Ok(web::html(
        200,
        page("", &next, &FieldErrors::default(), notice),
    ))
}

fn notice(req: &Request) -> Option<&'static str> {
    let q = |n| web::query_param(req, n).is_some();
    if q("uscito") {
        Some("Sei uscito dall'Area Clienti.")
    } else if q("sessione") {
        Some("La sessione è scaduta: accedi di nuovo per continuare.")
    } else if q("scaduta") {
        Some("La procedura di accesso è scaduta o non è più valida: inserisci di nuovo username e password.")
    } else if q("password-modificata") {
        Some("La password è stata modificata: accedi con la nuova password.")
    } else if q("next") {
        Some("Per continuare accedi all'Area Clienti.")
    } else {
        None
    }
}

async fn post(app: &App, req: &Request) -> Result<Resp, WebError> {
    let form = Form::from_request(req);
    let typed = form.get("username").trim().to_lowercase();
    let password = form.get("password").to_owned();
    let next = login::safe_next(form.get("next"));
    let mut errors = FieldErrors::default();
    if typed.is_empty() {
        errors.add("username", "Inserisci la username.");
    }
    if password.is_empty() {
        errors.add("password", "Inserisci la password.");
    }
    if !errors.is_empty() {
        return Ok(web::html(422, page(&typed, &next, &errors, None)));
    }
    let now = app.now();
    let store = app.store.as_ref();
    if !rate::hit(store, limits::LOGIN_PER_IP, &web::client_ip(req), now).await? {
        errors.add(
            "username",
            "Troppi tentativi di accesso da questa connessione. Attendi qualche minuto e riprova.",
        );
        return Ok(web::html(429, page(&typed, &next, &errors, None)));
    }
    // The lock keys are bounded so that a huge username cannot make a huge key.
    let lock_subject: String = typed.chars().take(128).collect();
    let client = web::client_ip(req);
    let per_client = format!("{lock_subject}#{client}");
    let locks = [
        (limits::LOGIN_LOCK_PER_CLIENT, per_client.as_str()),
        (limits::LOGIN_LOCK_PER_USERNAME, lock_subject.as_str()),
    ];
    // Counted before the password is verified: parallel guesses cannot all be verified.
    let mut lock_if_wrong = None;
    for (policy, subject) in locks {
        match lockout::attempt(store, policy, subject, now).await? {
            Attempt::Locked(left) => {
                tracing::info!(step = "login", outcome = "locked", viewer = %client, "login refused: locked");
                errors.add("username", locked_text(left));
                return Ok(web::html(429, page(&typed, &next, &errors, None)));
            }
            Attempt::Allowed {
                lock_if_wrong: lock,
            } => lock_if_wrong = lock_if_wrong.max(lock),
        }
    }
    let account = match Username::parse(&typed) {
        Ok(u) => accounts::by_claim(store, Kind::Username, u.as_str(), now)
            .await?
            .filter(|a| a.status == Status::Active),
        Err(_) => None,
    };
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let candidate = password.clone();
    let verified = tokio::task::spawn_blocking(move || {
        let ok = passwords::verify(
            stored.as_deref().unwrap_or(passwords::dummy_hash()),
            &candidate,
        );
        ok && stored.is_some()
    })
    .await
    .map_err(|e| WebError::Unavailable(e.to_string()))?;
    let Some(account) = account.filter(|_| verified) else {
        errors.add(
            "password",
            lock_if_wrong
                .map(locked_text)
                .unwrap_or_else(|| WRONG_CREDENTIALS.to_owned()),
        );
        tracing::info!(step = "login", outcome = "refused", viewer = %client, "login refused");
        return Ok(web::html(401, page(&typed, &next, &errors, None)));
    };
    for (policy, subject) in locks {
        lockout::clear(store, policy, subject).await?;
    }
    upgrade_hash_if_old(app, &account, password).await?;

    let number = MobileNumber::parse(&account.number)
        .map_err(|_| WebError::Unavailable("stored number unreadable".into()))?;
    if lines::active(store, &number).await?.is_none() {
        tracing::info!(
            step = "login",
            outcome = "line-not-active",
            "login refused: SIM not in the Convenzione"
        );
        errors.add(
            "username",
            "La SIM associata al tuo account non risulta attiva in Convenzione Telefonia Mobile 8: non è possibile completare l'accesso. Per informazioni rivolgiti al referente della Convenzione del tuo Ente.",
        );
        return Ok(web::html(403, page(&typed, &next, &errors, None)));
    }
    if let Err(refused) = sms::send_otp_once(
        app,
        otp::Purpose::Login,
        &account.id,
        &number,
        true,
        messages::sms_login_otp,
    )
    .await?
    {
        errors.add("username", <&str>::from(refused));
        return Ok(web::html(429, page(&typed, &next, &errors, None)));
    }
    let data = Login::new(
        account.id.clone(),
        account.number.clone(),
        account.session_epoch,
        now,
        next,
    );
    let (id, _) = record::create(store, KIND, data, TTL_SECS, now).await?;
    tracing::info!(step = "login", outcome = "code-sent", account = %crypto::log_id(&account.id), viewer = %client, "password verified, SMS code sent");
    Ok(web::redirect_with_cookies(
        routes::LOGIN_OTP,
        &[login::cookie(app, &id)],
    ))
}

/// Accounts imported from earlier Convenzioni keep their old hash until the first login.
async fn upgrade_hash_if_old(
    app: &App,
    account: &Account,
    password: String,
) -> Result<(), WebError> {
    if !passwords::needs_upgrade(&account.password_hash) {
        return Ok(());
    }
    let new_hash = tokio::task::spawn_blocking(move || passwords::rehash(&password))
        .await
        .map_err(|e| WebError::Unavailable(e.to_string()))?;
    if accounts::upgrade_hash(
        app.store.as_ref(),
        &account.id,
        &account.password_hash,
        &new_hash,
    )
    .await?
    {
        tracing::info!(step = "login", "password hash upgraded to argon2id");
    }
    Ok(())
}

fn locked_text(secs: i64) -> String {
    format!(
        "Per la tua sicurezza, dopo troppi tentativi errati l'accesso con questa username è bloccato per {}. Riprova più tardi oppure recupera le tue credenziali.",
        lockout::minutes_text(secs)
    )
}

fn page(username: &str, next: &str, errors: &FieldErrors, notice: Option<&str>) -> Markup {
    let opts = PageOptions {
        noindex: true,
        current: Some(routes::LOGIN),
        ..PageOptions::default()
    };
    layout::page_with(
        &opts,
        "Accedi all'Area Clienti",
        html! {
            div class="container narrow" {
                h1 { "Accedi all'Area Clienti" }
                @if let Some(n) = notice { p class="notice" role="status" { (n) } }
                (error_summary(errors))
                p { "Inserisci username e password scelte in fase di registrazione: ti invieremo un SMS con un codice temporaneo sul numero TIM associato al tuo account." }
                form method="post" action=(routes::LOGIN) novalidate {
                    input type="hidden" name="next" value=(next);
                    (Field::text("username", "Username", username).autocomplete("username").render(errors))
                    (Field::text("password", "Password", "").kind("password").autocomplete("current-password").render(errors))
                    div class="btn-row" {
                        button class="btn btn-primary" type="submit" { "ACCEDI" }
                    }
                }
                p { "Non hai ancora un account? " a href=(routes::REGISTER_NUMBER) { "Registrati ora" } }
                p { a href=(routes::RECOVER) { "Recupera Username e Password" } }
            }
        },
    )
}
