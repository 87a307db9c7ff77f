//! Issue 21 ("Proof before power"), the private area's part, end to end through the local
//! gateway on LocalStack and `portale-admin`:
//! - item 2: a pending change carries the proof it was made on: an email link asked from a
//!   session is void once the owner changed the password, ended the other sessions or the
//!   help desk suspended the account; a deletion in progress is void after the epoch moved;
//! - item 3: "Esci da tutti gli altri dispositivi" ends every other session, however many,
//!   and the list shows every live one, newest first;
//! - item 6: after "Elimina il tuo account" the table holds of the account exactly what its
//!   page names, each with its TTL;
//! - item 8: a consent acceptance records the versions the page showed.

use e2e::admin;
use e2e::register::{registered, CF, PASSWORD};
use e2e::sign_in::sign_in;
use e2e::table::account;
use e2e::{browser_with_agent, random_email, Page, Portal, CHROME, FIREFOX};
use portale_admin::helpdesk::Exit;
use store::{access_log, accounts, consent_log, sessions, uniqueness::Kind, Attr, Item, Key};

const DAY: i64 = 24 * 3600;
const YEAR: i64 = 365 * DAY;

/// The confirmation link of the newest email to `to` that carries one to `path`.
async fn link_to(p: &Portal, to: &str, path: &str) -> String {
    let mail = p.emails_to(to).await;
    mail.iter()
        .rev()
        .find_map(|m| {
            m.text
                .split_whitespace()
                .find(|w| w.contains(path))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("no link to {path} in the mail to {to}"))
}

/// `b` asks to change the email (and the username, which is the email) to `new`: no
/// password asked, the login is recent.
async fn ask_email_change(b: &Portal, new: &str) {
    let page = b.get("/area-clienti/email").await;
    assert!(!page.contains("Password attuale"), "{}", page.text());
    let sent = b
        .submit(&page, "email", &[("email", new), ("anche_username", "si")])
        .await;
    assert!(sent.contains("Ti abbiamo inviato"), "{}", sent.text());
}

/// The link is opened (by a mail scanner, then by the person) and its button pressed: it
/// is refused as void, and the account keeps its email and username.
async fn the_link_is_void(p: &Portal, link: &str, user: &str, new: &str) {
    let phone = browser_with_agent(p, FIREFOX);
    let opened = phone.get(link).await;
    assert_eq!(opened.status, 410, "{}", opened.text());
    assert!(
        opened.contains("Il link non è più valido"),
        "{}",
        opened.text()
    );
    assert!(
        !opened.contains("CONFERMA IL NUOVO INDIRIZZO"),
        "no button to press on a void link"
    );
    let token = link.split("t=").nth(1).expect("a token");
    let pressed = phone
        .post("/area-clienti/email/conferma", &[("t", token)])
        .await;
    assert_eq!(pressed.status, 410, "{}", pressed.text());
    assert!(
        pressed.contains("Il link non è più valido"),
        "{}",
        pressed.text()
    );
    let a = account(p, user).await;
    assert_eq!(
        (a.email.as_str(), a.username.as_str()),
        (user, user),
        "email and username unchanged"
    );
    let moved = accounts::by_claim(p.app.store.as_ref(), Kind::Email, new, p.app.now())
        .await
        .unwrap();
    assert!(moved.is_none(), "the new address finds no account");
}

#[tokio::test]
async fn an_email_link_asked_from_a_session_is_void_after_the_owner_changes_the_password() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    // Someone holding a session for a few minutes asks for their own address.
    let holder = browser_with_agent(&p, CHROME);
    sign_in(&holder, &number, &user, PASSWORD).await;
    let new = random_email("presa");
    ask_email_change(&holder, &new).await;
    // The owner, from another browser, changes the password (every other session ends).
    p.clock.advance(31);
    let owner = browser_with_agent(&p, FIREFOX);
    sign_in(&owner, &number, &user, PASSWORD).await;
    let page = owner.get("/area-clienti/password").await;
    let newer = "Altra-Password-2027!";
    let fields = [
        ("password_attuale", PASSWORD),
        ("password", newer),
        ("conferma_password", newer),
    ];
    let done = owner.submit(&page, "password_attuale", &fields).await;
    assert!(
        done.contains("La password è stata modificata"),
        "{}",
        done.text()
    );
    assert_eq!(holder.get("/area-clienti").await.path, "/accesso");
    let link = link_to(&p, &new, "/area-clienti/email/conferma?t=").await;
    the_link_is_void(&p, &link, &user, &new).await;
}

