//! API Gateway REST API, Lambda proxy integration (payload format 1.0), both ways: the
//! event API Gateway builds from the request CloudFront forwards (the template's origin
//! request policy: only `web::edge::FORWARDED_VIEWER_HEADERS` of the viewer's headers,
//! plus its cookies), and the HTTP response API Gateway makes of the function's answer.
//! Locally the gateway is CloudFront, the API's WAF and API Gateway, so the request
//! arriving here already carries what `play_the_edge` added (viewer address, origin secret)
//! and passed the WAF (`crate::edge`); this module adds the rest.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::net::IpAddr;
use time::OffsetDateTime;

/// The REST API's `BinaryMediaTypes` (the template's `Api`, written `*~1*` there: SAM's
/// escape of `/`): every media type is binary, so a request body always arrives base64
/// (`isBase64Encoded`), and a base64 response body (the PDF export) is decoded whatever
/// the browser's `Accept` says. With a narrower list API Gateway would hand a browser
/// whose first `Accept` type is `text/html` the PDF as base64 text.
pub const BINARY_MEDIA_TYPES: &[&str] = &["*/*"];

/// The API's identity and where the request came from, as API Gateway knows them.
pub struct Api {
    pub api_id: String,
    pub account_id: String,
    pub region: String,
    /// The stage CloudFront's `OriginPath` names (`/<stage>`).
    pub stage: String,
    /// The address that connected to API Gateway: behind CloudFront, the edge's own
    /// (locally the gateway's), never the viewer's.
    pub source_ip: IpAddr,
}

impl Api {
    pub fn domain_name(&self) -> String {
        format!("{}.execute-api.{}.amazonaws.com", self.api_id, self.region)
    }
}

/// What reaches API Gateway of the viewer's request headers: those the origin request policy
/// names, the cookies (the policy forwards all) and the origin custom header the
/// distribution adds (`play_the_edge` set it; API Gateway passes it on after the WAF).
/// Everything else — Host, Accept… — stays at CloudFront, so a handler that read one would
/// fail here as it would in AWS.
fn forwarded(name: &str) -> bool {
    web::edge::FORWARDED_VIEWER_HEADERS.contains(&name)
        || name == http::header::COOKIE.as_str()
        || name == web::edge::ORIGIN_VERIFY_HEADER
}

/// The User-Agent CloudFront sends to an origin when the viewer sent none.
const CLOUDFRONT_USER_AGENT: &str = "Amazon CloudFront";

/// Whether `media_type` (`type/subtype`, parameters ignored) is one of `BINARY_MEDIA_TYPES`
/// (`*` matches any type or subtype).
pub fn is_binary(media_type: &str) -> bool {
    let mt = media_type
        .split([';', ','])
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (ty, sub) = mt.split_once('/').unwrap_or((mt.as_str(), ""));
    BINARY_MEDIA_TYPES.iter().any(|b| {
        let (bt, bs) = b.split_once('/').unwrap_or((b, ""));
        (bt == "*" || bt == ty) && (bs == "*" || bs == sub)
    })
}

