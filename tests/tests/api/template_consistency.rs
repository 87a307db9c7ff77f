//! `infra/template.yaml` (AWS SAM) and `infra/waf.yaml` against the code's single sources
//! of truth: the route table (`shared::routes`), the table access of each function
//! (`shared::access`), the table's key design (`shared::store::schema`), the configuration
//! variables (`shared::config::vars`), the edge headers (`shared::edge`), the outbox queue
//! and its consumer (`shared::access::MESSAGING`) and the crates under `functions/`. Pure
//! file parsing: no AWS, no LocalStack, no network.
//! `infra/scripts/validate.sh` runs the SAM transform and cfn-lint on top of this.
//! The REST API and its regional WAF (only CloudFront gets in) are `template_edge.rs`'s.

use serde_yaml::{Mapping, Value};
use shared::access::{self, Action};
use shared::config::vars;
use shared::edge;
use shared::routes::{self, ROUTES};
use shared::store::schema;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

// ------------------------------------------------------------------ test data

/// Steps that send an SMS: the only ones with a reserved concurrency and the budget alert.
/// They (and the email steps) post to the outbox queue; only send-messages has sns:Publish.
const SMS_STEPS: &[&str] = &[
    "register-number",
    "register-otp",
    // The code to the old registration's SIM after PROSEGUI on a person-only match.
    "register-profile",
    "login",
    "login-otp",
    "recover-start",
    "recover-otp",
    "recover-reset",
    "account-delete",
    "account-delete-otp",
];
/// Steps that send an email (through the outbox; only send-messages has ses:SendEmail).
const EMAIL_STEPS: &[&str] = &[
    // The link to the old registration's address after PROSEGUI on a person-only match.
    "register-profile",
    "register-email",
    "register-password",
    "recover-start",
    "recover-otp",
    "recover-reset",
    "login-otp",
    "account-password",
    "account-email",
    "account-email-confirm",
    "account-delete-otp",
];
/// Steps that hash passwords with argon2id (m = 19 MiB): they get 512 MB.
const PASSWORD_STEPS: &[&str] = &[
    "register-password",
    "login",
    "recover-reset",
    // The private area verifies (or hashes) the password before a sensitive change.
    "account-password",
    "account-email",
    "account-delete",
];
/// Steps whose role may write an account item (its password hash, its session epoch).
const ACCOUNT_WRITERS: &[&str] = &[
    "register-password",
    "login",
    "login-otp",
    "recover-reset",
    "account-password",
    "account-email-confirm",
    "account-consents",
    "account-delete-otp",
    "account-sessions",
];
/// Viewer headers the functions read (shared::web: CSRF check, form parsing); CloudFront
/// must forward them, or `check_same_origin` sees no `Origin` and lets a cross-site POST in.
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

// -------------------------------------------------------------------- helpers

pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `infra/template.yaml`, or the file named by `INFRA_TEMPLATE` (to try the checks on a
/// modified copy).
pub(crate) fn template() -> Value {
    load(
        std::env::var_os("INFRA_TEMPLATE")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo().join("infra/template.yaml")),
    )
}

/// `infra/waf.yaml` (or `INFRA_WAF_TEMPLATE`), the us-east-1 companion stack.
fn waf_template() -> Value {
    load(
        std::env::var_os("INFRA_WAF_TEMPLATE")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo().join("infra/waf.yaml")),
    )
}

fn load(path: PathBuf) -> Value {
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
pub(crate) fn intrinsic(v: &Value) -> Option<(String, &Value)> {
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
pub(crate) fn ref_target(v: &Value) -> Option<&str> {
    match intrinsic(v)? {
        (n, arg) if n == "Ref" => arg.as_str(),
        _ => None,
    }
}

/// The resource of `!GetAtt X.Attr` / `!GetAtt [X, Attr]`.
pub(crate) fn getatt_target(v: &Value) -> Option<String> {
    match intrinsic(v)? {
        (n, arg) if n == "Fn::GetAtt" => match arg {
            Value::String(s) => s.split('.').next().map(str::to_owned),
            Value::Sequence(s) => s.first()?.as_str().map(str::to_owned),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what}: expected a plain string, found {v:?}"))
}

pub(crate) fn map<'a>(v: &'a Value, what: &str) -> &'a Mapping {
    v.as_mapping()
        .unwrap_or_else(|| panic!("{what}: expected a mapping, found {v:?}"))
}

pub(crate) fn resources(t: &Value) -> &Mapping {
    map(
        t.get("Resources").expect("template has no Resources"),
        "Resources",
    )
}

pub(crate) fn resource<'a>(t: &'a Value, id: &str) -> &'a Value {
    resources(t)
        .get(id)
        .unwrap_or_else(|| panic!("template has no resource {id}"))
}

pub(crate) fn resources_of_type<'a>(t: &'a Value, ty: &str) -> Vec<(&'a str, &'a Value)> {
    resources(t)
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(ty))
        .map(|(k, r)| (str_of(k, "resource id"), r))
        .collect()
}

/// The strings of a value that is one string or a list of strings.
pub(crate) fn strings(v: &Value) -> Vec<String> {
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
pub(crate) struct Function<'a> {
    pub(crate) id: &'a str,
    pub(crate) krate: String,
    pub(crate) resource: &'a Value,
}

impl<'a> Function<'a> {
    pub(crate) fn props(&self) -> &'a Value {
        self.resource
            .get("Properties")
            .unwrap_or_else(|| panic!("{} has no Properties", self.id))
    }
}

/// Every AWS::Serverless::Function, with its crate (from `CodeUri: ../functions/<crate>`).
pub(crate) fn functions(t: &Value) -> Vec<Function<'_>> {
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

/// The route table's functions and the queue's (`shared::access::functions`).
fn all_functions() -> BTreeSet<String> {
    access::functions().into_iter().map(str::to_owned).collect()
}

/// CloudFront path pattern match: `*` any run of characters (including `/`), `?` one.
pub(crate) fn glob(pattern: &str, path: &str) -> bool {
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
pub(crate) fn statements<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
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

/// The statements of a role: its inline policies and its managed policies of this template.
pub(crate) fn role_statements<'a>(t: &'a Value, role_id: &str) -> Vec<&'a Value> {
    let role = resource(t, role_id);
    let mut docs: Vec<&Value> = vec![];
    for mp in role["Properties"]["ManagedPolicyArns"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        match ref_target(mp) {
            Some(id) => docs.push(&resource(t, id)["Properties"]["PolicyDocument"]),
            None => panic!(
                "{role_id}: ManagedPolicyArns must be !Ref to this template's policies, found {mp:?}"
            ),
        }
    }
    for ip in role["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        docs.push(&ip["PolicyDocument"]);
    }
    let mut out = vec![];
    for d in docs {
        let mut sts = vec![];
        statements(d, String::new(), &mut sts);
        out.extend(sts.into_iter().map(|(_, st)| st));
    }
    out
}

