//! The step engine every flow step runs on (ARCHITECTURE.md, "The step engine").
//!
//! A step is a decision: from the flow's state (carried in a sealed cookie, `carry`), the
//! typed form and the facts its loader read (one `Store::batch_get`), it returns an
//! [`Outcome`]: the writes **and the counters** to commit (one `TransactWriteItems`,
//! [`Tx`]), the messages to send once they are committed, and the page or redirect to
//! answer. [`run`] does the I/O in that order; a condition that fails comes back as the
//! step's own typed refusal (by tag, never by position), which the step renders.

pub mod carry;
pub mod tx;

pub use carry::Carried;
pub use tx::{Failed, Tx};

use crate::metrics::Metric;
use crate::pages::FieldErrors;
use crate::store::TxOp;
use crate::web::{self, Resp, WebError};
use crate::App;
use lambda_http::Request;
use maud::Markup;
use serde::{de::DeserializeOwned, Serialize};
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

/// A message a step sends after its writes are committed: the outbox's `Message` (an SMS,
/// an email, or `Nothing` where data that match no account would have had one).
pub use crate::notify::Message as Effect;

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
    /// The outcomes counted (`crate::metrics`) once the writes are committed.
    pub metrics: Vec<Metric>,
    /// The step found that the flow state it was decided on is no longer the table's
    /// (`Outcome::stale`): nothing is written or sent, and the engine decides again.
    pub stale: bool,
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
            metrics: Vec::new(),
            stale: false,
        }
    }
    /// The flow state this step was decided on is stale (another request moved the flow:
    /// a replayed or double-submitted step, a second tab; or its time is over), as its
    /// cheap checks found (`load_current`) before any expensive work — a password hash.
    /// Nothing is written or sent; the engine decides again on the table's state.
    pub fn stale() -> Self {
        Outcome {
            stale: true,
            ..Self::reply(Reply::Redirect(String::new()))
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
    /// Counts `metric` (a funnel or health metric) if the step's writes are committed.
    pub fn metric(mut self, metric: Metric) -> Self {
        self.metrics.push(metric);
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
    let mut form = Some(form);
    let mut last = None;
    for _ in 0..DECISIONS {
        match settle(app, decide().await?, &mut form).await? {
            Settled::Done(resp) => return Ok(resp),
            Settled::Again(r) => last = r,
        }
    }
    gave_up(last, form)
}

/// A flow's state type: what the engine needs to carry it in a cookie and load it back
/// (one loader for every flow).
pub trait Flow: Serialize + DeserializeOwned + Clone {
    /// The record's kind (`FLOW#<KIND>#…`) and the cookie's name.
    const KIND: &'static str;
    const COOKIE: &'static str;
    const TTL_SECS: i64;
    /// Where a request without a live flow goes (the flow's first page, saying why).
    fn gone() -> String;
    /// The absolute end its issue set (the end of the link or code it was started from, or
    /// its lifetime from the start), if the flow has one: its record and its cookie end then,
    /// and no save moves it (`Carried::next_op`, `flow_cookie`). Without one, each save
    /// gives the flow `TTL_SECS` more.
    fn deadline(&self) -> Option<i64> {
        None
    }
}

/// The write creating flow `id` with `data` (version 1): it ends at `data.deadline()`, or
/// `T::TTL_SECS` from now.
pub fn create_flow_op<T: Flow>(id: &str, data: &T, now: i64) -> TxOp {
    let until = data.deadline().unwrap_or(now + T::TTL_SECS);
    crate::flows::record::create_until_op(T::KIND, id, data, until)
}

impl<T: Flow> Carried<T> {
    /// The write saving `next` as this flow's next version, if the record is still at the
    /// carried version and its time is not over (else the step's transaction fails: a
    /// conflict, decided again); it keeps `next.deadline()`, or gives `T::TTL_SECS` more.
    pub fn next_op(&self, next: &T, now: i64) -> TxOp {
        let until = next.deadline().unwrap_or(now + T::TTL_SECS);
        crate::flows::record::update_until_op(T::KIND, &self.id, self.version, next, until, now)
    }
}

/// The facts a step of flow `T` reads together with its flow's record, in one
/// `BatchGetItem`: the items of `keys`, in order — or `None` when the carried state is
/// stale (the record moved to another version, is gone or its time is over). A step that
/// does expensive work (a password hash) loads with it and answers `Outcome::stale()` on
/// `None`, so a replayed or stale cookie costs one read, never the work.
pub async fn load_current<T: Flow>(
    app: &App,
    carried: &Carried<T>,
    keys: &[crate::store::Key],
) -> Result<Option<Vec<Option<crate::store::Item>>>, WebError> {
    let mut all = vec![crate::flows::record::key_for(T::KIND, &carried.id)];
    all.extend_from_slice(keys);
    let mut items = app.store.batch_get(&all).await?;
    if items.len() != all.len() {
        return Err(WebError::Unavailable(
            "batch answer of the wrong size".into(),
        ));
    }
    let record = items.remove(0);
    let current = crate::flows::record::from_item::<serde_json::Value>(record.as_ref(), app.now())
        .is_some_and(|(version, _)| version == carried.version);
    Ok(current.then_some(items))
}

/// The flow state the request's cookie carries, if it is live and ours.
pub async fn carried<T: Flow>(app: &App, req: &Request) -> Option<Carried<T>> {
    carry::from_request(app, req, T::COOKIE, T::KIND).await
}

/// The `Set-Cookie` carrying `data` as version `version` of flow `id`: for `T::TTL_SECS`,
/// never past the flow's deadline (`Flow::deadline`).
pub fn flow_cookie<T: Flow>(app: &App, id: &str, version: i64, data: &T) -> String {
    let ttl = data
        .deadline()
        .map_or(T::TTL_SECS, |d| T::TTL_SECS.min(d - app.now()).max(0));
    carry::set_cookie(app, (T::COOKIE, T::KIND, ttl), id, version, data)
}

/// `run` for a step of a flow whose state the request's cookie carries (none: to
/// `T::gone()`). The first decision is on that state; after a conflict (another request
/// moved the flow: a double click, a second tab) the next ones are on the record as the
/// table has it, and if it is gone the answer is `T::gone()`.
pub async fn run_flow<T, R, F, Fut>(
    app: &App,
    req: &Request,
    mut decide: F,
    form: impl FnOnce(&FieldErrors) -> Markup,
) -> Result<Resp, WebError>
where
    T: Flow,
    R: Refusal,
    F: FnMut(Carried<T>) -> Fut,
    Fut: Future<Output = Result<Outcome<R>, WebError>>,
{
    let Some(carried) = carried::<T>(app, req).await else {
        return Ok(web::redirect(&T::gone()));
    };
    let mut form = Some(form);
    let mut flow = Some(carried.clone());
    let mut last = None;
    for _ in 0..DECISIONS {
        let Some(current) = flow else {
            return Ok(web::redirect(&T::gone()));
        };
        match settle(app, decide(current).await?, &mut form).await? {
            Settled::Done(resp) => return Ok(resp),
            Settled::Again(r) => last = r,
        }
        let key = crate::flows::record::key_for(T::KIND, &carried.id);
        flow = crate::flows::record::load_key::<T>(app.store.as_ref(), key, app.now())
            .await?
            .map(|f| Carried {
                id: carried.id.clone(),
                version: f.version,
                data: f.data,
            });
    }
    gave_up(last, form)
}

enum Settled<R> {
    Done(Resp),
    /// Decide again (the refusal that asked for it, if one did).
    Again(Option<R>),
}

/// After every decision conflicted: the step's own refusal if it had one (e.g. "too many
/// attempts at once" for parallel guesses), else "try again".
fn gave_up<R: Refusal>(
    last: Option<R>,
    form: Option<impl FnOnce(&FieldErrors) -> Markup>,
) -> Result<Resp, WebError> {
    match (last, form) {
        (Some(r), Some(form)) => Ok(r.reply().into_response(&[], form)),
        _ => Err(WebError::Unavailable("step kept conflicting".into())),
    }
}

/// Commits an outcome, sends its messages and answers, or says to decide again.
async fn settle<R: Refusal>(
    app: &App,
    outcome: Outcome<R>,
    form: &mut Option<impl FnOnce(&FieldErrors) -> Markup>,
) -> Result<Settled<R>, WebError> {
    let Outcome {
        tx,
        effects,
        unsent,
        if_unsent,
        reply,
        cookies,
        metrics,
        stale,
    } = outcome;
    if stale {
        return Ok(Settled::Again(None));
    }
    let draw = |errors: &FieldErrors| (form.take().expect("one answer per step"))(errors);
    match tx.commit(app.store.as_ref()).await? {
        Ok(()) => {
            // Committed: the outcome happened, whether or not its messages leave now.
            metrics.into_iter().for_each(crate::metrics::emit);
            if let Err(e) = send(app, effects).await {
                if !unsent.is_empty() {
                    let _ = app.store.transact(unsent).await;
                }
                let Some((reply, cookies)) = if_unsent else {
                    return Err(e);
                };
                tracing::error!(error = %e, "message not sent; the step's writes stand");
                return Ok(Settled::Done(reply.into_response(&cookies, draw)));
            }
            Ok(Settled::Done(reply.into_response(&cookies, draw)))
        }
        Err(Failed::Refused(r)) if !r.retry() => {
            Ok(Settled::Done(r.reply().into_response(&[], draw)))
        }
        Err(Failed::Refused(r)) => Ok(Settled::Again(Some(r))),
        Err(Failed::Conflict) => Ok(Settled::Again(None)),
    }
}

/// Sends a step's messages, after its commit: one post to the outbox (one SQS
/// `SendMessage`) for the whole batch, none when there is nothing to send.
pub async fn send(app: &App, effects: Vec<Effect>) -> Result<(), WebError> {
    if !effects.is_empty() {
        app.outbox.post(effects).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::metrics::{scoped, Tally};
    use crate::store::{Cond, Item, Key};
    use std::sync::Arc;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Taken;
    impl Refusal for Taken {
        fn reply(&self) -> Reply {
            Reply::Redirect("/preso".into())
        }
    }

    /// A step that claims `X#A` and counts `LoginPasswordOk` if its claim is committed.
    async fn claim(app: &App) -> Resp {
        let decide = || async {
            let mut tx = Tx::new();
            let op = TxOp::Put {
                key: Key::new("X#A", "X"),
                item: Item::new(),
                cond: Some(Cond::NotExists),
            };
            tx.guard(op, Taken);
            Ok(Outcome::redirect("/fatto")
                .with_tx(tx)
                .metric(Metric::LoginPasswordOk))
        };
        run(app, decide, |_| maud::html! {}).await.unwrap()
    }

    #[tokio::test]
    async fn an_outcome_counts_once_its_writes_are_committed_and_a_refusal_counts_nothing() {
        let app = App::in_memory(Config::for_tests()).0;
        let tally = Arc::new(Tally::default());
        let first = scoped(tally.clone(), claim(&app)).await;
        assert_eq!(first.headers()["location"], "/fatto");
        let second = scoped(tally.clone(), claim(&app)).await;
        assert_eq!(second.headers()["location"], "/preso");
        assert_eq!(tally.get(Metric::LoginPasswordOk), 1);
    }

    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct Timed(i64);
    impl Flow for Timed {
        const KIND: &'static str = "TIMED";
        const COOKIE: &'static str = "timed";
        const TTL_SECS: i64 = 600;
        fn gone() -> String {
            "/scaduto".into()
        }
        fn deadline(&self) -> Option<i64> {
            Some(self.0)
        }
    }

    /// The record as current, stale (moved on) and over (its deadline passed, its item
    /// still there); saves keep the deadline its creation set; the cookie never outlives it.
    #[tokio::test]
    async fn a_flow_is_current_only_at_its_version_and_before_its_deadline() {
        let (app, _, _, clock) = App::in_memory(Config::for_tests());
        let now = app.now();
        let data = Timed(now + 100);
        app.store
            .transact(vec![create_flow_op("id", &data, now)])
            .await
            .unwrap();
        let v1 = Carried {
            id: "id".into(),
            version: 1,
            data: data.clone(),
        };
        let key = Key::new("X#A", "X");
        let facts = load_current(&app, &v1, std::slice::from_ref(&key)).await;
        assert_eq!(facts.unwrap(), Some(vec![None]), "current");
        app.store
            .transact(vec![v1.next_op(&data, now + 50)])
            .await
            .unwrap();
        assert_eq!(load_current(&app, &v1, &[]).await.unwrap(), None, "stale");
        let v2 = Carried { version: 2, ..v1 };
        clock.advance(100);
        assert_eq!(load_current(&app, &v2, &[]).await.unwrap(), None, "over");
        let cookie = flow_cookie(&app, "id", 2, &data);
        assert!(cookie.contains("Max-Age=0"), "{cookie}");
        let outcome: Outcome<Taken> = Outcome::stale();
        assert!(outcome.stale && outcome.tx.is_empty() && outcome.effects.is_empty());
    }
}
