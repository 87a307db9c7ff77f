//! PROSEGUI on a registration found by person only (same entity and codice fiscale,
//! another number). A codice fiscale can be computed from a name, a birth date and a
//! place, so a colleague with another SIM of the same entity could type someone else's:
//! proving *this* SIM says nothing about the old account. That account is ceased only
//! after its owner proves the supersession through a channel the account already has:
//!
//! - a link emailed to its address (`CONFIRM_CEASE`: opening it only reads and shows a
//!   button — mail scanners open links —; the button records the consent on the flow in one
//!   transaction with the token's single use), or
//! - a code sent to its SIM, if that line is still active, typed on the waiting page
//!   (counted guesses, single use, valid 5 minutes);
//!
//! or after the help desk (or its owner) ceased it: then its claims are free and nothing is
//! waited for. The waiting page says the same whatever the old account has (an email
//! always, an SMS only to an active line: a code is stored either way, so guesses answer
//! alike); both messages leave in the step's transaction's wake, under a per-flow cap, a
//! per-old-account cap and the SMS caps of the old number (beyond a cap nothing more is
//! sent to the old owner, and the page is unchanged). Until the proof, the new
//! registration can neither cease the old account nor use its email or username
//! (`Registration::superseded_owners` names only proved supersessions).
//!
//! The proof records the old account's `session_epoch` as it was when the messages left:
//! step 5 ceases it only if it is still active at that epoch (a password change, a
//! suspension or its owner's "end every session" since voids the proof).

use super::{saving, Awaiting, Refusal, Registration, State, Step, KIND, TTL_SECS};
use crate::pages::otp::{self as otp_page, CodeForm};
use crate::record;
use crate::sms::{self, SendRefused};
use crate::step::Count;
use crate::App;
use crate::WebError;
use crate::{Carried, Effect, Guess, Outcome, Refusal as _, Reply, Tx};
use domain::OtpCode;
use domain::{crypto, routes};
use maud::Markup;
use notify::messages;
use serde::Deserialize;
use store::accounts::{self, Account, Status};
use store::limits;
use store::otp::{self, OtpError, Purpose};
use store::{lines, rate, tokens, AccountId, Item, Key, TxOp};

/// The old owner's link token kind (`TOKEN#CEASE#<hash>`).
pub const TOKEN_KIND: &str = store::tokens::TokenKind::Cease.tag();
/// The old owner's link's validity (checked at use: `link`).
pub const LINK_TTL_SECS: i64 = 24 * 3600;

/// The random values a request for the old owner's proof uses (chosen by the caller).
pub struct Fresh {
    pub token: String,
    pub code: OtpCode,
}

impl Fresh {
    pub fn new() -> Fresh {
        Fresh {
            token: crypto::random_token(),
            code: OtpCode::generate(),
        }
    }
}

impl Default for Fresh {
    fn default() -> Self {
        Self::new()
    }
}

/// The subject of the code sent to the old account's SIM (`OTP#REG#<rid>#titolare`): the
/// registration's own code is another item.
pub fn code_subject(rid: &str) -> String {
    format!("{rid}#titolare")
}

/// What a request for the proof reads: the old account (and how many requests its owner
/// got today), then its line and the SMS counters of its number.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The awaited account, if it is still active.
    pub account: Option<Account>,
    /// Its owner may get one more request today.
    pub owner_room: bool,
    /// Its number is an active line of the Convenzione (an SMS can reach its SIM).
    pub line_active: bool,
    /// The SMS cap that has no room (the registration cap of its number, or the global
    /// budget), if one: then no SMS, and the page says the same.
    pub sms_full: Option<SendRefused>,
}

/// Whether an account read as `item` still holds its claims: active, or suspended by the
/// help desk (which keeps everything); a ceased one released them.
fn holding(id: &AccountId, item: Option<&Item>) -> Option<Account> {
    item.and_then(|i| accounts::from_item(id, i))
        .filter(|a| a.status != Status::Ceased)
}

