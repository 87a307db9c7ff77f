//! The end-to-end harness: each test starts its own local gateway (real HTTP, its own
//! clock so it can expire codes without sleeping) against the one real LocalStack, and
//! reads SMS and email back from LocalStack like a user reads their phone.
//!
//! A test's helpers, by what it needs: a portal (`Portal` here; `lambda` for the real
//! binaries, `faults`/`proxy` to break it, `counting` to count its AWS calls), a registered
//! person (`register`: to any step, or whole; `quick`: an account written straight into the
//! table), a session (`sign_in`), recovery's links (`recover`), what the table holds
//! (`table`), the help desk's commands (`admin`), the handlers without HTTP (`memory`), the
//! logs (`logcapture`).

pub mod admin;
pub mod counting;
pub mod faults;
pub mod lambda;
pub mod logcapture;
pub mod memory;
pub mod passkey;
pub mod proxy;
pub mod quick;
pub mod recover;
pub mod register;
pub mod sign_in;
pub mod table;

use domain::clock::OffsetClock;
use domain::{CodiceFiscaleEnte, MobileNumber};
use engine::config::Config;
use engine::App;
use local_gateway::inbox::{self, Email, Sms};
use local_gateway::Gateway;
use rand::Rng;
use scraper::{Html, Selector};
use std::sync::Arc;
use store::lines::{self, Line};
use tokio::sync::OnceCell;

/// What the outbox's consumer sends with (`Portal::start_with_sender`).
pub type Sender = Arc<dyn notify::Notifier>;

pub const TEST_TABLE: &str = "portale-test";

pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into())
}

pub fn region() -> String {
    std::env::var("AWS_REGION").unwrap_or_else(|_| "eu-south-1".into())
}