#[tokio::test]
async fn an_email_link_is_void_once_the_owner_ends_the_other_sessions() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let holder = browser_with_agent(&p, CHROME);
    sign_in(&holder, &number, &user, PASSWORD).await;
    let new = random_email("presa");
    ask_email_change(&holder, &new).await;
    p.clock.advance(31);
    let owner = browser_with_agent(&p, FIREFOX);
    sign_in(&owner, &number, &user, PASSWORD).await;
    let list = owner.get("/area-clienti/sessioni").await;
    let ended = owner
        .submit(&list, "sessione", &[("sessione", "altri")])
        .await;
    assert_eq!(ended.path, "/area-clienti/sessioni", "{}", ended.text());
    assert_eq!(holder.get("/area-clienti").await.path, "/accesso");
    assert_eq!(
        owner.get("/area-clienti").await.path,
        "/area-clienti",
        "the owner's browser stays in"
    );
    let link = link_to(&p, &new, "/area-clienti/email/conferma?t=").await;
    the_link_is_void(&p, &link, &user, &new).await;
}

#[tokio::test]
async fn a_suspension_by_the_help_desk_voids_a_pending_email_link() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let holder = browser_with_agent(&p, CHROME);
    sign_in(&holder, &number, &user, PASSWORD).await;
    let new = random_email("presa");
    ask_email_change(&holder, &new).await;
    let id = account(&p, &user).await.id;
    for action in ["disable", "enable"] {
        let o = admin::ops(&p, &["account", action, &id, "--motivo", "segnalazione"]).await;
        assert_eq!(o.code, Exit::Ok, "{action}: {}", o.stderr);
    }
    let link = link_to(&p, &new, "/area-clienti/email/conferma?t=").await;
    the_link_is_void(&p, &link, &user, &new).await;
}

#[tokio::test]
async fn a_deletion_in_progress_is_void_once_the_other_sessions_are_ended() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let b = browser_with_agent(&p, CHROME);
    sign_in(&b, &number, &user, PASSWORD).await;
    let page = b.get("/area-clienti/elimina").await;
    p.clock.advance(31);
    let code_page = b
        .submit(&page, "password_attuale", &[("password_attuale", PASSWORD)])
        .await;
    assert_eq!(
        code_page.path,
        "/area-clienti/elimina/codice",
        "{}",
        code_page.text()
    );
    let code = p.last_code(&number).await;
    // The epoch moves on: every pending change is void, this one too.
    let ended = b
        .post("/area-clienti/sessioni", &[("sessione", "altri")])
        .await;
    assert_eq!(ended.path, "/area-clienti/sessioni", "{}", ended.text());
    let refused = b.submit(&code_page, "codice", &[("codice", &code)]).await;
    assert_eq!(refused.path, "/area-clienti/elimina", "{}", refused.text());
    assert!(
        refused.contains("La richiesta di eliminazione è stata annullata"),
        "{}",
        refused.text()
    );
    assert_eq!(
        b.get("/area-clienti/elimina/codice").await.path,
        "/area-clienti/elimina",
        "its code page is gone too"
    );
    assert_eq!(
        account(&p, &user).await.status,
        accounts::Status::Active,
        "not deleted"
    );
    assert_eq!(b.get("/area-clienti").await.path, "/area-clienti");
}

/// A client presenting the session cookie `value` (`<id>.<account>`) and nothing else.
async fn path_with_session(p: &Portal, value: &str) -> String {
    let client = e2e::simulated_client().build().unwrap();
    let resp = client
        .get(format!("{}/area-clienti", p.base))
        .header("cookie", format!("session={value}"))
        .send()
        .await
        .unwrap();
    resp.url().path().to_owned()
}

/// The sessions the page lists (their hashes, as its buttons name them), in its order.
fn listed(page: &Page) -> Vec<String> {
    let doc = page.doc();
    let hidden = scraper::Selector::parse("input[name=sessione]").unwrap();
    doc.select(&hidden)
        .map(|i| i.attr("value").unwrap().to_owned())
        .filter(|v| v != "altri")
        .collect()
}

#[tokio::test]
async fn ending_all_other_sessions_ends_every_one_past_forty_and_the_list_shows_them_all() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let b = browser_with_agent(&p, CHROME);
    sign_in(&b, &number, &user, PASSWORD).await;
    let a = account(&p, &user).await;
    // 45 more live sessions, started a second apart (cheaply, through the store).
    let now = p.app.now();
    let mut others = Vec::new();
    for k in 1..=45 {
        let agent = format!("Agente di prova {k}");
        let (id, ops) = sessions::create_ops(&a.id, a.session_epoch, now - k, &agent);
        p.app.store.transact(ops.to_vec()).await.unwrap();
        others.push(id);
    }
    assert_eq!(
        path_with_session(&p, &format!("{}.{}", others[44], a.id)).await,
        "/area-clienti",
        "a live session"
    );
    let page = b.get("/area-clienti/sessioni").await;
    let shown = listed(&page);
    assert_eq!(shown.len(), 46, "every live session is listed");
    let newest_first: Vec<String> = others
        .iter()
        .map(|id| domain::crypto::token_hash(id))
        .collect();
    assert_eq!(
        shown[1..],
        newest_first[..],
        "this one first, then the others newest first"
    );

    // Past the re-authentication window: renewing this browser's session must not reopen it.
    p.clock.advance(16 * 60);
    let ended = b.submit(&page, "sessione", &[("sessione", "altri")]).await;
    assert!(
        ended.contains("Abbiamo chiuso tutte le sessioni aperte sugli altri dispositivi"),
        "{}",
        ended.text()
    );
    for id in &others {
        assert_eq!(
            path_with_session(&p, &format!("{id}.{}", a.id)).await,
            "/accesso",
            "every other session ended"
        );
    }
    assert_eq!(listed(&b.get("/area-clienti/sessioni").await).len(), 1);
    assert!(
        b.get("/area-clienti/email")
            .await
            .contains("Password attuale"),
        "the renewed session keeps the time the password was typed"
    );
}

