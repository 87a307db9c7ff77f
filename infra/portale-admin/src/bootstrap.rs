//! `bootstrap`: the table with TTL, the SES sending identity, the outbox queue with its
//! dead-letter queue (`OUTBOX_QUEUE_URL`) and the flow secret in Secrets Manager
//! (`FLOW_SECRET_ARN`, a random value; in AWS the template creates them); idempotent.
//! With `--demo`, also the demo entity and lines so a person can register at once locally:
//! only on a local table (`demo_target`) unless `--consenti-demo-non-locale` says so, since
//! the demo account's password is public and its five lines are active. The demo data go
//! through the imports' audited writes.

use crate::helpdesk::audit::Signed;
use domain::{CodiceFiscaleEnte, MobileNumber};
use engine::config::Config;
use std::collections::HashMap;
use store::lines::{self, Line};
use store::Store;

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
    let created = store::dynamo::ensure_table(&ddb, &config.table_name)
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
    let name = queue_name(&config.outbox_queue_url)?;
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let url = ensure_outbox_queue(&sqs, name, &TEMPLATE_QUEUE).await?;
    if url != config.outbox_queue_url {
        // LocalStack started with other settings (SQS_ENDPOINT_STRATEGY, LOCALSTACK_HOST).
        done.push(format!(
            "attenzione: la coda {name} ha URL {url}, diverso da OUTBOX_QUEUE_URL"
        ));
    }
    done.push(format!("coda {name} (e {name}-dlq) pronta: {url}"));
    if let Some(store::secret::FlowSecretSource::SecretsManager(id)) = &config.flow_secret {
        let sm = aws_sdk_secretsmanager::Client::new(sdk);
        let created = ensure_flow_secret(&sm, id).await?;
        done.push(format!(
            "segreto {id} {}",
            if created {
                "creato (valore casuale)"
            } else {
                "già presente"
            }
        ));
    }
    Ok(done)
}

/// Creates the flow secret `name` with a random 64-character value unless it exists
/// (`true` when created). Its value is never printed.
pub async fn ensure_flow_secret(
    sm: &aws_sdk_secretsmanager::Client,
    name: &str,
) -> Result<bool, String> {
    let value = format!(
        "{}{}",
        domain::crypto::random_token(),
        domain::crypto::random_token()
    );
    match sm
        .create_secret()
        .name(name)
        .description("FLOW_SECRET del portale (store::secret)")
        .secret_string(&value[..64])
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_resource_exists_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(format!(
            "Secrets Manager CreateSecret {name}: {}",
            store::aws_error::AwsFailure::code(&e)
        )),
    }
}

/// The settings of an outbox queue and its dead-letter queue.
#[derive(Debug, Clone, Copy)]
pub struct QueueSettings {
    /// How long a received message stays hidden: a failed batch comes back after it.
    pub visibility_timeout_secs: u32,
    /// Receives before a message moves to the DLQ.
    pub max_receive_count: u32,
}

/// = `OutboxQueue` in infra/template.yaml.
pub const TEMPLATE_QUEUE: QueueSettings = QueueSettings {
    visibility_timeout_secs: 60,
    max_receive_count: 5,
};

/// The queue name at the end of a queue URL.
pub fn queue_name(url: &str) -> Result<&str, String> {
    url.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| format!("OUTBOX_QUEUE_URL senza nome di coda: {url}"))
}

/// Creates (or updates) the queue `name` and its DLQ `<name>-dlq`, the queue redriving to
/// the DLQ after `max_receive_count` receives. Idempotent. Returns the queue's URL.
pub async fn ensure_outbox_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    settings: &QueueSettings,
) -> Result<String, String> {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let dlq = ensure_queue(
        sqs,
        &format!("{name}-dlq"),
        HashMap::from([(A::MessageRetentionPeriod, "1209600".to_owned())]),
    )
    .await?;
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(A::QueueArn)
        .send()
        .await
        .map_err(|e| format!("SQS GetQueueAttributes: {e:?}"))?
        .attributes
        .and_then(|mut a| a.remove(&A::QueueArn))
        .ok_or("SQS GetQueueAttributes: no QueueArn")?;
    let redrive = format!(
        r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":{}}}"#,
        settings.max_receive_count
    );
    ensure_queue(
        sqs,
        name,
        HashMap::from([
            (
                A::VisibilityTimeout,
                settings.visibility_timeout_secs.to_string(),
            ),
            (A::RedrivePolicy, redrive),
        ]),
    )
    .await
}

async fn ensure_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    attributes: HashMap<aws_sdk_sqs::types::QueueAttributeName, String>,
) -> Result<String, String> {
    match sqs.get_queue_url().queue_name(name).send().await {
        Ok(found) => {
            let url = found.queue_url.unwrap_or_default();
            sqs.set_queue_attributes()
                .queue_url(&url)
                .set_attributes(Some(attributes))
                .send()
                .await
                .map_err(|e| format!("SQS SetQueueAttributes {name}: {e:?}"))?;
            Ok(url)
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_queue_does_not_exist()) =>
        {
            sqs.create_queue()
                .queue_name(name)
                .set_attributes(Some(attributes))
                .send()
                .await
                .map_err(|e| format!("SQS CreateQueue {name}: {e:?}"))?
                .queue_url
                .ok_or_else(|| format!("SQS CreateQueue {name}: no QueueUrl"))
        }
        Err(e) => Err(format!("SQS GetQueueUrl {name}: {e:?}")),
    }
}

/// The flag that lets `bootstrap --demo` write to a table that is not local.
pub const ALLOW_REMOTE_DEMO: &str = "--consenti-demo-non-locale";

