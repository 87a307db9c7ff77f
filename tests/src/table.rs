//! What the table holds, read back for a test's assertions (through the portal's own store,
//! at the portal's clock).

use crate::Portal;
use store::accounts::{self, Account};
use store::uniqueness::{self, Kind, Owner};
use store::AccountId;

/// The owner of the claim on `value` (a username, an email, a number), if anyone holds it.
pub async fn claim_holder(p: &Portal, kind: Kind, value: &str) -> Option<Owner> {
    uniqueness::holder(p.app.store.as_ref(), kind, value, p.app.now())
        .await
        .unwrap()
}

/// The account holding the claim on `value`, if an account holds it (not a reservation).
pub async fn claim_account(p: &Portal, kind: Kind, value: &str) -> Option<AccountId> {
    claim_holder(p, kind, value)
        .await
        .and_then(Owner::into_account)
}

/// The account whose username is `username` (it must exist).
pub async fn account(p: &Portal, username: &str) -> Account {
    accounts::by_claim(p.app.store.as_ref(), Kind::Username, username, p.app.now())
        .await
        .unwrap()
        .expect("the account")
}
