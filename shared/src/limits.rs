//! Every abuse limit in one place (documented in SECURITY.md / ARCHITECTURE.md).

use crate::store::rate::Limit;

/// Registration step 1 per client IP, with the browser's proof-of-work.
pub const REGISTER_PER_IP: Limit = Limit { scope: "reg-ip", max: 30, window_secs: 3600 };
/// Registration step 1 per client IP without proof-of-work (no JavaScript, or a script).
pub const REGISTER_PER_IP_NO_POW: Limit = Limit { scope: "reg-ip-nopow", max: 10, window_secs: 3600 };
/// OTP SMS per number per hour (any flow).
pub const SMS_PER_NUMBER: Limit = Limit { scope: "sms-number", max: 5, window_secs: 3600 };
/// Minimum seconds between two codes sent for the same flow ("INVIA DI NUOVO").
pub const RESEND_INTERVAL_SECS: i64 = 30;
/// Confirmation emails per registration flow per hour.
pub const CONFIRM_EMAIL_PER_FLOW: Limit = Limit { scope: "confirm-email", max: 5, window_secs: 3600 };
/// Step-4 email/username choices (each may reveal a taken value) per registration flow,
/// and per client address across flows.
pub const REG_CLAIMS_PER_FLOW: Limit = Limit { scope: "reg-claims-flow", max: 10, window_secs: 24 * 3600 };
pub const REG_CLAIMS_PER_IP: Limit = Limit { scope: "reg-claims-ip", max: 30, window_secs: 3600 };
/// The global SMS budget's scope; its size is configuration (`SMS_GLOBAL_HOURLY_BUDGET`).
pub const SMS_GLOBAL_SCOPE: &str = "sms-global";
/// Login attempts (username + password) per client IP.
pub const LOGIN_PER_IP: Limit = Limit { scope: "login-ip", max: 30, window_secs: 600 };
/// The lockout scope of wrong passwords, per typed username (`store::lockout`).
pub const LOGIN_LOCK_SCOPE: &str = "login";
/// Recovery requests (any mode) per client IP.
pub const RECOVER_PER_IP: Limit = Limit { scope: "recover-ip", max: 10, window_secs: 3600 };
/// Recovery messages (SMS or email) per account per hour; beyond it nothing is sent, and
/// the page says the same as always (it must not reveal that the account exists).
pub const RECOVER_PER_ACCOUNT: Limit = Limit { scope: "recover-account", max: 3, window_secs: 3600 };
