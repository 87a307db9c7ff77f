//! Issue 13, item 11: the functions run as Lambda runs them. In the gateway's Lambda mode
//! each request becomes an API Gateway REST API proxy (payload 1.0) event (issue 22: the
//! API behind a regional WAF), delivered to the
//! function's own binary through the Runtime API emulator, and the answer is mapped back as
//! API Gateway does. Real binaries, real LocalStack. Needs the function binaries built
//! (`cargo build --workspace --bins`, as `make test` does).

use e2e::lambda::LambdaPortal;
use e2e::register::{new_line, ENTE, ENTE_NAME};
use e2e::sign_in::{password_step, sign_in};
use e2e::{random_email, random_number};
use web::edge::VIEWER_ADDRESS_HEADER;

/// A browser that shows redirects and `Set-Cookie` as they come (no following), with
/// its own simulated address like `Portal::browser`.
fn raw_browser() -> reqwest::Client {
    e2e::simulated_client()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn step_1_and_its_form_go_through_the_register_binaries() {
    let lp = LambdaPortal::start().await;
    let p = &lp.portal;
    let page = p.get("/registrazione/numero").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.contains("Inserisci il numero aziendale"),
        "{}",
        page.text()
    );
    assert!(!page.form_fields("numero").is_empty(), "the step-1 form");
    assert_eq!(
        lp.functions.idle("register-number"),
        1,
        "one process served it and stays warm"
    );

    // The form post (a base64 body in the event) and the flow cookie (the event's `cookies`)
    // carry a registration through two more binaries. The functions read the real clock:
    // the slider wants 2 s between page and submit.
    let number = new_line(p).await;
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let page = p
        .submit(&page, "numero", &[("numero", &number), ("conferma", "100")])
        .await;
    assert_eq!(page.path, "/registrazione/codice", "{}", page.text());
    let code = p.last_code(&number).await;
    let page = p.submit(&page, "codice", &[("codice", &code)]).await;
    assert_eq!(page.path, "/registrazione/dati", "{}", page.text());
    assert_eq!(page.input_value("cf_ente").as_deref(), Some(ENTE));
    assert_eq!(
        lp.functions.idle("register-number"),
        1,
        "the warm process was reused"
    );
}

#[tokio::test]
async fn a_wrong_password_is_a_401_with_the_italian_message() {
    let lp = LambdaPortal::start().await;
    let p = &lp.portal;
    let username = random_email("lambda-nessuno");
    let page = password_step(p, &username, "Sbagliata-2026!").await;
    assert_eq!(page.status, 401);
    assert_eq!(
        page.field_error("password").as_deref(),
        Some("Username o password non corretti. Controlla i dati inseriti e riprova.")
    );
    // The body reached the function decoded: it shows the typed username back.
    assert_eq!(
        page.input_value("username").as_deref(),
        Some(username.as_str())
    );
}

#[tokio::test]
async fn a_response_with_two_cookies_comes_back_as_two_set_cookie_headers() {
    let lp = LambdaPortal::start().await;
    let number = new_line(&lp.portal).await;
    let username = random_email("lambda-login");
    let password = "Convenzione8-lambda!";
    // Semicolons: the argon2id PHC string contains commas.
    let csv = format!(
        "username;email;numero;nome;cognome;codice_fiscale;codice_fiscale_ente;password_hash;convenzione\n{username};\
            {username};{number};Lucia;Bianchi;{cf};{ENTE};{hash};7\n",
        cf = e2e::register::cf_for(&number),
        hash = domain::passwords::rehash(password)
    );
    let report = portale_admin::import_accounts::import(
        lp.portal.app.store.as_ref(),
        csv.as_bytes(),
        lp.portal.app.now(),
        &e2e::quick::harness(),
    )
    .await
    .unwrap();
    assert_eq!(report.inserted, 1, "{:?}", report.rejected);

    let b = raw_browser();
    let p = lp.portal.as_browser(b.clone());
    let page = p.get("/accesso").await;
    let sent = p
        .submit(
            &page,
            "username",
            &[("username", &username), ("password", password)],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.text());
    let page = p.get("/accesso/codice").await;
    assert_eq!(
        page.status, 200,
        "the login_flow cookie came back in the event's cookies"
    );
    let mut fields = page.form_fields("codice");
    fields.retain(|(k, _)| k != "codice");
    fields.push(("codice".into(), p.last_code(&number).await));
    let resp = b
        .post(format!("{}{}", p.base, page.form_action("codice")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/area-clienti");
    let cookies: Vec<&str> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("dispositivo=") && c.contains("Max-Age")),
        "a long-lived cookie names the browser: {cookies:?}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("session=")),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("login_flow=")),
        "{cookies:?}"
    );
    // Imported: our terms are accepted first (the private area redirects there).
    let first = b
        .get(format!("{}/area-clienti", p.base))
        .send()
        .await
        .unwrap();
    let to = first.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/area-clienti/consensi"), "{to}");
    let consents = p.get(&to).await;
    let accepted = p
        .submit(
            &consents,
            "termini",
            &[("termini", "si"), ("privacy", "si")],
        )
        .await;
    assert_eq!(accepted.status, 303, "{}", accepted.text());
    let home = p.get("/area-clienti").await;
    assert_eq!(home.status, 200);
    assert!(home.contains("Ciao, Lucia Bianchi"), "{}", home.text());
}

