//! `account find | show | unlock | disable | enable | cease`.

use super::audit::{self, Signed};
use super::{mask, scan, when, Args, Desk, DeskError, Done};
use domain::{CodiceFiscalePersona, Email, MobileNumber, Username};
use serde_json::{json, Value};
use store::accounts::{self, Account, Status};
use store::audit::Action;
use store::limits;
use store::lockout::Counter;
use store::uniqueness::Kind;
use store::{lines, sessions, AccountId, Item, Key, ScanFilter, StoreError, TxOp};

/// An account id as the portal makes them (`store::AccountId`: random, or `imp-<hex>` for
/// imported ones): checked before it becomes a key, so a typo is a clear message rather
/// than "not found".
pub fn parse_id(raw: &str) -> Result<AccountId, DeskError> {
    let id = raw.trim();
    AccountId::parse(id).ok_or_else(|| {
        DeskError::Usage(format!(
            "identificativo di account non valido: \"{id}\" (lo trovi con account find)"
        ))
    })
}

fn status_text(s: Status) -> &'static str {
    match s {
        Status::Active => "attivo",
        Status::Disabled => "sospeso",
        Status::Ceased => "cessato",
    }
}

/// How an account appears in a list: who it is, contact data masked.
fn summary(a: &Account) -> (String, Value) {
    let text = format!(
        "{}  {} {}  {}  stato: {}\n    numero {}  email {}  username {}",
        a.id,
        a.nome,
        a.cognome,
        a.ragione_sociale,
        status_text(a.status),
        mask::number(a.number.e164()),
        mask::email(&a.email),
        mask::username(&a.username)
    );
    let json = json!({
        "id": a.id,
        "nome": a.nome,
        "cognome": a.cognome,
        "ente": a.ragione_sociale,
        "cf_ente": a.entity_cf,
        "stato": status_text(a.status),
        "numero": mask::number(a.number.e164()),
        "email": mask::email(&a.email),
        "username": mask::username(&a.username),
    });
    (text, json)
}

/// `account find`: by number, email or username through their claims (accounts that
/// hold them: active or suspended); by personal codice fiscale with a Scan (every account
/// of that person, ceased ones too — see `Desk`).
pub async fn find(desk: &Desk<'_>, a: &Args) -> Result<Done, DeskError> {
    let given = a.given(&["--numero", "--email", "--username", "--cf"]);
    let [flag] = given.as_slice() else {
        return Err(DeskError::Usage(
            "indica uno solo tra --numero, --email, --username e --cf".into(),
        ));
    };
    let raw = a.get(flag).unwrap_or_default();
    let bad =
        |what: &str, e: &dyn std::fmt::Display| DeskError::Usage(format!("{what} non valido: {e}"));
    let found: Vec<Account> = match *flag {
        "--cf" => {
            let cf = CodiceFiscalePersona::parse(raw).map_err(|e| bad("codice fiscale", &e))?;
            let items = scan(desk, &accounts::of_person(cf.as_str())).await?;
            let mut found: Vec<Account> = items
                .iter()
                .filter_map(|(k, i)| accounts::from_item(&accounts::id_of(k)?, i))
                .collect();
            found.sort_by_key(|a| (a.status != Status::Active, -a.created_at));
            found
        }
        _ => {
            let (kind, value) = match *flag {
                "--numero" => (
                    Kind::Number,
                    MobileNumber::parse(raw)
                        .map_err(|e| bad("numero", &e))?
                        .e164()
                        .to_owned(),
                ),
                "--email" => (
                    Kind::Email,
                    Email::parse(raw)
                        .map_err(|e| bad("indirizzo email", &e))?
                        .as_str()
                        .to_owned(),
                ),
                _ => (
                    Kind::Username,
                    Username::parse(raw)
                        .map_err(|e| bad("username", &e))?
                        .as_str()
                        .to_owned(),
                ),
            };
            accounts::by_claim(desk.store, kind, &value, desk.now)
                .await?
                .into_iter()
                .collect()
        }
    };
    if found.is_empty() {
        return Err(DeskError::NotFound(format!(
            "nessun account trovato con {} {raw}",
            flag.trim_start_matches("--")
        )));
    }
    let (texts, jsons): (Vec<_>, Vec<_>) = found.iter().map(summary).unzip();
    Ok(Done {
        text: format!("Account trovati: {}\n{}", found.len(), texts.join("\n")),
        json: json!({ "account": jsons }),
    })
}

