//! Every reference in the templates resolves; the outputs and parameters the scripts use
//! are there.

use super::*;

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
