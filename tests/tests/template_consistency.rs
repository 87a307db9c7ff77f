//! `infra/template.yaml` (AWS SAM) against the code's single sources of truth:
//! the route table (`shared::routes`), the table's key design (`shared::store::schema`),
//! the configuration variables (`shared::config::vars`) and the crates under `functions/`.
//! Pure file parsing: no AWS, no network. `infra/scripts/validate.sh` runs the SAM
//! transform and cfn-lint on top of this.

use serde_yaml::{Mapping, Value};
use shared::config::vars;
use shared::routes::{self, ROUTES};
use shared::store::schema;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

// ------------------------------------------------------------------ test data

/// Steps that send an SMS: the only ones with sns:Publish and a reserved concurrency.
const SMS_STEPS: &[&str] = &[
    "register-number",
    "register-otp",
    "login",
    "login-otp",
    "recover-start",
    "recover-otp",
    "recover-reset",
];
/// Steps that send an email: the only ones with ses:SendEmail.
const EMAIL_STEPS: &[&str] = &[
    "register-email",
    "register-password",
    "recover-start",
    "recover-otp",
    "recover-reset",
];
/// Steps that hash passwords with argon2id (m = 19 MiB): they get 512 MB.
const PASSWORD_STEPS: &[&str] = &["register-password", "login", "recover-reset"];
/// DynamoDB item actions the store (shared/src/store/dynamo.rs) needs.
const TABLE_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
];
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST_HEADER: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

// -------------------------------------------------------------------- helpers

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `infra/template.yaml`, or the file named by `INFRA_TEMPLATE` (to try the checks on a
/// modified copy).
fn template() -> Value {
    let path = std::env::var_os("INFRA_TEMPLATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("infra/template.yaml"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
}

fn pascal(name: &str) -> String {
    name.split(['-', '_', '/'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// An intrinsic function, short (`!Ref X`, tagged) or long (`{"Ref": X}`) form, as
/// ("Ref" | "Fn::GetAtt" | "Fn::Sub" | ..., argument).
fn intrinsic(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            let tag = tag.trim_start_matches('!');
            let name = if tag == "Ref" || tag == "Condition" {
                tag.to_owned()
            } else {
                format!("Fn::{tag}")
            };
            Some((name, &t.value))
        }
        Value::Mapping(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next()?;
            let k = k.as_str()?;
            (k == "Ref" || k == "Condition" || k.starts_with("Fn::")).then(|| (k.to_owned(), arg))
        }
        _ => None,
    }
}

/// The target of `!Ref X`.
fn ref_target(v: &Value) -> Option<&str> {
    match intrinsic(v)? {
        (n, arg) if n == "Ref" => arg.as_str(),
        _ => None,
    }
}

/// The resource of `!GetAtt X.Attr` / `!GetAtt [X, Attr]`.
fn getatt_target(v: &Value) -> Option<String> {
    match intrinsic(v)? {
        (n, arg) if n == "Fn::GetAtt" => match arg {
            Value::String(s) => s.split('.').next().map(str::to_owned),
            Value::Sequence(s) => s.first()?.as_str().map(str::to_owned),
            _ => None,
        },
        _ => None,
    }
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what}: expected a plain string, found {v:?}"))
}

fn map<'a>(v: &'a Value, what: &str) -> &'a Mapping {
    v.as_mapping()
        .unwrap_or_else(|| panic!("{what}: expected a mapping, found {v:?}"))
}

fn resources(t: &Value) -> &Mapping {
    map(
        t.get("Resources").expect("template has no Resources"),
        "Resources",
    )
}

fn resource<'a>(t: &'a Value, id: &str) -> &'a Value {
    resources(t)
        .get(id)
        .unwrap_or_else(|| panic!("template has no resource {id}"))
}

fn resources_of_type<'a>(t: &'a Value, ty: &str) -> Vec<(&'a str, &'a Value)> {
    resources(t)
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(ty))
        .map(|(k, r)| (str_of(k, "resource id"), r))
        .collect()
}

/// The strings of a value that is one string or a list of strings.
fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(s) => s
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    }
}

