//! Funnel metrics (`metrics`): registrations that stop at different steps, counted
//! from the EMF lines the steps emit, as `/_dev/metriche` shows them. Each portal counts
//! only its own requests, so the numbers are exact while other tests run.

use e2e::register::*;
use e2e::{random_email, random_number, Portal};
use serde_json::Value;

pub(crate) async fn counts(p: &Portal) -> Value {
    let page = p.get("/_dev/metriche.json").await;
    assert_eq!(page.status, 200);
    let v: Value = serde_json::from_str(&page.html).expect("JSON");
    v["counts"].clone()
}

#[tokio::test]
async fn the_funnel_counts_each_registration_where_it_stopped() {
    let p = Portal::start().await;
    let numbers: Vec<String> = (0..5).map(|_| random_number()).collect();
    for n in &numbers {
        p.add_line(n, ENTE, ENTE_NAME, true).await;
    }
    let browser = || p.as_browser(Portal::browser());
    // One person per stopping point: after step 1, 2, 3, 4 (email sent), and one to the end.
    assert_eq!(
        step1(&browser(), &numbers[0]).await.path,
        "/registrazione/codice"
    );
    assert_eq!(
        through_otp(&browser(), &numbers[1]).await.path,
        "/registrazione/dati"
    );
    assert_eq!(
        through_profile(&browser(), &numbers[2]).await.path,
        "/registrazione/email"
    );
    through_email(&browser(), &numbers[3], &random_email("funnel.email")).await;
    let done = register(&browser(), &numbers[4], &random_email("funnel.done")).await;
    assert_eq!(done.path, "/registrazione/esito");
    // A wrong password on the login page.
    let wrong = browser()
        .post(
            "/accesso",
            &[
                ("username", "nessuno.funnel@example.it"),
                ("password", "Sbagliata-123!"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    p.settle().await;

    let c = counts(&p).await;
    for (metric, expected) in [
        ("RegistrationStarted", 5),
        ("RegistrationCodeVerified", 4),
        ("RegistrationProfile", 3),
        ("RegistrationEmailSent", 2),
        ("RegistrationEmailConfirmed", 1),
        ("RegistrationCompleted", 1),
        ("RegistrationProsegui", 0),
        ("LoginPasswordWrong", 1),
        ("LoginPasswordOk", 0),
        // 5 registration codes; 2 confirmation emails and 1 summary, all delivered.
        ("SmsSent", 5),
        ("EmailSent", 3),
        ("SmsFailed", 0),
        ("EmailFailed", 0),
    ] {
        assert_eq!(c[metric], expected, "{metric} in {c}");
    }

    let page = p.get("/_dev/metriche").await;
    assert_eq!(page.status, 200);
    assert!(
        page.contains("Funnel della registrazione"),
        "{}",
        page.text()
    );
    assert!(page.contains("Registrazione completata"));
}
