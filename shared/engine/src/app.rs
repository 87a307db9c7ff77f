//! The per-process context every handler receives: configuration, the store, the
//! outbox and the clock. Built once per Lambda process (cold start), reused
//! after; the AWS clients inside are built on first use.

use crate::config::{Config, ConfigError};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use domain::clock::{Clock, OffsetClock, SystemClock};
use notify::{memory::MemoryNotifier, sqs::SqsOutbox, DirectOutbox, Message, NotifyError, Outbox};
use std::sync::Arc;
use store::secret::{FlowKeys, FlowSecret, FlowSecretSource, KeySource, SecretError};
use store::{
    dynamo::DynamoStore, memory::MemoryStore, Cond, Item, Key, Query, Store, StoreError, TxOp,
    Update,
};

#[derive(Clone)]
pub struct App {
    pub config: Config,
    pub store: Arc<dyn Store>,
    /// The one way a message leaves: a step posts its batch here (one SQS `SendMessage` per
    /// post in AWS mode, `OUTBOX_QUEUE_URL`; `DirectOutbox` to the recorder in memory). What
    /// really sends (SNS + SES, the `deliver` crate) is built only by the queue's consumers
    /// (`send-messages`, the local gateway's poller), never held here.
    pub outbox: Arc<dyn Outbox>,
    pub clock: Arc<dyn Clock>,
    /// The flow secret (`store::secret`): fetched from Secrets Manager at first use by the
    /// functions given `FLOW_SECRET_ARN`, fixed in memory in tests.
    pub secret: Arc<FlowSecret>,
}

/// The AWS SDK configuration: region and endpoint from the environment (so
/// `AWS_ENDPOINT_URL` points the same binary at LocalStack), a timeout on every call and
/// bounded retries, so a slow dependency turns into a clear error page, not a hung request,
/// and [`aws_http_client`] (the Amazon roots compiled in, not the system trust store) for
/// every call the SDK makes.
pub async fn sdk_config(config: &Config) -> aws_config::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_timeout(config.aws_timeout)
        .operation_attempt_timeout(config.aws_timeout / 2)
        .connect_timeout(std::time::Duration::from_secs(2))
        .build();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(aws_http_client())
        .timeout_config(timeouts)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

/// The roots of trust of the SDK's HTTPS client, compiled into the binary: Amazon Root CA
/// 1–4 and Starfield Services Root Certificate Authority – G2, the roots that AWS service
/// endpoints chain to (Amazon Trust Services, <https://www.amazontrust.com/repository/>).
///
/// Why not the system trust store (the SDK's default): cold start. The default HTTPS client
/// loads it through `rustls-native-certs` while the SDK configuration is loaded, once per
/// process: it stats every entry of `/etc/ssl/certs` (292 here), reads the CA bundle, then
/// each of the 145 certificate files one by one, and parses them all. That was ~2.9 of the
/// 3.4 ms that loading `aws_config` cost a cold function here (`initprobe`, BENCHMARKS.md
/// §1: 3.4 ms before, 0.5 ms with this store). AWS service endpoints present certificates
/// that chain to Amazon Root CA 1–4; Starfield Services G2 cross-signs those (the path older
/// clients follow), so it stays as a fallback. Five roots parsed from memory when the first
/// connection is set up cost microseconds, and no file is opened.
///
/// Amazon Trust Services recommends exactly these five for a custom trust store (the
/// repository's "Trust Store and Pinning Recommendations"). If AWS ever adds a root (or
/// moves an endpoint to one not listed here), calls fail with a dispatch failure whose cause
/// is a TLS `invalid peer certificate: UnknownIssuer`. Then: download the new root's PEM from
/// the repository above, check the SHA-256 of its public key against the one published
/// there, save it under `shared/certs/`, and add it here and its hashes to
/// `tests::PUBLISHED_SPKI_SHA256` and `tests::CERT_SHA256` (the test checks that this list is
/// exactly those certificates). Only these roots are trusted: an HTTPS endpoint with another
/// chain (e.g. LocalStack's `https://` on `localhost.localstack.cloud`) is refused; local
/// runs use plain `http://`, which needs no trust store.
pub const AWS_TRUST_ROOTS: [(&str, &[u8]); 5] = [
    (
        "Amazon Root CA 1",
        include_bytes!("../certs/Amazon_Root_CA_1.pem"),
    ),
    (
        "Amazon Root CA 2",
        include_bytes!("../certs/Amazon_Root_CA_2.pem"),
    ),
    (
        "Amazon Root CA 3",
        include_bytes!("../certs/Amazon_Root_CA_3.pem"),
    ),
    (
        "Amazon Root CA 4",
        include_bytes!("../certs/Amazon_Root_CA_4.pem"),
    ),
    (
        "Starfield Services Root Certificate Authority - G2",
        include_bytes!("../certs/Starfield_Services_Root_Certificate_Authority_-_G2.pem"),
    ),
];

