//! (h) The declaration against the code. The real handlers run in-process, the way the
//! local gateway calls them, on a memory store that records every item access (no
//! LocalStack): a registration, a login with a wrong password, a resent code, the private
//! page, logout, and the three recovery modes with a password reset. Every access must be
//! allowed by the function's row of `engine::access` (test (e), in `table`, ties the row to the
//! role), so a handler that starts to touch a new prefix, or to write where it only read,
//! fails here instead of with AccessDenied in AWS. A row may grant more than this walk
//! exercises (error paths), never less. Likewise every function that posts to the outbox
//! (through `App::outbox`, its one way to send) must be a poster of `access::MESSAGING`.

use domain::clock::OffsetClock;
use domain::routes;
use domain::{CodiceFiscaleEnte, MobileNumber};
use e2e::register::{CF, ENTE, PASSWORD};
use e2e::Page;
use engine::access::{self, Action};
use engine::config::Config;
use engine::App;
use notify::memory::{MemoryNotifier, Sent};
use notify::{DirectOutbox, Message, NotifyError, Outbox};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use store::memory::MemoryStore;
use store::{consent_log, lines, Cond, Item, Key, Query, Store, StoreError, TxOp, Update};

/// One authorisation AWS makes: an IAM action with the partition keys of its request
/// (`dynamodb:LeadingKeys`, multi-valued). A BatchGetItem is one request with every key
/// of the batch; each item of a TransactWriteItems is its own request, authorised as
/// the PutItem / UpdateItem / DeleteItem / ConditionCheckItem it carries (DynamoDB
/// Developer Guide, "Using IAM with DynamoDB transactions"); a Query is its partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Request {
    pub(crate) action: Action,
    /// Sorted, without repeats.
    pub(crate) pks: Vec<String>,
}

/// A memory store that notes (IAM action, pk) of every access, failed ones too (IAM
/// authorises before the condition is evaluated), and every request as AWS authorises it.
#[derive(Default)]
struct Recorder {
    inner: MemoryStore,
    log: Mutex<Vec<(Action, String)>>,
    requests: Mutex<Vec<Request>>,
}

impl Recorder {
    fn note(&self, a: Action, k: &Key) {
        self.log.lock().unwrap().push((a, k.pk.clone()));
        self.request(a, [k]);
    }

    fn request<'k>(&self, action: Action, keys: impl IntoIterator<Item = &'k Key>) {
        let pks: BTreeSet<String> = keys.into_iter().map(|k| k.pk.clone()).collect();
        let pks = pks.into_iter().collect();
        self.requests.lock().unwrap().push(Request { action, pks });
    }
}

#[async_trait::async_trait]
impl Store for Recorder {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.note(Action::GetItem, key);
        self.inner.get(key).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        for k in keys {
            self.log
                .lock()
                .unwrap()
                .push((Action::BatchGetItem, k.pk.clone()));
        }
        self.request(Action::BatchGetItem, keys);
        self.inner.batch_get(keys).await
    }
    async fn put(&self, key: &Key, item: Item, cond: Option<Cond>) -> Result<(), StoreError> {
        self.note(Action::PutItem, key);
        self.inner.put(key, item, cond).await
    }
    async fn update(
        &self,
        key: &Key,
        update: Update,
        cond: Option<Cond>,
    ) -> Result<Item, StoreError> {
        self.note(Action::UpdateItem, key);
        self.inner.update(key, update, cond).await
    }
    async fn delete(&self, key: &Key, cond: Option<Cond>) -> Result<(), StoreError> {
        self.note(Action::DeleteItem, key);
        self.inner.delete(key, cond).await
    }
    async fn take(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.note(Action::DeleteItem, key);
        self.inner.take(key).await
    }
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), StoreError> {
        for op in &ops {
            match op {
                TxOp::Put { key, .. } => self.note(Action::PutItem, key),
                TxOp::Update { key, .. } => self.note(Action::UpdateItem, key),
                TxOp::Delete { key, .. } => self.note(Action::DeleteItem, key),
                TxOp::Check { key, .. } => self.note(Action::ConditionCheckItem, key),
            }
        }
        self.inner.transact(ops).await
    }
    async fn query(&self, q: &Query) -> Result<Vec<(Key, Item)>, StoreError> {
        self.log.lock().unwrap().push((Action::Query, q.pk.clone()));
        let pks = vec![q.pk.clone()];
        self.requests.lock().unwrap().push(Request {
            action: Action::Query,
            pks,
        });
        self.inner.query(q).await
    }
}

