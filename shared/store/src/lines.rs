//! The Convenzione's lines: which mobile numbers are SIMs in the Convenzione, with their
//! entity and the profile of the person who holds them. Loaded by `portale-admin
//! import-lines`.
//!
//! Each line is two items written together (one transaction): `LINE#<e164>` / `LINE`, the
//! one every step reads by number, and an index item in its entity's partition,
//! `ENTE#<entity cf>` / `LINE#<e164>`, so that a referente's page lists the entity's lines
//! with one `Query` (sort-key prefix = search by number prefix, `after` = the next page).

use super::{accounts, AccountId, Cond, Item, Key, Query, Store, StoreError, TxOp, Update};
use crate::uniqueness::{self, Kind};
use domain::{CodiceFiscaleEnte, MobileNumber};

/// The partition-key prefix of a line (and the sort-key prefix of its entity's index).
pub const PREFIX: &str = "LINE#";
/// The partition-key prefix of an entity's index of lines.
pub const ENTITY_PREFIX: &str = "ENTE#";

/// Who holds the line for the entity: a plain user, or the entity's referente of the
/// Convenzione, who may see all of the entity's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    #[default]
    Utente,
    Referente,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("profilo \"{0}\": atteso \"utente\" o \"referente\"")]
pub struct ProfileError(pub String);

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Utente => "utente",
            Profile::Referente => "referente",
        }
    }

    /// The operator's value (any case, trimmed); empty is the default, `utente`.
    pub fn parse(s: &str) -> Result<Profile, ProfileError> {
        match s.trim().to_lowercase().as_str() {
            "" | "utente" => Ok(Profile::Utente),
            "referente" => Ok(Profile::Referente),
            other => Err(ProfileError(other.to_owned())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: MobileNumber,
    pub entity_cf: CodiceFiscaleEnte,
    pub ragione_sociale: String,
    pub active: bool,
    pub profile: Profile,
}

/// The line's key (a step's loader reads it with its other facts).
pub fn key(number: &MobileNumber) -> Key {
    Key::new(format!("{PREFIX}{}", number.e164()), "LINE")
}

/// The entity's partition, where its lines are indexed.
pub fn entity_pk(entity_cf: &str) -> String {
    format!("{ENTITY_PREFIX}{entity_cf}")
}

/// The line's index item in its entity's partition.
pub fn index_key(entity_cf: &str, number: &MobileNumber) -> Key {
    Key::new(entity_pk(entity_cf), format!("{PREFIX}{}", number.e164()))
}

fn to_item(line: &Line) -> Item {
    Item::new()
        .with("entity_cf", line.entity_cf.as_str())
        .with("ragione_sociale", line.ragione_sociale.as_str())
        .with("active", line.active)
        .with("profile", line.profile.as_str())
}

/// The index item repeats what the list shows, so the page reads nothing else.
fn to_index_item(line: &Line) -> Item {
    Item::new()
        .with("number", line.number.e164())
        .with("active", line.active)
        .with("profile", line.profile.as_str())
}

/// The outcome of an upsert, for the import report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Inserted,
    Updated,
    Unchanged,
}

pub async fn get(store: &dyn Store, number: &MobileNumber) -> Result<Option<Line>, StoreError> {
    Ok(from_item(number, store.get(&key(number)).await?.as_ref()))
}

/// The line of `number` read as `item`. Lines imported before profiles existed are `utente`.
pub fn from_item(number: &MobileNumber, item: Option<&Item>) -> Option<Line> {
    let item = item?;
    let entity_cf = CodiceFiscaleEnte::parse(item.s("entity_cf")?).ok()?;
    Some(Line {
        number: number.clone(),
        entity_cf,
        ragione_sociale: item.s("ragione_sociale").unwrap_or_default().to_owned(),
        active: item.b("active").unwrap_or(false),
        profile: Profile::parse(item.s("profile").unwrap_or_default()).unwrap_or_default(),
    })
}

/// The copy of its line that an account item carries (`line_*` attributes): the private
/// area's home shows the line from the account the session guard reads anyway, so a login
/// costs no read of the line. Written with the account (`with_copy`) and by every write of
/// the line, to its holder (`write_ops`), in the same transaction; `COPY` says whether the
/// copy is there ("present", "none": no line) — an account written before the copy existed
/// has neither, and its home reads the line itself.
const COPY: &str = "line_copy";
const COPY_ENTITY_CF: &str = "line_entity_cf";
const COPY_RAGIONE_SOCIALE: &str = "line_ragione_sociale";
const COPY_ACTIVE: &str = "line_active";
const COPY_PROFILE: &str = "line_profile";

/// `item` (an account's) with the copy of `line`, or the record that there is none.
pub fn with_copy(item: Item, line: Option<&Line>) -> Item {
    match line {
        None => item.with(COPY, "none"),
        Some(l) => item
            .with(COPY, "present")
            .with(COPY_ENTITY_CF, l.entity_cf.as_str())
            .with(COPY_RAGIONE_SOCIALE, l.ragione_sociale.as_str())
            .with(COPY_ACTIVE, l.active)
            .with(COPY_PROFILE, l.profile.as_str()),
    }
}

/// `update` (of the holder's account) also writing the copy of `line`.
fn copy_update(update: Update, line: &Line) -> Update {
    update
        .set(COPY, "present")
        .set(COPY_ENTITY_CF, line.entity_cf.as_str())
        .set(COPY_RAGIONE_SOCIALE, line.ragione_sociale.as_str())
        .set(COPY_ACTIVE, line.active)
        .set(COPY_PROFILE, line.profile.as_str())
}

/// The line of `number` as account `item` repeats it: `Some(None)` when the account has no
/// line, `None` when the item carries no copy (then the line itself is to be read).
pub fn copy_on_account(number: &MobileNumber, item: &Item) -> Option<Option<Line>> {
    match item.s(COPY)? {
        "present" => {
            let copy = Item::new()
                .with("entity_cf", item.s(COPY_ENTITY_CF)?)
                .with(
                    "ragione_sociale",
                    item.s(COPY_RAGIONE_SOCIALE).unwrap_or_default(),
                )
                .with("active", item.b(COPY_ACTIVE).unwrap_or(false))
                .with("profile", item.s(COPY_PROFILE).unwrap_or_default());
            from_item(number, Some(&copy)).map(Some)
        }
        _ => Some(None),
    }
}

/// The line only if it is an active SIM of the Convenzione.
pub async fn active(store: &dyn Store, number: &MobileNumber) -> Result<Option<Line>, StoreError> {
    Ok(get(store, number).await?.filter(|l| l.active))
}

/// The condition check a step commits with its writes: the number is still an active line.
pub fn active_check(number: &MobileNumber) -> TxOp {
    TxOp::Check {
        key: key(number),
        cond: Cond::eq("active", true),
    }
}

/// What a write of a line needs to know first: the line as stored, whether its index item
/// is there, and the account holding its number (whose sessions end if the line ceases).
struct Before {
    line: Option<Line>,
    indexed: bool,
    holder: Option<AccountId>,
}

async fn before(store: &dyn Store, number: &MobileNumber) -> Result<Before, StoreError> {
    let line_key = key(number);
    let claim_key = uniqueness::key(Kind::Number, number.e164());
    let first = store.batch_get(&[line_key, claim_key]).await?;
    let line = from_item(number, first[0].as_ref());
    // Only an account's claim counts (it has no TTL); a registration's reservation is no holder.
    let holder = uniqueness::account_in(first[1].as_ref());
    let indexed = match &line {
        Some(l) => store
            .get(&index_key(l.entity_cf.as_str(), number))
            .await?
            .is_some_and(|i| i.b("active") == Some(l.active)),
        None => false,
    };
    Ok(Before {
        line,
        indexed,
        holder,
    })
}

/// The writes taking a line from `before` to `line`, in one transaction: the line, its
/// index item (moved if the entity changed), and the holder's copy of the line
/// (`with_copy`), with — when an active line ceases — its `session_epoch` bumped, so every
/// session on it ends at once (the private pages check the epoch on every request; they
/// do not read the line).
fn write_ops(before: &Before, line: &Line) -> Vec<TxOp> {
    let mut ops = vec![
        TxOp::Put {
            key: key(&line.number),
            item: to_item(line),
            cond: None,
        },
        TxOp::Put {
            key: index_key(line.entity_cf.as_str(), &line.number),
            item: to_index_item(line),
            cond: None,
        },
    ];
    if let Some(old) = &before.line {
        if old.entity_cf != line.entity_cf {
            ops.push(TxOp::Delete {
                key: index_key(old.entity_cf.as_str(), &line.number),
                cond: None,
            });
        }
    }
    let ceases = before.line.as_ref().is_some_and(|l| l.active) && !line.active;
    if let Some(holder) = &before.holder {
        let mut update = copy_update(Update::new(), line);
        if ceases {
            update = update.add("session_epoch", 1);
        }
        ops.push(TxOp::Update {
            key: accounts::key(holder),
            update,
            cond: Some(Cond::Exists),
        });
    }
    ops
}

/// Inserts or updates a line. Last write wins: an import is the operator's statement of truth.
pub async fn upsert(store: &dyn Store, line: &Line) -> Result<Upsert, StoreError> {
    let (upsert, _, ops) = upsert_ops(store, line).await?;
    if !ops.is_empty() {
        store.transact(ops).await?;
    }
    Ok(upsert)
}

/// The writes of `upsert`, not committed (an import adds its audit record to them): what
/// they do, the line as it was, and the ops (none when nothing changes).
pub async fn upsert_ops(
    store: &dyn Store,
    line: &Line,
) -> Result<(Upsert, Option<Line>, Vec<TxOp>), StoreError> {
    let before = before(store, &line.number).await?;
    if before.line.as_ref() == Some(line) && before.indexed {
        return Ok((Upsert::Unchanged, before.line, Vec::new()));
    }
    let ops = write_ops(&before, line);
    let upsert = if before.line.is_some() {
        Upsert::Updated
    } else {
        Upsert::Inserted
    };
    Ok((upsert, before.line, ops))
}

/// The writes setting a line's status (the help desk's `lines set-status`, which adds its
/// audit record to them): the line as it will be and the ops (none when nothing changes),
/// or `None` when the number is no line of the Convenzione.
pub async fn set_status_ops(
    store: &dyn Store,
    number: &MobileNumber,
    active: bool,
) -> Result<Option<(Line, Vec<TxOp>)>, StoreError> {
    let before = before(store, number).await?;
    let Some(mut line) = before.line.clone() else {
        return Ok(None);
    };
    line.active = active;
    if before.line.as_ref() == Some(&line) && before.indexed {
        return Ok(Some((line, Vec::new())));
    }
    let ops = write_ops(&before, &line);
    Ok(Some((line, ops)))
}

/// One line of an entity's list (its index item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityLine {
    pub number: MobileNumber,
    pub active: bool,
    pub profile: Profile,
}

