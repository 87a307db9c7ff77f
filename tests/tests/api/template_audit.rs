//! What only the template can show of "the help desk is who it says" (issue 22 item 7):
//! CloudTrail records the table's data events (who read or wrote which item, with the IAM
//! principal, whatever tool made the call), and every alarm and dashboard widget on the
//! portal's own metrics reads the metric of its stage (`Stage` dimension, as the EMF lines
//! of `metrics` carry it).

use super::template_consistency::{
    getatt_target, intrinsic, ref_target, resource, resources_of_type, str_of, template,
};
use metrics::{NAMESPACE, STAGE_DIMENSION};
use serde_yaml::Value;

/// The values of a field selector's `Equals`.
fn equals<'a>(selector: &'a Value, field: &str) -> Option<&'a Vec<Value>> {
    selector
        .get("FieldSelectors")?
        .as_sequence()?
        .iter()
        .find(|f| f.get("Field").and_then(Value::as_str) == Some(field))?
        .get("Equals")?
        .as_sequence()
}

fn is_true(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool) == Some(true)
}

#[test]
fn a_trail_logs_the_tables_data_events_into_a_bucket_it_may_write() {
    let t = template();
    let trails = resources_of_type(&t, "AWS::CloudTrail::Trail");
    let table_trails: Vec<_> = trails
        .iter()
        .filter(|(_, trail)| {
            trail["Properties"]["AdvancedEventSelectors"]
                .as_sequence()
                .into_iter()
                .flatten()
                .any(|s| {
                    let data = equals(s, "eventCategory")
                        .is_some_and(|v| v.iter().any(|c| c.as_str() == Some("Data")));
                    let tables = equals(s, "resources.type").is_some_and(|v| {
                        v.iter().any(|c| c.as_str() == Some("AWS::DynamoDB::Table"))
                    });
                    let ours = equals(s, "resources.ARN").is_some_and(|v| {
                        v.iter()
                            .any(|a| getatt_target(a).as_deref() == Some("Table"))
                    });
                    data && tables && ours
                })
        })
        .collect();
    assert_eq!(
        table_trails.len(),
        1,
        "one trail with an advanced event selector for the data events of Table: {trails:?}"
    );
    let (id, trail) = table_trails[0];
    let p = &trail["Properties"];
    assert!(is_true(p.get("IsLogging")), "{id}: IsLogging");
    assert!(
        is_true(p.get("EnableLogFileValidation")),
        "{id}: digest files prove the logs were not changed"
    );
    let bucket = ref_target(&p["S3BucketName"]).expect("S3BucketName: !Ref a bucket of the stack");
    let b = resource(&t, bucket);
    assert_eq!(b["Type"].as_str(), Some("AWS::S3::Bucket"));
    let block = &b["Properties"]["PublicAccessBlockConfiguration"];
    for k in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert!(is_true(block.get(k)), "{bucket}: {k}");
    }
    // Retention decided: the logs expire, and not before the help desk's own records (2 years).
    let days = b["Properties"]["LifecycleConfiguration"]["Rules"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("ExpirationInDays").and_then(Value::as_i64))
        .max()
        .expect("a lifecycle rule that expires the logs");
    let audit_days = store::audit::KEEP_SECS / 86_400;
    assert!(days >= audit_days, "{days} days < {audit_days}");

    // The bucket policy CloudTrail needs, for this trail only (aws:SourceArn).
    let policies: Vec<_> = resources_of_type(&t, "AWS::S3::BucketPolicy")
        .into_iter()
        .filter(|(_, r)| ref_target(&r["Properties"]["Bucket"]) == Some(bucket))
        .collect();
    assert_eq!(policies.len(), 1, "a policy on {bucket}");
    let (policy_id, policy) = policies[0];
    let statements = policy["Properties"]["PolicyDocument"]["Statement"]
        .as_sequence()
        .expect("statements");
    let by_cloudtrail = |action: &str| {
        statements.iter().find(|s| {
            s["Effect"].as_str() == Some("Allow")
                && s["Principal"]["Service"].as_str() == Some("cloudtrail.amazonaws.com")
                && s["Action"].as_str() == Some(action)
        })
    };
    let acl = by_cloudtrail("s3:GetBucketAcl").expect("s3:GetBucketAcl for CloudTrail");
    let put = by_cloudtrail("s3:PutObject").expect("s3:PutObject for CloudTrail");
    assert_eq!(
        put["Condition"]["StringEquals"]["s3:x-amz-acl"].as_str(),
        Some("bucket-owner-full-control")
    );
    for s in [acl, put] {
        assert!(
            s["Condition"]["StringEquals"]
                .get("aws:SourceArn")
                .is_some(),
            "{policy_id}: only this trail may write: {s:?}"
        );
    }
    let depends: Vec<&str> = match &trail["DependsOn"] {
        Value::String(s) => vec![s.as_str()],
        Value::Sequence(v) => v.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    assert!(
        depends.contains(&policy_id),
        "{id} DependsOn {policy_id}: CloudTrail checks the policy when the trail is created"
    );
}

