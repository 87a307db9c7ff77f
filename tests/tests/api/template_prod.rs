//! Issue 22 item 4: a production stage that cannot deploy unsafely, stages side by side in
//! one account and region, and the concurrency quota the stack needs, from the template.
//!
//! `eval` is a tiny evaluator of the intrinsic functions the template uses in its Rules,
//! Conditions and resource names (Ref, Fn::Equals / Not / And / Or / Contains / If / Sub /
//! Select / Split / Join, Condition), against a set of parameter values: what CloudFormation
//! does before it creates anything.

use super::template_consistency::{self as tc};
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::Command;

/// A deployment's parameter values, defaults filled in from the template.
struct Stack<'t> {
    t: &'t Value,
    params: BTreeMap<String, String>,
}

impl<'t> Stack<'t> {
    fn new(t: &'t Value, given: &[(&str, &str)]) -> Stack<'t> {
        let mut params = BTreeMap::new();
        for (k, p) in tc::map(&t["Parameters"], "Parameters") {
            let k = tc::str_of(k, "parameter").to_owned();
            let default = match p.get("Default") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            params.insert(k, default);
        }
        // A parameter the template lacks is left out, as CloudFormation would refuse it: the
        // checks below then show what the template does without it.
        for (k, v) in given {
            if params.contains_key(*k) {
                params.insert(k.to_string(), v.to_string());
            }
        }
        Stack { t, params }
    }

    fn stage(&self) -> &str {
        &self.params["Stage"]
    }

    fn condition(&self, name: &str) -> bool {
        let c = self.t["Conditions"]
            .get(name)
            .unwrap_or_else(|| panic!("no condition {name}"));
        self.truth(c)
    }

    fn truth(&self, v: &Value) -> bool {
        match self.eval(v) {
            Some(Value::Bool(b)) => b,
            other => panic!("{v:?} is no condition: {other:?}"),
        }
    }

    fn text(&self, v: &Value) -> String {
        match self.eval(v) {
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) => n.to_string(),
            other => panic!("{v:?} is no string: {other:?}"),
        }
    }

