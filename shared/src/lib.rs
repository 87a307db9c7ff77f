//! The domain crate every function uses: parsed domain types, flow state machines,
//! storage, notifications and page templates. See ARCHITECTURE.md for the map.

pub mod clock;
pub mod config;
pub mod domain;
pub mod notify;
pub mod routes;
pub mod store;
pub mod ui;
