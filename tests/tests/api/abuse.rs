//! Abuse: SMS pumping (only Italian mobile numbers, per-IP and per-number caps, the global
//! hourly budget with its ops alert) and the OTP guessing bound, on real LocalStack.

use e2e::logcapture::capture;
use e2e::register::*;
use e2e::{random_number, Portal};

/// Step 1 submitted with a number, the slider at the end after a human pause.
async fn ask_code(p: &Portal, number: &str) -> e2e::Page {
    step1(p, number).await
}

#[tokio::test]
async fn only_italian_mobile_numbers_get_an_sms() {
    let p = Portal::start().await;
    for (typed, e164) in [
        ("+44 7700 900123", "+447700900123"),
        ("06 1234567", "+39061234567"),
        ("+1 202 555 0143", "+12025550143"),
    ] {
        let page = ask_code(&p, typed).await;
        assert_eq!(page.status, 422, "{typed}");
        assert!(
            page.field_error("numero").is_some(),
            "{typed}: {}",
            page.text()
        );
        assert_eq!(
            page.input_value("numero").as_deref(),
            Some(typed),
            "what was typed is kept"
        );
        assert!(p.sms_to(e164).await.is_empty());
    }
}

#[tokio::test]
async fn registration_attempts_per_ip_are_capped() {
    let p = Portal::start().await;
    // Its caps are hourly windows: count inside one.
    p.align_clock(3600);
    // Without the browser's proof-of-work: 10 per hour from one address.
    for _ in 0..10 {
        let page = ask_code(&p, &random_number()).await;
        assert!(
            page.contains("non risulta tra le linee TIM attive"),
            "{}",
            page.text()
        );
    }
    let refused = ask_code(&p, &random_number()).await;
    assert_eq!(refused.status, 429);
    assert!(refused.contains("troppe richieste di registrazione da questa connessione"));
    let other = p.as_browser(Portal::browser());
    assert!(
        ask_code(&other, &random_number())
            .await
            .contains("non risulta tra le linee"),
        "another address is not affected"
    );
}

/// At most 5 codes per number per hour and 5 guesses per code: at most 25 guesses per
/// number per hour, a success probability ≤ 25 × 10⁻⁶ per hour (≤ 5 × 10⁻⁶ per code).
#[tokio::test]
async fn codes_per_number_and_guesses_per_code_are_bounded() {
    let p = Portal::start().await;
    // Its caps are hourly windows: count inside one.
    p.align_clock(3600);
    let number = new_line(&p).await;
    let mut page = ask_code(&p, &number).await;
    assert_eq!(page.path, "/registrazione/codice");
    let mut sent = 1;
    loop {
        p.clock.advance(31);
        page = p.submit(&page, "azione", &[]).await;
        if page.contains("troppi codici per questo numero") {
            break;
        }
        sent += 1;
        assert!(sent <= 5, "more than 5 codes in an hour");
    }
    assert_eq!(sent, 5);
    assert_eq!(p.sms_to_at_least(&number, 5).await.len(), 5);
    // Each code takes at most 5 guesses.
    let page = p.get("/registrazione/codice").await;
    let code = p.last_code(&number).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut last = page;
    let mut counted = 0;
    for _ in 0..8 {
        last = p.submit(&last, "codice", &[("codice", wrong)]).await;
        if last
            .field_error("codice")
            .unwrap()
            .contains("Codice errato")
        {
            counted += 1;
        }
    }
    assert_eq!(
        counted, 4,
        "4 wrong guesses leave tries; the 5th burns the code"
    );
    assert_ne!(
        p.submit(&last, "codice", &[("codice", &code)]).await.path,
        "/registrazione/dati"
    );
    let bound = 5.0 * 5.0 / 1e6;
    assert!(bound <= 25e-6);
}

#[tokio::test]
async fn the_global_sms_budget_refuses_sends_and_alerts_ops() {
    let logs = capture();
    let table = format!("portale-budget-{}", rand_suffix());
    let p = Portal::start_full(
        |c| {
            c.table_name = table.clone();
            // 3 with 1 (20 %, rounded up) reserved for login codes: 2 for registrations.
            c.sms_global_hourly_budget = 3;
        },
        |app| async move { app },
    )
    .await;
    // Its caps are hourly windows: count inside one.
    p.align_clock(3600);
    let numbers: Vec<String> = (0..3).map(|_| random_number()).collect();
    for n in &numbers {
        p.add_line(n, ENTE, ENTE_NAME, true).await;
    }
    for n in &numbers[..2] {
        let b = p.as_browser(Portal::browser());
        assert_eq!(ask_code(&b, n).await.path, "/registrazione/codice");
    }
    let b = p.as_browser(Portal::browser());
    let refused = ask_code(&b, &numbers[2]).await;
    assert_eq!(refused.status, 429);
    assert!(
        refused.contains("Il servizio SMS è momentaneamente sovraccarico"),
        "{}",
        refused.text()
    );
    assert!(p.sms_to(&numbers[2]).await.is_empty());
    let alert = logs.text().lines().any(|l| {
        l.contains("\"alert\":\"sms_global_budget_exhausted\"") && l.contains("\"level\":\"ERROR\"")
    });
    assert!(alert, "an ERROR log line with alert=sms_global_budget_exhausted (the CloudWatch metric filter's pattern)");
    // The next hour the budget is there again.
    p.clock.advance(3600);
    assert_eq!(
        ask_code(&b, &numbers[2]).await.path,
        "/registrazione/codice"
    );
}

fn rand_suffix() -> u32 {
    use rand::Rng;
    rand::thread_rng().gen_range(100_000..999_999)
}

/// Registration step 1 answers the same for a number that already has an account and for
/// one that has none (both active lines): same redirect, same code page but the masked
/// number, one SMS each.
#[tokio::test]
async fn step_one_does_not_tell_whether_a_number_is_registered() {
    let p = Portal::start().await;
    let registered = random_number();
    let fresh = random_number();
    for n in [&registered, &fresh] {
        p.add_line(n, ENTE, ENTE_NAME, true).await;
    }
    register(
        &p.as_browser(Portal::browser()),
        &registered,
        &e2e::random_email("gia-registrato"),
    )
    .await;
    p.clock.advance(31);
    let a = ask_code(&p.as_browser(Portal::browser()), &registered).await;
    let b = ask_code(&p.as_browser(Portal::browser()), &fresh).await;
    assert_eq!((a.status, a.path.as_str()), (b.status, b.path.as_str()));
    let mask = |n: &str| format!("{} *** {}", &n[3..6], &n[n.len() - 4..]);
    assert_eq!(
        a.html.replace(&mask(&registered), "N"),
        b.html.replace(&mask(&fresh), "N"),
        "byte-identical but the masked number"
    );
}
