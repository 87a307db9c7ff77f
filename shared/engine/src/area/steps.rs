//! The private area's changes as the engine's steps (`engine::Step`): each holds the
//! signed-in user the session guard read (`Ctx::required`) and its typed form.

use super::{consents, deletion, email, passkeys, password, reauth, sessions, Refusal};
use crate::pages::otp::CodeForm;
use crate::session::SignedIn;
use crate::step::Count;
use crate::App;
use crate::{Attempt, Carried, Ctx, Guess, Outcome, WebError};
use store::TxOp;

type Loaded<F> = Result<Result<F, Outcome<Refusal>>, WebError>;

/// ACCETTA on the consents page: nothing to read.
pub struct ConsentsStep<'a> {
    pub s: &'a SignedIn,
    pub form: consents::Form,
}

impl crate::Step for ConsentsStep<'_> {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = ();

    async fn load(&self, _: &App, _: &Ctx, _: &(), _: Option<Count>, _: Attempt) -> Loaded<()> {
        Ok(Ok(()))
    }

    fn decide(&self, app: &App, _: &Ctx, _: (), _: (), _: Attempt) -> Outcome<Refusal> {
        consents::accept(app, self.s, &self.form)
    }
}

/// "Esci" on one session, or on all the others: nothing to read (the guard read the session).
pub struct SessionsStep<'a> {
    pub s: &'a SignedIn,
    pub form: sessions::Form,
}

impl crate::Step for SessionsStep<'_> {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = ();

    async fn load(&self, _: &App, _: &Ctx, _: &(), _: Option<Count>, _: Attempt) -> Loaded<()> {
        Ok(Ok(()))
    }

    fn decide(&self, app: &App, ctx: &Ctx, _: (), _: (), _: Attempt) -> Outcome<Refusal> {
        sessions::end(app, ctx, self.s, &self.form)
    }
}

/// SALVA LA NUOVA PASSWORD: the current password verified and the new one hashed
/// (`password::load`), then the change (`password::decide`).
pub struct PasswordStep<'a> {
    pub s: &'a SignedIn,
    pub form: password::Form,
}

impl crate::Step for PasswordStep<'_> {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = password::Facts;

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        password::load(app, self.s, &self.form).await
    }

    fn decide(
        &self,
        app: &App,
        ctx: &Ctx,
        _: (),
        facts: Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        password::decide(app, ctx, self.s, facts)
    }
}

/// INVIA IL LINK DI CONFERMA for a new address: the form checked, the password verified if
/// asked, the address's claims read (`email::load`), then the request (`email::request`).
pub struct EmailStep<'a> {
    pub s: &'a SignedIn,
    pub form: email::Form,
}

impl crate::Step for EmailStep<'_> {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = email::Facts;

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        email::load(app, self.s, &self.form).await
    }

    fn decide(
        &self,
        app: &App,
        _: &Ctx,
        _: (),
        facts: Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        email::request(app, self.s, &self.form, facts)
    }
}

/// CONFERMA IL NUOVO INDIRIZZO on the link: the link and its account read
/// (`email::pending`), then the change (`email::confirmed`).
pub struct EmailConfirmStep {
    pub form: email::LinkForm,
}

impl crate::Step for EmailConfirmStep {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = email::Pending;

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        Ok(Ok(email::pending(app, &self.form.t).await?))
    }

    fn decide(
        &self,
        app: &App,
        _: &Ctx,
        _: (),
        pending: Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        email::confirmed(app, pending)
    }
}

/// CONTINUA with the password on "Elimina il tuo account": the password verified
/// (`reauth::verify`), then a code to the account's SIM and a deletion flow.
pub struct DeleteStep<'a> {
    pub s: &'a SignedIn,
    pub form: deletion::Form,
}

impl crate::Step for DeleteStep<'_> {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = reauth::Checked;

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        if self.form.password_attuale.is_empty() {
            return Ok(Err(Outcome::error(422, reauth::FIELD, reauth::MISSING)));
        }
        Ok(Ok(
            reauth::verify(app, self.s, &self.form.password_attuale).await?
        ))
    }

    fn decide(
        &self,
        app: &App,
        _: &Ctx,
        _: (),
        checked: Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        let flow_id = domain::crypto::random_token();
        deletion::start_outcome(app, self.s, &checked, &flow_id)
    }
}

