//! Every abuse limit in one place (documented in SECURITY.md / ARCHITECTURE.md).
//!
//! Every per-client cap counts a client network (`edge::ClientNetwork`: an IPv4 address,
//! an IPv6 address's /64), and is sized for what an office behind one NAT address does —
//! hundreds of colleagues logging in at 8 o'clock, an entity's onboarding day — so that it
//! bites what abuse does: wrong passwords, submissions without the browser's proof-of-work.

use crate::lockout::Policy;
use crate::otp::Purpose;
use crate::rate::Limit;

/// Registration step 1 per client network, with the browser's proof-of-work: an entity's
/// onboarding day from one office address (100 registrations an hour, with room for
/// mistyped numbers and second tries). The proof-of-work only shows a browser ran the
/// page's script; what bounds SMS spending is that codes go only to active lines of the
/// Convenzione, 5 per number per hour, within the global hourly budget.
pub const REGISTER_PER_IP: Limit = Limit {
    scope: "reg-ip",
    max: 300,
    window_secs: 3600,
};
/// Registration step 1 per client network without proof-of-work (no JavaScript, or a
/// script): kept tight.
pub const REGISTER_PER_IP_NO_POW: Limit = Limit {
    scope: "reg-ip-nopow",
    max: 10,
    window_secs: 3600,
};
/// SMS per number per hour, counted per purpose: what strangers can trigger on a number
/// (registration step 1, recovery) never spends the login codes' allowance, which only
/// someone who typed the right password can use.
pub const SMS_PER_NUMBER_REGISTRATION: Limit = Limit {
    scope: "sms-number-reg",
    max: 5,
    window_secs: 3600,
};
pub const SMS_PER_NUMBER_RECOVERY: Limit = Limit {
    scope: "sms-number-recovery",
    max: 5,
    window_secs: 3600,
};
/// A client's share of a number's recovery SMS (`SMS_PER_NUMBER_RECOVERY`): a stranger who
/// knows the number (and a codice fiscale) spends at most this much of the owner's
/// allowance from one connection (the code, the reset's code and one "Invia di nuovo" of
/// one person's recovery fit in it).
pub const SMS_PER_NUMBER_RECOVERY_PER_CLIENT: Limit = Limit {
    scope: "sms-number-recovery-client",
    max: 3,
    window_secs: 3600,
};
pub const SMS_PER_NUMBER_LOGIN: Limit = Limit {
    scope: "sms-number-login",
    max: 10,
    window_secs: 3600,
};

/// Codes to confirm an account's deletion (only its signed-in owner can ask, after the password).
pub const SMS_PER_NUMBER_DELETION: Limit = Limit {
    scope: "sms-number-delete",
    max: 5,
    window_secs: 3600,
};
pub fn sms_per_number(purpose: Purpose) -> Limit {
    match purpose {
        Purpose::Registration => SMS_PER_NUMBER_REGISTRATION,
        Purpose::Recovery => SMS_PER_NUMBER_RECOVERY,
        Purpose::Login => SMS_PER_NUMBER_LOGIN,
        Purpose::Deletion => SMS_PER_NUMBER_DELETION,
    }
}

