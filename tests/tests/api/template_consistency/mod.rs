//! `infra/template.yaml` (AWS SAM) and `infra/waf.yaml` against the code's single sources
//! of truth: the route table (`domain::routes`), the table access of each function
//! (`engine::access`), the table's key design (`store::schema`), the configuration
//! variables (`engine::config::vars`), the edge headers (`web::edge`), the outbox queue
//! and its consumer (`engine::access::MESSAGING`) and the crates under `functions/`. Pure
//! file parsing: no AWS, no LocalStack, no network.
//! `infra/scripts/validate.sh` runs the SAM transform and cfn-lint on top of this.
//! The REST API and its regional WAF (only CloudFront gets in) are `template_edge.rs`'s.
//!
//! This file holds the template loader and the helpers the other `template_*` modules use;
//! the checks are by topic: `route_table` (a, a', b), `table` (c, e), `functions` (d and
//! the per-function settings), `messaging` (SNS, SES, the outbox queue), `references`,
//! `cloudfront` (f, g) and `recorded` (h: the handlers' real table accesses).

use domain::routes::{self, ROUTES};
use engine::access::{self, Action};
use engine::config::vars;
use serde_yaml::{Mapping, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use store::schema;
use web::edge;

mod cloudfront;
mod functions;
mod messaging;
pub(crate) mod recorded;
mod references;
mod route_table;
mod table;

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
    // The owner told of a passkey added or removed (issue 24).
    "account-passkeys",
    "account-passkey-create",
    // A login by passkey from a browser the account does not know: the new-device email.
    "login-passkey",
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
    "account-passkey-create",
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
    // The passkey login's last login time; NON ORA on the home's passkey offer (issue 24).
    "login-passkey",
    "account",
];
/// Viewer headers the functions read (web: CSRF check, form parsing); CloudFront
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

/// The route table's functions and the queue's (`engine::access::functions`).
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

/// The YAML of the `table` inline policy statements that grant what `engine::access`
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
