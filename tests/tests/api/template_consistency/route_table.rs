//! (a), (a'), (b): the function crates, the template's functions and their API events
//! against the route table (`domain::routes`).

use super::*;

/// (a) The template's functions, the crates under functions/ and the route table (with the
/// queue's consumer, `engine::access::QUEUE_FUNCTIONS`) agree.
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
            "engine::access::functions() (ROUTES + QUEUE_FUNCTIONS)",
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
        "engine::access::functions() (ROUTES + QUEUE_FUNCTIONS)",
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
