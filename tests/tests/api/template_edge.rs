//! Issue 22, item 2, as the template shows it: the functions sit behind a REST API whose
//! stage carries a regional WAF web ACL that admits only CloudFront (its secret header),
//! and no function holds that secret. Pure file parsing, like `template_consistency`
//! (`INFRA_TEMPLATE=path` runs the checks on another file).

use super::template_consistency::{
    functions, getatt_target, intrinsic, is_generated_header_secret, ref_target, resolved_secret,
    resource, resources_of_type, strings, template, FLOW_SECRET_RESOURCE,
};
use domain::routes::ROUTES;
use serde_yaml::Value;
use std::collections::BTreeSet;
use web::edge;

/// The text of a `!Sub` (short or long form, plain string or `[string, vars]`).
fn sub_text(v: &Value) -> Option<String> {
    let (f, arg) = intrinsic(v)?;
    if f != "Fn::Sub" {
        return None;
    }
    match arg {
        Value::String(s) => Some(s.clone()),
        Value::Sequence(s) => s.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// The one REST API: (logical id, its Properties).
fn rest_api(t: &Value) -> (&str, &Value) {
    let apis = resources_of_type(t, "AWS::Serverless::Api");
    assert_eq!(
        apis.len(),
        1,
        "one AWS::Serverless::Api (the REST API), found {apis:?}"
    );
    (apis[0].0, &apis[0].1["Properties"])
}

/// Every route of the table is a method of the REST API on its own function; and there is
/// no other door: no HTTP API, no function URL.
#[test]
fn every_route_is_a_rest_api_method_of_its_function() {
    let t = template();
    let (api_id, _) = rest_api(&t);
    let mut problems = vec![];
    for ty in [
        "AWS::Serverless::HttpApi",
        "AWS::ApiGatewayV2::Api",
        "AWS::Lambda::Url",
        "AWS::ApiGateway::RestApi",
    ] {
        for (id, _) in resources_of_type(&t, ty) {
            problems.push(format!(
                "{id}: {ty} is a way to the functions that bypasses the WAF"
            ));
        }
    }
    let fns = functions(&t);
    for r in ROUTES {
        let Some(f) = fns.iter().find(|f| f.krate == r.function) else {
            problems.push(format!(
                "{} {}: no function {}",
                r.method, r.path, r.function
            ));
            continue;
        };
        let found = f
            .props()
            .get("Events")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .any(|(_, ev)| {
                let p = &ev["Properties"];
                ev["Type"].as_str() == Some("Api")
                    && ref_target(&p["RestApiId"]) == Some(api_id)
                    && p["Method"].as_str().map(str::to_uppercase).as_deref() == Some(r.method)
                    && p["Path"].as_str() == Some(r.path)
            });
        if !found {
            problems.push(format!(
                "{} {}: not a method of the REST API {api_id} on {}",
                r.method, r.path, f.id
            ));
        }
    }
    for f in &fns {
        if f.props().get("FunctionUrlConfig").is_some() {
            problems.push(format!("{}: a function URL bypasses the WAF", f.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The REST API: regional (a regional web ACL can guard it; CloudFront is in front
/// anyway), one stage named by the Stage parameter, every media type binary (the PDF
/// export, base64 request bodies: `local_gateway::lambda::event::BINARY_MEDIA_TYPES`, in
/// SAM's `~1` spelling), a throttle on every method, access logs to its own log group.
#[test]
fn the_rest_api_is_regional_binary_throttled_and_logged() {
    let t = template();
    let (id, p) = rest_api(&t);
    let mut problems = vec![];
    let endpoint = &p["EndpointConfiguration"];
    let ty = endpoint.get("Type").unwrap_or(endpoint).as_str();
    if ty != Some("REGIONAL") {
        problems.push(format!(
            "{id}: EndpointConfiguration must be REGIONAL, found {ty:?}"
        ));
    }
    if ref_target(&p["StageName"]) != Some("Stage") {
        problems.push(format!("{id}: StageName must be !Ref Stage"));
    }
    if p["OpenApiVersion"]
        .as_str()
        .is_none_or(|v| !v.starts_with('3'))
    {
        problems.push(format!(
            "{id}: OpenApiVersion 3.x (else SAM adds a stage named Stage)"
        ));
    }
    let want: BTreeSet<String> = local_gateway::lambda::event::BINARY_MEDIA_TYPES
        .iter()
        .map(|m| m.replace('/', "~1"))
        .collect();
    let got: BTreeSet<String> = strings(&p["BinaryMediaTypes"]).into_iter().collect();
    if got != want {
        problems.push(format!(
            "{id}: BinaryMediaTypes must be {want:?}, found {got:?}"
        ));
    }
    let throttled = p["MethodSettings"]
        .as_sequence()
        .into_iter()
        .flatten()
        .any(|m| {
            m["ResourcePath"].as_str() == Some("/*")
                && m["HttpMethod"].as_str() == Some("*")
                && m["ThrottlingRateLimit"].as_u64().is_some_and(|r| r > 0)
                && m["ThrottlingBurstLimit"].as_u64().is_some_and(|b| b > 0)
        });
    if !throttled {
        problems.push(format!(
            "{id}: MethodSettings must throttle every method (/*, *)"
        ));
    }
    let logs = getatt_target(&p["AccessLogSetting"]["DestinationArn"]);
    match logs {
        Some(g) if resource(&t, &g)["Type"].as_str() == Some("AWS::Logs::LogGroup") => {}
        other => problems.push(format!(
            "{id}: AccessLogSetting.DestinationArn must be !GetAtt <LogGroup>.Arn, found {other:?}"
        )),
    }
    let format = p["AccessLogSetting"]["Format"].as_str().unwrap_or_default();
    for var in [
        "$context.requestId",
        "$context.status",
        "$context.wafResponseCode",
    ] {
        if !format.contains(var) {
            problems.push(format!("{id}: the access log format lacks {var}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The secret CloudFront sends as `x-origin-verify` (the API origin's custom header).
fn cloudfront_secret(t: &Value) -> String {
    let cfg = &resources_of_type(t, "AWS::CloudFront::Distribution")[0].1["Properties"]
        ["DistributionConfig"];
    cfg["Origins"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|o| o["OriginCustomHeaders"].as_sequence().into_iter().flatten())
        .find(|h| {
            h["HeaderName"].as_str().map(str::to_lowercase).as_deref()
                == Some(edge::ORIGIN_VERIFY_HEADER)
        })
        .and_then(|h| resolved_secret(&h["HeaderValue"]))
        .expect("CloudFront's API origin sends x-origin-verify from a secret")
}

/// The secrets an Allow statement admits: each must be an exact, untransformed match of
/// `x-origin-verify` (a ByteMatch, or an Or of ByteMatches); Err says what else it is.
fn header_matches(stmt: &Value) -> Result<Vec<String>, String> {
    if let Some(or) = stmt.get("OrStatement") {
        let mut all = vec![];
        for s in or["Statements"].as_sequence().into_iter().flatten() {
            all.extend(header_matches(s)?);
        }
        return Ok(all);
    }
    let Some(m) = stmt.get("ByteMatchStatement") else {
        return Err(format!("not a header match: {stmt:?}"));
    };
    let header = m["FieldToMatch"]["SingleHeader"]["Name"]
        .as_str()
        .map(str::to_lowercase);
    if header.as_deref() != Some(edge::ORIGIN_VERIFY_HEADER) {
        return Err(format!(
            "matches {header:?}, not {}",
            edge::ORIGIN_VERIFY_HEADER
        ));
    }
    if m["PositionalConstraint"].as_str() != Some("EXACTLY") {
        return Err("PositionalConstraint must be EXACTLY".into());
    }
    let transforms: Vec<_> = m["TextTransformations"]
        .as_sequence()
        .into_iter()
        .flatten()
        .map(|x| x["Type"].as_str().unwrap_or("?").to_owned())
        .collect();
    if transforms.iter().any(|x| x != "NONE") {
        return Err(format!(
            "TextTransformations must be NONE, found {transforms:?}"
        ));
    }
    resolved_secret(&m["SearchString"])
        .map(|s| vec![s])
        .ok_or_else(|| {
            "SearchString must be !Sub {{resolve:secretsmanager:${X}:SecretString}}".into()
        })
}

/// The regional web ACL: default Block, and its only Allow is `x-origin-verify` equal to
/// the secret CloudFront sends (plus, for rotations, one other generated secret).
#[test]
fn the_regional_web_acl_admits_only_cloudfronts_secret() {
    let t = template();
    let acls: Vec<_> = resources_of_type(&t, "AWS::WAFv2::WebACL")
        .into_iter()
        .filter(|(_, a)| a["Properties"]["Scope"].as_str() == Some("REGIONAL"))
        .collect();
    assert_eq!(
        acls.len(),
        1,
        "one REGIONAL AWS::WAFv2::WebACL in the main template"
    );
    let (acl_id, acl) = acls[0];
    let p = &acl["Properties"];
    let mut problems = vec![];
    let default = p["DefaultAction"].as_mapping().map(|m| {
        m.keys()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    });
    if default.as_deref() != Some(&["Block".to_owned()][..]) {
        problems.push(format!(
            "{acl_id}: DefaultAction must be Block, found {default:?}"
        ));
    }
    let cloudfront = cloudfront_secret(&t);
    let mut allowed = vec![];
    for rule in p["Rules"].as_sequence().into_iter().flatten() {
        let name = rule["Name"].as_str().unwrap_or("?");
        if rule.get("OverrideAction").is_some() {
            problems.push(format!(
                "{acl_id}.{name}: no rule groups (they could allow)"
            ));
        }
        if rule["Action"].get("Allow").is_none() {
            continue;
        }
        match header_matches(&rule["Statement"]) {
            Ok(secrets) => allowed.push((name.to_owned(), secrets)),
            Err(e) => problems.push(format!(
                "{acl_id}.{name} allows more than the origin secret: {e}"
            )),
        }
    }
    match allowed.as_slice() {
        [(name, secrets)] => {
            if !secrets.contains(&cloudfront) {
                problems.push(format!(
                    "{acl_id}.{name}: must admit the secret CloudFront sends ({cloudfront}), admits {secrets:?}"
                ));
            }
            if secrets.len() > 2 {
                problems.push(format!(
                    "{acl_id}.{name}: at most the current and the previous value"
                ));
            }
            for s in secrets {
                if !is_generated_header_secret(&t, s) || s == FLOW_SECRET_RESOURCE {
                    problems.push(format!(
                        "{s}: must be a generated secret of >= 32 alphanumerics, not FLOW_SECRET's"
                    ));
                }
            }
        }
        other => problems.push(format!("{acl_id}: exactly one Allow rule, found {other:?}")),
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The web ACL is associated with the API's stage, the one CloudFront forwards to
/// (`OriginPath` = the stage); a rotation updates the ACL before the distribution.
#[test]
fn the_web_acl_guards_the_stage_cloudfront_forwards_to() {
    let t = template();
    let (api_id, _) = rest_api(&t);
    let stage = format!("${{{api_id}.Stage}}");
    let mut problems = vec![];
    let assocs = resources_of_type(&t, "AWS::WAFv2::WebACLAssociation");
    let acl_id = resources_of_type(&t, "AWS::WAFv2::WebACL")
        .into_iter()
        .find(|(_, a)| a["Properties"]["Scope"].as_str() == Some("REGIONAL"))
        .map(|(id, _)| id.to_owned());
    let guard = assocs
        .iter()
        .find(|(_, a)| getatt_target(&a["Properties"]["WebACLArn"]) == acl_id);
    match guard {
        None => problems.push(format!("no AWS::WAFv2::WebACLAssociation of {acl_id:?}")),
        Some((id, a)) => {
            let arn = sub_text(&a["Properties"]["ResourceArn"]).unwrap_or_default();
            let want = format!("/restapis/${{{api_id}}}/stages/{stage}");
            if !arn.starts_with("arn:${AWS::Partition}:apigateway:${AWS::Region}::")
                || !arn.ends_with(&want)
            {
                problems.push(format!(
                    "{id}: ResourceArn must be the stage of {api_id} (…{want}), found {arn:?}"
                ));
            }
        }
    }
    let (dist_id, dist) = resources_of_type(&t, "AWS::CloudFront::Distribution")[0];
    let origin = dist["Properties"]["DistributionConfig"]["Origins"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|o| o.get("CustomOriginConfig").is_some())
        .expect("an API origin");
    let domain = sub_text(&origin["DomainName"]).unwrap_or_default();
    if domain != format!("${{{api_id}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}") {
        problems.push(format!(
            "{dist_id}: the API origin must be {api_id}'s execute-api domain, found {domain:?}"
        ));
    }
    let path = sub_text(&origin["OriginPath"]).unwrap_or_default();
    if path != format!("/{stage}") {
        problems.push(format!(
            "{dist_id}: OriginPath must be /{stage} (the guarded stage), found {path:?}"
        ));
    }
    let depends = strings(&dist["DependsOn"]);
    if !guard.is_some_and(|(id, _)| depends.iter().any(|d| d == id)) {
        problems.push(format!(
            "{dist_id}: DependsOn the web ACL association, so a rotation updates the ACL first (found {depends:?})"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// No function holds the origin secret (in its environment, the Globals', or a policy):
/// the WAF checks it before any function runs, and `lambda:GetFunctionConfiguration`
/// must not hand it out. Nor does the configuration read one.
#[test]
fn no_function_holds_the_origin_secret() {
    let t = template();
    let secret = cloudfront_secret(&t);
    let mut secrets: BTreeSet<String> = BTreeSet::from([secret]);
    for (_, acl) in resources_of_type(&t, "AWS::WAFv2::WebACL") {
        for rule in acl["Properties"]["Rules"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            if let Ok(s) = header_matches(&rule["Statement"]) {
                secrets.extend(s);
            }
        }
    }
    let mut problems = vec![];
    let text = |v: &Value| serde_yaml::to_string(v).unwrap_or_default();
    let globals = text(&t["Globals"]);
    for f in functions(&t) {
        let props = text(f.props());
        let role = ref_target(&f.props()["Role"])
            .map(str::to_owned)
            .or_else(|| getatt_target(&f.props()["Role"]))
            .map(|r| text(resource(&t, &r)))
            .unwrap_or_default();
        for s in &secrets {
            for (where_, body) in [
                ("its properties", &props),
                ("its role", &role),
                ("Globals", &globals),
            ] {
                if body.contains(&format!("${{{s}}}")) || body.contains(&format!("!Ref {s}")) {
                    problems.push(format!("{}: {s} appears in {where_}", f.id));
                }
            }
        }
    }
    let config = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/engine/src/config.rs"),
    )
    .unwrap();
    if config.contains("ORIGIN_VERIFY") {
        problems.push("engine::config still reads an origin secret".into());
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
