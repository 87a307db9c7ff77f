//! A step's writes and counters as one `TransactWriteItems`. Each op may carry the step's
//! refusal for when its condition fails (a cap reached, a value taken, a code wrong); an op
//! without one is the flow's own version check, whose failure means another request (a
//! double click, a second tab) changed the flow first.

use store::lockout::{self, Policy};
use store::rate::{self, Limit};
use store::{Store, StoreError, TxOp};

pub struct Tx<R> {
    ops: Vec<(TxOp, Option<R>)>,
}

/// Why a commit did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failed<R> {
    /// The first op (in the order they were added) whose condition failed had this refusal.
    Refused(R),
    /// An untagged condition failed: the flow changed since it was read.
    Conflict,
}

impl<R> Default for Tx<R> {
    fn default() -> Self {
        Tx { ops: Vec::new() }
    }
}

impl<R> Tx<R> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// A write whose failed condition is a conflict.
    pub fn write(&mut self, op: TxOp) -> &mut Self {
        self.ops.push((op, None));
        self
    }

    /// A write (or condition check) whose failed condition is `refusal`.
    pub fn guard(&mut self, op: TxOp, refusal: R) -> &mut Self {
        self.ops.push((op, Some(refusal)));
        self
    }

    /// Counts one event against `limit` for `key`: refused with `refusal` when the window
    /// is full (and then nothing of the step is written).
    pub fn charge(&mut self, limit: Limit, key: &str, now: i64, refusal: R) -> &mut Self {
        self.guard(rate::charge_op(limit, key, now), refusal)
    }

    /// Records one more attempt on a failure counter read as `seen`.
    pub fn attempt(
        &mut self,
        policy: Policy,
        subject: &str,
        seen: &lockout::Counter,
        now: i64,
        refusal: R,
    ) -> &mut Self {
        self.guard(lockout::attempt_op(policy, subject, seen, now), refusal)
    }

    /// The ops, in order (tests look at what a decision would write).
    pub fn ops(&self) -> impl Iterator<Item = &TxOp> {
        self.ops.iter().map(|(op, _)| op)
    }

    /// What each op touches, as the first two parts of its partition key (`RATE#login-ip`,
    /// `FLOW#LOGIN`, …): how decisions are compared in tests.
    pub fn kinds(&self) -> Vec<String> {
        self.ops()
            .map(|op| match op {
                TxOp::Put { key, .. }
                | TxOp::Update { key, .. }
                | TxOp::Delete { key, .. }
                | TxOp::Check { key, .. } => {
                    key.pk.split('#').take(2).collect::<Vec<_>>().join("#")
                }
            })
            .collect()
    }

    /// One `TransactWriteItems` (none when there is nothing to write).
    pub async fn commit(self, store: &dyn Store) -> Result<Result<(), Failed<R>>, StoreError> {
        if self.ops.is_empty() {
            return Ok(Ok(()));
        }
        let (ops, tags): (Vec<TxOp>, Vec<Option<R>>) = self.ops.into_iter().unzip();
        match store.transact(ops).await {
            Ok(()) => Ok(Ok(())),
            Err(StoreError::TxCancelled { failed }) => {
                let mut first = None;
                for (tag, f) in tags.into_iter().zip(failed) {
                    if f {
                        match tag {
                            Some(r) => return Ok(Err(Failed::Refused(r))),
                            None => first = first.or(Some(Failed::Conflict)),
                        }
                    }
                }
                Ok(Err(first.unwrap_or(Failed::Conflict)))
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::memory::MemoryStore;
    use store::{Cond, Item, Key};

    const L: Limit = Limit {
        scope: "t",
        max: 1,
        window_secs: 60,
    };

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum No {
        Cap,
        Taken,
    }

    fn put_new(k: &str) -> TxOp {
        TxOp::Put {
            key: Key::new(k, "X"),
            item: Item::new(),
            cond: Some(Cond::NotExists),
        }
    }

    #[tokio::test]
    async fn refusals_come_back_by_tag_and_nothing_is_written() {
        let s = MemoryStore::new();
        let mut tx = Tx::new();
        tx.charge(L, "k", 0, No::Cap).guard(put_new("A"), No::Taken);
        assert_eq!(tx.commit(&s).await.unwrap(), Ok(()));
        let mut tx = Tx::new();
        tx.guard(put_new("B"), No::Taken).charge(L, "k", 1, No::Cap);
        assert_eq!(
            tx.commit(&s).await.unwrap(),
            Err(Failed::Refused(No::Cap)),
            "the counter is full"
        );
        assert!(!s.dump().iter().any(|(k, _)| k.pk == "B"), "all or nothing");
        let mut tx: Tx<No> = Tx::new();
        tx.write(put_new("A"));
        assert_eq!(tx.commit(&s).await.unwrap(), Err(Failed::Conflict));
    }
}