/// A template function: logical id, crate name and its properties.
struct Function<'a> {
    id: &'a str,
    krate: String,
    resource: &'a Value,
}

impl<'a> Function<'a> {
    fn props(&self) -> &'a Value {
        self.resource
            .get("Properties")
            .unwrap_or_else(|| panic!("{} has no Properties", self.id))
    }
}

/// Every AWS::Serverless::Function, with its crate (from `CodeUri: ../functions/<crate>`).
fn functions(t: &Value) -> Vec<Function<'_>> {
    resources_of_type(t, "AWS::Serverless::Function")
        .into_iter()
        .map(|(id, resource)| {
            let code_uri = resource
                .get("Properties")
                .and_then(|p| p.get("CodeUri"))
                .map(|v| str_of(v, "CodeUri"));
            let krate = code_uri
                .and_then(|u| u.strip_prefix("../functions/"))
                .unwrap_or_else(|| {
                    panic!("{id}: CodeUri must be ../functions/<crate>, found {code_uri:?}")
                })
                .trim_end_matches('/')
                .to_owned();
            Function {
                id,
                krate,
                resource,
            }
        })
        .collect()
}

fn function_crates_in_template(t: &Value) -> BTreeSet<String> {
    functions(t).into_iter().map(|f| f.krate).collect()
}

/// `describe(a, b)`: what is in `a` and not in `b`, and the reverse, for messages.
fn diff(a_name: &str, a: &BTreeSet<String>, b_name: &str, b: &BTreeSet<String>) -> Option<String> {
    let only_a: Vec<_> = a.difference(b).collect();
    let only_b: Vec<_> = b.difference(a).collect();
    (!only_a.is_empty() || !only_b.is_empty())
        .then(|| format!("in {a_name} but not in {b_name}: {only_a:?}; in {b_name} but not in {a_name}: {only_b:?}"))
}

fn route_table_functions() -> BTreeSet<String> {
    routes::functions().into_iter().map(str::to_owned).collect()
}

/// CloudFront path pattern match: `*` any run of characters (including `/`), `?` one.
fn glob(pattern: &str, path: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), path.chars().collect());
    let mut dp = vec![vec![false; s.len() + 1]; p.len() + 1];
    dp[0][0] = true;
    for i in 1..=p.len() {
        dp[i][0] = dp[i - 1][0] && p[i - 1] == '*';
        for j in 1..=s.len() {
            dp[i][j] = match p[i - 1] {
                '*' => dp[i - 1][j] || dp[i][j - 1],
                '?' => dp[i - 1][j - 1],
                c => dp[i - 1][j - 1] && c == s[j - 1],
            };
        }
    }
    dp[p.len()][s.len()]
}

/// Every mapping in the tree that looks like an IAM statement (has Effect and Action).
fn statements<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Mapping(m) => {
            if m.get("Effect").is_some() && m.get("Action").is_some() {
                out.push((path.clone(), v));
            }
            for (k, x) in m {
                statements(x, format!("{path}.{}", k.as_str().unwrap_or("?")), out);
            }
        }
        Value::Sequence(s) => {
            for (i, x) in s.iter().enumerate() {
                statements(x, format!("{path}[{i}]"), out);
            }
        }
        Value::Tagged(t) => statements(&t.value, path, out),
        _ => {}
    }
}

// ---------------------------------------------------------------------- tests