/// The binary serves whatever event reaches it: refusing a caller who skipped CloudFront
/// is the API's WAF's job, before any invocation (`edge_origin`), so the function holds no
/// origin secret (issue 22). An event built by hand, without the secret, handed to the
/// function through the Runtime API emulator is served.
#[tokio::test]
async fn the_binary_serves_the_rest_api_event_it_is_given_without_any_secret() {
    let lp = LambdaPortal::start().await;
    let status = |headers: Vec<(&'static str, String)>| {
        let functions = lp.functions.clone();
        async move {
            let mut req =
                http::Request::get("/accesso").header(VIEWER_ADDRESS_HEADER, "203.0.113.9:4444");
            for (k, v) in headers {
                req = req.header(k, v);
            }
            let (parts, _) = req.body(()).unwrap().into_parts();
            let event = functions.event("/accesso", &parts, [203, 0, 113, 9].into(), b"");
            let out = functions
                .invoke("login", serde_json::to_vec(&event).unwrap())
                .await
                .expect("the function answers");
            serde_json::from_slice::<serde_json::Value>(&out).unwrap()["statusCode"]
                .as_u64()
                .unwrap()
        }
    };
    assert_eq!(status(vec![]).await, 200);
    assert_eq!(
        status(vec![("cookie", "login_flow=non-valido".into())]).await,
        200
    );
    // Not an event lambda_http understands: the runtime reports an error, API Gateway a 502.
    assert!(lp.functions.invoke("login", b"{}".to_vec()).await.is_err());
    assert_eq!(
        lp.functions.idle("login"),
        1,
        "a function error does not discard the environment"
    );
}

/// Like Lambda: one invocation at a time per process, so concurrent requests start more
/// processes, and later requests reuse the warm ones.
#[tokio::test]
async fn concurrent_requests_start_more_processes_then_reuse_them() {
    let lp = LambdaPortal::start().await;
    let p = lp.portal.as_browser(raw_browser());
    let pages = futures::future::join_all((0..3).map(|_| p.get("/area-clienti"))).await;
    for page in &pages {
        assert_eq!(page.status, 303, "no session: to the login page");
    }
    let started = lp.functions.idle("account");
    // A cold start takes far longer than the gap between requests sent together.
    assert!(
        started >= 2,
        "{started} process(es) for 3 concurrent requests"
    );
    for _ in 0..3 {
        assert_eq!(p.get("/area-clienti").await.status, 303);
    }
    assert_eq!(
        lp.functions.idle("account"),
        started,
        "sequential requests reuse warm processes"
    );
}

