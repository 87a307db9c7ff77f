//! The flow secret (the key of sealed flow cookies, OTP hashes and slider challenges): read
//! at first use from AWS Secrets Manager, never from the environment (a function gets only
//! `FLOW_SECRET_ARN`, the secret's name), cached per process, with the previous version
//! accepted for an overlap.
//!
//! - **Versions.** Secrets Manager keeps `AWSCURRENT` and, after a rotation
//!   (`put-secret-value`), the version before it as `AWSPREVIOUS`. [`FlowKeys`] holds both:
//!   new values are sealed / hashed with the current key, and opened / compared with either.
//!   Each sealed value and stored hash names its key by a short id ([`FlowKey::id`], an HMAC
//!   of the key: it tells nothing about it), so the right key is tried, not every one.
//! - **Cache.** A process fetches the two versions on first use and keeps them
//!   [`MAX_AGE_SECS`]; a value that names a key the cache does not know (sealed by a process
//!   that already saw a newer rotation) makes it fetch again at once, at most every
//!   [`MIN_REFETCH_SECS`] (a forged id cannot make it call Secrets Manager per request). If a
//!   fetch fails while keys are cached, the cached keys go on serving (logged).
//! - **What a rotation voids.** One rotation voids nothing in flight: values sealed under
//!   the old key open with it as `AWSPREVIOUS`. A value two rotations old is void: a flow
//!   cookie (the flow's "expired" page), a code (counted as a wrong guess), a slider
//!   challenge ("la verifica è scaduta"). Link tokens, sessions and flow records are keyed by
//!   SHA-256 of 256-bit random values and need no key: no rotation touches them.

use domain::clock::Clock;
use domain::crypto;
use std::sync::{Arc, RwLock};

/// How long a process keeps the keys it fetched before fetching again: after a rotation,
/// a process seals with the old key at most this long (the old key stays valid as
/// `AWSPREVIOUS` everywhere until the next rotation).
pub const MAX_AGE_SECS: i64 = 5 * 60;
/// The shortest interval between two fetches caused by an unknown key id.
pub const MIN_REFETCH_SECS: i64 = 10;
/// The shortest secret accepted (as `FLOW_SECRET` before it).
pub const MIN_LEN: usize = 32;
/// Length of a key id (hex digits).
pub const ID_LEN: usize = 8;

/// One version of the secret. Its bytes are never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct FlowKey {
    id: String,
    bytes: Vec<u8>,
}

impl FlowKey {
    pub fn new(bytes: impl Into<Vec<u8>>) -> FlowKey {
        let bytes = bytes.into();
        let id = crypto::keyed_hash(&bytes, "flow-key-id")[..ID_LEN].to_owned();
        FlowKey { id, bytes }
    }
    /// The key's id: `ID_LEN` hex digits of HMAC(key, "flow-key-id").
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl std::fmt::Debug for FlowKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FlowKey({}, ***)", self.id)
    }
}

/// The current key and, after a rotation, the previous one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowKeys {
    current: FlowKey,
    previous: Option<FlowKey>,
}

impl FlowKeys {
    pub fn new(current: FlowKey, previous: Option<FlowKey>) -> FlowKeys {
        let previous = previous.filter(|p| p.id != current.id);
        FlowKeys { current, previous }
    }
    /// One fixed key (tests, in-memory apps).
    pub fn fixed(bytes: impl Into<Vec<u8>>) -> FlowKeys {
        FlowKeys::new(FlowKey::new(bytes), None)
    }
    /// What new values are sealed and hashed with.
    pub fn current(&self) -> &FlowKey {
        &self.current
    }
    /// The key named `id`, if it is the current or the previous one.
    pub fn get(&self, id: &str) -> Option<&FlowKey> {
        self.all().find(|k| k.id == id)
    }
    /// The current key, then the previous one.
    pub fn all(&self) -> impl Iterator<Item = &FlowKey> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }
}

/// Where a configuration takes the flow secret from.
#[derive(Clone, PartialEq, Eq)]
pub enum FlowSecretSource {
    /// The name or ARN of a Secrets Manager secret (`FLOW_SECRET_ARN`).
    SecretsManager(String),
    /// A value in memory: tests and in-memory apps only, never read from the environment.
    Fixed(Vec<u8>),
}

impl std::fmt::Debug for FlowSecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlowSecretSource::SecretsManager(id) => write!(f, "SecretsManager({id})"),
            FlowSecretSource::Fixed(_) => write!(f, "Fixed(***)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("this function is not given the flow secret (FLOW_SECRET_ARN)")]
    NotConfigured,
    #[error("the flow secret could not be read: {0}")]
    Unavailable(String),
    #[error("the flow secret is shorter than {MIN_LEN} bytes")]
    TooShort,
}

