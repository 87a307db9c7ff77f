//! Issue 13, items 1-3 and 10, as a user, a stranger and a client met them before the fix.
//! Not part of the workspace: `scripts/repro-issue13.sh [COMMIT]` copies it into a worktree
//! of COMMIT and runs it (it compiles against the harness before and after the fix).
use e2e::register::*;
use e2e::{random_email, random_number, Page, Portal};
use store::uniqueness::{self, Kind};

async fn line(p: &Portal) -> String {
    let number = random_number();
    p.add_line(&number, ENTE, ENTE_NAME, true).await;
    number
}
async fn password_step(p: &Portal, username: &str, password: &str) -> Page {
    let page = p.get("/accesso").await;
    p.submit(&page, "username", &[("username", username), ("password", password)]).await
}

#[tokio::test]
async fn item1_a_mail_scanner_opening_the_confirmation_link_changes_nothing() {
    let p = Portal::start().await;
    let number = line(&p).await;
    let email = random_email("scanner");
    let link = through_email(&p, &number, &email).await;
    let scanned = p.get_with(&Portal::browser(), &link).await;
    println!("scanner GET: {} {}", scanned.status, &scanned.text()[..200.min(scanned.text().len())]);
    let person = p.get(&link).await;
    println!("person's click: {} {}", person.status, person.text().chars().skip(0).take(300).collect::<String>());
    assert!(!scanned.contains("Email Confermata"), "a GET confirmed the email");
}

#[tokio::test]
async fn item2_an_abandoned_prosegui_leaves_the_old_account_untouched() {
    let p = Portal::start().await;
    let number = line(&p).await;
    let email = random_email("vecchio");
    register(&p.as_browser(Portal::browser()), &number, &email).await;
    let q = p.as_browser(Portal::browser());
    let dup = through_profile(&q, &number).await;
    let page = q.submit(&dup, "azione", &[("azione", "prosegui")]).await;
    let page = q.submit(&page, "email", &[("email", &email)]).await;
    q.submit(&page, "azione", &[]).await;
    p.clock.advance(25 * 3600);
    let login = password_step(&p.as_browser(Portal::browser()), &email, PASSWORD).await;
    let holder = uniqueness::holder(p.app.store.as_ref(), Kind::Email, &email, p.app.now()).await.unwrap();
    println!("old account's login a day later: {} {}; email claim held by {holder:?}", login.status, login.path);
    assert_eq!(login.path, "/accesso/codice", "the old account no longer logs in");
}

#[tokio::test]
async fn item3_strangers_on_a_number_cannot_stop_its_login_codes() {
    let p = Portal::start().await;
    let number = line(&p).await;
    let email = random_email("proprietario");
    register(&p.as_browser(Portal::browser()), &number, &email).await;
    let stranger = p.as_browser(Portal::browser());
    for i in 0..6 {
        println!("stranger's step 1 #{}: {}", i + 1, step1(&stranger, &number).await.status);
    }
    let page = password_step(&p.as_browser(Portal::browser()), &email, PASSWORD).await;
    println!("owner's login: {} {}", page.status, page.path);
    assert_eq!(page.path, "/accesso/codice", "the owner's login code was refused");
}

#[tokio::test]
async fn item10_a_client_cannot_choose_the_address_its_caps_count() {
    let p = Portal::start().await;
    let mut statuses = Vec::new();
    for i in 0..31 {
        let spoofed = format!("203.0.113.{}", i + 1);
        let resp = reqwest::Client::new()
            .post(format!("{}/accesso", p.base))
            .header("x-forwarded-for", &spoofed)
            .form(&[
                ("username", format!("nessuno{i}.{}", rand::random::<u32>())),
                ("password", "Sbagliata-123!".into()),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
    }
    println!("31 wrong logins from one socket, each claiming another address: last status {}", statuses[30]);
    assert_eq!(statuses[30], 429, "the per-IP cap was bypassed by a client-supplied address");
}