pub(super) async fn load(desk: &Desk<'_>, id: &str) -> Result<Account, DeskError> {
    Ok(load_item(desk, id).await?.0)
}

/// The account and its item as stored (for the attributes `Account` does not carry).
async fn load_item(desk: &Desk<'_>, id: &str) -> Result<(Account, Item), DeskError> {
    let id = parse_id(id)?;
    let item = desk.store.get(&accounts::key(&id)).await?;
    item.and_then(|i| Some((accounts::from_item(&id, &i)?, i)))
        .ok_or_else(|| DeskError::NotFound(format!("nessun account con identificativo {id}")))
}

/// The login lock counters of a username: the one per username (a key) and the ones per
/// (username, address) and per (username, known browser), found with a Scan of their key
/// prefixes (an address or a browser is part of the partition key, so no key lookup can
/// list them).
async fn lock_counters(desk: &Desk<'_>, username: &str) -> Result<Vec<(Key, Counter)>, DeskError> {
    let user_key = Counter::key(limits::LOGIN_LOCK_PER_USERNAME, username);
    let mut out = Vec::new();
    if let Some(item) = desk.store.get(&user_key).await? {
        out.push((user_key, Counter::from_item(Some(&item), desk.now)));
    }
    for policy in [limits::LOGIN_LOCK_PER_CLIENT, limits::LOGIN_LOCK_PER_DEVICE] {
        let prefix = Counter::key(policy, &format!("{username}#")).pk;
        for (k, i) in scan(desk, &ScanFilter::partition_prefix(prefix)).await? {
            out.push((k, Counter::from_item(Some(&i), desk.now)));
        }
    }
    Ok(out)
}