    /// The value of `v` in this stack; None for `AWS::NoValue`. A resource's own attributes
    /// (unknown before it exists) come out as "<id>.<attribute>@<stage>".
    fn eval(&self, v: &Value) -> Option<Value> {
        let Some((f, arg)) = tc::intrinsic(v) else {
            return Some(match v {
                Value::Sequence(s) => {
                    Value::Sequence(s.iter().filter_map(|x| self.eval(x)).collect())
                }
                other => other.clone(),
            });
        };
        let args = || {
            arg.as_sequence()
                .unwrap_or_else(|| panic!("{f}: a list, found {arg:?}"))
        };
        let s = |x: String| Some(Value::String(x));
        match f.as_str() {
            "Ref" => {
                let name = tc::str_of(arg, "!Ref");
                match name {
                    "AWS::NoValue" => None,
                    "AWS::Region" => s("eu-south-1".into()),
                    "AWS::AccountId" => s("123456789012".into()),
                    "AWS::Partition" => s("aws".into()),
                    "AWS::URLSuffix" => s("amazonaws.com".into()),
                    "AWS::StackName" => s(format!("portale-{}", self.stage())),
                    n => match self.params.get(n) {
                        Some(p) => s(p.clone()),
                        None => s(format!("{n}@{}", self.stage())),
                    },
                }
            }
            "Condition" => Some(Value::Bool(self.condition(tc::str_of(arg, "!Condition")))),
            "Fn::Equals" => {
                let a = args();
                Some(Value::Bool(self.eval(&a[0]) == self.eval(&a[1])))
            }
            "Fn::Not" => Some(Value::Bool(!self.truth(&args()[0]))),
            "Fn::And" => Some(Value::Bool(args().iter().all(|x| self.truth(x)))),
            "Fn::Or" => Some(Value::Bool(args().iter().any(|x| self.truth(x)))),
            "Fn::Contains" => {
                let a = args();
                let list = self.eval(&a[0]);
                let item = self.eval(&a[1]);
                let found = list
                    .as_ref()
                    .and_then(Value::as_sequence)
                    .is_some_and(|l| l.iter().any(|x| Some(x) == item.as_ref()));
                Some(Value::Bool(found))
            }
            "Fn::If" => {
                let a = args();
                let c = self.condition(tc::str_of(&a[0], "!If condition"));
                self.eval(if c { &a[1] } else { &a[2] })
            }
            "Fn::Select" => {
                let a = args();
                let i: usize = self.text(&a[0]).parse().expect("an index");
                match self.eval(&a[1]) {
                    Some(Value::Sequence(l)) => l.get(i).cloned(),
                    other => panic!("!Select from {other:?}"),
                }
            }
            "Fn::Split" => {
                let a = args();
                let (sep, whole) = (self.text(&a[0]), self.text(&a[1]));
                Some(Value::Sequence(
                    whole
                        .split(sep.as_str())
                        .map(|x| Value::String(x.into()))
                        .collect(),
                ))
            }
            "Fn::Join" => {
                let a = args();
                let sep = self.text(&a[0]);
                let parts: Vec<String> = match self.eval(&a[1]) {
                    Some(Value::Sequence(l)) => l.iter().map(|x| self.text(x)).collect(),
                    other => panic!("!Join of {other:?}"),
                };
                s(parts.join(&sep))
            }
            "Fn::GetAtt" => s(format!(
                "{}@{}",
                tc::getatt_target(v).unwrap_or_default(),
                self.stage()
            )),
            "Fn::Sub" => {
                let (text, locals) = match arg {
                    Value::String(x) => (x.clone(), Mapping::new()),
                    Value::Sequence(x) => (
                        tc::str_of(&x[0], "!Sub").to_owned(),
                        x[1].as_mapping().cloned().unwrap_or_default(),
                    ),
                    other => panic!("!Sub {other:?}"),
                };
                let mut out = String::new();
                let mut rest = text.as_str();
                while let Some(start) = rest.find("${") {
                    out.push_str(&rest[..start]);
                    let end = start + rest[start..].find('}').expect("a closed ${");
                    let name = &rest[start + 2..end];
                    if let Some(local) = locals.get(name) {
                        out.push_str(&self.text(local));
                    } else if name.contains('.') {
                        out.push_str(&format!("{name}@{}", self.stage()));
                    } else {
                        out.push_str(&self.text(&Value::Tagged(Box::new(
                            serde_yaml::value::TaggedValue {
                                tag: serde_yaml::value::Tag::new("Ref"),
                                value: Value::String(name.into()),
                            },
                        ))));
                    }
                    rest = &rest[end + 1..];
                }
                out.push_str(rest);
                s(out)
            }
            other => panic!("{other}: not evaluated by this test"),
        }
    }

    /// The failed assertions of the template's Rules for these parameters (their
    /// AssertDescription): CloudFormation refuses the stack when there is any.
    fn rule_failures(&self) -> Vec<String> {
        let mut failed = vec![];
        for (name, rule) in self.t["Rules"].as_mapping().into_iter().flatten() {
            if let Some(c) = rule.get("RuleCondition") {
                if !self.truth(c) {
                    continue;
                }
            }
            for a in rule["Assertions"].as_sequence().expect("Assertions") {
                if !self.truth(&a["Assert"]) {
                    let d = a["AssertDescription"].as_str().unwrap_or_default();
                    failed.push(format!("{}: {d}", tc::str_of(name, "rule")));
                }
            }
        }
        failed
    }

    /// The resources this stack creates (their Condition holds).
    fn resources(&self) -> Vec<(&'t str, &'t Value)> {
        tc::resources(self.t)
            .iter()
            .map(|(k, r)| (tc::str_of(k, "resource id"), r))
            .filter(|(_, r)| {
                r.get("Condition")
                    .and_then(Value::as_str)
                    .is_none_or(|c| self.condition(c))
            })
            .collect()
    }