/// Where the SDK sends DynamoDB's calls, from the environment as the SDK reads it: the
/// service's own endpoint variable, else the general one; none (AWS itself) when neither is
/// set or configured endpoints are ignored.
pub fn dynamodb_endpoint(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    if var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.trim() == "true") {
        return None;
    }
    var("AWS_ENDPOINT_URL_DYNAMODB")
        .or_else(|| var("AWS_ENDPOINT_URL"))
        .filter(|e| !e.trim().is_empty())
}

/// The host of an endpoint URL (`http://[::1]:4566/` → `::1`), lower case.
fn host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.to_ascii_lowercase()
}

/// Whether `--demo` may write to the table behind `endpoint` without being told: only a
/// loopback address, `localhost`, or LocalStack by its names. AWS itself (no endpoint) and
/// any other host are refused, with why.
pub fn demo_target(endpoint: Option<&str>) -> Result<(), String> {
    let Some(endpoint) = endpoint else {
        return Err("nessun endpoint locale configurato: la tabella è su AWS".into());
    };
    let h = host(endpoint);
    let local = h == "localhost"
        || h == "localstack"
        || h.ends_with(".localhost")
        || h == "localhost.localstack.cloud"
        || h.ends_with(".localhost.localstack.cloud")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if local {
        Ok(())
    } else {
        Err(format!("l'endpoint {endpoint} non è locale"))
    }
}

/// The demo lines and the demo account, through the imports' audited writes (`by`).
pub async fn load_demo(store: &dyn Store, by: &Signed) -> Result<Vec<Line>, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let entity_cf = CodiceFiscaleEnte::parse(DEMO_ENTITY_CF).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (i, n) in DEMO_NUMBERS.iter().enumerate() {
        let line = Line {
            number: MobileNumber::parse(n).map_err(|e| e.to_string())?,
            entity_cf: entity_cf.clone(),
            ragione_sociale: DEMO_ENTITY_NAME.into(),
            active: true,
            // The first demo line is the entity's referente: it sees all the entity's lines.
            profile: if i == 0 {
                lines::Profile::Referente
            } else {
                lines::Profile::Utente
            },
        };
        crate::import_lines::write_line(store, &line, by, now)
            .await
            .map_err(|e| e.to_string())?;
        out.push(line);
    }
    let legacy = Line {
        number: MobileNumber::parse(DEMO_LEGACY_NUMBER).map_err(|e| e.to_string())?,
        entity_cf,
        ragione_sociale: DEMO_ENTITY_NAME.into(),
        active: true,
        profile: lines::Profile::Utente,
    };
    crate::import_lines::write_line(store, &legacy, by, now)
        .await
        .map_err(|e| e.to_string())?;
    let hash = bcrypt::hash(DEMO_LEGACY_PASSWORD, 10).map_err(|e| e.to_string())?;
    let csv = format!(
        "username;email;numero;nome;cognome;codice_fiscale;codice_fiscale_ente;password_hash;convenzione\n\
         {DEMO_LEGACY_USERNAME};{DEMO_LEGACY_USERNAME};{DEMO_LEGACY_NUMBER};Maria;Demo;\
         RSSMRA80A01H501U;{DEMO_ENTITY_CF};{hash};7\n"
    );
    let report = crate::import_accounts::import(store, csv.as_bytes(), now, by)
        .await
        .map_err(|e| e.to_string())?;
    if let Some((_, why)) = report.rejected.first() {
        return Err(format!("account dimostrativo: {why}"));
    }
    out.push(legacy);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::memory::MemoryStore;

    #[test]
    fn only_a_local_endpoint_takes_the_demo_unasked() {
        for local in [
            "http://127.0.0.1:4566",
            "http://localhost:4566/",
            "http://[::1]:4566",
            "http://127.0.0.2",
            "http://localstack:4566",
            "https://localhost.localstack.cloud:4566",
        ] {
            assert_eq!(demo_target(Some(local)), Ok(()), "{local}");
        }
        for remote in [
            "https://dynamodb.eu-south-1.amazonaws.com",
            "http://192.0.2.2:4566",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
            "http://user@10.0.0.1:4566",
        ] {
            assert!(demo_target(Some(remote)).is_err(), "{remote}");
        }
        assert!(demo_target(None).is_err(), "AWS itself");
    }

    #[test]
    fn the_endpoint_is_the_one_the_sdk_uses_for_dynamodb() {
        fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        }
        assert_eq!(dynamodb_endpoint(env(&[])), None);
        assert_eq!(
            dynamodb_endpoint(env(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")])).as_deref(),
            Some("http://127.0.0.1:4566")
        );
        let both = [
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            (
                "AWS_ENDPOINT_URL_DYNAMODB",
                "https://dynamodb.eu-south-1.amazonaws.com",
            ),
        ];
        assert_eq!(
            dynamodb_endpoint(env(&both)).as_deref(),
            Some("https://dynamodb.eu-south-1.amazonaws.com")
        );
        let ignored = [
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ];
        assert_eq!(dynamodb_endpoint(env(&ignored)), None);
    }

    #[tokio::test]
    async fn the_demo_data_are_audited() {
        let s = MemoryStore::new();
        let by = Signed {
            operator: "arn:aws:iam::000000000000:root".into(),
            note: String::new(),
            reason: "bootstrap --demo".into(),
        };
        let lines = load_demo(&s, &by).await.unwrap();
        assert_eq!(lines.len(), DEMO_NUMBERS.len() + 1);
        let records: Vec<_> = s
            .dump()
            .into_iter()
            .filter(|(k, _)| store::audit::is_record(k))
            .collect();
        // One per line, one for the demo account.
        assert_eq!(records.len(), DEMO_NUMBERS.len() + 2, "{records:?}");
        assert!(records
            .iter()
            .all(|(_, i)| store::audit::Entry::from_item(i).operator == by.operator));
    }
}
