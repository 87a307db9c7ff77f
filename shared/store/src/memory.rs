//! In-memory `Store` for unit tests and benchmarks: one mutex makes every write and
//! transaction atomic, which is what DynamoDB guarantees per item / per transaction.

use super::{Cond, Item, Key, Query, Store, StoreError, TxOp, Update};
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct MemoryStore {
    items: Mutex<BTreeMap<Key, Item>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
    /// Every item, for assertions in tests.
    pub fn dump(&self) -> Vec<(Key, Item)> {
        self.items
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

fn check(cond: &Option<Cond>, cur: Option<&Item>) -> bool {
    cond.as_ref().is_none_or(|c| c.holds(cur))
}

fn apply(cur: Option<Item>, u: &Update) -> Item {
    let mut item = cur.unwrap_or_default();
    for (n, v) in &u.set {
        item.attrs.insert(n.clone(), v.clone());
    }
    for (n, by) in &u.add {
        let old = item.n(n).unwrap_or(0);
        item.attrs.insert(n.clone(), super::Attr::N(old + by));
    }
    for n in &u.remove {
        item.attrs.remove(n);
    }
    item
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        Ok(self.items.lock().unwrap().get(key).cloned())
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        let items = self.items.lock().unwrap();
        Ok(keys.iter().map(|k| items.get(k).cloned()).collect())
    }

    async fn put(&self, key: &Key, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
        let mut items = self.items.lock().unwrap();
        // As DynamoStore: a put refused on the very item it writes is done (`Store::put`).
        if !check(&cond, items.get(key)) && items.get(key) != Some(&item) {
            return Err(StoreError::ConditionFailed);
        }
        items.insert(key.clone(), item);
        Ok(())
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError> {
        let mut items = self.items.lock().unwrap();
        if !check(&cond, items.get(key)) {
            return Err(StoreError::ConditionFailed);
        }
        let new = apply(items.get(key).cloned(), &update);
        items.insert(key.clone(), new.clone());
        Ok(new)
    }

    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
        let mut items = self.items.lock().unwrap();
        if !check(&cond, items.get(key)) {
            return Err(StoreError::ConditionFailed);
        }
        items.remove(key);
        Ok(())
    }

    async fn take(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        Ok(self.items.lock().unwrap().remove(key))
    }

    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        let mut items = self.items.lock().unwrap();
        let failed: Vec<bool> = ops
            .iter()
            .map(|op| match op {
                TxOp::Put { key, cond, .. }
                | TxOp::Update { key, cond, .. }
                | TxOp::Delete { key, cond } => !check(cond, items.get(key)),
                TxOp::Check { key, cond } => !cond.holds(items.get(key)),
            })
            .collect();
        if failed.iter().any(|f| *f) {
            return Err(StoreError::TxCancelled { failed });
        }
        for op in ops {
            match op {
                TxOp::Put { key, item, .. } => {
                    items.insert(key, item);
                }
                TxOp::Update { key, update, .. } => {
                    let new = apply(items.get(&key).cloned(), &update);
                    items.insert(key, new);
                }
                TxOp::Delete { key, .. } => {
                    items.remove(&key);
                }
                TxOp::Check { .. } => {}
            }
        }
        Ok(())
    }

    async fn query(&self, q: &Query) -> Result<Vec<(Key, Item)>, StoreError> {
        let items = self.items.lock().unwrap();
        let matching = items
            .iter()
            .filter(|(k, _)| k.pk == q.pk && k.sk.starts_with(&q.sk_prefix))
            .filter(|(k, _)| match &q.after {
                None => true,
                Some(a) if q.newest_first => k.sk < *a,
                Some(a) => k.sk > *a,
            })
            .map(|(k, v)| (k.clone(), v.clone()));
        Ok(if q.newest_first {
            matching.rev().take(q.limit).collect()
        } else {
            matching.take(q.limit).collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn query_reads_one_partition_by_prefix_in_both_orders() {
        let s = MemoryStore::new();
        for (pk, sk) in [("A", "S#1"), ("A", "S#2"), ("A", "T#1"), ("B", "S#3")] {
            s.put(&Key::new(pk, sk), Item::new(), None).await.unwrap();
        }
        let sks = |v: Vec<(Key, Item)>| v.into_iter().map(|(k, _)| k.sk).collect::<Vec<_>>();
        assert_eq!(
            sks(s.query(&Query::new("A", "S#", 10)).await.unwrap()),
            ["S#1", "S#2"]
        );
        let newest = Query::new("A", "S#", 1).newest_first();
        assert_eq!(sks(s.query(&newest).await.unwrap()), ["S#2"]);
        let next = Query::new("A", "S#", 1).newest_first().after("S#2");
        assert_eq!(sks(s.query(&next).await.unwrap()), ["S#1"]);
        assert!(s
            .query(&Query::new("A", "S#", 5).after("S#2"))
            .await
            .unwrap()
            .is_empty());
    }

    /// `Store::put`'s idempotence, the same here as on DynamoDB (`outbox_once.rs` proves
    /// it there): a conditional put refused on the very item it writes is done; on another
    /// item it is refused.
    #[tokio::test]
    async fn a_conditional_put_repeated_is_done_and_another_item_is_refused() {
        let s = MemoryStore::new();
        let k = Key::new("SENT#x", "SENT");
        let ours = Item::new().with("holder", "a");
        for _ in 0..2 {
            s.put(&k, ours.clone(), Some(Cond::NotExists))
                .await
                .unwrap();
        }
        let theirs = Item::new().with("holder", "b");
        assert_eq!(
            s.put(&k, theirs, Some(Cond::NotExists)).await,
            Err(StoreError::ConditionFailed)
        );
        assert_eq!(s.get(&k).await.unwrap(), Some(ours));
    }
}