    /// (resource id, physical name) of every resource that has a name of its own in the
    /// account and region (a name CloudFormation generates is unique and left out).
    fn physical_names(&self) -> Vec<(String, String)> {
        let mut out = vec![];
        for (id, r) in self.resources() {
            let ty = r["Type"].as_str().unwrap_or_default();
            let p = &r["Properties"];
            let paths: Vec<&[&str]> = match ty {
                "AWS::DynamoDB::Table" => vec![&["TableName"]],
                "AWS::SQS::Queue" => vec![&["QueueName"]],
                "AWS::CloudWatch::Alarm" => vec![&["AlarmName"]],
                "AWS::CloudWatch::Dashboard" => vec![&["DashboardName"]],
                "AWS::SNS::Topic" => vec![&["TopicName"]],
                "AWS::Serverless::Function" | "AWS::Lambda::Function" => vec![&["FunctionName"]],
                "AWS::Logs::LogGroup" => vec![&["LogGroupName"]],
                "AWS::SES::EmailIdentity" => vec![&["EmailIdentity"]],
                "AWS::S3::Bucket" => vec![&["BucketName"]],
                "AWS::IAM::Role" => vec![&["RoleName"]],
                "AWS::IAM::ManagedPolicy" => vec![&["ManagedPolicyName"]],
                "AWS::CloudFront::OriginAccessControl" => {
                    vec![&["OriginAccessControlConfig", "Name"]]
                }
                "AWS::CloudFront::OriginRequestPolicy" => {
                    vec![&["OriginRequestPolicyConfig", "Name"]]
                }
                "AWS::CloudFront::ResponseHeadersPolicy" => {
                    vec![&["ResponseHeadersPolicyConfig", "Name"]]
                }
                "AWS::CloudFront::CachePolicy" => vec![&["CachePolicyConfig", "Name"]],
                // References to other resources, no names of their own.
                "AWS::Logs::MetricFilter"
                | "AWS::S3::BucketPolicy"
                | "AWS::SQS::QueuePolicy"
                | "AWS::SNS::Subscription"
                | "AWS::CloudFront::Distribution"
                | "AWS::Serverless::HttpApi" => vec![],
                // Secrets, configuration sets, CloudFront functions, WAF, APIs...: `Name`.
                _ => vec![&["Name"]],
            };
            for path in paths {
                let v = path.iter().fold(p, |v, k| &v[*k]);
                if v.is_null() {
                    continue;
                }
                if let Some(name) = self.eval(v) {
                    out.push((id.to_owned(), format!("{ty} {}", self.text(&name))));
                }
            }
        }
        out
    }

    /// The alarms this stack creates on a metric of the whole account (SES reputation, SMS
    /// spend): AWS namespaces with no dimension that names this stack's resources.
    fn account_wide_alarms(&self) -> Vec<&'t str> {
        self.resources()
            .into_iter()
            .filter(|(_, r)| r["Type"] == "AWS::CloudWatch::Alarm")
            .filter(|(_, r)| {
                let p = &r["Properties"];
                let mut metrics = vec![(&p["Namespace"], &p["MetricName"], &p["Dimensions"])];
                for m in p["Metrics"].as_sequence().into_iter().flatten() {
                    let metric = &m["MetricStat"]["Metric"];
                    metrics.push((
                        &metric["Namespace"],
                        &metric["MetricName"],
                        &metric["Dimensions"],
                    ));
                }
                metrics.iter().any(|(ns, name, dims)| {
                    let ns = ns.as_str().unwrap_or_default();
                    let no_dims = dims.as_sequence().is_none_or(|d| d.is_empty());
                    (ns == "AWS/SES"
                        || (ns == "AWS/SNS" && name.as_str() == Some("SMSMonthToDateSpentUSD")))
                        && no_dims
                })
            })
            .map(|(id, _)| id)
            .collect()
    }

    /// The concurrency the stack reserves: every function's ReservedConcurrentExecutions.
    fn reserved_concurrency(&self) -> u64 {
        tc::functions(self.t)
            .iter()
            .filter_map(|f| f.props().get("ReservedConcurrentExecutions"))
            .map(|v| self.text(v).parse::<u64>().expect("a number"))
            .sum()
    }
}

