//! API Gateway HTTP API, payload format 2.0, both ways: the event API Gateway builds from
//! the request CloudFront forwards (the template's origin request policy: only
//! `shared::edge::FORWARDED_VIEWER_HEADERS` of the viewer's headers), and the
//! HTTP response API Gateway makes of the function's answer. Locally the gateway is both
//! CloudFront and API Gateway, so the request arriving here already carries what
//! `play_the_edge` added (viewer address, origin secret); this module adds the rest.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::net::IpAddr;
use time::OffsetDateTime;

/// The API's identity and where the request came from, as API Gateway knows them.
pub struct Api {
    pub api_id: String,
    pub account_id: String,
    pub region: String,
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
/// names, and the origin custom header the distribution adds (`play_the_edge` set it).
/// Everything else — Host, cookies (they travel in `cookies`), User-Agent, Accept… — stays
/// at CloudFront, so a handler that read one would fail here as it would in AWS.
fn forwarded(name: &str) -> bool {
    shared::edge::FORWARDED_VIEWER_HEADERS.contains(&name)
        || name == shared::edge::ORIGIN_VERIFY_HEADER
}

/// The User-Agent CloudFront sends to an origin when the viewer sent none.
const CLOUDFRONT_USER_AGENT: &str = "Amazon CloudFront";

/// The event for one request. `route_key` is the route's `METHOD /path`; `viewer_ip` the
/// viewer's address (CloudFront's `X-Forwarded-For`, to which API Gateway appends the edge).
pub fn request(
    api: &Api,
    route_key: &str,
    parts: &http::request::Parts,
    viewer_ip: IpAddr,
    body: &[u8],
    now: OffsetDateTime,
) -> Value {
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let mut headers = Map::new();
    for name in parts.headers.keys().filter(|n| forwarded(n.as_str())) {
        // Repeated headers arrive as one, comma-joined (format 2.0 has no multiValueHeaders).
        let values: Vec<String> = parts
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        headers.insert(name.as_str().to_owned(), Value::String(values.join(",")));
    }
    let epoch_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let request_id = format!("{}=", &shared::crypto::random_token()[..15]);
    let cf_id = shared::crypto::random_token();
    let trace = format!("Root=1-{:08x}-{}", now.unix_timestamp(), &hex_id()[..24]);
    for (k, v) in [
        ("host", api.domain_name()),
        (
            "via",
            "2.0 local-gateway.cloudfront.net (CloudFront)".to_owned(),
        ),
        ("x-amz-cf-id", cf_id),
        ("cloudfront-forwarded-proto", "http".to_owned()),
        ("x-forwarded-for", format!("{viewer_ip}, {}", api.source_ip)),
        ("x-forwarded-port", "443".to_owned()),
        ("x-forwarded-proto", "https".to_owned()),
        ("x-amzn-trace-id", trace),
    ] {
        headers.insert(k.to_owned(), Value::String(v));
    }
    if !body.is_empty() {
        headers.insert(
            "content-length".to_owned(),
            Value::String(body.len().to_string()),
        );
    }
    let cookies: Vec<String> = parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    // The policy forwards the viewer's User-Agent; without one CloudFront sends its own.
    let user_agent = headers
        .get("user-agent")
        .and_then(Value::as_str)
        .unwrap_or(CLOUDFRONT_USER_AGENT)
        .to_owned();
    headers.insert("user-agent".to_owned(), Value::String(user_agent.clone()));
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": api.account_id,
            "apiId": api.api_id,
            "domainName": api.domain_name(),
            "domainPrefix": api.api_id,
            "http": {
                "method": parts.method.as_str(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": api.source_ip.to_string(),
                "userAgent": user_agent,
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": clf_time(now),
            "timeEpoch": epoch_ms,
        },
        "isBase64Encoded": false,
    });
    // Absent, not empty, when there is nothing: that is how API Gateway sends them.
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        let mut params: Map<String, Value> = Map::new();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match params.get_mut(k.as_ref()) {
                Some(Value::String(s)) => {
                    s.push(',');
                    s.push_str(&v);
                }
                _ => {
                    params.insert(k.into_owned(), Value::String(v.into_owned()));
                }
            }
        }
        event["queryStringParameters"] = Value::Object(params);
    }
    if !body.is_empty() {
        let content_type = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        match std::str::from_utf8(body) {
            Ok(text) if is_text(content_type) => event["body"] = Value::String(text.to_owned()),
            // Form posts (application/x-www-form-urlencoded) take this way, as in AWS.
            _ => {
                event["body"] = Value::String(B64.encode(body));
                event["isBase64Encoded"] = Value::Bool(true);
            }
        }
    }
    event
}

