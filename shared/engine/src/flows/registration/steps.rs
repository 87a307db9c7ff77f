//! The registration's POSTs as the engine's steps (`engine::Step`): each one names its page
//! (the flow's state gates it: `Registration::allows`), reads its facts and decides with
//! the functions of its module (`number`, `code`, `profile`, `email`, `password`, `confirm`,
//! `consent`). Step 2 is `code::CodeStep`.

use super::{
    confirm, consent, email, number, password, profile, Refusal, Registration, State, Step,
};
use crate::flows::challenge;
use crate::step::Count;
use crate::App;
use crate::{Attempt, Carried, Ctx, Outcome, Reply, WebError};
use domain::routes;
use store::AccountId;

type Loaded<F> = Result<Result<F, Outcome<Refusal>>, WebError>;

/// Step 1: the number and the slider; a new flow and its code.
pub struct NumberStep {
    pub form: number::Form,
}

impl crate::Step for NumberStep {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = (domain::MobileNumber, challenge::Passed, number::Facts);

    /// The checks that need no table first (`number::check`); then one read.
    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        // A challenge signed after a rotation this process has not seen: fetch the secret
        // again (`number::check` then finds its key among `app.keys()`).
        if let Some(kid) = challenge::key_id(&self.form.challenge) {
            app.keys_for(kid).await;
        }
        let (typed, passed) = match number::check(app, &self.form) {
            Ok(checked) => checked,
            Err(answer) => return Ok(Err(*answer)),
        };
        let facts = number::load(app, &typed).await?;
        Ok(Ok((typed, passed, facts)))
    }

    fn decide(
        &self,
        app: &App,
        ctx: &Ctx,
        _: (),
        facts: Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        let (typed, passed, facts) = facts;
        let fresh = number::Fresh {
            flow_id: domain::crypto::random_token(),
            rid: domain::crypto::random_token(),
            code: domain::OtpCode::generate(),
        };
        number::decide(app, typed, &passed, facts, &ctx.network(), fresh)
    }
}

/// Step 3: the data, PROSEGUI, or the waiting page's code (counted by the engine before it
/// is compared) and INVIA DI NUOVO: the reads of the button pressed (`profile::load`), then
/// the decision (`profile::decide`).
pub struct ProfileStep {
    pub form: profile::Form,
    pub fresh: consent::Fresh,
}

impl crate::Step for ProfileStep {
    type Flow = Carried<Registration>;
    type Refusal = Refusal;
    type Facts = profile::Facts;

    fn page(&self) -> Option<Step> {
        Some(Step::Profile)
    }

    fn pre_commit(&self, _: &App, flow: &Self::Flow) -> Option<crate::Guess> {
        profile::to_count(&self.form, &flow.data)
    }

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        flow: &Self::Flow,
        counted: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        Ok(Ok(profile::load(app, &self.form, flow, counted).await?))
    }

    fn decide(
        &self,
        app: &App,
        _: &Ctx,
        flow: Self::Flow,
        facts: Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        profile::decide(app, &self.form, flow, &self.fresh, facts)
    }
}

/// Step 4: SALVA, AVANTI, INVIA DI NUOVO: who holds the value chosen (`email::load`), then
/// the decision (`email::decided`).
pub struct EmailStep {
    pub form: email::Form,
}

impl crate::Step for EmailStep {
    type Flow = Carried<Registration>;
    type Refusal = Refusal;
    type Facts = email::Holder;

    fn page(&self) -> Option<Step> {
        Some(Step::Email)
    }

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        flow: &Self::Flow,
        _: Option<Count>,
        attempt: Attempt,
    ) -> Loaded<Self::Facts> {
        Ok(Ok(email::load(app, &self.form, flow, attempt).await?))
    }

    fn decide(
        &self,
        app: &App,
        ctx: &Ctx,
        flow: Self::Flow,
        holder: Self::Facts,
        attempt: Attempt,
    ) -> Outcome<Refusal> {
        email::decided(app, &self.form, &ctx.network(), flow, attempt, &holder)
    }
}

/// Step 5: the password; one transaction makes the account.
pub struct PasswordStep {
    pub form: password::Form,
    pub account_id: AccountId,
    /// The password's hash, computed when a decision first needs it and at most once per
    /// request (a decision taken again reuses it).
    pub hash: tokio::sync::OnceCell<String>,
}