/// Fetches the current and previous versions of the secret.
#[async_trait::async_trait]
pub trait KeySource: Send + Sync {
    async fn fetch(&self) -> Result<FlowKeys, SecretError>;
}

/// A secret value as a key, if long enough.
pub fn key_of(value: &str) -> Result<FlowKey, SecretError> {
    if value.len() < MIN_LEN {
        return Err(SecretError::TooShort);
    }
    Ok(FlowKey::new(value.as_bytes()))
}

struct Cached {
    keys: Arc<FlowKeys>,
    fetched_at: i64,
}

/// A process's flow secret: its source and what it fetched.
pub struct FlowSecret {
    source: Option<Arc<dyn KeySource>>,
    clock: Arc<dyn Clock>,
    cached: RwLock<Option<Cached>>,
    /// Held while fetching: concurrent requests of one process wait for one fetch.
    fetching: tokio::sync::Mutex<()>,
    /// How often a handler used the keys (`note_use`): tests check which functions do.
    uses: std::sync::atomic::AtomicUsize,
}

impl FlowSecret {
    /// Keys that never change (tests, in-memory apps).
    pub fn fixed(keys: FlowKeys) -> FlowSecret {
        FlowSecret {
            source: None,
            clock: Arc::new(domain::clock::SystemClock),
            cached: RwLock::new(Some(Cached {
                keys: Arc::new(keys),
                fetched_at: i64::MAX,
            })),
            fetching: tokio::sync::Mutex::new(()),
            uses: Default::default(),
        }
    }

    /// No secret: a function that needs none (send-messages).
    pub fn absent() -> FlowSecret {
        FlowSecret {
            source: None,
            clock: Arc::new(domain::clock::SystemClock),
            cached: RwLock::new(None),
            fetching: tokio::sync::Mutex::new(()),
            uses: Default::default(),
        }
    }

    /// Keys fetched from `source` at first use, again after `MAX_AGE_SECS` of `clock`.
    pub fn fetched(source: Arc<dyn KeySource>, clock: Arc<dyn Clock>) -> FlowSecret {
        FlowSecret {
            source: Some(source),
            clock,
            cached: RwLock::new(None),
            fetching: tokio::sync::Mutex::new(()),
            uses: Default::default(),
        }
    }

