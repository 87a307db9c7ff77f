//! The private area's self-service (issue 15): what a signed-in person can do to their own
//! account. Each change is a step on the engine (`steps`, run by `engine::run`): the signed-in user
//! the session guard attached, the typed form and what it reads give one `Outcome`, whose
//! writes commit in one transaction and whose emails go through the outbox. Sensitive
//! changes ask for the password again after `reauth::REAUTH_SECS`. Pages that only read
//! (`lines`: the entity's lines for its referente) are use cases free of HTTP too.

pub mod consents;
pub mod deletion;
pub mod email;
pub mod export;
pub mod lines;
pub mod passkeys;
pub mod password;
pub mod reauth;
pub mod refusal;
pub mod sessions;
pub mod steps;

pub use refusal::Refusal;
