//! The SMS-code page's parts, which also decide (counting guesses, resends); the pure
//! templates are the `ui` crate's (`ui::pages`).

pub mod otp;
