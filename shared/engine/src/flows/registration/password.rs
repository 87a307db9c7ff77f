//! Steps 5 and 6: the password with the terms, then the outcome. AVANTI reads the flow (a
//! stale or replayed cookie stops there, before the password is hashed) and creates the
//! account in one transaction: the flow completed, the account, its username, email, number
//! and person claims, and — after PROSEGUI — each superseded account ceased (which ends its
//! sessions) with the claims the new one does not take released: one found by number, and
//! one found by person only whose owner proved it, if still as it was then. All or nothing,
//! so a double submit or a race makes exactly one account. Then the old owners are told,
//! and the summary email goes out; one that cannot is sent by the outcome page, once.

use super::{saving, Attempt, Refusal, Registration, Step};
use crate::record;
use crate::App;
use crate::WebError;
use crate::{Carried, Effect, Outcome, Refusal as _, Reply};
use domain::passwords;
use domain::Password;
use domain::{documents, routes};
use maud::Markup;
use notify::messages::{self, RegistrationSummary};
use notify::EmailMessage;
use serde::Deserialize;
use store::accounts::{self, cease_ops, claims, Account, Status};
use store::uniqueness;
use store::{consent_log, lines, passkeys, AccountId, Cond, TxOp};
use ui::pages::{self, FieldErrors};

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

/// The password's hash, computed when a decision first needs it and at most once per
/// request (a decision taken again reuses it): a stale or replayed cookie, a proof that no
/// longer holds, are refused before any hash is computed.
pub struct Hasher {
    password: Password,
    hash: tokio::sync::OnceCell<String>,
}

impl Hasher {
    pub fn new(password: Password) -> Hasher {
        Hasher {
            password,
            hash: tokio::sync::OnceCell::new(),
        }
    }

    /// The hash, computed once however often the step is decided.
    pub async fn hash(&self) -> Result<&str, WebError> {
        let hashed = self.hash.get_or_try_init(|| hash(self.password.clone()));
        Ok(hashed.await?.as_str())
    }

    /// Whether the hash was computed (the counting hook of the tests).
    pub fn computed(&self) -> bool {
        self.hash.initialized()
    }
}

/// What step 5 reads, in one call, before anything costly: the flow as the table has it
/// (a cookie that is not its version — a replayed or stale step — is answered from there),
/// the accounts this registration ceases, and the line (the account keeps a copy of it).
pub struct Facts {
    /// The table's version and data of the flow (`None`: gone).
    pub flow: Option<(i64, Registration)>,
    /// Each superseded account still holding its claims.
    pub superseded: Vec<Superseded>,
    /// The SIM's line as the table has it now.
    pub line: Option<lines::Line>,
}

/// An account this registration ceases, as step 5 read it.
pub struct Superseded {
    pub account: Account,
    /// The epoch its owner proved it at (`None` for one found by number: the SIM proved it).
    pub proved_at: Option<i64>,
    /// Its passkeys, voided with it (`accounts::cease_ops`).
    pub passkeys: Vec<passkeys::Credential>,
}

/// The one read of step 5 (and, for each account it ceases, the Query of its passkeys).
pub async fn load(app: &App, flow: &Carried<Registration>) -> Result<Facts, WebError> {
    let proved: Vec<(&AccountId, Option<i64>)> = flow.data.superseded().collect();
    let number = &flow.data.number;
    let mut keys = vec![record::key_for(super::KIND, &flow.id), lines::key(number)];
    keys.extend(proved.iter().map(|(id, _)| accounts::key(id)));
    let mut items = app.store.batch_get(&keys).await?.into_iter();
    let table = record::from_item(items.next().flatten().as_ref(), app.now());
    let line = lines::from_item(number, items.next().flatten().as_ref());
    let mut superseded = Vec::new();
    for ((id, epoch), item) in proved.into_iter().zip(items) {
        let account = item.and_then(|i| accounts::from_item(id, &i));
        // One ceased since (by the help desk, or by its owner) released its claims.
        if let Some(a) = account.filter(|a| a.status != Status::Ceased) {
            let passkeys = passkeys::list(app.store.as_ref(), &a.id).await?;
            superseded.push(Superseded {
                account: a,
                proved_at: epoch,
                passkeys,
            });
        }
    }
    Ok(Facts {
        flow: table,
        superseded,
        line,
    })
}

/// The step: its facts read (`load`); a cookie that is not the table's flow goes to that
/// flow's page, and an owner's proof that no longer holds is refused, both before the
/// password is hashed; then the account `account_id` (`complete`).
pub async fn decide(
    app: &App,
    flow: Carried<Registration>,
    _: Attempt,
    account_id: &AccountId,
    hasher: &Hasher,
) -> Result<Outcome<Refusal>, WebError> {
    let facts = load(app, &flow).await?;
    if let Some(answer) = refused(app, &flow, &facts) {
        return Ok(answer);
    }
    let hash = hasher.hash().await?;
    let line = facts.line.as_ref();
    Ok(complete(
        app,
        flow,
        account_id,
        hash,
        facts.superseded,
        line,
    ))
}