const SAFE_PROD: &[(&str, &str)] = &[
    ("Stage", "prod"),
    ("DomainName", "portale.example.it"),
    ("EmailFromAddress", "noreply@portale.example.it"),
    ("AlarmEmail", "ops@example.it"),
    (
        "WebAclArn",
        "arn:aws:wafv2:us-east-1:123456789012:global/webacl/portale-prod/0a1b2c3d-0000-4000-8000-000000000000",
    ),
    (
        "CertificateArn",
        "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000001",
    ),
];

fn with(
    base: &[(&'static str, &'static str)],
    changes: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<_> = base
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .copied()
        .collect();
    out.extend_from_slice(changes);
    out
}

/// Stage=prod needs an alarm address, the WAF and a certificate: the template's Rules refuse
/// each one missing (and all three with the defaults); other stages may go without.
#[test]
fn production_stage_requires_alarm_waf_and_certificate() {
    let t = tc::template();
    assert!(
        t.get("Rules").is_some_and(|r| !r.is_null()),
        "the template has no Rules: Stage=prod deploys with no one alerted, no WAF and CloudFront's \
            default certificate"
    );
    let failures = |p: &[(&str, &str)]| Stack::new(&t, p).rule_failures();
    assert_eq!(failures(SAFE_PROD), Vec::<String>::new());
    let defaults = [
        ("Stage", "prod"),
        ("DomainName", "portale.example.it"),
        ("EmailFromAddress", "noreply@portale.example.it"),
    ];
    let all = failures(&defaults);
    assert_eq!(all.len(), 3, "{all:?}");
    for (param, _) in &SAFE_PROD[3..] {
        let f = failures(&with(SAFE_PROD, &[(param, "")]));
        assert_eq!(f.len(), 1, "{param} empty: {f:?}");
        assert!(f[0].contains(param), "{param}: {f:?}");
        assert!(all.iter().any(|a| a.contains(param)), "{param}: {all:?}");
    }
    // A test stage may go without them.
    let test_stage = with(&defaults, &[("Stage", "test")]);
    assert_eq!(failures(&test_stage), Vec::<String>::new());
}

fn sam_venv() -> std::path::PathBuf {
    std::env::var("SAM_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| tc::repo().join(".local/venv-sam"))
}

/// Two stages in one account and region: prod creating the account's resources, test
/// sharing them. No physical name is created twice; the account-wide alarms exist once
/// (in the creating stage); the SES identity is created once and both may send from it.
#[test]
fn two_stages_side_by_side_do_not_collide() {
    let t = tc::template();
    let prod = Stack::new(&t, SAFE_PROD);
    let test_params = with(
        SAFE_PROD,
        &[("Stage", "test"), ("AccountResources", "shared")],
    );
    let test = Stack::new(&t, &test_params);
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let mut collisions = vec![];
    for (stack, label) in [(&prod, "prod"), (&test, "test")] {
        for (id, name) in stack.physical_names() {
            if let Some(other) = owner.insert(name.clone(), format!("{label}:{id}")) {
                collisions.push(format!("{name}: {other} and {label}:{id}"));
            }
        }
    }
    assert!(
        collisions.is_empty(),
        "physical names created twice in one account and region:\n{}",
        collisions.join("\n")
    );
    let (created, shared) = (prod.account_wide_alarms(), test.account_wide_alarms());
    assert!(
        shared.is_empty(),
        "the sharing stage alarms on account-wide metrics too: {shared:?}"
    );
    assert!(
        created.len() >= 3,
        "the creating stage's account alarms: {created:?}"
    );
    let identities = |s: &Stack| {
        s.resources()
            .iter()
            .filter(|(_, r)| r["Type"] == "AWS::SES::EmailIdentity")
            .count()
    };
    assert_eq!((identities(&prod), identities(&test)), (1, 0));
}

/// A stage deleted (its table retained: DeletionPolicy Retain) can be created again: with the
/// default parameters the table has no fixed name, so CloudFormation names the new one; a
/// name is used only when given (an older stack's, or a retained table adopted by import).
#[test]
fn a_retained_table_does_not_block_recreating_the_stage() {
    let t = tc::template();
    let table = tc::resource(&t, "Table");
    assert_eq!(
        table["DeletionPolicy"].as_str(),
        Some("Retain"),
        "the data outlives the stack"
    );
    let prod = Stack::new(&t, SAFE_PROD);
    let names: Vec<_> = prod
        .physical_names()
        .into_iter()
        .filter(|(id, _)| id == "Table")
        .collect();
    assert!(
        names.is_empty(),
        "the table is named {names:?} with the default parameters: once the stage is deleted, its \
            retained table blocks creating it again"
    );
    let adopted = Stack::new(&t, &with(SAFE_PROD, &[("TableName", "portale-prod")]));
    let names: Vec<_> = adopted
        .physical_names()
        .into_iter()
        .filter(|(id, _)| id == "Table")
        .map(|(_, n)| n)
        .collect();
    assert_eq!(names, ["AWS::DynamoDB::Table portale-prod"]);
}

/// Answers every HTTP request with Lambda's GetAccountSettings for a quota of `quota`
/// (`GET /2016-08-19/account-settings`, REST-JSON): the account the preflight asks.
fn account_settings_stub(quota: u64) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 8192];
            let mut got = vec![];
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let body = serde_json::json!({
                "AccountLimit": {
                    "TotalCodeSize": 80530636800u64,
                    "CodeSizeUnzipped": 262144000,
                    "CodeSizeZipped": 52428800,
                    "ConcurrentExecutions": quota,
                    "UnreservedConcurrentExecutions": quota
                },
                "AccountUsage": { "TotalCodeSize": 0, "FunctionCount": 0 }
            })
            .to_string();
            let _ = write!(
                s,
                concat!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n",
                    "content-length: {}\r\nconnection: close\r\n\r\n{}"
                ),
                body.len(),
                body
            );
        }
    });
    format!("http://{addr}")
}

