//! (c), (e): the table's key design against `store::schema`, and each function's
//! table permissions against `engine::access`.

use super::*;

/// (c) The table's keys, TTL attribute and (absent) GSIs equal store::schema.
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

/// (e) Least privilege on the table: each function's role grants exactly what
/// `engine::access` declares, as (action, `dynamodb:LeadingKeys` pattern) pairs, in
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
        // if ONE statement holds all its keys (`engine::access::statements`, template_iam.rs).
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
                "{} ({role_id}): table access differs from engine::access\n  missing: {:?}\n  not declared: {:?}\n  \
                    statements not grouped as engine::access::statements (one per action): {}\n  \
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
