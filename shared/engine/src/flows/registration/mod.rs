//! The registration flow (guide, section 3) on the step engine.
//!
//! ```text
//! NumberEntered --otp ok--> OtpVerified --profile--> ProfileEntered --email saved--> EmailSaved
//!       ^                        |                       ^   ^   ^                      |
//!       | (new number,           +--existing account--> DuplicateFound --PROSEGUI--+   | AVANTI
//!       |  any state)                       | PROSEGUI, found by person only    |      v
//!                                           v                                   |   EmailSent
//!                                    AwaitingConsent --old owner's link or SMS code,  |
//!                                                      or the old account ceased -+   | link
//!                                          Completed <--password-- EmailConfirmed <---+
//! ```
//! A registration found by number (the SIM this flow proved) is ceased at step 5 as the
//! guide says; one found by person only (same entity and codice fiscale, another number) only
//! after its owner proved it through a channel that account already has (`consent`).
//! The record (`Registration`) is typed: the number, the codici fiscali, the email and the
//! username are domain types, parsed once where they were typed, and its fields change only
//! through the transitions below. Each page is a `Step`, allowed in some states only (any
//! other request goes to the page of the state). A page (GET) shows the flow its cookie
//! carries (`engine::carry`): no read. A POST is a decision of its step's module (`number`,
//! `code`, `profile`, `email`, `confirm`, `password`) on that flow, its typed form and the
//! facts it read; `run` commits it on the engine, in one transaction that opens with the
//! flow's own write (`saving`), and decides again on the table's flow after a conflict.

pub mod code;
pub mod confirm;
pub mod consent;
pub mod email;
pub mod number;
pub mod password;
pub mod profile;
mod refusal;
pub mod steps;

pub use refusal::Refusal;

use crate::carry::{self, Carried};
use crate::record;
use crate::App;
use crate::{Ctx, Outcome, Tx, WebError};
use domain::routes;
use domain::{CodiceFiscaleEnte, CodiceFiscalePersona, Email, MobileNumber, Username};
use metrics::Metric;
use serde::{Deserialize, Serialize};
use store::uniqueness::{self, Kind, Owner};
use store::{tokens, AccountId, TxOp};

pub const COOKIE: &str = "reg_flow";
pub const KIND: &str = store::flows::FlowKind::Registration.tag();
/// A registration flow lives a day: the confirmation link must survive until the user reads
/// the mail. Each step extends it.
pub const TTL_SECS: i64 = 24 * 3600;
/// The confirmation link's validity.
pub const CONFIRM_TTL_SECS: i64 = 24 * 3600;
/// The confirmation link's token kind (`TOKEN#CONFIRM#<hash>`).
pub const TOKEN_KIND: &str = store::tokens::TokenKind::Confirm.tag();
/// A reservation this close to its end is left to lapse instead of being released (until
/// it lapses nobody else can hold it, so releasing it never meets someone else's claim).
const RELEASE_MARGIN_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    NumberEntered,
    OtpVerified,
    DuplicateFound,
    /// PROSEGUI on a registration found by person only: waiting for its owner's proof
    /// (`consent`), or for the help desk to cease it.
    AwaitingConsent,
    ProfileEntered,
    EmailSaved,
    EmailSent,
    EmailConfirmed,
    Completed,
}

/// The pages of the flow, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Number,
    Otp,
    Profile,
    Email,
    Password,
    Done,
}

impl Step {
    pub fn path(self) -> &'static str {
        match self {
            Step::Number => routes::REGISTER_NUMBER,
            Step::Otp => routes::REGISTER_OTP,
            Step::Profile => routes::REGISTER_PROFILE,
            Step::Email => routes::REGISTER_EMAIL,
            Step::Password => routes::REGISTER_PASSWORD,
            Step::Done => routes::REGISTER_DONE,
        }
    }
    /// 1-based position in the guide's numbering (the email confirmation is part of step 4).
    pub fn number(self) -> usize {
        match self {
            Step::Number => 1,
            Step::Otp => 2,
            Step::Profile => 3,
            Step::Email => 4,
            Step::Password => 5,
            Step::Done => 6,
        }
    }
}