/// The share of the global hourly SMS budget that only login codes may use, so that
/// registrations or recoveries (anyone can start them) cannot stop every login.
pub const SMS_LOGIN_RESERVED_PERCENT: i64 = 20;
/// Minimum seconds between two codes sent for the same flow ("INVIA DI NUOVO").
pub const RESEND_INTERVAL_SECS: i64 = 30;
/// Confirmation emails per registration flow per hour.
pub const CONFIRM_EMAIL_PER_FLOW: Limit = Limit {
    scope: "confirm-email",
    max: 5,
    window_secs: 3600,
};
/// Step-4 email/username choices (each may reveal a taken value) per registration flow,
/// and per client network across flows. A registration makes two (the email, then the
/// username); the per-client cap lets an office's onboarding hour through (100
/// registrations, each with room to change its mind), while each flow — which needs a SIM
/// of the Convenzione proved by SMS — stays at 10 a day.
pub const REG_CLAIMS_PER_FLOW: Limit = Limit {
    scope: "reg-claims-flow",
    max: 10,
    window_secs: 24 * 3600,
};
pub const REG_CLAIMS_PER_IP: Limit = Limit {
    scope: "reg-claims-ip",
    max: 400,
    window_secs: 3600,
};
/// The global SMS budget's scope; its size is configuration (`SMS_GLOBAL_HOURLY_BUDGET`).
pub const SMS_GLOBAL_SCOPE: &str = "sms-global";
/// Wrong passwords per client network from browsers the accounts do not know (read with
/// the lock counters, before any hash: once full, such a browser is refused without one).
/// Right passwords are not counted — an office logs in all at once — nor is a browser that
/// completed a login on the account it names, which has its own counter.
pub const LOGIN_WRONG_PER_IP: Limit = Limit {
    scope: "login-wrong-ip",
    max: 30,
    window_secs: 600,
};
/// Passwords tried per (typed username, client network) from a browser the account does
/// not know: the owner elsewhere is unaffected.
pub const LOGIN_LOCK_PER_CLIENT: Policy = Policy {
    scope: "login-client",
    free: 5,
};
/// Passwords tried per typed username from any browser it does not know: guessing spread
/// over many addresses. Its lock bars no browser that completed a login on the account, and
/// when it engages the owner gets one email.
pub const LOGIN_LOCK_PER_USERNAME: Policy = Policy {
    scope: "login",
    free: 50,
};
/// Passwords tried per (typed username, browser) from a browser that completed a login on
/// the account (its `dispositivo` cookie; in the private area, its session): the only
/// counter such a browser meets, and the strictest (OWASP's device-cookie lockout).
pub const LOGIN_LOCK_PER_DEVICE: Policy = Policy {
    scope: "login-device",
    free: 3,
};
// A known browser's counter is the strictest, the per-username one (anyone can drive it)
// the loosest.
const _: () = assert!(LOGIN_LOCK_PER_DEVICE.free < LOGIN_LOCK_PER_CLIENT.free);
const _: () = assert!(LOGIN_LOCK_PER_CLIENT.free < LOGIN_LOCK_PER_USERNAME.free);
/// Recovery requests (any mode) per client IP.
pub const RECOVER_PER_IP: Limit = Limit {
    scope: "recover-ip",
    max: 10,
    window_secs: 3600,
};
/// Recovery requests per identity typed (number + codice fiscale, or username) per hour,
/// counted alike whether or not the data match an account; beyond it nothing is sent, and
/// the page says the same as always (it must not reveal that the account exists).
pub const RECOVER_PER_SUBJECT: Limit = Limit {
    scope: "recover-subject",
    max: 3,
    window_secs: 3600,
};

/// Email changes asked from the private area per account per day (each sends an email to an
/// address the person types, and may reveal that it is taken).
pub const EMAIL_CHANGES_PER_ACCOUNT: Limit = Limit {
    scope: "email-change",
    max: 5,
    window_secs: 24 * 3600,
};

/// Requests for the proof of a registration's owner (PROSEGUI on a registration found by
/// person only, then INVIA DI NUOVO on its waiting page) per registration flow per day.
pub const CEASE_REQUESTS_PER_FLOW: Limit = Limit {
    scope: "reg-cease-flow",
    max: 3,
    window_secs: 24 * 3600,
};
/// The same requests per old account per day, from all registrations: beyond it nothing
/// more is sent to that account's owner (and the waiting page says the same as always).
pub const CEASE_REQUESTS_PER_ACCOUNT: Limit = Limit {
    scope: "reg-cease-account",
    max: 5,
    window_secs: 24 * 3600,
};

/// Passkey login options asked per client network (each stores a ceremony for 5 minutes):
/// every visit of `/accesso` with JavaScript asks one, the button another — an office's
/// morning fits, a script filling the table does not.
pub const PASSKEY_OPTIONS_PER_IP: Limit = Limit {
    scope: "passkey-options-ip",
    max: 600,
    window_secs: 600,
};
/// Failed passkey assertions per client network (unknown or removed credential, bad
/// signature, replayed or expired ceremony): once full, refused before any verification.
pub const PASSKEY_FAILED_PER_IP: Limit = Limit {
    scope: "passkey-failed-ip",
    max: 30,
    window_secs: 600,
};
/// Passkeys per account (issue 24): enough for every device a person uses, few enough that
/// a taken-over session cannot plant many. Held by the count item's conditional write
/// (`passkeys::add_ops`).
pub const PASSKEYS_PER_ACCOUNT: i64 = 10;
