//! The maud layout shared by the static public area and the flow pages.
//!
//! - [`layout`]: the full HTML document around a page's `<main>` content
//!   ([`layout::page`], [`layout::flow_page`], [`layout::page_with`]).
//! - [`assets`]: the stylesheet, the menu script and the favicon with content-hashed
//!   paths under `/assets/` (the static site writes them; the gateway serves them).
//! - [`components`]: small pieces flows share (the registration stepper, icons).
//!
//! The CSS class contract for page content is the comment at the top of `site.css`.
//! No inline styles or scripts anywhere: pages run under a CSP without 'unsafe-inline'.

pub mod agent;
pub mod assets;
pub mod components;
pub mod errors;
pub mod layout;
pub mod pages;

pub use errors::FieldErrors;
