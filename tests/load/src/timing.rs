//! Where a request's time goes. A middleware around the gateway opens a per-request record
//! (a tokio task-local, so it follows the handler's future and nothing else); timing
//! wrappers around the App's `Store` and `Notifier` add every AWS call to it. Handler time
//! minus AWS time is the project's own code (forms, HMAC, HTML, and argon2id waited on
//! through `spawn_blocking`, which the report separates).
//!
//! The notifier wrapper also taps every message: it still sends it to SNS / SES for real,
//! and keeps the last SMS text per number and the last email per address in memory, so the
//! load client reads its code without fetching LocalStack's whole SMS list.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use domain::MobileNumber;
use engine::App;
use notify::{EmailMessage, Notifier, NotifyError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use store::{Cond, Item, Key, Query, Store, StoreError, TxOp, Update};

tokio::task_local! {
    static REQ: Arc<Mutex<Vec<Call>>>;
}

/// One AWS call made while serving a request.
#[derive(Debug, Clone)]
pub struct Call {
    pub api: &'static str,
    /// The item's partition key (first op's, for a transaction).
    pub pk: String,
    pub start: Instant,
    pub end: Instant,
}

impl Call {
    pub fn is_dynamodb(&self) -> bool {
        !matches!(self.api, "Publish" | "SendEmail")
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct ServerSample {
    /// "METHOD /path" (no query).
    pub kind: String,
    /// The client's `x-load-login` header: which login this request belongs to.
    pub login: Option<u64>,
    pub start: Instant,
    pub end: Instant,
    pub calls: Vec<Call>,
}

impl ServerSample {
    pub fn total_s(&self) -> f64 {
        (self.end - self.start).as_secs_f64()
    }
    /// Wall time inside AWS calls (the union of their intervals: overlapping calls count once).
    pub fn aws_s(&self, filter: impl Fn(&Call) -> bool) -> f64 {
        let mut iv: Vec<(Instant, Instant)> = self
            .calls
            .iter()
            .filter(|c| filter(c))
            .map(|c| (c.start, c.end))
            .collect();
        iv.sort();
        let mut total = 0.0;
        let mut cur: Option<(Instant, Instant)> = None;
        for (s, e) in iv {
            match cur {
                Some((cs, ce)) if s <= ce => cur = Some((cs, ce.max(e))),
                Some((cs, ce)) => {
                    total += (ce - cs).as_secs_f64();
                    cur = Some((s, e));
                }
                None => cur = Some((s, e)),
            }
        }
        if let Some((cs, ce)) = cur {
            total += (ce - cs).as_secs_f64();
        }
        total
    }
    /// The argon2id verification of `POST /accesso`, as the handler waited for it: the gap
    /// between the account lookup and the next call, which clears the typed username's
    /// failure counter (`DeleteItem LOCK#…`) right after a successful verification.
    pub fn argon2_s(&self) -> Option<f64> {
        let mut calls = self.calls.clone();
        calls.sort_by_key(|c| c.start);
        let i = calls
            .iter()
            .position(|c| c.api == "DeleteItem" && c.pk.starts_with("LOCK#"))?;
        let before = calls[..i].iter().map(|c| c.end).max()?;
        Some(
            calls[i]
                .start
                .saturating_duration_since(before)
                .as_secs_f64(),
        )
    }
}

/// Every request served since the last `drain`.
#[derive(Default)]
pub struct Recorder {
    samples: Mutex<Vec<ServerSample>>,
}

impl Recorder {
    pub fn drain(&self) -> Vec<ServerSample> {
        std::mem::take(&mut *self.samples.lock().unwrap())
    }
}

/// The gateway middleware: one record per request, filled by the wrappers below.
pub async fn measure(recorder: Arc<Recorder>, req: Request, next: Next) -> Response {
    let kind = format!("{} {}", req.method(), req.uri().path());
    let login = req
        .headers()
        .get("x-load-login")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let calls = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let resp = REQ.scope(calls.clone(), next.run(req)).await;
    let end = Instant::now();
    let calls = std::mem::take(&mut *calls.lock().unwrap());
    recorder.samples.lock().unwrap().push(ServerSample {
        kind,
        login,
        start,
        end,
        calls,
    });
    resp
}

async fn timed<T>(api: &'static str, pk: &str, fut: impl std::future::Future<Output = T>) -> T {
    let start = Instant::now();
    let out = fut.await;
    let end = Instant::now();
    let _ = REQ.try_with(|calls| {
        calls.lock().unwrap().push(Call {
            api,
            pk: pk.to_owned(),
            start,
            end,
        })
    });
    out
}

pub struct TimingStore {
    inner: Arc<dyn Store>,
}

#[async_trait::async_trait]
impl Store for TimingStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        timed("GetItem", &key.pk, self.inner.get(key)).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        let first = keys.first().map(|k| k.pk.as_str()).unwrap_or_default();
        timed("BatchGetItem", first, self.inner.batch_get(keys)).await
    }
    async fn put(&self, key: &Key, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
        timed("PutItem", &key.pk, self.inner.put(key, item, cond)).await
    }
    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError> {
        timed("UpdateItem", &key.pk, self.inner.update(key, update, cond)).await
    }
    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
        timed("DeleteItem", &key.pk, self.inner.delete(key, cond)).await
    }
    async fn take(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        timed("DeleteItem", &key.pk, self.inner.take(key)).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        timed("TransactWriteItems", "", self.inner.transact(ops)).await
    }
    async fn query(&self, q: &Query) -> Result<Vec<(Key, Item)>, StoreError> {
        timed("Query", &q.pk, self.inner.query(q)).await
    }
}