impl State {
    /// The page where a flow in this state continues.
    pub fn step(self) -> Step {
        match self {
            State::NumberEntered => Step::Otp,
            State::OtpVerified | State::DuplicateFound | State::AwaitingConsent => Step::Profile,
            State::ProfileEntered | State::EmailSaved | State::EmailSent => Step::Email,
            State::EmailConfirmed => Step::Password,
            State::Completed => Step::Done,
        }
    }

    /// Whether `step`'s page may be shown (and submitted) in this state. Step 1 always
    /// may: submitting it starts over. Earlier pages stay editable until the email is
    /// confirmed; after that the flow only moves forward.
    pub fn allows(self, step: Step) -> bool {
        use State::*;
        match step {
            Step::Number => self != Completed,
            Step::Otp => self == NumberEntered,
            Step::Profile => matches!(
                self,
                OtpVerified
                    | DuplicateFound
                    | AwaitingConsent
                    | ProfileEntered
                    | EmailSaved
                    | EmailSent
            ),
            Step::Email => matches!(self, ProfileEntered | EmailSaved | EmailSent),
            Step::Password => self == EmailConfirmed,
            Step::Done => self == Completed,
        }
    }
}

/// The SIM's line in the Convenzione, as step 1 found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub entity_cf: CodiceFiscaleEnte,
    pub ragione_sociale: String,
}

/// Step 3's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub nome: String,
    pub cognome: String,
    pub personal_cf: CodiceFiscalePersona,
    pub entity_cf: CodiceFiscaleEnte,
}

/// The active registrations step 3 found with the data typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Existing {
    /// The account holding the number: the SIM this flow proved by SMS is its line.
    pub by_number: Option<AccountId>,
    /// The account holding this person's claim in this entity with another number.
    pub by_person: Option<AccountId>,
}

impl Existing {
    pub fn is_empty(&self) -> bool {
        self.by_number.is_none() && self.by_person.is_none()
    }
}

/// What a registration that chose PROSEGUI on a registration found by person only waits
/// for: its owner's proof (the link emailed to its address, or the code sent to its SIM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Awaiting {
    /// The account whose owner must prove it.
    pub account: AccountId,
    /// Its `session_epoch` when PROSEGUI was chosen: a password change, a suspension or a
    /// cease since then voids the request (the proof and step 5 are conditioned on it).
    pub epoch: i64,
    /// When the messages last left ("INVIA DI NUOVO" waits `RESEND_INTERVAL_SECS`).
    pub sent_at: i64,
    /// Hash of the latest link's token: an older link stops working.
    pub token_hash: String,
}

/// An account whose owner proved that this registration replaces it, at `epoch`: step 5
/// ceases it only if it is still active at that epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consented {
    pub account: AccountId,
    pub epoch: i64,
}

/// An email or username the flow uses, and until when the reservation item it wrote lives:
/// `None` when an account this registration supersedes holds the value (used, never
/// overwritten: the account keeps its claim until step 5). Only a supersession proved (by
/// the SIM, or by the old account's owner) makes an account's value usable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reserved<T> {
    pub value: T,
    pub until: Option<i64>,
}

