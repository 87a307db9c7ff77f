//! The DynamoDB implementation of `Store`.

use super::{schema, Attr, Cond, Item, Key, Query, Store, StoreError, TxOp, Update};
use crate::aws_error::AwsFailure;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{self as ddb, AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }
}

fn to_av(a: &Attr) -> AttributeValue {
    match a {
        Attr::S(s) => AttributeValue::S(s.clone()),
        Attr::N(n) => AttributeValue::N(n.to_string()),
        Attr::B(b) => AttributeValue::Bool(*b),
    }
}

fn from_av(av: &AttributeValue) -> Option<Attr> {
    match av {
        AttributeValue::S(s) => Some(Attr::S(s.clone())),
        AttributeValue::N(n) => n.parse().ok().map(Attr::N),
        AttributeValue::Bool(b) => Some(Attr::B(*b)),
        _ => None,
    }
}

fn key_map(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (schema::PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (schema::SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

fn key_from(map: &HashMap<String, AttributeValue>) -> Option<Key> {
    let s = |n: &str| map.get(n).and_then(|v| v.as_s().ok()).cloned();
    Some(Key::new(s(schema::PK)?, s(schema::SK)?))
}

/// An item as DynamoDB returned it, read as the store's key and item: for ops tooling that
/// calls the SDK itself (`portale-admin`'s scans), so it reads items as the store does.
pub fn decode(map: &HashMap<String, AttributeValue>) -> Option<(Key, Item)> {
    Some((key_from(map)?, item_from(map)))
}

fn item_from(map: &HashMap<String, AttributeValue>) -> Item {
    let attrs = map
        .iter()
        .filter(|(k, _)| k.as_str() != schema::PK && k.as_str() != schema::SK)
        .filter_map(|(k, v)| from_av(v).map(|a| (k.clone(), a)))
        .collect();
    Item { attrs }
}

/// Placeholder names and values for one expression.
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    fn name(&mut self, n: &str) -> String {
        let p = format!("#n{}", self.names.len());
        self.names.insert(p.clone(), n.to_owned());
        p
    }
    fn value(&mut self, v: AttributeValue) -> String {
        let p = format!(":v{}", self.values.len());
        self.values.insert(p.clone(), v);
        p
    }
    fn cond(&mut self, c: &Cond) -> String {
        match c {
            Cond::Exists => {
                let n = self.name(schema::PK);
                format!("attribute_exists({n})")
            }
            Cond::NotExists => {
                let n = self.name(schema::PK);
                format!("attribute_not_exists({n})")
            }
            Cond::AttrMissing(a) => {
                let n = self.name(a);
                format!("attribute_not_exists({n})")
            }
            Cond::Eq(a, v) => {
                let (n, v) = (self.name(a), self.value(to_av(v)));
                format!("{n} = {v}")
            }
            Cond::Lt(a, v) => {
                let (n, v) = (self.name(a), self.value(AttributeValue::N(v.to_string())));
                format!("{n} < {v}")
            }
            Cond::Gt(a, v) => {
                let (n, v) = (self.name(a), self.value(AttributeValue::N(v.to_string())));
                format!("{n} > {v}")
            }
            Cond::And(cs) => self.join(cs, " AND "),
            Cond::Or(cs) => self.join(cs, " OR "),
        }
    }
    fn join(&mut self, cs: &[Cond], sep: &str) -> String {
        let parts: Vec<String> = cs.iter().map(|c| format!("({})", self.cond(c))).collect();
        parts.join(sep)
    }
    fn update(&mut self, u: &Update) -> String {
        let mut out = Vec::new();
        if !u.set.is_empty() {
            let s: Vec<String> = u
                .set
                .iter()
                .map(|(n, v)| format!("{} = {}", self.name(n), self.value(to_av(v))))
                .collect();
            out.push(format!("SET {}", s.join(", ")));
        }
        if !u.add.is_empty() {
            let s: Vec<String> = u
                .add
                .iter()
                .map(|(n, by)| {
                    format!(
                        "{} {}",
                        self.name(n),
                        self.value(AttributeValue::N(by.to_string()))
                    )
                })
                .collect();
            out.push(format!("ADD {}", s.join(", ")));
        }
        if !u.remove.is_empty() {
            let s: Vec<String> = u.remove.iter().map(|n| self.name(n)).collect();
            out.push(format!("REMOVE {}", s.join(", ")));
        }
        out.join(" ")
    }
    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }
    fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

fn unavailable(e: impl AwsFailure) -> StoreError {
    // The code only (`crate::aws_error`): an SDK message may quote what it refused.
    StoreError::Unavailable(format!("DynamoDB: {}", e.code()))
}

fn map_single<E, R>(e: SdkError<E, R>, is_cond: impl Fn(&E) -> bool) -> StoreError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    match &e {
        SdkError::ServiceError(se) if is_cond(se.err()) => StoreError::ConditionFailed,
        _ => unavailable(e),
    }
}

#[async_trait::async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item().map(item_from))
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        let mut found: HashMap<Key, Item> = HashMap::new();
        let mut wanted = keys.to_vec();
        wanted.sort();
        wanted.dedup();
        let mut pending: Vec<HashMap<String, AttributeValue>> =
            wanted.iter().map(key_map).collect();
        // DynamoDB may leave keys unprocessed under load: ask again for those only.
        for attempt in 0..=TX_CONFLICT_RETRIES {
            if pending.is_empty() {
                break;
            }
            let ka = ddb::KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(unavailable)?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, ka)
                .send()
                .await
                .map_err(unavailable)?;
            for map in out
                .responses()
                .and_then(|r| r.get(&self.table))
                .into_iter()
                .flatten()
            {
                if let Some(k) = key_from(map) {
                    found.insert(k, item_from(map));
                }
            }
            if let Some(left) = out.unprocessed_keys().and_then(|u| u.get(&self.table)) {
                pending = left.keys().to_vec();
                if !pending.is_empty() && attempt < TX_CONFLICT_RETRIES {
                    tokio::time::sleep(std::time::Duration::from_millis(20 * (attempt as u64 + 1)))
                        .await;
                }
            }
        }
        if !pending.is_empty() {
            return Err(StoreError::Unavailable(
                "BatchGetItem: keys left unprocessed".into(),
            ));
        }
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    async fn query(&self, q: &Query) -> Result<Vec<(Key, Item)>, StoreError> {
        // DynamoDB refuses an empty string in a key condition: no prefix, no begins_with.
        let mut req = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_names("#pk", schema::PK)
            .expression_attribute_values(":pk", AttributeValue::S(q.pk.clone()));
        req = if q.sk_prefix.is_empty() {
            req.key_condition_expression("#pk = :pk")
        } else {
            req.key_condition_expression("#pk = :pk AND begins_with(#sk, :sk)")
                .expression_attribute_names("#sk", schema::SK)
                .expression_attribute_values(":sk", AttributeValue::S(q.sk_prefix.clone()))
        };
        let out = req
            .scan_index_forward(!q.newest_first)
            .limit(i32::try_from(q.limit).unwrap_or(i32::MAX))
            .consistent_read(true)
            .set_exclusive_start_key(
                q.after
                    .as_ref()
                    .map(|sk| key_map(&Key::new(q.pk.clone(), sk.clone()))),
            )
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out
            .items()
            .iter()
            .filter_map(|m| Some((key_from(m)?, item_from(m))))
            .collect())
    }

    /// A conditional put that fails on the very item it writes is taken as done
    /// (`Store::put`): the SDK retried an attempt that DynamoDB did but whose answer was
    /// lost, and the retry met the first attempt's write. The item as it was comes with the
    /// refusal (`ReturnValuesOnConditionCheckFailure`), so this costs no call.
    async fn put(&self, key: &Key, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
        let mut map = key_map(key);
        map.extend(item.attrs.iter().map(|(k, v)| (k.clone(), to_av(v))));
        let mut e = Expr::default();
        let ce = cond.as_ref().map(|c| e.cond(c));
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(map))
            .set_condition_expression(ce)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .set_return_values_on_condition_check_failure(
                cond.is_some()
                    .then_some(ddb::ReturnValuesOnConditionCheckFailure::AllOld),
            )
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se))
                if matches!(
                    se.err(),
                    PutItemError::ConditionalCheckFailedException(refused)
                        if refused.item().map(item_from).as_ref() == Some(&item)
                ) =>
            {
                Ok(())
            }
            Err(err) => Err(map_single(err, |x| {
                x.is_conditional_check_failed_exception()
            })),
        }
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError> {
        let mut e = Expr::default();
        let ue = e.update(&update);
        let ce = cond.as_ref().map(|c| e.cond(c));
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .update_expression(ue)
            .set_condition_expression(ce)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|err| map_single(err, |x| x.is_conditional_check_failed_exception()))?;
        Ok(out.attributes().map(item_from).unwrap_or_default())
    }

    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
        let mut e = Expr::default();
        let ce = cond.as_ref().map(|c| e.cond(c));
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .set_condition_expression(ce)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .send()
            .await
            .map_err(|err| map_single(err, |x| x.is_conditional_check_failed_exception()))?;
        Ok(())
    }

    async fn take(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.attributes().map(item_from))
    }

    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        let n = ops.len();
        let items = ops
            .iter()
            .map(|op| tx_item(&self.table, op))
            .collect::<Result<Vec<_>, _>>()?;
        // A transaction cancelled only because a concurrent one touched the same items is
        // retried: once the other commits, ours either succeeds or fails on a condition,
        // which is the answer the user needs (e.g. "username taken"), not "try again".
        for attempt in 0..=TX_CONFLICT_RETRIES {
            match self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await
            {
                Ok(_) => return Ok(()),
                Err(SdkError::ServiceError(se)) if se.err().is_transaction_canceled_exception() => {
                    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
                    let failed: Vec<bool> = match se.err() {
                        TransactWriteItemsError::TransactionCanceledException(t) => t
                            .cancellation_reasons()
                            .iter()
                            .map(|r| r.code() == Some("ConditionalCheckFailed"))
                            .collect(),
                        _ => vec![false; n],
                    };
                    if failed.iter().any(|f| *f) {
                        return Err(StoreError::TxCancelled { failed });
                    }
                    if attempt < TX_CONFLICT_RETRIES {
                        let jitter = rand::random::<u64>() % 40;
                        tokio::time::sleep(std::time::Duration::from_millis(
                            20 * (attempt as u64 + 1) + jitter,
                        ))
                        .await;
                    }
                }
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(StoreError::Unavailable(
            "transaction conflict persisted".into(),
        ))
    }
}

