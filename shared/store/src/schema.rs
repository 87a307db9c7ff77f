//! The single DynamoDB table's key design, shared by the code, the LocalStack
//! bootstrap (`portale-admin bootstrap`) and checked against `infra/template.yaml`.

/// Partition key attribute (string).
pub const PK: &str = "pk";
/// Sort key attribute (string).
pub const SK: &str = "sk";
/// TTL attribute, epoch seconds (number). DynamoDB deletes lazily, so every read of a
/// TTL item also checks it against the clock.
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// Global secondary indexes: none. Every access path is a key lookup (see ARCHITECTURE.md).
pub const GLOBAL_SECONDARY_INDEXES: &[&str] = &[];