/// Two reads (the same whatever the old account has): the account and its owner's
/// counter, then its line and its number's SMS counters.
pub async fn load(app: &App, account_id: &AccountId) -> Result<Facts, WebError> {
    let (store, now) = (app.store.as_ref(), app.now());
    let per_owner = limits::CEASE_REQUESTS_PER_ACCOUNT;
    let items = store
        .batch_get(&[
            accounts::key(account_id),
            rate::window_key(per_owner, account_id, now),
        ])
        .await?;
    // Only an active account is asked (a suspended one is no duplicate at step 3 either).
    let active = holding(account_id, items[0].as_ref()).filter(|a| a.status == Status::Active);
    let Some(account) = active else {
        return Ok(Facts::default());
    };
    let owner_room = !rate::is_full(items[1].as_ref(), per_owner, now);
    let per_number = limits::sms_per_number(Purpose::Registration);
    let budget = sms::global_limit(app, Purpose::Registration);
    let number = &account.number;
    let items = store
        .batch_get(&[
            lines::key(number),
            rate::window_key(per_number, number.e164(), now),
            rate::window_key(budget, "all", now),
        ])
        .await?;
    let line_active = lines::from_item(number, items[0].as_ref()).is_some_and(|l| l.active);
    let sms_full = if rate::is_full(items[1].as_ref(), per_number, now) {
        Some(SendRefused::NumberCap)
    } else if rate::is_full(items[2].as_ref(), budget, now) {
        Some(SendRefused::GlobalBudget)
    } else {
        None
    };
    Ok(Facts {
        account: Some(account),
        owner_room,
        line_active,
        sms_full,
    })
}

/// The condition check that `account` is still active at `epoch`.
pub fn unchanged_op(account: &AccountId, epoch: i64) -> TxOp {
    accounts::active_at_check(account, epoch)
}

/// For the waiting page: whether the awaited account no longer holds its claims (ceased by
/// the help desk or by its owner), so that PROSEGUI goes on (one read).
pub async fn awaited_gone(app: &App, flow: &Registration) -> Result<bool, WebError> {
    let Some(a) = &flow.awaiting else {
        return Ok(false);
    };
    let item = app.store.batch_get(&[accounts::key(&a.account)]).await?;
    Ok(holding(&a.account, item[0].as_ref()).is_none())
}

/// What PROSEGUI reads: on the waiting page, the awaited account; on a registration found
/// by person only, the old account and its counters (`load`); else nothing.
pub enum ProceedRead {
    Nothing,
    Awaited(Option<Item>),
    Old(Box<Facts>),
}

/// PROSEGUI's reads (`ProceedRead`).
pub async fn load_proceed(app: &App, flow: &Registration) -> Result<ProceedRead, WebError> {
    if flow.state == State::AwaitingConsent {
        let Some(a) = &flow.awaiting else {
            return Ok(ProceedRead::Nothing);
        };
        let item = app.store.batch_get(&[accounts::key(&a.account)]).await?;
        return Ok(ProceedRead::Awaited(item.into_iter().next().flatten()));
    }
    Ok(match &flow.person_only {
        Some(old_id) => ProceedRead::Old(Box::new(load(app, old_id).await?)),
        None => ProceedRead::Nothing,
    })
}

/// PROSEGUI, its reads and its decision (`load_proceed`, `proceeded`).
pub async fn proceed(
    app: &App,
    flow: Carried<Registration>,
    fresh: &Fresh,
) -> Result<Outcome<Refusal>, WebError> {
    let read = load_proceed(app, &flow.data).await?;
    Ok(proceeded(app, flow, fresh, read))
}

