//! The private area's self-service (issue 15), end to end through the local gateway on
//! real LocalStack: password, email (link safe from scanners, two tabs), sessions, access
//! history, the new-browser notice, the data export, the deletion and new terms.

use e2e::admin;
use e2e::register::{register, registered, PASSWORD};
use e2e::sign_in::{password_step, sign_in};
use e2e::table::account;
use e2e::{browser_with_agent, random_email, Portal, CHROME, FIREFOX};
use portale_admin::helpdesk::Exit;
use store::{accounts, consent_log};

#[tokio::test]
async fn the_home_shows_the_line_and_only_cards_that_lead_somewhere() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let b = browser_with_agent(&p, CHROME);
    let home = sign_in(&b, &number, &user, PASSWORD).await;
    assert_eq!(home.path, "/area-clienti");
    assert!(
        home.contains("La tua linea") && home.contains("Attiva"),
        "{}",
        home.text()
    );
    assert!(
        !home.contains("prossimamente"),
        "no card that leads nowhere"
    );
    let doc = home.doc();
    let cards = scraper::Selector::parse("main .cards a").unwrap();
    let links: Vec<String> = doc
        .select(&cards)
        .map(|a| a.attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(links.len(), 6, "{links:?}");
    for href in links {
        assert_eq!(b.get(&href).await.status, 200, "{href}");
    }
}