impl PasswordStep {
    pub fn new(form: password::Form) -> Self {
        PasswordStep {
            form,
            account_id: AccountId::random(),
            hash: tokio::sync::OnceCell::new(),
        }
    }
}

impl crate::Step for PasswordStep {
    type Flow = Carried<Registration>;
    type Refusal = Refusal;
    type Facts = (String, password::Facts);

    fn page(&self) -> Option<Step> {
        Some(Step::Password)
    }

    /// The password checked as typed, then one read (`password::load`): a cookie that is
    /// not the table's flow goes to that flow's page, and an owner's proof that no longer
    /// holds is refused, both before the password is hashed (once per POST).
    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        flow: &Self::Flow,
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        let chosen = match password::check(&self.form, &flow.data) {
            Ok(p) => p,
            Err(errors) => return Ok(Err(Outcome::reply(Reply::Form(422, errors)))),
        };
        let facts = password::load(app, flow).await?;
        if let Some(answer) = password::refused(app, flow, &facts) {
            return Ok(Err(answer));
        }
        let hash = self
            .hash
            .get_or_try_init(|| password::hash(chosen))
            .await?
            .clone();
        Ok(Ok((hash, facts)))
    }

    fn decide(
        &self,
        app: &App,
        _: &Ctx,
        flow: Self::Flow,
        facts: Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        let (hash, facts) = facts;
        let line = facts.line.as_ref();
        password::complete(app, flow, &self.account_id, &hash, facts.superseded, line)
    }
}

/// Step 6: the outcome page; a summary email that did not go out with step 5 is sent now,
/// once (`password::outcome`).
pub struct DoneStep {
    /// The outcome page (`true`: the summary email went out).
    pub page: fn(bool) -> maud::Markup,
}

impl crate::Step for DoneStep {
    type Flow = Carried<Registration>;
    type Refusal = Refusal;
    type Facts = ();

    fn page(&self) -> Option<Step> {
        Some(Step::Done)
    }

    async fn load(
        &self,
        _: &App,
        _: &Ctx,
        _: &Self::Flow,
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<()> {
        Ok(Ok(()))
    }

    fn decide(&self, app: &App, _: &Ctx, flow: Self::Flow, _: (), _: Attempt) -> Outcome<Refusal> {
        password::outcome(app, flow, self.page)
    }
}

/// CONFERMA EMAIL on the link, in any browser.
pub struct ConfirmStep {
    pub form: confirm::Form,
    pub new_id: String,
}

impl crate::Step for ConfirmStep {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = confirm::Link;

    /// The link's token read; none: a second click the first one confirmed in this browser
    /// goes to the confirmed page, any other to the invalid link's.
    async fn load(
        &self,
        app: &App,
        ctx: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<confirm::Link> {
        if let Some(link) = confirm::load(app, &self.form.t).await? {
            return Ok(Ok(link));
        }
        if confirmed_here(app, ctx).await {
            return Ok(Err(Outcome::redirect(routes::CONFIRM_EMAIL)));
        }
        Ok(Err(Outcome::reply(Reply::Page(
            410,
            confirm::invalid_link(),
        ))))
    }

    fn decide(
        &self,
        app: &App,
        _: &Ctx,
        _: (),
        link: confirm::Link,
        _: Attempt,
    ) -> Outcome<Refusal> {
        confirm::confirm(app, &link, &self.new_id)
    }
}

/// Whether this browser's registration is the one its link confirmed.
pub async fn confirmed_here(app: &App, ctx: &Ctx) -> bool {
    crate::carry::from_ctx::<Registration>(app, ctx, super::COOKIE, super::KIND)
        .await
        .is_some_and(|f| f.data.state() == State::EmailConfirmed)
}

/// CONFERMA LA CESSAZIONE on the link emailed to the old registration's owner.
pub struct CeaseStep {
    pub form: consent::LinkForm,
}

impl crate::Step for CeaseStep {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = consent::Link;

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<consent::Link> {
        Ok(match consent::load_link(app, &self.form.t).await? {
            Some(link) => Ok(link),
            None => Err(Outcome::reply(Reply::Page(410, consent::invalid_link()))),
        })
    }

    fn decide(
        &self,
        app: &App,
        _: &Ctx,
        _: (),
        link: consent::Link,
        _: Attempt,
    ) -> Outcome<Refusal> {
        consent::confirm(app, &link)
    }
}