/// PROSEGUI. On a registration found by number only: as the guide says (the SIM is
/// proved). On one found by person only: the flow waits for its owner's proof and both
/// messages go out (`ask`). On the waiting page (a double click that another request
/// already decided, or the page's PROSEGUI once the old account is gone): sends nothing,
/// and the flow goes on only if the awaited account no longer holds its claims.
pub fn proceeded(
    app: &App,
    flow: Carried<Registration>,
    fresh: &Fresh,
    read: ProceedRead,
) -> Outcome<Refusal> {
    if flow.data.state == State::AwaitingConsent {
        let awaited = match read {
            ProceedRead::Awaited(item) => item,
            _ => None,
        };
        return recheck(app, flow, awaited);
    }
    let facts = match (&flow.data.person_only, read) {
        (Some(_), ProceedRead::Old(facts)) => *facts,
        _ => Facts::default(),
    };
    let Some(old) = &facts.account else {
        // Found by number only, or ceased since step 3: its claims are free, there is
        // nothing to wait for.
        return super::transit(app, &flow, |r| r.proceed_superseding(None), vec![]);
    };
    let awaiting = Awaiting {
        account: old.id.clone(),
        epoch: old.session_epoch,
        sent_at: app.now(),
        token_hash: crypto::token_hash(&fresh.token),
    };
    let next = match super::next(&flow, |r| r.proceed_superseding(Some(awaiting))) {
        Ok(next) => next,
        Err(answer) => return *answer,
    };
    ask(app, &flow, next, &facts, fresh)
}

/// The waiting page's PROSEGUI (and a double-clicked one), on the awaited account as read:
/// gone (ceased by the help desk or by its owner), the flow goes on; else back to the page.
fn recheck(app: &App, flow: Carried<Registration>, awaited: Option<Item>) -> Outcome<Refusal> {
    let Some(a) = flow.data.awaiting.clone() else {
        return Outcome::redirect(flow.data.state.step().path());
    };
    if holding(&a.account, awaited.as_ref()).is_some() {
        let cookie = super::cookie(app, &flow.id, flow.version, &flow.data);
        return Outcome::redirect(Step::Profile.path()).cookie(cookie);
    }
    super::transit(app, &flow, Registration::awaited_gone, vec![])
}

/// What INVIA DI NUOVO on the waiting page reads: the awaited account and its counters
/// (`load`), unless nothing is awaited or it is too early.
pub async fn load_resend(app: &App, flow: &Registration) -> Result<Option<Facts>, WebError> {
    match &flow.awaiting {
        Some(a) if otp_page::too_early(a.sent_at, app.now()).is_none() => {
            Ok(Some(load(app, &a.account).await?))
        }
        _ => Ok(None),
    }
}

/// INVIA DI NUOVO on the waiting page: a new link and a new code (the previous ones stop
/// working), at least `RESEND_INTERVAL_SECS` after the last, under the same caps.
pub fn resend(
    app: &App,
    flow: Carried<Registration>,
    fresh: &Fresh,
    facts: Option<Facts>,
) -> Outcome<Refusal> {
    let Some(a) = flow.data.awaiting.clone() else {
        return Outcome::redirect(flow.data.state.step().path());
    };
    let now = app.now();
    if let Some(wait) = otp_page::too_early(a.sent_at, now) {
        return Outcome::error(429, otp_page::FIELD, wait);
    }
    let facts = facts.unwrap_or_default();
    let Some(old) = &facts.account else {
        return super::transit(app, &flow, Registration::awaited_gone, vec![]);
    };
    let hash = crypto::token_hash(&fresh.token);
    let epoch = old.session_epoch;
    let next = match super::next(&flow, |r| r.consent_asked_again(hash, epoch, now)) {
        Ok(next) => next,
        Err(answer) => return *answer,
    };
    let mut outcome = ask(app, &flow, next, &facts, fresh);
    if matches!(outcome.reply, Reply::Redirect(_)) {
        outcome.reply = Reply::Redirect(format!("{}?nuovo=1", Step::Profile.path()));
    }
    outcome
}