/// Every item of `table`, page after page (a Scan: a test's look at the whole table).
async fn whole_table(p: &Portal) -> Vec<(Key, Item)> {
    let sdk = engine::app::sdk_config(&p.app.config).await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let mut all = Vec::new();
    let mut start = None;
    loop {
        let page = dynamo
            .scan()
            .table_name(&p.app.config.table_name)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        all.extend(page.items().iter().filter_map(store::dynamo::decode));
        match page.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return all,
        }
    }
}

/// True when the item names any of `marks` (in its key or a text attribute).
fn mentions(key: &Key, item: &Item, marks: &[&str]) -> bool {
    let texts = [key.pk.as_str(), key.sk.as_str()]
        .into_iter()
        .chain(item.attrs.values().filter_map(Attr::as_s));
    texts
        .into_iter()
        .any(|t| marks.iter().any(|m| t.contains(m)))
}

#[tokio::test]
async fn after_the_deletion_the_table_keeps_of_the_account_only_what_its_page_names() {
    // On a table of its own: every item that names the person is this test's.
    let table = format!("portale-eliminazione-{}", rand::random::<u32>());
    let p = Portal::start_full(|c| c.table_name = table, |app| async move { app }).await;
    let (number, user) = registered(&p, "area").await;
    // A wrong password, two browsers, the help desk, a pending email change.
    let stranger = browser_with_agent(&p, FIREFOX);
    let login = stranger.get("/accesso").await;
    let fields = [("username", user.as_str()), ("password", "Sbagliata-2026!")];
    assert_eq!(
        stranger.submit(&login, "username", &fields).await.status,
        401
    );
    let b = browser_with_agent(&p, CHROME);
    p.clock.advance(31);
    sign_in(&b, &number, &user, PASSWORD).await;
    let other = browser_with_agent(&p, FIREFOX);
    p.clock.advance(31);
    sign_in(&other, &number, &user, PASSWORD).await;
    let id = account(&p, &user).await.id;
    let unlock = [
        "account",
        "unlock",
        &id,
        "--motivo",
        "telefonata del cliente",
    ];
    assert_eq!(admin::ops(&p, &unlock).await.code, Exit::Ok);
    let new = random_email("mai-confermata");
    ask_email_change(&b, &new).await;
    // A year of logins: more access events than the deletion's transaction holds.
    let year: Vec<_> = (0..150)
        .map(|d| {
            access_log::record_op(
                &id,
                access_log::Event::Completed,
                CHROME,
                p.app.now() - d * DAY,
            )
        })
        .collect();
    for chunk in year.chunks(50) {
        p.app.store.transact(chunk.to_vec()).await.unwrap();
    }

    // The export says what the help desk did (not who) and what a deletion keeps.
    let export = b.get("/area-clienti/privacy/dati.json").await;
    let v: serde_json::Value = serde_json::from_str(&export.html).unwrap();
    let help_desk = &v["interventi_assistenza"][0];
    assert_eq!(help_desk["motivo"], "telefonata del cliente");
    assert!(
        !help_desk["conservato_fino_al"]
            .as_str()
            .unwrap_or("")
            .is_empty(),
        "{v}"
    );
    assert!(
        !export.html.contains("ops.test"),
        "the operator is not named"
    );
    let kept = v["se_elimini_l_account"]["conserviamo"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(kept.len(), 4, "{v}");
    assert_eq!(v["browser_riconosciuti"].as_array().map(Vec::len), Some(2));

    // The page names what is kept, how long and why.
    let page = b.get("/area-clienti/elimina").await;
    for named in [
        "per 10 anni",
        "per 30 giorni",
        "per 2 anni da ciascun intervento",
        "al massimo un giorno",
        "storico degli accessi",
    ] {
        assert!(page.contains(named), "{named}: {}", page.text());
    }
    p.clock.advance(31);
    let code_page = b
        .submit(&page, "password_attuale", &[("password_attuale", PASSWORD)])
        .await;
    let code = p.last_code(&number).await;
    let gone = b.submit(&code_page, "codice", &[("codice", &code)]).await;
    assert_eq!(gone.path, "/accesso", "{}", gone.text());
    let mail = p.emails_to(&user).await;
    let told = mail
        .iter()
        .find(|m| m.subject.starts_with("Il tuo account è stato eliminato"))
        .expect("the confirmation");
    for named in ["per 10 anni", "per 2 anni", "storico degli accessi"] {
        assert!(told.text.contains(named), "{named}: {}", told.text);
    }

    let now = p.app.now();
    let marks = [
        id.as_str(),
        user.as_str(),
        new.as_str(),
        number.as_str(),
        CF,
    ];
    let mut left = Vec::new();
    for (key, item) in whole_table(&p).await {
        if !mentions(&key, &item, &marks) {
            continue;
        }
        let ttl = item.n(store::schema::TTL_ATTRIBUTE);
        let what = format!("{}/{} (TTL {ttl:?})", key.pk, key.sk);
        let kind = key.pk.split('#').next().unwrap_or_default();
        let allowed = match (kind, key.sk.as_str()) {
            // The ceased profile, 30 days.
            ("ACCOUNT", "PROFILE") => {
                accounts::has_status(accounts::Status::Ceased).holds(Some(&item))
                    && ttl.is_some_and(|t| t > now && t <= now + 30 * DAY)
            }
            // The help desk's records, two years from each.
            ("ACCOUNT", _) if store::audit::is_record(&key) => {
                ttl.is_some() && ttl == Some(store::audit::Entry::from_item(&item).at + 2 * YEAR)
            }
            // The consents' audit, ten years.
            ("CONSENTLOG", _) => ttl.is_some_and(|t| t > now && t <= now + 10 * YEAR),
            // The line is the entity's (the Convenzione's), not the account's.
            ("LINE" | "ENTE", _) => true,
            // Gone at once.
            ("SESSIONS" | "SESSION" | "DEVICES" | "ACCESS", _) => false,
            // Codes, counters, flows, links and reservations: at most a day (a rate
            // window lives to its end plus a minute).
            _ => ttl.is_some_and(|t| t <= now + DAY + 60),
        };
        if !allowed {
            left.push(what);
        }
    }
    assert!(
        left.is_empty(),
        "kept but not named on the page:\n{}",
        left.join("\n")
    );
}

#[tokio::test]
async fn a_consent_records_the_versions_the_page_showed_and_a_newer_one_is_asked_again() {
    // On a table of its own: the versions in force are the whole portal's.
    let table = format!("portale-consensi-{}", rand::random::<u32>());
    let p = Portal::start_full(|c| c.table_name = table, |app| async move { app }).await;
    let (number, user) = registered(&p, "area").await;
    let b = browser_with_agent(&p, CHROME);
    sign_in(&b, &number, &user, PASSWORD).await;
    let publish = |version: &'static str| {
        let p = &p;
        async move {
            let args = [
                "consensi",
                "pubblica",
                "--termini",
                version,
                "--motivo",
                "nuovo contratto",
            ];
            let o = admin::ops(p, &args).await;
            assert_eq!(o.code, Exit::Ok, "{}", o.stderr);
        }
    };
    publish("2.0").await;
    let shown = b.get("/area-clienti").await;
    assert_eq!(shown.path, "/area-clienti/consensi", "{}", shown.text());
    assert!(shown.contains("2.0"), "{}", shown.text());
    // While the page is open, ops publish another version.
    publish("3.0").await;
    let ticked = [("termini", "si"), ("privacy", "si")];
    let again = b.submit(&shown, "termini", &ticked).await;
    assert_eq!(again.status, 409, "asked again: {}", again.text());
    assert!(
        again.contains("Nel frattempo abbiamo pubblicato una nuova versione"),
        "{}",
        again.text()
    );
    assert!(
        again.contains("3.0"),
        "the newest is shown: {}",
        again.text()
    );
    let a = account(&p, &user).await;
    assert_eq!(a.terms_version, "1.0", "nothing older recorded as accepted");
    let audit = consent_log::of_account(p.app.store.as_ref(), &a.id)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1, "only the registration's: {audit:?}");

    let done = b.submit(&again, "termini", &ticked).await;
    assert_eq!(done.path, "/area-clienti", "{}", done.text());
    let a = account(&p, &user).await;
    assert_eq!(a.terms_version, "3.0");
    let audit = consent_log::of_account(p.app.store.as_ref(), &a.id)
        .await
        .unwrap();
    assert_eq!(
        audit
            .iter()
            .map(|e| e.terms_version.as_str())
            .collect::<Vec<_>>(),
        ["1.0", "3.0"]
    );
}
