//! The table of handler benchmark cases: (function, request name, handler, the state the
//! request needs, the request, the expected answer). To benchmark a new function (login,
//! recovery), add its crate to tests/perf/Cargo.toml, a stage to `browser` if its flow
//! needs one, and rows here; `benches/handlers.rs` picks every row up.

use crate::browser::{self as b, Browser};
use crate::Handler;
use domain::routes;
use futures::future::LocalBoxFuture;
use lambda_http::Request;

pub struct Case {
    /// The function crate (criterion group).
    pub function: &'static str,
    /// What the request is (criterion benchmark id).
    pub name: &'static str,
    pub handler: Handler,
    /// A new in-memory app and browser in the state the request needs.
    pub setup: fn() -> LocalBoxFuture<'static, Browser>,
    pub request: fn(&Browser) -> Request,
    /// The request changes the state (burns a challenge, uses a code, creates an
    /// account...): each measured request gets its own `setup`. Otherwise one setup
    /// serves every repetition.
    pub mutates: bool,
    /// Expected status and, for redirects, the start of the Location.
    pub status: u16,
    pub location: Option<&'static str>,
    /// The request hashes a password (argon2id, ~tens of ms): the sampling loop also
    /// reports the handler's time without it.
    pub hashes_password: bool,
}

macro_rules! stage {
    ($f:path) => {
        || -> LocalBoxFuture<'static, Browser> { Box::pin($f()) }
    };
}

#[allow(clippy::too_many_arguments)]
fn c(
    function: &'static str,
    name: &'static str,
    handler: Handler,
    setup: fn() -> LocalBoxFuture<'static, Browser>,
    request: fn(&Browser) -> Request,
    mutates: bool,
    status: u16,
    location: Option<&'static str>,
) -> Case {
    Case {
        function,
        name,
        handler,
        setup,
        request,
        mutates,
        status,
        location,
        hashes_password: false,
    }
}

/// Every case, in flow order.
pub fn all() -> Vec<Case> {
    vec![
        // Step 1: number + slider.
        c(
            "register-number",
            "GET page",
            b::register_number(),
            stage!(Browser::new),
            |b| b.get_req(routes::REGISTER_NUMBER),
            false,
            200,
            None,
        ),
        c(
            "register-number",
            "POST valid (SMS sent, flow created)",
            b::register_number(),
            stage!(b::at_number),
            |b| post_owned(b, routes::REGISTER_NUMBER, b.step1_form()),
            true,
            303,
            Some(routes::REGISTER_OTP),
        ),
        c(
            "register-number",
            "POST unknown number (422)",
            b::register_number(),
            stage!(b::at_number),
            |b| {
                let mut form = b.step1_form();
                form[0].1 = "333 765 4321".into();
                post_owned(b, routes::REGISTER_NUMBER, form)
            },
            true,
            422,
            None,
        ),
        // Step 2: SMS code.
        c(
            "register-otp",
            "GET page",
            b::register_otp(),
            stage!(b::at_otp),
            |b| b.get_req(routes::REGISTER_OTP),
            false,
            200,
            None,
        ),
        c(
            "register-otp",
            "POST right code",
            b::register_otp(),
            stage!(b::at_otp),
            |b| {
                let code = b.last_code();
                b.post_req(routes::REGISTER_OTP, &[("codice", &code)])
            },
            true,
            303,
            Some(routes::REGISTER_PROFILE),
        ),
        c(
            "register-otp",
            "POST wrong code (422)",
            b::register_otp(),
            stage!(b::at_otp),
            |b| {
                let wrong = if b.last_code() == "000000" {
                    "111111"
                } else {
                    "000000"
                };
                b.post_req(routes::REGISTER_OTP, &[("codice", wrong)])
            },
            true,
            422,
            None,
        ),
        // Step 3: personal data.
        c(
            "register-profile",
            "GET page",
            b::register_profile(),
            stage!(b::at_profile),
            |b| b.get_req(routes::REGISTER_PROFILE),
            false,
            200,
            None,
        ),
        c(
            "register-profile",
            "POST valid",
            b::register_profile(),
            stage!(b::at_profile),
            |b| b.post_req(routes::REGISTER_PROFILE, &b::profile_form()),
            true,
            303,
            Some(routes::REGISTER_EMAIL),
        ),
        // Step 4: email, username, confirmation mail.
        c(
            "register-email",
            "GET page",
            b::register_email(),
            stage!(b::at_email),
            |b| b.get_req(routes::REGISTER_EMAIL),
            false,
            200,
            None,
        ),
        c(
            "register-email",
            "POST SALVA (email reserved)",
            b::register_email(),
            stage!(b::at_email),
            |b| {
                b.post_req(
                    routes::REGISTER_EMAIL,
                    &[("azione", "salva"), ("email", b::EMAIL)],
                )
            },
            true,
            303,
            Some(routes::REGISTER_EMAIL),
        ),
        c(
            "register-email",
            "POST AVANTI (confirmation email sent)",
            b::register_email(),
            stage!(b::at_email_saved),
            |b| b.post_req(routes::REGISTER_EMAIL, &[("azione", "avanti")]),
            true,
            303,
            Some(routes::REGISTER_EMAIL),
        ),
        // The CONFERMA EMAIL link.
        c(
            "confirm-email",
            "GET link (flow rekeyed)",
            b::confirm_email(),
            stage!(b::at_email_sent),
            |b| b.get_req(&b.link),
            true,
            200,
            None,
        ),
        // Steps 5-6: password, outcome.
        c(
            "register-password",
            "GET page",
            b::register_password(),
            stage!(b::at_password),
            |b| b.get_req(routes::REGISTER_PASSWORD),
            false,
            200,
            None,
        ),
        c(
            "register-password",
            "POST mismatch (422, zxcvbn, no hash)",
            b::register_password(),
            stage!(b::at_password),
            |b| {
                b.post_req(
                    routes::REGISTER_PASSWORD,
                    &[
                        ("password", b::PASSWORD),
                        ("conferma_password", "Girasole-Blu-2027!"),
                        ("termini", "si"),
                        ("privacy", "si"),
                    ],
                )
            },
            false,
            422,
            None,
        ),
        Case {
            hashes_password: true,
            ..c(
                "register-password",
                "POST valid (account created, incl. argon2id)",
                b::register_password(),
                stage!(b::at_password),
                |b| b.post_req(routes::REGISTER_PASSWORD, &b::password_form()),
                true,
                303,
                Some(routes::REGISTER_DONE),
            )
        },
        c(
            "register-password",
            "GET outcome",
            b::register_password(),
            stage!(b::at_done),
            |b| b.get_req(routes::REGISTER_DONE),
            false,
            200,
            None,
        ),
    ]
}

fn post_owned(b: &Browser, path: &str, form: Vec<(&'static str, String)>) -> Request {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post_req(path, &fields)
}

impl Case {
    pub fn id(&self) -> String {
        format!("{}/{}", self.function, self.name)
    }

    /// Panics unless the response is the one this case is about.
    pub fn check(&self, seen: &b::Seen) {
        b::expect(&self.id(), seen, self.status, self.location);
    }
}