/// The event for one request to the resource `resource` (the route's path). `viewer_ip` is
/// the viewer's address (CloudFront's `X-Forwarded-For`, to which API Gateway appends the
/// edge).
pub fn request(
    api: &Api,
    resource: &str,
    parts: &http::request::Parts,
    viewer_ip: IpAddr,
    body: &[u8],
    now: OffsetDateTime,
) -> Value {
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let mut multi: Map<String, Value> = Map::new();
    for name in parts.headers.keys().filter(|n| forwarded(n.as_str())) {
        let values: Vec<Value> = parts
            .headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        multi.insert(name.as_str().to_owned(), Value::Array(values));
    }
    let epoch_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let request_id = domain::crypto::token_hash(&domain::crypto::random_token())[..32].to_owned();
    let cf_id = domain::crypto::random_token();
    let trace = format!("Root=1-{:08x}-{}", now.unix_timestamp(), &hex_id()[..24]);
    let mut added = vec![
        ("host", api.domain_name()),
        (
            "via",
            "2.0 local-gateway.cloudfront.net (CloudFront)".to_owned(),
        ),
        ("x-amz-cf-id", cf_id),
        ("cloudfront-forwarded-proto", "https".to_owned()),
        ("x-forwarded-for", format!("{viewer_ip}, {}", api.source_ip)),
        ("x-forwarded-port", "443".to_owned()),
        ("x-forwarded-proto", "https".to_owned()),
        ("x-amzn-trace-id", trace),
    ];
    if !body.is_empty() {
        added.push(("content-length", body.len().to_string()));
    }
    // The policy forwards the viewer's User-Agent; without one CloudFront sends its own.
    if !multi.contains_key("user-agent") {
        added.push(("user-agent", CLOUDFRONT_USER_AGENT.to_owned()));
    }
    for (k, v) in added {
        multi.insert(k.to_owned(), json!([v]));
    }
    // `headers` holds the last value of each, `multiValueHeaders` all of them.
    let headers: Map<String, Value> = multi
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_array()
                    .and_then(|a| a.last())
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect();
    let user_agent = headers["user-agent"].clone();
    let mut event = json!({
        "resource": resource,
        "path": path,
        "httpMethod": parts.method.as_str(),
        "headers": headers,
        "multiValueHeaders": multi,
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "accountId": api.account_id,
            "apiId": api.api_id,
            "resourceId": &hex_id()[..6],
            "resourcePath": resource,
            "httpMethod": parts.method.as_str(),
            "path": format!("/{}{path}", api.stage),
            "stage": api.stage,
            "protocol": "HTTP/1.1",
            "domainName": api.domain_name(),
            "domainPrefix": api.api_id,
            "requestId": request_id,
            "extendedRequestId": format!("{}=", &hex_id()[..15]),
            "requestTime": clf_time(now),
            "requestTimeEpoch": epoch_ms,
            "identity": {
                "sourceIp": api.source_ip.to_string(),
                "userAgent": user_agent,
                "accountId": null, "apiKey": null, "apiKeyId": null, "caller": null,
                "cognitoAuthenticationProvider": null, "cognitoAuthenticationType": null,
                "cognitoIdentityId": null, "cognitoIdentityPoolId": null, "principalOrgId": null,
                "user": null, "userArn": null,
            },
        },
        "body": null,
        "isBase64Encoded": false,
    });
    if !query.is_empty() {
        let mut single: Map<String, Value> = Map::new();
        let mut all: Map<String, Value> = Map::new();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            single.insert(
                k.clone().into_owned(),
                Value::String(v.clone().into_owned()),
            );
            match all.get_mut(k.as_ref()) {
                Some(Value::Array(a)) => a.push(Value::String(v.into_owned())),
                _ => {
                    all.insert(k.into_owned(), json!([v]));
                }
            }
        }
        event["queryStringParameters"] = Value::Object(single);
        event["multiValueQueryStringParameters"] = Value::Object(all);
    }
    if !body.is_empty() {
        let content_type = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json");
        match std::str::from_utf8(body) {
            Ok(text) if !is_binary(content_type) => event["body"] = Value::String(text.to_owned()),
            // With BINARY_MEDIA_TYPES */*, every body (form posts too) takes this way.
            _ => {
                event["body"] = Value::String(B64.encode(body));
                event["isBase64Encoded"] = Value::Bool(true);
            }
        }
    }
    event
}