/// `account show`: profile, status, line, lock, sessions, last access, consents. Never a
/// hash, a code or a token.
pub async fn show(desk: &Desk<'_>, id: &str) -> Result<Done, DeskError> {
    let (a, raw) = load_item(desk, id).await?;
    let line = lines::get(desk.store, &a.number).await?;
    let locks = lock_counters(desk, &a.username).await?;
    let locked_until = locks
        .iter()
        .map(|(_, c)| c.locked_until)
        .filter(|t| *t > desk.now)
        .max();
    let locked_addresses = locks
        .iter()
        .filter(|(k, c)| {
            c.locked_until > desk.now
                && k.pk
                    .starts_with(&Counter::key(limits::LOGIN_LOCK_PER_CLIENT, "").pk)
        })
        .count();
    // The account's list of sessions (issue 15), each checked live and at the account's
    // epoch: one Query and one BatchGet.
    let sessions = sessions::of_account(desk.store, &a.id, a.session_epoch, desk.now)
        .await?
        .len();
    let last_login = raw.n(accounts::LAST_LOGIN_AT);
    let line_text = match &line {
        Some(l) => format!(
            "{} (profilo {})",
            if l.active { "attiva" } else { "cessata" },
            l.profile.as_str()
        ),
        None => "non presente in Convenzione".to_owned(),
    };
    let lock_text = match locked_until {
        None => "nessun blocco".to_owned(),
        Some(t) if locked_addresses > 0 => format!(
            "bloccato fino al {} ({locked_addresses} indirizzi bloccati)",
            when(t)
        ),
        Some(t) => format!("bloccato fino al {}", when(t)),
    };
    let text = format!(
        "Account {id}\n\
         Nome e cognome: {} {}\n\
         Ente: {} (C.F. {})\n\
         Username: {}\n\
         Email: {}\n\
         Numero: {}\n\
         Codice fiscale: {}\n\
         Origine: {}\n\
         Creato il: {}\n\
         Stato account: {}\n\
         Linea: {line_text}\n\
         Accesso: {lock_text}\n\
         Sessioni attive: {sessions}\n\
         Ultimo accesso: {}\n\
         Consensi: termini versione {}, privacy versione {}, accettati il {}",
        a.nome,
        a.cognome,
        a.ragione_sociale,
        a.entity_cf,
        mask::shown_username(&a.username),
        mask::email(&a.email),
        mask::number(a.number.e164()),
        mask::personal_cf(&a.personal_cf),
        if a.origin.is_empty() {
            "registrato sul portale"
        } else {
            a.origin.as_str()
        },
        when(a.created_at),
        status_text(a.status),
        last_login.map_or_else(|| "mai".to_owned(), when),
        or_dash(&a.terms_version),
        or_dash(&a.privacy_version),
        when(a.accepted_at),
        id = a.id,
    );
    let json = json!({
        "id": a.id,
        "nome": a.nome,
        "cognome": a.cognome,
        "ente": a.ragione_sociale,
        "cf_ente": a.entity_cf,
        "username": mask::shown_username(&a.username),
        "email": mask::email(&a.email),
        "numero": mask::number(a.number.e164()),
        "codice_fiscale": mask::personal_cf(&a.personal_cf),
        "origine": a.origin,
        "creato_il": a.created_at,
        "stato": status_text(a.status),
        "linea": line.as_ref().map(|l| json!({
            "stato": if l.active { "attiva" } else { "cessata" },
            "profilo": l.profile.as_str(),
        })),
        "bloccato_fino_a": locked_until,
        "indirizzi_bloccati": locked_addresses,
        "sessioni_attive": sessions,
        "ultimo_accesso": last_login,
        "consensi": {
            "termini": a.terms_version,
            "privacy": a.privacy_version,
            "accettati_il": a.accepted_at,
        },
    });
    Ok(Done { text, json })
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

/// Commits `ops` with the audit record; a cancelled transaction means the account changed
/// under the command (another operator, a login): nothing was written.
pub(super) async fn commit(desk: &Desk<'_>, ops: Vec<TxOp>) -> Result<(), DeskError> {
    match desk.store.transact(ops).await {
        Ok(()) => Ok(()),
        Err(StoreError::TxCancelled { .. }) | Err(StoreError::ConditionFailed) => {
            Err(DeskError::NotAllowed(
                "l'account è cambiato nel frattempo: nessuna modifica fatta, riprova".into(),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

fn changed(a: &Account, action: Action, text: String) -> Done {
    Done {
        text,
        json: json!({ "id": a.id, "azione": action.as_str(), "stato": status_text(a.status) }),
    }
}

/// `account unlock`: forgets the login lock counters of the account's username (per
/// username, per address and per known browser), as a successful login would.
///
/// A transaction holds at most `MAX_TX_ITEMS` writes: the counters go in chunks of one
/// less, each chunk with its own audit record (how many of how many it cleared), so every
/// committed deletion is audited in its own transaction whatever the number of counters.
pub async fn unlock(desk: &Desk<'_>, args: &Args, id: &str) -> Result<Done, DeskError> {
    let by = Signed::from(desk, args).await?;
    let a = load(desk, id).await?;
    let locks = lock_counters(desk, &a.username).await?;
    let pk = accounts::key(&a.id).pk;
    let total = locks.len();
    let chunks: Vec<&[(Key, Counter)]> = if locks.is_empty() {
        vec![&[]]
    } else {
        locks.chunks(MAX_TX_ITEMS - 1).collect()
    };
    let parts = chunks.len();
    let mut cleared = 0;
    for (i, chunk) in chunks.into_iter().enumerate() {
        let detail = if parts == 1 {
            format!("{total} contatori azzerati")
        } else {
            format!(
                "{} contatori azzerati (parte {} di {parts}, {total} in tutto)",
                chunk.len(),
                i + 1
            )
        };
        let mut ops = vec![audit::op(
            &pk,
            Action::Unlock,
            &a.id,
            &detail,
            &by,
            desk.now,
        )];
        ops.extend(chunk.iter().map(|(k, _)| TxOp::Delete {
            key: k.clone(),
            cond: None,
        }));
        if let Err(e) = commit(desk, ops).await {
            return Err(match cleared {
                0 => e,
                n => DeskError::Unavailable(format!(
                    "azzerati {n} contatori su {total} (ognuno registrato), poi: {e}; ripeti il comando"
                )),
            });
        }
        cleared += chunk.len();
    }
    Ok(changed(
        &a,
        Action::Unlock,
        format!(
            "Account {} sbloccato: {total} contatori di tentativi azzerati. L'utente può accedere di nuovo.",
            a.id
        ),
    ))
}

/// DynamoDB's limit of items in one `TransactWriteItems`.
pub const MAX_TX_ITEMS: usize = 100;

/// `account disable`: suspends the account and ends every session (epoch + 1). The login
/// then tells the user, after the right password only, to call the Numero Verde.
pub async fn disable(desk: &Desk<'_>, args: &Args, id: &str) -> Result<Done, DeskError> {
    let by = Signed::from(desk, args).await?;
    let mut a = load(desk, id).await?;
    match a.status {
        Status::Disabled => {
            return Ok(changed(
                &a,
                Action::Disable,
                format!("L'account {} è già sospeso: nessuna modifica.", a.id),
            ))
        }
        Status::Ceased => {
            return Err(DeskError::NotAllowed(format!(
                "l'account {} è cessato: non si può sospendere",
                a.id
            )))
        }
        Status::Active => {}
    }
    let key = accounts::key(&a.id);
    // Its passkeys go with the suspension, in the same transaction (`passkeys::void_ops`).
    let (mut ops, voided) = super::passkeys::void_ops(desk, &a.id).await?;
    let detail = voided_detail(voided);
    ops.push(accounts::suspend_op(&a.id));
    ops.push(audit::op(
        &key.pk,
        Action::Disable,
        &a.id,
        &detail,
        &by,
        desk.now,
    ));
    commit(desk, ops).await?;
    a.status = Status::Disabled;
    Ok(changed(
        &a,
        Action::Disable,
        format!(
            "Account {} sospeso: tutte le sessioni sono terminate e l'accesso è rifiutato{}.",
            a.id,
            voided_text(voided)
        ),
    ))
}

/// `account enable`: a suspended account becomes active again (its sessions stay ended).
pub async fn enable(desk: &Desk<'_>, args: &Args, id: &str) -> Result<Done, DeskError> {
    let by = Signed::from(desk, args).await?;
    let mut a = load(desk, id).await?;
    match a.status {
        Status::Active => {
            return Ok(changed(
                &a,
                Action::Enable,
                format!("L'account {} è già attivo: nessuna modifica.", a.id),
            ))
        }
        Status::Ceased => {
            return Err(DeskError::NotAllowed(format!(
                "l'account {} è cessato: non si può riattivare (l'utente può registrarsi di nuovo)",
                a.id
            )))
        }
        Status::Disabled => {}
    }
    let key = accounts::key(&a.id);
    commit(
        desk,
        vec![
            accounts::reactivate_op(&a.id),
            audit::op(&key.pk, Action::Enable, &a.id, "", &by, desk.now),
        ],
    )
    .await?;
    a.status = Status::Active;
    Ok(changed(
        &a,
        Action::Enable,
        format!(
            "Account {} riattivato: l'utente può accedere di nuovo.",
            a.id
        ),
    ))
}

/// `account cease`: as the registration's PROSEGUI ceases a superseded account (the same
/// ops): status ceased, sessions ended, every claim released (number, email, username and
/// person are free for a new registration).
pub async fn cease(desk: &Desk<'_>, args: &Args, id: &str) -> Result<Done, DeskError> {
    let by = Signed::from(desk, args).await?;
    let mut a = load(desk, id).await?;
    if a.status == Status::Ceased {
        return Ok(changed(
            &a,
            Action::Cease,
            format!("L'account {} è già cessato: nessuna modifica.", a.id),
        ));
    }
    // Its passkeys go with it, as with every cease (`accounts::cease_ops`).
    let listed = store::passkeys::list(desk.store, &a.id).await?;
    let voided = listed.len();
    let mut ops = accounts::cease_ops(&a, &listed, &[], desk.now);
    ops.push(audit::op(
        &accounts::key(&a.id).pk,
        Action::Cease,
        &a.id,
        &voided_detail(voided),
        &by,
        desk.now,
    ));
    commit(desk, ops).await?;
    a.status = Status::Ceased;
    Ok(changed(
        &a,
        Action::Cease,
        format!(
            "Account {} cessato: sessioni terminate{}; numero, email e username sono liberi per una nuova \
             registrazione.",
            a.id,
            voided_text(voided)
        ),
    ))
}

/// The audit record's detail of a change that voided `n` passkeys.
fn voided_detail(n: usize) -> String {
    match n {
        0 => String::new(),
        n => format!("{n} passkey annullate"),
    }
}

/// The operator's sentence about them.
fn voided_text(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => ", 1 passkey annullata".to_owned(),
        n => format!(", {n} passkey annullate"),
    }
}
