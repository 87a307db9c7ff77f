//! (d) and the per-function settings: configuration variables (`engine::config::vars`), names,
//! log groups, memory, the SMS concurrency cap.

use super::*;

/// The variable names declared in `pub mod vars` of shared/engine/src/config.rs, read from the
/// source so a new variable cannot be forgotten here.
fn config_vars_from_source() -> BTreeSet<String> {
    let path = repo().join("shared/engine/src/config.rs");
    let src = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let start = src
        .find("pub mod vars")
        .expect("config.rs has `pub mod vars`");
    let body = &src[start..];
    let body = &body[..body.find('}').expect("end of mod vars")];
    body.lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("pub const ")?;
            let value = rest.split('"').nth(1)?;
            Some(value.to_owned())
        })
        .collect()
}

/// (d) Every configuration variable is set for every function (Globals), and only those.
#[test]
fn function_environment_sets_every_config_var() {
    let named: BTreeSet<String> = [
        vars::TABLE_NAME,
        vars::PUBLIC_BASE_URL,
        vars::SMS_SENDER_ID,
        vars::SMS_TYPE,
        vars::EMAIL_FROM_ADDRESS,
        vars::EMAIL_FROM_NAME,
        vars::SES_CONFIGURATION_SET,
        vars::SMS_GLOBAL_HOURLY_BUDGET,
        vars::COOKIE_SECURE,
        vars::OUTBOX_QUEUE_URL,
        vars::STAGE,
        vars::FLOW_SECRET_ARN,
        vars::PASSKEY_RP_ID,
        vars::PASSKEY_ORIGIN,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let from_source = config_vars_from_source();
    if let Some(d) = diff(
        "engine::config::vars (source)",
        &from_source,
        "this test's list",
        &named,
    ) {
        panic!("update this test's list of config vars: {d}");
    }

    let t = template();
    let globals = t["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .expect("Globals.Function.Environment.Variables must be a mapping");
    let mut problems = vec![];
    for f in functions(&t) {
        let mut env: BTreeMap<String, &Value> = globals
            .iter()
            .map(|(k, v)| (str_of(k, "variable name").to_owned(), v))
            .collect();
        if let Some(own) = f
            .props()
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping)
        {
            env.extend(
                own.iter()
                    .map(|(k, v)| (str_of(k, "variable name").to_owned(), v)),
            );
        }
        let keys: BTreeSet<String> = env.keys().cloned().collect();
        // FLOW_SECRET_ARN only for the functions that read the secret (template_secrets.rs).
        let mut expected = from_source.clone();
        if !engine::access::reads_flow_secret(&f.krate) {
            expected.remove(vars::FLOW_SECRET_ARN);
        }
        if let Some(d) = diff(
            "engine::config::vars",
            &expected,
            &format!("{} environment", f.id),
            &keys,
        ) {
            problems.push(d);
        }
        for (k, v) in &env {
            if v.is_null() || v.as_str() == Some("") {
                problems.push(format!("{}: {k} is empty", f.id));
            }
        }
        if env.get(vars::COOKIE_SECURE).and_then(|v| v.as_str()) != Some("true") {
            problems.push(format!("{}: COOKIE_SECURE must be \"true\"", f.id));
        }
    }
    if globals.get(vars::TABLE_NAME).and_then(ref_target) != Some("Table") {
        problems.push("TABLE_NAME must be !Ref Table".into());
    }
    if globals.get(vars::OUTBOX_QUEUE_URL).and_then(ref_target) != Some("OutboxQueue") {
        problems.push("OUTBOX_QUEUE_URL must be !Ref OutboxQueue (its URL)".into());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Per-function settings: names, log groups, memory, SMS concurrency cap.
#[test]
fn function_settings() {
    let t = template();
    let g = &t["Globals"]["Function"];
    assert_eq!(
        g["Runtime"].as_str(),
        Some("provided.al2023"),
        "Globals Runtime"
    );
    assert_eq!(g["Handler"].as_str(), Some("bootstrap"), "Globals Handler");
    assert_eq!(
        strings(&g["Architectures"]),
        vec!["arm64".to_owned()],
        "Globals Architectures"
    );
    let mut problems = vec![];
    for f in functions(&t) {
        let p = f.props();
        let fname = p.get("FunctionName").map(|v| match intrinsic(v) {
            Some((n, Value::String(s))) if n == "Fn::Sub" => s.clone(),
            _ => format!("{v:?}"),
        });
        let want_name = format!("portale-${{Stage}}-{}", f.krate);
        if fname.as_deref() != Some(want_name.as_str()) {
            problems.push(format!(
                "{}: FunctionName is {fname:?}, expected !Sub {want_name}",
                f.id
            ));
        }
        // Its own log group, /aws/lambda/<function name>, with retention.
        let lg_id = p
            .get("LoggingConfig")
            .and_then(|l| l.get("LogGroup"))
            .and_then(ref_target);
        match lg_id {
            None => problems.push(format!(
                "{}: LoggingConfig.LogGroup must be !Ref <its log group>",
                f.id
            )),
            Some(lg_id) => {
                let lg = resource(&t, lg_id);
                let name = lg["Properties"]["LogGroupName"].clone();
                let name = intrinsic(&name).and_then(|(_, a)| a.as_str().map(str::to_owned));
                if name.as_deref() != Some(format!("/aws/lambda/{want_name}").as_str()) {
                    problems.push(format!(
                        "{lg_id}: LogGroupName is {name:?}, expected /aws/lambda/{want_name}"
                    ));
                }
                if lg["Properties"].get("RetentionInDays").is_none() {
                    problems.push(format!("{lg_id}: no RetentionInDays"));
                }
            }
        }
        let memory = p
            .get("MemorySize")
            .and_then(Value::as_u64)
            .or_else(|| g["MemorySize"].as_u64())
            .unwrap_or(128);
        if PASSWORD_STEPS.contains(&f.krate.as_str()) {
            if memory < 512 {
                problems.push(format!(
                    "{}: hashes passwords, MemorySize {memory} < 512",
                    f.id
                ));
            }
        } else if !(128..=256).contains(&memory) {
            problems.push(format!("{}: MemorySize {memory} outside 128..=256", f.id));
        }
        let reserved = p.get("ReservedConcurrentExecutions");
        let sms = SMS_STEPS.contains(&f.krate.as_str());
        if reserved.is_some() != sms {
            problems.push(format!(
                "{}: ReservedConcurrentExecutions present = {}, but sends SMS = {sms}",
                f.id,
                reserved.is_some()
            ));
        }
        // The login is sized from its peak (infra/README.md), the other SMS steps share one cap.
        let want_param = if f.krate == "login" {
            "LoginReservedConcurrency"
        } else {
            "SmsStepReservedConcurrency"
        };
        if let Some(r) = reserved {
            if ref_target(r) != Some(want_param) {
                problems.push(format!(
                    "{}: ReservedConcurrentExecutions must be !Ref {want_param}",
                    f.id
                ));
            }
        }
        // Alarms on Errors and Throttles for this function.
        for metric in ["Errors", "Throttles"] {
            let found = resources_of_type(&t, "AWS::CloudWatch::Alarm")
                .into_iter()
                .any(|(_, a)| {
                    let ap = &a["Properties"];
                    ap["Namespace"].as_str() == Some("AWS/Lambda")
                        && ap["MetricName"].as_str() == Some(metric)
                        && ap["Dimensions"]
                            .as_sequence()
                            .map(|d| d.iter().any(|x| ref_target(&x["Value"]) == Some(f.id)))
                            .unwrap_or(false)
                });
            if !found {
                problems.push(format!("{}: no AWS/Lambda {metric} alarm", f.id));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