/// The request to the old owner, in the transaction that saves `next` (the flow waiting):
/// the per-flow cap (refused: the page says so), the account still as read, the link's
/// token (carrying `next`) and a code naming the account — stored whatever happens to the
/// SMS, so that a guess answers alike, but one that no guess matches when no SMS carries it
/// —; then, while its owner's daily cap has room, the email to its address and, to an
/// active line whose SMS caps have room, the SMS. If the messages cannot be posted, the
/// flow is back as it was and the token and code withdrawn.
fn ask(
    app: &App,
    flow: &Carried<Registration>,
    next: Registration,
    facts: &Facts,
    fresh: &Fresh,
) -> Outcome<Refusal> {
    let (now, d) = (app.now(), &flow.data);
    let Some(old) = &facts.account else {
        return Outcome::redirect(d.state.step().path());
    };
    let keys = app.keys();
    let secret = keys.current();
    let hash = crypto::token_hash(&fresh.token);
    let subject = code_subject(&d.rid);
    let mut tx = saving(app, flow, &next);
    tx.charge(
        limits::CEASE_REQUESTS_PER_FLOW,
        &d.rid,
        now,
        Refusal::ConsentRequests,
    );
    tx.guard(
        unchanged_op(&old.id, old.session_epoch),
        Refusal::OwnerFactsChanged,
    );
    tx.write(token_op(flow, &next, &hash, old, now));
    let sms_goes = facts.owner_room && facts.line_active && facts.sms_full.is_none();
    let mut code = otp::issue_for_op(
        secret,
        Purpose::Registration,
        &subject,
        &fresh.code,
        now,
        None,
        Some(&old.id),
    );
    if !sms_goes {
        // A code nobody was sent is one nobody can type: its guesses count down alike, and
        // none matches (no 6-digit code hashes to a random token's hash).
        otp::unguessable(&mut code, secret);
    }
    tx.write(code);
    let mut effects = Vec::new();
    if facts.owner_room {
        tx.charge(
            limits::CEASE_REQUESTS_PER_ACCOUNT,
            &old.id,
            now,
            Refusal::OwnerFactsChanged,
        );
        let mail = request_email(app, old, &next, &fresh.token).valid_until(now + LINK_TTL_SECS);
        effects.push(Effect::Email(mail));
        if let (true, Some(full)) = (facts.line_active, facts.sms_full) {
            // Said only to ops (a spent global budget alerts them), never on the page.
            let _ = sms::refused_text(full);
        }
        if sms_goes {
            sms::charge(
                &mut tx,
                app,
                Purpose::Registration,
                &old.number,
                now,
                |_| Refusal::OwnerFactsChanged,
            );
            effects.push(Effect::Sms {
                to: old.number.clone(),
                text: messages::sms_cease_code(&fresh.code),
                expires_at: Some(otp::expiry(now)),
            });
        }
    }
    if effects.is_empty() {
        // Nothing for the old owner (its daily cap is spent): the request still posts one
        // batch, as it does when it sends.
        effects.push(Effect::Nothing);
    }
    let undo = record::update_op(KIND, &flow.id, flow.version + 1, d, TTL_SECS, now);
    tracing::info!(
        step = "register-profile",
        "asked the previous registration's owner for proof"
    );
    let mut outcome = super::advance(app, flow, &next, tx);
    outcome.effects = effects;
    outcome
        .unless_sent(undo)
        .unless_sent(withdraw_op(&hash))
        .unless_sent(otp::withdraw_op(
            secret,
            Purpose::Registration,
            &subject,
            &fresh.code,
        ))
}

/// The email to the old owner: who asked (the new number, masked), when, and the link.
fn request_email(
    app: &App,
    old: &Account,
    next: &Registration,
    token: &str,
) -> notify::EmailMessage {
    let when = domain::clock::rome_datetime(app.now());
    let masked = crate::pages::otp::masked(next.number.e164());
    let base = &app.config.public_base_url;
    let link = format!("{base}{}?t={token}", routes::CONFIRM_CEASE);
    messages::email_cease_request(&old.email, &when, &masked, &link)
}