/// The media types HTTP APIs pass as text; any other body is base64-encoded.
fn is_text(content_type: &str) -> bool {
    let mt = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mt.starts_with("text/")
        || matches!(
            mt.as_str(),
            "application/json" | "application/xml" | "application/javascript"
        )
        || mt.ends_with("+json")
        || mt.ends_with("+xml")
}

/// `10/Mar/2026:10:00:00 +0000`, API Gateway's `requestContext.time`.
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
    shared::crypto::token_hash(&shared::crypto::random_token())
}

/// API Gateway's answer to the function's output: `statusCode`, `headers`, each of
/// `cookies` as its own `Set-Cookie`, `body` (decoded when `isBase64Encoded`). Output
/// without `statusCode` is a 200 JSON body, as format 2.0 infers. Err: output API Gateway
/// cannot map (it answers 500).
pub fn response(output: &[u8]) -> Result<http::Response<Vec<u8>>, String> {
    let v: Value =
        serde_json::from_slice(output).map_err(|e| format!("function output is not JSON: {e}"))?;
    let Some(status) = v.get("statusCode") else {
        let mut resp = http::Response::new(output.to_vec());
        resp.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        return Ok(resp);
    };
    let status = status
        .as_u64()
        .and_then(|s| http::StatusCode::from_u16(s as u16).ok())
        .ok_or_else(|| format!("invalid statusCode {status}"))?;
    let mut b = http::Response::builder().status(status);
    // `multiValueHeaders` is a format 1.0 field: API Gateway ignores it in 2.0 (lambda_http
    // sends it empty).
    for (k, val) in v
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let val = val
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| val.to_string());
        b = b.header(k.as_str(), val);
    }
    for c in v
        .get("cookies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        b = b.header(http::header::SET_COOKIE, c);
    }
    let body = match v.get("body").and_then(Value::as_str) {
        None => Vec::new(),
        Some(s) if v.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) => B64
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
            source_ip: [127, 0, 0, 1].into(),
        }
    }

    #[test]
    fn a_form_post_becomes_a_format_2_event() {
        let req = http::Request::post("/accesso?next=%2Farea-clienti&a=1&a=2")
            .header("host", "127.0.0.1:3000")
            .header("cookie", "login_flow=abc; other=1")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .header("accept", "application/xhtml+xml")
            .header("user-agent", "Chromium")
            .header("cloudfront-viewer-address", "10.1.2.3:5555")
            .body(())
            .unwrap();
        let (parts, _) = req.into_parts();
        let e = request(
            &api(),
            "POST /accesso",
            &parts,
            [10, 1, 2, 3].into(),
            b"username=a%40b.it&password=x",
            OffsetDateTime::from_unix_timestamp(1_773_136_800).unwrap(),
        );
        assert_eq!(e["version"], "2.0");
        assert_eq!(e["routeKey"], "POST /accesso");
        assert_eq!(e["rawPath"], "/accesso");
        assert_eq!(e["rawQueryString"], "next=%2Farea-clienti&a=1&a=2");
        assert_eq!(
            e["queryStringParameters"],
            json!({"next": "/area-clienti", "a": "1,2"})
        );
        assert_eq!(e["cookies"], json!(["login_flow=abc", "other=1"]));
        assert!(e["headers"].get("cookie").is_none());
        assert_eq!(
            e["headers"]["host"],
            "local.execute-api.eu-south-1.amazonaws.com"
        );
        assert!(
            e["headers"].get("accept").is_none(),
            "not in the origin request policy"
        );
        assert_eq!(
            e["headers"]["user-agent"], "Chromium",
            "forwarded by the policy"
        );
        assert_eq!(
            e["headers"]["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(e["headers"]["x-forwarded-for"], "10.1.2.3, 127.0.0.1");
        assert_eq!(e["headers"]["cloudfront-viewer-address"], "10.1.2.3:5555");
        assert_eq!(e["isBase64Encoded"], true);
        assert_eq!(
            B64.decode(e["body"].as_str().unwrap()).unwrap(),
            b"username=a%40b.it&password=x"
        );
        let ctx = &e["requestContext"];
        assert_eq!(ctx["http"]["sourceIp"], "127.0.0.1");
        assert_eq!(ctx["http"]["method"], "POST");
        assert_eq!(
            ctx["http"]["userAgent"], "Chromium",
            "what reached API Gateway"
        );
        assert_eq!(ctx["stage"], "$default");
        assert_eq!(ctx["time"], "10/Mar/2026:10:00:00 +0000");
        assert_eq!(ctx["timeEpoch"], 1_773_136_800_000i64);
        assert!(e.get("pathParameters").is_none());
        // And lambda_http reads it back as the same request.
        let back = lambda_http::request::from_str(&e.to_string()).unwrap();
        assert_eq!(back.method(), "POST");
        assert_eq!(back.headers()["cookie"], "login_flow=abc; other=1");
        assert_eq!(back.body().as_ref(), b"username=a%40b.it&password=x");
    }

    #[test]
    fn a_get_without_cookies_or_body_omits_them() {
        let (parts, _) = http::Request::get("/registrazione/numero")
            .body(())
            .unwrap()
            .into_parts();
        let e = request(
            &api(),
            "GET /registrazione/numero",
            &parts,
            [10, 0, 0, 1].into(),
            b"",
            OffsetDateTime::now_utc(),
        );
        for absent in ["cookies", "body", "queryStringParameters", "pathParameters"] {
            assert!(e.get(absent).is_none(), "{absent}");
        }
        assert_eq!(e["isBase64Encoded"], false);
    }

    #[test]
    fn json_bodies_stay_text() {
        let (parts, _) = http::Request::post("/x")
            .header("content-type", "application/json; charset=utf-8")
            .body(())
            .unwrap()
            .into_parts();
        let e = request(
            &api(),
            "POST /x",
            &parts,
            [10, 0, 0, 1].into(),
            b"{\"a\":1}",
            OffsetDateTime::now_utc(),
        );
        assert_eq!(
            (e["body"].as_str(), e["isBase64Encoded"].as_bool()),
            (Some("{\"a\":1}"), Some(false))
        );
    }

    #[test]
    fn each_cookie_becomes_a_set_cookie_header() {
        // What lambda_http sends to the Runtime API for an API Gateway v2 request.
        let mut out = lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse::default();
        out.status_code = 303;
        out.headers
            .insert("location", http::HeaderValue::from_static("/area-clienti"));
        out.cookies = vec![
            "session=s; HttpOnly".into(),
            "login_flow=; Max-Age=0".into(),
        ];
        out.body = Some(lambda_http::Body::Text("ok".into()));
        let out = serde_json::to_vec(&out).unwrap();
        let r = response(&out).unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/area-clienti");
        let cookies: Vec<_> = r.headers().get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["session=s; HttpOnly", "login_flow=; Max-Age=0"]);
        assert_eq!(r.body(), b"ok");
    }

    #[test]
    fn base64_bodies_are_decoded_and_output_without_status_is_json() {
        let png = br#"{"statusCode":200,"headers":{"content-type":"image/png"},"#;
        let r =
            response(&[&png[..], br#""body":"AAEC","isBase64Encoded":true}"#].concat()).unwrap();
        assert_eq!(r.body(), &[0u8, 1, 2]);
        let r = response(br#"{"hello":"world"}"#).unwrap();
        assert_eq!(
            (
                r.status().as_u16(),
                r.headers()["content-type"].to_str().unwrap()
            ),
            (200, "application/json")
        );
        assert!(response(b"not json").is_err());
    }
}