/// The answer before any hash, if the facts give one: a cookie that is not the table's
/// flow goes to that flow's page; an owner's proof that no longer holds is refused.
pub fn refused(app: &App, flow: &Carried<Registration>, facts: &Facts) -> Option<Outcome<Refusal>> {
    match &facts.flow {
        None => return Some(Outcome::redirect(super::expired())),
        Some((version, data)) if *version != flow.version => {
            tracing::info!(step = "register-password", "stale flow cookie refused");
            let cookie = super::cookie(app, &flow.id, *version, data);
            return Some(Outcome::redirect(data.state.step().path()).cookie(cookie));
        }
        Some(_) => {}
    }
    let stale = facts.superseded.iter().any(|s| {
        let a = &s.account;
        s.proved_at
            .is_some_and(|e| a.status != Status::Active || a.session_epoch != e)
    });
    if stale {
        return Some(Outcome::reply(Refusal::ConsentStale("password").reply()));
    }
    None
}

/// The account this registration makes.
fn account(r: &Registration, id: &AccountId, hash: &str, now: i64) -> Option<Account> {
    let (profile, email, username) = (
        r.profile.as_ref()?,
        r.email.as_ref()?,
        r.reserved_username.as_ref()?,
    );
    Some(Account {
        id: id.clone(),
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
        passkey_offer_dismissed: false,
    })
}

/// AVANTI with a valid password: the all-or-nothing creation (see the module). Each of
/// `superseded` is ceased: one found by number (the SIM proved it) if it still exists, one
/// its owner proved (`Some(epoch)`) only if it is still active at that epoch — else the
/// step is decided again on what the table says. The account carries a copy of `line`
/// (none when not given: its home then reads the line).
pub fn complete(
    app: &App,
    flow: Carried<Registration>,
    account_id: &AccountId,
    hash: &str,
    superseded: Vec<Superseded>,
    line: Option<&lines::Line>,
) -> Outcome<Refusal> {
    let now = app.now();
    let r = &flow.data;
    let Some(account) = account(r, account_id, hash, now) else {
        return Outcome::redirect(super::expired());
    };
    let next = match super::next(&flow, |n| n.completed(account_id.clone())) {
        Ok(next) => next,
        Err(answer) => return *answer,
    };
    let mut tx = saving(app, &flow, &next);
    let create = TxOp::Put {
        key: accounts::key(account_id),
        item: match line {
            Some(line) => lines::with_copy(accounts::to_item(&account), Some(line)),
            None => accounts::to_item(&account),
        },
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
    for Superseded {
        account: old,
        proved_at,
        passkeys,
    } in &superseded
    {
        for op in cease_ops(old, passkeys, &taken, now) {
            let op = match (op, proved_at) {
                // Proved by its owner: ceased only if still active at the epoch proved.
                (TxOp::Update { key, update, .. }, Some(epoch)) => TxOp::Update {
                    key,
                    update,
                    cond: Some(accounts::active_at(*epoch)),
                },
                (op, _) => op,
            };
            tx.guard(op, Refusal::OwnerFactsChanged);
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
    let when = domain::clock::rome_datetime(app.now());
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

/// Step 6, the outcome page: a summary email that did not go out with step 5 is sent now,
/// by a step on the engine like any other: the flow saved as "sent" on condition of its
/// version, then the email, and back to "not sent" if it cannot leave. A reload, a second
/// tab or a replayed cookie of a flow whose summary went out sends nothing (the cookie's
/// version fails and the table's flow says it went); `page(sent)` is the outcome page.
pub fn outcome(
    app: &App,
    flow: Carried<Registration>,
    page: fn(bool) -> Markup,
) -> Outcome<Refusal> {
    let d = &flow.data;
    let cookie = super::cookie(app, &flow.id, flow.version, d);
    if d.summary_sent {
        return Outcome::reply(Reply::Page(200, page(true))).cookie(cookie);
    }
    let next = match super::next(&flow, |n| n.summary(true)) {
        Ok(next) => next,
        Err(answer) => return *answer,
    };
    let (now, v) = (app.now(), flow.version + 1);
    let tx = saving(app, &flow, &next);
    let undo = record::update_op(super::KIND, &flow.id, v, d, super::TTL_SECS, now);
    let unsent_cookie = super::cookie(app, &flow.id, v + 1, d);
    tracing::info!(step = "register-password", "summary email sent again");
    Outcome::reply(Reply::Page(200, page(true)))
        .with_tx(tx)
        .cookie(super::cookie(app, &flow.id, v, &next))
        .send(Effect::Email(summary_email(app, &next)))
        .unless_sent(undo)
        .or_if_unsent(Reply::Page(200, page(false)), vec![unsent_cookie])
}
