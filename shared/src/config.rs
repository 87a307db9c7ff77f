//! Configuration from environment variables, read once per process and validated at
//! start with an error that names the missing or malformed variable.

use std::time::Duration;

/// Every variable the functions and `portale-admin` read. Kept as constants so the
/// SAM template, the LocalStack scripts and this module agree on names.
pub mod vars {
    pub const TABLE_NAME: &str = "TABLE_NAME";
    pub const PUBLIC_BASE_URL: &str = "PUBLIC_BASE_URL";
    pub const SMS_SENDER_ID: &str = "SMS_SENDER_ID";
    pub const SMS_TYPE: &str = "SMS_TYPE";
    pub const EMAIL_FROM_ADDRESS: &str = "EMAIL_FROM_ADDRESS";
    pub const EMAIL_FROM_NAME: &str = "EMAIL_FROM_NAME";
    pub const SES_CONFIGURATION_SET: &str = "SES_CONFIGURATION_SET";
    pub const FLOW_SECRET: &str = "FLOW_SECRET";
    pub const SMS_GLOBAL_HOURLY_BUDGET: &str = "SMS_GLOBAL_HOURLY_BUDGET";
    pub const COOKIE_SECURE: &str = "COOKIE_SECURE";
    pub const OUTBOX_QUEUE_URL: &str = "OUTBOX_QUEUE_URL";
    /// The deployment's stage (`prod`, `test`, …; the template's `Stage`): the `Stage`
    /// dimension of every metric (`shared::metrics`). Unset locally: `local`.
    pub const STAGE: &str = "STAGE";
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("missing environment variable {0}")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {why}")]
    Invalid { name: &'static str, why: String },
}

/// Validated configuration.
#[derive(Clone)]
pub struct Config {
    pub table_name: String,
    /// Absolute base URL used in email links, without trailing slash.
    pub public_base_url: String,
    pub sms_sender_id: String,
    pub sms_type: String,
    pub email_from_address: String,
    pub email_from_name: String,
    pub ses_configuration_set: Option<String>,
    /// HMAC key for signed challenges and token hashing. Never logged.
    pub flow_secret: Vec<u8>,
    pub sms_global_hourly_budget: u64,
    /// `Secure` attribute on cookies; only the local gateway over plain http turns it off.
    pub cookie_secure: bool,
    /// The SQS queue every SMS and email leaves through (`notify::Outbox`), consumed by the
    /// `send-messages` function (locally: the gateway's poller).
    pub outbox_queue_url: String,
    pub aws_timeout: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("table_name", &self.table_name)
            .field("outbox_queue_url", &self.outbox_queue_url)
            .field("public_base_url", &self.public_base_url)
            .field("flow_secret", &"***")
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads from any lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        use vars::*;
        let req = |name: &'static str| -> Result<String, ConfigError> {
            get(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        let opt = |name: &'static str, default: &str| {
            get(name)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };

        let public_base_url = req(PUBLIC_BASE_URL)?.trim_end_matches('/').to_owned();
        url::Url::parse(&public_base_url).map_err(|e| ConfigError::Invalid {
            name: PUBLIC_BASE_URL,
            why: e.to_string(),
        })?;
        let flow_secret = req(FLOW_SECRET)?.into_bytes();
        if flow_secret.len() < 32 {
            return Err(ConfigError::Invalid {
                name: FLOW_SECRET,
                why: "must be at least 32 bytes".into(),
            });
        }
        let outbox_queue_url = req(OUTBOX_QUEUE_URL)?;
        url::Url::parse(&outbox_queue_url).map_err(|e| ConfigError::Invalid {
            name: OUTBOX_QUEUE_URL,
            why: e.to_string(),
        })?;
        let budget = opt(SMS_GLOBAL_HOURLY_BUDGET, "1000");
        let sms_global_hourly_budget = budget.parse().map_err(|_| ConfigError::Invalid {
            name: SMS_GLOBAL_HOURLY_BUDGET,
            why: format!("not a number: {budget}"),
        })?;
        let cookie_secure = match opt(COOKIE_SECURE, "true").as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            other => {
                return Err(ConfigError::Invalid {
                    name: COOKIE_SECURE,
                    why: format!("expected true or false, got {other}"),
                })
            }
        };
        Ok(Config {
            table_name: req(TABLE_NAME)?,
            public_base_url,
            sms_sender_id: opt(SMS_SENDER_ID, "40134"),
            sms_type: opt(SMS_TYPE, "Transactional"),
            email_from_address: req(EMAIL_FROM_ADDRESS)?,
            email_from_name: opt(EMAIL_FROM_NAME, "TIM"),
            ses_configuration_set: get(SES_CONFIGURATION_SET).filter(|v| !v.is_empty()),
            flow_secret,
            sms_global_hourly_budget,
            cookie_secure,
            outbox_queue_url,
            aws_timeout: Duration::from_secs(5),
        })
    }
}

