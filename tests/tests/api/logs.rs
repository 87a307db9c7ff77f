//! The logs, captured in the production format and level through full flows
//! (registration, login, recovery), never contain an OTP, a password, a link token, a
//! session or flow id, or a full codice fiscale — and they do carry a request id.

use e2e::logcapture::capture;
use e2e::register::*;
use e2e::{random_email, Portal};

fn token_in(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {text}"))
        + marker.len();
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '&' || c == '"')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn no_secret_ever_reaches_the_logs() {
    let logs = capture();
    let p = Portal::start().await;
    let number = new_line(&p).await;
    let email = random_email("log");
    let (client, jar) = Portal::browser_with_jar();
    let b = p.as_browser(client);
    let mut secrets: Vec<String> = vec![
        PASSWORD.into(),
        cf_for(&number).into(),
        "Sbagliata-Password-1!".into(),
        "Nuova-Password-2030!".into(),
    ];

    // Registration, with a wrong code first.
    let page = step1(&b, &number).await;
    let code = b.last_code(&number).await;
    secrets.push(code.clone());
    b.submit(
        &page,
        "codice",
        &[("codice", if code == "000000" { "111111" } else { "000000" })],
    )
    .await;
    let link = from_code(&b, &page, &code, &number, &email).await;
    secrets.push(token_in(&link, "t="));
    secrets.push(b.cookie_in(&jar, "reg_flow").unwrap());
    complete(&b, &link).await;

    // Login: a wrong password, then the right one with its code.
    let page = b.get("/accesso").await;
    b.submit(
        &page,
        "username",
        &[("username", &email), ("password", "Sbagliata-Password-1!")],
    )
    .await;
    let page = b
        .submit(
            &page,
            "username",
            &[("username", &email), ("password", PASSWORD)],
        )
        .await;
    secrets.push(b.cookie_in(&jar, "login_flow").unwrap());
    let code = b.last_code(&number).await;
    secrets.push(code.clone());
    let home = b.submit(&page, "codice", &[("codice", &code)]).await;
    assert_eq!(home.path, "/area-clienti");
    secrets.push(b.cookie_in(&jar, "session").unwrap());
    b.post("/esci", &[]).await;

    // Recovery: mode 2 to the end.
    let r = p.as_browser(Portal::browser());
    let page = r.get("/recupero?modalita=password").await;
    r.submit(&page, "modalita", &[("username", &email)]).await;
    let mail = p
        .emails_to(&email)
        .await
        .into_iter()
        .rev()
        .find(|m| m.subject.contains("nuova password"))
        .unwrap();
    let token = token_in(&mail.text, "token=");
    secrets.push(token.clone());
    let page = r
        .get(&format!("/recupero/nuova-password?token={token}"))
        .await;
    let page = r.submit(&page, "token", &[]).await;
    let code = p.last_code(&number).await;
    secrets.push(code.clone());
    let page = r.submit(&page, "codice", &[("codice", &code)]).await;
    let done = r
        .submit(
            &page,
            "password",
            &[
                ("password", "Nuova-Password-2030!"),
                ("conferma_password", "Nuova-Password-2030!"),
            ],
        )
        .await;
    assert!(
        done.contains("La password è stata modificata"),
        "{}",
        done.text()
    );

    let text = logs.text();
    // The capture works and has what ops need: events of each flow, with a request id.
    for event in [
        "registration started, code sent",
        "account created",
        "signed in",
        "password changed, sessions ended",
    ] {
        assert!(text.contains(event), "log has {event:?}");
    }
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    assert!(lines.len() >= 8, "{text}");
    let without: Vec<String> = lines
        .iter()
        // The local edge's own lines (the Lambda emulator starting a process) are not the
        // portal's; they show up here because every test shares this process's log.
        .filter(|l| {
            !l["target"]
                .as_str()
                .unwrap_or_default()
                .starts_with("local_gateway")
        })
        .filter(|l| l["span"]["request_id"].as_str().is_none_or(str::is_empty))
        .map(|l| l.to_string())
        .collect();
    assert!(
        without.is_empty(),
        "every line carries the request id: {without:#?}"
    );

    for s in &secrets {
        assert!(!s.is_empty());
        assert!(!text.contains(s.as_str()), "a secret reached the logs: {s}");
    }
}
