//! The step engine every flow step runs on (ARCHITECTURE.md, "The step engine").
//!
//! A step is a decision: from the flow's state (carried in a signed cookie, `carry`), the
//! typed form and the facts its loader read (one `Store::batch_get`), it returns an
//! [`Outcome`]: the writes **and the counters** to commit (one `TransactWriteItems`,
//! [`Tx`]), the messages to send once they are committed, and the page or redirect to
//! answer. [`run`] does the I/O in that order; a condition that fails comes back as the
//! step's own typed refusal (by tag, never by position), which the step renders.

pub mod carry;
pub mod tx;

pub use carry::Carried;
pub use tx::{Failed, Tx};

use crate::domain::MobileNumber;
use crate::notify::{EmailMessage, Notifier};
use crate::pages::FieldErrors;
use crate::store::TxOp;
use crate::web::{self, Resp, WebError};
use crate::App;
use maud::Markup;
use std::future::Future;

/// What the user gets back.
pub enum Reply {
    Page(u16, Markup),
    /// The step's own page again, with these errors next to the fields (and what the user
    /// typed kept: the step's page renders it from the form).
    Form(u16, FieldErrors),
    /// POST-redirect-GET (303).
    Redirect(String),
}

/// A step's refusals (one type per flow): what the user is told, in one place.
pub trait Refusal {
    fn reply(&self) -> Reply;
    /// True when the step should be decided again on fresh facts (a concurrent request
    /// changed what it read: a double click, a second tab). `Failed::Conflict` always is.
    fn retry(&self) -> bool {
        false
    }
}

/// A message a step sends after its writes are committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Sms { to: MobileNumber, text: String },
    Email(EmailMessage),
}

/// Everything a step decided.
pub struct Outcome<R> {
    pub tx: Tx<R>,
    pub effects: Vec<Effect>,
    /// Writes that undo what is only true if the messages left (a code that was never
    /// sent must not count as "recently sent"), committed if sending fails.
    pub unsent: Vec<TxOp>,
    /// What to answer instead of an error page when the messages cannot be sent (after
    /// `unsent` is committed): a step whose writes stand without its message (an account
    /// created, its summary email to retry) says so on its own page.
    pub if_unsent: Option<(Reply, Vec<String>)>,
    pub reply: Reply,
    pub cookies: Vec<String>,
}

impl<R> Outcome<R> {
    /// Answer without writing or sending anything.
    pub fn reply(reply: Reply) -> Self {
        Outcome {
            tx: Tx::new(),
            effects: Vec::new(),
            unsent: Vec::new(),
            if_unsent: None,
            reply,
            cookies: Vec::new(),
        }
    }
    pub fn redirect(to: impl Into<String>) -> Self {
        Self::reply(Reply::Redirect(to.into()))
    }
    /// The step's page again with one error on `field`.
    pub fn error(status: u16, field: &'static str, text: impl ToString) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, text);
        Self::reply(Reply::Form(status, errors))
    }
    pub fn with_tx(mut self, tx: Tx<R>) -> Self {
        self.tx = tx;
        self
    }
    pub fn send(mut self, effect: Effect) -> Self {
        self.effects.push(effect);
        self
    }
    /// `op` is committed if the messages cannot be sent.
    pub fn unless_sent(mut self, op: TxOp) -> Self {
        self.unsent.push(op);
        self
    }
    /// Answer `reply` with `cookies` if the messages cannot be sent (see `if_unsent`).
    pub fn or_if_unsent(mut self, reply: Reply, cookies: Vec<String>) -> Self {
        self.if_unsent = Some((reply, cookies));
        self
    }
    pub fn cookie(mut self, set_cookie: String) -> Self {
        self.cookies.push(set_cookie);
        self
    }
}

impl Reply {
    pub fn into_response(
        self,
        cookies: &[String],
        form: impl FnOnce(&FieldErrors) -> Markup,
    ) -> Resp {
        match self {
            Reply::Page(status, page) => web::with_cookies(web::html(status, page), cookies),
            Reply::Form(status, errors) => {
                web::with_cookies(web::html(status, form(&errors)), cookies)
            }
            Reply::Redirect(to) => web::redirect_with_cookies(&to, cookies),
        }
    }
}

/// How often a step is decided again after a conflict before the user is asked to retry.
const DECISIONS: usize = 3;

/// Runs a step: `decide` loads its facts and decides; the outcome's writes are committed in
/// one transaction, then its messages sent, then the reply rendered (`form` draws the
/// step's page with errors). A conflict decides again on fresh facts.
pub async fn run<R, F, Fut>(
    app: &App,
    mut decide: F,
    form: impl FnOnce(&FieldErrors) -> Markup,
) -> Result<Resp, WebError>
where
    R: Refusal,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Outcome<R>, WebError>>,
{
    for _ in 0..DECISIONS {
        let Outcome {
            tx,
            effects,
            unsent,
            if_unsent,
            reply,
            cookies,
        } = decide().await?;
        match tx.commit(app.store.as_ref()).await? {
            Ok(()) => {
                if let Err(e) = send(app.notifier.as_ref(), effects).await {
                    if !unsent.is_empty() {
                        let _ = app.store.transact(unsent).await;
                    }
                    let Some((reply, cookies)) = if_unsent else {
                        return Err(e);
                    };
                    tracing::error!(error = %e, "message not sent; the step's writes stand");
                    return Ok(reply.into_response(&cookies, form));
                }
                return Ok(reply.into_response(&cookies, form));
            }
            Err(Failed::Refused(r)) if !r.retry() => return Ok(r.reply().into_response(&[], form)),
            Err(_) => continue,
        }
    }
    Err(WebError::Unavailable("step kept conflicting".into()))
}

/// Sends a step's messages (after its commit).
pub async fn send(notifier: &dyn Notifier, effects: Vec<Effect>) -> Result<(), WebError> {
    for e in effects {
        match e {
            Effect::Sms { to, text } => notifier.sms(&to, &text).await?,
            Effect::Email(m) => notifier.email(&m).await?,
        }
    }
    Ok(())
}