/// The registration record, in the table (`FLOW#REG#<hash of the cookie id>`) and in the
/// cookie. Read through its accessors; changed only by its transitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Stable id of this registration (owner of its reservations, subject of its SMS codes);
    /// the cookie id changes when the link is confirmed in another browser.
    rid: String,
    state: State,
    /// The SIM proved by the SMS code.
    number: MobileNumber,
    line: Line,
    /// When the current SMS code was sent (INVIA DI NUOVO waits `RESEND_INTERVAL_SECS`).
    code_sent_at: i64,
    /// The SIM belongs to an account imported from Convenzione 6/7 (learnt once the code
    /// proved the SIM).
    earlier_convenzione: bool,
    profile: Option<Profile>,
    /// The active accounts found at step 3 with the same number or the same person of the
    /// same entity, waiting for the user's choice.
    duplicate_of: Vec<AccountId>,
    /// Of `duplicate_of`, the one found by person only (another number): PROSEGUI waits
    /// for its owner's proof.
    #[serde(default)]
    person_only: Option<AccountId>,
    /// The accounts found by number (the SIM proved) that PROSEGUI will cease when this
    /// registration completes (not before: until then they keep every claim and keep working).
    supersedes: Vec<AccountId>,
    /// After PROSEGUI on a registration found by person only: what the flow waits for.
    #[serde(default)]
    awaiting: Option<Awaiting>,
    /// Registrations found by person only whose owner proved the supersession.
    #[serde(default)]
    consented: Vec<Consented>,
    email: Option<Reserved<Email>>,
    /// The username proposed from the email (none when the email is no valid username) or
    /// the one reserved at AVANTI.
    username: Option<Username>,
    reserved_username: Option<Reserved<Username>>,
    /// Hash of the latest confirmation link's token: an older link stops working.
    confirm_token_hash: Option<String>,
    account_id: Option<AccountId>,
    summary_sent: bool,
}

/// Why a transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongState(pub State);

impl Registration {
    pub fn start(rid: String, number: MobileNumber, line: Line, now: i64) -> Self {
        Registration {
            rid,
            state: State::NumberEntered,
            number,
            line,
            code_sent_at: now,
            earlier_convenzione: false,
            profile: None,
            duplicate_of: Vec::new(),
            person_only: None,
            supersedes: Vec::new(),
            awaiting: None,
            consented: Vec::new(),
            email: None,
            username: None,
            reserved_username: None,
            confirm_token_hash: None,
            account_id: None,
            summary_sent: false,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }
    pub fn number(&self) -> &MobileNumber {
        &self.number
    }
    pub fn line(&self) -> &Line {
        &self.line
    }
    pub fn earlier_convenzione(&self) -> bool {
        self.earlier_convenzione
    }
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }
    pub fn email(&self) -> Option<&Email> {
        self.email.as_ref().map(|r| &r.value)
    }
    pub fn username(&self) -> Option<&Username> {
        self.username.as_ref()
    }
    pub fn summary_sent(&self) -> bool {
        self.summary_sent
    }
    /// What the flow waits for, in `AwaitingConsent`.
    pub fn awaiting(&self) -> Option<&Awaiting> {
        self.awaiting.as_ref()
    }
    /// The registration found by person only, in `DuplicateFound`.
    pub fn person_only(&self) -> Option<&AccountId> {
        self.person_only.as_ref()
    }

    fn require(&self, step: Step) -> Result<(), WrongState> {
        if self.state.allows(step) {
            Ok(())
        } else {
            Err(WrongState(self.state))
        }
    }

    /// INVIA DI NUOVO: a new code replaced the previous one.
    pub fn code_resent(&mut self, now: i64) -> Result<(), WrongState> {
        self.require(Step::Otp)?;
        self.code_sent_at = now;
        Ok(())
    }

    pub fn otp_verified(&mut self, earlier_convenzione: bool) -> Result<(), WrongState> {
        self.require(Step::Otp)?;
        self.earlier_convenzione = earlier_convenzione;
        self.state = State::OtpVerified;
        Ok(())
    }

    /// Step 3 submitted with valid data; `existing` are the active accounts registered
    /// with this number or with the same personal and entity codes. A pending link dies,
    /// and so does whatever an earlier PROSEGUI waited for or was given.
    pub fn profile_entered(
        &mut self,
        profile: Profile,
        existing: Existing,
    ) -> Result<(), WrongState> {
        self.require(Step::Profile)?;
        self.profile = Some(profile);
        self.supersedes = Vec::new();
        self.awaiting = None;
        self.consented = Vec::new();
        self.confirm_token_hash = None;
        self.state = if existing.is_empty() {
            State::ProfileEntered
        } else {
            State::DuplicateFound
        };
        let person_only = existing
            .by_person
            .filter(|p| existing.by_number.as_ref() != Some(p));
        self.duplicate_of = existing
            .by_number
            .into_iter()
            .chain(person_only.clone())
            .collect();
        self.person_only = person_only;
        Ok(())
    }