/// Points the SDK at LocalStack unless the caller's environment already did.
fn local_env() {
    for (k, v) in [
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
        ("AWS_REGION", "eu-south-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ] {
        if std::env::var_os(k).is_none() {
            // Set once, before any client exists (guarded by the OnceCell below).
            unsafe { std::env::set_var(k, v) };
        }
    }
}

pub fn test_config(base_url: &str) -> Config {
    let mut c = Config::for_tests();
    c.table_name = TEST_TABLE.into();
    // One global SMS counter per table per hour: the whole suite sends well over the default
    // 1,000 to the shared table. The budget itself is tested on a table of its own (abuse.rs).
    c.sms_global_hourly_budget = 1_000_000;
    // The emulator on a loaded 2-core machine (the suite, the unit tests and the browser
    // beside it) can take seconds where DynamoDB takes milliseconds: a page test waits for
    // it rather than meeting the production timeout's error page. The timeout itself is
    // tested with production's value (`faults.rs`, the proxied portals).
    c.aws_timeout = std::time::Duration::from_secs(20);
    c.public_base_url = base_url.trim_end_matches('/').to_owned();
    c.passkey = engine::config::passkey_default(&c.public_base_url);
    c
}

/// The dead letters `Portal::report_dead_letters` has named.
static REPORTED: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// The outbox queues of test portals: a failed batch is back after 1 s (not the
/// template's 60), still to the DLQ after 5 receives.
pub const TEST_QUEUE: portale_admin::bootstrap::QueueSettings =
    portale_admin::bootstrap::QueueSettings {
        visibility_timeout_secs: 1,
        max_receive_count: 5,
    };

thread_local! {
    /// One client per thread: each test runs on its own thread and runtime, and a client's
    /// pooled connections die with the runtime that opened them.
    static SQS: std::cell::RefCell<Option<aws_sdk_sqs::Client>> = const { std::cell::RefCell::new(None) };
}

/// An SQS client on LocalStack (queue set-up and the tests' reads of queues).
pub async fn sqs() -> aws_sdk_sqs::Client {
    if let Some(c) = SQS.with(|c| c.borrow().clone()) {
        return c;
    }
    local_env();
    let sdk = engine::app::sdk_config(&test_config("http://127.0.0.1")).await;
    let c = aws_sdk_sqs::Client::new(&sdk);
    SQS.with(|s| *s.borrow_mut() = Some(c.clone()));
    c
}

/// Gives `config` an outbox queue of its own (and its DLQ `<name>-dlq`): every portal's
/// poller consumes only its own queue, so no portal delivers (or fails) another's
/// messages. Returns the queue's name.
pub async fn own_outbox_queue(config: &mut Config) -> String {
    let name = format!("portale-outbox-{:08x}", rand::random::<u32>());
    config.outbox_queue_url =
        portale_admin::bootstrap::ensure_outbox_queue(&sqs().await, &name, &TEST_QUEUE)
            .await
            .expect("LocalStack must have SQS (localstack/env.sh SERVICES)");
    name
}

/// The messages in `queue_url`: waiting, in flight (received, not yet deleted) and delayed.
pub async fn queue_depth(queue_url: &str) -> Option<usize> {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let out = sqs()
        .await
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(A::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .ok()?;
    Some(
        out.attributes
            .unwrap_or_default()
            .values()
            .filter_map(|v| v.parse::<usize>().ok())
            .sum(),
    )
}

/// A Secrets Manager client on LocalStack.
pub async fn secrets_manager() -> aws_sdk_secretsmanager::Client {
    local_env();
    let sdk = engine::app::sdk_config(&test_config("http://127.0.0.1")).await;
    aws_sdk_secretsmanager::Client::new(&sdk)
}

/// A flow secret of its own in LocalStack's Secrets Manager (as `portale-admin bootstrap`
/// creates one): its name.
pub async fn new_flow_secret() -> String {
    let name = format!("portale/test-{:08x}/flow-secret", rand::random::<u32>());
    portale_admin::bootstrap::ensure_flow_secret(&secrets_manager().await, &name)
        .await
        .expect("LocalStack must have Secrets Manager (localstack/env.sh SERVICES)");
    name
}

/// The flow secret the Lambda-mode portals share (created once per test binary).
pub const LAMBDA_FLOW_SECRET: &str = "portale/test-lambda/flow-secret";

static INFRA: OnceCell<()> = OnceCell::const_new();

/// Creates the test table and SES identity once per test binary.
pub async fn ensure_infra() {
    INFRA
        .get_or_init(|| async {
            local_env();
            let config = test_config("http://127.0.0.1");
            let sdk = engine::app::sdk_config(&config).await;
            portale_admin::bootstrap::ensure_infrastructure(&sdk, &config)
                .await
                .expect("LocalStack must be running (make test starts it)");
            let sm = aws_sdk_secretsmanager::Client::new(&sdk);
            portale_admin::bootstrap::ensure_flow_secret(&sm, LAMBDA_FLOW_SECRET)
                .await
                .expect("LocalStack must have Secrets Manager (localstack/env.sh SERVICES)");
        })
        .await;
}

pub struct Portal {
    pub base: String,
    pub app: &'static App,
    pub clock: Arc<OffsetClock>,
    pub client: reqwest::Client,
    /// The REST API's own endpoint with its stage (`http://127.0.0.1:<port>/local`): what
    /// someone who skips CloudFront calls. Behind the API's WAF.
    pub execute_api: String,
    /// The gateway's origin secret and its count of function invocations.
    pub edge: local_gateway::edge::Edge,
}

pub struct Page {
    pub status: u16,
    pub path: String,
    pub html: String,
}

impl Portal {
    pub async fn start() -> Portal {
        Self::start_with(|app| app).await
    }

    /// A portal whose App the test adjusts first (fault injection: another endpoint, a
    /// notifier that fails).
    pub async fn start_with(adjust: impl FnOnce(App) -> App) -> Portal {
        Self::start_with_async(|app| async move { adjust(app) }).await
    }

    pub async fn start_with_async<F, Fut>(adjust: F) -> Portal
    where
        F: FnOnce(App) -> Fut,
        Fut: std::future::Future<Output = App>,
    {
        Self::start_full(|_| {}, adjust).await
    }

    /// A portal for 100-way races: the emulator answers a hundred concurrent transactions
    /// far slower than DynamoDB does, so AWS calls get more time than in production.
    pub async fn start_for_races() -> Portal {
        Self::start_full(
            |c| c.aws_timeout = std::time::Duration::from_secs(60),
            |app| async move { app },
        )
        .await
    }

    pub async fn start_full<F, Fut>(configure: impl FnOnce(&mut Config), adjust: F) -> Portal
    where
        F: FnOnce(App) -> Fut,
        Fut: std::future::Future<Output = App>,
    {
        Self::start_inner(configure, adjust, |s| s, true).await
    }

    /// A portal whose outbox consumer (the gateway's poller) sends with `wrap` of the real
    /// sender (SNS, SES v2): `App` holds only the outbox, so a test that counts or fails the
    /// consumer's sends wraps its sender here.
    pub async fn start_with_sender(wrap: impl FnOnce(Sender) -> Sender) -> Portal {
        Self::start_inner(|_| {}, |app| async move { app }, wrap, true).await
    }

    /// A portal whose calls are counted in `counts` (`counting`): the requests' DynamoDB and
    /// outbox calls, and the consumer's SNS, SES and delivery records.
    pub async fn start_counting(counts: Arc<counting::Counts>) -> Portal {
        let c = counts.clone();
        Self::start_inner(
            |_| {},
            |app| async move { counting::counting(app, c) },
            |sender| counting::counting_sender(sender, counts),
            true,
        )
        .await
    }

    /// A portal whose gateway trusts no client-supplied address at all (as CloudFront does
    /// not): every request counts as coming from the socket's address.
    /// On a table of its own: its clients all share the socket's address, whose per-IP
    /// counters must not spill over into other tests.
    pub async fn start_strict_edge() -> Portal {
        let table = format!("portale-edge-{}", rand::random::<u32>());
        Self::start_inner(
            |c| c.table_name = table,
            |app| async move { app },
            |s| s,
            false,
        )
        .await
    }

    async fn start_inner<F, Fut>(
        configure: impl FnOnce(&mut Config),
        adjust: F,
        wrap_sender: impl FnOnce(Sender) -> Sender,
        simulated_clients: bool,
    ) -> Portal
    where
        F: FnOnce(App) -> Fut,
        Fut: std::future::Future<Output = App>,
    {
        logcapture::install();
        // E2E_LOG=warn (or info, …) shows the handlers' logs while debugging a test.
        if let Ok(filter) = std::env::var("E2E_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        ensure_infra().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let api_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let execute_api = format!(
            "http://{}/{}",
            api_listener.local_addr().unwrap(),
            local_gateway::edge::LOCAL_STAGE
        );
        let clock = Arc::new(OffsetClock::default());
        let mut config = test_config(&base);
        own_outbox_queue(&mut config).await;
        configure(&mut config);
        if config.table_name != TEST_TABLE {
            // A test that needs its own table (e.g. a global counter no other test touches).
            let sdk = engine::app::sdk_config(&config).await;
            store::dynamo::ensure_table(&aws_sdk_dynamodb::Client::new(&sdk), &config.table_name)
                .await
                .unwrap();
        }
        let app: &'static App = Box::leak(Box::new(
            adjust(App::aws(config, clock.clone()).await).await,
        ));
        // The harness plays many clients from one host, each with its own address: it says so.
        let gw = Gateway {
            app,
            sender: wrap_sender(Arc::new(local_gateway::aws_sender(&app.config).await)),
            clock: clock.clone(),
            aws_endpoint: endpoint(),
            region: region(),
            simulated_clients,
            edge: local_gateway::edge::Edge::default(),
        };
        let edge = gw.edge.clone();
        let site = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site");
        local_gateway::spawn_on_with_api(gw, site, listener, api_listener).unwrap();
        Portal {
            base,
            app,
            clock,
            client: Self::browser(),
            execute_api,
            edge,
        }
    }

    /// Moves this portal's clock to just after the start of a `window_secs` window. Counters
    /// are fixed windows (`store::rate`): a test that counts to a cap must not straddle the
    /// boundary of one (it would see the count restart halfway), so it starts right after one.
    pub fn align_clock(&self, window_secs: i64) {
        let into = self.app.now().rem_euclid(window_secs);
        self.clock.advance(window_secs - into + 1);
    }

    /// The same portal seen from another browser (its own cookies and address).
    pub fn as_browser(&self, client: reqwest::Client) -> Portal {
        Portal {
            base: self.base.clone(),
            app: self.app,
            clock: self.clock.clone(),
            client,
            execute_api: self.execute_api.clone(),
            edge: self.edge.clone(),
        }
    }

    /// A fresh "browser": its own cookie jar and its own client address.
    pub fn browser() -> reqwest::Client {
        simulated_client().cookie_store(true).build().unwrap()
    }

    /// A fresh browser whose cookie jar the test can read (to keep a session id).
    pub fn browser_with_jar() -> (reqwest::Client, Arc<reqwest::cookie::Jar>) {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        (
            simulated_client()
                .cookie_provider(jar.clone())
                .build()
                .unwrap(),
            jar,
        )
    }

    /// The value of cookie `name` that `jar` would send to this portal.
    pub fn cookie_in(&self, jar: &reqwest::cookie::Jar, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let header = jar.cookies(&self.base.parse().unwrap())?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    pub async fn get(&self, path: &str) -> Page {
        self.get_with(&self.client, path).await
    }

    /// The origin browsers report on this portal's passkey pages (`http://localhost:PORT`).
    pub fn passkey_origin(&self) -> String {
        self.app.config.passkey.origin.clone()
    }

    pub async fn get_with(&self, client: &reqwest::Client, path: &str) -> Page {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.base, path)
        };
        to_page(client.get(url).send().await.expect("gateway answers")).await
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        to_page(
            self.client
                .post(format!("{}{}", self.base, path))
                .form(fields)
                .send()
                .await
                .expect("gateway answers"),
        )
        .await
    }

    /// Submits the page's form whose `action` attribute is `action` (and which contains
    /// `marker` among its field names, when several share the action): every field as the
    /// page filled it, then `overrides`.
    pub async fn submit(&self, page: &Page, marker: &str, overrides: &[(&str, &str)]) -> Page {
        let fields = page.form_fields(marker);
        let mut out: Vec<(String, String)> = fields
            .into_iter()
            .filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k))
            .collect();
        out.extend(
            overrides
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let action = page.form_action(marker);
        let url = format!("{}{}", self.base, action);
        let req = if page.form_method(marker) == "get" {
            self.client.get(url).query(&out)
        } else {
            self.client.post(url).form(&out)
        };
        to_page(req.send().await.expect("gateway answers")).await
    }

    pub async fn add_line(&self, number: &str, entity_cf: &str, name: &str, active: bool) {
        let line = Line {
            number: MobileNumber::parse(number).unwrap(),
            entity_cf: CodiceFiscaleEnte::parse(entity_cf).unwrap(),
            ragione_sociale: name.into(),
            active,
            profile: store::lines::Profile::Utente,
        };
        lines::upsert(self.app.store.as_ref(), &line).await.unwrap();
    }

    /// Waits (≤ 2 min: under the whole suite's load on two cores the poller has been seen to
    /// need more than 10 s) until this portal's outbox queue is empty: everything posted so
    /// far has been handed to SNS / SES by the gateway's poller, or has failed its retries and
    /// moved to the dead-letter queue. Reads of SMS and email call it first. A read of the
    /// queue that fails (LocalStack busy) is no answer: it is read again, never taken as empty.
    pub async fn settle(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while std::time::Instant::now() < deadline {
            if queue_depth(&self.app.config.outbox_queue_url).await == Some(0) {
                self.report_dead_letters().await;
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await; // poll interval
        }
        eprintln!("[e2e] outbox: the queue did not empty in 120 s");
    }

    /// Says (on the test's output, which a failed test prints and CI's digest quotes: the
    /// `[e2e]` lines) what this portal's dead-letter queue holds and what the consumer
    /// logged about it: a message there is one a reader of SMS or emails will not find.
    async fn report_dead_letters(&self) {
        let dlq = format!("{}-dlq", self.app.config.outbox_queue_url);
        if queue_depth(&dlq).await.unwrap_or(0) == 0 {
            return;
        }
        // A peek: visibility 0 leaves them where they are for the test that reads them.
        let ids: Vec<String> = sqs()
            .await
            .receive_message()
            .queue_url(&dlq)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await
            .map(|out| out.messages.unwrap_or_default())
            .unwrap_or_default()
            .iter()
            .filter_map(|m| m.message_id.clone())
            .filter(|id| REPORTED.lock().unwrap().insert(id.clone()))
            .collect();
        if ids.is_empty() {
            return; // said already (a reader that waits calls `settle` many times)
        }
        eprintln!("[e2e] outbox: the dead-letter queue holds {ids:?}");
        let logs = logcapture::captured().map(|c| c.text()).unwrap_or_default();
        let about = logs.lines().filter(|l| ids.iter().any(|id| l.contains(id)));
        for line in about.take(12) {
            eprintln!("[e2e]   {}", line.chars().take(400).collect::<String>());
        }
    }

    /// The SMS LocalStack holds for `e164`, once the outbox is delivered (`settle`) and its
    /// list has settled: LocalStack publishes an
    /// SMS from a worker thread (`publish_to_phone_number` → executor), so a read right after
    /// the request can miss the last one. Two reads 50 ms apart must agree (≤ 2 s).
    pub async fn sms_to(&self, e164: &str) -> Vec<Sms> {
        self.settle().await;
        let mut last = self.sms_now(e164).await;
        for _ in 0..40 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await; // poll interval
            let next = self.sms_now(e164).await;
            if next.len() == last.len() {
                return next;
            }
            last = next;
        }
        last
    }

    async fn sms_now(&self, e164: &str) -> Vec<Sms> {
        inbox::fetch_sms(&endpoint(), &region())
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.to == e164)
            .collect()
    }

    /// The SMS to `e164` once there are at least `n` (LocalStack publishes SMS from a worker
    /// thread, so a count read right after the request can lag), or after 5 s whatever came.
    pub async fn sms_to_at_least(&self, e164: &str, n: usize) -> Vec<Sms> {
        let mut sms = self.sms_to(e164).await;
        for _ in 0..50 {
            if sms.len() >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await; // poll interval
            sms = self.sms_to(e164).await;
        }
        sms
    }

    /// The code in the latest SMS to `e164`.
    pub async fn last_code(&self, e164: &str) -> String {
        // LocalStack hands an SMS publish to a worker: under load it shows up in its
        // message list a moment after Publish returned, so wait for it (up to 5 s).
        let sms = self.sms_to_at_least(e164, 1).await;
        let text = &sms.last().expect("an SMS was sent").text;
        code_in(text).expect("a 6-digit code").to_owned()
    }

    /// The emails to `addr` once one of them satisfies `wanted`: the outbox of a portal
    /// that many requests use at once (the security suites, a hundred registrations) may not
    /// be empty at any moment `settle` looks, and its consumer writes a delivery record per
    /// message (two DynamoDB calls on a loaded emulator), so wait for the email itself, up
    /// to two minutes; then the emails as they are (the caller's assertion says what is
    /// missing).
    pub async fn emails_to_until(&self, addr: &str, wanted: impl Fn(&Email) -> bool) -> Vec<Email> {
        self.emails_to_until_count(addr, wanted, 1).await
    }

    /// The emails to `addr` once `n` of them are `wanted` (≤ 2 min).
    pub async fn emails_to_until_count(
        &self,
        addr: &str,
        wanted: impl Fn(&Email) -> bool,
        n: usize,
    ) -> Vec<Email> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let mails = self.emails_to(addr).await;
            if mails.iter().filter(|m| wanted(m)).count() >= n
                || std::time::Instant::now() > deadline
            {
                return mails;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await; // poll interval
        }
    }

    /// The emails LocalStack holds for `addr`, once the outbox is delivered (`settle`).
    pub async fn emails_to(&self, addr: &str) -> Vec<Email> {
        self.settle().await;
        inbox::fetch_emails(&endpoint())
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == addr))
            .collect()
    }
}

