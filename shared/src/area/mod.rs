//! Use cases of the private area (the signed-in user's pages), free of HTTP: the function
//! crate types the request, calls one of these with the signed-in account and draws what
//! comes back.

pub mod lines;
