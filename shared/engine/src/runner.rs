//! The one runner: every step's POST goes through [`run`] (ARCHITECTURE.md, "The step
//! engine"), and every page of a flow that gates its pages through [`shown`].

use super::step::{self, Attempt, Moves, Step};
use super::{Carried, Ctx, Failed, Flow, Outcome, Refusal, Reply, WebError};
use crate::App;

/// How often a step is decided again after a conflict before the user is asked to retry.
pub const DECISIONS: usize = 3;

/// What a step answers, for the web layer to render: the reply, the cookies to set, and
/// the flow the request carried (what the step's page shows beside a form's errors).
pub struct Answer<F> {
    pub reply: Reply,
    pub cookies: Vec<String>,
    pub shown: Option<F>,
}

impl<F> Answer<F> {
    fn new(reply: Reply, cookies: Vec<String>, shown: Option<F>) -> Self {
        Answer {
            reply,
            cookies,
            shown,
        }
    }
}

/// Runs `step`: the flow the request's cookie carries (none: to the flow's first page),
/// where its state allows the step's page (else to the state's page); then, for each
/// decision, the guess counted (`Step::pre_commit`), the facts read (`Step::load`), the
/// decision (`Step::decide`), its writes committed in one transaction, its messages sent
/// (one outbox post), its metrics counted and its reply returned. A conflict, a refusal
/// that asks to (`Refusal::retry`) or a stale flow (`Outcome::stale`) decides again on the
/// flow as the table has it (moved past the page: to the page of its state, with a cookie
/// that carries it), at most `DECISIONS` times.
pub async fn run<S: Step>(app: &App, ctx: &Ctx, step: &S) -> Result<Answer<S::Flow>, WebError> {
    // A step may seal, hash or sign (a GET that runs one too: a link opened).
    app.need_keys().await?;
    let carried = match S::Flow::carried(app, ctx).await {
        Ok(flow) => flow,
        Err(gone) => return Ok(Answer::new(Reply::Redirect(gone), Vec::new(), None)),
    };
    let shown = Some(carried.clone());
    if let Some(to) = carried.elsewhere(step.page()) {
        return Ok(Answer::new(Reply::Redirect(to), Vec::new(), shown));
    }
    let mut flow = carried.clone();
    let mut attempt = Attempt::default();
    let mut last = None;
    for n in 0..DECISIONS {
        if n > 0 {
            flow = match carried.reload(app).await? {
                Ok(fresh) => fresh,
                Err(gone) => return Ok(Answer::new(Reply::Redirect(gone), Vec::new(), shown)),
            };
            if let Some(to) = flow.elsewhere(step.page()) {
                let cookies = flow.cookie(app).into_iter().collect();
                return Ok(Answer::new(Reply::Redirect(to), cookies, shown));
            }
            attempt = Attempt {
                again: true,
                moved: flow.moved_from(&carried),
            };
        }
        let counted = match step.pre_commit(app, &flow) {
            Some(guess) => Some(step::count(app, &guess).await?),
            None => None,
        };
        let outcome = match step.load(app, ctx, &flow, counted, attempt).await? {
            Ok(facts) => step.decide(app, ctx, flow.clone(), facts, attempt),
            Err(answer) => answer,
        };
        match settle(app, outcome).await? {
            Settled::Done(reply, cookies) => return Ok(Answer::new(reply, cookies, shown)),
            Settled::Again(r) => last = r,
        }
    }
    // Every decision conflicted: the step's own refusal if it had one (e.g. "too many
    // attempts at once" for parallel guesses), else "try again".
    match last {
        Some(r) => Ok(Answer::new(r.reply(), Vec::new(), shown)),
        None => Err(WebError::Unavailable("step kept conflicting".into())),
    }
}

enum Settled<R> {
    Done(Reply, Vec<String>),
    /// Decide again (the refusal that asked for it, if one did).
    Again(Option<R>),
}

/// Commits an outcome, sends its messages and answers, or says to decide again.
async fn settle<R: Refusal>(app: &App, outcome: Outcome<R>) -> Result<Settled<R>, WebError> {
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
    match tx.commit(app.store.as_ref()).await? {
        Ok(()) => {
            // Committed: the outcome happened, whether or not its messages leave now.
            metrics.into_iter().for_each(metrics::emit);
            if let Err(e) = super::send(app, effects).await {
                if !unsent.is_empty() {
                    let _ = app.store.transact(unsent).await;
                }
                let Some((reply, cookies)) = if_unsent else {
                    return Err(e);
                };
                tracing::error!(error = %e, "message not sent; the step's writes stand");
                return Ok(Settled::Done(reply, cookies));
            }
            Ok(Settled::Done(reply, cookies))
        }
        Err(Failed::Refused(r)) if !r.retry() => Ok(Settled::Done(r.reply(), Vec::new())),
        Err(Failed::Refused(r)) => Ok(Settled::Again(Some(r))),
        Err(Failed::Conflict) => Ok(Settled::Again(None)),
    }
}

/// Where a request goes instead of its page: `to`, with the cookie of the flow as the
/// table has it when the page learnt that another browser moved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elsewhere {
    pub to: String,
    pub cookie: Option<String>,
}

impl From<String> for Elsewhere {
    fn from(to: String) -> Self {
        Elsewhere { to, cookie: None }
    }
}

/// The flow a page (GET) of `page` shows, from its cookie (no read), or where the request
/// goes instead: the flow's first page without a live flow, the page of its state when the
/// state does not allow `page`. Where the flow says another browser may have moved it
/// (`Flow::moved_elsewhere`), the table says where the flow is, and a flow that moved sends
/// the browser to its page with a cookie that carries it.
pub async fn shown<T: Flow>(
    app: &App,
    ctx: &Ctx,
    page: T::Page,
) -> Result<Result<Carried<T>, Elsewhere>, WebError> {
    let flow = match Carried::<T>::carried(app, ctx).await {
        Ok(flow) => flow,
        Err(gone) => return Ok(Err(gone.into())),
    };
    let elsewhere = flow.data.elsewhere(page);
    if !flow.data.moved_elsewhere(page) {
        return Ok(match elsewhere {
            None => Ok(flow),
            Some(to) => Err(to.into()),
        });
    }
    Ok(match flow.reload(app).await? {
        Err(gone) => Err(gone.into()),
        Ok(f) if f.version == flow.version && f.data.elsewhere(page).is_none() => Ok(f),
        Ok(f) => Err(Elsewhere {
            to: f.data.home(),
            cookie: f.cookie(app),
        }),
    })
}

#[cfg(test)]
mod tests;
