//! The reset link and the new password. Opening the link shows a page whose button sends
//! an SMS code to the account's number (a GET sends nothing: mail scanners open links);
//! after the code, the new password is set in one transaction that also uses up the link,
//! ends every session of the account, forgets its failed logins and completes the flow.
//! A confirmation email follows.

pub use super::refusal::link_gone_page;
use super::refusal::{Page, Refusal};
use super::{Recovery, Step, KIND, RESET_TOKEN, TTL_SECS};
use crate::domain::OtpCode;
use crate::engine::{Carried, Effect, Outcome, Refusal as _, Reply, Tx};
use crate::flows::record;
use crate::notify::messages;
use crate::pages::{self, FieldErrors};
use crate::store::accounts::{self, Account, Status};
use crate::store::lockout::{self, Counter};
use crate::store::otp::{self, Purpose};
use crate::store::tokens;
use crate::web::WebError;
use crate::{limits, passwords, routes, sms, App};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub token: String,
    pub password: String,
    pub conferma_password: String,
}

/// The active account a live reset link points to, with the link's hash.
pub async fn link_account(app: &App, token: &str) -> Result<Option<(Account, String)>, WebError> {
    let store = app.store.as_ref();
    let Some((account_id, hash)) = tokens::peek(store, RESET_TOKEN, token, app.now()).await? else {
        return Ok(None);
    };
    Ok(accounts::get(store, &account_id)
        .await?
        .filter(|a| a.status == Status::Active)
        .map(|a| (a, hash)))
}

/// INVIA IL CODICE on the link's page: a code to the account's number (one per account: a
/// double click sends one SMS and both flows accept it) and a reset flow.
pub async fn start(app: &App, token: &str, flow_id: &str) -> Result<Outcome<Refusal>, WebError> {
    let Some((account, token_hash)) = link_account(app, token).await? else {
        return Ok(Outcome::reply(Refusal::LinkGone.reply()));
    };
    let now = app.now();
    let data = Recovery::reset(account.id.clone(), account.number.clone(), token_hash, now);
    let recent = otp::age(app.store.as_ref(), Purpose::Recovery, &data.rid, now)
        .await?
        .is_some_and(|age| age < limits::RESEND_INTERVAL_SECS);
    let mut tx = Tx::new();
    let mut outcome = Outcome::redirect(Step::Code.path());
    if !recent {
        let code = OtpCode::generate();
        sms::charge(&mut tx, app, Purpose::Recovery, &account.number, now, |r| {
            Refusal::Sms(Page::Reset, r)
        });
        let keep = Some(limits::RESEND_INTERVAL_SECS);
        let secret = &app.config.flow_secret;
        tx.guard(
            otp::issue_op(secret, Purpose::Recovery, &data.rid, &code, now, keep),
            Refusal::Concurrent(Page::Reset),
        );
        outcome = outcome
            .send(Effect::Sms {
                to: account.number.clone(),
                text: messages::sms_recovery_otp(&code),
            })
            .unless_sent(otp::withdraw_op(
                secret,
                Purpose::Recovery,
                &data.rid,
                &code,
            ));
    }
    tx.write(record::create_op(KIND, flow_id, &data, TTL_SECS, now));
    Ok(outcome
        .with_tx(tx)
        .cookie(super::cookie(app, flow_id, 1, &data)))
}

/// SALVA with the new password.
pub async fn set_password(
    app: &App,
    flow: Carried<Recovery>,
    form: &Form,
) -> Result<Outcome<Refusal>, WebError> {
    let (Ok(done), Some(reset)) = (flow.data.password_set(), flow.data.reset.as_ref()) else {
        return Ok(Outcome::redirect(flow.data.state.path()));
    };
    let Some(account) = accounts::get(app.store.as_ref(), &reset.account_id)
        .await?
        .filter(|a| a.status == Status::Active)
    else {
        return Ok(Outcome::reply(Refusal::LinkGone.reply()));
    };
    let mut errors = FieldErrors::default();
    let personal = [
        account.nome.as_str(),
        account.cognome.as_str(),
        account.email.as_str(),
        account.username.as_str(),
    ];
    let password = pages::new_password(
        &form.password,
        &form.conferma_password,
        &personal,
        &mut errors,
    );
    let (Some(password), true) = (password, errors.is_empty()) else {
        return Ok(Outcome::reply(Reply::Form(422, errors)));
    };
    let hash = passwords::in_pool(move || passwords::hash(&password))
        .await
        .map_err(|e| WebError::Unavailable(e.to_string()))?;
    let now = app.now();
    let mut tx = Tx::new();
    tx.write(flow.save_op(KIND, &done, TTL_SECS, now));
    tx.guard(
        accounts::set_password_op(&account.id, &account.password_hash, &hash, true),
        Refusal::AlreadyChanged,
    );
    tx.guard(
        tokens::consume_op(RESET_TOKEN, &reset.token_hash),
        Refusal::LinkGone,
    );
    let locks = limits::LOGIN_LOCK_PER_USERNAME;
    tx.write(lockout::clear_op(
        locks,
        &account.username,
        &Counter::default(),
    ));
    tracing::info!(step = "recover-reset", "password changed, sessions ended");
    let login = format!("{}{}", app.config.public_base_url, routes::LOGIN);
    Ok(
        Outcome::redirect(format!("{}?password-modificata=1", routes::LOGIN))
            .with_tx(tx)
            .send(Effect::Email(messages::email_password_changed(
                &account.email,
                &account.username,
                &login,
            )))
            .cookie(super::clear_cookie(app)),
    )
}
