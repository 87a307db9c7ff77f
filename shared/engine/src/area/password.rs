//! "Cambia la password": the current password and the new one (the rules of registration
//! step 5, typed twice). One transaction sets the new hash (on condition that the hash is
//! still the one verified: of two tabs only one wins), bumps the account's session epoch
//! (every other session ends) and starts a new session for this browser; the "password
//! modificata" email follows.

use super::{reauth, Refusal};
use crate::session::{self, SignedIn};
use crate::App;
use crate::{Ctx, Effect, Outcome, Reply, Tx, WebError};
use domain::passwords;
use domain::Password;
use domain::{clock, routes};
use notify::account_messages;
use serde::Deserialize;
use store::accounts;
use ui::pages::{self, FieldErrors};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub password_attuale: String,
    pub password: String,
    pub conferma_password: String,
}

/// Where the page says the password was changed.
pub fn done_path() -> String {
    format!("{}?modificata=1", routes::ACCOUNT_PASSWORD)
}

/// The new password as typed (the rules of registration step 5), or the form again.
fn chosen(s: &SignedIn, form: &Form) -> Result<Password, FieldErrors> {
    let a = &s.account;
    let mut errors = FieldErrors::default();
    if form.password_attuale.is_empty() {
        errors.add(reauth::FIELD, reauth::MISSING);
    }
    let personal = [
        a.nome.as_str(),
        a.cognome.as_str(),
        a.email.as_str(),
        a.username.as_str(),
    ];
    let new = pages::new_password(
        &form.password,
        &form.conferma_password,
        &personal,
        &mut errors,
    );
    if new.is_some() && form.password == form.password_attuale {
        errors.add(
            "password",
            "La nuova password deve essere diversa da quella attuale.",
        );
    }
    match (new, errors.is_empty()) {
        (Some(new), true) => Ok(new),
        _ => Err(errors),
    }
}

/// What the change reads and computes before deciding: the current password verified
/// (`reauth::verify`) and the new one's hash.
pub struct Facts {
    pub checked: reauth::Checked,
    pub hash: String,
}

/// The form checked, the current password verified and the new one hashed (off the async
/// threads); `Err` is the form again.
pub async fn load(
    app: &App,
    s: &SignedIn,
    form: &Form,
) -> Result<Result<Facts, Outcome<Refusal>>, WebError> {
    let new = match chosen(s, form) {
        Ok(new) => new,
        Err(errors) => return Ok(Err(Outcome::reply(Reply::Form(422, errors)))),
    };
    let checked = reauth::verify(app, s, &form.password_attuale).await?;
    let hash = tokio::task::spawn_blocking(move || passwords::hash(&new))
        .await
        .map_err(|e| WebError::Unavailable(e.to_string()))?;
    Ok(Ok(Facts { checked, hash }))
}

/// The change, on the facts `load` gave.
pub fn decide(app: &App, ctx: &Ctx, s: &SignedIn, facts: Facts) -> Outcome<Refusal> {
    let a = &s.account;
    let Facts { checked, hash } = facts;
    let now = app.now();
    let mut tx = Tx::new();
    if let Some(refused) = reauth::count(&mut tx, &checked, now) {
        return refused;
    }
    tx.guard(
        accounts::set_password_op(&a.id, &a.password_hash, &hash, true),
        Refusal::Changed(reauth::FIELD),
    );
    // This browser stays signed in: a new session at the new epoch replaces its old one.
    let (ops, cookie) = session::start_ops(app, ctx, &a.id, a.session_epoch + 1);
    for op in ops {
        tx.write(op);
    }
    let recover = format!("{}{}", app.config.public_base_url, routes::RECOVER);
    let mail = account_messages::email_password_changed_in_area(
        &a.email,
        &clock::rome_datetime(now),
        &recover,
    );
    tracing::info!(step = "area-password", account = %domain::crypto::log_id(&a.id), "password changed");
    Outcome::redirect(done_path())
        .with_tx(tx)
        .send(Effect::Email(mail))
        .cookie(cookie)
}
