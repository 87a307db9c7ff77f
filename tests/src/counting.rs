//! Counting wrappers around the store, the outbox and the consumer's notifier: one `Store`
//! call is one DynamoDB API call (a transaction is one TransactWriteItems), one outbox
//! `post` one SQS SendMessage (made by the request), and — on the consumer's side
//! (`Gateway::sender`, the gateway's poller running `send-messages`) — one `sms` one SNS
//! Publish, one `email` one SES SendEmail, and its DynamoDB calls on its delivery records
//! (`SENT#<id>`) are counted apart, as `send-messages:<API>` (`consumer`), never in
//! `dynamodb` or `request_path`. Used to keep the AWS calls per flow within budget.

use domain::MobileNumber;
use engine::App;
use notify::{EmailMessage, Message, Notifier, NotifyError, Outbox};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use store::{Cond, Item, Key, Query, Store, StoreError, TxOp, Update};

#[derive(Default)]
pub struct Counts {
    /// Per API name: GetItem, PutItem, UpdateItem, DeleteItem, TransactWriteItems,
    /// SendMessage, Publish, SendEmail.
    calls: Mutex<BTreeMap<&'static str, usize>>,
    /// The same calls in the order they were made.
    order: Mutex<Vec<&'static str>>,
}

impl Counts {
    fn add(&self, api: &'static str) {
        *self.calls.lock().unwrap().entry(api).or_default() += 1;
        self.order.lock().unwrap().push(api);
    }
    pub fn reset(&self) {
        self.calls.lock().unwrap().clear();
        self.order.lock().unwrap().clear();
    }
    /// The calls a request made on its own path, in order: DynamoDB and the queue, not the
    /// SNS/SES deliveries of the messages nor their delivery records (the consumer's,
    /// asynchronous).
    pub fn request_path(&self) -> Vec<&'static str> {
        self.order
            .lock()
            .unwrap()
            .iter()
            .copied()
            .filter(|api| !matches!(*api, "Publish" | "SendEmail"))
            .filter(|api| !api.starts_with(CONSUMER))
            .collect()
    }
    /// The outbox consumer's DynamoDB calls (its delivery records), by API name.
    pub fn consumer(&self) -> BTreeMap<&'static str, usize> {
        self.snapshot()
            .into_iter()
            .filter_map(|(api, n)| Some((api.strip_prefix(CONSUMER)?, n)))
            .collect()
    }
    pub fn snapshot(&self) -> BTreeMap<&'static str, usize> {
        self.calls.lock().unwrap().clone()
    }
    pub fn dynamodb(&self) -> usize {
        let c = self.calls.lock().unwrap();
        [
            "GetItem",
            "BatchGetItem",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "TransactWriteItems",
            "Query",
        ]
        .iter()
        .map(|k| c.get(k).copied().unwrap_or(0))
        .sum()
    }
    /// SQS SendMessage: the outbox posts of the request steps.
    pub fn sqs(&self) -> usize {
        self.calls
            .lock()
            .unwrap()
            .get("SendMessage")
            .copied()
            .unwrap_or(0)
    }
    pub fn sns(&self) -> usize {
        self.calls
            .lock()
            .unwrap()
            .get("Publish")
            .copied()
            .unwrap_or(0)
    }
    pub fn ses(&self) -> usize {
        self.calls
            .lock()
            .unwrap()
            .get("SendEmail")
            .copied()
            .unwrap_or(0)
    }
}

/// The prefix of the consumer's DynamoDB calls in the counts.
const CONSUMER: &str = "send-messages:";

pub struct CountingStore {
    inner: Arc<dyn Store>,
    counts: Arc<Counts>,
}

/// `api` as counted for a call on `key`: the consumer's delivery records apart.
fn api(key: &Key, api: &'static str) -> &'static str {
    if !key.pk.starts_with(engine::access::SENT) {
        return api;
    }
    match api {
        "GetItem" => "send-messages:GetItem",
        "PutItem" => "send-messages:PutItem",
        "UpdateItem" => "send-messages:UpdateItem",
        _ => "send-messages:DeleteItem",
    }
}

#[async_trait::async_trait]
impl Store for CountingStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.counts.add(api(key, "GetItem"));
        self.inner.get(key).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        self.counts.add("BatchGetItem");
        self.inner.batch_get(keys).await
    }
    async fn put(&self, key: &Key, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
        self.counts.add(api(key, "PutItem"));
        self.inner.put(key, item, cond).await
    }
    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError> {
        self.counts.add(api(key, "UpdateItem"));
        self.inner.update(key, update, cond).await
    }
    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
        self.counts.add(api(key, "DeleteItem"));
        self.inner.delete(key, cond).await
    }
    async fn take(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.counts.add(api(key, "DeleteItem"));
        self.inner.take(key).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        self.counts.add("TransactWriteItems");
        self.inner.transact(ops).await
    }
    async fn query(&self, q: &Query) -> Result<Vec<(Key, Item)>, StoreError> {
        self.counts.add("Query");
        self.inner.query(q).await
    }
}

pub struct CountingNotifier {
    inner: Arc<dyn Notifier>,
    counts: Arc<Counts>,
}

#[async_trait::async_trait]
impl Notifier for CountingNotifier {
    async fn sms(&self, to: &MobileNumber, text: &str) -> Result<(), NotifyError> {
        self.counts.add("Publish");
        self.inner.sms(to, text).await
    }
    async fn email(&self, msg: &EmailMessage) -> Result<(), NotifyError> {
        self.counts.add("SendEmail");
        self.inner.email(msg).await
    }
}

pub struct CountingOutbox {
    inner: Arc<dyn Outbox>,
    counts: Arc<Counts>,
}

#[async_trait::async_trait]
impl Outbox for CountingOutbox {
    async fn post(&self, batch: Vec<Message>) -> Result<(), NotifyError> {
        self.counts.add("SendMessage");
        self.inner.post(batch).await
    }
}

/// Wraps `app`'s store and outbox; the counts see every call the handlers make (and the
/// consumer's on its delivery records, through the same store).
pub fn counting(app: App, counts: Arc<Counts>) -> App {
    let store = Arc::new(CountingStore {
        inner: app.store.clone(),
        counts: counts.clone(),
    });
    let outbox = Arc::new(CountingOutbox {
        inner: app.outbox.clone(),
        counts,
    });
    App { store, ..app }.with_outbox(outbox)
}

/// Wraps the consumer's sender (`Portal::start_counting`): one `sms` one SNS Publish, one
/// `email` one SES SendEmail.
pub fn counting_sender(sender: Arc<dyn Notifier>, counts: Arc<Counts>) -> Arc<dyn Notifier> {
    Arc::new(CountingNotifier {
        inner: sender,
        counts,
    })
}