/// The last message per recipient, taken by the load client.
#[derive(Default)]
pub struct Tap {
    sms: Mutex<HashMap<String, String>>,
    email: Mutex<HashMap<String, EmailMessage>>,
}

impl Tap {
    /// The 6-digit code of the last SMS to `e164`, removed so the next read waits for a new one.
    pub fn take_code(&self, e164: &str) -> Option<String> {
        let text = self.sms.lock().unwrap().remove(e164)?;
        text.split_whitespace()
            .find(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_owned)
    }
    /// The first link in the text part of the last email to `addr`.
    pub fn take_link(&self, addr: &str) -> Option<String> {
        let mail = self.email.lock().unwrap().remove(addr)?;
        let start = mail.text.find("http")?;
        mail.text[start..]
            .split_whitespace()
            .next()
            .map(str::to_owned)
    }
}

pub struct TimingNotifier {
    inner: Arc<dyn Notifier>,
    tap: Arc<Tap>,
}

#[async_trait::async_trait]
impl Notifier for TimingNotifier {
    async fn sms(&self, to: &MobileNumber, text: &str) -> Result<(), NotifyError> {
        let out = timed("Publish", to.e164(), self.inner.sms(to, text)).await;
        if out.is_ok() {
            self.tap
                .sms
                .lock()
                .unwrap()
                .insert(to.e164().to_owned(), text.to_owned());
        }
        out
    }
    async fn email(&self, msg: &EmailMessage) -> Result<(), NotifyError> {
        let out = timed("SendEmail", &msg.to, self.inner.email(msg)).await;
        if out.is_ok() {
            self.tap
                .email
                .lock()
                .unwrap()
                .insert(msg.to.clone(), msg.clone());
        }
        out
    }
}

/// Wraps `app`'s store with the timing wrapper.
pub fn instrument(app: App) -> App {
    let store = Arc::new(TimingStore {
        inner: app.store.clone(),
    });
    App { store, ..app }
}

/// Wraps the outbox consumer's sender with the timing wrapper and the tap.
pub fn tapped_sender(inner: Arc<dyn Notifier>, tap: Arc<Tap>) -> Arc<dyn Notifier> {
    Arc::new(TimingNotifier { inner, tap })
}
