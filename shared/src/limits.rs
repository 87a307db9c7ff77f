//! Every abuse limit in one place (documented in SECURITY.md / ARCHITECTURE.md).

use crate::store::lockout::Policy;
use crate::store::otp::Purpose;
use crate::store::rate::Limit;

/// Registration step 1 per client IP, with the browser's proof-of-work.
pub const REGISTER_PER_IP: Limit = Limit {
    scope: "reg-ip",
    max: 30,
    window_secs: 3600,
};
/// Registration step 1 per client IP without proof-of-work (no JavaScript, or a script).
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
/// and per client address across flows.
pub const REG_CLAIMS_PER_FLOW: Limit = Limit {
    scope: "reg-claims-flow",
    max: 10,
    window_secs: 24 * 3600,
};
pub const REG_CLAIMS_PER_IP: Limit = Limit {
    scope: "reg-claims-ip",
    max: 30,
    window_secs: 3600,
};
/// The global SMS budget's scope; its size is configuration (`SMS_GLOBAL_HOURLY_BUDGET`).
pub const SMS_GLOBAL_SCOPE: &str = "sms-global";
/// Login attempts (username + password) per client IP.
pub const LOGIN_PER_IP: Limit = Limit {
    scope: "login-ip",
    max: 30,
    window_secs: 600,
};
/// Passwords tried per (typed username, client address): the owner elsewhere is unaffected.
pub const LOGIN_LOCK_PER_CLIENT: Policy = Policy {
    scope: "login-client",
    free: 5,
};
/// Passwords tried per typed username from any address: guessing spread over many addresses.
pub const LOGIN_LOCK_PER_USERNAME: Policy = Policy {
    scope: "login",
    free: 50,
};
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