/// The outbox queue of a local run: LocalStack's URL of `portale-outbox` (path-style queue
/// URLs, `SQS_ENDPOINT_STRATEGY=path`, LocalStack's default account).
pub const LOCAL_OUTBOX_QUEUE_URL: &str =
    "http://127.0.0.1:4566/queue/eu-south-1/000000000000/portale-outbox";

impl Config {
    /// A complete configuration for tests and local tools.
    pub fn for_tests() -> Config {
        Config::from_lookup(|k| {
            Some(
                match k {
                    vars::TABLE_NAME => "portale",
                    vars::PUBLIC_BASE_URL => "http://127.0.0.1:3000",
                    vars::EMAIL_FROM_ADDRESS => "convenzionemobile8@telecomitalia.it",
                    vars::FLOW_SECRET => "test-secret-test-secret-test-secret-0123",
                    vars::COOKIE_SECURE => "false",
                    // The queue `portale-admin bootstrap` creates on LocalStack (make run).
                    vars::OUTBOX_QUEUE_URL => LOCAL_OUTBOX_QUEUE_URL,
                    _ => return None,
                }
                .to_owned(),
            )
        })
        .expect("test configuration is complete")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn base() -> HashMap<&'static str, String> {
        HashMap::from([
            (vars::TABLE_NAME, "portale".to_owned()),
            (vars::PUBLIC_BASE_URL, "http://127.0.0.1:3000/".to_owned()),
            (
                vars::EMAIL_FROM_ADDRESS,
                "convenzionemobile8@telecomitalia.it".to_owned(),
            ),
            (vars::FLOW_SECRET, "x".repeat(32)),
            (vars::OUTBOX_QUEUE_URL, LOCAL_OUTBOX_QUEUE_URL.to_owned()),
        ])
    }

    #[test]
    fn defaults_and_normalisation() {
        let env = base();
        let c = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        assert_eq!(c.public_base_url, "http://127.0.0.1:3000");
        assert_eq!(c.sms_sender_id, "40134");
        assert_eq!(c.sms_type, "Transactional");
        assert_eq!(c.email_from_name, "TIM");
        assert!(c.cookie_secure);
        assert!(!format!("{c:?}").contains("xxxx"));
    }

    #[test]
    fn names_the_missing_variable() {
        for missing in [
            vars::TABLE_NAME,
            vars::PUBLIC_BASE_URL,
            vars::EMAIL_FROM_ADDRESS,
            vars::FLOW_SECRET,
            vars::OUTBOX_QUEUE_URL,
        ] {
            let mut env = base();
            env.remove(missing);
            let err = Config::from_lookup(|k| env.get(k).cloned()).unwrap_err();
            assert_eq!(err, ConfigError::Missing(missing));
            assert!(err.to_string().contains(missing));
        }
    }

    #[test]
    fn rejects_short_secret_and_bad_flags() {
        let mut env = base();
        env.insert(vars::FLOW_SECRET, "short".into());
        assert!(matches!(
            Config::from_lookup(|k| env.get(k).cloned()),
            Err(ConfigError::Invalid {
                name: vars::FLOW_SECRET,
                ..
            })
        ));
        let mut env = base();
        env.insert(vars::COOKIE_SECURE, "maybe".into());
        assert!(matches!(
            Config::from_lookup(|k| env.get(k).cloned()),
            Err(ConfigError::Invalid {
                name: vars::COOKIE_SECURE,
                ..
            })
        ));
    }
}
