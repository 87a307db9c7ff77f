//! The flow pages' parts: the pure templates live in the `ui` crate; the SMS-code page,
//! which also decides (counting guesses, resends), stays here.

pub mod otp;

pub use ui::pages::*;