/// A page of an entity's lines, in number order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntityPage {
    pub lines: Vec<EntityLine>,
    /// The sort key to continue after, when there are more.
    pub next: Option<String>,
}

/// The lines of `entity_cf` whose E.164 number starts with `number_prefix` (e.g. `+39333`;
/// empty for all), after the sort key `after`, at most `limit`: one `Query` of one more
/// item than asked, to know whether a next page exists.
pub async fn of_entity(
    store: &dyn Store,
    entity_cf: &str,
    number_prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<EntityPage, StoreError> {
    let mut q = Query::new(
        entity_pk(entity_cf),
        format!("{PREFIX}{number_prefix}"),
        limit + 1,
    );
    if let Some(after) = after {
        q = q.after(after);
    }
    let items = store.query(&q).await?;
    let more = items.len() > limit;
    let mut page = EntityPage::default();
    for (k, item) in items.into_iter().take(limit) {
        let Some(number) =
            k.sk.strip_prefix(PREFIX)
                .and_then(|n| MobileNumber::parse(n).ok())
        else {
            continue;
        };
        page.next = Some(k.sk.clone());
        page.lines.push(EntityLine {
            number,
            active: item.b("active").unwrap_or(false),
            profile: Profile::parse(item.s("profile").unwrap_or_default()).unwrap_or_default(),
        });
    }
    if !more {
        page.next = None;
    }
    Ok(page)
}

/// Where the page before the one that starts after `after` starts: the sort key to start
/// after, or `None` when it is the first page (one Query, backwards).
pub async fn previous_start(
    store: &dyn Store,
    entity_cf: &str,
    number_prefix: &str,
    after: &str,
    limit: usize,
) -> Result<Option<String>, StoreError> {
    let q = Query::new(
        entity_pk(entity_cf),
        format!("{PREFIX}{number_prefix}"),
        limit,
    )
    .newest_first()
    .after(after);
    let before = store.query(&q).await?;
    // The page before holds `after` itself and the `limit - 1` lines under it; a full
    // backward page means one more line precedes them, which that page starts after.
    Ok((before.len() == limit).then(|| before[limit - 1].0.sk.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    fn line(n: &str, active: bool) -> Line {
        Line {
            number: MobileNumber::parse(n).unwrap(),
            entity_cf: CodiceFiscaleEnte::parse("00488410010").unwrap(),
            ragione_sociale: "Ente".into(),
            active,
            profile: Profile::Utente,
        }
    }

    #[test]
    fn profiles_parse_with_an_italian_error() {
        assert_eq!(Profile::parse(" Referente "), Ok(Profile::Referente));
        assert_eq!(Profile::parse(""), Ok(Profile::Utente));
        assert_eq!(
            Profile::parse("capo").unwrap_err().to_string(),
            "profilo \"capo\": atteso \"utente\" o \"referente\""
        );
    }

    #[tokio::test]
    async fn the_index_follows_the_line_and_pages_by_prefix() {
        let s = MemoryStore::new();
        for i in 0..5 {
            let l = line(&format!("33300000{i:02}"), true);
            assert_eq!(upsert(&s, &l).await.unwrap(), Upsert::Inserted);
        }
        upsert(&s, &line("3471234567", true)).await.unwrap();
        let first = of_entity(&s, "00488410010", "+39333", None, 3)
            .await
            .unwrap();
        assert_eq!(first.lines.len(), 3);
        let next = first.next.clone().expect("more");
        let second = of_entity(&s, "00488410010", "+39333", Some(&next), 3)
            .await
            .unwrap();
        assert_eq!(second.lines.len(), 2);
        assert_eq!(second.next, None);
        let n = MobileNumber::parse("3330000001").unwrap();
        let (l, ops) = set_status_ops(&s, &n, false).await.unwrap().unwrap();
        assert!(!l.active);
        s.transact(ops).await.unwrap();
        let all = of_entity(&s, "00488410010", "", None, 20).await.unwrap();
        assert_eq!(all.lines.len(), 6);
        assert!(!all.lines.iter().find(|x| x.number == n).unwrap().active);
        assert!(!get(&s, &n).await.unwrap().unwrap().active);
    }

    #[tokio::test]
    async fn the_holders_copy_follows_every_write_of_the_line() {
        let s = MemoryStore::new();
        let l = line("3331112222", true);
        upsert(&s, &l).await.unwrap();
        let acc = AccountId::parse("acc").unwrap();
        let claim = uniqueness::claim_op(
            Kind::Number,
            l.number.e164(),
            &acc,
            &uniqueness::flow_owner("-"),
            &[],
            0,
        );
        let account = with_copy(Item::new().with("session_epoch", 0), Some(&l));
        let put = TxOp::Put {
            key: accounts::key(&acc),
            item: account,
            cond: None,
        };
        s.transact(vec![put, claim]).await.unwrap();
        let copy = |i: &Item| copy_on_account(&l.number, i);
        let stored = || async { s.get(&accounts::key(&acc)).await.unwrap().unwrap() };
        assert_eq!(copy(&stored().await), Some(Some(l.clone())));

        let renamed = Line {
            ragione_sociale: "Ente nuovo".into(),
            profile: Profile::Referente,
            ..l.clone()
        };
        upsert(&s, &renamed).await.unwrap();
        assert_eq!(copy(&stored().await), Some(Some(renamed.clone())));
        assert_eq!(stored().await.n("session_epoch"), Some(0));

        let (ceased, ops) = set_status_ops(&s, &l.number, false).await.unwrap().unwrap();
        s.transact(ops).await.unwrap();
        assert_eq!(copy(&stored().await), Some(Some(ceased)));
        assert_eq!(
            stored().await.n("session_epoch"),
            Some(1),
            "its sessions end"
        );

        assert_eq!(copy(&with_copy(Item::new(), None)), Some(None), "no line");
        assert_eq!(copy(&Item::new()), None, "no copy: read the line");
    }
}