/// A function past its timeout is killed (Lambda discards the environment) and API
/// Gateway answers 502 (REST API, Lambda proxy integration). A login verifies a password
/// hash: far longer than 1 ms.
#[tokio::test]
async fn a_function_past_its_timeout_is_killed_and_the_answer_is_502() {
    let lp = LambdaPortal::start_with(|c| c.timeout = std::time::Duration::from_millis(1)).await;
    let b = raw_browser();
    let resp = b
        .post(format!("{}/accesso", lp.portal.base))
        .form(&[
            ("username", "lambda-timeout@example.it"),
            ("password", "Sbagliata-2026!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message": "Internal server error"}"#
    );
    assert_eq!(
        lp.functions.idle("login"),
        0,
        "the timed-out environment is discarded"
    );
}

/// The whole of registration, login and recovery (mode 1, and mode 3 through the reset
/// link to the new password) through the real binaries, as a person clicks them.
#[tokio::test]
async fn registration_login_and_recovery_run_whole_through_the_binaries() {
    use e2e::register::{cf_for, complete, from_code, PASSWORD};
    let lp = LambdaPortal::start().await;
    let p = &lp.portal;
    let number = random_number();
    let email = random_email("lambda-intero");
    p.add_line(&number, ENTE, ENTE_NAME, true).await;

    // Registration, steps 1–6 (the functions read the real clock: the slider wants 2 s).
    let page = p.get("/registrazione/numero").await;
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let page = p
        .submit(&page, "numero", &[("numero", &number), ("conferma", "100")])
        .await;
    let code = p.last_code(&number).await;
    let link = from_code(p, &page, &code, &number, &email).await;
    let done = complete(p, &link).await;
    assert!(
        done.contains("Richiesta inviata con successo"),
        "{}",
        done.text()
    );

    // Login with the SMS code, the private area, ESCI.
    let home = sign_in(p, &number, &email, PASSWORD).await;
    assert_eq!(home.path, "/area-clienti", "{}", home.text());
    let out = p.post("/esci", &[]).await;
    assert_eq!(out.path, "/accesso", "{}", out.text());

    // Recovery mode 1: the username by SMS and by email.
    let cf = cf_for(&number);
    let sms_before = p.sms_to(&number).await.len();
    let page = p
        .post(
            "/recupero",
            &[
                ("modalita", "username"),
                ("numero", &number),
                ("cf_personale", cf),
            ],
        )
        .await;
    assert!(
        page.contains("Se i dati inseriti sono corretti"),
        "{}",
        page.text()
    );
    let sms = p.sms_to_at_least(&number, sms_before + 1).await;
    assert!(
        sms.last().unwrap().text.contains(&email),
        "the username by SMS"
    );

    // Mode 3: the SMS code, then the email with the reset link, its code, a new password.
    let page = p
        .post(
            "/recupero",
            &[
                ("modalita", "entrambe"),
                ("numero", &number),
                ("cf_personale", cf),
            ],
        )
        .await;
    assert_eq!(page.path, "/recupero/codice", "{}", page.text());
    let page = p
        .submit(&page, "codice", &[("codice", &p.last_code(&number).await)])
        .await;
    assert!(
        page.contains("Se i dati inseriti sono corretti"),
        "{}",
        page.text()
    );
    let mails = p.emails_to(&email).await;
    let reset = mails
        .iter()
        .rev()
        .find(|m| m.text.contains("token="))
        .expect("the reset email");
    let link = reset.text[reset.text.find("http").unwrap()..]
        .split_whitespace()
        .find(|w| w.contains("token="))
        .unwrap()
        .to_owned();
    let page = p.get(&link).await;
    let page = p.submit(&page, "token", &[]).await;
    assert_eq!(page.path, "/recupero/codice", "{}", page.text());
    let page = p
        .submit(&page, "codice", &[("codice", &p.last_code(&number).await)])
        .await;
    let new_password = "Tramonto-Verde-2027?";
    let page = p
        .submit(
            &page,
            "password",
            &[
                ("password", new_password),
                ("conferma_password", new_password),
            ],
        )
        .await;
    assert!(
        page.contains("La password è stata modificata"),
        "{}",
        page.text()
    );
    let page = p
        .submit(
            &page,
            "username",
            &[("username", &email), ("password", new_password)],
        )
        .await;
    assert_eq!(
        page.path,
        "/accesso/codice",
        "the new password opens the login: {}",
        page.text()
    );
}
