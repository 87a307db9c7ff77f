//! The CONFERMA EMAIL link (step 4 → 5). Mail systems of public administrations (Safe
//! Links, Proofpoint, Mimecast…) open every link before the person does, so opening the link
//! (GET) only reads (`load`) and shows a button; its POST confirms (`confirm`). The link can
//! be opened any number of times by anyone; the confirmation works once, expires, and works
//! in any browser: one transaction uses the token up and moves the flow to a new cookie id
//! in the browser that clicked (people read mail on their phone; the old id stops working).
//!
//! The token's item carries the flow as it was when the email left (`token_op`), so neither
//! the page nor the confirmation reads the flow: whatever changed it since deleted the token
//! (a new email, edited data) or fails the version check of the confirmation.

use super::{Refusal, Registration, State, Step, CONFIRM_TTL_SECS, KIND, TOKEN_KIND};
use crate::record;
use crate::App;
use crate::WebError;
use crate::{Carried, Outcome, Refusal as _, Tx};
use domain::{crypto, routes};
use maud::Markup;
use serde::Deserialize;
use store::{tokens, AccountId, Cond, Item, Key, TxOp};
use ui::pages::message_page;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub t: String,
}

/// A live link: the flow it confirms, as it was when the email left.
#[derive(Debug, Clone)]
pub struct Link {
    pub(super) hash: String,
    pub(super) flow_key: Key,
    pub(super) version: i64,
    pub(super) data: Registration,
}

/// The write storing the link's token for `next`, which `flow` becomes (its next version).
pub(super) fn token_op(
    flow: &Carried<Registration>,
    next: &Registration,
    hash: &str,
    now: i64,
) -> TxOp {
    flow_token_op(TOKEN_KIND, flow, next, hash, None, now + CONFIRM_TTL_SECS)
}

/// The write storing a link token of `kind` that carries `next`, which `flow` becomes (its
/// next version), until `until`: the link acts on the flow without reading it (the
/// confirmation email's link, and the old owner's one in `consent`).
pub(super) fn flow_token_op(
    kind: &str,
    flow: &Carried<Registration>,
    next: &Registration,
    hash: &str,
    account: Option<(&AccountId, i64)>,
    until: i64,
) -> TxOp {
    let item = tokens::flow_link_item(
        &record::key_for(KIND, &flow.id),
        flow.version + 1,
        serde_json::to_string(next).expect("flow data serialises"),
        account,
        until,
    );
    TxOp::Put {
        key: tokens::key(kind, hash),
        item,
        cond: Some(Cond::NotExists),
    }
}

/// The write deleting the token `hash` (its email never left).
pub(super) fn withdraw_op(hash: &str) -> TxOp {
    withdraw_kind_op(TOKEN_KIND, hash)
}

/// The write deleting the link token `hash` of `kind`.
pub(super) fn withdraw_kind_op(kind: &str, hash: &str) -> TxOp {
    TxOp::Delete {
        key: tokens::key(kind, hash),
        cond: None,
    }
}

/// The link `token` opens, if it is live (one read).
pub async fn load(app: &App, token: &str) -> Result<Option<Link>, WebError> {
    if token.is_empty() {
        return Ok(None);
    }
    let hash = crypto::token_hash(token);
    let item = app.store.get(&tokens::key(TOKEN_KIND, &hash)).await?;
    Ok(link(item.as_ref(), hash, app.now()))
}

/// The link read as `item`.
pub(super) fn link(item: Option<&Item>, hash: String, now: i64) -> Option<Link> {
    let link = tokens::flow_link(item.filter(|i| !i.is_expired(now))?)?;
    let data: Registration = serde_json::from_str(link.flow).ok()?;
    let latest = data.state == State::EmailSent && data.confirm_token_hash.as_ref() == Some(&hash);
    latest.then_some(Link {
        flow_key: link.flow_key,
        version: link.version,
        data,
        hash,
    })
}

/// CONFERMA EMAIL: the token used up and the flow moved to `new_id`, confirmed, in one
/// transaction; the browser that clicked gets its cookie.
pub fn confirm(app: &App, link: &Link, new_id: &str) -> Outcome<Refusal> {
    let now = app.now();
    let mut next = link.data.clone();
    if next.email_confirmed(&link.hash).is_err() {
        return Outcome::reply(Refusal::LinkInvalid.reply());
    }
    let mut tx = Tx::new();
    tx.guard(
        tokens::consume_live_op(TOKEN_KIND, &link.hash, now),
        Refusal::LinkInvalid,
    );
    let old = TxOp::Delete {
        key: link.flow_key.clone(),
        cond: Some(store::flows::at_version(link.version)),
    };
    tx.guard(old, Refusal::LinkInvalid);
    tx.write(record::create_op(KIND, new_id, &next, super::TTL_SECS, now));
    tracing::info!(step = "confirm-email", "email confirmed");
    Outcome::redirect(routes::CONFIRM_EMAIL)
        .with_tx(tx)
        .metric(metrics::Metric::RegistrationEmailConfirmed)
        .cookie(super::cookie(app, new_id, 1, &next))
}

/// The page of a link that is no longer valid (410).
pub fn invalid_link() -> Markup {
    message_page(
        "Link non valido",
        "Il link di conferma non è più valido: potrebbe essere già stato usato, essere scaduto o essere \
        stato sostituito da un'email più recente. Se hai già confermato la tua email prosegui dal dispositivo \
        su cui l'hai confermata, altrimenti richiedi una nuova email di conferma.",
        Step::Email.path(),
        "TORNA ALLA REGISTRAZIONE",
    )
}
