//! Configuration from environment variables, read once per process and validated at
//! start with an error that names the missing or malformed variable.

use domain::passkey::RelyingParty;
use std::time::Duration;
use store::secret::FlowSecretSource;

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
    /// The name or ARN of the Secrets Manager secret holding the flow secret
    /// (`store::secret`); set only for the functions that use it. Never the value.
    pub const FLOW_SECRET_ARN: &str = "FLOW_SECRET_ARN";
    pub const SMS_GLOBAL_HOURLY_BUDGET: &str = "SMS_GLOBAL_HOURLY_BUDGET";
    pub const COOKIE_SECURE: &str = "COOKIE_SECURE";
    pub const OUTBOX_QUEUE_URL: &str = "OUTBOX_QUEUE_URL";
    /// The deployment's stage (`prod`, `test`, …; the template's `Stage`): the `Stage`
    /// dimension of every metric (`metrics`). Unset locally: `local`.
    pub const STAGE: &str = "STAGE";
    /// The passkeys' relying party (issue 24): the site's domain in AWS, `localhost`
    /// locally (an IP address is no RP ID). Unset: the host of `PUBLIC_BASE_URL`, or
    /// `localhost` when that is an address.
    pub const PASSKEY_RP_ID: &str = "PASSKEY_RP_ID";
    /// The origin browsers report for the passkeys' pages. Unset: `PUBLIC_BASE_URL`'s
    /// origin, with `localhost` for an address.
    pub const PASSKEY_ORIGIN: &str = "PASSKEY_ORIGIN";
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
    /// Who SMS come from: what SNS sends with and what every page names (`SmsSender`).
    pub sms_sender: SmsSender,
    pub sms_type: String,
    pub email_from_address: String,
    pub email_from_name: String,
    pub ses_configuration_set: Option<String>,
    /// Where the flow secret (the key of sealed flow cookies, OTP hashes and challenges) is
    /// read from (`store::secret`): Secrets Manager (`FLOW_SECRET_ARN`), a fixed value in
    /// tests; `None` for a function that needs none (send-messages, portale-admin).
    pub flow_secret: Option<FlowSecretSource>,
    pub sms_global_hourly_budget: u64,
    /// `Secure` attribute on cookies; only the local gateway over plain http turns it off.
    pub cookie_secure: bool,
    /// The SQS queue every SMS and email leaves through (`notify::Outbox`), consumed by the
    /// `send-messages` function (locally: the gateway's poller).
    pub outbox_queue_url: String,
    pub aws_timeout: Duration,
    /// The passkeys' relying party (`PASSKEY_RP_ID`, `PASSKEY_ORIGIN`).
    pub passkey: RelyingParty,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("table_name", &self.table_name)
            .field("outbox_queue_url", &self.outbox_queue_url)
            .field("public_base_url", &self.public_base_url)
            .field("flow_secret", &self.flow_secret)
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
        let flow_secret = get(FLOW_SECRET_ARN)
            .filter(|v| !v.trim().is_empty())
            .map(FlowSecretSource::SecretsManager);
        let sender = opt(SMS_SENDER_ID, SmsSender::LOCAL_DEFAULT);
        let sms_sender = SmsSender::parse(&sender).map_err(|why| ConfigError::Invalid {
            name: SMS_SENDER_ID,
            why: why.to_owned(),
        })?;
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
        let passkey = passkey_party(
            &public_base_url,
            get(PASSKEY_RP_ID).filter(|v| !v.trim().is_empty()),
            get(PASSKEY_ORIGIN).filter(|v| !v.trim().is_empty()),
        )?;
        Ok(Config {
            passkey,
            table_name: req(TABLE_NAME)?,
            public_base_url,
            sms_sender,
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

/// The relying party of `base_url` (what `PASSKEY_RP_ID` and `PASSKEY_ORIGIN` default to):
/// its host and origin, with `localhost` for an IP address (browsers refuse an address as
/// RP ID: a local run is opened at `http://localhost:PORT`).
pub fn passkey_default(base_url: &str) -> RelyingParty {
    let url = url::Url::parse(base_url).ok();
    let host = url.as_ref().and_then(|u| u.host());
    let id = match host {
        Some(url::Host::Domain(d)) => d.to_owned(),
        _ => "localhost".to_owned(),
    };
    let scheme = url.as_ref().map_or("http", |u| u.scheme());
    let origin = match url.as_ref().and_then(|u| u.port()) {
        Some(p) => format!("{scheme}://{id}:{p}"),
        None => format!("{scheme}://{id}"),
    };
    RelyingParty { id, origin }
}

fn passkey_party(
    base_url: &str,
    id: Option<String>,
    origin: Option<String>,
) -> Result<RelyingParty, ConfigError> {
    let default = passkey_default(base_url);
    let rp = RelyingParty {
        id: id.map_or(default.id, |v| v.trim().to_ascii_lowercase()),
        origin: origin.map_or(default.origin, |v| {
            v.trim().trim_end_matches('/').to_owned()
        }),
    };
    let invalid = |name, why: &str| ConfigError::Invalid {
        name,
        why: why.to_owned(),
    };
    if rp.id.parse::<std::net::IpAddr>().is_ok() || rp.id.is_empty() || rp.id.contains(['/', ':']) {
        return Err(invalid(
            vars::PASSKEY_RP_ID,
            "a domain name, not an address or a URL",
        ));
    }
    let url =
        url::Url::parse(&rp.origin).map_err(|e| invalid(vars::PASSKEY_ORIGIN, &e.to_string()))?;
    let host = url.host_str().unwrap_or_default();
    if host != rp.id && !host.ends_with(&format!(".{}", rp.id)) {
        return Err(invalid(
            vars::PASSKEY_ORIGIN,
            "its host must be PASSKEY_RP_ID or a subdomain of it",
        ));
    }
    Ok(rp)
}

/// The outbox queue of a local run: LocalStack's URL of `portale-outbox` (path-style queue
/// URLs, `SQS_ENDPOINT_STRATEGY=path`, LocalStack's default account).
pub const LOCAL_OUTBOX_QUEUE_URL: &str =
    "http://127.0.0.1:4566/queue/eu-south-1/000000000000/portale-outbox";

pub use notify::sender::SmsSender;

/// The fixed flow secret of `Config::for_tests` (never read from an environment).
pub const TEST_FLOW_SECRET: &str = "test-secret-test-secret-test-secret-0123";

impl Config {
    /// A complete configuration for tests and local tools, with a fixed flow secret in
    /// memory (no Secrets Manager).
    pub fn for_tests() -> Config {
        let mut c = Config::from_lookup(|k| {
            Some(
                match k {
                    vars::TABLE_NAME => "portale",
                    vars::PUBLIC_BASE_URL => "http://127.0.0.1:3000",
                    vars::EMAIL_FROM_ADDRESS => "convenzionemobile8@telecomitalia.it",
                    vars::COOKIE_SECURE => "false",
                    // The queue `portale-admin bootstrap` creates on LocalStack (make run).
                    vars::OUTBOX_QUEUE_URL => LOCAL_OUTBOX_QUEUE_URL,
                    _ => return None,
                }
                .to_owned(),
            )
        })
        .expect("test configuration is complete");
        c.flow_secret = Some(FlowSecretSource::Fixed(TEST_FLOW_SECRET.into()));
        c
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
            (vars::FLOW_SECRET_ARN, "portale/test/flow-secret".to_owned()),
            (vars::OUTBOX_QUEUE_URL, LOCAL_OUTBOX_QUEUE_URL.to_owned()),
        ])
    }

    #[test]
    fn metrics_reads_the_stage_from_the_same_variable() {
        assert_eq!(metrics::STAGE_VAR, vars::STAGE);
    }

    #[test]
    fn defaults_and_normalisation() {
        let env = base();
        let c = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        assert_eq!(c.public_base_url, "http://127.0.0.1:3000");
        assert_eq!(c.sms_sender, SmsSender::Number("40134".into()));
        assert_eq!(
            c.flow_secret,
            Some(FlowSecretSource::SecretsManager(
                "portale/test/flow-secret".into()
            ))
        );
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
            vars::OUTBOX_QUEUE_URL,
        ] {
            let mut env = base();
            env.remove(missing);
            let err = Config::from_lookup(|k| env.get(k).cloned()).unwrap_err();
            assert_eq!(err, ConfigError::Missing(missing));
            assert!(err.to_string().contains(missing));
        }
    }

    /// The secret's name is optional (send-messages and portale-admin have none) and never
    /// a value: no variable carries the secret itself.
    #[test]
    fn the_flow_secret_is_named_never_given() {
        let mut env = base();
        env.remove(vars::FLOW_SECRET_ARN);
        env.insert("FLOW_SECRET", "x".repeat(40));
        let c = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        assert_eq!(c.flow_secret, None, "a FLOW_SECRET value is not read");
        assert!(!format!("{:?}", Config::for_tests()).contains(TEST_FLOW_SECRET));
    }

    #[test]
    fn the_sms_sender_is_parsed_into_what_sns_sends_with_and_pages_say() {
        let cases = [
            ("40134", "AWS.MM.SMS.OriginationNumber", "dal numero 40134"),
            (
                "+393201234567",
                "AWS.MM.SMS.OriginationNumber",
                "dal numero +393201234567",
            ),
            ("TIM", "AWS.SNS.SMS.SenderID", "dal mittente TIM"),
            (" TIM-PA ", "AWS.SNS.SMS.SenderID", "dal mittente TIM-PA"),
            ("Conv8", "AWS.SNS.SMS.SenderID", "dal mittente Conv8"),
        ];
        for (raw, attribute, phrase) in cases {
            let s = SmsSender::parse(raw).unwrap();
            assert_eq!(s.sns_attribute(), (attribute, raw.trim()), "{raw}");
            assert_eq!(s.from_phrase(), phrase);
        }
        for bad in [
            "",
            "12",
            "123456789",
            "+39",
            "TIM!",
            "TIM MOBILE",
            "ABCDEFGHIJKL",
            "---",
            "+39abc",
        ] {
            assert!(SmsSender::parse(bad).is_err(), "{bad:?}");
        }
        let mut env = base();
        env.insert(vars::SMS_SENDER_ID, "TIM!".into());
        assert!(matches!(
            Config::from_lookup(|k| env.get(k).cloned()),
            Err(ConfigError::Invalid {
                name: vars::SMS_SENDER_ID,
                ..
            })
        ));
        env.insert(vars::SMS_SENDER_ID, "TIM".into());
        let c = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        assert_eq!(c.sms_sender, SmsSender::Alphanumeric("TIM".into()));
    }

    #[test]
    fn the_passkeys_relying_party_defaults_to_the_site_and_is_checked() {
        let env = base();
        let c = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        assert_eq!(
            c.passkey,
            RelyingParty {
                id: "localhost".into(),
                origin: "http://localhost:3000".into()
            }
        );
        assert_eq!(
            passkey_default("https://portale.example.it"),
            RelyingParty {
                id: "portale.example.it".into(),
                origin: "https://portale.example.it".into()
            }
        );
        let mut env = base();
        env.insert(vars::PASSKEY_RP_ID, "example.it".into());
        env.insert(vars::PASSKEY_ORIGIN, "https://portale.example.it/".into());
        let c = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        assert_eq!(c.passkey.origin, "https://portale.example.it");
        for (var, bad) in [
            (vars::PASSKEY_RP_ID, "127.0.0.1"),
            (vars::PASSKEY_RP_ID, "https://example.it"),
            (vars::PASSKEY_ORIGIN, "https://other.test"),
            (vars::PASSKEY_ORIGIN, "not a url"),
        ] {
            let mut env = env.clone();
            env.insert(var, bad.into());
            let err = Config::from_lookup(|k| env.get(k).cloned()).unwrap_err();
            assert!(
                matches!(err, ConfigError::Invalid { name, .. } if name == var),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn rejects_bad_flags() {
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
