//! Self-service flows as explicit state machines: a record (`record`), states and
//! transitions (`registration`, …). A step's handler loads the flow, asks the machine
//! whether the step is allowed in the current state (otherwise: redirect to the right
//! step), performs the transition and saves with an optimistic version check.

pub mod challenge;
pub mod login;
pub mod record;
pub mod recovery;
pub mod registration;