/// (a) The template's functions, the crates under functions/ and the route table agree.
/// Fails while function crates are still missing from functions/.
#[test]
fn function_crates_match_template_and_route_table() {
    let dir = repo().join("functions");
    let crates: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let t = template();
    let in_template = function_crates_in_template(&t);
    let in_routes = route_table_functions();
    let problems: Vec<String> = [
        diff("functions/", &crates, "infra/template.yaml", &in_template),
        diff("functions/", &crates, "shared::routes::ROUTES", &in_routes),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(
        problems.is_empty(),
        "function crates disagree:\n{}",
        problems.join("\n")
    );
}

/// (a') The template declares exactly the route table's functions, each named and built
/// the agreed way.
#[test]
fn template_functions_match_route_table() {
    let t = template();
    if let Some(d) = diff(
        "infra/template.yaml",
        &function_crates_in_template(&t),
        "shared::routes::ROUTES",
        &route_table_functions(),
    ) {
        panic!("template functions disagree with the route table: {d}");
    }
    let mut problems = vec![];
    for f in functions(&t) {
        let want_id = format!("{}Function", pascal(&f.krate));
        if f.id != want_id {
            problems.push(format!(
                "function for crate {} has logical id {}, expected {want_id}",
                f.krate, f.id
            ));
        }
        let meta = f.resource.get("Metadata");
        let build = meta
            .and_then(|m| m.get("BuildMethod"))
            .and_then(Value::as_str);
        if build != Some("rust-cargolambda") {
            problems.push(format!(
                "{}: Metadata.BuildMethod is {build:?}, expected rust-cargolambda",
                f.id
            ));
        }
        let binary = meta
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(Value::as_str);
        if binary != Some(f.krate.as_str()) {
            problems.push(format!(
                "{}: Metadata.BuildProperties.Binary is {binary:?}, expected {:?}",
                f.id, f.krate
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// (b) Each function's HttpApi events are exactly its rows of the route table.
#[test]
fn http_api_events_match_route_table() {
    let t = template();
    let mut problems = vec![];
    let mut declared: BTreeSet<(String, String)> = BTreeSet::new();
    for f in functions(&t) {
        let want: BTreeSet<(String, String)> = ROUTES
            .iter()
            .filter(|r| r.function == f.krate)
            .map(|r| (r.method.to_owned(), r.path.to_owned()))
            .collect();
        let mut got = BTreeSet::new();
        let events = f
            .props()
            .get("Events")
            .map(|e| map(e, &format!("{}.Events", f.id)));
        for (name, ev) in events.into_iter().flatten() {
            let name = str_of(name, "event name");
            let ty = ev.get("Type").and_then(Value::as_str);
            if ty != Some("HttpApi") {
                problems.push(format!(
                    "{}: event {name} has Type {ty:?}, expected HttpApi",
                    f.id
                ));
                continue;
            }
            let p = ev
                .get("Properties")
                .unwrap_or_else(|| panic!("{}: event {name} has no Properties", f.id));
            let method = str_of(
                p.get("Method").unwrap_or(&Value::Null),
                &format!("{}.{name}.Method", f.id),
            )
            .to_uppercase();
            let path = str_of(
                p.get("Path").unwrap_or(&Value::Null),
                &format!("{}.{name}.Path", f.id),
            )
            .to_owned();
            if p.get("ApiId").and_then(ref_target) != Some("HttpApi") {
                problems.push(format!(
                    "{}: event {name} must have ApiId: !Ref HttpApi",
                    f.id
                ));
            }
            if p.get("PayloadFormatVersion").and_then(Value::as_str) != Some("2.0") {
                problems.push(format!("{}: event {name} must have PayloadFormatVersion \"2.0\" (lambda_http apigw_http)", f.id));
            }
            if !got.insert((method.clone(), path.clone())) {
                problems.push(format!("{}: route {method} {path} declared twice", f.id));
            }
            if !declared.insert((method.clone(), path.clone())) {
                problems.push(format!(
                    "route {method} {path} is declared by more than one function"
                ));
            }
        }
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        if !missing.is_empty() || !extra.is_empty() {
            problems.push(format!(
                "{} ({}): routes in ROUTES but not in the template: {missing:?}; in the template but not in ROUTES: {extra:?}",
                f.id, f.krate
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// (c) The table's keys, TTL attribute and (absent) GSIs equal shared::store::schema.
#[test]
fn table_matches_schema() {
    let t = template();
    let tables = resources_of_type(&t, "AWS::DynamoDB::Table");
    assert_eq!(
        tables.len(),
        1,
        "expected exactly one AWS::DynamoDB::Table, found {:?}",
        tables.iter().map(|x| x.0).collect::<Vec<_>>()
    );
    let (id, table) = tables[0];
    let p = table.get("Properties").expect("table Properties");

    let key_schema: Vec<(String, String)> = p
        .get("KeySchema")
        .and_then(Value::as_sequence)
        .unwrap_or_else(|| panic!("{id}: no KeySchema"))
        .iter()
        .map(|k| {
            (
                str_of(&k["AttributeName"], "AttributeName").to_owned(),
                str_of(&k["KeyType"], "KeyType").to_owned(),
            )
        })
        .collect();
    let want_keys = vec![
        (schema::PK.to_owned(), "HASH".to_owned()),
        (schema::SK.to_owned(), "RANGE".to_owned()),
    ];
    assert_eq!(
        key_schema, want_keys,
        "{id}: KeySchema differs from schema::PK (HASH) / schema::SK (RANGE)"
    );

    let attrs: BTreeMap<String, String> = p
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .unwrap_or_else(|| panic!("{id}: no AttributeDefinitions"))
        .iter()
        .map(|a| {
            (
                str_of(&a["AttributeName"], "AttributeName").to_owned(),
                str_of(&a["AttributeType"], "AttributeType").to_owned(),
            )
        })
        .collect();
    let want_attrs: BTreeMap<String, String> = [
        (schema::PK.to_owned(), "S".to_owned()),
        (schema::SK.to_owned(), "S".to_owned()),
    ]
    .into();
    assert_eq!(
        attrs, want_attrs,
        "{id}: AttributeDefinitions differ from pk: S, sk: S (string keys, no index attributes)"
    );

    let ttl = p
        .get("TimeToLiveSpecification")
        .unwrap_or_else(|| panic!("{id}: no TimeToLiveSpecification"));
    assert_eq!(
        ttl["AttributeName"].as_str(),
        Some(schema::TTL_ATTRIBUTE),
        "{id}: TTL attribute differs from schema::TTL_ATTRIBUTE"
    );
    assert_eq!(
        ttl["Enabled"].as_bool(),
        Some(true),
        "{id}: TTL must be enabled"
    );

    let gsis: Vec<String> = p
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .map(|s| {
            s.iter()
                .map(|g| str_of(&g["IndexName"], "IndexName").to_owned())
                .collect()
        })
        .unwrap_or_default();
    let want_gsis: Vec<String> = schema::GLOBAL_SECONDARY_INDEXES
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        gsis, want_gsis,
        "{id}: GlobalSecondaryIndexes differ from schema::GLOBAL_SECONDARY_INDEXES"
    );
    assert!(
        p.get("LocalSecondaryIndexes").is_none(),
        "{id}: no LocalSecondaryIndexes expected"
    );

    assert_eq!(
        p["BillingMode"].as_str(),
        Some("PAY_PER_REQUEST"),
        "{id}: BillingMode must be PAY_PER_REQUEST"
    );
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true),
        "{id}: PITR must be on"
    );
    assert_eq!(
        p["DeletionProtectionEnabled"].as_bool(),
        Some(true),
        "{id}: DeletionProtectionEnabled must be true"
    );
    assert_eq!(
        p["SSESpecification"]["SSEEnabled"].as_bool(),
        Some(true),
        "{id}: SSE must be enabled"
    );
    assert!(
        resource(&t, "TableAccessPolicy")
            .get("Properties")
            .and_then(|p| p.get("PolicyDocument"))
            .is_some(),
        "TableAccessPolicy missing"
    );
}

/// The variable names declared in `pub mod vars` of shared/src/config.rs, read from the
/// source so a new variable cannot be forgotten here.
fn config_vars_from_source() -> BTreeSet<String> {
    let path = repo().join("shared/src/config.rs");
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
        vars::FLOW_SECRET,
        vars::SMS_GLOBAL_HOURLY_BUDGET,
        vars::COOKIE_SECURE,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let from_source = config_vars_from_source();
    if let Some(d) = diff(
        "shared::config::vars (source)",
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
        if let Some(d) = diff(
            "shared::config::vars",
            &from_source,
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
        let reserved = p.get("ReservedConcurrentExecutions").is_some();
        let sms = SMS_STEPS.contains(&f.krate.as_str());
        if reserved != sms {
            problems.push(format!(
                "{}: ReservedConcurrentExecutions present = {reserved}, but sends SMS = {sms}",
                f.id
            ));
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

/// Least privilege: per-function roles; sns:Publish only on SMS steps, ses:SendEmail only
/// on email steps; no wildcard actions in any Allow statement.
#[test]
fn iam_least_privilege() {
    let t = template();
    let mut problems = vec![];

    let mut all = vec![];
    statements(&t["Resources"], "Resources".into(), &mut all);
    for (path, st) in &all {
        if st["Effect"].as_str() == Some("Allow") {
            for a in strings(&st["Action"]) {
                if a.contains('*') {
                    problems.push(format!("{path}: wildcard action {a} in an Allow statement"));
                }
            }
        }
    }

    // Allowed actions of a role: its inline policies and its managed policies of this template.
    let role_actions = |role_id: &str| -> BTreeMap<String, Vec<Value>> {
        let role = resource(&t, role_id);
        let mut docs: Vec<&Value> = vec![];
        for mp in role["Properties"]["ManagedPolicyArns"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            match ref_target(mp) {
                Some(id) => docs.push(&resource(&t, id)["Properties"]["PolicyDocument"]),
                None => panic!("{role_id}: ManagedPolicyArns must be !Ref to this template's policies, found {mp:?}"),
            }
        }
        for ip in role["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            docs.push(&ip["PolicyDocument"]);
        }
        let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for d in docs {
            let mut sts = vec![];
            statements(d, String::new(), &mut sts);
            for (_, st) in sts {
                if st["Effect"].as_str() == Some("Allow") {
                    for a in strings(&st["Action"]) {
                        out.entry(a).or_default().push(st["Resource"].clone());
                    }
                }
            }
        }
        out
    };

    let mut roles_seen = BTreeSet::new();
    for f in functions(&t) {
        let p = f.props();
        if p.get("Policies").is_some() {
            problems.push(format!("{}: use its own Role, not SAM Policies", f.id));
        }
        let Some(role_id) = p.get("Role").and_then(getatt_target) else {
            problems.push(format!("{}: Role must be !GetAtt <its role>.Arn", f.id));
            continue;
        };
        if !roles_seen.insert(role_id.clone()) {
            problems.push(format!(
                "{}: role {role_id} is shared with another function",
                f.id
            ));
        }
        let actions = role_actions(&role_id);
        let k = f.krate.as_str();
        for a in TABLE_ACTIONS {
            if !actions.contains_key(*a) {
                problems.push(format!("{}: role {role_id} lacks {a}", f.id));
            }
        }
        let has_sns = actions.contains_key("sns:Publish");
        if has_sns != SMS_STEPS.contains(&k) {
            problems.push(format!(
                "{}: sns:Publish granted = {has_sns}, but sends SMS = {}",
                f.id,
                SMS_STEPS.contains(&k)
            ));
        }
        let has_ses = actions.contains_key("ses:SendEmail");
        if has_ses != EMAIL_STEPS.contains(&k) {
            problems.push(format!(
                "{}: ses:SendEmail granted = {has_ses}, but sends email = {}",
                f.id,
                EMAIL_STEPS.contains(&k)
            ));
        }
        for r in actions.get("ses:SendEmail").into_iter().flatten() {
            if r.as_str() == Some("*") || strings(r).iter().any(|s| s == "*") {
                problems.push(format!(
                    "{}: ses:SendEmail must be scoped to the identity and configuration set",
                    f.id
                ));
            }
        }
        for (a, rs) in &actions {
            if a.starts_with("dynamodb:")
                && rs
                    .iter()
                    .any(|r| getatt_target(r).as_deref() != Some("Table"))
            {
                problems.push(format!("{}: {a} must be on !GetAtt Table.Arn only", f.id));
            }
            let allowed = TABLE_ACTIONS.contains(&a.as_str())
                || [
                    "sns:Publish",
                    "ses:SendEmail",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                ]
                .contains(&a.as_str());
            if !allowed {
                problems.push(format!("{}: unexpected action {a}", f.id));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// CloudFront sends exactly the flow paths to the HTTP API, uncached, with cookies.
#[test]
fn cloudfront_forwards_route_paths_to_api() {
    let t = template();
    let dists = resources_of_type(&t, "AWS::CloudFront::Distribution");
    assert_eq!(dists.len(), 1, "expected one CloudFront distribution");
    let cfg = &dists[0].1["Properties"]["DistributionConfig"];
    let mut problems = vec![];

    let origins = cfg["Origins"].as_sequence().expect("Origins");
    let api_origin = origins
        .iter()
        .find(|o| o.get("CustomOriginConfig").is_some())
        .and_then(|o| o["Id"].as_str())
        .expect("an HTTP API (custom) origin");
    let behaviours = cfg["CacheBehaviors"].as_sequence().expect("CacheBehaviors");
    let api_patterns: Vec<&str> = behaviours
        .iter()
        .filter(|b| b["TargetOriginId"].as_str() == Some(api_origin))
        .map(|b| str_of(&b["PathPattern"], "PathPattern"))
        .collect();
    for b in behaviours
        .iter()
        .filter(|b| b["TargetOriginId"].as_str() == Some(api_origin))
    {
        let pat = b["PathPattern"].as_str().unwrap_or("?");
        if b["CachePolicyId"].as_str() != Some(CACHING_DISABLED) {
            problems.push(format!(
                "{pat}: CachePolicyId must be Managed-CachingDisabled"
            ));
        }
        if b["OriginRequestPolicyId"].as_str() != Some(ALL_VIEWER_EXCEPT_HOST_HEADER) {
            problems.push(format!(
                "{pat}: OriginRequestPolicyId must be Managed-AllViewerExceptHostHeader"
            ));
        }
        if !strings(&b["AllowedMethods"]).iter().any(|m| m == "POST") {
            problems.push(format!("{pat}: AllowedMethods must include POST"));
        }
        if b.get("ResponseHeadersPolicyId").is_none() {
            problems.push(format!("{pat}: no ResponseHeadersPolicyId"));
        }
    }
    // Exactly the API path space: a prefix ending in '/' is `prefix*`; any other prefix
    // is the path itself and its subtree (`/accesso`, `/accesso/*`).
    let want_patterns: BTreeSet<String> = routes::API_PATH_PREFIXES
        .iter()
        .flat_map(|p| {
            if p.ends_with('/') {
                vec![format!("{p}*")]
            } else {
                vec![p.to_string(), format!("{p}/*")]
            }
        })
        .collect();
    let got_patterns: BTreeSet<String> = api_patterns.iter().map(|p| p.to_string()).collect();
    if let Some(d) = diff(
        "API cache behaviours",
        &got_patterns,
        "patterns from shared::routes::API_PATH_PREFIXES",
        &want_patterns,
    ) {
        problems.push(d);
    }
    let flow_paths = [
        routes::LOGIN,
        routes::LOGIN_OTP,
        routes::ACCOUNT,
        routes::LOGOUT,
        routes::RECOVER,
        routes::RECOVER_OTP,
        routes::RECOVER_RESET,
    ];
    for path in ROUTES.iter().map(|r| r.path).chain(flow_paths) {
        if !api_patterns.iter().any(|p| glob(p, path)) {
            problems.push(format!(
                "flow path {path} is matched by no API cache behaviour (patterns {api_patterns:?})"
            ));
        }
    }
    for r in ROUTES {
        if !api_patterns.iter().any(|p| glob(p, r.path)) {
            problems.push(format!(
                "route {} {} is matched by no API cache behaviour (patterns {api_patterns:?})",
                r.method, r.path
            ));
        }
    }
    let statics = [
        routes::HOME,
        routes::NEWS,
        routes::DOCUMENTS,
        routes::CONTACTS,
        routes::PRIVACY,
        "/index.html",
        "/404.html",
    ];
    for s in statics {
        if let Some(p) = api_patterns.iter().find(|p| glob(p, s)) {
            problems.push(format!(
                "static path {s} would be sent to the API by pattern {p}"
            ));
        }
    }
    for b in std::iter::once(&cfg["DefaultCacheBehavior"]).chain(behaviours.iter()) {
        let vpp = b["ViewerProtocolPolicy"].as_str();
        if !matches!(vpp, Some("redirect-to-https" | "https-only")) {
            problems.push(format!(
                "{:?}: ViewerProtocolPolicy {vpp:?}",
                b.get("PathPattern")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The CSP the brief fixes: no 'unsafe-inline'.
    let policy = resources_of_type(&t, "AWS::CloudFront::ResponseHeadersPolicy");
    let csp = policy[0].1["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
        ["ContentSecurityPolicy"]["ContentSecurityPolicy"]
        .as_str()
        .expect("a ContentSecurityPolicy");
    assert!(
        !csp.contains("unsafe-inline"),
        "CSP must not allow unsafe-inline: {csp}"
    );
    for d in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(d), "CSP lacks {d}: {csp}");
    }
}

#[test]
fn glob_matches_like_cloudfront() {
    assert!(glob("/registrazione/*", "/registrazione/numero"));
    assert!(!glob("/registrazione/*", "/registrazione"));
    assert!(glob("/accesso", "/accesso"));
    assert!(!glob("/accesso", "/accesso/codice"));
    assert!(glob("/a?c", "/abc"));
    assert!(glob("*", "/"));
}

/// Every Ref / GetAtt / ${Sub} names a parameter, resource or pseudo parameter, and
/// every condition used exists. (cfn-lint does not reliably report bad Refs inside
/// SAM Globals, so this is checked here as well.)
#[test]
fn references_resolve() {
    let t = template();
    let mut names: BTreeSet<String> = [
        "AWS::AccountId",
        "AWS::NoValue",
        "AWS::NotificationARNs",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    for section in ["Parameters", "Resources"] {
        names.extend(
            t[section]
                .as_mapping()
                .into_iter()
                .flatten()
                .map(|(k, _)| str_of(k, section).to_owned()),
        );
    }
    let conditions: BTreeSet<String> = t["Conditions"]
        .as_mapping()
        .into_iter()
        .flatten()
        .map(|(k, _)| str_of(k, "condition").to_owned())
        .collect();

    fn walk(
        v: &Value,
        at: &str,
        names: &BTreeSet<String>,
        conds: &BTreeSet<String>,
        out: &mut Vec<String>,
    ) {
        if let Some((f, arg)) = intrinsic(v) {
            match f.as_str() {
                "Ref" => {
                    let n = arg.as_str().unwrap_or_default();
                    if !names.contains(n) {
                        out.push(format!("{at}: !Ref {n} names nothing"));
                    }
                }
                "Fn::GetAtt" => {
                    let n = getatt_target(v).unwrap_or_default();
                    if !names.contains(&n) {
                        out.push(format!("{at}: !GetAtt {n}... names nothing"));
                    }
                }
                "Fn::Sub" => {
                    let (s, locals): (&str, BTreeSet<String>) = match arg {
                        Value::String(s) => (s, BTreeSet::new()),
                        Value::Sequence(x) => (
                            x.first().and_then(Value::as_str).unwrap_or_default(),
                            x.get(1)
                                .and_then(Value::as_mapping)
                                .into_iter()
                                .flatten()
                                .filter_map(|(k, _)| k.as_str().map(str::to_owned))
                                .collect(),
                        ),
                        _ => ("", BTreeSet::new()),
                    };
                    let mut rest = s;
                    while let Some(i) = rest.find("${") {
                        let after = &rest[i + 2..];
                        let end = after.find('}').unwrap_or(after.len());
                        let var = &after[..end];
                        if !var.starts_with('!') {
                            let base = var.split('.').next().unwrap_or_default();
                            if !names.contains(base) && !locals.contains(base) {
                                out.push(format!("{at}: !Sub ${{{var}}} names nothing"));
                            }
                        }
                        rest = &after[end.min(after.len())..];
                    }
                }
                "Fn::If" => {
                    let c = arg
                        .as_sequence()
                        .and_then(|s| s.first())
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if !conds.contains(c) {
                        out.push(format!("{at}: !If {c} names no condition"));
                    }
                }
                "Condition" => {
                    let c = arg.as_str().unwrap_or_default();
                    if !conds.contains(c) {
                        out.push(format!("{at}: !Condition {c} names no condition"));
                    }
                }
                _ => {}
            }
            walk(arg, at, names, conds, out);
            return;
        }
        match v {
            Value::Mapping(m) => {
                for (k, x) in m {
                    let k = k.as_str().unwrap_or("?");
                    if k == "Condition" {
                        if let Some(c) = x.as_str() {
                            if !conds.contains(c) {
                                out.push(format!("{at}: Condition {c} names no condition"));
                            }
                        }
                    }
                    walk(x, &format!("{at}.{k}"), names, conds, out);
                }
            }
            Value::Sequence(s) => {
                for (i, x) in s.iter().enumerate() {
                    walk(x, &format!("{at}[{i}]"), names, conds, out);
                }
            }
            Value::Tagged(tv) => walk(&tv.value, at, names, conds, out),
            _ => {}
        }
    }
    let mut problems = vec![];
    for section in ["Conditions", "Globals", "Resources", "Outputs"] {
        walk(&t[section], section, &names, &conditions, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn outputs_and_parameters_present() {
    let t = template();
    let missing = |section: &str, want: &[&str]| -> Vec<String> {
        want.iter()
            .filter(|k| t[section].get(**k).is_none())
            .map(|k| format!("{section}.{k}"))
            .collect()
    };
    let mut m = missing(
        "Outputs",
        &[
            "SiteUrl",
            "ApiUrl",
            "BucketName",
            "DistributionId",
            "TableName",
        ],
    );
    m.extend(missing(
        "Parameters",
        &[
            "Stage",
            "DomainName",
            "CertificateArn",
            "EmailFromAddress",
            "EmailFromName",
            "SmsSenderId",
            "SmsMonthlySpendLimit",
            "SmsGlobalHourlyBudget",
            "AlarmEmail",
            "FlowSecret",
        ],
    ));
    assert!(m.is_empty(), "missing: {m:?}");
    assert_eq!(
        t["Parameters"]["FlowSecret"]["NoEcho"].as_bool(),
        Some(true),
        "FlowSecret must be NoEcho"
    );
    assert_eq!(
        t["Transform"].as_str(),
        Some("AWS::Serverless-2016-10-31"),
        "Transform"
    );
}

/// The global SMS budget's refusal logs `alert=sms_global_budget_exhausted`
/// (shared::sms): every SMS step's log group turns that line into a metric, and an alarm
/// on the metric notifies ops.
#[test]
fn sms_budget_alert_reaches_ops() {
    let t = template();
    let filters = resources_of_type(&t, "AWS::Logs::MetricFilter");
    let mut metric = None;
    for f in SMS_STEPS {
        let log_group = format!("{}LogGroup", pascal(f));
        let found = filters.iter().find(|(_, r)| {
            ref_target(&r["Properties"]["LogGroupName"]) == Some(log_group.as_str())
        });
        let (_, r) = found.unwrap_or_else(|| panic!("{f}: no MetricFilter on {log_group}"));
        assert!(
            str_of(&r["Properties"]["FilterPattern"], "FilterPattern")
                .contains("sms_global_budget_exhausted"),
            "{f}"
        );
        let name = str_of(
            &r["Properties"]["MetricTransformations"][0]["MetricName"],
            "MetricName",
        )
        .to_owned();
        assert_eq!(
            *metric.get_or_insert(name.clone()),
            name,
            "one metric for every step"
        );
    }
    let metric = metric.unwrap();
    let alarmed = resources_of_type(&t, "AWS::CloudWatch::Alarm")
        .iter()
        .any(|(_, a)| a["Properties"]["MetricName"].as_str() == Some(metric.as_str()));
    assert!(alarmed, "an alarm on {metric}");
}