/// One browser driving the handlers directly: cookies, redirects, the edge headers.
/// Counts the posts (the batches delivered at once to the memory notifier).
struct Posts {
    inner: DirectOutbox,
    count: AtomicUsize,
}

#[async_trait::async_trait]
impl Outbox for Posts {
    async fn post(&self, batch: Vec<Message>) -> Result<(), NotifyError> {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.inner.post(batch).await
    }
}

pub(crate) struct Browser {
    app: &'static App,
    store: Arc<Recorder>,
    sent: Arc<MemoryNotifier>,
    posts: Arc<Posts>,
    /// The functions that posted to the outbox.
    posters: BTreeSet<&'static str>,
    /// The functions that used the flow secret (`store::secret`).
    secret_readers: BTreeSet<&'static str>,
    clock: Arc<OffsetClock>,
    jar: e2e::memory::Jar,
    /// function → the accesses it made.
    seen: BTreeMap<&'static str, BTreeSet<(Action, String)>>,
    /// function → the requests it made, as AWS authorises them.
    pub(crate) requests: BTreeMap<&'static str, BTreeSet<Request>>,
    /// The (method, path) of every route the walk requested.
    pub(crate) visited: BTreeSet<(String, String)>,
}

fn encode(fields: &[(String, String)]) -> String {
    let mut u = reqwest::Url::parse("http://x/").unwrap();
    u.query_pairs_mut().extend_pairs(fields);
    u.query().unwrap_or_default().to_owned()
}

impl Browser {
    fn new() -> Browser {
        let store = Arc::new(Recorder::default());
        let sent = Arc::new(MemoryNotifier::default());
        let posts = Arc::new(Posts {
            inner: DirectOutbox(sent.clone()),
            count: AtomicUsize::new(0),
        });
        let clock = Arc::new(OffsetClock::default());
        let app = Box::leak(Box::new(App {
            config: Config::for_tests(),
            store: store.clone(),
            outbox: posts.clone(),
            clock: clock.clone(),
            secret: Arc::new(store::secret::FlowSecret::fixed(
                store::secret::FlowKeys::fixed(engine::config::TEST_FLOW_SECRET),
            )),
        }));
        Browser {
            app,
            store,
            sent,
            posts,
            posters: BTreeSet::new(),
            secret_readers: BTreeSet::new(),
            clock,
            jar: Default::default(),
            seen: BTreeMap::new(),
            requests: BTreeMap::new(),
            visited: BTreeSet::new(),
        }
    }

    async fn go(&mut self, method: &str, target: &str, form: &[(String, String)]) -> Page {
        let (mut method, mut target, mut body) =
            (method.to_owned(), target.to_owned(), encode(form));
        loop {
            let path = target.split('?').next().unwrap_or_default().to_owned();
            let Some(function) = e2e::memory::function_for(&method, &target) else {
                return Page {
                    status: 404,
                    path,
                    html: String::new(),
                };
            };
            self.visited.insert((method.clone(), path.clone()));
            let form = std::mem::take(&mut body).into_bytes();
            let headers = [(
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            )];
            let posted = self.posts.count.load(Ordering::SeqCst);
            let used = self.app.secret.uses();
            let (cookies, app) = (self.jar.header(), self.app);
            let sent = e2e::memory::send(
                app,
                &method,
                &target,
                "198.51.100.7",
                &cookies,
                &headers,
                form.into(),
            );
            let resp = sent.await.expect("a route");
            let log = std::mem::take(&mut *self.store.log.lock().unwrap());
            self.seen.entry(function).or_default().extend(log);
            let requests = std::mem::take(&mut *self.store.requests.lock().unwrap());
            self.requests.entry(function).or_default().extend(requests);
            if self.posts.count.load(Ordering::SeqCst) > posted {
                self.posters.insert(function);
            }
            if self.app.secret.uses() > used {
                self.secret_readers.insert(function);
            }
            self.jar.absorb(&resp);
            let status = resp.status().as_u16();
            if (300..400).contains(&status) {
                target = resp.headers()["location"].to_str().unwrap().to_owned();
                method = "GET".into();
                continue;
            }
            let html = e2e::memory::text(&resp);
            return Page { status, path, html };
        }
    }

