//! "Cambia l'indirizzo email". The new address (no PEC) replaces the old one only once
//! its owner opens the link sent to it and presses the button (a GET only reads: mail
//! scanners open every link). The request reserves the address (and the username, when
//! the username was the email and the person asks to change it too) for this account;
//! the confirmation, in one transaction, uses the link up, moves the claims and rewrites
//! the account on condition that its email is still the one the request saw: of two tabs
//! asking for different addresses, the first confirmed wins and the other link says so.
//! The old address is told of the change.
//!
//! A link carries the proof it was asked on: the account's `session_epoch` at the request.
//! A password change, "Esci da tutti gli altri dispositivi", a reset and the help desk's
//! suspension or cessation move the epoch on, and the link is then void (its page says
//! so; the confirmation's transaction is conditioned on the epoch, so no race slips
//! through): a session held for a few minutes cannot move the email after the owner has
//! taken the account back.

use super::{reauth, Refusal};
use crate::session::SignedIn;
use crate::App;
use crate::WebError;
use crate::{Effect, Outcome, Refusal as _, Reply, Tx};
use domain::Email;
use domain::{clock, crypto, routes};
use maud::Markup;
use notify::account_messages;
use serde::{Deserialize, Serialize};
use store::accounts::{self, Status};
use store::limits;
use store::uniqueness::{self, Kind, Owner};
use store::{schema, tokens, AccountId, Cond, Item, Key, TxOp};
use ui::pages::{message_page, warning_page, FieldErrors};

/// The link's token kind (`TOKEN#EMAIL-CHANGE#<hash>`).
pub const TOKEN_KIND: &str = store::tokens::TokenKind::EmailChange.tag();
pub const LINK_TTL_SECS: i64 = 24 * 3600;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub email: String,
    /// "si" when the username (equal to the old email) should follow.
    pub anche_username: String,
    pub password_attuale: String,
}

/// The confirmation button's form: the link's token.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    pub t: String,
}

/// What a link confirms, stored with its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub account_id: AccountId,
    pub old_email: String,
    pub new_email: String,
    pub username_too: bool,
    /// The account's `session_epoch` when the change was asked (absent on links issued
    /// before it was recorded: those are void).
    #[serde(default)]
    pub epoch: Option<i64>,
}

/// What a link's token finds.
pub enum Pending {
    /// The change can be confirmed: the token's key and the change.
    Live(Key, Change),
    /// The account's sessions were ended (or it was suspended) since the link was asked.
    Voided,
    /// Used, expired, never issued, or the account is gone.
    Gone,
}

/// The reservation's owner while the link is pending (never `account:`, which would make
/// the address find the account before it is confirmed).
fn owner(account_id: &AccountId) -> Owner {
    Owner::Change(account_id.clone())
}

/// Where the page says the link was sent.
pub fn sent_path() -> String {
    format!("{}?inviata=1", routes::ACCOUNT_EMAIL)
}

/// What the request reads: the new address (the form checked), the password verified when
/// the sign-in is old (`reauth`), and the claims on the new address (not read when the
/// password is refused).
pub struct Facts {
    pub new: Email,
    pub checked: Option<reauth::Checked>,
    pub held: Vec<Option<Item>>,
}

/// The request's checks and reads; `Err` is the form again.
pub async fn load(
    app: &App,
    s: &SignedIn,
    form: &Form,
) -> Result<Result<Facts, Outcome<Refusal>>, WebError> {
    let a = &s.account;
    let now = app.now();
    let mut errors = FieldErrors::default();
    let new = match Email::parse(&form.email) {
        Ok(e) if e.as_str() == a.email => {
            errors.add(
                "email",
                "È già il tuo indirizzo email: scrivine uno diverso.",
            );
            None
        }
        Ok(e) => Some(e),
        Err(e) => {
            errors.add("email", e);
            None
        }
    };
    let reauth_needed = reauth::needed(s, now);
    if reauth_needed && form.password_attuale.is_empty() {
        errors.add(reauth::FIELD, reauth::MISSING);
    }
    let (Some(new), true) = (new, errors.is_empty()) else {
        return Ok(Err(Outcome::reply(Reply::Form(422, errors))));
    };
    let checked = match reauth_needed {
        true => Some(reauth::verify(app, s, &form.password_attuale).await?),
        false => None,
    };
    let refused = checked
        .as_ref()
        .is_some_and(|c| reauth::count(&mut Tx::new(), c, now).is_some());
    let mut held = Vec::new();
    if !refused {
        let mut claims = vec![uniqueness::key(Kind::Email, new.as_str())];
        if username_too(s, form) {
            claims.push(uniqueness::key(Kind::Username, new.as_str()));
        }
        held = app.store.batch_get(&claims).await?;
    }
    Ok(Ok(Facts { new, checked, held }))
}