/// The guess typed on the waiting page, to count before it is compared
/// (`engine::Step::pre_commit`): on the code sent to the old account's SIM.
pub fn to_count(form: &CodeForm, flow: &Registration) -> Option<Guess> {
    flow.awaiting.as_ref()?;
    otp_page::to_count(form, Purpose::Registration, &code_subject(&flow.rid))
}

/// The guess as counted, compared: the use of the code and its item, or why not.
fn compared(form: &CodeForm, counted: Option<Count>, now: i64) -> Result<(TxOp, Item), Reply> {
    let guess = OtpCode::parse(&form.codice)
        .map_err(|e| Outcome::<Refusal>::error(422, otp_page::FIELD, e).reply)?;
    let checked = match counted {
        Some(Ok(c)) => c.compare(&guess, now).map(|consume| (consume, c.item)),
        Some(Err(e)) => Err(e),
        None => Err(OtpError::Missing),
    };
    checked.map_err(|e| refused_guess(&e))
}

/// What the waiting page's code reads once it is right and names the awaited account:
/// that account (whether it still holds its claims, at the epoch the code left at).
pub async fn load_code(
    app: &App,
    form: &CodeForm,
    flow: &Registration,
    counted: &Option<Count>,
) -> Result<Option<Item>, WebError> {
    let Some(a) = &flow.awaiting else {
        return Ok(None);
    };
    let right = match (counted, OtpCode::parse(&form.codice)) {
        (Some(Ok(c)), Ok(code)) => {
            c.compare(&code, app.now()).is_ok()
                && otp::account_named(&c.item).as_ref() == Some(&a.account)
        }
        _ => false,
    };
    if !right {
        return Ok(None);
    }
    let read = app.store.batch_get(&[accounts::key(&a.account)]).await?;
    Ok(read.into_iter().next().flatten())
}

/// The code typed on the waiting page, counted before it is compared (by the engine); right,
/// and the account (read as `old`) still as it was when the code left, the flow records the
/// proof and goes on (the code used up, the link withdrawn, in one transaction).
pub fn code(
    app: &App,
    form: &CodeForm,
    flow: Carried<Registration>,
    counted: Option<Count>,
    old: Option<Item>,
) -> Outcome<Refusal> {
    let Some(a) = flow.data.awaiting.clone() else {
        return Outcome::redirect(flow.data.state.step().path());
    };
    let (consume, item) = match compared(form, counted, app.now()) {
        Ok(checked) => checked,
        Err(reply) => return Outcome::reply(reply),
    };
    if otp::account_named(&item).as_ref() != Some(&a.account) {
        // A code of an earlier request (other data typed since): no longer valid.
        return Outcome::reply(refused_guess(&OtpError::Missing));
    }
    let Some(old) = holding(&a.account, old.as_ref()) else {
        return super::transit(app, &flow, Registration::awaited_gone, vec![consume]);
    };
    if old.status != Status::Active || old.session_epoch != a.epoch {
        return Outcome::reply(Refusal::ConsentStale(otp_page::FIELD).reply());
    }
    let next = match super::next(&flow, |r| r.owner_consented(&a.account)) {
        Ok(next) => next,
        Err(answer) => return *answer,
    };
    let mut tx = saving(app, &flow, &next);
    tx.write(consume);
    tx.guard(
        unchanged_op(&a.account, a.epoch),
        Refusal::ConsentStale(otp_page::FIELD),
    );
    tracing::info!(
        step = "register-profile",
        "the previous registration's owner proved it by SMS"
    );
    super::advance(app, &flow, &next, tx)
}

fn refused_guess(e: &OtpError) -> Reply {
    otp_page::refused_guess(e, Step::Profile.path(), otp_page::RESEND_LABEL)
}

