//! The help desk is who it says (issue 22 item 7), through the real `portale-admin` binary
//! on LocalStack: every write names the AWS caller identity (`sts:GetCallerIdentity`), not
//! `--operatore` or `$USER`; every write command leaves its audit record in the change's
//! transaction; `consensi pubblica` is conditional on the revision it replaces and keeps
//! the history of publishers; an unlock of any size is audited chunk by chunk; `bootstrap
//! --demo` refuses a table that is not local before any AWS call; `account show` masks a
//! username that is an email address.
//!
//! The operators are role sessions of LocalStack's STS (`AssumeRole`): each has its own
//! credentials, and STS answers `arn:aws:sts::<account>:assumed-role/<role>/<session>`.

use domain::MobileNumber;
use e2e::admin::{self, Cli};
use e2e::quick::{self, Holder};
use e2e::Portal;
use portale_admin::helpdesk::Exit;
use serde_json::Value;
use store::audit::Entry;
use store::limits;
use store::lockout::Counter;
use store::{accounts, consent_log, lines, Item};

/// The credentials of one role session, and the ARN STS answers for them.
struct Operator {
    key: String,
    secret: String,
    token: String,
    arn: String,
}

impl Operator {
    /// The environment the binary runs with: these credentials, and a `USER` that is not
    /// the person (the note at most).
    fn env<'a>(&'a self, user: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("AWS_ACCESS_KEY_ID", self.key.as_str()),
            ("AWS_SECRET_ACCESS_KEY", self.secret.as_str()),
            ("AWS_SESSION_TOKEN", self.token.as_str()),
            ("USER", user),
        ]
    }
}

fn xml_field(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no {name} in {xml}"))
        + open.len();
    let end = start + xml[start..].find(&format!("</{name}>")).unwrap();
    xml[start..end].to_owned()
}

/// One call to LocalStack's STS (Query API) as the holder of `access_key` (LocalStack reads
/// who calls from the credential scope; it checks no signature).
async fn sts(access_key: &str, token: Option<&str>, form: &[(&str, &str)]) -> String {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/20260101/{}/sts/aws4_request, \
         SignedHeaders=host, Signature=0",
        e2e::region()
    );
    let mut req = reqwest::Client::new()
        .post(format!("{}/", e2e::endpoint()))
        .header("Authorization", auth)
        .form(&[form, &[("Version", "2011-06-15")]].concat());
    if let Some(t) = token {
        req = req.header("X-Amz-Security-Token", t);
    }
    let resp = req.send().await.expect("LocalStack STS");
    assert!(resp.status().is_success(), "{resp:?}");
    resp.text().await.unwrap()
}

/// A help-desk operator: a session of the role `assistenza` named `session`.
async fn operator(session: &str) -> Operator {
    let account = xml_field(
        &sts("test", None, &[("Action", "GetCallerIdentity")]).await,
        "Account",
    );
    let role = format!("arn:aws:iam::{account}:role/assistenza");
    let xml = sts(
        "test",
        None,
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", &role),
            ("RoleSessionName", session),
        ],
    )
    .await;
    let (key, secret, token) = (
        xml_field(&xml, "AccessKeyId"),
        xml_field(&xml, "SecretAccessKey"),
        xml_field(&xml, "SessionToken"),
    );
    let who = sts(&key, Some(&token), &[("Action", "GetCallerIdentity")]).await;
    Operator {
        arn: xml_field(&who, "Arn"),
        key,
        secret,
        token,
    }
}

async fn run(p: &Portal, op: &Operator, words: &[&str]) -> Cli {
    admin::binary(p, words, &op.env("mario.b")).await
}

fn json(o: &Cli) -> Value {
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {o:?}"))
}

/// The audit records stored in partition `pk`, oldest first.
async fn records(p: &Portal, pk: &str) -> Vec<Entry> {
    // Every record, whatever its TTL (`i64::MIN`: none has passed), in sort-key order.
    let mut entries = store::audit::newest(p.app.store.as_ref(), pk, 500, i64::MIN)
        .await
        .unwrap();
    entries.reverse();
    entries.sort_by_key(|e| e.at);
    entries
}

/// A CSV file for an import, removed when dropped.
struct TempCsv(std::path::PathBuf);