async fn to_page(resp: reqwest::Response) -> Page {
    let status = resp.status().as_u16();
    let path = resp.url().path().to_owned();
    Page {
        status,
        path,
        html: resp.text().await.unwrap(),
    }
}

impl Page {
    pub fn doc(&self) -> Html {
        Html::parse_document(&self.html)
    }

    /// The page's visible text, whitespace collapsed.
    pub fn text(&self) -> String {
        let doc = self.doc();
        let body = Selector::parse("body").unwrap();
        let t: Vec<String> = doc
            .select(&body)
            .flat_map(|b| b.text())
            .map(str::to_owned)
            .collect();
        t.join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
    }

    pub fn contains(&self, s: &str) -> bool {
        self.text().contains(s)
    }

    pub fn form_action(&self, marker: &str) -> String {
        let doc = self.doc();
        let forms = Selector::parse("form").unwrap();
        let f = doc
            .select(&forms)
            .find(|f| form_has(f, marker))
            .unwrap_or_else(|| panic!("no form with field {marker} on {}", self.path));
        f.value().attr("action").unwrap_or(&self.path).to_owned()
    }

    /// The form's method, lowercase (`post` unless it says `get`).
    pub fn form_method(&self, marker: &str) -> String {
        let doc = self.doc();
        let forms = Selector::parse("form").unwrap();
        let f = doc
            .select(&forms)
            .find(|f| form_has(f, marker))
            .unwrap_or_else(|| panic!("no form with field {marker} on {}", self.path));
        f.value().attr("method").unwrap_or("get").to_lowercase()
    }

