//! "Dispositivi e sessioni": the account's live sessions (browser and system, started,
//! last active), "Esci da questo dispositivo" for any one of them and "Esci da tutti gli
//! altri dispositivi".
//!
//! One session is ended by deleting it (on condition that it is this account's) and its
//! entry in the list: the session guard finds nothing on its next request. All the others
//! are ended whatever their number by moving the account's `session_epoch` on, as a
//! password change does: every session of the old epoch fails the guard, and so does every
//! change still pending from before (an email link, a deletion: `area::email`,
//! `area::deletion`). This browser gets a fresh session at the new epoch, which keeps the
//! old one's start and password time (`sessions::renew_ops`).

use super::Refusal;
use crate::session::{self, SignedIn};
use crate::App;
use crate::{Ctx, Outcome, Tx, WebError};
use domain::routes;
use serde::Deserialize;
use store::accounts;
use store::sessions::{self, Listed, SessionHash};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    /// The session to end (its hash, as the list names it); "altri" for all the others.
    pub sessione: String,
}

pub const OTHERS: &str = "altri";

/// The `chiuse` value of the page after "Esci da tutti gli altri dispositivi".
pub const ALL_OTHERS: &str = "altre";

/// What the form asks.
enum Ending {
    AllOthers,
    One(SessionHash),
    /// Not a session's name: nothing to end.
    Nothing,
}

impl Ending {
    fn parse(form: &Form) -> Ending {
        if form.sessione == OTHERS {
            return Ending::AllOthers;
        }
        SessionHash::parse(&form.sessione).map_or(Ending::Nothing, Ending::One)
    }
}

/// The live sessions, this one first, then the others newest first.
pub async fn list(app: &App, s: &SignedIn) -> Result<Vec<Listed>, WebError> {
    let mut all = sessions::of_account(
        app.store.as_ref(),
        &s.account.id,
        s.account.session_epoch,
        app.now(),
    )
    .await?;
    // A stable sort: the others keep their newest-first order.
    all.sort_by_key(|l| l.hash != s.session.hash());
    Ok(all)
}

/// Ends one session of the account, or all but this one.
pub fn end(app: &App, ctx: &Ctx, s: &SignedIn, form: &Form) -> Outcome<Refusal> {
    let a = &s.account;
    let mut tx = Tx::new();
    match Ending::parse(form) {
        Ending::Nothing => Outcome::redirect(format!("{}?chiuse=0", routes::ACCOUNT_SESSIONS)),
        Ending::One(hash) if hash.as_str() == s.session.hash() => {
            // This browser's own (the guard read it): ended as "ESCI" ends it.
            for op in sessions::end_ops(&a.id, hash.as_str()) {
                tx.write(op);
            }
            Outcome::redirect(format!("{}?uscito=1", routes::LOGIN))
                .with_tx(tx)
                .cookie(session::clear_cookie(app))
        }
        Ending::One(hash) => {
            let [session, entry] = sessions::end_own_ops(&a.id, &hash);
            // Not this account's session, or already ended: nothing to end.
            tx.guard(session, Refusal::NoSuchSession);
            tx.write(entry);
            Outcome::redirect(format!("{}?chiuse=1", routes::ACCOUNT_SESSIONS)).with_tx(tx)
        }
        Ending::AllOthers => {
            let epoch = a.session_epoch + 1;
            tx.guard(
                accounts::end_sessions_op(&a.id, a.session_epoch),
                Refusal::Changed("sessione"),
            );
            let (id, ops) = sessions::renew_ops(&s.session, epoch, app.now(), &ctx.agent);
            for op in ops {
                tx.write(op);
            }
            tracing::info!(step = "area-sessions", account = %domain::crypto::log_id(&a.id), "other sessions ended");
            Outcome::redirect(format!("{}?chiuse={ALL_OTHERS}", routes::ACCOUNT_SESSIONS))
                .with_tx(tx)
                .cookie(session::session_cookie(app, &id, &a.id))
        }
    }
}
