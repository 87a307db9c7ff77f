//! NON ORA on the home's passkey offer: remembered on the account (one conditional update,
//! nothing read: the session guard read the account), so the offer is not made again.

use domain::routes;
use engine::area::Refusal;
use engine::session::SignedIn;
use engine::step::Count;
use engine::App;
use engine::{Attempt, Ctx, Outcome, Tx, WebError};
use maud::Markup;
use store::accounts;

pub struct Step<'a> {
    pub s: &'a SignedIn,
}

impl engine::Step for Step<'_> {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = ();

    async fn load(
        &self,
        _: &App,
        _: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Result<Result<(), Outcome<Refusal>>, WebError> {
        Ok(Ok(()))
    }

    fn decide(&self, app: &App, _: &Ctx, _: (), _: (), _: Attempt) -> Outcome<Refusal> {
        let mut tx = Tx::new();
        tx.guard(
            accounts::passkey_offer_dismissed_op(&self.s.account.id, app.now()),
            Refusal::Changed("offerta-passkey"),
        );
        Outcome::redirect(routes::ACCOUNT).with_tx(tx)
    }
}

/// The account stopped being active meanwhile: the way back to the home (and its guard).
pub fn changed_page() -> Markup {
    ui::pages::warning_page(
        "Area Clienti",
        engine::area::refusal::CHANGED_TEXT,
        routes::ACCOUNT,
        "TORNA ALL'AREA CLIENTI",
    )
}