/// The HTTP client of every AWS call (SDK clients and the SDK's own credential and region
/// providers): the SDK's default stack (hyper 1 + rustls with aws-lc, the crypto that
/// `aws-config` already builds) with [`AWS_TRUST_ROOTS`] as its only trust anchors, native
/// roots off. Plain `http://` endpoints (LocalStack, `AWS_ENDPOINT_URL=http://127.0.0.1:4566`)
/// go through the same client without TLS.
///
/// Differences from the default client, for every binary that calls [`sdk_config`]
/// (`portale-admin` and the test tools too, not only the functions): it does not read
/// `HTTP(S)_PROXY`/`NO_PROXY` (the public builder has no proxy setting; Lambda sets none),
/// and neither `SSL_CERT_FILE`/`SSL_CERT_DIR` nor the system store is read, so a network
/// that intercepts TLS with its own CA cannot be used to reach AWS.
pub fn aws_http_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
    let trust_store = AWS_TRUST_ROOTS.iter().fold(
        TrustStore::empty().with_native_roots(false),
        |store, (_, pem)| store.with_pem_certificate(*pem),
    );
    let tls_context = TlsContext::builder()
        .with_trust_store(trust_store)
        .build()
        .expect("a TLS context of PEM roots");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls_context)
        .build_https()
}

impl App {
    /// Reads the environment and builds the AWS clients.
    pub async fn from_env() -> Result<App, ConfigError> {
        let config = Config::from_env()?;
        Ok(Self::aws(config, Arc::new(SystemClock)).await)
    }

    /// AWS-backed app with a chosen clock (the local gateway passes an `OffsetClock`). The
    /// SDK configuration and the clients are built by the first call that needs them
    /// (`LazyAws`), not at start: a page that makes no AWS call does not pay for them.
    pub async fn aws(config: Config, clock: Arc<dyn Clock>) -> App {
        let aws = Arc::new(LazyAws {
            config: config.clone(),
            clients: tokio::sync::OnceCell::new(),
        });
        let outbox: Arc<dyn Outbox> = Arc::new(LazyOutbox(aws.clone()));
        let secret = match &config.flow_secret {
            None => FlowSecret::absent(),
            Some(FlowSecretSource::Fixed(bytes)) => {
                FlowSecret::fixed(FlowKeys::fixed(bytes.clone()))
            }
            Some(FlowSecretSource::SecretsManager(id)) => {
                FlowSecret::fetched(Arc::new(LazySecret(aws.clone(), id.clone())), clock.clone())
            }
        };
        App {
            config,
            store: Arc::new(LazyStore(aws.clone())),
            outbox,
            clock,
            secret: Arc::new(secret),
        }
    }

    /// This app with its messages posted to `outbox`: tests wrap the outbox to count or fail
    /// posts.
    pub fn with_outbox(self, outbox: Arc<dyn Outbox>) -> App {
        App { outbox, ..self }
    }

