//! The help desk's commands (`portale-admin account | lines | audit`, issue 16 item 1) on
//! LocalStack: what the operator reads (Italian text, `--json` parsed), the exit codes,
//! and what the change does to the user (sessions, login) seen through the real pages.

use domain::MobileNumber;
use e2e::quick;
use e2e::register::PASSWORD;
use e2e::sign_in;
use e2e::Portal;
use engine::flows::login::password::WRONG_CREDENTIALS;
use engine::flows::login::refusal::ACCOUNT_DISABLED;
use portale_admin::helpdesk::{Exit, Output};
use serde_json::Value;
use store::lines::{self, Profile};
use store::uniqueness::{self, Kind};

/// Runs `portale-admin <command>` against the portal's table, as the operator `mario.b`
/// unless `--operatore` says otherwise.
async fn admin(p: &Portal, command: &str) -> Output {
    admin_as(p, command, Some("mario.b")).await
}

async fn admin_as(p: &Portal, command: &str, user: Option<&str>) -> Output {
    e2e::admin::run(p, &words(command), user).await
}

/// The command line split as a shell would (values with spaces in double quotes).
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, part) in command.split('"').enumerate() {
        if i % 2 == 1 {
            out.push(part.to_owned());
        } else {
            out.extend(part.split_whitespace().map(str::to_owned));
        }
    }
    out
}

fn json(o: &Output) -> Value {
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", o.stdout))
}

#[tokio::test]
async fn find_and_show_an_account_with_contact_data_masked() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let n = MobileNumber::parse(&h.number).unwrap();
    let last4 = &h.number[h.number.len() - 4..];

    for by in [
        format!("--numero \"{}\"", n.pretty()),
        format!("--email {}", h.username.to_uppercase()),
        format!("--username {}", h.username),
        format!("--cf {}", h.personal_cf.to_lowercase()),
    ] {
        let o = admin(&p, &format!("account find {by}")).await;
        assert_eq!(o.code, Exit::Ok, "{by}: {}", o.stderr);
        assert!(o.stdout.starts_with("Account trovati: 1"), "{}", o.stdout);
        assert!(o.stdout.contains(h.id.as_str()) && o.stdout.contains("Lucia Bianchi"));
        assert!(o.stdout.contains(&format!("*** {last4}")), "{}", o.stdout);
        assert!(
            !o.stdout.contains(&h.username),
            "the email is masked: {}",
            o.stdout
        );
        let v = json(&admin(&p, &format!("account find {by} --json")).await);
        assert_eq!(v["esito"], "ok");
        assert_eq!(v["account"][0]["id"], h.id.as_str());
        assert_eq!(v["account"][0]["stato"], "attivo");
        assert_eq!(v["account"][0]["email"], format!("as***@example.it"));
    }

    let o = admin(&p, &format!("account show {}", h.id)).await;
    assert_eq!(o.code, Exit::Ok, "{}", o.stderr);
    for shown in [
        "Nome e cognome: Lucia Bianchi",
        // The username is the email: masked as the email is (helpdesk_identity.rs).
        "Username: as***@example.it",
        "Stato account: attivo",
        "Linea: attiva (profilo utente)",
        "Accesso: nessun blocco",
        "Sessioni attive: 0",
        "Ultimo accesso: mai",
        "Consensi: termini versione",
    ] {
        assert!(o.stdout.contains(shown), "{shown:?} not in {}", o.stdout);
    }
    assert!(!o.stdout.contains("$argon2"), "never a hash");
    assert!(
        !o.stdout.contains(&h.personal_cf),
        "the codice fiscale is masked"
    );

    // After a login: its time (written by the login, issue 15) and its session.
    let home = sign_in::holder(&p, &h).await;
    assert_eq!(home.path, "/area-clienti", "{}", home.text());
    let o = admin(&p, &format!("account show {} --json", h.id)).await;
    let v = json(&o);
    assert_eq!(v["sessioni_attive"], 1);
    // The portal's clock runs with real time: the login was a moment ago.
    let at = v["ultimo_accesso"].as_i64().expect("a last access");
    assert!((p.app.now() - 60..=p.app.now()).contains(&at), "{at}");
    assert_eq!(v["stato"], "attivo");
    assert_eq!(v["linea"]["stato"], "attiva");
    assert!(v["bloccato_fino_a"].is_null());
    assert!(!o.stdout.contains("password") && !o.stdout.contains("$argon2"));
    let o = admin(&p, &format!("account show {}", h.id)).await;
    let when = domain::clock::rome_datetime(at);
    assert!(
        o.stdout.contains(&format!("Ultimo accesso: {when}")),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("Sessioni attive: 1"));
}

