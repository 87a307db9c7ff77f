//! Issue 22 item 1: the functions' roles in `infra/template.yaml` evaluated the way AWS
//! evaluates a DynamoDB request, not key by key.
//!
//! `dynamodb:LeadingKeys` is multi-valued: a BatchGetItem carries every partition key of the
//! batch, and a `ForAllValues:StringLike` condition holds only if each of them matches one of
//! *that statement's* patterns. So a batch of `SESSION#…` and `ACCOUNT#…` keys is denied
//! when one statement allows `SESSION#*` and another `ACCOUNT#*`, although each key alone is
//! allowed. Each item of a TransactWriteItems is authorised on its own, as the PutItem /
//! UpdateItem / DeleteItem / ConditionCheckItem it carries (DynamoDB Developer Guide, "Using
//! IAM with DynamoDB transactions"); a Query by its partition key.
//!
//! The evaluator is the `iam-rs` crate (dev-dependency): identity policies, Action and
//! Resource wildcards, explicit Deny over Allow, condition operators with the
//! `ForAllValues` / `ForAnyValue` qualifiers. `evaluator_*` below check it on AWS's own
//! documented examples before it judges the template. It does not interpolate policy
//! variables inside condition values: the test refuses a role whose conditions use one.

use super::template_consistency::{self as tc, recorded};
use engine::access::{self, Action};
use iam_rs::{
    Arn, Context, ContextValue, Decision, IAMPolicy, IAMRequest, PolicyEvaluator, Principal,
    PrincipalId,
};
use serde_json::{json, Value as Json};
use serde_yaml::Value;

const REGION: &str = "eu-south-1";
const ACCOUNT_ID: &str = "123456789012";
const LEADING_KEYS: &str = "dynamodb:LeadingKeys";

fn table_arn() -> String {
    format!("arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/portale-test")
}

/// A placeholder ARN for a resource of the template that is not the table (log groups, the
/// queue, the bucket): distinct, so it never matches the table's ARN.
fn other_arn(id: &str) -> String {
    format!("arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/portale-test/{id}")
}

fn is_table(t: &Value, id: &str) -> bool {
    tc::resources(t)
        .get(id)
        .and_then(|r| r.get("Type"))
        .and_then(Value::as_str)
        == Some("AWS::DynamoDB::Table")
}

/// `X.Arn` of a `!GetAtt` or a `${X.Arn}` of a `!Sub`: the concrete ARN.
fn arn_of(t: &Value, getatt: &str) -> String {
    let (id, attr) = getatt.split_once('.').unwrap_or((getatt, ""));
    assert_eq!(
        attr, "Arn",
        "!GetAtt {getatt}: only .Arn is resolved in a policy"
    );
    if is_table(t, id) {
        table_arn()
    } else {
        other_arn(id)
    }
}

/// One `${…}` of a `!Sub`, or the target of a `!Ref`.
fn variable(t: &Value, name: &str) -> String {
    match name {
        "AWS::Partition" => "aws".into(),
        "AWS::Region" => REGION.into(),
        "AWS::AccountId" => ACCOUNT_ID.into(),
        n if n.contains('.') => arn_of(t, n),
        n if tc::resources(t).contains_key(n) => other_arn(n),
        n => panic!("a policy refers to {n}, which this test does not resolve"),
    }
}

/// A policy's YAML as the JSON IAM reads, its intrinsics resolved to concrete values.
fn resolve(t: &Value, v: &Value) -> Json {
    if let Some((f, arg)) = tc::intrinsic(v) {
        return match f.as_str() {
            "Ref" => Json::String(variable(t, tc::str_of(arg, "!Ref"))),
            "Fn::GetAtt" => match arg {
                Value::String(s) => Json::String(arn_of(t, s)),
                Value::Sequence(s) => {
                    let parts: Vec<&str> = s.iter().map(|x| tc::str_of(x, "!GetAtt")).collect();
                    Json::String(arn_of(t, &parts.join(".")))
                }
                _ => panic!("!GetAtt {arg:?}"),
            },
            "Fn::Sub" => {
                let mut s = tc::str_of(arg, "!Sub (one string)").to_owned();
                while let Some(start) = s.find("${") {
                    let end = start + s[start..].find('}').expect("an unclosed ${");
                    let value = variable(t, &s[start + 2..end]);
                    s.replace_range(start..=end, &value);
                }
                Json::String(s)
            }
            other => panic!("{other} in a policy: not resolved by this test"),
        };
    }
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => json!(n.as_f64()),
        Value::String(s) => Json::String(s.clone()),
        Value::Sequence(s) => Json::Array(s.iter().map(|x| resolve(t, x)).collect()),
        Value::Mapping(m) => Json::Object(
            m.iter()
                .map(|(k, x)| (tc::str_of(k, "a policy key").to_owned(), resolve(t, x)))
                .collect(),
        ),
        Value::Tagged(_) => unreachable!("intrinsics are handled above"),
    }
}