    /// PROSEGUI: continue; the registrations found by number will be ceased when this one
    /// completes. One found by person only is `awaiting` its owner's proof (`None` when it is
    /// no longer active: nothing to wait for).
    pub fn proceed_superseding(&mut self, awaiting: Option<Awaiting>) -> Result<(), WrongState> {
        if self.state != State::DuplicateFound {
            return Err(WrongState(self.state));
        }
        let person_only = self.person_only.take();
        self.supersedes = std::mem::take(&mut self.duplicate_of)
            .into_iter()
            .filter(|id| person_only.as_ref() != Some(id))
            .collect();
        self.state = if awaiting.is_some() {
            State::AwaitingConsent
        } else {
            State::ProfileEntered
        };
        self.awaiting = awaiting;
        Ok(())
    }

    /// INVIA DI NUOVO on the waiting page: a new link (and code) left at `now`, for the old
    /// account as it is now (`epoch`).
    pub fn consent_asked_again(
        &mut self,
        token_hash: String,
        epoch: i64,
        now: i64,
    ) -> Result<(), WrongState> {
        match (&mut self.awaiting, self.state) {
            (Some(a), State::AwaitingConsent) => {
                a.token_hash = token_hash;
                a.epoch = epoch;
                a.sent_at = now;
                Ok(())
            }
            _ => Err(WrongState(self.state)),
        }
    }

    /// The owner of the awaited `account` proved it (the link, or the code): this
    /// registration will cease it at step 5 if it is still as it was then.
    pub fn owner_consented(&mut self, account: &AccountId) -> Result<(), WrongState> {
        match self.awaiting.take() {
            Some(a) if self.state == State::AwaitingConsent && &a.account == account => {
                self.consented.push(Consented {
                    account: a.account,
                    epoch: a.epoch,
                });
                self.state = State::ProfileEntered;
                Ok(())
            }
            other => {
                self.awaiting = other;
                Err(WrongState(self.state))
            }
        }
    }

    /// The awaited account is no longer active (the help desk ceased it, or its owner
    /// deleted it): its claims are free, nothing of it to cease.
    pub fn awaited_gone(&mut self) -> Result<(), WrongState> {
        if self.state != State::AwaitingConsent {
            return Err(WrongState(self.state));
        }
        self.awaiting = None;
        self.state = State::ProfileEntered;
        Ok(())
    }

    /// SALVA: the email (reserved), with the username proposed from it.
    pub fn email_saved(&mut self, email: Reserved<Email>) -> Result<(), WrongState> {
        self.require(Step::Email)?;
        self.username = Username::from_email(&email.value);
        self.email = Some(email);
        self.confirm_token_hash = None;
        self.state = State::EmailSaved;
        Ok(())
    }

    /// AVANTI (or INVIA DI NUOVO): the username reserved, a confirmation email with this
    /// token on its way.
    pub fn email_sent(
        &mut self,
        username: Reserved<Username>,
        token_hash: String,
    ) -> Result<(), WrongState> {
        if !matches!(self.state, State::EmailSaved | State::EmailSent) {
            return Err(WrongState(self.state));
        }
        self.username = Some(username.value.clone());
        self.reserved_username = Some(username);
        self.confirm_token_hash = Some(token_hash);
        self.state = State::EmailSent;
        Ok(())
    }

    /// The confirmation email could not be sent: as if AVANTI had not been clicked.
    pub fn email_not_sent(&mut self) -> Result<(), WrongState> {
        if self.state != State::EmailSent {
            return Err(WrongState(self.state));
        }
        self.confirm_token_hash = None;
        self.state = State::EmailSaved;
        Ok(())
    }

    /// CONFERMA EMAIL clicked on the latest link.
    pub fn email_confirmed(&mut self, token_hash: &str) -> Result<(), WrongState> {
        if self.state != State::EmailSent || self.confirm_token_hash.as_deref() != Some(token_hash)
        {
            return Err(WrongState(self.state));
        }
        self.confirm_token_hash = None;
        self.state = State::EmailConfirmed;
        Ok(())
    }