#[tokio::test]
async fn changing_the_password_checks_the_old_one_ends_the_other_sessions_and_emails() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let (a, other) = (
        browser_with_agent(&p, CHROME),
        browser_with_agent(&p, FIREFOX),
    );
    sign_in(&a, &number, &user, PASSWORD).await;
    p.clock.advance(31);
    sign_in(&other, &number, &user, PASSWORD).await;

    let page = a.get("/area-clienti/password").await;
    let new = "Altra-Password-2027!";
    let wrong = a
        .submit(
            &page,
            "password_attuale",
            &[
                ("password_attuale", "Sbagliata-2026!"),
                ("password", new),
                ("conferma_password", new),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.field_error("password_attuale").as_deref(),
        Some("La password attuale non è corretta.")
    );
    let mismatch = a
        .submit(
            &page,
            "password_attuale",
            &[
                ("password_attuale", PASSWORD),
                ("password", new),
                ("conferma_password", "x"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, 422);
    assert!(
        mismatch.field_error("conferma_password").is_some(),
        "{}",
        mismatch.text()
    );
    let same = a
        .submit(
            &page,
            "password_attuale",
            &[
                ("password_attuale", PASSWORD),
                ("password", PASSWORD),
                ("conferma_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        same.field_error("password").as_deref(),
        Some("La nuova password deve essere diversa da quella attuale.")
    );

    let done = a
        .submit(
            &page,
            "password_attuale",
            &[
                ("password_attuale", PASSWORD),
                ("password", new),
                ("conferma_password", new),
            ],
        )
        .await;
    assert_eq!(done.path, "/area-clienti/password", "{}", done.text());
    assert!(
        done.contains("La password è stata modificata"),
        "{}",
        done.text()
    );
    assert_eq!(
        a.get("/area-clienti").await.path,
        "/area-clienti",
        "this browser stays in"
    );
    assert_eq!(
        other.get("/area-clienti").await.path,
        "/accesso",
        "the other session ended"
    );
    let mail = p.emails_to(&user).await;
    let changed = mail
        .iter()
        .find(|m| m.subject.starts_with("La tua password è stata modificata"))
        .expect("an email");
    assert!(
        changed
            .text
            .contains("sessioni aperte sugli altri dispositivi"),
        "{}",
        changed.text
    );

    let fresh = browser_with_agent(&p, CHROME);
    let refused = password_step(&fresh, &user, PASSWORD).await;
    assert_eq!(refused.status, 401, "the old password no longer works");
    p.clock.advance(31);
    assert_eq!(
        sign_in(&fresh, &number, &user, new).await.path,
        "/area-clienti"
    );
}

#[tokio::test]
async fn a_new_email_is_confirmed_by_a_scanner_safe_link_and_the_old_one_is_told() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let b = browser_with_agent(&p, CHROME);
    sign_in(&b, &number, &user, PASSWORD).await;
    let page = b.get("/area-clienti/email").await;
    assert!(
        page.contains("anche come username"),
        "the username is the email: offered to follow"
    );

    let pec = b
        .submit(&page, "email", &[("email", "ufficio@pec.it")])
        .await;
    assert_eq!(pec.status, 422);
    assert_eq!(
        pec.input_value("email").as_deref(),
        Some("ufficio@pec.it"),
        "what was typed is kept"
    );
    let new = random_email("nuova");
    let sent = b
        .submit(&page, "email", &[("email", &new), ("anche_username", "si")])
        .await;
    assert!(
        sent.contains("Ti abbiamo inviato un'email al nuovo indirizzo"),
        "{}",
        sent.text()
    );
    let mail = p.emails_to(&new).await;
    let confirm = mail.last().expect("the link");
    let link = confirm
        .text
        .split_whitespace()
        .find(|w| w.contains("/area-clienti/email/conferma?t="))
        .expect("a link")
        .to_owned();

    // The mail scanner opens the link first, twice: nothing changes.
    let scanner = p.as_browser(Portal::browser());
    for _ in 0..2 {
        let seen = scanner.get(&link).await;
        assert_eq!(seen.status, 200);
        assert!(seen.contains("CONFERMA IL NUOVO INDIRIZZO"));
    }
    assert_eq!(
        account(&p, &user).await.email,
        user,
        "a GET changes nothing"
    );

    // The person opens it on the phone (not signed in there) and presses the button.
    let phone = browser_with_agent(&p, FIREFOX);
    let page = phone.get(&link).await;
    let done = phone.submit(&page, "t", &[]).await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(
        done.contains("Indirizzo email aggiornato"),
        "{}",
        done.text()
    );
    let a = account(&p, &new).await;
    assert_eq!(
        (a.email.as_str(), a.username.as_str()),
        (new.as_str(), new.as_str())
    );
    let old_mail = p.emails_to(&user).await;
    let notice = old_mail
        .iter()
        .find(|m| {
            m.subject
                .starts_with("Il tuo indirizzo email è stato modificato")
        })
        .expect("told");
    assert!(
        !notice.text.contains(&new),
        "the new address is masked in the notice"
    );
    assert_eq!(
        phone.submit(&page, "t", &[]).await.status,
        410,
        "the link works once"
    );
    // The old username is free, the new one logs in.
    let fresh = browser_with_agent(&p, CHROME);
    p.clock.advance(31);
    assert_eq!(
        sign_in(&fresh, &number, &new, PASSWORD).await.path,
        "/area-clienti"
    );
}

#[tokio::test]
async fn two_tabs_changing_the_email_at_once_the_first_confirmed_wins() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let b = browser_with_agent(&p, CHROME);
    sign_in(&b, &number, &user, PASSWORD).await;
    let (first, second) = (random_email("tab-a"), random_email("tab-b"));
    let (tab_a, tab_b) = tokio::join!(b.get("/area-clienti/email"), b.get("/area-clienti/email"));
    let (fields_a, fields_b) = ([("email", first.as_str())], [("email", second.as_str())]);
    let (sent_a, sent_b) = tokio::join!(
        b.submit(&tab_a, "email", &fields_a),
        b.submit(&tab_b, "email", &fields_b)
    );
    assert!(sent_a.contains("Ti abbiamo inviato") && sent_b.contains("Ti abbiamo inviato"));
    let link = |mail: Vec<local_gateway::inbox::Email>| {
        let text = mail.last().expect("a link").text.clone();
        text.split_whitespace()
            .find(|w| w.contains("conferma?t="))
            .unwrap()
            .to_owned()
    };
    let (link_a, link_b) = (
        link(p.emails_to(&first).await),
        link(p.emails_to(&second).await),
    );
    let page_b = b.get(&link_b).await;
    let page_a = b.get(&link_a).await;
    assert_eq!(b.submit(&page_a, "t", &[]).await.status, 200);
    let late = b.submit(&page_b, "t", &[]).await;
    assert_eq!(late.status, 409, "{}", late.text());
    assert!(late.contains("modificati nel frattempo"), "{}", late.text());
    assert_eq!(account(&p, &user).await.email, first);
}

#[tokio::test]
async fn after_15_minutes_a_sensitive_change_asks_for_the_password_again() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let b = browser_with_agent(&p, CHROME);
    sign_in(&b, &number, &user, PASSWORD).await;
    let page = b.get("/area-clienti/email").await;
    assert!(
        !page.contains("Password attuale"),
        "a fresh login needs no password"
    );
    p.clock.advance(16 * 60);
    let page = b.get("/area-clienti/email").await;
    assert!(page.contains("Password attuale"), "{}", page.text());
    let new = random_email("reauth");
    let missing = b.submit(&page, "email", &[("email", &new)]).await;
    assert_eq!(
        missing.field_error("password_attuale").as_deref(),
        Some("Inserisci la tua password attuale.")
    );
    assert_eq!(missing.input_value("email").as_deref(), Some(new.as_str()));
    let wrong = b
        .submit(
            &page,
            "email",
            &[("email", &new), ("password_attuale", "Nonlae-2026!")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    let ok = b
        .submit(
            &page,
            "email",
            &[("email", &new), ("password_attuale", PASSWORD)],
        )
        .await;
    assert!(ok.contains("Ti abbiamo inviato"), "{}", ok.text());
    let again = b.get("/area-clienti/email").await;
    assert!(
        !again.contains("Password attuale"),
        "the password typed counts as a fresh login"
    );
}

#[tokio::test]
async fn sessions_are_listed_by_browser_and_can_be_ended_one_or_all_others() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let (a, b, c) = (
        browser_with_agent(&p, CHROME),
        browser_with_agent(&p, FIREFOX),
        browser_with_agent(&p, FIREFOX),
    );
    sign_in(&a, &number, &user, PASSWORD).await;
    for other in [&b, &c] {
        p.clock.advance(31);
        sign_in(other, &number, &user, PASSWORD).await;
    }
    let page = a.get("/area-clienti/sessioni").await;
    assert!(
        page.contains("Chrome su Windows 10") && page.contains("Firefox su Linux"),
        "{}",
        page.text()
    );
    assert_eq!(page.form_fields("sessione").len(), 1);
    assert_eq!(page.html.matches("Esci da questo dispositivo").count(), 3);
    assert!(page.contains("(questo dispositivo)"));

    // End the newest Firefox session (the list shows the most recently used first after this one).
    let doc = page.doc();
    let hidden = scraper::Selector::parse("input[name=sessione]").unwrap();
    let ids: Vec<String> = doc
        .select(&hidden)
        .map(|i| i.attr("value").unwrap().to_owned())
        .collect();
    let ended = a
        .post("/area-clienti/sessioni", &[("sessione", &ids[1])])
        .await;
    assert!(
        ended.contains("Abbiamo chiuso 1 sessione"),
        "{}",
        ended.text()
    );
    let left = [
        b.get("/area-clienti").await.path,
        c.get("/area-clienti").await.path,
    ];
    assert_eq!(
        left.iter().filter(|p| *p == "/accesso").count(),
        1,
        "one of the two ended: {left:?}"
    );

    let all = a
        .post("/area-clienti/sessioni", &[("sessione", "altri")])
        .await;
    assert!(
        all.contains("Abbiamo chiuso tutte le sessioni aperte sugli altri dispositivi"),
        "{}",
        all.text()
    );
    assert_eq!(b.get("/area-clienti").await.path, "/accesso");
    assert_eq!(c.get("/area-clienti").await.path, "/accesso");
    assert_eq!(a.get("/area-clienti").await.path, "/area-clienti");
    let forged = a
        .post("/area-clienti/sessioni", &[("sessione", "00ff")])
        .await;
    assert!(
        forged.contains("Nessuna sessione da chiudere"),
        "another account's id ends nothing"
    );
}

#[tokio::test]
async fn the_access_history_shows_wrong_passwords_codes_and_completed_logins() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let b = browser_with_agent(&p, CHROME);
    let wrong = password_step(&b, &user, "Sbagliata-2026!").await;
    assert_eq!(wrong.status, 401);
    p.clock.advance(5);
    sign_in(&b, &number, &user, PASSWORD).await;
    let page = b.get("/area-clienti/accessi").await;
    let rows: Vec<String> = page
        .doc()
        .select(&scraper::Selector::parse("tbody tr").unwrap())
        .map(|r| r.text().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows[0].contains("Accesso completato") && rows[0].contains("Chrome su Windows 10"),
        "{rows:?}"
    );
    assert!(rows[1].contains("codice SMS inviato"), "{rows:?}");
    assert!(rows[2].contains("Password errata"), "{rows:?}");
    assert!(
        page.contains("Non sei stato tu?") && page.html.contains("href=\"/area-clienti/password\"")
    );
}

#[tokio::test]
async fn a_login_from_a_browser_never_used_before_emails_the_owner() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let notices = |mail: Vec<local_gateway::inbox::Email>| {
        mail.iter()
            .filter(|m| m.subject.starts_with("Nuovo accesso"))
            .count()
    };
    let a = browser_with_agent(&p, CHROME);
    sign_in(&a, &number, &user, PASSWORD).await;
    assert_eq!(
        notices(p.emails_to(&user).await),
        0,
        "the first login is no news"
    );
    a.post("/esci", &[]).await;
    p.clock.advance(31);
    sign_in(&a, &number, &user, PASSWORD).await;
    assert_eq!(notices(p.emails_to(&user).await), 0, "a known browser");
    let b = browser_with_agent(&p, FIREFOX);
    p.clock.advance(31);
    sign_in(&b, &number, &user, PASSWORD).await;
    let mail = p.emails_to(&user).await;
    assert_eq!(notices(mail.clone()), 1);
    let notice = mail
        .iter()
        .find(|m| m.subject.starts_with("Nuovo accesso"))
        .unwrap();
    assert!(
        notice.text.contains("Firefox su Linux") && notice.text.contains("/recupero"),
        "{}",
        notice.text
    );
}