    /// Fully in-memory app for unit tests and benchmarks: the outbox delivers each batch at
    /// once to the returned recorder.
    pub fn in_memory(
        config: Config,
    ) -> (App, Arc<MemoryStore>, Arc<MemoryNotifier>, Arc<OffsetClock>) {
        let store = Arc::new(MemoryStore::new());
        let notifier = Arc::new(MemoryNotifier::default());
        let clock = Arc::new(OffsetClock::default());
        let secret = Arc::new(fixed_secret(&config));
        let app = App {
            config,
            store: store.clone(),
            outbox: Arc::new(DirectOutbox(notifier.clone())),
            clock: clock.clone(),
            secret,
        };
        (app, store, notifier, clock)
    }

    pub fn now(&self) -> i64 {
        self.clock.epoch()
    }

    /// The flow keys this request uses to seal and hash (the current one) and to open and
    /// compare (current or previous). Fetched before they are used, never at start-up and
    /// never for a request that uses none (a first GET of the login page): by
    /// `web::runtime::entry` for a POST or a request carrying a sealed cookie, by the runner
    /// before a step ([`App::need_keys`]), by a page that signs something (step 1's slider);
    /// so this makes no call.
    ///
    /// # Panics
    /// In a function that was not given the secret (`FLOW_SECRET_ARN`): `engine::access`
    /// declares which functions read it, and the template gives it to exactly those.
    pub fn keys(&self) -> Arc<FlowKeys> {
        self.secret.note_use();
        self.secret
            .loaded()
            .expect("the flow secret is fetched before the handler (FLOW_SECRET_ARN set)")
    }

    /// Fetches the keys if this process has none yet or they are `secret::MAX_AGE_SECS` old.
    pub async fn ready_keys(&self) -> Result<Arc<FlowKeys>, SecretError> {
        self.secret.keys().await
    }

    /// [`App::ready_keys`] for a function given the secret (nothing for the others), before
    /// code that calls [`App::keys`]: a secret that cannot be read is a 503, not a panic.
    pub async fn need_keys(&self) -> Result<(), crate::WebError> {
        if !self.secret.is_configured() {
            return Ok(());
        }
        match self.ready_keys().await {
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, "flow secret unavailable");
                Err(crate::WebError::Unavailable(e.to_string()))
            }
        }
    }

    /// The keys to open a value sealed under key `id` (fetched again first if `id` is a
    /// newer version than this process has seen; the cached ones if that fails).
    pub async fn keys_for(&self, id: &str) -> Arc<FlowKeys> {
        match self.secret.keys_with(id).await {
            Ok(keys) => keys,
            Err(_) => self.keys(),
        }
    }
}

/// A memory app's flow secret: the configuration's fixed value, or the tests' one.
fn fixed_secret(config: &Config) -> FlowSecret {
    let bytes = match &config.flow_secret {
        Some(FlowSecretSource::Fixed(b)) => b.clone(),
        _ => crate::config::TEST_FLOW_SECRET.as_bytes().to_vec(),
    };
    FlowSecret::fixed(FlowKeys::fixed(bytes))
}

/// The flow secret in Secrets Manager, through the process's lazily built client.
struct LazySecret(Arc<LazyAws>, String);

#[async_trait::async_trait]
impl KeySource for LazySecret {
    async fn fetch(&self) -> Result<FlowKeys, SecretError> {
        store::secret::fetch_versions(&self.0.clients().await.2, &self.1).await
    }
}

/// The AWS clients of a process, built once, on first use. Loading the SDK configuration
/// costs ~0.5 ms in a cold process (3.4–4.4 ms before the trust store was compiled in, see
/// [`AWS_TRUST_ROOTS`]), which a request that makes no AWS call (a first visit to step 1)
/// should not pay.
struct LazyAws {
    config: Config,
    clients: tokio::sync::OnceCell<Clients>,
}

type Clients = (DynamoStore, SqsOutbox, aws_sdk_secretsmanager::Client);

