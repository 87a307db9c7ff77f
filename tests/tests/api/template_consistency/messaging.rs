//! Messaging: per-function roles for SNS / SES / the outbox queue (`engine::access::MESSAGING`),
//! the queue's consumer and dead letters, the SMS budget's alarm.

use super::*;

/// Least privilege: per-function roles; messaging exactly as `engine::access::MESSAGING`
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
                "{}: messaging actions {messaging:?}, but engine::access::MESSAGING says {want:?}",
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
            "SMS_STEPS + EMAIL_STEPS {senders:?} differ from the outbox posters of engine::access {posters:?}"
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

/// The global SMS budget's refusal logs `alert=sms_global_budget_exhausted`
/// (engine::sms): every SMS step's log group turns that line into a metric, and an alarm
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
