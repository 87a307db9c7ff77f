//! Steps 5 and 6: the password with the terms, then the outcome. AVANTI creates the account
//! in one transaction: the flow completed, the account, its username, email, number and
//! person claims, and — after PROSEGUI — each superseded account ceased (which ends its
//! sessions) with the claims the new one does not take released. All or nothing, so a
//! double submit or a race makes exactly one account. Then the old owners are told, and the
//! summary email goes out; one that cannot is retried by the outcome page.

use super::{saving, Attempt, Refusal, Registration, Step};
use crate::domain::Password;
use crate::engine::{Carried, Effect, Outcome, Reply};
use crate::flows::record;
use crate::notify::messages::{self, RegistrationSummary};
use crate::notify::EmailMessage;
use crate::pages::{self, FieldErrors};
use crate::store::accounts::{self, cease_ops, claims, Account, Status};
use crate::store::uniqueness;
use crate::store::{consent_log, Cond, TxOp};
use crate::web::WebError;
use crate::{documents, passwords, routes, App};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub password: String,
    pub conferma_password: String,
    pub termini: String,
    pub privacy: String,
}

impl Form {
    pub fn terms(&self) -> bool {
        self.termini == "si"
    }
    pub fn privacy(&self) -> bool {
        self.privacy == "si"
    }
}

/// The password (with its confirmation) and both consents: the password, or the errors.
pub fn check(form: &Form, flow: &Registration) -> Result<Password, FieldErrors> {
    let mut errors = FieldErrors::default();
    let profile = flow.profile.as_ref();
    let personal = [
        profile.map_or("", |p| p.nome.as_str()),
        profile.map_or("", |p| p.cognome.as_str()),
        flow.email().map_or("", |e| e.as_str()),
        flow.username.as_ref().map_or("", |u| u.as_str()),
    ];
    let password = pages::new_password(
        &form.password,
        &form.conferma_password,
        &personal,
        &mut errors,
    );
    if !form.terms() {
        errors.add(
            "termini",
            "Per proseguire devi accettare i Termini e condizioni generali.",
        );
    }
    if !form.privacy() {
        errors.add(
            "privacy",
            "Per proseguire devi accettare l'Informativa privacy.",
        );
    }
    match password {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err(errors),
    }
}

/// The argon2id hash (tens of milliseconds of CPU: off the async workers).
pub async fn hash(password: Password) -> Result<String, WebError> {
    tokio::task::spawn_blocking(move || passwords::hash(&password))
        .await
        .map_err(|e| WebError::Unavailable(e.to_string()))
}

/// The step: the accounts PROSEGUI supersedes (one read, only after PROSEGUI), then the
/// account `account_id` with the password `hash`.
pub async fn decide(
    app: &App,
    flow: Carried<Registration>,
    _: Attempt,
    account_id: &str,
    hash: &str,
) -> Result<Outcome<Refusal>, WebError> {
    let ids = &flow.data.supersedes;
    let mut superseded = Vec::new();
    if !ids.is_empty() {
        let keys: Vec<_> = ids.iter().map(|id| accounts::key(id)).collect();
        let items = app.store.batch_get(&keys).await?;
        for (id, item) in ids.iter().zip(items) {
            superseded.extend(item.and_then(|i| accounts::from_item(id, &i)));
        }
    }
    Ok(complete(app, flow, account_id, hash, superseded))
}

/// The account this registration makes.
fn account(r: &Registration, id: &str, hash: &str, now: i64) -> Option<Account> {
    let (profile, email, username) = (
        r.profile.as_ref()?,
        r.email.as_ref()?,
        r.reserved_username.as_ref()?,
    );
    Some(Account {
        id: id.to_owned(),
        nome: profile.nome.clone(),
        cognome: profile.cognome.clone(),
        personal_cf: profile.personal_cf.as_str().to_owned(),
        entity_cf: profile.entity_cf.as_str().to_owned(),
        ragione_sociale: r.line.ragione_sociale.clone(),
        number: r.number.clone(),
        email: email.value.as_str().to_owned(),
        username: username.value.as_str().to_owned(),
        password_hash: hash.to_owned(),
        status: Status::Active,
        session_epoch: 0,
        created_at: now,
        terms_version: documents::TERMS_VERSION.into(),
        privacy_version: documents::PRIVACY_VERSION.into(),
        accepted_at: now,
        origin: String::new(),
    })
}

