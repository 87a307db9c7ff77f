//! The reset link and the new password. Opening the link shows a page whose button sends
//! an SMS code to the account's number (a GET sends nothing: mail scanners open links);
//! after the code, the new password is set in one transaction that also uses up the link,
//! ends every session of the account, forgets its failed logins and completes the flow.
//! A confirmation email follows.
//!
//! Time and proof are checked in code: the reset flow ends when its link does (however
//! busy it is kept), the link is used up only while it is live, and the password is set
//! only if the account is still active at the `session_epoch` the link was issued at (a
//! password change, every session ended, a suspension since then void it). A stale or
//! replayed SALVA is refused on its flow's version before the new password is hashed.

pub use super::refusal::{link_gone_page, link_voided_page};
use super::refusal::{Page, Refusal};
use super::{charge_sms, Recovery, Step, RESET_TOKEN};
use crate::WebError;
use crate::{passwords, App};
use crate::{Carried, Effect, Outcome, Refusal as _, Reply, Tx};
use domain::routes;
use domain::OtpCode;
use notify::messages;
use serde::Deserialize;
use store::accounts::{self, Account, Status};
use store::limits;
use store::lockout::{self, Counter};
use store::otp::{self, Purpose};
use store::{tokens, Cond, TxOp};
use ui::pages::{self, FieldErrors};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub token: String,
    pub password: String,
    pub conferma_password: String,
}

/// What a reset link is now.
pub enum Link {
    /// Live, for this active account.
    Live(Box<(Account, tokens::Link)>),
    /// Live, but the account's proof changed since it was issued (`tokens::Link::voided`).
    Voided,
    /// Unknown, used, expired, or its account is no longer active.
    Gone,
}

/// The reset link `token` and its account (two reads; nothing written: the link's GET).
pub async fn link(app: &App, token: &str) -> Result<Link, WebError> {
    let store = app.store.as_ref();
    let Some(link) = tokens::read(store, RESET_TOKEN, token, app.now()).await? else {
        return Ok(Link::Gone);
    };
    let Some(id) = link.account() else {
        return Ok(Link::Gone);
    };
    let account = accounts::get(store, &id)
        .await?
        .filter(|a| a.status == Status::Active);
    Ok(match account {
        None => Link::Gone,
        Some(a) if link.voided(a.session_epoch) => Link::Voided,
        Some(a) => Link::Live(Box::new((a, link))),
    })
}

/// The active account a live reset link points to, with the link's hash.
pub async fn link_account(app: &App, token: &str) -> Result<Option<(Account, String)>, WebError> {
    Ok(match link(app, token).await? {
        Link::Live(live) => Some((live.0, live.1.hash)),
        _ => None,
    })
}

/// What INVIA IL CODICE reads: the link's account and whether a code for it left less than
/// `RESEND_INTERVAL_SECS` ago (a double click).
pub struct Started {
    pub account: Account,
    pub link: tokens::Link,
    pub recent: bool,
}

/// The reads of INVIA IL CODICE (the link, its account, the code's age); `Err` is the
/// answer for a link that no longer works.
pub async fn load_start(
    app: &App,
    token: &str,
) -> Result<Result<Started, Outcome<Refusal>>, WebError> {
    let (account, link) = match link(app, token).await? {
        Link::Live(live) => *live,
        Link::Voided => return Ok(Err(Outcome::reply(Refusal::Voided(Page::Reset).reply()))),
        Link::Gone => return Ok(Err(Outcome::reply(Refusal::LinkGone.reply()))),
    };
    let now = app.now();
    let rid = Recovery::reset(
        account.id.clone(),
        account.number.clone(),
        &link,
        account.session_epoch,
        now,
    )
    .rid;
    let recent = otp::age(app.store.as_ref(), Purpose::Recovery, &rid, now)
        .await?
        .is_some_and(|age| age < limits::RESEND_INTERVAL_SECS);
    Ok(Ok(Started {
        account,
        link,
        recent,
    }))
}

