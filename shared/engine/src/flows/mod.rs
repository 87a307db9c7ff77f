//! Self-service flows as explicit state machines: states and transitions (`registration`,
//! …), each step an `engine::Step`. The engine loads the flow (its record:
//! `engine::record`), asks it whether the step's page is allowed in its state (otherwise:
//! to the state's page), decides and saves with an optimistic version check.

pub mod challenge;
pub mod login;
pub mod recovery;
pub mod registration;