    pub fn form_fields(&self, marker: &str) -> Vec<(String, String)> {
        let doc = self.doc();
        let forms = Selector::parse("form").unwrap();
        let inputs = Selector::parse("input").unwrap();
        let f = doc
            .select(&forms)
            .find(|f| form_has(f, marker))
            .unwrap_or_else(|| panic!("no form with field {marker} on {}", self.path));
        f.select(&inputs)
            .filter(|i| {
                let t = i.value().attr("type").unwrap_or("text");
                !matches!(t, "checkbox" | "radio") || i.value().attr("checked").is_some()
            })
            .filter_map(|i| {
                Some((
                    i.value().attr("name")?.to_owned(),
                    i.value().attr("value").unwrap_or("").to_owned(),
                ))
            })
            .collect()
    }

    /// The Italian error message shown for a field.
    pub fn field_error(&self, field: &str) -> Option<String> {
        let doc = self.doc();
        let sel = Selector::parse(&format!("#{field}-error")).unwrap();
        doc.select(&sel).next().map(|e| {
            e.text()
                .collect::<String>()
                .replace("Errore: ", "")
                .trim()
                .to_owned()
        })
    }

    pub fn input_value(&self, field: &str) -> Option<String> {
        let doc = self.doc();
        let sel = Selector::parse(&format!("input[name=\"{field}\"]")).unwrap();
        doc.select(&sel)
            .next()
            .and_then(|e| e.value().attr("value").map(str::to_owned))
    }
}