    /// The account exists; its summary email goes with this step.
    pub fn completed(&mut self, account_id: AccountId) -> Result<(), WrongState> {
        self.require(Step::Password)?;
        self.account_id = Some(account_id);
        self.summary_sent = true;
        self.state = State::Completed;
        Ok(())
    }

    /// Whether the summary email went out (the outcome page retries one that did not).
    pub fn summary(&mut self, sent: bool) -> Result<(), WrongState> {
        self.require(Step::Done)?;
        self.summary_sent = sent;
        Ok(())
    }

    /// The owner of this registration's username/email reservations.
    pub fn owner(&self) -> Owner {
        uniqueness::flow_owner(&self.rid)
    }

    /// The accounts this registration will cease, each proved: by the SIM (found by
    /// number), or by its owner (found by person only, with the epoch it was proved at).
    pub fn superseded(&self) -> impl Iterator<Item = (&AccountId, Option<i64>)> {
        let by_number = self.supersedes.iter().map(|id| (id, None));
        let consented = self.consented.iter().map(|c| (&c.account, Some(c.epoch)));
        by_number.chain(consented)
    }

    /// The claim owners of the accounts this registration supersedes (whose email and
    /// username it may use): never one still awaiting its owner's proof.
    pub fn superseded_owners(&self) -> Vec<Owner> {
        self.superseded()
            .map(|(id, _)| uniqueness::account_owner(id))
            .collect()
    }
}

pub use crate::{Attempt, Elsewhere};

impl crate::Flow for Registration {
    const KIND: &'static str = KIND;
    const COOKIE: &'static str = COOKIE;
    const TTL_SECS: i64 = TTL_SECS;
    const READ_IN_BATCH: bool = true;
    type Page = Step;
    fn gone() -> String {
        expired()
    }
    /// Each page is allowed in some states only; any other request goes to the page of
    /// the state.
    fn allows(&self, page: Step) -> bool {
        self.state.allows(page)
    }
    fn home(&self) -> String {
        self.state.step().path().to_owned()
    }
    /// Two states are moved on by another browser, so there a page asks the table where
    /// the flow is: a confirmation email waiting (for a later page: the link confirmed
    /// elsewhere moves the flow to that browser), and the old owner's proof awaited (for
    /// its own page: the link to the old account's address records the proof on the flow).
    fn moved_elsewhere(&self, page: Step) -> bool {
        match self.state {
            State::EmailSent => !self.state.allows(page),
            State::AwaitingConsent => true,
            _ => false,
        }
    }
}

/// The cookie value carrying `data` as version `version` of flow `id`.
pub fn cookie_value(app: &App, id: &str, version: i64, data: &Registration) -> String {
    let keys = app.keys();
    let secret = keys.current();
    carry::seal(secret, KIND, id, version, data, app.now() + TTL_SECS)
}

/// The `Set-Cookie` carrying `data` as version `version` of flow `id`.
pub fn cookie(app: &App, id: &str, version: i64, data: &Registration) -> String {
    crate::flow_cookie(app, id, version, data)
}

/// Where a request without a live flow goes: step 1, telling the user why.
pub fn expired() -> String {
    format!("{}?scaduta=1", routes::REGISTER_NUMBER)
}

/// The flow a page (GET) of `step` shows (`engine::shown`), or the page the request goes
/// to instead.
pub async fn page(
    app: &App,
    ctx: &Ctx,
    step: Step,
) -> Result<Result<Carried<Registration>, Elsewhere>, WebError> {
    crate::shown(app, ctx, step).await
}

/// A step's transaction, opened with the write that saves `next` as the flow's next
/// version — refused with `Refusal::Moved` (decided again) if another request moved the
/// flow first, which is reported before any other refusal — and the writes that free what
/// `next` no longer holds: a replaced reservation, a link that stops working.
fn saving(app: &App, flow: &Carried<Registration>, next: &Registration) -> Tx<Refusal> {
    let now = app.now();
    let mut tx = Tx::new();
    let save = record::update_op(KIND, &flow.id, flow.version, next, TTL_SECS, now);
    tx.guard(save, Refusal::Moved);
    for op in released(&flow.data, next, now) {
        tx.write(op);
    }
    tx
}

