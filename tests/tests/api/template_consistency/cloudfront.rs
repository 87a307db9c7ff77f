//! (f), (g): CloudFront in front of the REST API (the flow paths, the origin secret, the
//! viewer's address) and the CLOUDFRONT web ACL in infra/waf.yaml.

use super::*;

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
        "patterns from domain::routes::API_PATH_PREFIXES",
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
                "{pid}: must forward exactly web::edge::FORWARDED_VIEWER_HEADERS {expected:?}, \
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
