//! "Dispositivi e sessioni": the account's live sessions (browser and system, started,
//! last active), "Esci da questo dispositivo" for any one of them and "Esci da tutti gli
//! altri dispositivi". A session is ended by deleting it and its entry in the list: the
//! session guard finds nothing on its next request.

use super::Refusal;
use crate::engine::{Outcome, Tx};
use crate::session::SignedIn;
use crate::store::sessions::{self, Listed};
use crate::web::WebError;
use crate::{routes, App};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    /// The session to end (its hash, as the list names it); "altri" for all the others.
    pub sessione: String,
}

pub const OTHERS: &str = "altri";

/// The live sessions, this one first.
pub async fn list(app: &App, s: &SignedIn) -> Result<Vec<Listed>, WebError> {
    let mut all = sessions::of_account(
        app.store.as_ref(),
        &s.account.id,
        s.account.session_epoch,
        app.now(),
    )
    .await?;
    all.sort_by_key(|l| l.hash != s.session.hash());
    Ok(all)
}

/// Ends one session of the account, or all but this one (the list read again: only
/// sessions of this account can be named).
pub async fn end(app: &App, s: &SignedIn, form: &Form) -> Result<Outcome<Refusal>, WebError> {
    let listed = list(app, s).await?;
    let current = s.session.hash();
    let chosen: Vec<&Listed> = if form.sessione == OTHERS {
        listed.iter().filter(|l| l.hash != current).collect()
    } else {
        listed.iter().filter(|l| l.hash == form.sessione).collect()
    };
    let mut tx = Tx::new();
    for l in &chosen {
        for op in sessions::end_ops(&s.account.id, &l.hash) {
            tx.write(op);
        }
    }
    let ended_here = chosen.iter().any(|l| l.hash == current);
    let to = if ended_here {
        format!("{}?uscito=1", routes::LOGIN)
    } else {
        format!("{}?chiuse={}", routes::ACCOUNT_SESSIONS, chosen.len())
    };
    let mut outcome = Outcome::redirect(to).with_tx(tx);
    if ended_here {
        outcome = outcome.cookie(crate::session::clear_cookie(app));
    }
    Ok(outcome)
}
