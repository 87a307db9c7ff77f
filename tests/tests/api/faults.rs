//! Faults: DynamoDB unreachable in the middle of a flow (LocalStack "stopped" for this
//! portal through a switchable proxy, then "started" again), SNS or SES failing for one
//! call, and a hung AWS endpoint. The user sees a clear "riprova" page, nothing is left
//! half-made, and retrying after the recovery completes the flow.

use e2e::faults::{store_through, FlakyOutbox};
use e2e::proxy::FaultProxy;
use e2e::register::*;
use e2e::{random_email, random_number, Page, Portal};
use std::time::Duration;
use store::uniqueness::{self, Kind};

const UNAVAILABLE: &str = "Servizio momentaneamente non disponibile, riprova tra qualche minuto.";

fn assert_unavailable(page: &Page) {
    assert_eq!(page.status, 503, "{}", page.text());
    assert!(page.contains(UNAVAILABLE), "{}", page.text());
}

async fn portal_behind_proxy() -> (Portal, FaultProxy) {
    let upstream = e2e::endpoint().trim_start_matches("http://").to_owned();
    let proxy = FaultProxy::start(&upstream).await;
    let p = Portal::start_full(
        |c| c.aws_timeout = engine::config::Config::for_tests().aws_timeout,
        |app| store_through(app, &proxy),
    )
    .await;
    (p, proxy)
}

/// A portal whose SNS / SES calls can be made to fail.
/// A portal whose steps' outbox posts fail on demand (the SQS `SendMessage` of a step).
async fn portal_with_flaky_notifier() -> (Portal, std::sync::Arc<FlakyOutbox>) {
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let s = slot.clone();
    let p = Portal::start_with(move |app| {
        let f = FlakyOutbox::wrap(app.outbox.clone());
        *s.lock().unwrap() = Some(f.clone());
        app.with_outbox(f)
    })
    .await;
    let flaky = slot.lock().unwrap().clone().unwrap();
    (p, flaky)
}

#[tokio::test]
async fn dynamodb_down_mid_registration_then_back() {
    let (p, proxy) = portal_behind_proxy().await;
    let number = new_line(&p).await;
    let page = through_otp(&p, &number).await;
    assert_eq!(page.path, "/registrazione/dati");

    proxy.down();
    let failed = fill_profile(&p, &page, cf_for(&number)).await;
    assert_unavailable(&failed);
    proxy.up();
    // Retrying the same submission completes the step; the flow was not damaged.
    let page = fill_profile(&p, &page, cf_for(&number)).await;
    assert_eq!(page.path, "/registrazione/email", "{}", page.text());
    let email = random_email("guasto");
    let link = email_step(&p, &page, &email).await;
    let page = e2e::register::confirm(&p, &link).await;
    assert!(page.contains("Email Confermata"));
    let form = p.get("/registrazione/password").await;
    let fields = [
        ("password", PASSWORD),
        ("conferma_password", PASSWORD),
        ("termini", "si"),
        ("privacy", "si"),
    ];

    proxy.down();
    assert_unavailable(&p.submit(&form, "password", &fields).await);
    proxy.up();
    let store = p.app.store.as_ref();
    assert!(
        uniqueness::holder(store, Kind::Number, &number, p.app.now())
            .await
            .unwrap()
            .is_none_or(|o| !o.to_string().starts_with("account:")),
        "no half-made account"
    );
    let done = p.submit(&form, "password", &fields).await;
    assert!(
        done.contains("Richiesta inviata con successo"),
        "{}",
        done.text()
    );
    assert!(
        uniqueness::holder(store, Kind::Number, &number, p.app.now())
            .await
            .unwrap()
            .unwrap()
            .to_string()
            .starts_with("account:")
    );
}

