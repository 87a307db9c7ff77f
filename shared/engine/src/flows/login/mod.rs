//! The login flow (guide, section 4): username + password, then the SMS code.
//!
//! ```text
//! (no flow) --password ok, line active, SMS sent--> AwaitingCode --right code--> Completed
//!                                                      |  ^
//!                                                      +--+ Invia di nuovo (new code replaces the old)
//! ```
//! The record remembers the account, its `session_epoch` when the password was checked
//! (a reset in between voids the login) and where to go after (`next`). `Completed`
//! only keeps a double-submitted code from showing an error: it sends the user on.

pub mod code;
pub mod passkey;
pub mod password;
pub mod refusal;
pub mod sign_in;

pub use refusal::Refusal;

use crate::App;
use crate::Flow;
use domain::routes;
use domain::MobileNumber;
use serde::{Deserialize, Serialize};
use store::AccountId;

pub const COOKIE: &str = "login_flow";
pub const KIND: &str = store::flows::FlowKind::Login.tag();
/// Time to read the SMS and type the code (a code itself lives 5 minutes).
pub const TTL_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    AwaitingCode,
    Completed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    pub state: State,
    pub account_id: AccountId,
    /// The account's SIM, where the code goes.
    pub number: MobileNumber,
    pub epoch: i64,
    pub otp_sent_at: i64,
    /// A private page to return to (already checked by `safe_next`).
    pub next: String,
    /// The account's email when this browser is not one it logged in from before: the
    /// completed login tells the owner (`devices`).
    #[serde(default)]
    pub notify_new_device: Option<String>,
    /// When the password was checked: the flow ends `TTL_SECS` later however many codes
    /// are sent meanwhile (the password's proof does not slide).
    #[serde(default)]
    pub started_at: i64,
}

impl Login {
    pub fn new(
        account_id: AccountId,
        number: MobileNumber,
        epoch: i64,
        now: i64,
        next: String,
    ) -> Self {
        Login {
            state: State::AwaitingCode,
            account_id,
            number,
            epoch,
            otp_sent_at: now,
            next,
            notify_new_device: None,
            started_at: now,
        }
    }

    /// The right code was entered.
    pub fn complete(&mut self) -> Result<(), State> {
        match self.state {
            State::AwaitingCode => {
                self.state = State::Completed;
                Ok(())
            }
            s => Err(s),
        }
    }
}

/// Only pages of the private area are valid return addresses (no open redirect), and only
/// plain paths: `[A-Za-z0-9/_-]` after `/area-clienti`, so the value can always be a
/// `Location` header (a `%0A` decoded to a newline once made the redirect panic).
pub fn safe_next(raw: &str) -> String {
    let plain = raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-'));
    let under = raw == routes::ACCOUNT
        || raw
            .strip_prefix(routes::ACCOUNT)
            .is_some_and(|rest| rest.starts_with('/') && !rest.contains("//"));
    if plain && under && raw.len() <= 200 {
        raw.to_owned()
    } else {
        routes::ACCOUNT.to_owned()
    }
}

impl Flow for Login {
    const KIND: &'static str = KIND;
    const COOKIE: &'static str = COOKIE;
    const TTL_SECS: i64 = TTL_SECS;
    type Page = ();
    fn gone() -> String {
        expired()
    }
    fn deadline(&self) -> Option<i64> {
        (self.started_at > 0).then_some(self.started_at + TTL_SECS)
    }
}

/// The `Set-Cookie` carrying `data` as version `version` of flow `id`.
pub fn cookie(app: &App, id: &str, version: i64, data: &Login) -> String {
    crate::flow_cookie(app, id, version, data)
}

/// Where a request without a live login flow goes: back to the password, saying why.
pub fn expired() -> String {
    format!("{}?scaduta=1", routes::LOGIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_confined_to_the_private_area() {
        assert_eq!(safe_next("/area-clienti"), "/area-clienti");
        assert_eq!(safe_next("/area-clienti/profilo"), "/area-clienti/profilo");
        for bad in [
            "",
            "https://evil.example",
            "//evil.example",
            "/area-clienti//evil",
            "/area-clientievil",
            "/registrazione/numero",
            "/area-clienti/\\evil",
            "/area-clienti/\n",
            "/area-clienti/a b",
            "/area-clienti/%0A",
            "/area-clienti/è",
        ] {
            assert_eq!(safe_next(bad), "/area-clienti", "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Whatever arrives in `next`, the answer is a private path that is a valid header.
        #[test]
        fn next_is_always_a_valid_location(raw in "\\PC{0,40}|/area-clienti[\\PC\\n\\r]{0,20}") {
            let next = safe_next(&raw);
            proptest::prop_assert!(next.starts_with(routes::ACCOUNT));
            proptest::prop_assert!(http::HeaderValue::from_str(&next).is_ok());
        }
    }

    #[test]
    fn completes_once() {
        let mut l = Login::new(
            AccountId::parse("a").unwrap(),
            MobileNumber::parse("+393330000001").unwrap(),
            0,
            10,
            "/area-clienti".into(),
        );
        assert_eq!(l.complete(), Ok(()));
        assert_eq!(l.complete(), Err(State::Completed));
    }
}
