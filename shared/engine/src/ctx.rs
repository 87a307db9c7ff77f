//! The request as steps, flows and pages see it: read once by the web layer
//! (`web::ctx::read`, in `runtime::entry`) into plain values, so that nothing below the web
//! layer touches HTTP. Every cookie is parsed here, once.

use super::error::WebError;
use super::form::Form;
use super::viewer::{ClientNetwork, Viewer};
use crate::session::SignedIn;

#[derive(Clone)]
pub struct Ctx {
    /// The path the route table matched (no query).
    pub path: String,
    pub viewer: Viewer,
    /// The browser's User-Agent (forwarded by the edge), empty if none.
    pub agent: String,
    /// Every cookie the request carried: (wire name, value), each within
    /// `cookies::MAX_COOKIE_VALUE`.
    cookies: Vec<(String, String)>,
    /// Whether cookies carry the `__Host-` prefix on the wire (`Config::cookie_secure`).
    secure: bool,
    /// This browser's id (`store::devices`), if its cookie carries a well-formed one.
    pub device: Option<String>,
    /// The query string, decoded like a form.
    pub query: Form,
    /// The submitted form (a POST's urlencoded body; empty otherwise).
    pub form: Form,
    /// The signed-in user, on a private route (the runtime's session guard set it).
    pub signed_in: Option<SignedIn>,
}

impl Ctx {
    /// A request's context: `cookies` as `engine::cookies::parse` read them.
    pub fn new(
        path: String,
        viewer: Viewer,
        agent: String,
        cookies: Vec<(String, String)>,
        secure: bool,
    ) -> Self {
        let mut ctx = Ctx {
            path,
            viewer,
            agent,
            cookies,
            secure,
            device: None,
            query: Form::default(),
            form: Form::default(),
            signed_in: None,
        };
        ctx.device = ctx
            .cookie(store::devices::COOKIE)
            .filter(|id| store::devices::is_well_formed(id))
            .map(str::to_owned);
        ctx
    }

    /// The value of cookie `name` (under its wire name: `cookies::cookie_name`).
    pub fn cookie(&self, name: &str) -> Option<&str> {
        let wanted = super::cookies::cookie_name(name, self.secure);
        self.cookies
            .iter()
            .find(|(n, _)| *n == wanted)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a cookie carries a value sealed under a flow key (`carry::is_sealed`).
    pub fn carries_sealed(&self) -> bool {
        self.cookies.iter().any(|(_, v)| crate::carry::is_sealed(v))
    }

    /// A query-string parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query
            .has(name)
            .then(|| self.query.get(name).to_owned())
    }

    /// The network every per-client cap counts the request in.
    pub fn network(&self) -> ClientNetwork {
        self.viewer.network()
    }

    /// The signed-in user, for a private route's handler: without the guard's user the route
    /// is misdeclared (not in `routes::PRIVATE`), which is a fault, not a visitor to send away.
    pub fn required(&self) -> Result<&SignedIn, WebError> {
        self.signed_in
            .as_ref()
            .ok_or_else(|| WebError::Unavailable("private route without the session guard".into()))
    }

    /// A context for tests: no cookies, an unknown viewer.
    pub fn for_tests(path: &str) -> Self {
        let viewer = Viewer {
            ip: "unknown".to_owned(),
        };
        Ctx::new(path.to_owned(), viewer, String::new(), Vec::new(), false)
    }

    /// This context with cookie `name` set to `value` (tests).
    pub fn with_cookie(mut self, name: &str, value: &str) -> Self {
        let wire = super::cookies::cookie_name(name, self.secure);
        self.cookies.insert(0, (wire, value.to_owned()));
        self
    }
}
