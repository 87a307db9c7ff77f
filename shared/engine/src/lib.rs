//! The decisions: flow state machines, the private area, the step engine (its runner, the
//! request context, the flow record) and the capability container (`App`), over the lower
//! crates (`domain`, `store`, `notify`, `metrics`, `pdf`, `ui`). No HTTP runtime here: the
//! `web` crate reads requests into a `Ctx` and renders what the engine answers.
//! The step engine every step runs on (ARCHITECTURE.md, "The step engine"), free of HTTP:
//! the web layer reads a request once into a [`Ctx`] and renders the [`Answer`].
//!
//! A step ([`Step`]) is a decision: from the flow's state (carried in a sealed cookie,
//! `carry`, gated by its state: `Flow::allows`), the typed form and the facts its loader
//! read (one `Store::batch_get` where it can), it returns an [`Outcome`]: the writes **and
//! the counters** to commit (one `TransactWriteItems`, [`Tx`]), the messages to send once
//! they are committed, and the page or redirect to answer. [`run`] — the one runner — does
//! the I/O in that order, after counting the step's guess if it has one
//! (`Step::pre_commit`); a condition that fails comes back as the step's own typed refusal
//! (by tag, never by position), which the step renders.

pub mod access;
pub mod app;
pub mod area;
pub mod config;
pub mod flows;
pub mod pages;
pub mod passwords;
pub mod session;
pub mod sms;

pub use app::App;

pub mod carry;
pub mod cookies;
pub mod ctx;
pub mod error;
pub mod form;
pub mod record;
mod runner;
pub mod step;
pub mod tx;
pub mod viewer;

pub use carry::Carried;
pub use ctx::Ctx;
pub use error::WebError;
pub use form::{FieldErrors, Form};
pub use runner::{run, shown, Answer, Elsewhere};
pub use step::{Attempt, Guess, Moves, Step};
pub use tx::{Failed, Tx};

use maud::Markup;
use metrics::Metric;
use serde::{de::DeserializeOwned, Serialize};
use store::TxOp;