/// Retries of a transaction cancelled by a concurrent one (not by a condition).
const TX_CONFLICT_RETRIES: u32 = 6;

/// Ends an SDK builder of any kind of write with the expression's placeholders. A macro:
/// the SDK's Put, Update, Delete and ConditionCheck builders share these methods but no
/// trait, and written out the four transaction arms were the same six lines four times.
macro_rules! with_placeholders {
    ($builder:expr, $e:expr) => {
        $builder
            .set_expression_attribute_names($e.names())
            .set_expression_attribute_values($e.values())
            .build()
            .map_err(unavailable)?
    };
}

fn tx_item(table: &str, op: &TxOp) -> Result<ddb::TransactWriteItem, StoreError> {
    let mut e = Expr::default();
    let built = match op {
        TxOp::Put { key, item, cond } => {
            let mut map = key_map(key);
            map.extend(item.attrs.iter().map(|(k, v)| (k.clone(), to_av(v))));
            let ce = cond.as_ref().map(|c| e.cond(c));
            let p = with_placeholders!(
                ddb::Put::builder()
                    .table_name(table)
                    .set_item(Some(map))
                    .set_condition_expression(ce),
                e
            );
            ddb::TransactWriteItem::builder().put(p).build()
        }
        TxOp::Update { key, update, cond } => {
            let ue = e.update(update);
            let ce = cond.as_ref().map(|c| e.cond(c));
            let u = with_placeholders!(
                ddb::Update::builder()
                    .table_name(table)
                    .set_key(Some(key_map(key)))
                    .update_expression(ue)
                    .set_condition_expression(ce),
                e
            );
            ddb::TransactWriteItem::builder().update(u).build()
        }
        TxOp::Delete { key, cond } => {
            let ce = cond.as_ref().map(|c| e.cond(c));
            let d = with_placeholders!(
                ddb::Delete::builder()
                    .table_name(table)
                    .set_key(Some(key_map(key)))
                    .set_condition_expression(ce),
                e
            );
            ddb::TransactWriteItem::builder().delete(d).build()
        }
        TxOp::Check { key, cond } => {
            let ce = e.cond(cond);
            let c = with_placeholders!(
                ddb::ConditionCheck::builder()
                    .table_name(table)
                    .set_key(Some(key_map(key)))
                    .condition_expression(ce),
                e
            );
            ddb::TransactWriteItem::builder().condition_check(c).build()
        }
    };
    Ok(built)
}

/// Creates the table (pk/sk, on-demand) and enables TTL; idempotent. Used by
/// `portale-admin bootstrap`; in AWS the SAM template creates the same table.
pub async fn ensure_table(client: &Client, table: &str) -> Result<bool, StoreError> {
    use ddb::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        TimeToLiveSpecification,
    };
    let exists = client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .is_ok();
    if !exists {
        let mut create = client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest);
        for (name, key_type) in [(schema::PK, KeyType::Hash), (schema::SK, KeyType::Range)] {
            let attribute = AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S);
            let key = KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type);
            create = create
                .attribute_definitions(attribute.build().map_err(unavailable)?)
                .key_schema(key.build().map_err(unavailable)?);
        }
        create.send().await.map_err(unavailable)?;
    }
    let ttl = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(unavailable)?;
    let enabled = ttl
        .time_to_live_description()
        .and_then(|d| d.attribute_name())
        .is_some_and(|a| a == schema::TTL_ATTRIBUTE);
    if !enabled {
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(schema::TTL_ATTRIBUTE)
                    .enabled(true)
                    .build()
                    .map_err(unavailable)?,
            )
            .send()
            .await
            .map_err(unavailable)?;
    }
    Ok(!exists)
}