/// INVIA IL CODICE on the link's page: a code to the account's number (one per account: a
/// double click sends one SMS and both flows accept it) and a reset flow that ends when the
/// link does. `client` is the asking connection (its share of the number's recovery SMS).
pub fn start(app: &App, started: Started, flow_id: &str, client: &str) -> Outcome<Refusal> {
    let Started {
        account,
        link,
        recent,
    } = started;
    let now = app.now();
    let data = Recovery::reset(
        account.id.clone(),
        account.number.clone(),
        &link,
        account.session_epoch,
        now,
    );
    let mut tx = Tx::new();
    let mut outcome = Outcome::redirect(Step::Code.path());
    if !recent {
        let code = OtpCode::generate();
        charge_sms(&mut tx, app, &account.number, client, now, |r| {
            Refusal::Sms(Page::Reset, r)
        });
        let keep = Some(limits::RESEND_INTERVAL_SECS);
        let keys = app.keys();
        let secret = keys.current();
        tx.guard(
            otp::issue_op(secret, Purpose::Recovery, &data.rid, &code, now, keep),
            Refusal::Concurrent(Page::Reset),
        );
        outcome = outcome
            .send(Effect::Sms {
                to: account.number.clone(),
                text: messages::sms_recovery_otp(&code),
                expires_at: Some(otp::expiry(now)),
            })
            .unless_sent(otp::withdraw_op(
                secret,
                Purpose::Recovery,
                &data.rid,
                &code,
            ));
    }
    tx.write(crate::create_flow_op(flow_id, &data, now));
    outcome
        .with_tx(tx)
        .cookie(super::cookie(app, flow_id, 1, &data))
}

/// What SALVA reads and computes: the account (active, at the link's epoch) and the new
/// password's hash.
pub struct NewPassword {
    pub account: Account,
    pub hash: String,
}

/// SALVA with the new password, before the decision: the cheap checks (the flow's state, its
/// version and time, the account and its epoch, the rules) before the hash; `Err` is the
/// answer.
pub async fn load_password(
    app: &App,
    flow: &Carried<Recovery>,
    form: &Form,
) -> Result<Result<NewPassword, Outcome<Refusal>>, WebError> {
    let (Ok(_), Some(reset)) = (flow.data.password_set(), flow.data.reset.as_ref()) else {
        return Ok(Err(Outcome::redirect(flow.data.state.path())));
    };
    // One read: the flow's record with the account. A stale or replayed cookie (the
    // password already set from this flow, a second tab) stops here, before any hash.
    let keys = [accounts::key(&reset.account_id)];
    let Some(facts) = crate::load_current(app, flow, &keys).await? else {
        return Ok(Err(Outcome::stale()));
    };
    let Some(account) = facts[0]
        .as_ref()
        .and_then(|i| accounts::from_item(&reset.account_id, i))
        .filter(|a| a.status == Status::Active)
    else {
        return Ok(Err(
            Outcome::reply(Refusal::LinkGone.reply()).cookie(super::clear_cookie(app))
        ));
    };
    if reset.epoch.is_some_and(|e| e != account.session_epoch) {
        tracing::info!(step = "recover-reset", "reset voided by a newer epoch");
        let voided = Refusal::Voided(Page::Reset).reply();
        return Ok(Err(Outcome::reply(voided).cookie(super::clear_cookie(app))));
    }
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
        return Ok(Err(Outcome::reply(Reply::Form(422, errors))));
    };
    let hash = passwords::in_pool(move || domain::passwords::hash(&password))
        .await
        .map_err(|e| WebError::Unavailable(e.to_string()))?;
    Ok(Ok(NewPassword { account, hash }))
}

/// SALVA with the new password, on what `load_password` gave: one transaction.
pub fn set_password(app: &App, flow: Carried<Recovery>, new: NewPassword) -> Outcome<Refusal> {
    let NewPassword { account, hash } = new;
    let (Ok(done), Some(reset)) = (flow.data.password_set(), flow.data.reset.as_ref()) else {
        return Outcome::redirect(flow.data.state.path());
    };
    let now = app.now();
    let mut tx = Tx::new();
    tx.write(flow.next_op(&done, now));
    tx.guard(
        on_the_same_proof(
            accounts::set_password_op(&account.id, &account.password_hash, &hash, true),
            account.session_epoch,
        ),
        Refusal::AlreadyChanged,
    );
    tx.guard(
        tokens::consume_live_op(RESET_TOKEN, &reset.token_hash, now),
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
    Outcome::redirect(format!("{}?password-modificata=1", routes::LOGIN))
        .with_tx(tx)
        .send(Effect::Email(messages::email_password_changed(
            &account.email,
            &account.username,
            &login,
        )))
        .cookie(super::clear_cookie(app))
}

/// The account's write, also on condition that it is still active at `epoch` (the one the
/// link was issued at, checked when read): a suspension, a password change or every
/// session ended between the read and the commit refuses it too.
fn on_the_same_proof(mut op: TxOp, epoch: i64) -> TxOp {
    if let TxOp::Update { cond, .. } = &mut op {
        // An account never bumped may carry no epoch at all (read as 0).
        let mut all = vec![accounts::at_epoch_or_unset(epoch), accounts::is_active()];
        all.extend(cond.take());
        *cond = Some(Cond::And(all));
    }
    op
}