/// A value `account` claims: username, email, number, person.
/// AVANTI with a valid password: the all-or-nothing creation (see the module).
pub fn complete(
    app: &App,
    flow: Carried<Registration>,
    account_id: &str,
    hash: &str,
    superseded: Vec<Account>,
) -> Outcome<Refusal> {
    let now = app.now();
    let r = &flow.data;
    let Some(account) = account(r, account_id, hash, now) else {
        return Outcome::redirect(super::expired());
    };
    let next = match super::next(&flow, |n| n.completed(account_id.to_owned())) {
        Ok(next) => next,
        Err(answer) => return *answer,
    };
    let mut tx = saving(app, &flow, &next);
    let create = TxOp::Put {
        key: accounts::key(account_id),
        item: accounts::to_item(&account),
        cond: Some(Cond::NotExists),
    };
    tx.guard(create, Refusal::NotCompleted);
    // The consents' audit outlives the account (`consent_log`).
    tx.write(consent_log::record_op(
        account_id,
        consent_log::Action::Accepted,
        &account.terms_version,
        &account.privacy_version,
        now,
    ));
    let (owner, may_replace) = (r.owner(), r.superseded_owners());
    let taken = claims(&account);
    for (kind, value) in &taken {
        let claim = uniqueness::claim_op(*kind, value, account_id, &owner, &may_replace, now);
        tx.guard(claim, Refusal::Claimed(*kind));
    }
    let mut effects = Vec::new();
    for old in &superseded {
        for op in cease_ops(old, &taken, now) {
            tx.guard(op, Refusal::NotCompleted);
        }
        effects.push(Effect::Email(ceased_email(app, old, r)));
    }
    effects.push(Effect::Email(summary_email(app, &next)));
    tracing::info!(
        step = "register-password",
        ceased = superseded.len(),
        "account created"
    );
    let mut unsent = next.clone();
    let _ = unsent.summary(false);
    let v = flow.version + 1;
    let undo = record::update_op(super::KIND, &flow.id, v, &unsent, super::TTL_SECS, now);
    let unsent_cookie = super::cookie(app, &flow.id, v + 1, &unsent);
    let mut outcome = super::advance(app, &flow, &next, tx)
        .unless_sent(undo)
        .or_if_unsent(
            Reply::Redirect(Step::Done.path().to_owned()),
            vec![unsent_cookie],
        );
    outcome.effects = effects;
    outcome
}

/// Tells the owner of a ceased account that a new registration replaced it.
fn ceased_email(app: &App, old: &Account, new: &Registration) -> EmailMessage {
    let when = crate::clock::rome_datetime(app.now());
    let recover = format!("{}{}", app.config.public_base_url, routes::RECOVER);
    let masked = crate::pages::otp::masked(new.number.e164());
    messages::email_account_ceased(&old.email, &when, &masked, &recover)
}

/// Step 6's summary email.
pub fn summary_email(app: &App, r: &Registration) -> EmailMessage {
    let profile = r.profile.as_ref();
    let nome_cognome = profile.map_or(String::new(), |p| format!("{} {}", p.nome, p.cognome));
    let login = format!("{}{}", app.config.public_base_url, routes::LOGIN);
    let email = r.email().map_or("", |e| e.as_str());
    let summary = RegistrationSummary {
        nome_cognome: &nome_cognome,
        ragione_sociale: &r.line.ragione_sociale,
        entity_cf: profile.map_or("", |p| p.entity_cf.as_str()),
        personal_cf: profile.map_or("", |p| p.personal_cf.as_str()),
        number: &r.number.national(),
        email,
        username: r.username.as_ref().map_or("", |u| u.as_str()),
        login_link: &login,
    };
    messages::email_registration_summary(email, &summary)
}

/// Step 6, the outcome page: a summary email that did not go out with step 5 is sent now
/// (and the flow says so). Whether it has gone out, and the cookie carrying the news.
pub async fn outcome(app: &App, flow: &Carried<Registration>) -> (bool, Option<String>) {
    if flow.data.summary_sent {
        return (true, None);
    }
    if let Err(e) = app.notifier.email(&summary_email(app, &flow.data)).await {
        tracing::error!(error = %e, "summary email not sent; will retry on the outcome page");
        return (false, None);
    }
    let mut next = flow.data.clone();
    let _ = next.summary(true);
    let now = app.now();
    let save = record::update_op(
        super::KIND,
        &flow.id,
        flow.version,
        &next,
        super::TTL_SECS,
        now,
    );
    if let Err(e) = app.store.transact(vec![save]).await {
        tracing::warn!(error = %e, "summary sent but flow not updated");
    }
    (
        true,
        Some(super::cookie(app, &flow.id, flow.version + 1, &next)),
    )
}