fn preflight(endpoint: &str, params: &[&str]) -> (i32, String, String) {
    // The script asks the quota with the AWS CLI or, without it, boto3 of the SAM venv:
    // make sure one of them is there (a fresh clone has neither before validate.sh).
    let has_cli = Command::new("aws").arg("--version").output().is_ok();
    if !has_cli && !sam_venv().join("bin/python").exists() {
        let setup = Command::new("bash")
            .arg(tc::repo().join("infra/scripts/setup-sam.sh"))
            .env("SAM_VENV", sam_venv())
            .status()
            .expect("setup-sam.sh runs");
        assert!(setup.success(), "setup-sam.sh failed");
    }
    let out = Command::new("bash")
        .arg(tc::repo().join("infra/scripts/deploy.sh"))
        .arg("--preflight-only")
        .args(params)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "eu-south-1")
        .env("SAM_VENV", sam_venv())
        .env_remove("AWS_PROFILE")
        .output()
        .expect("deploy.sh runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The quota the stack needs is computed from the template (reserved concurrency with the
/// parameters' values + the 100 AWS keeps unreserved) by the deploy script's preflight,
/// which prints it and stops before deploying when the account's quota is lower.
#[test]
fn deploy_preflight_computes_the_quota_and_stops_when_the_account_has_less() {
    let t = tc::template();
    let reserved = Stack::new(&t, SAFE_PROD).reserved_concurrency();
    let needed = reserved + 100;
    // Today's defaults: nine SMS steps x 5 + login 10, + 100.
    assert_eq!(needed, 155);
    // LocalStack's Lambda answers GetAccountSettings (always 1000), but lambda is not among
    // the services the project starts: a stub answers that one call, with either quota.
    let enough = account_settings_stub(1000);
    let (code, out, err) = preflight(&enough, &[]);
    assert_eq!(code, 0, "a quota of 1000:\n{out}\n{err}");
    assert!(
        out.contains(&format!(
            "concorrenza necessaria {needed} (riservata dalle funzioni {reserved} + 100"
        )),
        "{out}"
    );
    assert!(
        out.contains("quota di concorrenza dell'account (eu-south-1): 1000"),
        "{out}"
    );

    // Another parameter set, another need: the script reads the same template.
    let smaller = Stack::new(
        &t,
        &with(
            SAFE_PROD,
            &[
                ("SmsStepReservedConcurrency", "2"),
                ("LoginReservedConcurrency", "4"),
            ],
        ),
    );
    let small_need = smaller.reserved_concurrency() + 100;
    let (code, out, _) = preflight(
        &enough,
        &["SmsStepReservedConcurrency=2", "LoginReservedConcurrency=4"],
    );
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("concorrenza necessaria {small_need} ")),
        "{out}"
    );

    // An account whose quota is 100 (a new account's may be lower still): stopped.
    let stub = account_settings_stub(100);
    let (code, out, err) = preflight(&stub, &[]);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(
        err.contains("(100)") && err.contains(&format!("({needed} = {reserved} riservata")),
        "{err}"
    );
    assert!(err.contains("Nessun deploy eseguito"), "{err}");
    assert!(!out.contains("Preflight: ok"), "{out}");
}