#[tokio::test]
async fn dynamodb_down_during_login_then_back() {
    let (p, proxy) = portal_behind_proxy().await;
    let number = new_line(&p).await;
    let email = random_email("guasto-login");
    register(&p.as_browser(Portal::browser()), &number, &email).await;
    let login = p.get("/accesso").await;
    proxy.down();
    let failed = p
        .submit(
            &login,
            "username",
            &[("username", &email), ("password", PASSWORD)],
        )
        .await;
    assert_unavailable(&failed);
    let sms_before = p.sms_to(&number).await.len();
    proxy.up();
    let code_page = p
        .submit(
            &login,
            "username",
            &[("username", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(code_page.path, "/accesso/codice");
    assert_eq!(
        p.sms_to_at_least(&number, sms_before + 1).await.len(),
        sms_before + 1
    );
    let code = p.last_code(&number).await;
    proxy.down();
    assert_unavailable(&p.submit(&code_page, "codice", &[("codice", &code)]).await);
    proxy.up();
    // The code was not used up by the failed attempt.
    let home = p.submit(&code_page, "codice", &[("codice", &code)]).await;
    assert_eq!(home.path, "/area-clienti", "{}", home.text());
}

#[tokio::test]
async fn a_failed_sms_or_email_is_reported_and_the_retry_sends_it() {
    let (p, flaky) = portal_with_flaky_notifier().await;
    let number = new_line(&p).await;

    flaky.fail_next_sms(1);
    let failed = step1(&p, &number).await;
    assert_unavailable(&failed);
    assert!(p.sms_to(&number).await.is_empty());
    let page = step1(&p, &number).await;
    assert_eq!(page.path, "/registrazione/codice", "{}", page.text());
    assert_eq!(
        p.sms_to_at_least(&number, 1).await.len(),
        1,
        "the retry sent the SMS"
    );

    let code = p.last_code(&number).await;
    let page = p.submit(&page, "codice", &[("codice", &code)]).await;
    let page = fill_profile(&p, &page, cf_for(&number)).await;
    let email = random_email("guasto-ses");
    let page = p.submit(&page, "email", &[("email", &email)]).await;
    flaky.fail_next_email(1);
    assert_unavailable(&p.submit(&page, "azione", &[]).await);
    assert!(p.emails_to(&email).await.is_empty());
    // Back on the email page, the user asks again and gets the message.
    let again = p.get("/registrazione/email").await;
    let sent = p.submit(&again, "azione", &[]).await;
    assert!(
        sent.contains("Ti abbiamo inviato una email"),
        "{}",
        sent.text()
    );
    assert_eq!(p.emails_to(&email).await.len(), 1);
    let link = confirmation_link(&p, &email).await;
    assert!(complete(&p, &link)
        .await
        .contains("Richiesta inviata con successo"));
}

#[tokio::test]
async fn a_hung_aws_endpoint_times_out_into_the_retry_page() {
    let (p, proxy) = portal_behind_proxy().await;
    proxy.hang();
    let number = random_number();
    // Bounded: the SDK's timeouts and retries must answer well before this guard.
    let page = tokio::time::timeout(Duration::from_secs(60), async {
        let page = p.get("/registrazione/numero").await;
        p.clock.advance(3);
        p.submit(&page, "numero", &[("numero", &number), ("conferma", "100")])
            .await
    })
    .await
    .expect("the request ends with an error page, it does not hang");
    assert_unavailable(&page);
    proxy.up();
}

/// The login's first SMS fails: the retry right after must send a code (the one that never
/// left is withdrawn, so it does not count as "recently sent").
#[tokio::test]
async fn a_failed_login_sms_is_sent_on_the_immediate_retry() {
    let (p, flaky) = portal_with_flaky_notifier().await;
    let number = new_line(&p).await;
    let email = random_email("guasto-sms-login");
    register(&p.as_browser(Portal::browser()), &number, &email).await;
    let before = p.sms_to(&number).await.len();
    let login = p.get("/accesso").await;
    flaky.fail_next_sms(1);
    assert_unavailable(
        &p.submit(
            &login,
            "username",
            &[("username", &email), ("password", PASSWORD)],
        )
        .await,
    );
    let page = p
        .submit(
            &login,
            "username",
            &[("username", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.path, "/accesso/codice", "{}", page.text());
    assert_eq!(
        p.sms_to_at_least(&number, before + 1).await.len(),
        before + 1,
        "the retry sent the SMS"
    );
    let code = p.last_code(&number).await;
    assert_eq!(
        p.submit(&page, "codice", &[("codice", &code)]).await.path,
        "/area-clienti"
    );
}

#[tokio::test]
async fn dynamodb_down_during_recovery_then_back() {
    let (p, proxy) = portal_behind_proxy().await;
    let number = new_line(&p).await;
    let email = random_email("guasto-recupero");
    register(&p.as_browser(Portal::browser()), &number, &email).await;
    let form = p.get("/recupero?modalita=password").await;
    proxy.down();
    assert_unavailable(&p.submit(&form, "modalita", &[("username", &email)]).await);
    assert!(
        !p.emails_to(&email)
            .await
            .iter()
            .any(|m| m.subject.contains("nuova password")),
        "nothing sent while down"
    );
    proxy.up();
    let sent = p.submit(&form, "modalita", &[("username", &email)]).await;
    assert!(
        sent.contains("Se i dati inseriti sono corretti"),
        "{}",
        sent.text()
    );
    assert!(
        p.emails_to(&email)
            .await
            .iter()
            .any(|m| m.subject.contains("nuova password")),
        "the retry sent the link"
    );
}