    /// Counts a use of the keys by a handler (`App::keys`, `App::keys_for`, OTP checks).
    pub fn note_use(&self) {
        self.uses.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The uses counted so far.
    pub fn uses(&self) -> usize {
        self.uses.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// True when this process has a secret to use (fixed, or a source to fetch it from).
    pub fn is_configured(&self) -> bool {
        self.source.is_some() || self.loaded().is_some()
    }

    /// The keys fetched so far, if any (no I/O).
    pub fn loaded(&self) -> Option<Arc<FlowKeys>> {
        self.cached
            .read()
            .expect("flow secret lock")
            .as_ref()
            .map(|c| c.keys.clone())
    }

    fn fetched_at(&self) -> Option<i64> {
        self.cached
            .read()
            .expect("flow secret lock")
            .as_ref()
            .map(|c| c.fetched_at)
    }

    /// The keys: fetched at first use, and again once older than `MAX_AGE_SECS`.
    pub async fn keys(&self) -> Result<Arc<FlowKeys>, SecretError> {
        let now = self.clock.epoch();
        match (self.loaded(), self.fetched_at()) {
            (Some(keys), Some(at)) if self.source.is_none() || now - at < MAX_AGE_SECS => Ok(keys),
            _ => {
                self.refetch(|at| at.is_none_or(|t| now - t >= MAX_AGE_SECS))
                    .await
            }
        }
    }

    /// The keys, fetched again first if none of them is `id` (a value sealed after a
    /// rotation this process has not seen yet) and the last fetch is `MIN_REFETCH_SECS` old.
    pub async fn keys_with(&self, id: &str) -> Result<Arc<FlowKeys>, SecretError> {
        self.note_use();
        let keys = self.keys().await?;
        if keys.get(id).is_some() || self.source.is_none() || id.len() != ID_LEN {
            return Ok(keys);
        }
        let now = self.clock.epoch();
        self.refetch(|at| at.is_none_or(|t| now - t >= MIN_REFETCH_SECS))
            .await
    }

    /// Fetches if `due(last fetch)` still holds once this caller holds the fetch lock (a
    /// request that waited for another's fetch uses its result).
    async fn refetch(
        &self,
        due: impl Fn(Option<i64>) -> bool,
    ) -> Result<Arc<FlowKeys>, SecretError> {
        let Some(source) = &self.source else {
            return self.loaded().ok_or(SecretError::NotConfigured);
        };
        let _one = self.fetching.lock().await;
        if !due(self.fetched_at()) {
            return self.loaded().ok_or(SecretError::NotConfigured);
        }
        let now = self.clock.epoch();
        match source.fetch().await {
            Ok(keys) => {
                let keys = Arc::new(keys);
                *self.cached.write().expect("flow secret lock") = Some(Cached {
                    keys: keys.clone(),
                    fetched_at: now,
                });
                Ok(keys)
            }
            Err(e) => match self.loaded() {
                Some(keys) => {
                    tracing::warn!(error = %e, "flow secret not fetched again; the cached keys go on");
                    // Try again after MIN_REFETCH_SECS, not at every request.
                    if let Some(c) = self.cached.write().expect("flow secret lock").as_mut() {
                        c.fetched_at = c.fetched_at.max(now - MAX_AGE_SECS + MIN_REFETCH_SECS);
                    }
                    Ok(keys)
                }
                None => Err(e),
            },
        }
    }
}

/// The secret in AWS Secrets Manager: `AWSCURRENT` and `AWSPREVIOUS` (absent before the
/// first rotation), two `GetSecretValue` calls made together.
pub struct SecretsManagerSource {
    pub client: aws_sdk_secretsmanager::Client,
    pub secret_id: String,
}

#[async_trait::async_trait]
impl KeySource for SecretsManagerSource {
    async fn fetch(&self) -> Result<FlowKeys, SecretError> {
        fetch_versions(&self.client, &self.secret_id).await
    }
}

/// `AWSCURRENT` and `AWSPREVIOUS` of `secret_id`, two `GetSecretValue` calls made together.
pub async fn fetch_versions(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<FlowKeys, SecretError> {
    use crate::aws_error::AwsFailure;
    let stage = |s: &'static str| {
        client
            .get_secret_value()
            .secret_id(secret_id)
            .version_stage(s)
            .send()
    };
    let (current, previous) = tokio::join!(stage("AWSCURRENT"), stage("AWSPREVIOUS"));
    let current = current.map_err(|e| SecretError::Unavailable(e.code()))?;
    let current = key_of(current.secret_string().unwrap_or_default())?;
    let previous = match previous {
        Ok(out) => key_of(out.secret_string().unwrap_or_default()).ok(),
        // No AWSPREVIOUS before the first rotation.
        Err(e) if e.code() == "ResourceNotFoundException" => None,
        Err(e) => return Err(SecretError::Unavailable(e.code())),
    };
    Ok(FlowKeys::new(current, previous))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::clock::OffsetClock;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// A Secrets Manager stand-in: `rotate` puts a new current value, the old one previous.
    struct Fake {
        versions: Mutex<Vec<String>>,
        fetches: AtomicUsize,
        failing: std::sync::atomic::AtomicBool,
    }

    impl Fake {
        fn new(first: &str) -> Arc<Fake> {
            Arc::new(Fake {
                versions: Mutex::new(vec![first.to_owned()]),
                fetches: AtomicUsize::new(0),
                failing: Default::default(),
            })
        }
        fn rotate(&self, to: &str) {
            self.versions.lock().unwrap().push(to.to_owned());
        }
        fn fetches(&self) -> usize {
            self.fetches.load(Ordering::SeqCst)
        }
    }

    #[async_trait::async_trait]
    impl KeySource for Fake {
        async fn fetch(&self) -> Result<FlowKeys, SecretError> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            if self.failing.load(Ordering::SeqCst) {
                return Err(SecretError::Unavailable("down".into()));
            }
            let v = self.versions.lock().unwrap();
            let current = key_of(v.last().unwrap())?;
            let previous = v.len().checked_sub(2).map(|i| key_of(&v[i]).unwrap());
            Ok(FlowKeys::new(current, previous))
        }
    }

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccccccc";

    fn id(v: &str) -> String {
        FlowKey::new(v.as_bytes()).id().to_owned()
    }

    #[tokio::test]
    async fn fetched_once_then_cached_then_again_after_max_age() {
        let (fake, clock) = (Fake::new(A), Arc::new(OffsetClock::default()));
        let secret = FlowSecret::fetched(fake.clone(), clock.clone());
        assert!(
            secret.loaded().is_none(),
            "nothing fetched before first use"
        );
        let keys = secret.keys().await.unwrap();
        assert_eq!(keys.current().id(), id(A));
        assert_eq!(keys.all().count(), 1, "no previous before a rotation");
        secret.keys().await.unwrap();
        assert_eq!(fake.fetches(), 1, "cached");
        fake.rotate(B);
        clock.advance(MAX_AGE_SECS - 1);
        assert_eq!(
            secret.keys().await.unwrap().current().id(),
            id(A),
            "still cached"
        );
        clock.advance(1);
        let keys = secret.keys().await.unwrap();
        assert_eq!((keys.current().id(), fake.fetches()), (id(B).as_str(), 2));
        assert_eq!(
            keys.get(&id(A)).map(FlowKey::bytes),
            Some(A.as_bytes()),
            "previous kept"
        );
    }

    #[tokio::test]
    async fn an_unknown_key_id_fetches_again_at_once_but_not_at_every_request() {
        let (fake, clock) = (Fake::new(A), Arc::new(OffsetClock::default()));
        let secret = FlowSecret::fetched(fake.clone(), clock.clone());
        secret.keys().await.unwrap();
        clock.advance(MIN_REFETCH_SECS);
        fake.rotate(B);
        // Another process already seals with B: this one meets B's id and fetches.
        let keys = secret.keys_with(&id(B)).await.unwrap();
        assert_eq!((keys.current().id(), fake.fetches()), (id(B).as_str(), 2));
        assert!(keys.get(&id(A)).is_some(), "A still opens as AWSPREVIOUS");
        // A forged id: one fetch at most every MIN_REFETCH_SECS.
        for _ in 0..5 {
            assert!(secret
                .keys_with("0badc0de")
                .await
                .unwrap()
                .get("0badc0de")
                .is_none());
        }
        assert_eq!(fake.fetches(), 2);
        clock.advance(MIN_REFETCH_SECS);
        secret.keys_with("0badc0de").await.unwrap();
        assert_eq!(fake.fetches(), 3);
        // Known ids never fetch.
        secret.keys_with(&id(A)).await.unwrap();
        assert_eq!(fake.fetches(), 3);
    }

    #[tokio::test]
    async fn two_rotations_void_the_oldest_key() {
        let (fake, clock) = (Fake::new(A), Arc::new(OffsetClock::default()));
        let secret = FlowSecret::fetched(fake.clone(), clock.clone());
        secret.keys().await.unwrap();
        fake.rotate(B);
        fake.rotate(C);
        clock.advance(MAX_AGE_SECS);
        let keys = secret.keys_with(&id(A)).await.unwrap();
        assert_eq!(keys.current().id(), id(C));
        assert!(keys.get(&id(B)).is_some());
        assert!(keys.get(&id(A)).is_none(), "two rotations ago: void");
    }

    #[tokio::test]
    async fn a_failed_fetch_keeps_the_cached_keys_and_a_first_one_is_an_error() {
        let (fake, clock) = (Fake::new(A), Arc::new(OffsetClock::default()));
        let secret = FlowSecret::fetched(fake.clone(), clock.clone());
        fake.failing.store(true, Ordering::SeqCst);
        assert!(matches!(
            secret.keys().await,
            Err(SecretError::Unavailable(_))
        ));
        fake.failing.store(false, Ordering::SeqCst);
        secret.keys().await.unwrap();
        fake.failing.store(true, Ordering::SeqCst);
        clock.advance(MAX_AGE_SECS);
        assert_eq!(secret.keys().await.unwrap().current().id(), id(A));
        let n = fake.fetches();
        secret.keys().await.unwrap();
        assert_eq!(
            fake.fetches(),
            n,
            "the failure is not retried at every request"
        );
    }

    #[test]
    fn keys_are_never_printed_and_short_values_refused() {
        let keys = FlowKeys::fixed(A.as_bytes());
        assert!(!format!("{keys:?}").contains("aaaa"));
        assert!(!format!("{:?}", FlowSecretSource::Fixed(A.into())).contains("aaaa"));
        assert_eq!(key_of("short"), Err(SecretError::TooShort));
        assert_eq!(id(A).len(), ID_LEN);
        assert_ne!(id(A), id(B));
    }

    #[tokio::test]
    async fn absent_and_fixed() {
        let absent = FlowSecret::absent();
        assert!(!absent.is_configured());
        assert_eq!(absent.keys().await, Err(SecretError::NotConfigured));
        let fixed = FlowSecret::fixed(FlowKeys::fixed(A.as_bytes()));
        assert!(fixed.is_configured());
        assert_eq!(
            fixed.keys_with("0badc0de").await.unwrap().current().id(),
            id(A)
        );
    }
}
