//! Signing in as a user does it: the password step, then the SMS code. Shared by the
//! login tests and every test that needs a session (the private area, recovery, the help
//! desk's commands).

use crate::quick::Holder;
use crate::register::PASSWORD;
use crate::{Page, Portal};

/// The login page as a visitor finds it: there, with the ways to register and to recover.
pub async fn login_page(p: &Portal) -> Page {
    let page = p.get("/accesso").await;
    assert_eq!(page.status, 200);
    assert!(
        page.contains("Registrati ora") && page.contains("Recupera Username e Password"),
        "{}",
        page.text()
    );
    page
}

/// The password step sent from `page` (a login form): where it leads.
pub async fn submit_password(p: &Portal, page: &Page, username: &str, password: &str) -> Page {
    p.submit(
        page,
        "username",
        &[("username", username), ("password", password)],
    )
    .await
}

/// The password step from a freshly opened login page: where it leads.
pub async fn password_step(p: &Portal, username: &str, password: &str) -> Page {
    let page = p.get("/accesso").await;
    submit_password(p, &page, username, password).await
}

/// The code step: `page` must be the code page; the latest code sent to `number` typed in.
pub async fn code_step(p: &Portal, page: &Page, number: &str) -> Page {
    assert_eq!(page.path, "/accesso/codice", "{}", page.text());
    let code = p.last_code(number).await;
    p.submit(page, "codice", &[("codice", &code)]).await
}

/// A whole login that must reach the code page: the page the code leads to.
pub async fn sign_in(p: &Portal, number: &str, username: &str, password: &str) -> Page {
    let page = password_step(p, username, password).await;
    code_step(p, &page, number).await
}

/// A whole login that may stop at the password (a wrong one, a suspended account): the page
/// it stopped on, or the one this login's own code leads to.
pub async fn attempt(p: &Portal, number: &str, username: &str, password: &str) -> Page {
    // The code of *this* login: wait for one more SMS than before (an earlier login's
    // code may be the last one LocalStack shows for a moment).
    let before = p.sms_to(number).await.len();
    let page = password_step(p, username, password).await;
    if page.path != "/accesso/codice" {
        return page;
    }
    let sms = p.sms_to_at_least(number, before + 1).await;
    let text = &sms.last().expect("the login's SMS").text;
    let code = crate::code_in(text).expect("a 6-digit code");
    p.submit(&page, "codice", &[("codice", code)]).await
}

/// `attempt` for an account made by `quick::account` (its password is `PASSWORD`).
pub async fn holder(p: &Portal, h: &Holder) -> Page {
    attempt(p, &h.number, &h.username, PASSWORD).await
}