fn form_has(f: &scraper::ElementRef<'_>, marker: &str) -> bool {
    let sel = Selector::parse(&format!("[name=\"{marker}\"]")).unwrap();
    f.select(&sel).next().is_some() || marker.is_empty()
}

/// A client with an address of its own (TEST-NET-style `10.x.y.z`), which the harness's
/// gateway takes as the viewer's because it was started with `simulated_clients`: one host
/// plays many users, so the per-IP caps count each test's users apart.
pub fn simulated_client() -> reqwest::ClientBuilder {
    let mut rng = rand::thread_rng();
    let ip = format!(
        "10.{}.{}.{}",
        rng.gen_range(0..255),
        rng.gen_range(0..255),
        rng.gen_range(1..255)
    );
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(local_gateway::SIMULATED_CLIENT_HEADER, ip.parse().unwrap());
    reqwest::Client::builder().default_headers(headers)
}

/// User-Agents of two browsers the portal names apart ("Chrome su Windows 10", "Firefox su
/// Linux"): the private area lists sessions and known browsers by them.
pub const CHROME: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
    Chrome/120.0.0.0 Safari/537.36";
pub const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";

/// `p` seen from a browser of its own (cookies, address) that sends `user_agent`.
pub fn browser_with_agent(p: &Portal, user_agent: &str) -> Portal {
    p.as_browser(
        simulated_client()
            .cookie_store(true)
            .user_agent(user_agent)
            .build()
            .unwrap(),
    )
}

/// The 6-digit code in an SMS's text.
pub fn code_in(text: &str) -> Option<&str> {
    text.split_whitespace()
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
}

/// A random Italian mobile number (E.164) no other test uses.
/// A new Italian mobile number (3[2-9] and 8 digits: 800 million of them). The suite draws a
/// few thousand per run on a LocalStack that keeps every earlier run's lines and accounts, so
/// a narrower range (one prefix: 10 million) made two tests share a number about once a run.
pub fn random_number() -> String {
    let mut rng = rand::thread_rng();
    format!(
        "+393{}{:08}",
        rng.gen_range(2..=9),
        rng.gen_range(0..100_000_000)
    )
}

/// A new address: as wide as the numbers, for the same reason (usernames are unique).
pub fn random_email(who: &str) -> String {
    format!(
        "{who}.{}@example.it",
        rand::thread_rng().gen_range(100_000_000..1_000_000_000u64)
    )
}
