//! Credential recovery's links, read from the email as a user reads it: shared by the
//! recovery tests and those of its time limits.

use crate::Portal;

/// The reset link (`/recupero/nuova-password?token=…`) in an email's text.
pub fn link_in(text: &str) -> String {
    let start = text
        .find("/recupero/nuova-password?token=")
        .expect("a reset link");
    let begin = text[..start].rfind("http").unwrap();
    text[begin..].split_whitespace().next().unwrap().to_owned()
}

/// The link of the latest "nuova password" email to `email`.
pub async fn reset_link(p: &Portal, email: &str) -> String {
    let mails = p.emails_to(email).await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.subject.contains("nuova password"))
        .expect("reset email");
    link_in(&mail.text)
}