/// The role of a function and its policy (inline and managed statements), as AWS reads it.
struct Role {
    id: String,
    policy: IAMPolicy,
}

fn roles(t: &Value) -> Vec<(String, Role)> {
    tc::functions(t)
        .into_iter()
        .map(|f| {
            let id = f
                .props()
                .get("Role")
                .and_then(tc::getatt_target)
                .unwrap_or_else(|| panic!("{}: Role must be !GetAtt <its role>.Arn", f.id));
            // Only the statements that can name a DynamoDB action (Allow or Deny) bear on a
            // request to the table; the others (logs, the queue, SES) are left out.
            let statements: Vec<Json> = tc::role_statements(t, &id)
                .into_iter()
                .filter(|st| {
                    tc::strings(&st["Action"])
                        .iter()
                        .any(|a| may_be_dynamodb(a))
                })
                .map(|st| resolve(t, st))
                .collect();
            for st in &statements {
                assert!(
                    !st.get("Condition")
                        .is_some_and(|c| c.to_string().contains("${")),
                    "{id}: a policy variable in a condition, which the evaluator does not resolve"
                );
            }
            let doc = json!({ "Version": "2012-10-17", "Statement": statements });
            let policy = IAMPolicy::from_json(&doc.to_string())
                .unwrap_or_else(|e| panic!("{id}: the policy does not parse: {e}\n{doc:#}"));
            (f.krate, Role { id, policy })
        })
        .collect()
}

/// Whether an Action pattern can match a `dynamodb:` action (`*`, `dynamodb:…`, `dyn*:…`).
fn may_be_dynamodb(action: &str) -> bool {
    let service = action
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    !action.contains(':') || service == "dynamodb" || service.contains('*') || service.contains('?')
}

fn principal(role: &str) -> Principal {
    Principal::Aws(PrincipalId::String(format!(
        "arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/session"
    )))
}

/// The decision for one DynamoDB request of `role` on the table: `action` on the partition
/// keys `pks` (the request's `dynamodb:LeadingKeys`).
fn decide(role: &Role, action: &str, pks: &[String]) -> Decision {
    let context = Context::new().with_string_list(LEADING_KEYS, pks);
    let request = IAMRequest::new_with_context(
        principal(&role.id),
        action,
        Arn::parse(&table_arn()).expect("the table's ARN"),
        context,
    );
    PolicyEvaluator::with_policies(vec![role.policy.clone()])
        .evaluate(&request)
        .unwrap_or_else(|e| panic!("{}: {action} on {pks:?}: {e}", role.id))
        .decision
}

trait StringList {
    fn with_string_list(self, key: &str, values: &[String]) -> Self;
}

impl StringList for Context {
    fn with_string_list(mut self, key: &str, values: &[String]) -> Self {
        self.insert(key.to_owned(), ContextValue::StringList(values.to_vec()));
        self
    }
}

/// The statements of a role that name `action` among theirs, as "[patterns]" (for messages).
fn statements_with(role: &Role, action: &str) -> Vec<String> {
    let doc: Json = serde_json::from_str(&role.policy.to_json().unwrap()).unwrap();
    let statements = match &doc["Statement"] {
        Json::Array(a) => a.clone(),
        one => vec![one.clone()],
    };
    statements
        .iter()
        .filter(|st| match &st["Action"] {
            Json::String(a) => a == action,
            Json::Array(a) => a.iter().any(|x| x == action),
            _ => false,
        })
        .map(|st| st["Condition"]["ForAllValues:StringLike"][LEADING_KEYS].to_string())
        .collect()
}

