//! The dev inbox: what LocalStack captured instead of delivering. Also the read-back
//! used by the end-to-end tests (one parser of LocalStack's JSON, not two).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use maud::html;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sms {
    pub to: String,
    pub sender_id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Email {
    pub to: Vec<String>,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `GET /_aws/sns/sms-messages?region=…` → every SMS, oldest first.
pub async fn fetch_sms(endpoint: &str, region: &str) -> Result<Vec<Sms>, String> {
    let v: Value = get_json(&format!("{endpoint}/_aws/sns/sms-messages?region={region}")).await?;
    let mut out = Vec::new();
    if let Some(by_number) = v.get("sms_messages").and_then(Value::as_object) {
        for (number, msgs) in by_number {
            for m in msgs.as_array().into_iter().flatten() {
                let attrs = m.get("MessageAttributes");
                let sender_id = attrs
                    .and_then(|a| a.get("AWS.SNS.SMS.SenderID"))
                    .and_then(|s| s.get("StringValue").or_else(|| s.get("Value")))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                out.push(Sms {
                    to: m
                        .get("PhoneNumber")
                        .and_then(Value::as_str)
                        .unwrap_or(number)
                        .to_owned(),
                    sender_id: sender_id.to_owned(),
                    text: m
                        .get("Message")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                });
            }
        }
    }
    Ok(out)
}

/// `GET /_aws/ses` → every email, oldest first.
pub async fn fetch_emails(endpoint: &str) -> Result<Vec<Email>, String> {
    let v: Value = get_json(&format!("{endpoint}/_aws/ses")).await?;
    let s = |m: &Value, path: &[&str]| {
        let mut cur = m;
        for p in path {
            cur = match cur.get(p) {
                Some(c) => c,
                None => return String::new(),
            };
        }
        cur.as_str().unwrap_or_default().to_owned()
    };
    Ok(v.get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| Email {
            to: m
                .pointer("/Destination/ToAddresses")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            from: s(m, &["Source"]),
            subject: s(m, &["Subject"]),
            text: s(m, &["Body", "text_part"]),
            html: s(m, &["Body", "html_part"]),
        })
        .collect())
}

async fn get_json(url: &str) -> Result<Value, String> {
    let resp = reqwest::get(url).await.map_err(|e| format!("{url}: {e}"))?;
    resp.json().await.map_err(|e| format!("{url}: {e}"))
}

pub async fn page(State(super::Ctx { gw, .. }): State<super::Ctx>) -> Html<String> {
    let sms = fetch_sms(&gw.aws_endpoint, &gw.region).await;
    let mails = fetch_emails(&gw.aws_endpoint).await;
    let body = html! {
        h1 { "Posta in arrivo di sviluppo" }
        p class="notice" { "Solo in locale: SMS ed email che LocalStack ha ricevuto al posto di consegnarli. I più \
            recenti in alto." }
        h2 { "SMS" }
        @match &sms {
            Err(e) => p class="field-error" { "LocalStack non risponde: " (e) },
            Ok(list) if list.is_empty() => p { "Nessun SMS." },
            Ok(list) => ul {
                @for m in list.iter().rev() { li { strong { (m.to) } " da " (m.sender_id) ": " (m.text) } }
            },
        }
        h2 { "Email" }
        @match &mails {
            Err(e) => p class="field-error" { "LocalStack non risponde: " (e) },
            Ok(list) if list.is_empty() => p { "Nessuna email." },
            Ok(list) => @for m in list.iter().rev() {
                article class="card" {
                    h3 { (m.subject) }
                    p { "A: " (m.to.join(", ")) br; "Da: " (m.from) }
                    pre { (m.text) }
                }
            },
        }
    };
    Html(shared::ui::layout::page("Posta in arrivo di sviluppo", body).into_string())
}

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    /// Only messages to this phone number (E.164) or email address.
    pub to: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct InboxJson {
    pub sms: Vec<Sms>,
    pub emails: Vec<Email>,
}

/// `GET /_dev/inbox.json[?to=…]`: the same messages as the page, oldest first, as JSON
/// (`{"sms": [{to, sender_id, text}], "emails": [{to, from, subject, text, html}]}`), for
/// the browser tests and scripts. 502 when LocalStack does not answer.
pub async fn json(
    State(super::Ctx { gw, .. }): State<super::Ctx>,
    Query(q): Query<InboxQuery>,
) -> Response {
    let (sms, mails) = futures::join!(
        fetch_sms(&gw.aws_endpoint, &gw.region),
        fetch_emails(&gw.aws_endpoint)
    );
    let (mut sms, mut emails) = match (sms, mails) {
        (Ok(s), Ok(m)) => (s, m),
        (Err(e), _) | (_, Err(e)) => {
            return (
                StatusCode::BAD_GATEWAY,
                Json(serde_json::json!({ "error": e })),
            )
                .into_response()
        }
    };
    if let Some(to) = q.to.as_deref().filter(|t| !t.is_empty()) {
        sms.retain(|m| m.to == to);
        emails.retain(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)));
    }
    Json(InboxJson { sms, emails }).into_response()
}
