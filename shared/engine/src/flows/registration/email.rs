//! Step 4: the email (SALVA), the username proposed from it (MODIFICA to choose another),
//! and AVANTI, which sends the CONFERMA EMAIL link. Email and username are reserved by
//! conditional writes in the step's transaction: a taken one is reported, never
//! overwritten. Each *new* value is charged per flow and per client address in the same
//! transaction, taken or not (so it cannot be used to probe who is registered); the
//! reservation it replaces is released there too.
//!
//! The first decision reserves without reading (the condition refuses a value someone else
//! holds); only after such a refusal is the holder read, to tell a taken value from one
//! held by an account PROSEGUI supersedes (usable, its claim left in place).

use super::{confirm, saving, Attempt, Refusal, Registration, Reserved, State, Step, WrongState};
use crate::record;
use crate::App;
use crate::WebError;
use crate::{Carried, Effect, Outcome, Refusal as _, Reply, Tx};
use domain::{crypto, routes};
use domain::{Email, Username};
use notify::messages;
use serde::{Deserialize, Deserializer};
use store::limits;
use store::uniqueness::{self, Kind, Owner};
use store::{rate, TxOp};

/// The values of `azione`: SALVA, AVANTI, INVIA DI NUOVO.
pub const SAVE: &str = "salva";
pub const SEND: &str = "avanti";
pub const RESEND: &str = "invia-di-nuovo";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub azione: String,
    pub email: String,
    /// Absent when the page showed the proposed username without a field.
    #[serde(deserialize_with = "present")]
    pub username: Option<String>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

impl Form {
    /// The username typed, or the one proposed when the page had no field for it.
    pub fn username(&self, flow: &Registration) -> String {
        match (&self.username, &flow.username) {
            (Some(typed), _) => typed.clone(),
            (None, Some(proposed)) => proposed.as_str().to_owned(),
            (None, None) => String::new(),
        }
    }
}

/// Who holds a value the step reserves, as a decision read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// Not read: the first decision reserves without reading.
    Unread,
    /// Nobody, this flow, or a lapsed reservation.
    Free,
    /// An account this registration supersedes: the value is usable, its claim stays.
    Superseded(Owner),
    /// Someone else.
    Other,
}

/// Who holds `value` (read only when deciding again, after a refusal).
pub async fn holder(
    app: &App,
    flow: &Registration,
    kind: Kind,
    value: &str,
    attempt: Attempt,
) -> Result<Holder, WebError> {
    if !attempt.again {
        return Ok(Holder::Unread);
    }
    let item = app.store.batch_get(&[uniqueness::key(kind, value)]).await?;
    Ok(match uniqueness::holder_in(item[0].as_ref(), app.now()) {
        None => Holder::Free,
        Some(h) if h == flow.owner() => Holder::Free,
        Some(h) if flow.superseded_owners().contains(&h) => Holder::Superseded(h),
        Some(_) => Holder::Other,
    })
}

/// The step: SALVA, or AVANTI / INVIA DI NUOVO (its read, then its decision).
pub async fn decide(
    app: &App,
    form: &Form,
    client: &str,
    flow: Carried<Registration>,
    attempt: Attempt,
) -> Result<Outcome<Refusal>, WebError> {
    let holder = load(app, form, &flow, attempt).await?;
    Ok(decided(app, form, client, flow, attempt, &holder))
}

/// What the step reads: who holds the value chosen (the email of SALVA, the username of
/// AVANTI), when deciding again; nothing for a value that does not parse or a double click.
pub async fn load(
    app: &App,
    form: &Form,
    flow: &Carried<Registration>,
    attempt: Attempt,
) -> Result<Holder, WebError> {
    let chosen = match form.azione.as_str() {
        SAVE => Email::parse(&form.email)
            .ok()
            .map(|e| (Kind::Email, e.as_str().to_owned())),
        SEND | RESEND if !double_click(flow, attempt) => {
            Username::parse(&form.username(&flow.data))
                .ok()
                .map(|u| (Kind::Username, u.as_str().to_owned()))
        }
        _ => None,
    };
    match chosen {
        Some((kind, value)) => holder(app, &flow.data, kind, &value, attempt).await,
        None => Ok(Holder::Unread),
    }
}

/// A second AVANTI after the request that moved the flow sent the email.
fn double_click(flow: &Carried<Registration>, attempt: Attempt) -> bool {
    attempt.moved && flow.data.state == State::EmailSent
}

/// The decision on SALVA, AVANTI or INVIA DI NUOVO, with who holds the value chosen.
pub fn decided(
    app: &App,
    form: &Form,
    client: &str,
    flow: Carried<Registration>,
    attempt: Attempt,
    holder: &Holder,
) -> Outcome<Refusal> {
    match form.azione.as_str() {
        SAVE => {
            let email = match Email::parse(&form.email) {
                Ok(e) => e,
                Err(e) => return Outcome::error(422, "email", e),
            };
            save(app, flow, email, client, holder)
        }
        SEND | RESEND => {
            if double_click(&flow, attempt) {
                // A double click: the request that moved the flow sent the email.
                let cookie = super::cookie(app, &flow.id, flow.version, &flow.data);
                return Outcome::redirect(Step::Email.path()).cookie(cookie);
            }
            let typed = form.username(&flow.data);
            let username = match Username::parse(&typed) {
                Ok(u) => u,
                Err(e) => return Outcome::error(422, "username", e),
            };
            let token = crypto::random_token();
            let resent = form.azione == RESEND;
            send(app, flow, username, &token, resent, client, holder)
        }
        _ => Outcome::redirect(Step::Email.path()),
    }
}

