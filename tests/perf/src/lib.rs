//! Benchmarks of issue #8 (see BENCHMARKS.md; `scripts/bench.sh` runs them all):
//!
//! - `benches/handlers.rs`: criterion benchmarks of every step handler with the in-memory
//!   store and notifier, plus a p50/p99 sampling loop (the budget is on the p99);
//! - `src/bin/coldstart.rs`: each function binary started against a local Lambda Runtime
//!   API stub, next to `hello-lambda`;
//! - `src/bin/hashbench.rs`: argon2id as `engine::passwords` does it, next to the C
//!   reference implementation (argon2-cffi, Debian's `argon2`).
//!
//! This library holds what they share: an in-process "browser" that drives the real
//! handlers through the registration flow (`browser`), the table of benchmark cases
//! (`cases`) and small statistics helpers (`stats`).

pub mod browser;
pub mod cases;
pub mod stats;

use engine::App;
use futures::future::LocalBoxFuture;
use lambda_http::Request;
use web::Resp;

/// A function crate's `handle`, boxed so that handlers of different crates fit one table.
pub type Handler = for<'a> fn(&'a App, Request) -> LocalBoxFuture<'a, Resp>;

/// `handler!(register_number::handle)`: a function crate's `handle` as a [`Handler`].
#[macro_export]
macro_rules! handler {
    ($f:path) => {{
        fn h(
            app: &engine::App,
            req: ::lambda_http::Request,
        ) -> ::futures::future::LocalBoxFuture<'_, web::Resp> {
            ::std::boxed::Box::pin($f(app, req))
        }
        h as $crate::Handler
    }};
}
