//! `import-accounts FILE.csv`: accounts of Convenzione 5/6/7 users (the guide's
//! Suggerimento: "Non hai bisogno di registrarti nuovamente"). Header:
//! `username,email,numero,nome,cognome,codice_fiscale,codice_fiscale_ente,password_hash[,convenzione]`
//! (comma or semicolon). The hash is a PHC string: argon2, bcrypt (`$2b$…`) or
//! `$pbkdf2-sha256$…`; the first successful login replaces it with argon2id.
//!
//! Idempotent: an account's id derives from its username, and every write is one
//! conditional transaction (account + username/email/number claims), so a second import
//! changes nothing and a row whose username, email or number belongs to someone else is
//! reported, never overwritten. Every rejected row is reported with its line and reason.
//! The transaction also holds the account's audit record (who imported it: the caller
//! identity; from which Convenzione), in the account's partition.

use crate::csv_input;
use crate::helpdesk::audit::{self, Signed};
use domain::crypto;
use domain::passwords;
use domain::{CodiceFiscaleEnte, CodiceFiscalePersona, Email, MobileNumber, Username};
use std::io::Read;
use store::accounts::{self, Account, Status};
use store::audit::Action;
use store::uniqueness::{self, account_owner, Kind};
use store::{lines, AccountId, Cond, Store, StoreError, TxOp};

pub const COLUMNS: [&str; 8] = [
    "username",
    "email",
    "numero",
    "nome",
    "cognome",
    "codice_fiscale",
    "codice_fiscale_ente",
    "password_hash",
];
const OPTIONAL: &str = "convenzione";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub inserted: usize,
    pub unchanged: usize,
    /// (line number in the file, reason)
    pub rejected: Vec<(usize, String)>,
}

/// The id of an imported account: stable across imports, so importing twice is a no-op.
pub fn account_id(username: &Username) -> AccountId {
    let id = format!("imp-{}", &crypto::token_hash(username.as_str())[..32]);
    AccountId::parse(&id).expect("`imp-` and hex digits make an account id")
}

struct Row {
    username: Username,
    email: Email,
    number: MobileNumber,
    nome: String,
    cognome: String,
    personal_cf: CodiceFiscalePersona,
    entity_cf: CodiceFiscaleEnte,
    password_hash: String,
    convenzione: u8,
}

fn parse_row(get: impl Fn(usize) -> String, convenzione: Option<String>) -> Result<Row, String> {
    let username = Username::parse(&get(0)).map_err(|e| format!("username \"{}\": {e}", get(0)))?;
    let email = Email::parse(&get(1)).map_err(|e| format!("email \"{}\": {e}", get(1)))?;
    let number = MobileNumber::parse(&get(2)).map_err(|e| format!("numero \"{}\": {e}", get(2)))?;
    let (nome, cognome) = (get(3), get(4));
    if nome.is_empty() || cognome.is_empty() {
        return Err("nome e cognome sono obbligatori".into());
    }
    let personal_cf = CodiceFiscalePersona::parse(&get(5))
        .map_err(|e| format!("codice_fiscale \"{}\": {e}", get(5)))?;
    let entity_cf = CodiceFiscaleEnte::parse(&get(6))
        .map_err(|e| format!("codice_fiscale_ente \"{}\": {e}", get(6)))?;
    let password_hash = get(7);
    passwords::check(&password_hash).map_err(|e| format!("password_hash: {e}"))?;
    let convenzione = match convenzione.as_deref().map(str::trim) {
        None | Some("") => 7,
        Some(c @ ("5" | "6" | "7")) => c.parse().expect("a digit"),
        Some(other) => return Err(format!("convenzione \"{other}\": attesa 5, 6 o 7")),
    };
    Ok(Row {
        username,
        email,
        number,
        nome,
        cognome,
        personal_cf,
        entity_cf,
        password_hash,
        convenzione,
    })
}