/// The dashboard body (`!Sub` of a JSON string) as JSON: a `${X}` outside a string (a
/// number from a parameter) becomes the string "${X}".
fn dashboard_json(body: &str) -> serde_json::Value {
    let mut out = String::new();
    let (mut in_string, mut escaped) = (false, false);
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '$' && chars.peek() == Some(&'{') {
            out.push_str("\"$");
            for d in chars.by_ref() {
                out.push(d);
                if d == '}' {
                    break;
                }
            }
            out.push('"');
        } else {
            in_string = c == '"';
            out.push(c);
        }
    }
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("dashboard body is not JSON ({e})"))
}

/// A `Dimensions` list of an alarm's metric: name → value.
fn dimensions(v: &Value) -> Vec<(String, &Value)> {
    v.as_sequence()
        .into_iter()
        .flatten()
        .map(|d| (str_of(&d["Name"], "dimension name").to_owned(), &d["Value"]))
        .collect()
}

fn stage_dimension_ok(dims: &[(String, &Value)]) -> bool {
    dims.iter()
        .any(|(n, v)| n == STAGE_DIMENSION && ref_target(v) == Some("Stage"))
}

#[test]
fn every_alarm_and_widget_on_the_portals_metrics_reads_its_stage() {
    let t = template();
    // The functions know their stage: the variable the EMF lines take it from.
    let globals = &t["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(
        ref_target(&globals[engine::config::vars::STAGE]),
        Some("Stage"),
        "Globals: {} = !Ref Stage",
        engine::config::vars::STAGE
    );

    let mut checked = 0;
    for (id, alarm) in resources_of_type(&t, "AWS::CloudWatch::Alarm") {
        let p = &alarm["Properties"];
        if p["Namespace"].as_str() == Some(NAMESPACE) {
            assert!(
                stage_dimension_ok(&dimensions(&p["Dimensions"])),
                "{id}: no {STAGE_DIMENSION} = !Ref Stage dimension"
            );
            checked += 1;
        }
        for m in p["Metrics"].as_sequence().into_iter().flatten() {
            let metric = &m["MetricStat"]["Metric"];
            if metric["Namespace"].as_str() == Some(NAMESPACE) {
                assert!(
                    stage_dimension_ok(&dimensions(&metric["Dimensions"])),
                    "{id}/{:?}: no {STAGE_DIMENSION} = !Ref Stage dimension",
                    m["Id"]
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 4, "the portal's alarms were found ({checked})");

    for (id, filter) in resources_of_type(&t, "AWS::Logs::MetricFilter") {
        for m in filter["Properties"]["MetricTransformations"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            if m["MetricNamespace"].as_str() == Some(NAMESPACE) {
                let dims: Vec<_> = m["Dimensions"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .map(|d| d["Key"].as_str().unwrap_or_default())
                    .collect();
                assert!(dims.contains(&STAGE_DIMENSION), "{id}: {dims:?}");
            }
        }
    }

    let mut widgets = 0;
    for (id, d) in resources_of_type(&t, "AWS::CloudWatch::Dashboard") {
        let body = match intrinsic(&d["Properties"]["DashboardBody"]) {
            Some((f, arg)) if f == "Fn::Sub" => str_of(arg, "DashboardBody").to_owned(),
            _ => str_of(&d["Properties"]["DashboardBody"], "DashboardBody").to_owned(),
        };
        let v = dashboard_json(&body);
        for w in v["widgets"].as_array().into_iter().flatten() {
            for m in w["properties"]["metrics"].as_array().into_iter().flatten() {
                let Some(m) = m.as_array() else { continue };
                if m.first().and_then(|n| n.as_str()) != Some(NAMESPACE) {
                    continue;
                }
                let at = m
                    .iter()
                    .position(|x| x.as_str() == Some(STAGE_DIMENSION))
                    .unwrap_or_else(|| {
                        panic!(
                            "{id}: {:?} {m:?} has no {STAGE_DIMENSION}",
                            w["properties"]["title"]
                        )
                    });
                assert_eq!(
                    m.get(at + 1).and_then(|x| x.as_str()),
                    Some("${Stage}"),
                    "{id}: {m:?}"
                );
                widgets += 1;
            }
        }
    }
    assert!(
        widgets >= 10,
        "the dashboard's metrics were found ({widgets})"
    );
}