/// A value the user chose: an email (SALVA) or a username (AVANTI).
struct Pick<'a, T> {
    kind: Kind,
    value: T,
    /// The value the flow holds now, if any.
    held: Option<&'a str>,
    holder: &'a Holder,
}

/// The flow after `transition` with the value picked reserved, and the transaction saving
/// it: the new value charged (per flow and per client), then reserved — the reservation
/// it replaces released. `Err` is the answer: someone else holds the value (the charges
/// alone are committed: probing costs), or the state does not allow the transition.
fn choose<T: AsRef<str>>(
    app: &App,
    flow: &Carried<Registration>,
    client: &str,
    pick: Pick<'_, T>,
    transition: impl FnOnce(&mut Registration, Reserved<T>) -> Result<(), WrongState>,
) -> Result<(Registration, Tx<Refusal>), Box<Outcome<Refusal>>> {
    let now = app.now();
    let (kind, value) = (pick.kind, pick.value.as_ref().to_owned());
    let field = if kind == Kind::Email {
        "email"
    } else {
        "username"
    };
    let mut charges = Vec::new();
    if pick.held != Some(value.as_str()) {
        let per_flow = rate::charge_op(limits::REG_CLAIMS_PER_FLOW, &flow.data.rid, now);
        let per_client = rate::charge_op(limits::REG_CLAIMS_PER_IP, client, now);
        charges = vec![per_flow, per_client];
    }
    let (reserve, until) = match pick.holder {
        Holder::Other => {
            let mut tx = Tx::new();
            for op in charges {
                tx.guard(op, Refusal::Choices(field));
            }
            return Err(Box::new(
                Outcome::reply(Refusal::Taken(kind).reply()).with_tx(tx),
            ));
        }
        Holder::Superseded(owner) => {
            let key = uniqueness::key(kind, &value);
            let still_held = uniqueness::held_by(owner);
            (
                TxOp::Check {
                    key,
                    cond: still_held,
                },
                None,
            )
        }
        Holder::Unread | Holder::Free => {
            let until = now + super::TTL_SECS;
            let op = uniqueness::reserve_op(kind, &value, &flow.data.owner(), until, now);
            (op, Some(until))
        }
    };
    let reserved = Reserved {
        value: pick.value,
        until,
    };
    let next = super::next(flow, |r| transition(r, reserved))?;
    let mut tx = saving(app, flow, &next);
    for op in charges {
        tx.guard(op, Refusal::Choices(field));
    }
    tx.guard(reserve, Refusal::Taken(kind));
    Ok((next, tx))
}

/// SALVA: the email reserved (the one it replaces released), the username proposed from it.
pub fn save(
    app: &App,
    flow: Carried<Registration>,
    email: Email,
    client: &str,
    holder: &Holder,
) -> Outcome<Refusal> {
    let held = flow.data.email.as_ref().map(|r| r.value.as_str());
    let pick = Pick {
        kind: Kind::Email,
        value: email,
        held,
        holder,
    };
    match choose(app, &flow, client, pick, Registration::email_saved) {
        Ok((next, tx)) => super::advance(app, &flow, &next, tx),
        Err(answer) => *answer,
    }
}

/// AVANTI or INVIA DI NUOVO: the username reserved, the confirmation email (at most
/// `CONFIRM_EMAIL_PER_FLOW` an hour) with a new link; the previous link stops working. If
/// the email cannot leave, the flow is as if AVANTI had not been clicked.
pub fn send(
    app: &App,
    flow: Carried<Registration>,
    username: Username,
    token: &str,
    resent: bool,
    client: &str,
    holder: &Holder,
) -> Outcome<Refusal> {
    let (now, d) = (app.now(), &flow.data);
    if !matches!(d.state, State::EmailSaved | State::EmailSent) {
        return Outcome::redirect(d.state.step().path());
    }
    let hash = crypto::token_hash(token);
    let pick = Pick {
        kind: Kind::Username,
        value: username,
        held: d.reserved_username.as_ref().map(|r| r.value.as_str()),
        holder,
    };
    let sent = |r: &mut Registration, u| r.email_sent(u, hash.clone());
    let (next, mut tx) = match choose(app, &flow, client, pick, sent) {
        Ok(chosen) => chosen,
        Err(answer) => return *answer,
    };
    tx.charge(
        limits::CONFIRM_EMAIL_PER_FLOW,
        &d.rid,
        now,
        Refusal::ConfirmEmails,
    );
    tx.write(confirm::token_op(&flow, &next, &hash, now));
    let mut unsent = next.clone();
    let _ = unsent.email_not_sent();
    let v = flow.version + 1;
    let undo = record::update_op(super::KIND, &flow.id, v, &unsent, super::TTL_SECS, now);
    let to = next
        .email()
        .map(|e| e.as_str().to_owned())
        .unwrap_or_default();
    let base = &app.config.public_base_url;
    let link = format!("{base}{}?t={token}", routes::CONFIRM_EMAIL);
    tracing::info!(step = "register-email", "confirmation email sent");
    let mut outcome = super::advance(app, &flow, &next, tx)
        .send(Effect::Email(
            messages::email_confirmation(&to, &link).valid_until(now + super::CONFIRM_TTL_SECS),
        ))
        .unless_sent(undo)
        .unless_sent(confirm::withdraw_op(&hash));
    if resent {
        outcome.reply = Reply::Redirect(format!("{}?reinviata=1", Step::Email.path()));
    }
    outcome
}
