//! Issue 22, item 3, what only the template can show: no function's environment holds a
//! secret's value (no `{{resolve:secretsmanager…}}` dynamic reference in any `Environment`),
//! and exactly the functions that read the flow secret (`engine::access::FLOW_SECRET_READERS`)
//! get its name and `secretsmanager:GetSecretValue` on it, through one managed policy.

use super::template_consistency::{
    functions, getatt_target, ref_target, resource, role_statements, strings, template,
};
use engine::config::vars;
use serde_yaml::Value;
use std::collections::BTreeSet;

/// Every string in `v` (tags included: `!Sub "…"` is a tagged string).
fn texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Sequence(xs) => xs.iter().for_each(|x| texts(x, out)),
        Value::Mapping(m) => m.iter().for_each(|(k, x)| {
            texts(k, out);
            texts(x, out)
        }),
        Value::Tagged(t) => texts(&t.value, out),
        _ => {}
    }
}

#[test]
fn no_function_environment_holds_a_secret_value() {
    let t = template();
    let mut envs = vec![(
        "Globals".to_owned(),
        &t["Globals"]["Function"]["Environment"],
    )];
    for f in functions(&t) {
        if let Some(e) = f.props().get("Environment") {
            envs.push((f.id.to_owned(), e));
        }
    }
    let mut problems = vec![];
    for (who, env) in envs {
        let mut all = vec![];
        let vars = env["Variables"].as_mapping().into_iter().flatten();
        vars.for_each(|(_, v)| texts(v, &mut all));
        for s in all
            .iter()
            .filter(|s| s.contains("{{resolve:secretsmanager"))
        {
            problems.push(format!("{who}: a secret's value in the environment: {s}"));
        }
    }
    if t["Globals"]["Function"]["Environment"]["Variables"]
        .get("FLOW_SECRET")
        .is_some()
    {
        problems.push("Globals still sets FLOW_SECRET".into());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The roles whose statements allow `secretsmanager:GetSecretValue` on `secret`.
fn can_read(t: &Value, role_id: &str, secret: &str) -> bool {
    role_statements(t, role_id).iter().any(|st| {
        st["Effect"].as_str() == Some("Allow")
            && strings(&st["Action"])
                .iter()
                .any(|a| a == "secretsmanager:GetSecretValue")
            && ref_target(&st["Resource"]) == Some(secret)
    })
}

#[test]
fn exactly_the_functions_that_use_the_flow_secret_can_read_it() {
    let t = template();
    let secret = super::template_consistency::FLOW_SECRET_RESOURCE;
    assert_eq!(
        resource(&t, secret)["Type"].as_str(),
        Some("AWS::SecretsManager::Secret")
    );
    let mut problems = vec![];
    let mut given = BTreeSet::new();
    for f in functions(&t) {
        let env = f
            .props()
            .get("Environment")
            .and_then(|e| e.get("Variables"));
        let named = env.and_then(|v| v.get(vars::FLOW_SECRET_ARN));
        let role = getatt_target(&f.props()["Role"])
            .unwrap_or_else(|| panic!("{}: Role must be !GetAtt <Role>.Arn", f.id));
        let reads = can_read(&t, &role, secret);
        let wanted = engine::access::reads_flow_secret(&f.krate);
        match (named.map(|v| ref_target(v) == Some(secret)), reads, wanted) {
            (Some(true), true, true) => {
                given.insert(f.krate.clone());
            }
            (None, false, false) => {}
            (named, reads, wanted) => problems.push(format!(
                "{}: FLOW_SECRET_ARN = !Ref {secret}: {named:?}, role reads it: {reads}, \
                 engine::access::FLOW_SECRET_READERS: {wanted}",
                f.krate
            )),
        }
    }
    let declared: BTreeSet<String> = engine::access::FLOW_SECRET_READERS
        .iter()
        .map(|f| f.to_string())
        .collect();
    if given != declared {
        problems.push(format!(
            "given the secret: {given:?}, declared: {declared:?}"
        ));
    }
    if given.contains("send-messages") {
        problems.push("send-messages must not read the flow secret".into());
    }
    // One managed policy, on that secret only, read only.
    let policy = resource(&t, "FlowSecretReadPolicy");
    assert_eq!(policy["Type"].as_str(), Some("AWS::IAM::ManagedPolicy"));
    for st in policy["Properties"]["PolicyDocument"]["Statement"]
        .as_sequence()
        .expect("statements")
    {
        if strings(&st["Action"]) != ["secretsmanager:GetSecretValue"]
            || ref_target(&st["Resource"]) != Some(secret)
        {
            problems.push(format!("FlowSecretReadPolicy grants more: {st:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