/// The username changes with the address (asked, and the username is the address now).
fn username_too(s: &SignedIn, form: &Form) -> bool {
    form.anche_username == "si" && s.account.username == s.account.email
}

/// The request: the reservations, the daily cap and the link in one transaction, and the
/// email to the new address.
pub fn request(app: &App, s: &SignedIn, form: &Form, facts: Facts) -> Outcome<Refusal> {
    let a = &s.account;
    let now = app.now();
    let Facts { new, checked, held } = facts;
    let mut tx = Tx::new();
    if let Some(checked) = &checked {
        if let Some(refused) = reauth::count(&mut tx, checked, now) {
            return refused;
        }
        tx.write(store::sessions::reauthenticated_op(&s.session, now));
    }
    tx.charge(
        limits::EMAIL_CHANGES_PER_ACCOUNT,
        &a.id,
        now,
        Refusal::TooManyChanges,
    );
    let until = now + LINK_TTL_SECS;
    let by = owner(&a.id);
    let username_too = username_too(s, form);
    // An address another account holds is refused with the change still counted (a
    // cancelled transaction would count nothing, and the cap would not bound the probing):
    // one read of the claims, then the refusal committed with the charge alone.
    if held
        .iter()
        .any(|i| uniqueness::holder_in(i.as_ref(), now).is_some_and(|h| h != by))
    {
        return Outcome::reply(Refusal::Taken("email").reply()).with_tx(tx);
    }
    tx.guard(
        uniqueness::reserve_op(Kind::Email, new.as_str(), &by, until, now),
        Refusal::Taken("email"),
    );
    if username_too {
        tx.guard(
            uniqueness::reserve_op(Kind::Username, new.as_str(), &by, until, now),
            Refusal::Taken("email"),
        );
    }
    let change = Change {
        account_id: a.id.clone(),
        old_email: a.email.clone(),
        new_email: new.as_str().to_owned(),
        username_too,
        epoch: Some(a.session_epoch),
    };
    let token = crypto::random_token();
    tx.write(TxOp::Put {
        key: tokens::key(TOKEN_KIND, &crypto::token_hash(&token)),
        item: Item::new()
            .with(
                tokens::CHANGE,
                serde_json::to_string(&change).expect("a change serialises"),
            )
            .with(schema::TTL_ATTRIBUTE, until),
        cond: Some(Cond::NotExists),
    });
    let link = format!(
        "{}{}?t={token}",
        app.config.public_base_url,
        routes::ACCOUNT_EMAIL_CONFIRM
    );
    let mail = account_messages::email_change_confirmation(new.as_str(), &link).valid_until(until);
    tracing::info!(step = "area-email", account = %crypto::log_id(&a.id), "email change asked");
    Outcome::redirect(sent_path())
        .with_tx(tx)
        .send(Effect::Email(mail))
}

/// A live link's change, with its key (one read; nothing written).
pub async fn link(app: &App, token: &str) -> Result<Option<(Key, Change)>, WebError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let key = tokens::key(TOKEN_KIND, &crypto::token_hash(token));
    let item = app.store.get(&key).await?;
    Ok(item
        .filter(|i| !i.is_expired(app.now()))
        .and_then(|i| serde_json::from_str(i.s(tokens::CHANGE)?).ok())
        .map(|c| (key, c)))
}

/// What the link `token` can still do: its change and the account's state (two reads,
/// nothing written: the page's GET reads this too, and says a void link is void before
/// anyone presses its button).
pub async fn pending(app: &App, token: &str) -> Result<Pending, WebError> {
    let Some((key, c)) = link(app, token).await? else {
        return Ok(Pending::Gone);
    };
    let account = accounts::get(app.store.as_ref(), &c.account_id).await?;
    Ok(match account {
        Some(a) if a.status == Status::Active && c.epoch == Some(a.session_epoch) => {
            Pending::Live(key, c)
        }
        Some(a) if a.status != Status::Ceased => Pending::Voided,
        _ => Pending::Gone,
    })
}

