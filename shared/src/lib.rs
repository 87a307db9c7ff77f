//! The domain crate every function uses: parsed domain types, flow state machines,
//! storage, notifications and page templates. See ARCHITECTURE.md for the map.

pub mod access;
pub mod app;
pub mod aws_error;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod documents;
pub mod domain;
pub mod edge;
pub mod flows;
pub mod limits;
pub mod notify;
pub mod pages;
pub mod passwords;
pub mod routes;
pub mod runtime;
pub mod session;
pub mod sms;
pub mod store;
pub mod ui;
pub mod web;

pub use app::App;