    async fn get(&mut self, target: &str) -> Page {
        self.go("GET", target, &[]).await
    }

    /// Submits the page's form that has a `marker` field, as `Portal::submit` does.
    async fn submit(&mut self, page: &Page, marker: &str, overrides: &[(&str, &str)]) -> Page {
        let mut fields: Vec<(String, String)> = page
            .form_fields(marker)
            .into_iter()
            .filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k))
            .collect();
        fields.extend(
            overrides
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let action = page.form_action(marker);
        if page.form_method(marker) == "get" {
            self.get(&format!("{action}?{}", encode(&fields))).await
        } else {
            self.go("POST", &action, &fields).await
        }
    }

    fn last_code(&self, to: &str) -> String {
        e2e::memory::last_code(&self.sent, to)
    }

    /// The path and query of the latest emailed link to `path`.
    fn last_link(&self, to: &str, path: &str) -> String {
        let base = format!("{}{path}", self.app.config.public_base_url);
        let sent = self.sent.sent.lock().unwrap();
        sent.iter()
            .rev()
            .find_map(|s| match s {
                Sent::Email(m) if m.to == to => m
                    .text
                    .split_whitespace()
                    .find(|w| w.starts_with(&base))
                    .map(str::to_owned),
                _ => None,
            })
            .expect("an emailed link")
            .trim_start_matches(&self.app.config.public_base_url)
            .to_owned()
    }

    async fn code_step(&mut self, page: Page, to: &str) -> Page {
        assert!(
            page.html.contains("name=\"codice\""),
            "{}: {}",
            page.path,
            page.html
        );
        let code = self.last_code(to);
        self.submit(&page, "codice", &[("codice", &code)]).await
    }

    /// A whole registration with "INVIA DI NUOVO" on the code page, PROSEGUI if the
    /// number is already registered, and at step 4 `email` saved, then `change_to`.
    async fn register(&mut self, e164: &str, email: &str, change_to: &str) {
        let page = self.get(routes::REGISTER_NUMBER).await;
        self.clock.advance(3);
        let page = self
            .submit(&page, "numero", &[("numero", e164), ("conferma", "100")])
            .await;
        self.clock.advance(31);
        let page = self.submit(&page, "azione", &[]).await;
        let page = self.code_step(page, e164).await;
        let mut page = self
            .submit(
                &page,
                "nome",
                &[
                    ("nome", "Mario"),
                    ("cognome", "Rossi"),
                    ("cf_personale", CF),
                ],
            )
            .await;
        if page.html.contains("value=\"prosegui\"") {
            page = self.submit(&page, "azione", &[]).await;
        }
        self.submit(&page, "email", &[("email", email)]).await;
        let page = self
            .get(&format!("{}?modifica=email", routes::REGISTER_EMAIL))
            .await;
        let page = self.submit(&page, "email", &[("email", change_to)]).await;
        let page = self.submit(&page, "azione", &[]).await;
        assert_eq!(page.path, routes::REGISTER_EMAIL, "{}", page.html);
        let link = self.last_link(change_to, routes::CONFIRM_EMAIL);
        let mut page = self.get(&link).await;
        if page.html.contains("name=\"t\"") {
            page = self.submit(&page, "t", &[]).await; // the link's page asks for a click
        }
        assert_eq!(page.status, 200, "{}", page.html);
        let page = self.get(routes::REGISTER_PASSWORD).await;
        let fields = [
            ("password", PASSWORD),
            ("conferma_password", PASSWORD),
            ("termini", "si"),
            ("privacy", "si"),
        ];
        let page = self.submit(&page, "password", &fields).await;
        assert_eq!(page.path, routes::REGISTER_DONE, "{}", page.html);
    }
}