/// The flow after `transition`, or, if its state does not allow it, the answer: the
/// page of the state it is in.
fn next(
    flow: &Carried<Registration>,
    transition: impl FnOnce(&mut Registration) -> Result<(), WrongState>,
) -> Result<Registration, Box<Outcome<Refusal>>> {
    let mut next = flow.data.clone();
    let elsewhere = flow.data.state.step().path();
    transition(&mut next).map_err(|_| Box::new(Outcome::redirect(elsewhere)))?;
    Ok(next)
}

/// A step that writes nothing but `ops` besides the flow: `transition` applied and saved,
/// then its state's page.
fn transit(
    app: &App,
    flow: &Carried<Registration>,
    transition: impl FnOnce(&mut Registration) -> Result<(), WrongState>,
    ops: Vec<TxOp>,
) -> Outcome<Refusal> {
    let next = match next(flow, transition) {
        Ok(next) => next,
        Err(answer) => return *answer,
    };
    let mut tx = saving(app, flow, &next);
    for op in ops {
        tx.write(op);
    }
    advance(app, flow, &next, tx)
}

/// The answer of a step that saved `next` with `tx`: its state's page, and the cookie
/// carrying it.
fn advance(
    app: &App,
    flow: &Carried<Registration>,
    next: &Registration,
    tx: Tx<Refusal>,
) -> Outcome<Refusal> {
    let outcome = Outcome::redirect(next.state.step().path())
        .with_tx(tx)
        .cookie(cookie(app, &flow.id, flow.version + 1, next));
    match reached(flow.data.state, next.state) {
        Some(m) => outcome.metric(m),
        None => outcome,
    }
}

/// The funnel step a transition counts as (`crate::metrics`): the first time a flow gets
/// there, so editing an earlier page or sending a link again does not count twice.
fn reached(before: State, after: State) -> Option<Metric> {
    use State::*;
    Some(match (before, after) {
        (NumberEntered, OtpVerified) => Metric::RegistrationCodeVerified,
        (DuplicateFound, ProfileEntered | AwaitingConsent) => Metric::RegistrationProsegui,
        // Data entered, a registration of the same person found or not (then PROSEGUI).
        (OtpVerified, ProfileEntered | DuplicateFound) => Metric::RegistrationProfile,
        (ProfileEntered | EmailSaved, EmailSent) => Metric::RegistrationEmailSent,
        (EmailConfirmed, Completed) => Metric::RegistrationCompleted,
        _ => return None,
    })
}

/// The writes freeing what `before` held and `after` no longer does.
fn released(before: &Registration, after: &Registration, now: i64) -> Vec<TxOp> {
    let owner = before.owner();
    let mut ops = Vec::new();
    let mut release = |kind: Kind, held: Option<(&str, Option<i64>)>, kept: Option<&str>| {
        if let Some((value, Some(until))) = held {
            if kept != Some(value) && until > now + RELEASE_MARGIN_SECS {
                ops.push(uniqueness::release_op(kind, value, &owner));
            }
        }
    };
    let (email, username) = (
        held(before.email.as_ref()),
        held(before.reserved_username.as_ref()),
    );
    release(Kind::Email, email, held(after.email.as_ref()).map(|e| e.0));
    release(
        Kind::Username,
        username,
        held(after.reserved_username.as_ref()).map(|u| u.0),
    );
    if let Some(hash) = &before.confirm_token_hash {
        if after.confirm_token_hash.as_ref() != Some(hash) {
            let key = tokens::key(TOKEN_KIND, hash);
            ops.push(TxOp::Delete { key, cond: None });
        }
    }
    // The old owner's link stops working once the flow no longer waits for it.
    if let Some(a) = &before.awaiting {
        if after.awaiting.as_ref().map(|b| &b.token_hash) != Some(&a.token_hash) {
            ops.push(consent::withdraw_op(&a.token_hash));
        }
    }
    ops
}

fn held<T: AsRef<str>>(r: Option<&Reserved<T>>) -> Option<(&str, Option<i64>)> {
    r.map(|r| (r.value.as_ref(), r.until))
}

#[cfg(test)]
mod tests;
