//! `bootstrap`: the table with TTL, the SES sending identity, the outbox queue with its
//! dead-letter queue (`OUTBOX_QUEUE_URL`) and the flow secret in Secrets Manager
//! (`FLOW_SECRET_ARN`, a random value; in AWS the template creates them); idempotent.
//! With `--demo`, also the demo entity and lines so a person can register at once locally.

use shared::config::Config;
use shared::domain::{CodiceFiscaleEnte, MobileNumber};
use shared::store::lines::{self, Line};
use shared::store::Store;
use std::collections::HashMap;

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
    if let Some(shared::secret::FlowSecretSource::SecretsManager(id)) = &config.flow_secret {
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
        shared::crypto::random_token(),
        shared::crypto::random_token()
    );
    match sm
        .create_secret()
        .name(name)
        .description("FLOW_SECRET del portale (shared::secret)")
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
            shared::aws_error::AwsFailure::code(&e)
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

pub async fn load_demo(store: &dyn Store) -> Result<Vec<Line>, String> {
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
        profile: lines::Profile::Utente,
    };
    lines::upsert(store, &legacy)
        .await
        .map_err(|e| e.to_string())?;
    let hash = bcrypt::hash(DEMO_LEGACY_PASSWORD, 10).map_err(|e| e.to_string())?;
    let csv = format!(
        "username;email;numero;nome;cognome;codice_fiscale;codice_fiscale_ente;password_hash;convenzione\n\
         {DEMO_LEGACY_USERNAME};{DEMO_LEGACY_USERNAME};{DEMO_LEGACY_NUMBER};Maria;Demo;\
         RSSMRA80A01H501U;{DEMO_ENTITY_CF};{hash};7\n"
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