#[tokio::test]
async fn the_data_export_holds_everything_about_the_person_and_no_secret() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let b = browser_with_agent(&p, CHROME);
    sign_in(&b, &number, &user, PASSWORD).await;
    // The help desk unlocked the account once: the export says so.
    let id = account(&p, &user).await.id;
    let unlock = admin::ops(
        &p,
        &[
            "account",
            "unlock",
            &id,
            "--motivo",
            "telefonata del cliente",
        ],
    )
    .await;
    assert_eq!(unlock.code, Exit::Ok, "{}", unlock.stderr);
    let resp = b
        .client
        .get(format!("{}/area-clienti/privacy/dati.json", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let body = resp.text().await.unwrap();
    for secret in ["$argon2", "password_hash", "hash"] {
        assert!(!body.contains(secret), "{secret} in the export");
    }
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["profilo"]["email"], user.as_str());
    assert_eq!(v["profilo"]["numero_mobile"], number.as_str());
    assert_eq!(v["linea"]["stato"], "attiva");
    assert_eq!(v["consensi"]["termini_versione"], "1.0");
    assert_eq!(v["consensi"]["storico"].as_array().unwrap().len(), 1);
    assert_eq!(v["sessioni"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["interventi_assistenza"][0]["motivo"],
        "telefonata del cliente"
    );
    assert_eq!(v["accessi"][0]["esito"], "Accesso completato");
    let pdf = b
        .client
        .get(format!("{}/area-clienti/privacy/dati.pdf", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
}

#[tokio::test]
async fn deleting_the_account_takes_the_password_and_an_sms_code_and_frees_the_number() {
    let p = Portal::start().await;
    let (number, user) = registered(&p, "area").await;
    let b = browser_with_agent(&p, CHROME);
    sign_in(&b, &number, &user, PASSWORD).await;
    let id = account(&p, &user).await.id;
    let page = b.get("/area-clienti/elimina").await;
    assert!(
        page.contains("per 10 anni"),
        "what is kept is said: {}",
        page.text()
    );
    let wrong = b
        .submit(
            &page,
            "password_attuale",
            &[("password_attuale", "Sbagliata-2026!")],
        )
        .await;
    assert_eq!(wrong.status, 401);
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
    let sms = p.sms_to(&number).await;
    assert!(sms
        .last()
        .unwrap()
        .text
        .contains("per confermare l'eliminazione del tuo account"));
    let bad = b
        .submit(&code_page, "codice", &[("codice", "000000")])
        .await;
    assert_eq!(bad.status, 422);
    let code = p.last_code(&number).await;
    let gone = b.submit(&code_page, "codice", &[("codice", &code)]).await;
    assert_eq!(gone.path, "/accesso", "{}", gone.text());
    assert!(
        gone.contains("Il tuo account è stato eliminato"),
        "{}",
        gone.text()
    );
    assert_eq!(b.get("/area-clienti").await.path, "/accesso", "signed out");
    let mail = p.emails_to(&user).await;
    assert!(mail
        .iter()
        .any(|m| m.subject.starts_with("Il tuo account è stato eliminato")));
    let stored = accounts::get(p.app.store.as_ref(), &id)
        .await
        .unwrap()
        .expect("kept 30 days");
    assert_eq!(stored.status, accounts::Status::Ceased);
    assert!(stored.password_hash.is_empty(), "nothing to log in with");
    let audit = consent_log::of_account(p.app.store.as_ref(), &id)
        .await
        .unwrap();
    assert_eq!(
        audit.last().map(|e| e.action.as_str()),
        Some("account-deleted"),
        "the audit is kept"
    );
    // The number, username and person are free: a new registration of the same SIM completes.
    p.clock.advance(3600);
    register(&p.as_browser(Portal::browser()), &number, &user).await;
}

#[tokio::test]
async fn new_terms_are_accepted_before_the_private_area_opens() {
    // On a table of its own: the versions in force are the whole portal's.
    let table = format!("portale-consensi-{}", rand::random::<u32>());
    let p = Portal::start_full(|c| c.table_name = table, |app| async move { app }).await;
    let (number, user) = registered(&p, "area").await;
    let b = browser_with_agent(&p, CHROME);
    sign_in(&b, &number, &user, PASSWORD).await;
    // Ops publish a new version of the terms with portale-admin.
    let version = format!("2.{}", rand::random::<u16>());
    let note = "Nuove regole sul trattamento dei dati di traffico.";
    let args = [
        "consensi",
        "pubblica",
        "--termini",
        &version,
        "--nota",
        note,
        "--motivo",
        "nuovo contratto",
    ];
    let published = admin::ops(&p, &args).await;
    assert_eq!(published.code, Exit::Ok, "{}", published.stderr);
    assert!(
        published.stdout.contains("dovrà accettarle"),
        "{}",
        published.stdout
    );
    let again = admin::ops(&p, &args).await;
    assert_eq!(
        again.code,
        Exit::NotAllowed,
        "the same version twice: {}",
        again.stderr
    );
    let bad = admin::ops(
        &p,
        &["consensi", "pubblica", "--termini", "2 0", "--motivo", "x"],
    )
    .await;
    assert_eq!(bad.code, Exit::Usage);
    let shown = admin::ops(&p, &["consensi", "mostra", "--json"]).await;
    let v: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(v["termini_versione"], version.as_str());
    let in_force = consent_log::InForce {
        terms_version: version.clone(),
        note: note.into(),
        ..Default::default()
    };
    let page = b.get("/area-clienti/sessioni").await;
    assert_eq!(page.path, "/area-clienti/consensi", "{}", page.text());
    assert!(
        page.contains(&in_force.terms_version) && page.contains("Nuove regole"),
        "{}",
        page.text()
    );
    assert_eq!(
        b.get("/area-clienti/privacy").await.path,
        "/area-clienti/privacy",
        "the data stay reachable"
    );
    let refused = b.submit(&page, "termini", &[]).await;
    assert_eq!(refused.status, 422);
    assert!(refused.field_error("termini").is_some() && refused.field_error("privacy").is_some());
    let done = b
        .submit(&page, "termini", &[("termini", "si"), ("privacy", "si")])
        .await;
    assert_eq!(
        done.path, "/area-clienti/sessioni",
        "back where the person was going"
    );
    let a = account(&p, &user).await;
    assert_eq!(a.terms_version, in_force.terms_version);
    let audit = consent_log::of_account(p.app.store.as_ref(), &a.id)
        .await
        .unwrap();
    assert_eq!(
        audit.len(),
        2,
        "registration and the new version: {audit:?}"
    );
}

#[tokio::test]
async fn an_address_of_another_account_is_refused_and_counted_against_the_daily_cap() {
    let p = Portal::start().await;
    p.align_clock(store::limits::EMAIL_CHANGES_PER_ACCOUNT.window_secs);
    let (number, user) = registered(&p, "area").await;
    let (_, other) = registered(&p, "area").await;
    let b = browser_with_agent(&p, CHROME);
    sign_in(&b, &number, &user, PASSWORD).await;
    let page = b.get("/area-clienti/email").await;
    for _ in 0..5 {
        let taken = b.submit(&page, "email", &[("email", &other)]).await;
        assert_eq!(taken.status, 409, "{}", taken.text());
        assert!(
            taken.contains("già associato a un altro account"),
            "{}",
            taken.text()
        );
        assert_eq!(
            taken.input_value("email").as_deref(),
            Some(other.as_str()),
            "what was typed is kept"
        );
    }
    // Probing is bounded: the five refusals spent the day's changes.
    let free = random_email("libero");
    let capped = b.submit(&page, "email", &[("email", &free)]).await;
    assert_eq!(capped.status, 429, "{}", capped.text());
    assert!(capped.contains("troppe modifiche"), "{}", capped.text());
    assert!(p.emails_to(&free).await.is_empty(), "nothing sent");
}