/// Every request the real handlers make through the walk of `template_consistency`
/// (registration with PROSEGUI and the old owner's link, login with a wrong password and a
/// resent code, every private page and change, logout, the three recoveries, the deletion),
/// evaluated against its function's role: each must be allowed by the role as AWS decides,
/// i.e. by ONE Allow statement holding all its keys.
#[tokio::test]
async fn every_recorded_request_is_allowed_as_aws_evaluates_it() {
    let b = recorded::walk().await;
    let t = tc::template();
    let roles = roles(&t);
    // The walk reaches the multi-key reads the issue names: the session guard's batch and
    // the login's two.
    let has_batch = |f: &str, prefixes: &[&str]| {
        b.requests.get(f).into_iter().flatten().any(|r| {
            r.action == Action::BatchGetItem
                && prefixes
                    .iter()
                    .all(|p| r.pks.iter().any(|k| k.starts_with(p)))
        })
    };
    let guard = [access::SESSION, access::ACCOUNT, access::CONSENTS];
    for f in [
        "account",
        "account-history",
        "account-sessions",
        "account-privacy",
    ] {
        assert!(
            has_batch(f, &guard),
            "{f}: the walk made no session-guard batch"
        );
    }
    assert!(has_batch("login", &[access::USERNAME, access::LOCK]));
    assert!(has_batch(
        "login",
        &[access::ACCOUNT, access::OTP_LOGIN, access::DEVICES]
    ));

    // Every route of the route table, every page of the private area included.
    let unvisited: Vec<String> = domain::routes::ROUTES
        .iter()
        .filter(|r| {
            !b.visited
                .contains(&(r.method.to_owned(), r.path.to_owned()))
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        unvisited.is_empty(),
        "routes the walk never requested: {unvisited:?}"
    );

    let mut problems = vec![];
    let mut evaluated = 0;
    for (krate, role) in &roles {
        let requests = b.requests.get(krate.as_str());
        if requests.is_none() && krate != access::SEND_MESSAGES {
            problems.push(format!("{krate}: the walk never ran it"));
        }
        for r in requests.into_iter().flatten() {
            evaluated += 1;
            let decision = decide(role, r.action.iam(), &r.pks);
            if decision != Decision::Allow {
                problems.push(format!(
                    "{krate} ({}): {} of {:?} is {decision:?}: no one Allow statement holds all its keys \
                        (its statements with this action allow {:?})",
                    role.id,
                    r.action.iam(),
                    r.pks,
                    statements_with(role, r.action.iam())
                ));
            }
        }
    }
    assert!(evaluated > 100, "only {evaluated} requests recorded");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Beyond the walk: for each function, ONE BatchGetItem with a key of every prefix
/// `engine::access` grants it for BatchGetItem (the widest batch the declaration permits,
/// e.g. an error path's) is allowed; every single-key request of a declared (action, prefix)
/// pair is allowed; every pair not declared is denied (least privilege, as AWS decides it).
#[test]
fn roles_allow_each_declared_request_in_one_statement_and_nothing_else() {
    let t = tc::template();
    let mut problems = vec![];
    for (krate, role) in roles(&t) {
        let pairs = access::pairs(&krate);
        for a in Action::ALL {
            let keys: Vec<String> = access::PREFIXES
                .iter()
                .filter(|p| pairs.contains(&(a.iam(), access::leading_key(p))))
                .map(|p| format!("{p}x"))
                .collect();
            let multi_key = a == Action::BatchGetItem;
            if multi_key && !keys.is_empty() && decide(&role, a.iam(), &keys) != Decision::Allow {
                problems.push(format!(
                    "{krate} ({}): {} of one key of each prefix it is granted {keys:?} is denied \
                        (its statements with this action allow {:?})",
                    role.id,
                    a.iam(),
                    statements_with(&role, a.iam())
                ));
            }
            for p in access::PREFIXES {
                let granted = pairs.contains(&(a.iam(), access::leading_key(p)));
                let allowed = decide(&role, a.iam(), &[format!("{p}x")]) == Decision::Allow;
                if granted != allowed {
                    let what = if granted {
                        "denied, though declared"
                    } else {
                        "allowed, not declared"
                    };
                    problems.push(format!("{krate}: {} on {p} is {what}", a.iam()));
                }
            }
        }
        for other in [
            "dynamodb:Scan",
            "dynamodb:BatchWriteItem",
            "dynamodb:DeleteTable",
        ] {
            if decide(&role, other, &[format!("{}x", access::ACCOUNT)]) == Decision::Allow {
                problems.push(format!("{krate}: {other} is allowed"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ------------------------------------------- the evaluator on AWS's documented examples

fn policy(statements: Json) -> IAMPolicy {
    IAMPolicy::from_json(&json!({ "Version": "2012-10-17", "Statement": statements }).to_string())
        .expect("a valid policy")
}

fn decision(p: &IAMPolicy, action: &str, resource: &str, context: Context) -> Decision {
    let request = IAMRequest::new_with_context(
        principal("example"),
        action,
        Arn::parse(resource).expect("an ARN"),
        context,
    );
    PolicyEvaluator::with_policies(vec![p.clone()])
        .evaluate(&request)
        .expect("an evaluation")
        .decision
}

fn tag_keys(keys: &[&str]) -> Context {
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    Context::new().with_string_list("aws:TagKeys", &keys)
}

/// IAM User Guide, "Multivalued context key examples", the Deny with `ForAllValues`: every
/// tag key of the request must match at least one of the policy's patterns (not all of one);
/// a request without tag keys satisfies `ForAllValues` (an empty set), which the example's
/// `Null: false` guards against. An Allow of everything beside it shows Deny winning.
#[test]
fn evaluator_for_all_values_as_in_the_iam_user_guide() {
    let allow_all = json!({ "Effect": "Allow", "Action": "iam:*", "Resource": "*" });
    let deny = |null_guard: bool| {
        let mut condition = json!({
            "ForAllValues:StringLike": { "aws:TagKeys": ["key1*", "key2*", "key3*"] }
        });
        if null_guard {
            condition["Null"] = json!({ "aws:TagKeys": "false" });
        }
        json!({
            "Sid": "DenyRestrictedTags",
            "Effect": "Deny",
            "Action": ["iam:Tag*", "iam:UnTag*"],
            "Resource": ["*"],
            "Condition": condition
        })
    };
    let user = format!("arn:aws:iam::{ACCOUNT_ID}:user/martha");
    let p = policy(json!([allow_all, deny(true)]));
    let d = |keys: Option<&[&str]>| {
        let ctx = keys.map(tag_keys).unwrap_or_default();
        decision(&p, "iam:TagUser", &user, ctx)
    };
    assert_eq!(d(Some(&["key1-legal"])), Decision::Deny);
    // Two values, each matching a different pattern: ForAllValues holds.
    assert_eq!(d(Some(&["key1-legal", "key2-hr"])), Decision::Deny);
    assert_eq!(d(Some(&["key1-legal", "key4-other"])), Decision::Allow);
    assert_eq!(d(None), Decision::Allow, "Null: false stops the empty set");
    // The action wildcard: iam:Tag* covers iam:TagUser, not iam:ListUsers.
    assert_eq!(
        decision(&p, "iam:ListUsers", &user, tag_keys(&["key1-x"])),
        Decision::Allow
    );
    // Without the Null guard, no tag keys at all satisfy ForAllValues.
    let p = policy(json!([allow_all, deny(false)]));
    assert_eq!(
        decision(&p, "iam:TagUser", &user, Context::new()),
        Decision::Deny
    );
}

/// IAM User Guide, the Deny with `ForAnyValue`: one tag key among the policy's values is
/// enough; none, or no tag keys at all, is no match.
#[test]
fn evaluator_for_any_value_as_in_the_iam_user_guide() {
    let p = policy(json!([
        { "Effect": "Allow", "Action": "ec2:*", "Resource": "*" },
        {
            "Effect": "Deny",
            "Action": "ec2:CreateSnapshot",
            "Resource": "*",
            "Condition": {
                "ForAnyValue:StringEquals": { "aws:TagKeys": ["environment", "webserver"] }
            }
        }
    ]));
    let volume = format!("arn:aws:ec2:{REGION}:{ACCOUNT_ID}:volume/vol-1");
    let d = |ctx| decision(&p, "ec2:CreateSnapshot", &volume, ctx);
    assert_eq!(d(tag_keys(&["environment"])), Decision::Deny);
    assert_eq!(d(tag_keys(&["webserver", "other"])), Decision::Deny);
    assert_eq!(d(tag_keys(&["other"])), Decision::Allow);
    assert_eq!(d(Context::new()), Decision::Allow);
}

/// DynamoDB Developer Guide, "Using IAM policy conditions for fine-grained access control":
/// item actions on GameScores limited to the partition of one user with
/// `ForAllValues:StringEquals` on `dynamodb:LeadingKeys` (the guide's `${www.amazon.com:user_id}`
/// written out as that user's id). A batch with another user's key is refused whole.
#[test]
fn evaluator_leading_keys_as_in_the_dynamodb_guide() {
    let games = format!("arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/GameScores");
    let p = policy(json!([{
        "Sid": "AllowAccessToOnlyItemsMatchingUserID",
        "Effect": "Allow",
        "Action": [
            "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
            "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem"
        ],
        "Resource": [games.clone()],
        "Condition": {
            "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["amzn1.account.A1"] }
        }
    }]));
    let keys = |k: &[&str]| {
        let k: Vec<String> = k.iter().map(|x| x.to_string()).collect();
        Context::new().with_string_list(LEADING_KEYS, &k)
    };
    let d = |action, table: &str, ctx| decision(&p, action, table, ctx);
    let own = || keys(&["amzn1.account.A1"]);
    assert_eq!(d("dynamodb:GetItem", &games, own()), Decision::Allow);
    assert_eq!(d("dynamodb:Query", &games, own()), Decision::Allow);
    let both = keys(&["amzn1.account.A1", "amzn1.account.B2"]);
    assert_eq!(
        d("dynamodb:BatchGetItem", &games, both),
        Decision::NotApplicable
    );
    let other = keys(&["amzn1.account.B2"]);
    assert_eq!(d("dynamodb:Query", &games, other), Decision::NotApplicable);
    assert_eq!(d("dynamodb:Scan", &games, own()), Decision::NotApplicable);
    let elsewhere = format!("arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/Other");
    assert_eq!(
        d("dynamodb:GetItem", &elsewhere, own()),
        Decision::NotApplicable
    );
}

/// The defect of issue 22 in small: the session guard's batch (SESSION#, ACCOUNT#,
/// CONSENTS#) against statements split by prefix, then against one statement per action.
#[test]
fn evaluator_one_batch_needs_one_statement() {
    let table = table_arn();
    let stmt = |actions: &[&str], keys: &[&str]| {
        json!({
            "Effect": "Allow",
            "Action": actions,
            "Resource": table,
            "Condition": { "ForAllValues:StringLike": { LEADING_KEYS: keys } }
        })
    };
    let batch: Vec<String> = ["SESSION#h", "ACCOUNT#a", "CONSENTS#"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let ctx = || Context::new().with_string_list(LEADING_KEYS, &batch);
    let split = policy(json!([
        stmt(
            &["dynamodb:BatchGetItem", "dynamodb:UpdateItem"],
            &["SESSION#*"]
        ),
        stmt(&["dynamodb:BatchGetItem"], &["ACCOUNT#*", "CONSENTS#*"]),
    ]));
    assert_eq!(
        decision(&split, "dynamodb:BatchGetItem", &table, ctx()),
        Decision::NotApplicable
    );
    // Each key alone is allowed: what a key-by-key check sees.
    for k in &batch {
        let one = Context::new().with_string_list(LEADING_KEYS, std::slice::from_ref(k));
        assert_eq!(
            decision(&split, "dynamodb:BatchGetItem", &table, one),
            Decision::Allow
        );
    }
    let grouped = policy(json!([
        stmt(
            &["dynamodb:BatchGetItem"],
            &["ACCOUNT#*", "CONSENTS#*", "SESSION#*"]
        ),
        stmt(&["dynamodb:UpdateItem"], &["SESSION#*"]),
    ]));
    assert_eq!(
        decision(&grouped, "dynamodb:BatchGetItem", &table, ctx()),
        Decision::Allow
    );
    assert_eq!(
        decision(&grouped, "dynamodb:UpdateItem", &table, ctx()),
        Decision::NotApplicable
    );
    // StringLike: `*` is any run of characters, `?` one.
    let one = |k: &str| Context::new().with_string_list(LEADING_KEYS, &[k.to_owned()]);
    let wild = policy(json!([stmt(&["dynamodb:Get*"], &["OTP#?EG#*"])]));
    assert_eq!(
        decision(&wild, "dynamodb:GetItem", &table, one("OTP#REG#x#y")),
        Decision::Allow
    );
    assert_eq!(
        decision(&wild, "dynamodb:GetItem", &table, one("OTP#LOGIN#x")),
        Decision::NotApplicable
    );
    assert_eq!(
        decision(&wild, "dynamodb:PutItem", &table, one("OTP#REG#x")),
        Decision::NotApplicable
    );
}
