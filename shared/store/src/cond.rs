//! Write conditions as a small expression tree, so the DynamoDB implementation can
//! render them as a ConditionExpression and the in-memory one can evaluate them with
//! the same meaning.

use super::{Attr, Item};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Exists,
    NotExists,
    Eq(String, Attr),
    /// attribute < value (false when the attribute is absent, as in DynamoDB).
    Lt(String, i64),
    /// attribute > value (false when the attribute is absent).
    Gt(String, i64),
    AttrMissing(String),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

impl Cond {
    pub fn eq(name: &str, v: impl Into<Attr>) -> Self {
        Cond::Eq(name.to_owned(), v.into())
    }
    pub fn lt(name: &str, v: i64) -> Self {
        Cond::Lt(name.to_owned(), v)
    }
    pub fn gt(name: &str, v: i64) -> Self {
        Cond::Gt(name.to_owned(), v)
    }
    pub fn missing(name: &str) -> Self {
        Cond::AttrMissing(name.to_owned())
    }
    /// The item's time is not over: its TTL attribute (`schema::TTL_ATTRIBUTE`) is after
    /// `now`, or it has none (as `Item::is_expired` reads it). A write that uses an item up
    /// (a link, a code) or saves a flow carries it: DynamoDB deletes expired items lazily,
    /// up to days later.
    pub fn unexpired(now: i64) -> Self {
        let ttl = super::schema::TTL_ATTRIBUTE;
        Cond::Or(vec![Cond::missing(ttl), Cond::gt(ttl, now)])
    }

    /// Evaluates against the current item (None when it does not exist).
    pub fn holds(&self, item: Option<&Item>) -> bool {
        match self {
            Cond::Exists => item.is_some(),
            Cond::NotExists => item.is_none(),
            Cond::Eq(n, v) => item.and_then(|i| i.attrs.get(n)) == Some(v),
            Cond::Lt(n, v) => item.and_then(|i| i.n(n)).is_some_and(|x| x < *v),
            Cond::Gt(n, v) => item.and_then(|i| i.n(n)).is_some_and(|x| x > *v),
            Cond::AttrMissing(n) => item.is_none_or(|i| !i.attrs.contains_key(n)),
            Cond::And(cs) => cs.iter().all(|c| c.holds(item)),
            Cond::Or(cs) => cs.iter().any(|c| c.holds(item)),
        }
    }
}
