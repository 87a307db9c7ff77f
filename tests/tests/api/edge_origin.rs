//! Issue 22, item 2: only CloudFront reaches the functions. The REST API's own endpoint
//! (`execute-api`) is public; its regional WAF web ACL blocks every request without the
//! origin secret CloudFront adds (`x-origin-verify`), so a direct call is answered 403 by
//! API Gateway and no function runs: no reserved concurrency spent, no route throttle
//! shared with CloudFront's traffic, no per-client counter touched with a forged
//! `CloudFront-Viewer-Address`. The local gateway plays both doors: CloudFront on
//! `Portal::base`, the execute-api endpoint behind its WAF on `Portal::execute_api`; it
//! counts every function invocation (`Portal::edge.invocations`).

use e2e::lambda::LambdaPortal;
use e2e::Portal;
use web::edge::{ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_HEADER};

/// Someone calling the execute-api URL: no cookies, no simulated address, no redirects.
fn caller() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A direct request to the REST API's endpoint with `secret` as `x-origin-verify` (None:
/// without the header) and a forged viewer address; (status, body).
async fn direct(p: &Portal, method: &str, path: &str, secret: Option<&str>) -> (u16, String) {
    let url = format!("{}{path}", p.execute_api);
    let mut req = match method {
        "POST" => caller().post(url).form(&[
            ("username", "mario.rossi@comune.example.it"),
            ("password", "indovinata-1234"),
        ]),
        _ => caller().get(url),
    }
    .header(VIEWER_ADDRESS_HEADER, "203.0.113.77:4444");
    if let Some(s) = secret {
        req = req.header(ORIGIN_VERIFY_HEADER, s);
    }
    let resp = req.send().await.expect("the API answers");
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

/// The three ways of missing the secret: no header, a guessed value, an empty one.
fn wrong_secrets() -> [Option<String>; 3] {
    [None, Some("indovinato".repeat(7)), Some(String::new())]
}

#[tokio::test]
async fn a_direct_call_without_the_origin_secret_is_blocked_before_any_function_runs() {
    let p = Portal::start().await;
    for secret in wrong_secrets() {
        for (method, path, function) in [
            ("GET", "/accesso", "login"),
            ("POST", "/accesso", "login"),
            ("GET", "/registrazione/numero", "register-number"),
        ] {
            let (status, body) = direct(&p, method, path, secret.as_deref()).await;
            assert_eq!(
                (status, body.as_str()),
                (403, r#"{"message":"Forbidden"}"#),
                "{method} {path} with {secret:?}: the WAF's block, not a page of the portal"
            );
            assert_eq!(
                p.edge.invocations.get(function),
                0,
                "{method} {path} with {secret:?}: {function} must not run"
            );
        }
    }
    assert_eq!(p.edge.invocations.total(), 0, "no function ran at all");

    // Through CloudFront (which adds the secret) the same page is served by the function.
    let page = p.get("/accesso").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(!page.form_fields("username").is_empty(), "the login form");
    assert_eq!(p.edge.invocations.get("login"), 1);

    // The WAF is the only gate: whoever holds the secret reaches the function directly,
    // which is why the secret lives only in CloudFront's and the WAF's configuration.
    let (status, body) = direct(&p, "GET", "/accesso", Some(&p.edge.secret.current)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(p.edge.invocations.get("login"), 2);
}

/// The same with the real binaries: a blocked request starts no process and sends no event.
#[tokio::test]
async fn in_lambda_mode_a_blocked_call_starts_no_function_process() {
    let lp = LambdaPortal::start().await;
    let p = &lp.portal;
    for secret in wrong_secrets() {
        let (status, body) = direct(p, "GET", "/accesso", secret.as_deref()).await;
        assert_eq!(
            (status, body.as_str()),
            (403, r#"{"message":"Forbidden"}"#),
            "{secret:?}"
        );
        let (status, _) = direct(p, "POST", "/accesso", secret.as_deref()).await;
        assert_eq!(status, 403, "POST with {secret:?}");
    }
    assert_eq!(p.edge.invocations.get("login"), 0, "no event was sent");
    assert_eq!(lp.functions.idle("login"), 0, "no process was started");

    let page = p.get("/accesso").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(!page.form_fields("username").is_empty(), "the login form");
    assert_eq!(p.edge.invocations.get("login"), 1);
    assert_eq!(lp.functions.idle("login"), 1, "one process served it");
}

/// A path or method the API has no resource for is API Gateway's own 403, also without a
/// function.
#[tokio::test]
async fn an_unknown_resource_on_the_api_runs_nothing() {
    let p = Portal::start().await;
    for path in ["/", "/index.html", "/_dev/inbox", "/accesso-non-esiste"] {
        let resp = caller()
            .get(format!("{}{path}", p.execute_api))
            .header(ORIGIN_VERIFY_HEADER, &p.edge.secret.current)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{path}");
    }
    assert_eq!(p.edge.invocations.total(), 0);
}