/// The old owner's link: the flow it moves, as it was when the email left.
#[derive(Debug, Clone)]
pub struct Link {
    hash: String,
    flow_key: Key,
    version: i64,
    pub data: Registration,
    account: AccountId,
    epoch: i64,
}

/// The write storing the link's token for `next`, which `flow` becomes (its next version):
/// the flow as it will be, the account it proves and its epoch; valid `LINK_TTL_SECS`.
fn token_op(
    flow: &Carried<Registration>,
    next: &Registration,
    hash: &str,
    old: &Account,
    now: i64,
) -> TxOp {
    let owner = Some((&old.id, old.session_epoch));
    super::confirm::flow_token_op(TOKEN_KIND, flow, next, hash, owner, now + LINK_TTL_SECS)
}

/// The write deleting the link `hash` (its email never left, or the flow stopped waiting).
pub(super) fn withdraw_op(hash: &str) -> TxOp {
    super::confirm::withdraw_kind_op(TOKEN_KIND, hash)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    pub t: String,
}

/// The link `token` opens, if it is live (one read; its expiry checked here, whatever
/// the table's TTL deletion has done).
pub async fn load_link(app: &App, token: &str) -> Result<Option<Link>, WebError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let hash = crypto::token_hash(token);
    let item = app.store.get(&tokens::key(TOKEN_KIND, &hash)).await?;
    Ok(link(item.as_ref(), hash, app.now()))
}

/// The link read as `item`: live, and still the one the flow waits for.
pub(super) fn link(item: Option<&Item>, hash: String, now: i64) -> Option<Link> {
    let link = tokens::flow_link(item.filter(|i| !i.is_expired(now))?)?;
    let data: Registration = serde_json::from_str(link.flow).ok()?;
    let latest = data.state == State::AwaitingConsent
        && data.awaiting.as_ref().is_some_and(|a| a.token_hash == hash);
    latest.then_some(Link {
        flow_key: link.flow_key,
        version: link.version,
        account: link.account?,
        epoch: link.epoch?,
        data,
        hash,
    })
}

impl Link {
    /// The new registration's number, masked, for the page the link opens.
    pub fn new_number_masked(&self) -> String {
        crate::pages::otp::masked(self.data.number.e164())
    }
}

/// CONFERMA LA CESSAZIONE: in one transaction the token used up, the proof recorded on the
/// flow (if it is still as the email left it) and the account checked unchanged; then the
/// page that says so (POST-redirect-GET). The new registration's browser learns it when
/// its waiting page reads the flow.
pub fn confirm(app: &App, link: &Link) -> Outcome<Refusal> {
    let now = app.now();
    let mut next = link.data.clone();
    if next.owner_consented(&link.account).is_err() {
        return Outcome::reply(Refusal::CeaseLinkInvalid.reply());
    }
    let mut tx: Tx<Refusal> = Tx::new();
    tx.guard(
        tokens::consume_live_op(TOKEN_KIND, &link.hash, now),
        Refusal::CeaseLinkInvalid,
    );
    let save = record::update_key_op(link.flow_key.clone(), link.version, &next, TTL_SECS, now);
    tx.guard(save, Refusal::CeaseLinkInvalid);
    tx.guard(
        unchanged_op(&link.account, link.epoch),
        Refusal::CeaseLinkInvalid,
    );
    tracing::info!(
        step = "confirm-cease",
        "the previous registration's owner proved it by email"
    );
    Outcome::redirect(format!("{}?confermata=1", routes::CONFIRM_CEASE)).with_tx(tx)
}

/// The page of an old owner's link that no longer works (410).
pub fn invalid_link() -> Markup {
    ui::pages::warning_page(
        "Link non valido",
        "Il link non è più valido: potrebbe essere già stato usato, essere scaduto o essere stato sostituito da \
        un'email più recente, oppure la nuova registrazione è stata interrotta o modificata. La tua registrazione \
        attuale resta attiva e invariata.",
        routes::LOGIN,
        "ACCEDI",
    )
}