#[tokio::test]
async fn bad_input_is_an_italian_message_and_exit_2_not_found_is_4() {
    let p = Portal::start().await;
    for (command, says) in [
        ("account find --numero 06123456", "numero non valido"),
        ("account find --email mario@", "indirizzo email non valido"),
        (
            "account find --cf RSSMRA85T10A562X",
            "codice fiscale non valido",
        ),
        ("account find", "indica uno solo tra --numero"),
        (
            "account find --numero 3331234567 --email a@b.it",
            "indica uno solo",
        ),
        ("account show a/b", "identificativo di account non valido"),
        ("account disable", "comando non riconosciuto"),
        ("account colora x", "comando non riconosciuto"),
        ("account find --numero", "manca il valore di --numero"),
        ("lines show 12", "numero non valido"),
        (
            "lines set-status 3331234567 sospesa --motivo x",
            "stato \"sospesa\" non valido",
        ),
        ("audit", "indica uno solo tra --account"),
    ] {
        let o = admin(&p, command).await;
        assert_eq!(o.code, Exit::Usage, "{command}: {}", o.stderr);
        assert!(o.stderr.contains(says), "{command}: {}", o.stderr);
        assert!(o.stdout.is_empty());
        let v = json(&admin(&p, &format!("{command} --json")).await);
        assert_eq!(v["esito"], "errore");
        assert_eq!(v["codice"], 2);
        assert!(v["errore"].as_str().unwrap().contains(says), "{v}");
    }
    let o = admin(&p, "account find --numero 3330009999999").await;
    assert_eq!(o.code, Exit::Usage);
    let unknown = e2e::random_number();
    let o = admin(&p, &format!("account find --numero {unknown}")).await;
    assert_eq!(o.code, Exit::NotFound, "{}", o.stderr);
    assert!(o.stderr.contains("nessun account trovato con numero"));
    let o = admin(&p, "account show nessuno-123").await;
    assert_eq!(o.code, Exit::NotFound);
    let o = admin(&p, &format!("lines show {unknown}")).await;
    assert_eq!(o.code, Exit::NotFound);
    assert!(o.stderr.contains("non è una linea della Convenzione"));
}