impl LazyAws {
    async fn clients(&self) -> &Clients {
        self.clients
            .get_or_init(|| async {
                let c = &self.config;
                let sdk = sdk_config(c).await;
                let store =
                    DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), c.table_name.clone());
                let outbox = SqsOutbox {
                    sqs: aws_sdk_sqs::Client::new(&sdk),
                    queue_url: c.outbox_queue_url.clone(),
                };
                let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
                (store, outbox, secrets)
            })
            .await
    }
}

struct LazyStore(Arc<LazyAws>);

#[async_trait::async_trait]
impl Store for LazyStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.0.clients().await.0.get(key).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        self.0.clients().await.0.batch_get(keys).await
    }
    async fn put(&self, key: &Key, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
        self.0.clients().await.0.put(key, item, cond).await
    }
    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError> {
        self.0.clients().await.0.update(key, update, cond).await
    }
    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
        self.0.clients().await.0.delete(key, cond).await
    }
    async fn take(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.0.clients().await.0.take(key).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        self.0.clients().await.0.transact(ops).await
    }
    async fn query(&self, q: &Query) -> Result<Vec<(Key, Item)>, StoreError> {
        self.0.clients().await.0.query(q).await
    }
}

struct LazyOutbox(Arc<LazyAws>);

#[async_trait::async_trait]
impl Outbox for LazyOutbox {
    async fn post(&self, batch: Vec<Message>) -> Result<(), NotifyError> {
        self.0.clients().await.1.post(batch).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    use sha2::{Digest, Sha256};
    use std::io::{Read, Write};

    /// What <https://www.amazontrust.com/repository/> publishes for each root: the SHA-256 of
    /// its DER `SubjectPublicKeyInfo`.
    const PUBLISHED_SPKI_SHA256: [&str; 5] = [
        "fbe3018031f9586bcbf41727e417b7d1c45c2f47f93be372a17b96b50757d5a2",
        "7f4296fc5b6a4e3b35d3c369623e364ab1af381d8fa7121533c9d6c633ea2461",
        "36abc32656acfc645c61b71613c4bf21c787f5cabbee48348d58597803d7abc9",
        "f7ecded5c66047d28ed6466b543c40e0743abe81d109254dcf845d4c2c7853c5",
        "2b071c59a0a0ae76b0eadb2bad23bad4580b69c3601b630c2eaf0613afa83f92",
    ];

    /// SHA-256 of each self-signed certificate (DER), the fingerprints of the same roots in
    /// Mozilla's store (Debian's ca-certificates, which these files were copied from).
    const CERT_SHA256: [&str; 5] = [
        "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e",
        "1ba5b2aa8c65401a82960118f80bec4f62304d83cec4713a19c39c011ea46db4",
        "18ce6cfe7bf14e60b2e347b8dfe868cb31d02ebb3ada271569f50343b46db3a4",
        "e35d28419ed02025cfa69038cd623962458da5c695fbdea3c22b0bfb25897092",
        "568d6905a2c88708a4b3025190edcfedb1974a606a13c6e5290fcb2ae63edab5",
    ];

    /// The commonName of a DER `Name` (as in a trust anchor's `subject`): the string after
    /// the attribute type 2.5.4.3 (short-form lengths: these names are short).
    fn common_name(name: &[u8]) -> Option<&str> {
        const CN_OID: [u8; 5] = [0x06, 0x03, 0x55, 0x04, 0x03];
        let at = name.windows(CN_OID.len()).position(|w| w == CN_OID)? + CN_OID.len();
        let (tag, len) = (*name.get(at)?, *name.get(at + 1)? as usize);
        // UTF8String or PrintableString, short-form length.
        if !(tag == 0x0c || tag == 0x13) || len >= 0x80 {
            return None;
        }
        std::str::from_utf8(name.get(at + 2..at + 2 + len)?).ok()
    }

    /// A trust anchor keeps the value of `subjectPublicKeyInfo`; the published hash is over
    /// the whole DER SEQUENCE, so put its tag and length back.
    fn spki_sha256(spki_value: &[u8]) -> String {
        let len = spki_value.len();
        let mut der = vec![0x30];
        match len {
            0..=0x7f => der.push(len as u8),
            0x80..=0xff => der.extend([0x81, len as u8]),
            _ => der.extend([0x82, (len >> 8) as u8, len as u8]),
        }
        der.extend_from_slice(spki_value);
        hex::encode(Sha256::digest(&der))
    }

    #[test]
    fn trust_store_is_exactly_the_five_amazon_roots() {
        // Parsed as the SDK's rustls provider parses them (TlsContext::rustls_root_certs):
        // PEM -> DER -> a rustls trust anchor.
        let mut roots = rustls::RootCertStore::empty();
        for (i, (name, pem)) in AWS_TRUST_ROOTS.iter().enumerate() {
            let certs = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .unwrap_or_else(|e| panic!("{name}: PEM does not parse: {e:?}"));
            assert_eq!(certs.len(), 1, "{name}: one certificate per file");
            assert_eq!(
                hex::encode(Sha256::digest(&certs[0])),
                CERT_SHA256[i],
                "{name}"
            );
            roots
                .add(certs[0].clone())
                .unwrap_or_else(|e| panic!("{name}: not a usable trust anchor: {e}"));
            let anchor = roots.roots.last().expect("just added");
            assert_eq!(common_name(anchor.subject.as_ref()), Some(*name));
            assert_eq!(
                spki_sha256(anchor.subject_public_key_info.as_ref()),
                PUBLISHED_SPKI_SHA256[i],
                "{name}: not the key Amazon Trust Services publishes"
            );
        }
        assert_eq!(roots.len(), 5);
        let names: Vec<_> = roots
            .roots
            .iter()
            .filter_map(|r| common_name(r.subject.as_ref()))
            .collect();
        assert_eq!(
            names,
            [
                "Amazon Root CA 1",
                "Amazon Root CA 2",
                "Amazon Root CA 3",
                "Amazon Root CA 4",
                "Starfield Services Root Certificate Authority - G2",
            ]
        );
    }

    /// A one-request HTTP server on 127.0.0.1: reads one request, answers an empty JSON
    /// object (a DynamoDB GetItem that found nothing) and returns the request's head.
    fn one_shot_server() -> (std::net::SocketAddr, std::thread::JoinHandle<String>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let server = std::thread::spawn(move || {
            let (mut sock, _) = listener.accept().expect("accept");
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head_end, body_len) = loop {
                let n = sock.read(&mut chunk).expect("read");
                assert!(n > 0, "connection closed before the request's end");
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse::<usize>().expect("content-length"));
                    break (i + 4, len);
                }
            };
            while buf.len() < head_end + body_len {
                let n = sock.read(&mut chunk).expect("read body");
                assert!(n > 0, "connection closed inside the body");
                buf.extend_from_slice(&chunk[..n]);
            }
            sock.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n\
                  content-length: 2\r\n\r\n{}",
            )
            .expect("write");
            String::from_utf8_lossy(&buf[..head_end]).into_owned()
        });
        (addr, server)
    }

    /// LocalStack is reached over plain http://: the client with the compiled-in trust
    /// store must still make such calls.
    #[tokio::test]
    async fn aws_http_client_calls_plain_http_endpoints() {
        let (addr, server) = one_shot_server();
        let conf = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("eu-south-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .endpoint_url(format!("http://{addr}"))
            .http_client(aws_http_client())
            .build();
        let out = aws_sdk_dynamodb::Client::from_conf(conf)
            .get_item()
            .table_name("t")
            .key("pk", aws_sdk_dynamodb::types::AttributeValue::S("x".into()))
            .send()
            .await
            .expect("GetItem over http://");
        assert!(out.item.is_none());
        let head = server.join().expect("server thread");
        assert!(head.starts_with("POST / HTTP/1.1"), "{head}");
        assert!(head.contains("DynamoDB_20120810.GetItem"), "{head}");
    }
}