/// The REST API's access logs need the account's API Gateway CloudWatch Logs role
/// (`AWS::ApiGateway::Account`, one setting per account and region): without it the stage
/// fails to create and the first deploy stops. The stage that creates the account's resources
/// sets it, with a role trusted by API Gateway that may only push logs, before its API is
/// created; a sharing stage leaves it alone (it would take it over, and break it on delete).
#[test]
fn the_first_deploy_sets_the_api_gateway_logging_role_once() {
    let t = tc::template();
    let prod = Stack::new(&t, SAFE_PROD);
    let test = Stack::new(
        &t,
        &with(
            SAFE_PROD,
            &[("Stage", "test"), ("AccountResources", "shared")],
        ),
    );
    let accounts = |s: &Stack<'_>| -> Vec<String> {
        s.resources()
            .into_iter()
            .filter(|(_, r)| r["Type"] == "AWS::ApiGateway::Account")
            .map(|(id, _)| id.to_owned())
            .collect()
    };
    let created = accounts(&prod);
    assert_eq!(
        created.len(),
        1,
        "the creating stage sets the API Gateway account: {created:?}"
    );
    assert_eq!(
        accounts(&test),
        Vec::<String>::new(),
        "a sharing stage leaves it alone"
    );

    let account = tc::resource(&t, &created[0]);
    let role_id = tc::getatt_target(&account["Properties"]["CloudWatchRoleArn"])
        .expect("CloudWatchRoleArn: !GetAtt <role>.Arn");
    let role = tc::resource(&t, role_id.split('.').next().unwrap());
    let trust = serde_yaml::to_string(&role["Properties"]["AssumeRolePolicyDocument"]).unwrap();
    assert!(trust.contains("apigateway.amazonaws.com"), "{trust}");
    let managed = serde_yaml::to_string(&role["Properties"]["ManagedPolicyArns"]).unwrap();
    assert!(
        managed.contains("AmazonAPIGatewayPushToCloudWatchLogs"),
        "{managed}"
    );
    assert!(
        role["Properties"]["Policies"].is_null(),
        "nothing but pushing logs"
    );

    // The API waits for it: directly, or through a handle that names it only when created.
    let depends = serde_yaml::to_string(&tc::resource(&t, "Api")["DependsOn"]).unwrap();
    let waits = depends.contains(&created[0])
        || resources_depending_on(&t, &created[0])
            .iter()
            .any(|h| depends.contains(h.as_str()));
    assert!(
        waits,
        "Api must depend on {} (DependsOn: {depends})",
        created[0]
    );
}

/// The resources whose Metadata or Properties name `id` (a wait handle, for a conditional
/// dependency: DependsOn cannot name a resource whose condition is false).
fn resources_depending_on(t: &Value, id: &str) -> Vec<String> {
    tc::resources(t)
        .iter()
        .filter(|(_, r)| serde_yaml::to_string(r).unwrap().contains(id))
        .filter_map(|(k, _)| k.as_str().map(str::to_owned))
        .filter(|k| k != id)
        .collect()
}