#[tokio::test]
async fn unlock_forgets_the_lock_and_is_audited() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    for _ in 0..5 {
        let page = sign_in::password_step(&p, &h.username, "Sbagliata-2026!").await;
        assert_eq!(page.status, 401);
    }
    let page = sign_in::password_step(&p, &h.username, PASSWORD).await;
    assert_eq!(page.status, 429, "locked: {}", page.text());
    let o = admin(&p, &format!("account show {}", h.id)).await;
    assert!(
        o.stdout.contains("Accesso: bloccato fino al"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("1 indirizzi bloccati"), "{}", o.stdout);

    // Why is required; who is the AWS caller (helpdesk_identity.rs), --operatore a note.
    let o = admin(&p, &format!("account unlock {}", h.id)).await;
    assert_eq!(o.code, Exit::Usage);
    assert!(o.stderr.contains("--motivo"), "{}", o.stderr);

    let o = admin(
        &p,
        &format!(
            "account unlock {} --motivo \"telefonata del 30/11\" --operatore anna.v --json",
            h.id
        ),
    )
    .await;
    assert_eq!(o.code, Exit::Ok, "{}", o.stderr);
    assert_eq!(json(&o)["azione"], "sblocco");
    let o = admin(&p, &format!("account show {}", h.id)).await;
    assert!(o.stdout.contains("Accesso: nessun blocco"), "{}", o.stdout);
    let page = sign_in::password_step(&p, &h.username, PASSWORD).await;
    assert_eq!(page.path, "/accesso/codice", "{}", page.text());

    let o = admin(&p, &format!("audit --account {}", h.id)).await;
    assert!(o.stdout.contains("sblocco"), "{}", o.stdout);
    assert!(
        o.stdout
            .contains(" (nota: anna.v)  motivo: telefonata del 30/11"),
        "{}",
        o.stdout
    );
    let v = json(&admin(&p, &format!("audit --account {} --json", h.id)).await);
    let unlocks: Vec<_> = v["operazioni"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["azione"] == "sblocco")
        .collect();
    assert_eq!(unlocks.len(), 1, "{v}");
    assert!(unlocks[0]["operatore"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:"));
    assert_eq!(unlocks[0]["nota_operatore"], "anna.v");
}

#[tokio::test]
async fn a_suspended_account_loses_its_sessions_and_is_told_to_call_after_the_right_password() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let home = sign_in::holder(&p, &h).await;
    assert_eq!(home.path, "/area-clienti", "{}", home.text());

    let o = admin(
        &p,
        &format!("account disable {} --motivo \"richiesta dell'Ente\"", h.id),
    )
    .await;
    assert_eq!(o.code, Exit::Ok, "{}", o.stderr);
    assert!(o.stdout.contains("sospeso"), "{}", o.stdout);
    let page = p.get("/area-clienti").await;
    assert_eq!(page.path, "/accesso", "the session ended");

    let page = sign_in::password_step(&p, &h.username, PASSWORD).await;
    assert_eq!(page.status, 403);
    assert_eq!(
        page.field_error("username").as_deref(),
        Some(ACCOUNT_DISABLED)
    );
    assert!(page.contains("800.680.068"));
    // A wrong password on a suspended account is any wrong password.
    let wrong = sign_in::password_step(&p, &h.username, "Sbagliata-2026!").await;
    let stranger =
        sign_in::password_step(&p, &e2e::random_email("nessuno"), "Sbagliata-2026!").await;
    assert_eq!((wrong.status, stranger.status), (401, 401));
    assert_eq!(
        wrong.field_error("password").as_deref(),
        Some(WRONG_CREDENTIALS)
    );
    assert_eq!(
        wrong.field_error("password"),
        stranger.field_error("password")
    );
    assert!(!wrong.contains("800.680.068"));

    let v = json(&admin(&p, &format!("account show {} --json", h.id)).await);
    assert_eq!(v["stato"], "sospeso");
    let o = admin(&p, &format!("account disable {} --motivo di-nuovo", h.id)).await;
    assert_eq!(o.code, Exit::Ok);
    assert!(o.stdout.contains("già sospeso"), "{}", o.stdout);

    p.clock.advance(60); // the audit lists records by time: a minute later
    let o = admin(
        &p,
        &format!("account enable {} --motivo \"chiarito\" --json", h.id),
    )
    .await;
    assert_eq!(o.code, Exit::Ok, "{}", o.stderr);
    assert_eq!(json(&o)["stato"], "attivo");
    let home = sign_in::holder(&p, &h).await;
    assert_eq!(home.path, "/area-clienti", "{}", home.text());
    let v = json(&admin(&p, &format!("audit --account {} --json", h.id)).await);
    let actions: Vec<_> = v["operazioni"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["azione"].as_str().unwrap().to_owned())
        // The account's import (quick::account) is audited too, in the same second.
        .filter(|a| a != "importazione-account")
        .collect();
    assert_eq!(
        actions,
        ["riattivazione", "sospensione"],
        "newest first, no record for a no-op"
    );
}

#[tokio::test]
async fn ceasing_an_account_releases_its_claims_and_refuses_its_login() {
    let p = Portal::start().await;
    let h = quick::user(&p).await;
    let home = sign_in::holder(&p, &h).await;
    assert_eq!(home.path, "/area-clienti");

    let o = admin(
        &p,
        &format!("account cease {} --motivo \"dimissioni\"", h.id),
    )
    .await;
    assert_eq!(o.code, Exit::Ok, "{}", o.stderr);
    assert!(o.stdout.contains("cessato"), "{}", o.stdout);
    assert_eq!(
        p.get("/area-clienti").await.path,
        "/accesso",
        "the session ended"
    );
    let store = p.app.store.as_ref();
    for (kind, value) in [
        (
            Kind::Number,
            MobileNumber::parse(&h.number).unwrap().e164().to_owned(),
        ),
        (Kind::Email, h.username.clone()),
        (Kind::Username, h.username.clone()),
    ] {
        let held = uniqueness::holder(store, kind, &value, p.app.now())
            .await
            .unwrap();
        assert_eq!(held, None, "{kind:?} released");
    }
    let o = admin(&p, &format!("account find --numero {}", h.number)).await;
    assert_eq!(o.code, Exit::NotFound);
    let o = admin(&p, &format!("account find --cf {}", h.personal_cf)).await;
    assert!(
        o.stdout.contains("stato: cessato"),
        "the Scan finds ceased accounts: {}",
        o.stdout
    );

    let page = sign_in::password_step(&p, &h.username, PASSWORD).await;
    assert_eq!(page.status, 401, "a ceased account is no account");
    assert_eq!(
        page.field_error("password").as_deref(),
        Some(WRONG_CREDENTIALS)
    );

    let o = admin(
        &p,
        &format!("account enable {} --motivo errore --json", h.id),
    )
    .await;
    assert_eq!(o.code, Exit::NotAllowed);
    assert!(json(&o)["errore"]
        .as_str()
        .unwrap()
        .contains("non si può riattivare"));
    let o = admin(&p, &format!("account disable {} --motivo errore", h.id)).await;
    assert_eq!(o.code, Exit::NotAllowed);
}

#[tokio::test]
async fn a_ceased_line_ends_the_session_and_refuses_the_login() {
    let p = Portal::start().await;
    let entity = quick::random_entity();
    let h = quick::account(&p, &entity, Profile::Utente).await;
    let n = MobileNumber::parse(&h.number).unwrap();
    let home = sign_in::holder(&p, &h).await;
    assert_eq!(home.path, "/area-clienti");

    let o = admin(&p, &format!("lines show {}", h.number)).await;
    assert_eq!(o.code, Exit::Ok);
    for shown in [
        "Stato: attiva",
        "Profilo: utente",
        &format!("Account: {}", h.id),
    ] {
        assert!(o.stdout.contains(shown), "{shown}: {}", o.stdout);
    }
    let o = admin(
        &p,
        &format!(
            "lines set-status \"{}\" cessata --motivo \"SIM restituita\"",
            n.pretty()
        ),
    )
    .await;
    assert_eq!(o.code, Exit::Ok, "{}", o.stderr);
    assert!(o.stdout.contains("ora cessata"), "{}", o.stdout);
    assert_eq!(
        p.get("/area-clienti").await.path,
        "/accesso",
        "the session ended"
    );
    let page = sign_in::password_step(&p, &h.username, PASSWORD).await;
    assert_eq!(page.status, 403);
    assert!(
        page.contains("non risulta attiva in Convenzione"),
        "{}",
        page.text()
    );

    // The entity's index follows the line, in the same transaction.
    let listed = lines::of_entity(p.app.store.as_ref(), &entity, "", None, 20)
        .await
        .unwrap();
    assert_eq!(listed.lines.len(), 1);
    assert!(!listed.lines[0].active);
    let v = json(&admin(&p, &format!("lines show {} --json", h.number)).await);
    assert_eq!(v["stato"], "cessata");
    assert_eq!(v["account"], h.id.as_str());
    let o = admin(
        &p,
        &format!("lines set-status {} cessata --motivo x", h.number),
    )
    .await;
    assert!(o.stdout.contains("già cessata"), "{}", o.stdout);

    p.clock.advance(60); // the audit lists records by time: a minute later
    let o = admin(
        &p,
        &format!(
            "lines set-status {} attiva --motivo \"errore di chi ha chiamato\"",
            h.number
        ),
    )
    .await;
    assert_eq!(o.code, Exit::Ok, "{}", o.stderr);
    let home = sign_in::holder(&p, &h).await;
    assert_eq!(home.path, "/area-clienti", "{}", home.text());
    let o = admin(&p, &format!("audit --numero {}", h.number)).await;
    let records: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(records.len(), 2, "{}", o.stdout);
    assert!(records[0].contains("stato-linea") && records[0].contains("(attiva)"));
    assert!(records[1].contains("(cessata)") && records[1].contains("motivo: SIM restituita"));
}
