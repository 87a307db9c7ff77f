//! The dev inbox (`/_dev/inbox`, MailHog's job): what LocalStack captured instead of
//! delivering, newest first, filtered by number or address, each email viewable as HTML
//! (in a sandboxed iframe) and as text, and a button that empties it (only what the filter
//! shows, when there is one). Also the read-back used by the end-to-end tests and
//! `/_dev/inbox.json` (one parser of LocalStack's JSON, not two).

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sms {
    /// SNS's message id.
    pub id: String,
    pub to: String,
    pub sender_id: String,
    pub text: String,
    /// When this gateway first saw it (Unix seconds): LocalStack keeps no time for an SMS.
    pub seen_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Email {
    /// SES's message id.
    pub id: String,
    pub to: Vec<String>,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// When SES (LocalStack) took it (Unix seconds).
    pub sent_at: i64,
}

/// First sight of each SMS by id (see `Sms::seen_at`).
static SEEN: LazyLock<Mutex<HashMap<String, i64>>> = LazyLock::new(Mutex::default);

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// LocalStack's SES `Timestamp`, `2026-11-30T16:13:39` in UTC.
fn parse_timestamp(s: &str) -> i64 {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(s.get(..19).unwrap_or(s), format)
        .map(|t| t.assume_utc().unix_timestamp())
        .unwrap_or(0)
}

/// `GET /_aws/sns/sms-messages?region=…` → every SMS, oldest first.
pub async fn fetch_sms(endpoint: &str, region: &str) -> Result<Vec<Sms>, String> {
    let v: Value = get_json(&format!("{endpoint}/_aws/sns/sms-messages?region={region}")).await?;
    let mut out = Vec::new();
    if let Some(by_number) = v.get("sms_messages").and_then(Value::as_object) {
        for (number, msgs) in by_number {
            for m in msgs.as_array().into_iter().flatten() {
                let attrs = m.get("MessageAttributes");
                // Who it came from: a sender ID, or an origination number (short code).
                let sender_id = ["AWS.SNS.SMS.SenderID", "AWS.MM.SMS.OriginationNumber"]
                    .iter()
                    .find_map(|name| {
                        attrs
                            .and_then(|a| a.get(*name))
                            .and_then(|s| s.get("StringValue").or_else(|| s.get("Value")))
                            .and_then(Value::as_str)
                    })
                    .unwrap_or_default();
                let id = m
                    .get("MessageId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let seen_at = *SEEN.lock().unwrap().entry(id.clone()).or_insert_with(now);
                out.push(Sms {
                    id,
                    seen_at,
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
            id: s(m, &["Id"]),
            sent_at: parse_timestamp(&s(m, &["Timestamp"])),
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

/// The page's filter: a number (any spelling: `333 000 0001`, `+39…`) or part of an address.
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub q: String,
}

impl Filter {
    fn text(&self) -> &str {
        self.q.trim()
    }
    fn digits(&self) -> String {
        self.text().chars().filter(char::is_ascii_digit).collect()
    }
    /// A number is matched by its digits (so `3330000001` finds `+393330000001`).
    fn sms(&self, m: &Sms) -> bool {
        let d = self.digits();
        self.text().is_empty() || (!d.is_empty() && !self.text().contains('@') && m.to.contains(&d))
    }
    fn email(&self, m: &Email) -> bool {
        let q = self.text().to_lowercase();
        q.is_empty() || m.to.iter().any(|t| t.to_lowercase().contains(&q))
    }
    /// `?q=…` to keep the filter across pages, or nothing.
    fn query(&self) -> String {
        if self.text().is_empty() {
            String::new()
        } else {
            format!(
                "?q={}",
                url::form_urlencoded::byte_serialize(self.text().as_bytes()).collect::<String>()
            )
        }
    }
}

/// What LocalStack holds that the filter shows, newest first.
async fn filtered(
    gw: &super::Gateway,
    f: &Filter,
) -> (Result<Vec<Sms>, String>, Result<Vec<Email>, String>) {
    let (sms, mails) = futures::join!(
        fetch_sms(&gw.aws_endpoint, &gw.region),
        fetch_emails(&gw.aws_endpoint)
    );
    let sms = sms.map(|mut l| {
        l.retain(|m| f.sms(m));
        // Stable: equal times keep LocalStack's order (oldest first per number), reversed.
        l.reverse();
        l.sort_by_key(|m| std::cmp::Reverse(m.seen_at));
        l
    });
    let mails = mails.map(|mut l| {
        l.retain(|m| f.email(m));
        l.reverse();
        l.sort_by_key(|m| std::cmp::Reverse(m.sent_at));
        l
    });
    (sms, mails)
}

fn when(epoch: i64) -> Markup {
    let iso = time::OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    html! { time datetime=(iso) { (domain::clock::rome_datetime(epoch)) } }
}

const TITLE: &str = "Posta in arrivo di sviluppo";

fn frame(title: &str, body: Markup) -> Html<String> {
    let main = html! { div class="container" { (body) } };
    Html(ui::layout::flow_page(title, main).into_string())
}

/// The filter form (GET, works without JavaScript, keeps what was typed) and the button
/// that empties what it shows.
fn controls(f: &Filter) -> Markup {
    html! {
        form method="get" action="/_dev/inbox" role="search" aria-label="Filtra i messaggi" {
            div class="field" {
                label for="q" { "Filtra per numero o indirizzo email" }
                span id="q-hint" class="hint" { "Per esempio 333 000 0001 oppure mario.rossi@example.it." }
                input id="q" name="q" type="text" value=(f.text()) autocomplete="off" aria-describedby="q-hint";
            }
            div class="btn-row" { button class="btn btn-primary" type="submit" { "Filtra" } }
        }
        @if !f.text().is_empty() { p { a href="/_dev/inbox" { "Mostra tutti i messaggi" } } }
        form method="post" action="/_dev/inbox/svuota" {
            input type="hidden" name="q" value=(f.text());
            p class="hint" {
                @if f.text().is_empty() { "Cancella da LocalStack tutti gli SMS e le email." }
                @else { "Cancella da LocalStack solo i messaggi mostrati qui sotto." }
            }
            button class="btn btn-secondary" type="submit" {
                @if f.text().is_empty() { "Svuota la posta" } @else { "Svuota i messaggi filtrati" }
            }
        }
    }
}

/// `GET /_dev/inbox[?q=…]`.
pub async fn page(
    State(super::Ctx { gw, .. }): State<super::Ctx>,
    Query(f): Query<Filter>,
) -> Html<String> {
    let (sms, mails) = filtered(&gw, &f).await;
    let back = f.query();
    let body = html! {
        div class="page-head" {
            h1 { (TITLE) }
            p class="lead" { "Solo in locale: SMS ed email che LocalStack ha ricevuto al posto di consegnarli, i più \
                recenti in alto (ora italiana)." }
        }
        (controls(&f))
        section aria-labelledby="sms-title" {
            h2 id="sms-title" { "SMS" }
            @match &sms {
                Err(e) => p class="field-error" { "LocalStack non risponde: " (e) },
                Ok(list) if list.is_empty() => p { "Nessun SMS." },
                Ok(list) => ul class="news-list" {
                    @for m in list {
                        li class="card" {
                            p class="meta" { (when(m.seen_at)) " · a " (m.to) " · da " (m.sender_id) }
                            p { (m.text) }
                        }
                    }
                },
            }
        }
        section aria-labelledby="email-title" {
            h2 id="email-title" { "Email" }
            @match &mails {
                Err(e) => p class="field-error" { "LocalStack non risponde: " (e) },
                Ok(list) if list.is_empty() => p { "Nessuna email." },
                Ok(list) => ul class="news-list" {
                    @for m in list {
                        li class="card" {
                            p class="meta" { (when(m.sent_at)) " · a " (m.to.join(", ")) }
                            h3 {
                                a href={ "/_dev/inbox/email?id=" (urlencode(&m.id))
                                    @if !f.text().is_empty() { "&q=" (urlencode(f.text())) } } { (m.subject) }
                            }
                        }
                    }
                },
            }
        }
        p { a href={ "/_dev/inbox.json" (back.replace("?q=", "?to=")) } { "Gli stessi messaggi in JSON" } }
    };
    frame(TITLE, body)
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct One {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub q: String,
}

/// `GET /_dev/inbox/email?id=…`: one email, as HTML in a sandboxed frame (no scripts, no
/// access to this page; its links open in a new tab) and as text (its links clickable).
pub async fn email(
    State(super::Ctx { gw, .. }): State<super::Ctx>,
    Query(one): Query<One>,
) -> Response {
    let back = Filter { q: one.q.clone() }.query();
    let found = fetch_emails(&gw.aws_endpoint)
        .await
        .map(|l| l.into_iter().find(|m| m.id == one.id));
    let m = match found {
        Ok(Some(m)) => m,
        Ok(None) => {
            let body = html! {
                h1 { "Email non trovata" }
                p { "L'email non è più nella posta di LocalStack (forse è stata svuotata)." }
                p { a href={ "/_dev/inbox" (back) } { "Torna alla posta in arrivo" } }
            };
            return (StatusCode::NOT_FOUND, frame("Email non trovata", body)).into_response();
        }
        Err(e) => return (StatusCode::BAD_GATEWAY, e).into_response(),
    };
    // Links in the frame open in a new tab: the portal refuses to be framed (the buttons'
    // own `target="_self"`, right in a mail client, would load it in the frame).
    let html = m.html.replace(" target=\"_self\"", "");
    let srcdoc = match html.find("<head>") {
        Some(i) => format!(
            "{}<head><base target=\"_blank\">{}",
            &html[..i],
            &html[i + 6..]
        ),
        None => format!("<base target=\"_blank\">{html}"),
    };
    let body = html! {
        p { a href={ "/_dev/inbox" (back) } { "← Torna alla posta in arrivo" } }
        div class="page-head" {
            h1 { (m.subject) }
            dl class="contact-list" {
                dt { "Da" } dd { (m.from) }
                dt { "A" } dd { (m.to.join(", ")) }
                dt { "Ora" } dd { (when(m.sent_at)) }
            }
        }
        section class="prose" aria-labelledby="html-title" {
            h2 id="html-title" { "Versione HTML" }
            iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc=(srcdoc)
                title={ "Versione HTML dell'email “" (m.subject) "”" } width="100%" height="760" {}
        }
        section class="prose" aria-labelledby="text-title" {
            h2 id="text-title" { "Versione testo" }
            @for block in m.text.split("\n\n") {
                p { @for (i, line) in block.lines().enumerate() { @if i > 0 { br; } (linked(line)) } }
            }
        }
    };
    frame(&m.subject, body).into_response()
}

/// A line of the text part with its web addresses as links.
fn linked(line: &str) -> Markup {
    html! {
        @for (i, word) in line.split(' ').enumerate() {
            @if i > 0 { " " }
            @if word.starts_with("http://") || word.starts_with("https://") { a href=(word) { (word) } }
            @else { (word) }
        }
    }
}

/// `POST /_dev/inbox/svuota` (`q`): empties what the filter shows — with a filter only the
/// SMS to the numbers it matches (`DELETE /_aws/sns/sms-messages?phoneNumber=`) and the
/// emails it shows (`DELETE /_aws/ses?id=`), so other people's messages on a shared
/// LocalStack stay; without one, everything. Then back to the inbox.
pub async fn clear(
    State(super::Ctx { gw, .. }): State<super::Ctx>,
    Form(f): Form<Filter>,
) -> Response {
    let (endpoint, region) = (&gw.aws_endpoint, &gw.region);
    let mut urls = Vec::new();
    if f.text().is_empty() {
        urls.push(format!("{endpoint}/_aws/sns/sms-messages?region={region}"));
        urls.push(format!("{endpoint}/_aws/ses"));
    } else {
        let (sms, mails) = filtered(&gw, &f).await;
        let mut numbers: Vec<String> = sms.unwrap_or_default().into_iter().map(|m| m.to).collect();
        numbers.sort();
        numbers.dedup();
        for n in numbers {
            urls.push(format!(
                "{endpoint}/_aws/sns/sms-messages?region={region}&phoneNumber={}",
                urlencode(&n)
            ));
        }
        for m in mails.unwrap_or_default() {
            urls.push(format!("{endpoint}/_aws/ses?id={}", urlencode(&m.id)));
        }
    }
    let client = reqwest::Client::new();
    for url in urls {
        if let Err(e) = client
            .delete(&url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
        {
            return (
                StatusCode::BAD_GATEWAY,
                format!("LocalStack non ha svuotato la posta: {e}"),
            )
                .into_response();
        }
    }
    Redirect::to(&format!("/_dev/inbox{}", f.query())).into_response()
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

/// `GET /_dev/inbox.json[?to=…]`: the messages to exactly that number (E.164) or address,
/// oldest first, as JSON (`{"sms": [{id, to, sender_id, text, seen_at}], "emails": [{id, to,
/// from, subject, text, html, sent_at}]}`, times in Unix seconds), for the browser tests and
/// scripts. 502 when LocalStack does not answer.
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
