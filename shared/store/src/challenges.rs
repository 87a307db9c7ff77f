//! The slider's proof-of-work nonces (`engine::flows::challenge`): each used once, its item
//! kept until the nonce could no longer be accepted anyway.

use super::{schema, Cond, Item, Key, TxOp};

/// The partition-key prefix of a used nonce.
pub const PREFIX: &str = "CHALLENGE#";

/// The write that uses `nonce` up (it fails if it was used), kept until `until`.
pub fn burn_op(nonce: &str, until: i64) -> TxOp {
    TxOp::Put {
        key: Key::new(format!("{PREFIX}{nonce}"), "USED"),
        item: Item::new().with(schema::TTL_ATTRIBUTE, until),
        cond: Some(Cond::NotExists),
    }
}