impl TempCsv {
    fn new(body: &str) -> TempCsv {
        let path =
            std::env::temp_dir().join(format!("h5-import-{:08x}.csv", rand::random::<u32>()));
        std::fs::write(&path, body).unwrap();
        TempCsv(path)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempCsv {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn the_audit_names_the_aws_caller_even_with_another_operatore() {
    let p = Portal::start().await;
    let anna = operator("anna.v").await;
    assert!(
        anna.arn.ends_with(":assumed-role/assistenza/anna.v"),
        "{}",
        anna.arn
    );
    let h = quick::account(&p, &quick::random_entity(), lines::Profile::Utente).await;
    let o = run(
        &p,
        &anna,
        &[
            "account",
            "disable",
            &h.id,
            "--motivo",
            "richiesta dell'Ente",
            "--operatore",
            "qualcun.altro",
        ],
    )
    .await;
    assert_eq!(o.code, 0, "{o:?}");

    let stored = records(&p, &accounts::key(&h.id).pk).await;
    let disabled: Vec<_> = stored
        .iter()
        .filter(|i| i.action.as_str() == "sospensione")
        .collect();
    assert_eq!(disabled.len(), 1, "{stored:?}");
    assert_eq!(
        disabled[0].operator.as_str(),
        anna.arn,
        "who: the AWS caller"
    );
    assert_eq!(
        disabled[0].note.as_str(),
        "qualcun.altro",
        "--operatore is a note beside it"
    );
    let listed = run(&p, &anna, &["audit", "--account", &h.id, "--json"]).await;
    let v = json(&listed);
    let listed = v["operazioni"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["azione"] == "sospensione")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(listed["operatore"], anna.arn.as_str(), "{v}");
    assert_eq!(listed["nota_operatore"], "qualcun.altro");

    // Without --operatore, $USER is the note; the caller is still the one named.
    let o = run(
        &p,
        &anna,
        &["account", "enable", &h.id, "--motivo", "chiarito"],
    )
    .await;
    assert_eq!(o.code, 0, "{o:?}");
    let stored = records(&p, &accounts::key(&h.id).pk).await;
    let enabled = stored
        .iter()
        .find(|i| i.action.as_str() == "riattivazione")
        .expect("audited");
    assert_eq!(
        (enabled.operator.as_str(), enabled.note.as_str()),
        (anna.arn.as_str(), "mario.b")
    );
}

#[tokio::test]
async fn every_write_command_leaves_its_audit_record() {
    let p = Portal::start().await;
    let luca = operator("luca.b").await;
    let entity = quick::random_entity();
    // import-lines: a new referente line, and an active line ceased.
    let ceased = e2e::random_number();
    quick::line(&p, &ceased, &entity, true, lines::Profile::Utente).await;
    let referente = e2e::random_number();
    let csv = TempCsv::new(&format!(
        "numero;codice_fiscale_ente;ragione_sociale;stato;profilo\n\
         {referente};{entity};ENTE DI PROVA;attiva;referente\n\
         {ceased};{entity};ENTE DI PROVA;cessata;utente\n"
    ));
    let o = run(&p, &luca, &["import-lines", csv.path()]).await;
    assert_eq!(o.code, 0, "{o:?}");
    for (number, says) in [(&referente, "referente"), (&ceased, "cessata")] {
        let n = MobileNumber::parse(number).unwrap();
        let stored = records(&p, &lines::key(&n).pk).await;
        assert_eq!(stored.len(), 1, "{number}: {stored:?}");
        assert_eq!(stored[0].action.as_str(), "importazione-linea");
        assert_eq!(stored[0].operator.as_str(), luca.arn);
        assert_eq!(stored[0].note.as_str(), "mario.b");
        assert!(stored[0].detail.as_str().contains(says), "{:?}", stored[0]);
        assert!(stored[0].expires_at != 0, "kept by TTL");
    }
    // Importing the same file again changes nothing, and records nothing.
    let o = run(&p, &luca, &["import-lines", csv.path()]).await;
    assert_eq!(o.code, 0, "{o:?}");
    let n = MobileNumber::parse(&referente).unwrap();
    assert_eq!(records(&p, &lines::key(&n).pk).await.len(), 1);

    // import-accounts: the account and its record, in one transaction.
    let number = e2e::random_number();
    quick::line(&p, &number, &entity, true, lines::Profile::Utente).await;
    let username = e2e::random_email("importato");
    let hash = bcrypt::hash("Vecchia-Password-7", 4).unwrap();
    let cf = e2e::register::cf_for(&number);
    let csv = TempCsv::new(&format!(
        "username;email;numero;nome;cognome;codice_fiscale;codice_fiscale_ente;password_hash\n\
         {username};{username};{number};Carla;Neri;{cf};{entity};{hash}\n"
    ));
    let o = run(
        &p,
        &luca,
        &["import-accounts", csv.path(), "--motivo", "migrazione C7"],
    )
    .await;
    assert_eq!(o.code, 0, "{o:?}");
    let id =
        portale_admin::import_accounts::account_id(&domain::Username::parse(&username).unwrap());
    let stored = records(&p, &accounts::key(&id).pk).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].action.as_str(), "importazione-account");
    assert_eq!(stored[0].operator.as_str(), luca.arn);
    assert_eq!(stored[0].reason.as_str(), "migrazione C7");
}

#[tokio::test]
async fn a_stale_publication_of_the_consents_is_refused_and_every_publisher_is_kept() {
    // On a table of its own: the versions in force are the whole portal's.
    let table = format!("portale-consensi-{}", rand::random::<u32>());
    let p = Portal::start_full(|c| c.table_name = table, |app| async move { app }).await;
    let (anna, luca) = (operator("anna.v").await, operator("luca.b").await);
    let seen = json(&run(&p, &anna, &["consensi", "mostra", "--json"]).await);
    let revision = seen["revisione"].as_i64().expect("a revision").to_string();

    // Luca publishes first, from the revision both saw.
    let o = run(
        &p,
        &luca,
        &[
            "consensi",
            "pubblica",
            "--termini",
            "3.0",
            "--revisione",
            &revision,
            "--motivo",
            "nuovo contratto",
        ],
    )
    .await;
    assert_eq!(o.code, 0, "{o:?}");
    // Anna's publication replaces what she saw, which is no longer in force: refused.
    let o = run(
        &p,
        &anna,
        &[
            "consensi",
            "pubblica",
            "--privacy",
            "3.1",
            "--revisione",
            &revision,
            "--motivo",
            "nuova informativa",
        ],
    )
    .await;
    assert_eq!(o.code, Exit::NotAllowed as i32, "{o:?}");
    assert!(o.stderr.contains("nel frattempo"), "{}", o.stderr);
    let now = json(&run(&p, &anna, &["consensi", "mostra", "--json"]).await);
    assert_eq!(now["termini_versione"], "3.0");
    assert_ne!(now["privacy_versione"], "3.1", "nothing written: {now}");

    // Read again, she publishes on top of Luca's: both are in the history.
    let revision = now["revisione"].as_i64().unwrap().to_string();
    let o = run(
        &p,
        &anna,
        &[
            "consensi",
            "pubblica",
            "--privacy",
            "3.1",
            "--revisione",
            &revision,
            "--motivo",
            "nuova informativa",
        ],
    )
    .await;
    assert_eq!(o.code, 0, "{o:?}");
    let shown = json(&run(&p, &anna, &["consensi", "mostra", "--json"]).await);
    let history = shown["pubblicazioni"].as_array().expect("the history");
    let who: Vec<&str> = history
        .iter()
        .map(|h| h["operatore"].as_str().unwrap())
        .collect();
    assert_eq!(
        who,
        [anna.arn.as_str(), luca.arn.as_str()],
        "newest first: {shown}"
    );
    assert_eq!(history[1]["motivo"], "nuovo contratto");
    let stored = records(&p, &consent_log::in_force_key().pk).await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(stored
        .iter()
        .all(|i| i.action.as_str() == "pubblicazione-consensi"));
}

#[tokio::test]
async fn an_unlock_of_150_counters_clears_them_all_and_audits_every_transaction() {
    let p = Portal::start().await;
    let anna = operator("anna.v").await;
    let h: Holder = quick::account(&p, &quick::random_entity(), lines::Profile::Utente).await;
    let now = p.app.now();
    let keys: Vec<_> = (0..150)
        .map(|i| {
            Counter::key(
                limits::LOGIN_LOCK_PER_CLIENT,
                &format!("{}#10.{}.{}.1", h.username, i / 200, i % 200),
            )
        })
        .collect();
    for k in &keys {
        let counter = Item::new()
            .with("attempts", 6i64)
            .with("locked_until", now + 900)
            .with("expires_at", now + 3600);
        p.app.store.put(k, counter, None).await.unwrap();
    }
    let o = run(
        &p,
        &anna,
        &[
            "account",
            "unlock",
            &h.id,
            "--motivo",
            "attacco da molti indirizzi",
        ],
    )
    .await;
    assert_eq!(o.code, 0, "{o:?}");
    assert!(o.stdout.contains("150 contatori"), "{}", o.stdout);
    for k in &keys {
        assert!(p.app.store.get(k).await.unwrap().is_none(), "{k:?} cleared");
    }
    let stored: Vec<Entry> = records(&p, &accounts::key(&h.id).pk)
        .await
        .into_iter()
        .filter(|i| i.action.as_str() == "sblocco")
        .collect();
    // At most 100 writes per transaction: each one carries its own record.
    assert_eq!(stored.len(), 2, "{stored:?}");
    let mut details: Vec<&str> = stored.iter().map(|i| i.detail.as_str()).collect();
    details.sort();
    assert!(details[0].starts_with("51 contatori"), "{details:?}");
    assert!(details[1].starts_with("99 contatori"), "{details:?}");
    assert!(stored.iter().all(|i| i.operator.as_str() == anna.arn));
}

/// The machine's own address on its outbound interface (not loopback), where a listener
/// on 0.0.0.0 answers: an endpoint that is reachable but not local by its name.
fn non_loopback_address() -> std::net::IpAddr {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    s.connect("203.0.113.1:9").expect("a route off the machine");
    let ip = s.local_addr().unwrap().ip();
    assert!(!ip.is_loopback(), "{ip}");
    ip
}

/// Counts the connections made to a fresh listener (each closed at once).
async fn counting_listener() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let l = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = l.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (port, seen)
}

