//! `bootstrap`: the table with TTL and the SES sending identity; idempotent. With
//! `--demo`, also the demo entity and lines so a person can register at once locally.

use shared::config::Config;
use shared::domain::{CodiceFiscaleEnte, MobileNumber};
use shared::store::lines::{self, Line};
use shared::store::Store;

/// The demo entity (TIM's own codice fiscale / P.IVA, from the footer) and numbers.
pub const DEMO_ENTITY_CF: &str = "00488410010";
pub const DEMO_ENTITY_NAME: &str = "ENTE DIMOSTRATIVO CONVENZIONE 8";
pub const DEMO_NUMBERS: &[&str] = &[
    "+393330000001",
    "+393330000002",
    "+393330000003",
    "+393330000004",
    "+393330000005",
];
/// A demo account "from Convenzione 7" (bcrypt hash, upgraded at the first login) on its
/// own line, so a person can try the login at once: the password is public on purpose.
pub const DEMO_LEGACY_NUMBER: &str = "+393330000006";
pub const DEMO_LEGACY_USERNAME: &str = "utente.demo@example.it";
pub const DEMO_LEGACY_PASSWORD: &str = "Convenzione7-demo!";

pub async fn ensure_infrastructure(
    sdk: &aws_config::SdkConfig,
    config: &Config,
) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    let created = shared::store::dynamo::ensure_table(&ddb, &config.table_name)
        .await
        .map_err(|e| e.to_string())?;
    done.push(format!(
        "tabella {} {}",
        config.table_name,
        if created {
            "creata (TTL attivo)"
        } else {
            "già presente"
        }
    ));
    let ses = aws_sdk_sesv2::Client::new(sdk);
    match ses
        .create_email_identity()
        .email_identity(&config.email_from_address)
        .send()
        .await
    {
        Ok(_) => done.push(format!("identità SES {} creata", config.email_from_address)),
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_already_exists_exception()) =>
        {
            done.push(format!(
                "identità SES {} già presente",
                config.email_from_address
            ))
        }
        Err(e) => return Err(format!("SES CreateEmailIdentity: {e:?}")),
    }
    Ok(done)
}

pub async fn load_demo(store: &dyn Store) -> Result<Vec<Line>, String> {
    let entity_cf = CodiceFiscaleEnte::parse(DEMO_ENTITY_CF).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for n in DEMO_NUMBERS {
        let line = Line {
            number: MobileNumber::parse(n).map_err(|e| e.to_string())?,
            entity_cf: entity_cf.clone(),
            ragione_sociale: DEMO_ENTITY_NAME.into(),
            active: true,
        };
        lines::upsert(store, &line)
            .await
            .map_err(|e| e.to_string())?;
        out.push(line);
    }
    let legacy = Line {
        number: MobileNumber::parse(DEMO_LEGACY_NUMBER).map_err(|e| e.to_string())?,
        entity_cf,
        ragione_sociale: DEMO_ENTITY_NAME.into(),
        active: true,
    };
    lines::upsert(store, &legacy)
        .await
        .map_err(|e| e.to_string())?;
    let hash = bcrypt::hash(DEMO_LEGACY_PASSWORD, 10).map_err(|e| e.to_string())?;
    let csv = format!(
        "username;email;numero;nome;cognome;codice_fiscale;codice_fiscale_ente;password_hash;convenzione\n\
         {DEMO_LEGACY_USERNAME};{DEMO_LEGACY_USERNAME};{DEMO_LEGACY_NUMBER};Maria;Demo;RSSMRA80A01H501U;{DEMO_ENTITY_CF};{hash};7\n"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let report = crate::import_accounts::import(store, csv.as_bytes(), now)
        .await
        .map_err(|e| e.to_string())?;
    if let Some((_, why)) = report.rejected.first() {
        return Err(format!("account dimostrativo: {why}"));
    }
    out.push(legacy);
    Ok(out)
}
