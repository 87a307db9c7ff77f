//! The one shape of a step: load its facts, decide (pure), then the engine commits, sends
//! and answers (`engine::run`). A step is a value (its typed form and what it was given:
//! fresh ids, the signed-in user) implementing [`Step`].

use super::carry::{self, Carried};
use super::{Ctx, Flow, Outcome, Refusal, WebError};
use crate::App;
use std::future::Future;
use store::otp::{self, Counted, OtpError, Purpose};

/// Which decision of a POST this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attempt {
    /// A later decision (after a refusal that decides again, or a conflict), on the
    /// table's flow rather than the cookie's.
    pub again: bool,
    /// The table's flow is a later version than the cookie's: another request moved it.
    pub moved: bool,
}

/// What a step moves: nothing the request carries (`()`: a step that starts a flow, or
/// a change of the private area) or the flow a cookie carries (`Carried<T>`).
pub trait Moves: Sized + Clone {
    /// The page a step is, for flows that gate their pages by state (`Flow::Page`).
    type Page: Copy;
    /// The state the request's cookie carries, or where a request without one goes.
    fn carried(app: &App, ctx: &Ctx) -> impl Future<Output = Result<Self, String>>;
    /// The state as the table has it now (after a conflict), or where the request goes
    /// when it is gone.
    fn reload(&self, app: &App) -> impl Future<Output = Result<Result<Self, String>, WebError>>;
    /// Where a request for `page` goes instead in this state (`Flow::elsewhere`).
    fn elsewhere(&self, page: Option<Self::Page>) -> Option<String>;
    /// Whether this is a later version than `other`.
    fn moved_from(&self, other: &Self) -> bool;
    /// The `Set-Cookie` carrying this state (a request sent elsewhere after a reload).
    fn cookie(&self, app: &App) -> Option<String>;
}

impl Moves for () {
    type Page = ();
    async fn carried(_: &App, _: &Ctx) -> Result<(), String> {
        Ok(())
    }
    async fn reload(&self, _: &App) -> Result<Result<(), String>, WebError> {
        Ok(Ok(()))
    }
    fn elsewhere(&self, _: Option<()>) -> Option<String> {
        None
    }
    fn moved_from(&self, _: &()) -> bool {
        false
    }
    fn cookie(&self, _: &App) -> Option<String> {
        None
    }
}

impl<T: Flow> Moves for Carried<T> {
    type Page = T::Page;
    async fn carried(app: &App, ctx: &Ctx) -> Result<Self, String> {
        carry::from_ctx(app, ctx, T::COOKIE, T::KIND)
            .await
            .ok_or_else(T::gone)
    }
    async fn reload(&self, app: &App) -> Result<Result<Self, String>, WebError> {
        let key = super::record::key_for(T::KIND, &self.id);
        let now = app.now();
        let flow = match T::READ_IN_BATCH {
            true => {
                let item = app.store.batch_get(&[key]).await?.pop().flatten();
                super::record::from_item::<T>(item.as_ref(), now)
            }
            false => super::record::load_key::<T>(app.store.as_ref(), key, now)
                .await?
                .map(|f| (f.version, f.data)),
        };
        Ok(flow
            .map(|(version, data)| Carried {
                id: self.id.clone(),
                version,
                data,
            })
            .ok_or_else(T::gone))
    }

    fn elsewhere(&self, page: Option<T::Page>) -> Option<String> {
        page.and_then(|p| self.data.elsewhere(p))
    }
    fn moved_from(&self, other: &Self) -> bool {
        self.version != other.version
    }
    fn cookie(&self, app: &App) -> Option<String> {
        Some(super::flow_cookie(app, &self.id, self.version, &self.data))
    }
}

/// A guess a step counts before it is compared (a security property: a guess that is not
/// counted is never compared): the engine counts it (`otp::count`, one `UpdateItem`) before
/// the step's facts are loaded, and the step's `load` gets what was counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guess {
    pub purpose: Purpose,
    pub subject: String,
}

/// A guess as counted: the code to compare it with, or why there is none to compare.
pub type Count = Result<Counted, OtpError>;

/// One step. The engine runs it (`engine::run`): the flow (`Self::Flow`) from the request's
/// cookie, gated by its state (`page`); the guess counted (`pre_commit`); the facts read
/// (`load`); the decision (`decide`, no I/O); one transaction; the messages; the answer. A
/// conflict decides again on fresh facts, at most `DECISIONS` times.
pub trait Step {
    type Flow: Moves;
    type Refusal: Refusal;
    type Facts;

    /// The page this step is, for a flow that gates its pages by state.
    fn page(&self) -> Option<<Self::Flow as Moves>::Page> {
        None
    }

    /// The guess to count before deciding (`None`: nothing to count, e.g. a malformed
    /// code, which `decide` refuses without a read).
    fn pre_commit(&self, _app: &App, _flow: &Self::Flow) -> Option<Guess> {
        None
    }

    /// The step's reads (one batch where it can), with the guess as counted, for this
    /// decision (`attempt`): I/O, no decision. `Err` answers at once without deciding
    /// (cheap checks that spare the reads, a flow the batch found stale: `Outcome::stale()`).
    fn load(
        &self,
        app: &App,
        ctx: &Ctx,
        flow: &Self::Flow,
        counted: Option<Count>,
        attempt: Attempt,
    ) -> impl Future<Output = Result<Result<Self::Facts, Outcome<Self::Refusal>>, WebError>>;

    /// The decision on the flow, the form and the facts: no I/O.
    fn decide(
        &self,
        app: &App,
        ctx: &Ctx,
        flow: Self::Flow,
        facts: Self::Facts,
        attempt: Attempt,
    ) -> Outcome<Self::Refusal>;
}

/// Counts `guess` (the engine's pre-commit): a store failure is the request's error.
pub(super) async fn count(app: &App, guess: &Guess) -> Result<Count, WebError> {
    match otp::count(
        app.store.as_ref(),
        &app.secret,
        guess.purpose,
        &guess.subject,
        app.now(),
    )
    .await
    {
        Err(OtpError::Store(e)) => Err(e.into()),
        counted => Ok(counted),
    }
}
