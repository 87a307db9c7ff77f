//! A function process's environment, as Lambda gives it: the function's configuration (the
//! template's `Environment.Variables`), the credentials and region Lambda sets, and Lambda's
//! reserved variables. Nothing else of the gateway's environment leaks in.

use engine::config::{vars, Config};
use store::secret::FlowSecretSource;

/// The configuration as the variables `Config::from_env` reads back. The flow secret only by
/// its name (`FLOW_SECRET_ARN`, for the functions that read it: `for_function`); a fixed
/// in-memory secret cannot reach a process and is not passed.
pub fn from_config(c: &Config) -> Vec<(String, String)> {
    let mut env = vec![
        (vars::TABLE_NAME, c.table_name.clone()),
        (vars::PUBLIC_BASE_URL, c.public_base_url.clone()),
        (vars::SMS_SENDER_ID, c.sms_sender.to_string()),
        (vars::SMS_TYPE, c.sms_type.clone()),
        (vars::EMAIL_FROM_ADDRESS, c.email_from_address.clone()),
        (vars::EMAIL_FROM_NAME, c.email_from_name.clone()),
        (
            vars::SMS_GLOBAL_HOURLY_BUDGET,
            c.sms_global_hourly_budget.to_string(),
        ),
        (vars::COOKIE_SECURE, c.cookie_secure.to_string()),
        (vars::OUTBOX_QUEUE_URL, c.outbox_queue_url.clone()),
        (vars::PASSKEY_RP_ID, c.passkey.id.clone()),
        (vars::PASSKEY_ORIGIN, c.passkey.origin.clone()),
    ];
    if let Some(set) = &c.ses_configuration_set {
        env.push((vars::SES_CONFIGURATION_SET, set.clone()));
    }
    if let Some(FlowSecretSource::SecretsManager(id)) = &c.flow_secret {
        env.push((vars::FLOW_SECRET_ARN, id.clone()));
    }
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The configuration variables of `function`'s processes, as the template gives them:
/// `FLOW_SECRET_ARN` only to the functions that read the secret
/// (`engine::access::FLOW_SECRET_READERS`).
pub fn for_function(env: &[(String, String)], function: &str) -> Vec<(String, String)> {
    env.iter()
        .filter(|(k, _)| k != vars::FLOW_SECRET_ARN || engine::access::reads_flow_secret(function))
        .cloned()
        .collect()
}

/// What Lambda sets for the SDK (region, the role's credentials), here taken from the
/// gateway's environment, plus `AWS_ENDPOINT_URL` (LocalStack) and the log level.
pub fn aws_client_vars() -> Vec<(String, String)> {
    [
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "RUST_LOG",
        "RUST_BACKTRACE",
    ]
    .into_iter()
    .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_owned(), v)))
    .collect()
}

/// Lambda's reserved variables for one execution environment of `function`
/// (`AWS_LAMBDA_RUNTIME_API` is added by the sandbox, which knows its port).
pub fn lambda_vars(function: &str, memory_mb: u32) -> Vec<(String, String)> {
    let today = time::OffsetDateTime::now_utc().date();
    let stream = format!(
        "{}/{:02}/{:02}/[$LATEST]{}",
        today.year(),
        today.month() as u8,
        today.day(),
        &domain::crypto::token_hash(&domain::crypto::random_token())[..32]
    );
    [
        ("AWS_LAMBDA_FUNCTION_NAME", function.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_mb.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{function}"),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", stream),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("_HANDLER", "bootstrap".to_owned()),
        ("TZ", ":UTC".to_owned()),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin".to_owned()),
        // No HOME, as on Lambda: the SDK reads no profile files (~/.aws) of this machine.
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// A variable added to `Config` but not passed on here would silently take its default
    /// in the function processes: every variable the config reads must be in `from_config`.
    #[test]
    fn every_variable_the_config_reads_is_passed_on() {
        let mut c = Config::for_tests();
        c.flow_secret = Some(FlowSecretSource::SecretsManager(
            "portale/t/flow-secret".into(),
        ));
        c.sms_sender = engine::config::SmsSender::parse("TIM").unwrap();
        c.ses_configuration_set = Some("portale".into());
        let cc = c.clone();
        c.cookie_secure = false;
        c.sms_global_hourly_budget = 77;
        let env: HashMap<String, String> = from_config(&c).into_iter().collect();
        let asked = RefCell::new(Vec::new());
        let back = Config::from_lookup(|k| {
            asked.borrow_mut().push(k.to_owned());
            env.get(k).cloned()
        })
        .unwrap();
        for k in asked.borrow().iter() {
            assert!(
                env.contains_key(k),
                "{k} is read by Config but not passed to the functions"
            );
        }
        assert_eq!(
            (back.table_name, back.flow_secret, back.sms_sender),
            (c.table_name, c.flow_secret, c.sms_sender)
        );
        let all = from_config(&cc);
        let name = |f| for_function(&all, f);
        assert!(name("login")
            .iter()
            .any(|(k, _)| k == vars::FLOW_SECRET_ARN));
        assert!(!name("send-messages")
            .iter()
            .any(|(k, _)| k == vars::FLOW_SECRET_ARN));
        assert!(!name("account")
            .iter()
            .any(|(k, _)| k == vars::FLOW_SECRET_ARN));
        assert_eq!(
            (
                back.cookie_secure,
                back.sms_global_hourly_budget,
                back.ses_configuration_set
            ),
            (false, 77, Some("portale".into()))
        );
    }
}
