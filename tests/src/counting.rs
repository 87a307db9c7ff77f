//! Counting wrappers around the store and the notifier: one `Store` call is one DynamoDB
//! API call (a transaction is one TransactWriteItems), one `sms` one SNS Publish, one
//! `email` one SES SendEmail. Used to keep the AWS calls per flow within budget.

use shared::domain::MobileNumber;
use shared::notify::{EmailMessage, Notifier, NotifyError};
use shared::store::{Cond, Item, Key, Store, StoreError, TxOp, Update};
use shared::App;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Counts {
    /// Per API name: GetItem, PutItem, UpdateItem, DeleteItem, TransactWriteItems, Publish, SendEmail.
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
    /// The API calls since the last reset, in order.
    pub fn sequence(&self) -> Vec<&'static str> {
        self.order.lock().unwrap().clone()
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
        ]
        .iter()
        .map(|k| c.get(k).copied().unwrap_or(0))
        .sum()
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

pub struct CountingStore {
    inner: Arc<dyn Store>,
    counts: Arc<Counts>,
}

#[async_trait::async_trait]
impl Store for CountingStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.counts.add("GetItem");
        self.inner.get(key).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        self.counts.add("BatchGetItem");
        self.inner.batch_get(keys).await
    }
    async fn put(&self, key: &Key, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
        self.counts.add("PutItem");
        self.inner.put(key, item, cond).await
    }
    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError> {
        self.counts.add("UpdateItem");
        self.inner.update(key, update, cond).await
    }
    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
        self.counts.add("DeleteItem");
        self.inner.delete(key, cond).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        self.counts.add("TransactWriteItems");
        self.inner.transact(ops).await
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

/// Wraps `app`'s store and notifier; the counts see every call the handlers make.
pub fn counting(app: App, counts: Arc<Counts>) -> App {
    let store = Arc::new(CountingStore {
        inner: app.store.clone(),
        counts: counts.clone(),
    });
    let notifier = Arc::new(CountingNotifier {
        inner: app.notifier.clone(),
        counts,
    });
    App {
        store,
        notifier,
        ..app
    }
}
