//! Issue 22, item 5: the SMS sender is true. The sender the pages name is the one SNS sends
//! with, from one setting (`SMS_SENDER_ID`, `engine::config::SmsSender`): a portal started
//! with the alphanumeric sender "TIM" says "dal mittente TIM" on the code pages of
//! registration, login and recovery and its SMS carry `AWS.SNS.SMS.SenderID` = TIM (as
//! LocalStack's `/_aws/sns/sms-messages` records them); with the default, the guide's 40134
//! ("dal numero 40134", sent as `AWS.MM.SMS.OriginationNumber`).

use e2e::register::{cf_for, new_line, registered, step1, PASSWORD};
use e2e::sign_in::password_step;
use e2e::{Page, Portal};
use engine::config::SmsSender;

/// The three code pages (registration, login, recovery mode 3) of `p`, each with the
/// number its SMS went to.
async fn code_pages(p: &Portal) -> Vec<(&'static str, Page, String)> {
    let number = new_line(p).await;
    let reg = step1(p, &number).await;
    assert_eq!(reg.path, "/registrazione/codice", "{}", reg.text());

    let (known, username) = registered(p, "mittente").await;
    let b = p.as_browser(Portal::browser());
    let login = password_step(&b, &username, PASSWORD).await;
    assert_eq!(login.path, "/accesso/codice", "{}", login.text());

    let c = p.as_browser(Portal::browser());
    let start = c.get("/recupero").await;
    let form = c
        .submit(&start, "scelta", &[("modalita", "entrambe")])
        .await;
    let fields = [("numero", known.as_str()), ("cf_personale", cf_for(&known))];
    let recovery = c.submit(&form, "modalita", &fields).await;
    assert_eq!(recovery.path, "/recupero/codice", "{}", recovery.text());
    vec![
        ("registrazione", reg, number),
        ("accesso", login, known.clone()),
        ("recupero", recovery, known),
    ]
}

#[tokio::test]
async fn a_portal_sending_as_tim_names_tim_on_every_code_page_and_its_sms_come_from_tim() {
    let p = Portal::start_full(
        |c| c.sms_sender = SmsSender::parse("TIM").unwrap(),
        |app| async move { app },
    )
    .await;
    for (flow, page, number) in code_pages(&p).await {
        let text = page.text();
        assert!(text.contains("SMS dal mittente TIM"), "{flow}: {text}");
        assert!(!text.contains("40134"), "{flow} names 40134: {text}");
        let sms = p.sms_to(&number).await;
        let last = sms
            .last()
            .unwrap_or_else(|| panic!("{flow}: no SMS to {number}"));
        assert_eq!(last.sender_id, "TIM", "{flow}: {last:?}");
    }
}

#[tokio::test]
async fn by_default_the_pages_and_the_sms_name_the_guides_40134() {
    let p = Portal::start().await;
    for (flow, page, number) in code_pages(&p).await {
        let text = page.text();
        assert!(text.contains("SMS dal numero 40134"), "{flow}: {text}");
        let sms = p.sms_to(&number).await;
        let last = sms
            .last()
            .unwrap_or_else(|| panic!("{flow}: no SMS to {number}"));
        assert_eq!(last.sender_id, "40134", "{flow}: {last:?}");
    }
}

/// What LocalStack recorded for the default sender: a short code goes as an origination
/// number, never as a sender ID (SNS refuses a numeric sender ID).
#[tokio::test]
async fn a_short_code_is_sent_as_an_origination_number() {
    let p = Portal::start().await;
    let number = new_line(&p).await;
    step1(&p, &number).await;
    p.sms_to_at_least(&number, 1).await;
    let url = format!(
        "{}/_aws/sns/sms-messages?region={}",
        e2e::endpoint(),
        e2e::region()
    );
    let body = reqwest::get(&url).await.unwrap().text().await.unwrap();
    let all: serde_json::Value = serde_json::from_str(&body).unwrap();
    let msgs = &all["sms_messages"][&number];
    let attrs = &msgs.as_array().expect("SMS to the number")[0]["MessageAttributes"];
    let value = |name: &str| {
        let a = &attrs[name];
        a["StringValue"]
            .as_str()
            .or(a["Value"].as_str())
            .map(str::to_owned)
    };
    assert_eq!(
        value("AWS.MM.SMS.OriginationNumber").as_deref(),
        Some("40134"),
        "{attrs}"
    );
    assert_eq!(value("AWS.SNS.SMS.SenderID"), None, "{attrs}");
}