#[tokio::test]
async fn bootstrap_demo_refuses_a_table_that_is_not_local_before_any_call() {
    use std::sync::atomic::Ordering;
    let p = Portal::start().await;
    let (port, calls) = counting_listener().await;
    let remote = format!("http://{}:{port}", non_loopback_address());
    let env = [("AWS_ENDPOINT_URL", remote.as_str())];

    let o = admin::binary(&p, &["bootstrap", "--demo"], &env).await;
    assert_eq!(o.code, 2, "{o:?}");
    assert!(
        o.stderr.contains("--consenti-demo-non-locale"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.is_empty(), "{o:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 0, "no AWS call was made");

    // Told explicitly, it goes ahead (and here fails on the endpoint that answers nothing).
    let o = admin::binary(
        &p,
        &["bootstrap", "--demo", "--consenti-demo-non-locale"],
        &env,
    )
    .await;
    assert_eq!(o.code, 1, "{o:?}");
    assert!(calls.load(Ordering::SeqCst) > 0, "it called the endpoint");
    // A plain bootstrap is as before: no guard.
    let before = calls.load(Ordering::SeqCst);
    let o = admin::binary(&p, &["bootstrap"], &env).await;
    assert_eq!(o.code, 1, "{o:?}");
    assert!(calls.load(Ordering::SeqCst) > before);
}

#[tokio::test]
async fn account_show_masks_a_username_that_is_an_email_address() {
    let p = Portal::start().await;
    let h = quick::account(&p, &quick::random_entity(), lines::Profile::Utente).await;
    assert!(h.username.contains('@'));
    let anna = operator("anna.v").await;
    let o = run(&p, &anna, &["account", "show", &h.id]).await;
    assert_eq!(o.code, 0, "{o:?}");
    let local = h.username.split('@').next().unwrap();
    assert!(
        o.stdout
            .contains(&format!("Username: {}***@example.it", &local[..2])),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains(&h.username), "{}", o.stdout);
    let o = run(&p, &anna, &["account", "show", &h.id, "--json"]).await;
    assert!(!o.stdout.contains(&h.username), "{}", o.stdout);
    assert_eq!(
        json(&o)["username"],
        json(&o)["email"],
        "masked as the email is"
    );
}