/// The YAML of the `table` inline policy statements that grant what `shared::access`
/// declares for `krate` (printed when a role differs, to paste into the template).
fn table_statements_yaml(krate: &str) -> String {
    let quoted = |v: &[String]| {
        v.iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    access::statements(krate)
        .into_iter()
        .map(|s| {
            let actions: Vec<String> = s.actions.iter().map(|a| a.to_string()).collect();
            format!(
                // One piece per YAML line: a `\` continuation would eat the indentation.
                concat!(
                    "              - Effect: Allow\n",
                    "                Action: [{}]\n",
                    "                Resource: !GetAtt Table.Arn\n",
                    "                Condition:\n",
                    "                  ForAllValues:StringLike:\n",
                    "                    dynamodb:LeadingKeys: [{}]\n",
                ),
                quoted(&actions),
                quoted(&s.leading_keys)
            )
        })
        .collect()
}

// ---------------------------------------------------------------------- tests

/// (a) The template's functions, the crates under functions/ and the route table (with the
/// queue's consumer, `shared::access::QUEUE_FUNCTIONS`) agree.
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
    let in_code = all_functions();
    let problems: Vec<String> = [
        diff("functions/", &crates, "infra/template.yaml", &in_template),
        diff(
            "functions/",
            &crates,
            "shared::access::functions() (ROUTES + QUEUE_FUNCTIONS)",
            &in_code,
        ),
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
        "shared::access::functions() (ROUTES + QUEUE_FUNCTIONS)",
        &all_functions(),
    ) {
        panic!("template functions disagree with the route table and the queue's: {d}");
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

/// (b) Each function's Api events (methods of the REST API `Api`, issue 22) are exactly its
/// rows of the route table (the queue's consumer has none:
/// `outbox_queue_consumer_and_dead_letters`).
#[test]
fn api_events_match_route_table() {
    let t = template();
    let mut problems = vec![];
    let mut declared: BTreeSet<(String, String)> = BTreeSet::new();
    for f in functions(&t) {
        if access::QUEUE_FUNCTIONS.contains(&f.krate.as_str()) {
            continue;
        }
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
            if ty != Some("Api") {
                problems.push(format!(
                    "{}: event {name} has Type {ty:?}, expected Api (a REST API method)",
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
            if p.get("RestApiId").and_then(ref_target) != Some("Api") {
                problems.push(format!(
                    "{}: event {name} must have RestApiId: !Ref Api",
                    f.id
                ));
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
                "{} ({}): routes in ROUTES but not in the template: {missing:?}; in the template but not in ROUTES: \
                    {extra:?}",
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
        vars::SMS_GLOBAL_HOURLY_BUDGET,
        vars::COOKIE_SECURE,
        vars::OUTBOX_QUEUE_URL,
        vars::STAGE,
        vars::FLOW_SECRET_ARN,
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
        // FLOW_SECRET_ARN only for the functions that read the secret (template_secrets.rs).
        let mut expected = from_source.clone();
        if !shared::access::reads_flow_secret(&f.krate) {
            expected.remove(vars::FLOW_SECRET_ARN);
        }
        if let Some(d) = diff(
            "shared::config::vars",
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

/// Least privilege: per-function roles; messaging exactly as `shared::access::MESSAGING`
/// (sqs:SendMessage on the outbox queue for the steps that send SMS or email; the queue's
/// consume actions, sns:Publish and ses:SendEmail for send-messages only); no wildcard
/// actions in any Allow statement.
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
        let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for st in role_statements(&t, role_id) {
            if st["Effect"].as_str() == Some("Allow") {
                for a in strings(&st["Action"]) {
                    out.entry(a).or_default().push(st["Resource"].clone());
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
        let messaging: BTreeSet<&str> = actions
            .keys()
            .map(String::as_str)
            .filter(|a| ["sqs:", "sns:", "ses:"].iter().any(|p| a.starts_with(p)))
            .collect();
        let want = access::messaging_actions(k);
        if messaging != want {
            problems.push(format!(
                "{}: messaging actions {messaging:?}, but shared::access::MESSAGING says {want:?}",
                f.id
            ));
        }
        for (a, rs) in actions.iter().filter(|(a, _)| a.starts_with("sqs:")) {
            if rs
                .iter()
                .any(|r| getatt_target(r).as_deref() != Some("OutboxQueue"))
            {
                problems.push(format!(
                    "{}: {a} must be on !GetAtt OutboxQueue.Arn only",
                    f.id
                ));
            }
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
            let allowed = Action::ALL.iter().any(|x| x.iam() == a)
                || access::messaging_actions(access::SEND_MESSAGES).contains(a.as_str())
                || access::messaging_actions("login").contains(a.as_str())
                || ["logs:CreateLogStream", "logs:PutLogEvents"].contains(&a.as_str())
                // Only on the flow secret, for its readers: template_secrets.rs.
                || (a == "secretsmanager:GetSecretValue" && access::reads_flow_secret(k));
            if !allowed {
                problems.push(format!("{}: unexpected action {a}", f.id));
            }
        }
    }
    // The steps that send SMS or email are exactly the outbox's posters.
    let senders: BTreeSet<&str> = SMS_STEPS.iter().chain(EMAIL_STEPS).copied().collect();
    let posters: BTreeSet<&str> = access::MESSAGING
        .iter()
        .filter(|(_, m)| *m == access::Messaging::Posts)
        .map(|(f, _)| *f)
        .collect();
    if senders != posters {
        problems.push(format!(
            "SMS_STEPS + EMAIL_STEPS {senders:?} differ from the outbox posters of shared::access {posters:?}"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The outbox: send-messages consumes `OutboxQueue` through one SQS event that reports
/// batch item failures, the queue redrives to `OutboxDeadLetterQueue` after 5 receives
/// (the settings `portale-admin bootstrap` gives local queues), its visibility timeout is
/// at least 6 x the function's timeout, and an alarm fires on any message in the DLQ.
#[test]
fn outbox_queue_consumer_and_dead_letters() {
    let t = template();
    let mut problems = vec![];
    let local = portale_admin::bootstrap::TEMPLATE_QUEUE;

    let q = &resource(&t, "OutboxQueue")["Properties"];
    let redrive = &q["RedrivePolicy"];
    if getatt_target(&redrive["deadLetterTargetArn"]).as_deref() != Some("OutboxDeadLetterQueue") {
        problems.push("OutboxQueue must redrive to !GetAtt OutboxDeadLetterQueue.Arn".into());
    }
    if redrive["maxReceiveCount"].as_u64() != Some(u64::from(local.max_receive_count)) {
        problems.push(format!(
            "OutboxQueue maxReceiveCount {:?}, expected {}",
            redrive["maxReceiveCount"], local.max_receive_count
        ));
    }
    let visibility = q["VisibilityTimeout"].as_u64().unwrap_or(30);
    if visibility != u64::from(local.visibility_timeout_secs) {
        problems.push(format!(
            "OutboxQueue VisibilityTimeout {visibility} differs from bootstrap's TEMPLATE_QUEUE {}",
            local.visibility_timeout_secs
        ));
    }
    for id in ["OutboxQueue", "OutboxDeadLetterQueue"] {
        if resource(&t, id)["Properties"]["SqsManagedSseEnabled"].as_bool() != Some(true) {
            problems.push(format!("{id}: SqsManagedSseEnabled must be true"));
        }
    }

    let consumers: Vec<_> = functions(&t)
        .into_iter()
        .filter(|f| access::QUEUE_FUNCTIONS.contains(&f.krate.as_str()))
        .collect();
    assert_eq!(consumers.len(), access::QUEUE_FUNCTIONS.len());
    for f in consumers {
        let timeout = f
            .props()
            .get("Timeout")
            .or_else(|| t["Globals"]["Function"].get("Timeout"))
            .and_then(Value::as_u64)
            .unwrap_or(3);
        if visibility < 6 * timeout {
            problems.push(format!(
                "OutboxQueue VisibilityTimeout {visibility} < 6 x {} Timeout {timeout}",
                f.id
            ));
        }
        if f.props().get("ReservedConcurrentExecutions").is_some() {
            problems.push(format!(
                "{}: bound by the event source's ScalingConfig, no reserved concurrency",
                f.id
            ));
        }
        let events = map(&f.props()["Events"], &format!("{}.Events", f.id));
        if events.len() != 1 {
            problems.push(format!("{}: exactly one event, the outbox queue", f.id));
        }
        for (name, ev) in events {
            let p = &ev["Properties"];
            if ev["Type"].as_str() != Some("SQS")
                || getatt_target(&p["Queue"]).as_deref() != Some("OutboxQueue")
            {
                problems.push(format!(
                    "{}: event {name:?} must be Type SQS on !GetAtt OutboxQueue.Arn",
                    f.id
                ));
            }
            if strings(&p["FunctionResponseTypes"]) != ["ReportBatchItemFailures"] {
                problems.push(format!(
                    "{}: FunctionResponseTypes must be [ReportBatchItemFailures] (send_messages::handle answers batch \
                        item failures)",
                    f.id
                ));
            }
            if p["BatchSize"].as_u64().is_some_and(|b| b > 10) {
                problems.push(format!("{}: BatchSize > 10 needs a batching window", f.id));
            }
        }
    }

    let dlq_alarm = resources_of_type(&t, "AWS::CloudWatch::Alarm")
        .into_iter()
        .any(|(_, a)| {
            let p = &a["Properties"];
            p["Namespace"].as_str() == Some("AWS/SQS")
                && p["MetricName"].as_str() == Some("ApproximateNumberOfMessagesVisible")
                && p["Threshold"].as_f64() == Some(0.0)
                && p["ComparisonOperator"].as_str() == Some("GreaterThanThreshold")
                && p["Dimensions"].as_sequence().is_some_and(|d| {
                    d.iter().any(|x| {
                        x["Name"].as_str() == Some("QueueName")
                            && getatt_target(&x["Value"]).as_deref()
                                == Some("OutboxDeadLetterQueue")
                    })
                })
                && ref_target(&p["AlarmActions"][0]) == Some("AlarmTopic")
        });
    if !dlq_alarm {
        problems.push(
            "no alarm on OutboxDeadLetterQueue ApproximateNumberOfMessagesVisible > 0".into(),
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// CloudFront sends exactly the flow paths to the REST API, uncached, with cookies.
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
        .expect("an API (custom) origin");
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
        let orp = b["OriginRequestPolicyId"].clone();
        let orp_type = ref_target(&orp)
            .and_then(|id| resources(&t).get(id))
            .and_then(|r| r["Type"].as_str());
        if orp_type != Some("AWS::CloudFront::OriginRequestPolicy") {
            problems.push(format!(
                "{pat}: OriginRequestPolicyId must be !Ref the template's origin request policy (checked by \
                    cloudfront_edge_secret_and_viewer_address)"
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
    check_references(&template(), "infra/template.yaml");
    check_references(&waf_template(), "infra/waf.yaml");
}

fn check_references(t: &Value, file: &str) {
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
    for section in ["Conditions", "Rules", "Globals", "Resources", "Outputs"] {
        walk(&t[section], section, &names, &conditions, &mut problems);
    }
    assert!(problems.is_empty(), "{file}:\n{}", problems.join("\n"));
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
            "WebAclArn",
            "LoginReservedConcurrency",
        ],
    ));
    assert!(m.is_empty(), "missing: {m:?}");
    // No secret is a parameter: the flow secret is always generated (template_secrets.rs).
    assert!(
        t["Parameters"].get("FlowSecret").is_none(),
        "FlowSecret: the flow secret is generated, never given"
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

/// (e) Least privilege on the table: each function's role grants exactly what
/// `shared::access` declares, as (action, `dynamodb:LeadingKeys` pattern) pairs, in
/// statements conditioned on `ForAllValues:StringLike` (a statement without it would open
/// every key). Only the three account-writing steps may write `ACCOUNT#`.
#[test]
fn table_access_matches_shared_access() {
    let t = template();
    let mut problems = vec![];
    let mut account_writers = BTreeSet::new();
    for f in functions(&t) {
        let Some(role_id) = f.props().get("Role").and_then(getatt_target) else {
            problems.push(format!("{}: Role must be !GetAtt <its role>.Arn", f.id));
            continue;
        };
        let mut got: BTreeSet<(String, String)> = BTreeSet::new();
        // The statements themselves, not only the pairs: AWS allows a multi-key request only
        // if ONE statement holds all its keys (`shared::access::statements`, template_iam.rs).
        let mut got_statements: BTreeSet<(Vec<String>, Vec<String>)> = BTreeSet::new();
        for st in role_statements(&t, &role_id) {
            let actions: Vec<String> = strings(&st["Action"])
                .into_iter()
                .filter(|a| a.starts_with("dynamodb:"))
                .collect();
            if actions.is_empty() {
                continue;
            }
            if st["Effect"].as_str() != Some("Allow") {
                problems.push(format!("{role_id}: a DynamoDB statement that is not Allow"));
                continue;
            }
            let cond = st.get("Condition").and_then(Value::as_mapping);
            let leading = cond
                .filter(|c| c.len() == 1)
                .and_then(|c| c.get("ForAllValues:StringLike"))
                .and_then(Value::as_mapping)
                .filter(|m| m.len() == 1)
                .and_then(|m| m.get("dynamodb:LeadingKeys"))
                .map(strings)
                .unwrap_or_default();
            if leading.is_empty() {
                problems.push(format!(
                    "{role_id}: statement {actions:?} must have exactly Condition: ForAllValues:StringLike: \
                        dynamodb:LeadingKeys: [...]"
                ));
                continue;
            }
            for a in &actions {
                got.extend(leading.iter().map(|k| (a.clone(), k.clone())));
            }
            let (mut actions, mut leading) = (actions, leading);
            actions.sort();
            leading.sort();
            got_statements.insert((actions, leading));
        }
        if got.iter().any(|(a, k)| {
            Action::ALL.iter().any(|x| x.is_write() && x.iam() == a)
                && glob(k, &format!("{}x", access::ACCOUNT))
        }) {
            account_writers.insert(f.krate.clone());
        }
        let want: BTreeSet<(String, String)> = access::pairs(&f.krate)
            .into_iter()
            .map(|(a, k)| (a.to_owned(), k))
            .collect();
        let want_statements: BTreeSet<(Vec<String>, Vec<String>)> = access::statements(&f.krate)
            .into_iter()
            .map(|s| {
                let mut actions: Vec<String> = s.actions.iter().map(|a| a.to_string()).collect();
                actions.sort();
                let mut leading = s.leading_keys;
                leading.sort();
                (actions, leading)
            })
            .collect();
        if got != want || got_statements != want_statements {
            problems.push(format!(
                "{} ({role_id}): table access differs from shared::access\n  missing: {:?}\n  not declared: {:?}\n  \
                    statements not grouped as shared::access::statements (one per action): {}\n  \
                    the statements of its `table` policy should be:\n{}",
                f.id,
                want.difference(&got).collect::<Vec<_>>(),
                got.difference(&want).collect::<Vec<_>>(),
                got_statements != want_statements,
                table_statements_yaml(&f.krate)
            ));
        }
    }
    let want_writers: BTreeSet<String> = ACCOUNT_WRITERS.iter().map(|s| s.to_string()).collect();
    if let Some(d) = diff(
        "roles writing ACCOUNT#",
        &account_writers,
        "ACCOUNT_WRITERS",
        &want_writers,
    ) {
        problems.push(d);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The secret of a `!Sub "{{resolve:secretsmanager:${X}:SecretString}}"` value: X.
pub(crate) fn resolved_secret(v: &Value) -> Option<String> {
    let (f, arg) = intrinsic(v)?;
    let s = (f == "Fn::Sub").then(|| arg.as_str())??;
    let inner = s
        .strip_prefix("{{resolve:secretsmanager:${")?
        .strip_suffix("}:SecretString}}")?;
    Some(inner.to_owned())
}

/// The flow secret's resource (its name reaches the functions as `FLOW_SECRET_ARN`).
pub(crate) const FLOW_SECRET_RESOURCE: &str = "FlowSecretValue";

/// Whether the resource `id` is a Secrets Manager secret generated as a header value
/// (>= 32 alphanumerics): what CloudFront sends as the origin secret and the API's WAF admits.
pub(crate) fn is_generated_header_secret(t: &Value, id: &str) -> bool {
    let r = resource(t, id);
    let gen = &r["Properties"]["GenerateSecretString"];
    r["Type"].as_str() == Some("AWS::SecretsManager::Secret")
        && gen["PasswordLength"].as_u64().unwrap_or(0) >= 32
        && gen["ExcludePunctuation"].as_bool() == Some(true)
}

/// (f) The edge (issue 13 item 10, issue 22 item 2): CloudFront adds `x-origin-verify` to
/// every API request from a generated secret of its own (not FLOW_SECRET's; which the
/// API's web ACL requires and no function holds: `template_edge.rs`), and the API
/// behaviours' origin request policy forwards the viewer address and the headers the
/// functions read.
#[test]
fn cloudfront_edge_secret_and_viewer_address() {
    let t = template();
    let mut problems = vec![];

    let cfg = &resources_of_type(&t, "AWS::CloudFront::Distribution")[0].1["Properties"]
        ["DistributionConfig"];
    let api = cfg["Origins"]
        .as_sequence()
        .expect("Origins")
        .iter()
        .find(|o| o.get("CustomOriginConfig").is_some())
        .expect("an API origin");
    let custom: Vec<(String, Option<String>)> = api["OriginCustomHeaders"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                h["HeaderName"].as_str().unwrap_or_default().to_lowercase(),
                resolved_secret(&h["HeaderValue"]),
            )
        })
        .collect();
    let verify: Vec<_> = custom
        .iter()
        .filter(|(n, _)| n == edge::ORIGIN_VERIFY_HEADER)
        .collect();
    match verify.as_slice() {
        [(_, Some(id))] => {
            if !is_generated_header_secret(&t, id) {
                problems.push(format!(
                    "{id}: must be a generated secret of >= 32 alphanumerics (a header value)"
                ));
            }
            if id == FLOW_SECRET_RESOURCE {
                problems.push("the origin secret must not be FLOW_SECRET's secret".into());
            }
        }
        _ => problems.push(format!(
            "the API origin must send {} from a Secrets Manager secret (found {custom:?})",
            edge::ORIGIN_VERIFY_HEADER
        )),
    }

    let policies = resources_of_type(&t, "AWS::CloudFront::OriginRequestPolicy");
    let behaviours = cfg["CacheBehaviors"].as_sequence().expect("CacheBehaviors");
    let api_id = api["Id"].as_str();
    let mut used = BTreeSet::new();
    for b in behaviours
        .iter()
        .filter(|b| b["TargetOriginId"].as_str() == api_id)
    {
        let id = ref_target(&b["OriginRequestPolicyId"]);
        match policies.iter().find(|(pid, _)| Some(*pid) == id) {
            Some((pid, _)) => {
                used.insert(*pid);
            }
            None => problems.push(format!(
                "{:?}: OriginRequestPolicyId must be !Ref an AWS::CloudFront::OriginRequestPolicy",
                b["PathPattern"]
            )),
        }
    }
    for (pid, p) in policies.iter().filter(|(pid, _)| used.contains(pid)) {
        let c = &p["Properties"]["OriginRequestPolicyConfig"];
        if c["CookiesConfig"]["CookieBehavior"].as_str() != Some("all") {
            problems.push(format!("{pid}: must forward all cookies"));
        }
        if c["QueryStringsConfig"]["QueryStringBehavior"].as_str() != Some("all") {
            problems.push(format!("{pid}: must forward all query strings"));
        }
        // whitelist: the Host must stay the API's, and CloudFront headers such as the
        // viewer address can only be added by naming them.
        if c["HeadersConfig"]["HeaderBehavior"].as_str() != Some("whitelist") {
            problems.push(format!("{pid}: HeaderBehavior must be whitelist"));
        }
        let headers: BTreeSet<String> = strings(&c["HeadersConfig"]["Headers"])
            .iter()
            .map(|h| h.to_lowercase())
            .collect();
        let expected: BTreeSet<String> = edge::FORWARDED_VIEWER_HEADERS
            .iter()
            .map(|h| h.to_string())
            .collect();
        if headers != expected {
            problems.push(format!(
                "{pid}: must forward exactly shared::edge::FORWARDED_VIEWER_HEADERS {expected:?}, \
                found {headers:?}"
            ));
        }
        for h in ["host", edge::ORIGIN_VERIFY_HEADER] {
            if headers.contains(h) {
                problems.push(format!("{pid}: must not forward the viewer's {h}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// (g) The WAF (issue 13 item 13): a CLOUDFRONT web ACL in infra/waf.yaml with a per-IP
/// rate rule on each flood-prone path and the AWS common / known-bad-inputs groups; its
/// ARN is an optional parameter of the main stack, set as the distribution's WebACLId.
#[test]
fn waf_protects_the_flood_prone_paths() {
    let w = waf_template();
    let acls = resources_of_type(&w, "AWS::WAFv2::WebACL");
    assert_eq!(acls.len(), 1, "infra/waf.yaml: one AWS::WAFv2::WebACL");
    let (acl_id, acl) = acls[0];
    let p = &acl["Properties"];
    assert_eq!(p["Scope"].as_str(), Some("CLOUDFRONT"), "{acl_id}: Scope");
    assert!(
        p["DefaultAction"].get("Allow").is_some(),
        "{acl_id}: DefaultAction Allow"
    );
    let rules = p["Rules"].as_sequence().expect("Rules");
    let mut problems = vec![];
    // A rule's scope-down names its path as a UriPath byte match.
    fn mentions_path(v: &Value, path: &str) -> bool {
        match v {
            Value::Mapping(m) => {
                let here = m.get("ByteMatchStatement").is_some_and(|b| {
                    b["SearchString"].as_str() == Some(path)
                        && b["FieldToMatch"].get("UriPath").is_some()
                });
                here || m.values().any(|x| mentions_path(x, path))
            }
            Value::Sequence(s) => s.iter().any(|x| mentions_path(x, path)),
            Value::Tagged(t) => mentions_path(&t.value, path),
            _ => false,
        }
    }
    for path in [routes::LOGIN, routes::REGISTER_NUMBER, routes::RECOVER] {
        let found = rules.iter().filter(|r| {
            let rb = &r["Statement"]["RateBasedStatement"];
            rb["AggregateKeyType"].as_str() == Some("IP")
                && mentions_path(&rb["ScopeDownStatement"], path)
        });
        let n = found.clone().count();
        if n != 1 {
            problems.push(format!(
                "{path}: expected one IP rate-based rule scoped to it, found {n}"
            ));
        }
        for r in found {
            if r["Action"].get("Block").is_none() {
                problems.push(format!("{path}: the rate rule must block"));
            }
        }
    }
    for group in [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
    ] {
        let ok = rules.iter().any(|r| {
            let m = &r["Statement"]["ManagedRuleGroupStatement"];
            m["VendorName"].as_str() == Some("AWS") && m["Name"].as_str() == Some(group)
        });
        if !ok {
            problems.push(format!("managed rule group {group} missing"));
        }
    }
    let out_ok = w["Outputs"]
        .as_mapping()
        .into_iter()
        .flatten()
        .any(|(_, o)| getatt_target(&o["Value"]).as_deref() == Some(acl_id));
    if !out_ok {
        problems.push(format!(
            "infra/waf.yaml: an output with !GetAtt {acl_id}.Arn"
        ));
    }

    let t = template();
    if t["Parameters"]["WebAclArn"]["Default"].as_str() != Some("") {
        problems.push("WebAclArn must default to empty (no web ACL)".into());
    }
    let web_acl = &resources_of_type(&t, "AWS::CloudFront::Distribution")[0].1["Properties"]
        ["DistributionConfig"]["WebACLId"];
    let ok = match intrinsic(web_acl) {
        Some((f, Value::Sequence(a))) if f == "Fn::If" && a.len() == 3 => {
            ref_target(&a[1]) == Some("WebAclArn") && ref_target(&a[2]) == Some("AWS::NoValue")
        }
        _ => false,
    };
    if !ok {
        problems.push(
            "Distribution WebACLId must be !If [<condition>, !Ref WebAclArn, !Ref AWS::NoValue]"
                .into(),
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// (h) The declaration against the code. The real handlers run in-process, the way the
/// local gateway calls them, on a memory store that records every item access (no
/// LocalStack): a registration, a login with a wrong password, a resent code, the private
/// page, logout, and the three recovery modes with a password reset. Every access must be
/// allowed by the function's row of `shared::access` (the test above ties the row to the
/// role), so a handler that starts to touch a new prefix, or to write where it only read,
/// fails here instead of with AccessDenied in AWS. A row may grant more than this walk
/// exercises (error paths), never less. Likewise every function that posts to the outbox
/// (through `App::outbox`, its one way to send) must be a poster of `access::MESSAGING`.
pub(crate) mod recorded {
    use e2e::register::{CF, ENTE, PASSWORD};
    use e2e::Page;
    use shared::access::{self, Action};
    use shared::clock::OffsetClock;
    use shared::config::Config;
    use shared::domain::{CodiceFiscaleEnte, MobileNumber};
    use shared::notify::memory::{MemoryNotifier, Sent};
    use shared::notify::{DirectOutbox, Message, NotifyError, Outbox};
    use shared::routes;
    use shared::store::memory::MemoryStore;
    use shared::store::{
        consent_log, lines, Cond, Item, Key, Query, Store, StoreError, TxOp, Update,
    };
    use shared::App;
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    /// One authorisation AWS makes: an IAM action with the partition keys of its request
    /// (`dynamodb:LeadingKeys`, multi-valued). A BatchGetItem is one request with every key
    /// of the batch; each item of a TransactWriteItems is its own request, authorised as
    /// the PutItem / UpdateItem / DeleteItem / ConditionCheckItem it carries (DynamoDB
    /// Developer Guide, "Using IAM with DynamoDB transactions"); a Query is its partition.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    pub(crate) struct Request {
        pub(crate) action: Action,
        /// Sorted, without repeats.
        pub(crate) pks: Vec<String>,
    }

    /// A memory store that notes (IAM action, pk) of every access, failed ones too (IAM
    /// authorises before the condition is evaluated), and every request as AWS authorises it.
    #[derive(Default)]
    struct Recorder {
        inner: MemoryStore,
        log: Mutex<Vec<(Action, String)>>,
        requests: Mutex<Vec<Request>>,
    }

    impl Recorder {
        fn note(&self, a: Action, k: &Key) {
            self.log.lock().unwrap().push((a, k.pk.clone()));
            self.request(a, [k]);
        }

        fn request<'k>(&self, action: Action, keys: impl IntoIterator<Item = &'k Key>) {
            let pks: BTreeSet<String> = keys.into_iter().map(|k| k.pk.clone()).collect();
            let pks = pks.into_iter().collect();
            self.requests.lock().unwrap().push(Request { action, pks });
        }
    }

    #[async_trait::async_trait]
    impl Store for Recorder {
        async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
            self.note(Action::GetItem, key);
            self.inner.get(key).await
        }
        async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
            for k in keys {
                self.log
                    .lock()
                    .unwrap()
                    .push((Action::BatchGetItem, k.pk.clone()));
            }
            self.request(Action::BatchGetItem, keys);
            self.inner.batch_get(keys).await
        }
        async fn put(&self, key: &Key, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
            self.note(Action::PutItem, key);
            self.inner.put(key, item, cond).await
        }
        async fn update(
            &self,
            key: &Key,
            update: Update,
            cond: Option<Cond>,
        ) -> Result<Item, StoreError> {
            self.note(Action::UpdateItem, key);
            self.inner.update(key, update, cond).await
        }
        async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
            self.note(Action::DeleteItem, key);
            self.inner.delete(key, cond).await
        }
        async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
            for op in &ops {
                match op {
                    TxOp::Put { key, .. } => self.note(Action::PutItem, key),
                    TxOp::Update { key, .. } => self.note(Action::UpdateItem, key),
                    TxOp::Delete { key, .. } => self.note(Action::DeleteItem, key),
                    TxOp::Check { key, .. } => self.note(Action::ConditionCheckItem, key),
                }
            }
            self.inner.transact(ops).await
        }
        async fn query(&self, q: &Query) -> Result<Vec<(Key, Item)>, StoreError> {
            self.log.lock().unwrap().push((Action::Query, q.pk.clone()));
            let pks = vec![q.pk.clone()];
            self.requests.lock().unwrap().push(Request {
                action: Action::Query,
                pks,
            });
            self.inner.query(q).await
        }
    }

    /// One browser driving the handlers directly: cookies, redirects, the edge headers.
    /// Counts the posts (the batches delivered at once to the memory notifier).
    struct Posts {
        inner: DirectOutbox,
        count: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl Outbox for Posts {
        async fn post(&self, batch: Vec<Message>) -> Result<(), NotifyError> {
            self.count.fetch_add(1, Ordering::SeqCst);
            self.inner.post(batch).await
        }
    }

    pub(crate) struct Browser {
        app: &'static App,
        store: Arc<Recorder>,
        sent: Arc<MemoryNotifier>,
        posts: Arc<Posts>,
        /// The functions that posted to the outbox.
        posters: BTreeSet<&'static str>,
        /// The functions that used the flow secret (`shared::secret`).
        secret_readers: BTreeSet<&'static str>,
        clock: Arc<OffsetClock>,
        jar: e2e::memory::Jar,
        /// function → the accesses it made.
        seen: BTreeMap<&'static str, BTreeSet<(Action, String)>>,
        /// function → the requests it made, as AWS authorises them.
        pub(crate) requests: BTreeMap<&'static str, BTreeSet<Request>>,
        /// The (method, path) of every route the walk requested.
        pub(crate) visited: BTreeSet<(String, String)>,
    }

    fn encode(fields: &[(String, String)]) -> String {
        let mut u = reqwest::Url::parse("http://x/").unwrap();
        u.query_pairs_mut().extend_pairs(fields);
        u.query().unwrap_or_default().to_owned()
    }

    impl Browser {
        fn new() -> Browser {
            let store = Arc::new(Recorder::default());
            let sent = Arc::new(MemoryNotifier::default());
            let posts = Arc::new(Posts {
                inner: DirectOutbox(sent.clone()),
                count: AtomicUsize::new(0),
            });
            let clock = Arc::new(OffsetClock::default());
            let app = Box::leak(Box::new(App {
                config: Config::for_tests(),
                store: store.clone(),
                outbox: posts.clone(),
                clock: clock.clone(),
                secret: Arc::new(shared::secret::FlowSecret::fixed(
                    shared::secret::FlowKeys::fixed(shared::config::TEST_FLOW_SECRET),
                )),
            }));
            Browser {
                app,
                store,
                sent,
                posts,
                posters: BTreeSet::new(),
                secret_readers: BTreeSet::new(),
                clock,
                jar: Default::default(),
                seen: BTreeMap::new(),
                requests: BTreeMap::new(),
                visited: BTreeSet::new(),
            }
        }

        async fn go(&mut self, method: &str, target: &str, form: &[(String, String)]) -> Page {
            let (mut method, mut target, mut body) =
                (method.to_owned(), target.to_owned(), encode(form));
            loop {
                let path = target.split('?').next().unwrap_or_default().to_owned();
                let Some(function) = e2e::memory::function_for(&method, &target) else {
                    return Page {
                        status: 404,
                        path,
                        html: String::new(),
                    };
                };
                self.visited.insert((method.clone(), path.clone()));
                let form = std::mem::take(&mut body).into_bytes();
                let headers = [(
                    "content-type",
                    "application/x-www-form-urlencoded".to_owned(),
                )];
                let posted = self.posts.count.load(Ordering::SeqCst);
                let used = self.app.secret.uses();
                let (cookies, app) = (self.jar.header(), self.app);
                let sent = e2e::memory::send(
                    app,
                    &method,
                    &target,
                    "198.51.100.7",
                    &cookies,
                    &headers,
                    form.into(),
                );
                let resp = sent.await.expect("a route");
                let log = std::mem::take(&mut *self.store.log.lock().unwrap());
                self.seen.entry(function).or_default().extend(log);
                let requests = std::mem::take(&mut *self.store.requests.lock().unwrap());
                self.requests.entry(function).or_default().extend(requests);
                if self.posts.count.load(Ordering::SeqCst) > posted {
                    self.posters.insert(function);
                }
                if self.app.secret.uses() > used {
                    self.secret_readers.insert(function);
                }
                self.jar.absorb(&resp);
                let status = resp.status().as_u16();
                if (300..400).contains(&status) {
                    target = resp.headers()["location"].to_str().unwrap().to_owned();
                    method = "GET".into();
                    continue;
                }
                let html = e2e::memory::text(&resp);
                return Page { status, path, html };
            }
        }

        async fn get(&mut self, target: &str) -> Page {
            self.go("GET", target, &[]).await
        }

        /// Submits the page's form that has a `marker` field, as `Portal::submit` does.
        async fn submit(&mut self, page: &Page, marker: &str, overrides: &[(&str, &str)]) -> Page {
            let mut fields: Vec<(String, String)> = page
                .form_fields(marker)
                .into_iter()
                .filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k))
                .collect();
            fields.extend(
                overrides
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
            let action = page.form_action(marker);
            if page.form_method(marker) == "get" {
                self.get(&format!("{action}?{}", encode(&fields))).await
            } else {
                self.go("POST", &action, &fields).await
            }
        }

        fn last_code(&self, to: &str) -> String {
            let sent = self.sent.sent.lock().unwrap();
            let text = sent
                .iter()
                .rev()
                .find_map(|s| match s {
                    Sent::Sms { to: t, text } if t == to => Some(text.clone()),
                    _ => None,
                })
                .expect("an SMS");
            text.split(|c: char| !c.is_ascii_digit())
                .find(|w| w.len() == 6)
                .expect("a code")
                .to_owned()
        }

        /// The path and query of the latest emailed link to `path`.
        fn last_link(&self, to: &str, path: &str) -> String {
            let base = format!("{}{path}", self.app.config.public_base_url);
            let sent = self.sent.sent.lock().unwrap();
            sent.iter()
                .rev()
                .find_map(|s| match s {
                    Sent::Email(m) if m.to == to => m
                        .text
                        .split_whitespace()
                        .find(|w| w.starts_with(&base))
                        .map(str::to_owned),
                    _ => None,
                })
                .expect("an emailed link")
                .trim_start_matches(&self.app.config.public_base_url)
                .to_owned()
        }

        async fn code_step(&mut self, page: Page, to: &str) -> Page {
            assert!(
                page.html.contains("name=\"codice\""),
                "{}: {}",
                page.path,
                page.html
            );
            let code = self.last_code(to);
            self.submit(&page, "codice", &[("codice", &code)]).await
        }

        /// A whole registration with "INVIA DI NUOVO" on the code page, PROSEGUI if the
        /// number is already registered, and at step 4 `email` saved, then `change_to`.
        async fn register(&mut self, e164: &str, email: &str, change_to: &str) {
            let page = self.get(routes::REGISTER_NUMBER).await;
            self.clock.advance(3);
            let page = self
                .submit(&page, "numero", &[("numero", e164), ("conferma", "100")])
                .await;
            self.clock.advance(31);
            let page = self.submit(&page, "azione", &[]).await;
            let page = self.code_step(page, e164).await;
            let mut page = self
                .submit(
                    &page,
                    "nome",
                    &[
                        ("nome", "Mario"),
                        ("cognome", "Rossi"),
                        ("cf_personale", CF),
                    ],
                )
                .await;
            if page.html.contains("value=\"prosegui\"") {
                page = self.submit(&page, "azione", &[]).await;
            }
            self.submit(&page, "email", &[("email", email)]).await;
            let page = self
                .get(&format!("{}?modifica=email", routes::REGISTER_EMAIL))
                .await;
            let page = self.submit(&page, "email", &[("email", change_to)]).await;
            let page = self.submit(&page, "azione", &[]).await;
            assert_eq!(page.path, routes::REGISTER_EMAIL, "{}", page.html);
            let link = self.last_link(change_to, routes::CONFIRM_EMAIL);
            let mut page = self.get(&link).await;
            if page.html.contains("name=\"t\"") {
                page = self.submit(&page, "t", &[]).await; // the link's page asks for a click
            }
            assert_eq!(page.status, 200, "{}", page.html);
            let page = self.get(routes::REGISTER_PASSWORD).await;
            let fields = [
                ("password", PASSWORD),
                ("conferma_password", PASSWORD),
                ("termini", "si"),
                ("privacy", "si"),
            ];
            let page = self.submit(&page, "password", &fields).await;
            assert_eq!(page.path, routes::REGISTER_DONE, "{}", page.html);
        }
    }

    /// The walk: every function run on the recording store (see the module's comment).
    pub(crate) async fn walk() -> Browser {
        let mut b = Browser::new();
        let (e164, email) = ("+393331234567", "mario.rossi@example.it");
        let number = MobileNumber::parse(e164).unwrap();
        let line = lines::Line {
            number,
            entity_cf: CodiceFiscaleEnte::parse(ENTE).unwrap(),
            ragione_sociale: "COMUNE DI PROVA".into(),
            active: true,
            // A referente: the walk also lists the entity's lines.
            profile: shared::store::lines::Profile::Referente,
        };
        lines::upsert(&b.store.inner, &line).await.unwrap();

        b.register(e164, "prima@example.it", email).await;

        // The same person from another line of the entity (PROSEGUI on a registration found
        // by person only): a wrong code, a new request, then the old owner's link.
        let other = "+393339876543";
        let other_line = lines::Line {
            number: MobileNumber::parse(other).unwrap(),
            ..line.clone()
        };
        lines::upsert(&b.store.inner, &other_line).await.unwrap();
        let page = b.get(routes::REGISTER_NUMBER).await;
        b.clock.advance(3);
        let page = b
            .submit(&page, "numero", &[("numero", other), ("conferma", "100")])
            .await;
        let page = b.code_step(page, other).await;
        let fields = [
            ("nome", "Mario"),
            ("cognome", "Rossi"),
            ("cf_personale", CF),
        ];
        let page = b.submit(&page, "nome", &fields).await;
        let page = b.submit(&page, "azione", &[("azione", "prosegui")]).await;
        assert!(page.html.contains("name=\"codice\""), "{}", page.html);
        let page = b.submit(&page, "codice", &[("codice", "000000")]).await;
        b.clock.advance(31);
        b.submit(&page, "azione", &[("azione", "invia-di-nuovo")])
            .await;
        let page = b.get(&b.last_link(email, routes::CONFIRM_CEASE)).await;
        let page = b.submit(&page, "t", &[]).await;
        assert_eq!(page.status, 200, "{}", page.html);
        let page = b.get(routes::REGISTER_PROFILE).await;
        assert_eq!(page.path, routes::REGISTER_EMAIL, "{}", page.html);

        // Login: a wrong password, the right one, a resent code, the private pages, logout.
        let page = b.get(routes::LOGIN).await;
        let page = b
            .submit(
                &page,
                "username",
                &[("username", email), ("password", "Sbagliata-123!")],
            )
            .await;
        assert_eq!(page.status, 401);
        let page = b
            .submit(
                &page,
                "username",
                &[("username", email), ("password", PASSWORD)],
            )
            .await;
        b.clock.advance(31);
        let page = b.submit(&page, "azione", &[]).await;
        let page = b.code_step(page, e164).await;
        assert_eq!(page.path, routes::ACCOUNT, "{}", page.html);
        let page = b
            .get(&format!("{}?numero=333", routes::ACCOUNT_LINES))
            .await;
        assert_eq!(page.status, 200, "{}", page.html);
        b.get(routes::LOGOUT).await;
        let page = b.go("POST", routes::LOGOUT, &[]).await;
        assert_eq!(page.path, routes::LOGIN);

        // Recovery (an hour later: the number's SMS cap is spent): mode 1, mode 2, then
        // mode 3 through the code, the link, its code and a new password.
        b.clock.advance(3600);
        let who = [("numero", e164), ("cf_personale", CF)];
        let form = |mode: &str, extra: &[(&str, &str)]| {
            let mut f = vec![("modalita".to_owned(), mode.to_owned())];
            f.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            f
        };
        b.go("POST", routes::RECOVER, &form("username", &who)).await;
        b.go(
            "POST",
            routes::RECOVER,
            &form("password", &[("username", email)]),
        )
        .await;
        b.clock.advance(31);
        let page = b.go("POST", routes::RECOVER, &form("entrambe", &who)).await;
        let page = b.code_step(page, e164).await;
        assert!(page.status < 400, "{}", page.html);
        let page = b.get(&b.last_link(email, routes::RECOVER_RESET)).await;
        b.clock.advance(31);
        let page = b.submit(&page, "token", &[]).await;
        let page = b.code_step(page, e164).await;
        let new = "Nuova-Password-2027?";
        let page = b
            .submit(
                &page,
                "password",
                &[("password", new), ("conferma_password", new)],
            )
            .await;
        assert_eq!(page.path, routes::LOGIN, "{}", page.html);

        // A new registration of the same number and person (PROSEGUI ceases the old
        // account), which first takes the old account's email, then another.
        b.clock.advance(3600);
        let user = "mario.rossi@comune.example.it";
        b.register(e164, email, user).await;

        // The private area: a login, every page and change, new terms, and the deletion.
        b.clock.advance(3600);
        let page = b.get(routes::LOGIN).await;
        let fields = [("username", user), ("password", PASSWORD)];
        let page = b.submit(&page, "username", &fields).await;
        let page = b.code_step(page, e164).await;
        assert_eq!(page.path, routes::ACCOUNT, "{}", page.html);
        for p in [
            routes::ACCOUNT_HISTORY,
            routes::ACCOUNT_SESSIONS,
            routes::ACCOUNT_PRIVACY,
            routes::ACCOUNT_EXPORT_JSON,
            routes::ACCOUNT_EXPORT_PDF,
        ] {
            assert_eq!(b.get(p).await.status, 200, "{p}");
        }
        let others = [("sessione".to_owned(), "altri".to_owned())];
        b.go("POST", routes::ACCOUNT_SESSIONS, &others).await;
        let page = b.get(routes::ACCOUNT_EMAIL).await;
        let page = b
            .submit(&page, "email", &[("email", "nuova@example.it")])
            .await;
        assert_eq!(page.status, 200, "{}", page.html);
        let page = b
            .get(&b.last_link("nuova@example.it", routes::ACCOUNT_EMAIL_CONFIRM))
            .await;
        let page = b.submit(&page, "t", &[]).await;
        assert_eq!(page.status, 200, "{}", page.html);
        let page = b.get(routes::ACCOUNT_PASSWORD).await;
        let newer = "Altra-Password-2028!";
        let fields = [
            ("password_attuale", PASSWORD),
            ("password", newer),
            ("conferma_password", newer),
        ];
        let page = b.submit(&page, "password_attuale", &fields).await;
        assert_eq!(page.path, routes::ACCOUNT_PASSWORD, "{}", page.html);
        let in_force = consent_log::InForce {
            terms_version: "2.0".into(),
            ..Default::default()
        };
        b.store
            .inner
            .transact(vec![consent_log::publish_op(&in_force, 0)])
            .await
            .unwrap();
        let page = b.get(routes::ACCOUNT).await;
        assert_eq!(page.path, routes::ACCOUNT_CONSENTS, "{}", page.html);
        let page = b
            .submit(&page, "termini", &[("termini", "si"), ("privacy", "si")])
            .await;
        assert_eq!(page.path, routes::ACCOUNT, "{}", page.html);
        let page = b.get(routes::ACCOUNT_DELETE).await;
        let page = b
            .submit(&page, "password_attuale", &[("password_attuale", newer)])
            .await;
        let page = b.code_step(page, e164).await;
        assert_eq!(page.path, routes::LOGIN, "{}", page.html);
        b
    }

    #[tokio::test]
    async fn handlers_touch_only_what_shared_access_declares() {
        let b = walk().await;
        let mut problems = vec![];
        for f in routes::functions() {
            let allowed = access::pairs(f);
            let Some(seen) = b.seen.get(f) else {
                problems.push(format!("{f}: the walk never ran it"));
                continue;
            };
            for (a, pk) in seen {
                if !allowed
                    .iter()
                    .any(|(x, pattern)| *x == a.iam() && super::glob(pattern, pk))
                {
                    problems.push(format!(
                        "{f}: {} on {pk} is not in its row of shared::access",
                        a.iam()
                    ));
                }
            }
        }
        for f in &b.posters {
            if access::messaging(f) != Some(access::Messaging::Posts) {
                problems.push(format!(
                    "{f}: posts to the outbox but is no poster in shared::access::MESSAGING"
                ));
            }
        }
        assert!(!b.posters.is_empty(), "the walk sent no message at all");
        // The flow secret: only the functions shared::access says read it (the template
        // gives it to exactly those: template_secrets.rs).
        for f in &b.secret_readers {
            if !access::reads_flow_secret(f) {
                problems.push(format!(
                    "{f}: uses the flow secret but is not in shared::access::FLOW_SECRET_READERS"
                ));
            }
        }
        // And every declared reader used it (the walk runs each of them): no function is
        // given the secret it does not need.
        for f in access::FLOW_SECRET_READERS {
            if !b.secret_readers.contains(f) {
                problems.push(format!(
                    "{f}: in shared::access::FLOW_SECRET_READERS but never used the flow secret"
                ));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