/// The walk: every function run on the recording store (see the module's comment).
pub(crate) async fn walk() -> Browser {
    let mut b = Browser::new();
    let (e164, email) = ("+393331234567", "mario.rossi@example.it");
    let number = MobileNumber::parse(e164).unwrap();
    let line = lines::Line {
        number,
        entity_cf: CodiceFiscaleEnte::parse(ENTE).unwrap(),
        ragione_sociale: "COMUNE DI PROVA".into(),
        active: true,
        // A referente: the walk also lists the entity's lines.
        profile: store::lines::Profile::Referente,
    };
    lines::upsert(&b.store.inner, &line).await.unwrap();

    b.register(e164, "prima@example.it", email).await;

    // The same person from another line of the entity (PROSEGUI on a registration found
    // by person only): a wrong code, a new request, then the old owner's link.
    let other = "+393339876543";
    let other_line = lines::Line {
        number: MobileNumber::parse(other).unwrap(),
        ..line.clone()
    };
    lines::upsert(&b.store.inner, &other_line).await.unwrap();
    let page = b.get(routes::REGISTER_NUMBER).await;
    b.clock.advance(3);
    let page = b
        .submit(&page, "numero", &[("numero", other), ("conferma", "100")])
        .await;
    let page = b.code_step(page, other).await;
    let fields = [
        ("nome", "Mario"),
        ("cognome", "Rossi"),
        ("cf_personale", CF),
    ];
    let page = b.submit(&page, "nome", &fields).await;
    let page = b.submit(&page, "azione", &[("azione", "prosegui")]).await;
    assert!(page.html.contains("name=\"codice\""), "{}", page.html);
    let page = b.submit(&page, "codice", &[("codice", "000000")]).await;
    b.clock.advance(31);
    b.submit(&page, "azione", &[("azione", "invia-di-nuovo")])
        .await;
    let page = b.get(&b.last_link(email, routes::CONFIRM_CEASE)).await;
    let page = b.submit(&page, "t", &[]).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let page = b.get(routes::REGISTER_PROFILE).await;
    assert_eq!(page.path, routes::REGISTER_EMAIL, "{}", page.html);

    // Login: a wrong password, the right one, a resent code, the private pages, logout.
    let page = b.get(routes::LOGIN).await;
    let page = b
        .submit(
            &page,
            "username",
            &[("username", email), ("password", "Sbagliata-123!")],
        )
        .await;
    assert_eq!(page.status, 401);
    let page = b
        .submit(
            &page,
            "username",
            &[("username", email), ("password", PASSWORD)],
        )
        .await;
    b.clock.advance(31);
    let page = b.submit(&page, "azione", &[]).await;
    let page = b.code_step(page, e164).await;
    assert_eq!(page.path, routes::ACCOUNT, "{}", page.html);
    let page = b
        .get(&format!("{}?numero=333", routes::ACCOUNT_LINES))
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    // Passkeys (issue 24): NON ORA on the home's offer; one created; after ESCI a login by
    // passkey (its options, its assertion) and the same assertion replayed (refused).
    b.go("POST", routes::ACCOUNT_PASSKEY_DISMISS, &[]).await;
    let mut device = e2e::passkey::Authenticator::new(&b.app.config.passkey.origin);
    let page = b.go("POST", routes::ACCOUNT_PASSKEY_NEW, &[]).await;
    let options = page_script(&page.html, "passkey-creation");
    let made = device
        .create(&options)
        .expect("the authenticator makes a passkey");
    let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let ceremony = e2e::passkey::ceremony_of(&options);
    let fields = form(&[
        ("cerimonia", &ceremony),
        ("credenziale", &made),
        ("nome", ""),
    ]);
    let page = b
        .go("POST", routes::ACCOUNT_PASSKEY_REGISTER, &fields)
        .await;
    assert_eq!(page.path, routes::ACCOUNT_PASSKEYS, "{}", page.html);
    b.go("POST", routes::LOGOUT, &[]).await;
    let options = b.go("POST", routes::LOGIN_PASSKEY_OPTIONS, &[]).await.html;
    let assertion = device.get(&options).expect("the authenticator signs");
    let ceremony = e2e::passkey::ceremony_of(&options);
    let fields = form(&[("cerimonia", &ceremony), ("credenziale", &assertion)]);
    let page = b.go("POST", routes::LOGIN_PASSKEY, &fields).await;
    assert_eq!(page.path, routes::ACCOUNT, "{}", page.html);
    b.go("POST", routes::LOGOUT, &[]).await;
    let page = b.go("POST", routes::LOGIN_PASSKEY, &fields).await;
    assert_eq!(page.status, 401, "a replayed ceremony: {}", page.html);
    let page = b.go("POST", routes::LOGIN_PASSKEY, &fields).await;
    assert_eq!(page.status, 401);
    let page = b.get(routes::LOGIN).await;
    let page = b
        .submit(
            &page,
            "username",
            &[("username", email), ("password", PASSWORD)],
        )
        .await;
    let page = b.code_step(page, e164).await;
    assert_eq!(page.path, routes::ACCOUNT, "{}", page.html);

    b.get(routes::LOGOUT).await;
    let page = b.go("POST", routes::LOGOUT, &[]).await;
    assert_eq!(page.path, routes::LOGIN);

    // Recovery (an hour later: the number's SMS cap is spent): mode 1, mode 2, then
    // mode 3 through the code, the link, its code and a new password.
    b.clock.advance(3600);
    let who = [("numero", e164), ("cf_personale", CF)];
    let form = |mode: &str, extra: &[(&str, &str)]| {
        let mut f = vec![("modalita".to_owned(), mode.to_owned())];
        f.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        f
    };
    b.go("POST", routes::RECOVER, &form("username", &who)).await;
    b.go(
        "POST",
        routes::RECOVER,
        &form("password", &[("username", email)]),
    )
    .await;
    b.clock.advance(31);
    let page = b.go("POST", routes::RECOVER, &form("entrambe", &who)).await;
    let page = b.code_step(page, e164).await;
    assert!(page.status < 400, "{}", page.html);
    let page = b.get(&b.last_link(email, routes::RECOVER_RESET)).await;
    b.clock.advance(31);
    let page = b.submit(&page, "token", &[]).await;
    let page = b.code_step(page, e164).await;
    let new = "Nuova-Password-2027?";
    let page = b
        .submit(
            &page,
            "password",
            &[("password", new), ("conferma_password", new)],
        )
        .await;
    assert_eq!(page.path, routes::LOGIN, "{}", page.html);

    // A new registration of the same number and person (PROSEGUI ceases the old
    // account), which first takes the old account's email, then another.
    b.clock.advance(3600);
    let user = "mario.rossi@comune.example.it";
    b.register(e164, email, user).await;

    // The private area: a login, every page and change, new terms, and the deletion.
    b.clock.advance(3600);
    let page = b.get(routes::LOGIN).await;
    let fields = [("username", user), ("password", PASSWORD)];
    let page = b.submit(&page, "username", &fields).await;
    let page = b.code_step(page, e164).await;
    assert_eq!(page.path, routes::ACCOUNT, "{}", page.html);
    for p in [
        routes::ACCOUNT_HISTORY,
        routes::ACCOUNT_SESSIONS,
        routes::ACCOUNT_PRIVACY,
        routes::ACCOUNT_EXPORT_JSON,
        routes::ACCOUNT_EXPORT_PDF,
    ] {
        assert_eq!(b.get(p).await.status, 200, "{p}");
    }
    let others = [("sessione".to_owned(), "altri".to_owned())];
    b.go("POST", routes::ACCOUNT_SESSIONS, &others).await;
    let page = b.get(routes::ACCOUNT_EMAIL).await;
    let page = b
        .submit(&page, "email", &[("email", "nuova@example.it")])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let page = b
        .get(&b.last_link("nuova@example.it", routes::ACCOUNT_EMAIL_CONFIRM))
        .await;
    let page = b.submit(&page, "t", &[]).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let page = b.get(routes::ACCOUNT_PASSWORD).await;
    let newer = "Altra-Password-2028!";
    let fields = [
        ("password_attuale", PASSWORD),
        ("password", newer),
        ("conferma_password", newer),
    ];
    let page = b.submit(&page, "password_attuale", &fields).await;
    assert_eq!(page.path, routes::ACCOUNT_PASSWORD, "{}", page.html);
    let in_force = consent_log::InForce {
        terms_version: "2.0".into(),
        ..Default::default()
    };
    b.store
        .inner
        .transact(vec![consent_log::publish_op(&in_force, 0)])
        .await
        .unwrap();
    let page = b.get(routes::ACCOUNT).await;
    assert_eq!(page.path, routes::ACCOUNT_CONSENTS, "{}", page.html);
    let page = b
        .submit(&page, "termini", &[("termini", "si"), ("privacy", "si")])
        .await;
    assert_eq!(page.path, routes::ACCOUNT, "{}", page.html);
    // Passkeys (issue 24): the list, two created with real ceremonies (the password given
    // in case the login is old), one renamed and removed; the other is voided by the deletion.
    assert_eq!(b.get(routes::ACCOUNT_PASSKEYS).await.status, 200);
    assert_eq!(b.get(routes::ACCOUNT_PASSKEY_NEW).await.status, 200);
    let mut created = Vec::new();
    for name in ["Telefono", "Portatile"] {
        let again = [("password_attuale".to_owned(), newer.to_owned())];
        let page = b.go("POST", routes::ACCOUNT_PASSKEY_NEW, &again).await;
        let options =
            e2e::passkey::creation_options(&page).unwrap_or_else(|| panic!("{}", page.html));
        let mut device = e2e::passkey::Authenticator::new(&b.app.config.passkey.origin);
        let fields = [
            ("cerimonia".to_owned(), e2e::passkey::ceremony_of(&options)),
            ("credenziale".to_owned(), device.create(&options).unwrap()),
            ("nome".to_owned(), name.to_owned()),
        ];
        let page = b
            .go("POST", routes::ACCOUNT_PASSKEY_REGISTER, &fields)
            .await;
        assert_eq!(page.path, routes::ACCOUNT_PASSKEYS, "{}", page.html);
        created.push(device.credential().unwrap().id_b64());
    }
    let first = [
        ("id".to_owned(), created[0].clone()),
        ("nome".to_owned(), "Nuovo".to_owned()),
    ];
    b.go("POST", routes::ACCOUNT_PASSKEY_RENAME, &first).await;
    b.go("POST", routes::ACCOUNT_PASSKEY_REMOVE, &first[..1])
        .await;
    let page = b.get(routes::ACCOUNT_DELETE).await;
    let page = b
        .submit(&page, "password_attuale", &[("password_attuale", newer)])
        .await;
    let page = b.code_step(page, e164).await;
    assert_eq!(page.path, routes::LOGIN, "{}", page.html);
    b
}