/// ELIMINA L'ACCOUNT with the code (counted by the engine before it is compared), or a new
/// code. `later` keeps the deletes that did not fit in the transaction (`erase_later`).
pub struct DeleteCodeStep<'a> {
    pub s: &'a SignedIn,
    pub form: CodeForm,
    pub later: deletion::Later,
}

impl crate::Step for DeleteCodeStep<'_> {
    type Flow = Carried<deletion::Deletion>;
    type Refusal = Refusal;
    /// The code as counted, and for a right guess the deletes erasing the account's lists.
    type Facts = (Option<Count>, Vec<TxOp>);

    fn pre_commit(&self, _: &App, flow: &Self::Flow) -> Option<Guess> {
        deletion::to_count(self.s, flow, &self.form)
    }

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        _: &Self::Flow,
        counted: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        let right = match (&counted, domain::OtpCode::parse(&self.form.codice)) {
            (Some(Ok(c)), Ok(code)) => c.compare(&code, app.now()).is_ok(),
            _ => false,
        };
        let a = &self.s.account;
        let erase = match right {
            true => deletion::lists(app, &a.id, self.s.session.hash()).await?,
            false => Vec::new(),
        };
        Ok(Ok((counted, erase)))
    }

    fn decide(
        &self,
        app: &App,
        _: &Ctx,
        flow: Self::Flow,
        facts: Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        let (counted, erase) = facts;
        deletion::decide(app, self.s, flow, &self.form, counted, erase, &self.later)
    }
}

/// CONTINUA on "Crea una passkey": the password when the login is old, the passkeys read,
/// then the creation options and the ceremony (`passkeys::decide_new`).
pub struct PasskeyNewStep<'a> {
    pub s: &'a SignedIn,
    pub form: passkeys::NewForm,
    pub rp: &'a dyn domain::passkey::Ceremonies,
}

impl crate::Step for PasskeyNewStep<'_> {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = passkeys::NewFacts;

    async fn load(
        &self,
        app: &App,
        ctx: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        passkeys::load_new(app, ctx, self.s, &self.form).await
    }

    fn decide(
        &self,
        app: &App,
        ctx: &Ctx,
        _: (),
        facts: Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        passkeys::decide_new(app, ctx, self.s, self.rp, facts)
    }
}

/// CREA LA PASSKEY with the browser's credential: the ceremony taken and the credential
/// verified, then the passkey stored (`passkeys::decide_register`).
pub struct PasskeyRegisterStep<'a> {
    pub s: &'a SignedIn,
    pub form: passkeys::RegisterForm,
    pub rp: &'a dyn domain::passkey::Ceremonies,
}

impl crate::Step for PasskeyRegisterStep<'_> {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = passkeys::RegisterFacts;

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        Ok(Ok(passkeys::load_register(
            app, self.s, self.rp, &self.form,
        )
        .await?))
    }

    fn decide(
        &self,
        app: &App,
        ctx: &Ctx,
        _: (),
        facts: Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        passkeys::decide_register(app, ctx, self.s, &self.form, facts)
    }
}

/// RINOMINA on the passkey list: nothing to read.
pub struct PasskeyRenameStep<'a> {
    pub s: &'a SignedIn,
    pub form: passkeys::EditForm,
}

impl crate::Step for PasskeyRenameStep<'_> {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = ();

    async fn load(&self, _: &App, _: &Ctx, _: &(), _: Option<Count>, _: Attempt) -> Loaded<()> {
        Ok(Ok(()))
    }

    fn decide(&self, _: &App, _: &Ctx, _: (), _: (), _: Attempt) -> Outcome<Refusal> {
        passkeys::rename(self.s, &self.form)
    }
}

/// RIMUOVI on the passkey list: the list read (the name for the email), then the removal.
pub struct PasskeyRemoveStep<'a> {
    pub s: &'a SignedIn,
    pub form: passkeys::EditForm,
}

impl crate::Step for PasskeyRemoveStep<'_> {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = Vec<store::passkeys::Credential>;

    async fn load(
        &self,
        app: &App,
        _: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Self::Facts> {
        Ok(Ok(passkeys::list(app, self.s).await?))
    }

    fn decide(
        &self,
        app: &App,
        ctx: &Ctx,
        _: (),
        listed: Self::Facts,
        _: Attempt,
    ) -> Outcome<Refusal> {
        passkeys::remove(app, ctx, self.s, &self.form, &listed)
    }
}