/// `10/Mar/2026:10:00:00 +0000`, API Gateway's `requestContext.requestTime`.
fn clf_time(t: OffsetDateTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:02}/{}/{}:{:02}:{:02}:{:02} +0000",
        t.day(),
        MONTHS[t.month() as usize - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn hex_id() -> String {
    domain::crypto::token_hash(&domain::crypto::random_token())
}

/// API Gateway's answer to the function's output (Lambda proxy integration): `statusCode`,
/// `headers` merged with `multiValueHeaders` (a name in both takes the multi values: each
/// `Set-Cookie` its own header), `body` decoded when `isBase64Encoded` and the response is
/// binary (`BINARY_MEDIA_TYPES`: the request's `Accept` or the response's content type).
/// Err: output API Gateway cannot map (a malformed proxy response: it answers 502).
pub fn response(output: &[u8], accept: Option<&str>) -> Result<http::Response<Vec<u8>>, String> {
    let v: Value =
        serde_json::from_slice(output).map_err(|e| format!("function output is not JSON: {e}"))?;
    let status = v
        .get("statusCode")
        .ok_or("malformed Lambda proxy response: no statusCode")?;
    let status = status
        .as_u64()
        .and_then(|s| http::StatusCode::from_u16(s as u16).ok())
        .ok_or_else(|| format!("invalid statusCode {status}"))?;
    let mut b = http::Response::builder().status(status);
    let text = |val: &Value| {
        val.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| val.to_string())
    };
    let multi = v.get("multiValueHeaders").and_then(Value::as_object);
    let lower = |k: &str| k.to_ascii_lowercase();
    let in_multi = |k: &str| multi.is_some_and(|m| m.keys().any(|m| lower(m) == lower(k)));
    let mut content_type = None;
    for (k, val) in v
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !in_multi(k) {
            if lower(k) == "content-type" {
                content_type = Some(text(val));
            }
            b = b.header(k.as_str(), text(val));
        }
    }
    for (k, vals) in multi.into_iter().flatten() {
        for val in vals.as_array().into_iter().flatten() {
            if lower(k) == "content-type" {
                content_type = Some(text(val));
            }
            b = b.header(k.as_str(), text(val));
        }
    }
    let binary = accept.is_some_and(is_binary) || content_type.as_deref().is_some_and(is_binary);
    let body = match v.get("body").and_then(Value::as_str) {
        None => Vec::new(),
        Some(s) if binary && v.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) => B64
            .decode(s)
            .map_err(|e| format!("body is not base64: {e}"))?,
        Some(s) => s.as_bytes().to_vec(),
    };
    b.body(body)
        .map_err(|e| format!("invalid response header: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Api {
        Api {
            api_id: "local".into(),
            account_id: "000000000000".into(),
            region: "eu-south-1".into(),
            stage: "local".into(),
            source_ip: [127, 0, 0, 1].into(),
        }
    }

    #[test]
    fn a_form_post_becomes_a_rest_api_proxy_event() {
        let req = http::Request::post("/accesso?next=%2Farea-clienti&a=1&a=2")
            .header("host", "127.0.0.1:3000")
            .header("cookie", "login_flow=abc; other=1")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .header("accept", "application/xhtml+xml")
            .header("user-agent", "Chromium")
            .header("cloudfront-viewer-address", "10.1.2.3:5555")
            .header("x-origin-verify", "s".repeat(64))
            .body(())
            .unwrap();
        let (parts, _) = req.into_parts();
        let e = request(
            &api(),
            "/accesso",
            &parts,
            [10, 1, 2, 3].into(),
            b"username=a%40b.it&password=x",
            OffsetDateTime::from_unix_timestamp(1_773_136_800).unwrap(),
        );
        assert_eq!(e["resource"], "/accesso");
        assert_eq!(e["path"], "/accesso");
        assert_eq!(e["httpMethod"], "POST");
        assert_eq!(
            e["queryStringParameters"],
            json!({"next": "/area-clienti", "a": "2"}),
            "the last value of each"
        );
        assert_eq!(
            e["multiValueQueryStringParameters"],
            json!({"next": ["/area-clienti"], "a": ["1", "2"]})
        );
        assert_eq!(
            e["headers"]["cookie"], "login_flow=abc; other=1",
            "in the Cookie header"
        );
        assert!(e.get("cookies").is_none(), "a payload 2.0 field");
        assert_eq!(
            e["headers"]["host"],
            "local.execute-api.eu-south-1.amazonaws.com"
        );
        assert!(
            e["headers"].get("accept").is_none() && e["multiValueHeaders"].get("accept").is_none(),
            "not in the origin request policy"
        );
        assert_eq!(
            e["headers"]["user-agent"], "Chromium",
            "forwarded by the policy"
        );
        assert_eq!(
            e["multiValueHeaders"]["content-type"],
            json!(["application/x-www-form-urlencoded"])
        );
        assert_eq!(e["headers"]["x-forwarded-for"], "10.1.2.3, 127.0.0.1");
        assert_eq!(e["headers"]["cloudfront-viewer-address"], "10.1.2.3:5555");
        assert_eq!(
            e["headers"]["x-origin-verify"],
            "s".repeat(64),
            "passed on after the WAF"
        );
        assert_eq!(e["isBase64Encoded"], true);
        assert_eq!(
            B64.decode(e["body"].as_str().unwrap()).unwrap(),
            b"username=a%40b.it&password=x"
        );
        let ctx = &e["requestContext"];
        assert_eq!(
            ctx["identity"]["sourceIp"], "127.0.0.1",
            "the edge, not the viewer"
        );
        assert_eq!(ctx["identity"]["userAgent"], "Chromium");
        assert_eq!(ctx["httpMethod"], "POST");
        assert_eq!(ctx["resourcePath"], "/accesso");
        assert_eq!(ctx["path"], "/local/accesso");
        assert_eq!(ctx["stage"], "local");
        assert_eq!(ctx["requestTime"], "10/Mar/2026:10:00:00 +0000");
        assert_eq!(ctx["requestTimeEpoch"], 1_773_136_800_000i64);
        assert!(e["pathParameters"].is_null());
        // And lambda_http reads it back as the same request (the stage in front of the
        // path, which `web::runtime::without_stage` takes off).
        let back = lambda_http::request::from_str(&e.to_string()).unwrap();
        assert_eq!(back.method(), "POST");
        assert_eq!(back.uri().path(), "/local/accesso");
        let back = web::runtime::without_stage(back);
        assert_eq!(back.uri().path(), "/accesso");
        assert_eq!(back.headers()["cookie"], "login_flow=abc; other=1");
        assert_eq!(back.body().as_ref(), b"username=a%40b.it&password=x");
        use lambda_http::RequestExt;
        let q = back.query_string_parameters();
        assert_eq!(q.all("a"), Some(vec!["1", "2"]));
    }

    #[test]
    fn a_get_without_cookies_or_body_has_them_null() {
        let (parts, _) = http::Request::get("/registrazione/numero")
            .body(())
            .unwrap()
            .into_parts();
        let e = request(
            &api(),
            "/registrazione/numero",
            &parts,
            [10, 0, 0, 1].into(),
            b"",
            OffsetDateTime::now_utc(),
        );
        for null in [
            "body",
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "pathParameters",
        ] {
            assert!(e[null].is_null(), "{null}");
        }
        assert!(e["headers"].get("cookie").is_none());
        assert_eq!(e["headers"]["user-agent"], "Amazon CloudFront");
        assert_eq!(e["isBase64Encoded"], false);
        let back = lambda_http::request::from_str(&e.to_string()).unwrap();
        assert_eq!(
            web::runtime::without_stage(back).uri().path(),
            "/registrazione/numero"
        );
    }

    #[test]
    fn every_media_type_is_binary() {
        for mt in [
            "application/pdf",
            "text/html; charset=utf-8",
            "application/json",
            "x/y",
        ] {
            assert!(is_binary(mt), "{mt}");
        }
    }

    #[test]
    fn each_set_cookie_comes_from_multi_value_headers() {
        // What lambda_http sends to the Runtime API for a REST API request.
        let mut out = lambda_http::aws_lambda_events::apigw::ApiGatewayProxyResponse::default();
        out.status_code = 303;
        out.multi_value_headers
            .insert("location", http::HeaderValue::from_static("/area-clienti"));
        out.multi_value_headers.append(
            "set-cookie",
            http::HeaderValue::from_static("session=s; HttpOnly"),
        );
        out.multi_value_headers.append(
            "set-cookie",
            http::HeaderValue::from_static("login_flow=; Max-Age=0"),
        );
        out.body = Some(lambda_http::Body::Text("ok".into()));
        let out = serde_json::to_vec(&out).unwrap();
        let r = response(&out, Some("text/html")).unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/area-clienti");
        let cookies: Vec<_> = r.headers().get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["session=s; HttpOnly", "login_flow=; Max-Age=0"]);
        assert_eq!(r.body(), b"ok");
        // A name in both: the multi values only.
        let r = response(
            br#"{"statusCode":200,"headers":{"x-a":"1","x-b":"2"},"multiValueHeaders":{"x-a":["3","4"]}}"#,
            None,
        )
        .unwrap();
        let a: Vec<_> = r.headers().get_all("x-a").iter().collect();
        assert_eq!(a, ["3", "4"]);
        assert_eq!(r.headers()["x-b"], "2");
    }

    #[test]
    fn base64_bodies_are_decoded_and_output_without_status_is_an_error() {
        let pdf = br#"{"statusCode":200,"multiValueHeaders":{"content-type":["application/pdf"]},"#;
        let r = response(
            &[&pdf[..], br#""body":"JVBE","isBase64Encoded":true}"#].concat(),
            Some("text/html,application/xhtml+xml,*/*;q=0.8"),
        )
        .unwrap();
        assert_eq!(r.body(), b"%PD");
        assert!(
            response(br#"{"hello":"world"}"#, None).is_err(),
            "API Gateway's 502"
        );
        assert!(response(b"not json", None).is_err());
    }
}