#[tokio::test]
async fn handlers_touch_only_what_shared_access_declares() {
    let b = walk().await;
    let mut problems = vec![];
    for f in routes::functions() {
        let allowed = access::pairs(f);
        let Some(seen) = b.seen.get(f) else {
            problems.push(format!("{f}: the walk never ran it"));
            continue;
        };
        for (a, pk) in seen {
            if !allowed
                .iter()
                .any(|(x, pattern)| *x == a.iam() && super::glob(pattern, pk))
            {
                problems.push(format!(
                    "{f}: {} on {pk} is not in its row of engine::access",
                    a.iam()
                ));
            }
        }
    }
    for f in &b.posters {
        if access::messaging(f) != Some(access::Messaging::Posts) {
            problems.push(format!(
                "{f}: posts to the outbox but is no poster in engine::access::MESSAGING"
            ));
        }
    }
    assert!(!b.posters.is_empty(), "the walk sent no message at all");
    // The flow secret: only the functions engine::access says read it (the template
    // gives it to exactly those: template_secrets.rs).
    for f in &b.secret_readers {
        if !access::reads_flow_secret(f) {
            problems.push(format!(
                "{f}: uses the flow secret but is not in engine::access::FLOW_SECRET_READERS"
            ));
        }
    }
    // And every declared reader used it (the walk runs each of them): no function is
    // given the secret it does not need.
    for f in access::FLOW_SECRET_READERS {
        if !b.secret_readers.contains(f) {
            problems.push(format!(
                "{f}: in engine::access::FLOW_SECRET_READERS but never used the flow secret"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The JSON a page carries for its script (`<script type="application/json" id=…>`).
fn page_script(html: &str, id: &str) -> String {
    let start = format!("id=\"{id}\">");
    let from = html
        .find(&start)
        .unwrap_or_else(|| panic!("no script {id}: {html}"))
        + start.len();
    let len = html[from..].find("</script>").expect("the script ends");
    html[from..from + len].to_owned()
}