/// What the user gets back.
pub enum Reply {
    Page(u16, Markup),
    /// The step's own page again, with these errors next to the fields (and what the user
    /// typed kept: the step's page renders it from the form).
    Form(u16, FieldErrors),
    /// POST-redirect-GET (303).
    Redirect(String),
    /// A JSON document for the page's script (the passkey ceremony's options): the body
    /// already serialised, `Content-Type: application/json`.
    Json(u16, String),
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
pub use notify::Message as Effect;

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

/// A flow's state type: what the engine needs to carry it in a cookie and load it back
/// (one loader for every flow).
pub trait Flow: Serialize + DeserializeOwned + Clone {
    /// The record's kind (`FLOW#<KIND>#…`) and the cookie's name.
    const KIND: &'static str;
    const COOKIE: &'static str;
    const TTL_SECS: i64;
    /// Whether the engine reads the record again (after a conflict) in a one-key
    /// `BatchGetItem` rather than a `GetItem`: the registration's functions read their flow
    /// with the facts in one batch, and are granted only that (`engine::access`).
    const READ_IN_BATCH: bool = false;
    /// The flow's pages, for the ones that gate them by state (registration's `Step`);
    /// `()` for a flow whose steps answer every state themselves.
    type Page: Copy;
    /// Where a request without a live flow goes (the flow's first page, saying why).
    fn gone() -> String;
    /// Whether this state allows `page` to be shown and submitted: the engine applies it to
    /// every step's POST (`run`) and to the pages (`shown`).
    fn allows(&self, _page: Self::Page) -> bool {
        true
    }
    /// The page where a flow in this state continues.
    fn home(&self) -> String {
        Self::gone()
    }
    /// Where a request for `page` goes instead, in this state: the page of the state, if
    /// the state does not allow `page`.
    fn elsewhere(&self, page: Self::Page) -> Option<String> {
        (!self.allows(page)).then(|| self.home())
    }
    /// Whether a page (GET) of `page` must ask the table where the flow is, rather than
    /// trust the state its cookie carries (another browser moves the flow in this state).
    fn moved_elsewhere(&self, _page: Self::Page) -> bool {
        false
    }
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
    record::create_until_op(T::KIND, id, data, until)
}

impl<T: Flow> Carried<T> {
    /// The write saving `next` as this flow's next version, if the record is still at the
    /// carried version and its time is not over (else the step's transaction fails: a
    /// conflict, decided again); it keeps `next.deadline()`, or gives `T::TTL_SECS` more.
    pub fn next_op(&self, next: &T, now: i64) -> TxOp {
        let until = next.deadline().unwrap_or(now + T::TTL_SECS);
        record::update_until_op(T::KIND, &self.id, self.version, next, until, now)
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
    keys: &[store::Key],
) -> Result<Option<Vec<Option<store::Item>>>, WebError> {
    let mut all = vec![record::key_for(T::KIND, &carried.id)];
    all.extend_from_slice(keys);
    let mut items = app.store.batch_get(&all).await?;
    if items.len() != all.len() {
        return Err(WebError::Unavailable(
            "batch answer of the wrong size".into(),
        ));
    }
    let record = items.remove(0);
    let current = record::from_item::<serde_json::Value>(record.as_ref(), app.now())
        .is_some_and(|(version, _)| version == carried.version);
    Ok(current.then_some(items))
}

/// The `Set-Cookie` carrying `data` as version `version` of flow `id`: for `T::TTL_SECS`,
/// never past the flow's deadline (`Flow::deadline`).
pub fn flow_cookie<T: Flow>(app: &App, id: &str, version: i64, data: &T) -> String {
    let ttl = data
        .deadline()
        .map_or(T::TTL_SECS, |d| T::TTL_SECS.min(d - app.now()).max(0));
    carry::set_cookie(app, (T::COOKIE, T::KIND, ttl), id, version, data)
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
pub(crate) mod tests {
    use super::*;
    use crate::config::Config;
    use metrics::{scoped, Tally};
    use std::sync::Arc;
    use store::{Cond, Item, Key};

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Taken;
    impl Refusal for Taken {
        fn reply(&self) -> Reply {
            Reply::Redirect("/preso".into())
        }
    }

    /// A step that claims `X#A` and counts `LoginPasswordOk` if its claim is committed.
    struct Claim;

    impl Step for Claim {
        type Flow = ();
        type Refusal = Taken;
        type Facts = ();

        async fn load(
            &self,
            _: &App,
            _: &Ctx,
            _: &(),
            _: Option<step::Count>,
            _: Attempt,
        ) -> Result<Result<(), Outcome<Taken>>, WebError> {
            Ok(Ok(()))
        }

        fn decide(&self, _: &App, _: &Ctx, _: (), _: (), _: Attempt) -> Outcome<Taken> {
            let mut tx = Tx::new();
            let op = TxOp::Put {
                key: Key::new("X#A", "X"),
                item: Item::new(),
                cond: Some(Cond::NotExists),
            };
            tx.guard(op, Taken);
            Outcome::redirect("/fatto")
                .with_tx(tx)
                .metric(Metric::LoginPasswordOk)
        }
    }

    /// Where the answer redirects to.
    pub(super) fn location<F>(answer: &Answer<F>) -> &str {
        match &answer.reply {
            Reply::Redirect(to) => to,
            _ => "",
        }
    }

    async fn claim(app: &App) -> Answer<()> {
        run(app, &Ctx::for_tests("/"), &Claim).await.unwrap()
    }

    #[tokio::test]
    async fn an_outcome_counts_once_its_writes_are_committed_and_a_refusal_counts_nothing() {
        let app = App::in_memory(Config::for_tests()).0;
        let tally = Arc::new(Tally::default());
        let first = scoped(tally.clone(), claim(&app)).await;
        assert_eq!(location(&first), "/fatto");
        let second = scoped(tally.clone(), claim(&app)).await;
        assert_eq!(location(&second), "/preso");
        assert_eq!(tally.get(Metric::LoginPasswordOk), 1);
    }

    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct Timed(i64);
    impl Flow for Timed {
        const KIND: &'static str = "TIMED";
        const COOKIE: &'static str = "timed";
        const TTL_SECS: i64 = 600;
        type Page = ();
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
