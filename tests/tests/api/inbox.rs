//! The dev inbox over HTTP (`localstack/gateway/src/inbox.rs`; the browser test
//! `tests/browser/inbox.test.mjs` shows it in Chromium): the filter keeps what was typed and
//! shows only its messages, an email opens as HTML and text, "svuota" on a filtered view
//! removes only those messages from the shared LocalStack.

use e2e::register::*;
use e2e::{random_email, random_number, Portal};

fn pretty(e164: &str) -> String {
    let n = e164.trim_start_matches("+39");
    format!("{} {} {}", &n[..3], &n[3..6], &n[6..])
}

#[tokio::test]
async fn the_filter_shows_one_number_and_svuota_clears_only_what_it_shows() {
    let p = Portal::start().await;
    let (mine, other) = (random_number(), random_number());
    let email = random_email("posta.http");
    for n in [&mine, &other] {
        p.add_line(n, ENTE, ENTE_NAME, true).await;
        step1(&p.as_browser(Portal::browser()), n).await;
    }
    through_email(&p.as_browser(Portal::browser()), &mine, &email).await;
    p.settle().await;

    // Typed as a person types it: the number's SMS, not the other's; what was typed stays.
    let q = pretty(&mine);
    let page = p
        .get(&format!("/_dev/inbox?q={}", q.replace(' ', "+")))
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.input_value("q").as_deref(), Some(q.as_str()));
    let code = p.last_code(&mine).await;
    assert!(
        page.contains(&format!("Usa il codice temporaneo {code}")),
        "{}",
        page.text()
    );
    assert!(!page.contains(&other), "not the other number");
    assert!(
        page.contains("Nessuna email."),
        "a number filter shows no email"
    );

    // By address: the confirmation email, opened as HTML (sandboxed frame) and as text.
    let page = p.get(&format!("/_dev/inbox?q={email}")).await;
    let subject = "Conferma il tuo indirizzo email - Area Clienti Convenzione Mobile 8";
    assert!(page.contains(subject), "{}", page.text());
    let href = page
        .doc()
        .select(&scraper::Selector::parse("main h3 a").unwrap())
        .next()
        .and_then(|a| a.value().attr("href").map(str::to_owned))
        .expect("a link to the email");
    let one = p.get(&href).await;
    assert_eq!(one.status, 200);
    assert!(one
        .html
        .contains(r#"<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="#));
    let link = confirmation_link(&p, &email).await;
    assert!(
        one.html
            .contains(&format!(r#"<a href="{}">"#, link.replace('&', "&amp;"))),
        "the text's link"
    );

    // Svuota on the number's view: its SMS go; the other number's and the email stay.
    let after = p.post("/_dev/inbox/svuota", &[("q", &q)]).await;
    assert_eq!(after.path, "/_dev/inbox");
    assert_eq!(after.input_value("q").as_deref(), Some(q.as_str()));
    assert!(after.contains("Nessun SMS."));
    assert!(p.sms_to(&mine).await.is_empty());
    assert_eq!(p.sms_to(&other).await.len(), 1);
    assert_eq!(p.emails_to(&email).await.len(), 1);
}