pub async fn import(
    store: &dyn Store,
    input: impl Read,
    now: i64,
    by: &Signed,
) -> Result<Report, csv_input::ImportError> {
    let table = csv_input::read(input, &COLUMNS, &[OPTIONAL])?;
    let mut report = Report::default();
    for (line_no, rec) in table.rows.iter() {
        let line_no = *line_no;
        let parsed = rec
            .clone()
            .and_then(|rec| parse_row(|i| table.field(&rec, i), table.optional(&rec, OPTIONAL)));
        let row = match parsed {
            Ok(r) => r,
            Err(why) => {
                report.rejected.push((line_no, why));
                continue;
            }
        };
        match write(store, row, now, by).await? {
            Ok(true) => report.inserted += 1,
            Ok(false) => report.unchanged += 1,
            Err(why) => report.rejected.push((line_no, why)),
        }
    }
    Ok(report)
}

/// `Ok(Ok(true))` inserted, `Ok(Ok(false))` already there, `Ok(Err(_))` a conflict.
async fn write(
    store: &dyn Store,
    row: Row,
    now: i64,
    by: &Signed,
) -> Result<Result<bool, String>, StoreError> {
    let id = account_id(&row.username);
    if accounts::get(store, &id).await?.is_some() {
        return Ok(Ok(false));
    }
    let line = lines::get(store, &row.number).await?;
    let ragione_sociale = line
        .as_ref()
        .map(|l| l.ragione_sociale.clone())
        .unwrap_or_default();
    let account = Account {
        id: id.clone(),
        nome: row.nome,
        cognome: row.cognome,
        personal_cf: row.personal_cf.as_str().to_owned(),
        entity_cf: row.entity_cf.as_str().to_owned(),
        ragione_sociale,
        number: row.number.clone(),
        email: row.email.as_str().to_owned(),
        username: row.username.as_str().to_owned(),
        password_hash: row.password_hash,
        status: Status::Active,
        session_epoch: 0,
        created_at: now,
        terms_version: String::new(),
        privacy_version: String::new(),
        accepted_at: 0,
        origin: format!("convenzione-{}", row.convenzione),
        passkey_offer_dismissed: false,
    };
    let owner = account_owner(&id);
    let ops = vec![
        TxOp::Put {
            key: accounts::key(&id),
            item: lines::with_copy(accounts::to_item(&account), line.as_ref()),
            cond: Some(Cond::NotExists),
        },
        uniqueness::claim_op(Kind::Username, &account.username, &id, &owner, &[], now),
        uniqueness::claim_op(Kind::Email, &account.email, &id, &owner, &[], now),
        uniqueness::claim_op(Kind::Number, account.number.e164(), &id, &owner, &[], now),
        uniqueness::claim_op(
            Kind::Person,
            &uniqueness::person_value(&account.entity_cf, &account.personal_cf),
            &id,
            &owner,
            &[],
            now,
        ),
        audit::op(
            &accounts::key(&id).pk,
            Action::ImportAccount,
            &id,
            &account.origin,
            by,
            now,
        ),
    ];
    match store.transact(ops).await {
        Ok(()) => Ok(Ok(true)),
        Err(StoreError::TxCancelled { failed }) => Ok(Err(match failed.iter().position(|f| *f) {
            // Imported concurrently by another run: nothing to do.
            Some(0) => return Ok(Ok(false)),
            Some(1) => format!(
                "username \"{}\" già in uso da un altro account",
                account.username
            ),
            Some(2) => format!("email \"{}\" già in uso da un altro account", account.email),
            Some(3) => format!(
                "numero {} già associato a un altro account",
                row.number.pretty()
            ),
            Some(4) => format!(
                "esiste già un account per il codice fiscale {} nell'Ente {}",
                account.personal_cf, account.entity_cf
            ),
            _ => "scrittura rifiutata".to_owned(),
        })),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::memory::MemoryStore;

    fn by() -> Signed {
        Signed {
            operator: "arn:aws:iam::123456789012:user/ops".into(),
            note: String::new(),
            reason: "migrazione".into(),
        }
    }

    async fn import(
        s: &MemoryStore,
        input: &[u8],
        now: i64,
    ) -> Result<Report, csv_input::ImportError> {
        super::import(s, input, now, &by()).await
    }

    fn bcrypt_hash(p: &str) -> String {
        bcrypt::hash(p, 4).unwrap()
    }

    #[tokio::test]
    async fn imports_once_and_reports_bad_rows() {
        let s = MemoryStore::new();
        let csv = format!(
            "username;email;numero;nome;cognome;codice_fiscale;codice_fiscale_ente;password_hash;convenzione\n\
             mario.rossi;mario.rossi@comune.example.it;333 000 0101;Mario;Rossi;RSSMRA85T10A562S;00488410010;{h};7\n\
             luca;luca@comune.example.it;3330000102;Luca;Bianchi;RSSMRA85T10A562S;00488410010;plaintext;6\n\
             anna;anna@pec.it;3330000103;Anna;Verdi;RSSMRA85T10A562S;00488410010;{h};6\n\
             altro;altro@comune.example.it;333 000 0101;Altro;Utente;RSSMRA85T10A562S;00488410010;{h};5\n\
             pippo;pippo@comune.example.it;3330000104;Pippo;Neri;RSSMRA85T10A562S;00488410010;{h};9\n",
            h = bcrypt_hash("vecchia")
        );
        let r = import(&s, csv.as_bytes(), 1000).await.unwrap();
        assert_eq!(r.inserted, 1);
        assert_eq!(
            r.rejected.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            vec![3, 4, 5, 6],
            "{:?}",
            r.rejected
        );
        assert!(r.rejected[0].1.contains("password_hash"));
        assert!(r.rejected[1].1.contains("email"));
        assert!(r.rejected[2].1.contains("numero") && r.rejected[2].1.contains("già associato"));
        assert!(r.rejected[3].1.contains("convenzione"));
        let before = s.dump();
        let again = import(&s, csv.as_bytes(), 2000).await.unwrap();
        assert_eq!((again.inserted, again.unchanged), (0, 1));
        assert_eq!(s.dump(), before, "importing twice changes nothing");
        let acc = accounts::by_claim(&s, Kind::Username, "mario.rossi", 3000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(acc.origin, "convenzione-7");
        assert_eq!(acc.number.e164(), "+393330000101");
        assert!(passwords::verify(&acc.password_hash, "vecchia"));
        // One audit record, written with the account (none for the unchanged re-import).
        let records = store::audit::newest(&s, &accounts::key(&acc.id).pk, 10, 0)
            .await
            .unwrap();
        assert_eq!(records.len(), 1, "{records:?}");
        let r = &records[0];
        assert_eq!(r.action, "importazione-account");
        assert_eq!(r.detail, "convenzione-7");
        assert_eq!(r.operator, by().operator);
    }

    #[tokio::test]
    async fn hashes_beyond_the_cost_bounds_are_rejected_with_their_line() {
        let s = MemoryStore::new();
        let bcrypt31 = bcrypt_hash("vecchia").replacen("$2b$04$", "$2b$31$", 1);
        let csv = format!(
            "username;email;numero;nome;cognome;codice_fiscale;codice_fiscale_ente;password_hash\n\
             costoso;costoso@comune.example.it;3330000111;Mario;Rossi;RSSMRA85T10A562S;00488410010;{bcrypt31}\n\
             pbkdf;pbkdf@comune.example.it;3330000112;Mario;Rossi;RSSMRA85T10A562S;00488410010;\
             $pbkdf2-sha256$i=4000000000$c2FsdHNhbHQ$YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE\n\
             argon;argon@comune.example.it;3330000113;Mario;Rossi;RSSMRA85T10A562S;00488410010;\
             $argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE\n"
        );
        let r = import(&s, csv.as_bytes(), 1000).await.unwrap();
        assert_eq!(r.inserted, 0);
        assert_eq!(
            r.rejected.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            vec![2, 3, 4],
            "{:?}",
            r.rejected
        );
        assert!(
            r.rejected
                .iter()
                .all(|(_, why)| why.contains("costo dell'hash oltre i limiti")),
            "{:?}",
            r.rejected
        );
    }
}