/// CONFERMA IL NUOVO INDIRIZZO on the link as read (`pending`: two reads, the link and its
/// account): one transaction.
pub fn confirmed(app: &App, pending: Pending) -> Outcome<Refusal> {
    let (token_key, c) = match pending {
        Pending::Live(key, c) => (key, c),
        Pending::Voided => return Outcome::reply(Refusal::LinkVoided.reply()),
        Pending::Gone => return Outcome::reply(Refusal::LinkGone.reply()),
    };
    let epoch = c.epoch.unwrap_or(-1);
    let now = app.now();
    let mut tx = Tx::new();
    tx.guard(tokens::consume_key_op(token_key, now), Refusal::LinkGone);
    tx.guard(
        accounts::change_email_op(
            &c.account_id,
            epoch,
            c.old_email.as_str(),
            c.new_email.as_str(),
            c.username_too,
        ),
        Refusal::Changed("email"),
    );
    let (by, holder) = (
        owner(&c.account_id),
        uniqueness::account_owner(&c.account_id),
    );
    let mut kinds = vec![Kind::Email];
    if c.username_too {
        kinds.push(Kind::Username);
    }
    for kind in kinds {
        tx.guard(
            uniqueness::claim_op(kind, &c.new_email, &c.account_id, &by, &[], now),
            Refusal::Taken("email"),
        );
        tx.write(uniqueness::release_op(kind, &c.old_email, &holder));
    }
    let masked = Email::parse(&c.new_email)
        .map(|e| e.masked())
        .unwrap_or_default();
    let recover = format!("{}{}", app.config.public_base_url, routes::RECOVER);
    let notice = account_messages::email_changed_notice(
        &c.old_email,
        &clock::rome_datetime(now),
        &masked,
        &recover,
    );
    tracing::info!(step = "area-email-confirm", account = %crypto::log_id(&c.account_id), "email changed");
    let done = if c.username_too {
        DONE_WITH_USERNAME
    } else {
        DONE
    };
    Outcome::redirect(format!(
        "{}?confermata={done}",
        routes::ACCOUNT_EMAIL_CONFIRM
    ))
    .with_tx(tx)
    .send(Effect::Email(notice))
}

/// The `confermata` values of the page after the confirmation (POST-redirect-GET).
pub const DONE: &str = "email";
pub const DONE_WITH_USERNAME: &str = "email-e-username";

/// The page after the confirmation.
pub fn done_page(done: &str) -> Markup {
    let text = if done == DONE_WITH_USERNAME {
        "Il tuo nuovo indirizzo email è confermato ed è anche la tua nuova username: usala per i prossimi accessi."
    } else {
        "Il tuo nuovo indirizzo email è confermato: da ora le comunicazioni arriveranno a questo indirizzo."
    };
    message_page(
        "Indirizzo email aggiornato",
        text,
        routes::ACCOUNT,
        "VAI ALL'AREA CLIENTI",
    )
}

/// The page of a link asked before the account's sessions were ended.
pub fn link_voided_page() -> Markup {
    warning_page(
        "Link non più valido",
        "Il link non è più valido: dopo che è stato richiesto, la password dell'account è stata cambiata oppure sono \
         state chiuse le sessioni aperte sugli altri dispositivi, e per sicurezza le modifiche in attesa di conferma \
         sono state annullate. L'indirizzo email non è cambiato. Se vuoi ancora cambiarlo, accedi all'Area Clienti e \
         chiedi di nuovo la modifica.",
        routes::ACCOUNT_EMAIL,
        "CAMBIA INDIRIZZO EMAIL",
    )
}

/// The page of a link that was used, has expired or never existed.
pub fn link_gone_page() -> Markup {
    warning_page(
        "Link non valido",
        "Il link di conferma non è più valido: è già stato usato oppure è scaduto. Se l'indirizzo non risulta \
         aggiornato, chiedi di nuovo la modifica dall'Area Clienti.",
        routes::ACCOUNT_EMAIL,
        "CAMBIA INDIRIZZO EMAIL",
    )
}
