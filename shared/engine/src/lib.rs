//! The upper layers every function uses: flow state machines, the private area, the step
//! engine, the runtime and page templates, over the lower crates (`domain`, `store`,
//! `notify`, `metrics`, `pdf`) re-exported here. See ARCHITECTURE.md for the map.

pub mod access;
pub mod app;
pub mod area;
pub mod config;
pub mod edge;
pub mod engine;
pub mod flows;
pub mod pages;
pub mod passwords;
pub mod runtime;
pub mod session;
pub mod sms;
pub mod web;

// The lower layers are crates of their own (shared/domain, store, notify, metrics, pdf), so
// Cargo keeps their arrows pointing down; their old module paths (`crate::store::…`,
// `shared::notify::…`) stay valid through these re-exports.
pub use ::domain::{self, clock, crypto, documents, routes};
pub use ::metrics;
pub use ::notify;
pub use ::pdf;
pub use ::store::{self, aws_error, limits, secret};
pub use ::ui;

pub use app::App;

#[doc(hidden)]
pub use {http as __http, lambda_http as __lambda_http};

/// A function's `handle`: the request's context (`engine::Ctx`, read once by
/// `runtime::entry`) goes to `get` or `post` (the runtime has already answered 405 to any
/// method the route table does not list for the path, refused cross-site POSTs and, on
/// private routes, checked the session), and whatever error it ends with becomes a page in
/// one place (`web::respond`).
#[macro_export]
macro_rules! step {
    (get: $get:path $(, post: $post:path)? $(,)?) => {
        pub async fn handle(
            app: &$crate::App,
            mut req: $crate::__lambda_http::Request,
        ) -> $crate::web::Resp {
            let ctx = req
                .extensions_mut()
                .remove::<$crate::engine::Ctx>()
                .unwrap_or_else(|| $crate::web::ctx::read(app, &req));
            $crate::web::respond(match *req.method() {
                $($crate::__http::Method::POST => $post(app, &ctx).await,)?
                _ => $get(app, &ctx).await,
            })
        }
    };
}
