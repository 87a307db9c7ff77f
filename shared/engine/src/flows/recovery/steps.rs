//! The recovery's POSTs as the engine's steps (`engine::Step`). The code page's is
//! `code::CodeStep`.

use super::refusal::Refusal;
use super::reset;
use super::start::{self, Identity};
use super::{Mode, Recovery};
use crate::step::Count;
use crate::App;
use crate::{Attempt, Carried, Ctx, Outcome, WebError};
use domain::OtpCode;

type Loaded<F> = Result<Result<F, Outcome<Refusal>>, WebError>;

/// AVANTI on the data page of a mode: the data parsed (`start::parse`), then one read and
/// the decision.
pub struct StartStep {
    pub form: start::Form,
    pub mode: Mode,
    pub identity: Identity,
    pub flow_id: String,
}

impl crate::Step for StartStep {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = (start::Facts, OtpCode);

    async fn load(
        &self,
        app: &App,
        ctx: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        let code = OtpCode::generate();
        let client = ctx.network();
        let asked = self.asked(&client, &code);
        let facts = start::load(app, self.mode, &self.identity, &asked).await?;
        Ok(Ok((facts, code)))
    }

    fn decide(
        &self,
        app: &App,
        ctx: &Ctx,
        _: (),
        (facts, code): Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        let client = ctx.network();
        let asked = self.asked(&client, &code);
        start::decide(app, self.mode, &self.identity, facts, &asked)
    }
}

impl StartStep {
    fn asked<'a>(&'a self, client: &'a str, code: &'a OtpCode) -> start::Asked<'a> {
        start::Asked {
            client,
            request: &self.form.richiesta,
            flow_id: &self.flow_id,
            code,
        }
    }
}

/// INVIA IL CODICE on the reset link's page: the link read (`reset::load_start`), then a
/// code and a reset flow (`reset::start`).
pub struct LinkStep {
    pub token: String,
    pub flow_id: String,
}

impl crate::Step for LinkStep {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = reset::Started;

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        reset::load_start(app, &self.token).await
    }

    fn decide(
        &self,
        app: &App,
        ctx: &Ctx,
        _: (),
        started: Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        reset::start(app, started, &self.flow_id, &ctx.viewer.ip)
    }
}

/// SALVA on the new password's page: the flow with the account read and the password hashed
/// (`reset::load_password`), then one transaction (`reset::set_password`).
pub struct PasswordStep {
    pub form: reset::Form,
}

impl crate::Step for PasswordStep {
    type Flow = Carried<Recovery>;
    type Refusal = Refusal;
    type Facts = reset::NewPassword;

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        flow: &Self::Flow,
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        reset::load_password(app, flow, &self.form).await
    }

    fn decide(
        &self,
        app: &App,
        _: &Ctx,
        flow: Self::Flow,
        new: Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        reset::set_password(app, flow, new)
    }
}
