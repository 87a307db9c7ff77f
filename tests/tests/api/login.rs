//! Login with password + SMS code, sessions and the private area (guide, section 4), end
//! to end through the local gateway on real LocalStack.

use domain::MobileNumber;
use e2e::register::{cf_for, new_line, registered, ENTE, ENTE_NAME, PASSWORD};
use e2e::{random_email, random_number, Page, Portal};
use store::accounts;
use store::uniqueness::Kind;

const LOGIN_SMS: &str =
    "per completare l'accesso all'Area Clienti TIM dedicata ai servizi in Convenzione Mobile 8.";

/// The password step from a login page checked as a visitor finds it.
async fn password_step(p: &Portal, username: &str, password: &str) -> Page {
    let page = e2e::sign_in::login_page(p).await;
    e2e::sign_in::submit_password(p, &page, username, password).await
}

/// A whole login through the checked login page.
async fn sign_in(p: &Portal, number: &str, username: &str, password: &str) -> Page {
    let page = password_step(p, username, password).await;
    e2e::sign_in::code_step(p, &page, number).await
}

fn count(s: &[local_gateway::inbox::Sms]) -> usize {
    s.len()
}

#[tokio::test]
async fn a_user_logs_in_with_the_sms_code_sees_the_profile_and_logs_out() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "accesso").await;
    let (client, jar) = Portal::browser_with_jar();
    let b = p.as_browser(client);

    let page = password_step(&b, &username, PASSWORD).await;
    assert_eq!(page.path, "/accesso/codice", "{}", page.text());
    assert!(page.contains(&format!(
        "{} *** {}",
        &MobileNumber::parse(&number).unwrap().national()[..3],
        &number[number.len() - 4..]
    )));
    let sms = p.sms_to(&number).await;
    let last = sms.last().unwrap();
    let code = p.last_code(&number).await;
    assert_eq!(
        last.text,
        format!("Usa il codice temporaneo {code} {LOGIN_SMS}")
    );
    assert_eq!(last.sender_id, "40134");

    let home = b.submit(&page, "codice", &[("codice", &code)]).await;
    assert_eq!(home.path, "/area-clienti");
    assert!(home.contains("Ciao, Mario Rossi"), "{}", home.text());
    for shown in [
        ENTE_NAME,
        ENTE,
        MobileNumber::parse(&number).unwrap().pretty().as_str(),
        username.as_str(),
    ] {
        assert!(
            home.contains(shown),
            "profile shows {shown}: {}",
            home.text()
        );
    }
    assert!(
        home.contains("La tua linea") && home.contains("Cambia la password"),
        "the line and what the person can do: {}",
        home.text()
    );
    let session = b.cookie_in(&jar, "session").expect("a session cookie");

    assert!(home.contains("ESCI"));
    let out = b.post("/esci", &[]).await;
    assert_eq!(out.path, "/accesso");
    assert!(
        out.contains("Sei uscito dall'Area Clienti"),
        "{}",
        out.text()
    );
    // The old cookie, replayed by anyone, no longer opens the private area.
    let replay = reqwest::Client::new()
        .get(format!("{}/area-clienti", p.base))
        .header("cookie", format!("session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.url().path(), "/accesso");
    assert!(replay
        .text()
        .await
        .unwrap()
        .contains("La sessione è scaduta"));
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer_and_no_sms() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "accesso").await;
    let before = count(&p.sms_to(&number).await);
    let wrong = password_step(&p, &username, "Sbagliata-123!").await;
    let unknown_name = random_email("nessuno");
    let unknown = password_step(&p, &unknown_name, "Sbagliata-123!").await;
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.field_error("password").as_deref(),
        Some("Username o password non corretti. Controlla i dati inseriti e riprova.")
    );
    assert_eq!(
        wrong.input_value("username").as_deref(),
        Some(username.as_str()),
        "the username is kept"
    );
    assert_eq!(
        wrong.input_value("password").as_deref(),
        Some(""),
        "the password is not echoed"
    );
    assert_eq!(
        wrong.html.replace(&username, "U"),
        unknown.html.replace(&unknown_name, "U"),
        "byte-identical apart from what was typed"
    );
    assert_eq!(count(&p.sms_to(&number).await), before, "no SMS");
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_username_for_a_while_only() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "accesso").await;
    for _ in 0..4 {
        assert!(password_step(&p, &username, "Sbagliata-123!")
            .await
            .contains("Username o password non corretti"));
    }
    let locked = password_step(&p, &username, "Sbagliata-123!").await;
    assert!(
        locked.contains("bloccato per 1 minuto"),
        "{}",
        locked.text()
    );
    let still = password_step(&p, &username, PASSWORD).await;
    assert_eq!(
        still.path, "/accesso",
        "the right password does not open a locked username"
    );
    assert!(still.contains("bloccato"));
    // An invented username gets the very same treatment.
    let ghost = random_email("fantasma");
    for _ in 0..5 {
        password_step(&p, &ghost, "Sbagliata-123!").await;
    }
    assert!(password_step(&p, &ghost, "x")
        .await
        .contains("bloccato per"));
    p.clock.advance(61);
    let home = sign_in(&p, &number, &username, PASSWORD).await;
    assert_eq!(
        home.path,
        "/area-clienti",
        "the lock lifts by itself: {}",
        home.text()
    );
}

#[tokio::test]
async fn five_wrong_codes_burn_the_code_and_invia_di_nuovo_replaces_it() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "accesso").await;
    let page = password_step(&p, &username, PASSWORD).await;
    let code = p.last_code(&number).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut last = page;
    for left in (1..5).rev() {
        last = p.submit(&last, "codice", &[("codice", wrong)]).await;
        let msg = last.field_error("codice").unwrap();
        assert!(
            msg.contains(&format!("hai ancora {left} tentativ")),
            "{msg}"
        );
    }
    last = p.submit(&last, "codice", &[("codice", wrong)]).await;
    assert!(last.field_error("codice").unwrap().contains("troppe volte"));
    let refused = p.submit(&last, "codice", &[("codice", &code)]).await;
    assert_ne!(refused.path, "/area-clienti", "a burnt code stays burnt");

    // Invia di nuovo: too soon first, then a new code that replaces the old one.
    let soon = p.submit(&refused, "azione", &[]).await;
    assert!(soon.contains("Attendi ancora"), "{}", soon.text());
    p.clock.advance(31);
    let renewed = p.submit(&soon, "azione", &[]).await;
    assert!(
        renewed.contains("Ti abbiamo inviato un nuovo codice"),
        "{}",
        renewed.text()
    );
    let new_code = p.last_code(&number).await;
    assert_ne!(new_code, code);
    let home = p.submit(&renewed, "codice", &[("codice", &new_code)]).await;
    assert_eq!(home.path, "/area-clienti");
}

#[tokio::test]
async fn the_old_code_stops_working_after_a_resend() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "accesso").await;
    let page = password_step(&p, &username, PASSWORD).await;
    let old = p.last_code(&number).await;
    p.clock.advance(31);
    let renewed = p.submit(&page, "azione", &[]).await;
    let new_code = p.last_code(&number).await;
    if new_code == old {
        return; // one chance in a million: nothing to tell apart
    }
    let refused = p.submit(&renewed, "codice", &[("codice", &old)]).await;
    assert!(refused
        .field_error("codice")
        .unwrap()
        .contains("Codice errato"));
    assert_eq!(
        p.submit(&refused, "codice", &[("codice", &new_code)])
            .await
            .path,
        "/area-clienti"
    );
}

#[tokio::test]
async fn an_expired_code_offers_a_new_one() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "accesso").await;
    let page = password_step(&p, &username, PASSWORD).await;
    let code = p.last_code(&number).await;
    p.clock.advance(301);
    let expired = p.submit(&page, "codice", &[("codice", &code)]).await;
    assert_eq!(expired.status, 410);
    assert!(
        expired.contains("Codice temporaneo scaduto")
            && expired.contains("RICHIEDI UN NUOVO CODICE")
            && expired.contains("RIPROVA")
    );
    let renewed = p.submit(&expired, "azione", &[]).await;
    assert_eq!(renewed.path, "/accesso/codice");
    let fresh = p.last_code(&number).await;
    assert_eq!(
        p.submit(&renewed, "codice", &[("codice", &fresh)])
            .await
            .path,
        "/area-clienti"
    );
}

#[tokio::test]
async fn a_sim_no_longer_in_the_convenzione_cannot_log_in_and_gets_no_sms() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "accesso").await;
    p.add_line(&number, ENTE, ENTE_NAME, false).await;
    let before = count(&p.sms_to(&number).await);
    let page = password_step(&p, &username, PASSWORD).await;
    assert_eq!(page.status, 403);
    assert!(
        page.contains("non risulta attiva in Convenzione Telefonia Mobile 8"),
        "{}",
        page.text()
    );
    assert_eq!(count(&p.sms_to(&number).await), before);
}

#[tokio::test]
async fn sessions_expire_when_idle_and_private_pages_need_one() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "accesso").await;
    let anonymous = p.get("/area-clienti").await;
    assert_eq!(anonymous.path, "/accesso");
    assert!(anonymous.contains("Per continuare accedi"));
    // Login from the redirect comes back to the private page.
    let page = p
        .submit(
            &anonymous,
            "username",
            &[("username", &username), ("password", PASSWORD)],
        )
        .await;
    let code = p.last_code(&number).await;
    let home = p.submit(&page, "codice", &[("codice", &code)]).await;
    assert_eq!(home.path, "/area-clienti");
    p.clock.advance(29 * 60);
    assert_eq!(
        p.get("/area-clienti").await.path,
        "/area-clienti",
        "still alive and renewed by use"
    );
    p.clock.advance(29 * 60);
    assert_eq!(
        p.get("/area-clienti").await.path,
        "/area-clienti",
        "idle time counts from the last use"
    );
    p.clock.advance(31 * 60);
    let gone = p.get("/area-clienti").await;
    assert_eq!(gone.path, "/accesso");
    assert!(gone.contains("La sessione è scaduta"));
}

#[tokio::test]
async fn the_session_id_changes_at_login_and_an_epoch_bump_ends_it() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "accesso").await;
    let (client, jar) = Portal::browser_with_jar();
    let b = p.as_browser(client);
    // Fixation attempt: a planted session id is replaced, never adopted.
    jar.add_cookie_str(
        "session=scelto-da-un-attaccante; Path=/",
        &p.base.parse::<reqwest::Url>().unwrap(),
    );
    assert_eq!(
        sign_in(&b, &number, &username, PASSWORD).await.path,
        "/area-clienti"
    );
    let first = b.cookie_in(&jar, "session").unwrap();
    assert_ne!(first, "scelto-da-un-attaccante");
    // Signed in, the login page sends the user on; a login posted anyway starts afresh.
    assert_eq!(b.get("/accesso").await.path, "/area-clienti");
    p.clock.advance(31);
    let page = b
        .post(
            "/accesso",
            &[
                ("username", &username),
                ("password", PASSWORD),
                ("next", "/area-clienti"),
            ],
        )
        .await;
    let code = p.last_code(&number).await;
    assert_eq!(
        b.submit(&page, "codice", &[("codice", &code)]).await.path,
        "/area-clienti"
    );
    let second = b.cookie_in(&jar, "session").unwrap();
    assert_ne!(first, second, "a new id at every login");
    let replay = reqwest::Client::new()
        .get(format!("{}/area-clienti", p.base))
        .header("cookie", format!("session={first}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.url().path(),
        "/accesso",
        "the previous id was ended at the new login"
    );

    // A password reset or a ceased registration bumps the epoch: every session ends.
    let account = accounts::by_claim(p.app.store.as_ref(), Kind::Username, &username, p.app.now())
        .await
        .unwrap()
        .unwrap();
    p.app
        .store
        .update(&accounts::key(&account.id), accounts::end_sessions(), None)
        .await
        .unwrap();
    assert_eq!(b.get("/area-clienti").await.path, "/accesso");
}

/// Convenzione 7 accounts, one per accepted hash scheme, log in with their old password;
/// afterwards their stored hash is argon2id at today's parameters.
#[tokio::test]
async fn imported_accounts_log_in_with_the_old_password_and_get_argon2id() {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let p = Portal::start().await;
    let old_password = "vecchia password 7";
    let salt = SaltString::generate(&mut OsRng);
    let weak_argon2 = argon2::Argon2::new(
        argon2::Algorithm::Argon2i,
        argon2::Version::V0x13,
        argon2::Params::new(4096, 3, 1, None).unwrap(),
    )
    .hash_password(old_password.as_bytes(), &salt)
    .unwrap()
    .to_string();
    let pbkdf2 = pbkdf2::Pbkdf2
        .hash_password_customized(
            old_password.as_bytes(),
            Some(pbkdf2::Algorithm::Pbkdf2Sha256.ident()),
            None,
            pbkdf2::Params {
                rounds: 10_000,
                output_length: 32,
            },
            &salt,
        )
        .unwrap()
        .to_string();
    let bcrypt = bcrypt::hash(old_password, 6).unwrap();
    // Semicolons: PHC strings contain commas.
    let mut csv = "username;email;numero;nome;cognome;codice_fiscale;codice_fiscale_ente;password_hash;convenzione\
        \n".to_owned();
    let mut users = vec![];
    for (scheme, hash) in [
        ("argon2", weak_argon2),
        ("bcrypt", bcrypt),
        ("pbkdf2", pbkdf2),
    ] {
        let number = random_number();
        let username = random_email(&format!("c7-{scheme}"));
        p.add_line(&number, ENTE, ENTE_NAME, true).await;
        csv.push_str(&format!(
            "{username};{username};{number};Lucia;Bianchi;{cf};{ENTE};{hash};7\n",
            cf = cf_for(&number)
        ));
        users.push((number, username));
    }
    let report = portale_admin::import_accounts::import(
        p.app.store.as_ref(),
        csv.as_bytes(),
        p.app.now(),
        &e2e::quick::harness(),
    )
    .await
    .unwrap();
    assert_eq!(
        (report.inserted, report.rejected.len()),
        (3, 0),
        "{:?}",
        report.rejected
    );
    let again = portale_admin::import_accounts::import(
        p.app.store.as_ref(),
        csv.as_bytes(),
        p.app.now(),
        &e2e::quick::harness(),
    )
    .await
    .unwrap();
    assert_eq!(
        (again.inserted, again.unchanged),
        (0, 3),
        "importing twice changes nothing"
    );

    for (number, username) in users {
        let b = p.as_browser(Portal::browser());
        let first = sign_in(&b, &number, &username, old_password).await;
        // Accepted an earlier Convenzione's terms, never ours: asked before the area opens.
        assert_eq!(
            first.path,
            "/area-clienti/consensi",
            "{username}: {}",
            first.text()
        );
        let consents = [("termini", "si"), ("privacy", "si")];
        let home = b.submit(&first, "termini", &consents).await;
        assert_eq!(home.path, "/area-clienti", "{username}: {}", home.text());
        assert!(home.contains("Ciao, Lucia Bianchi") && home.contains(ENTE_NAME));
        let account =
            accounts::by_claim(p.app.store.as_ref(), Kind::Username, &username, p.app.now())
                .await
                .unwrap()
                .unwrap();
        assert!(
            account
                .password_hash
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{username}: {}",
            account.password_hash
        );
        assert!(domain::passwords::verify(
            &account.password_hash,
            old_password
        ));
    }
}

/// The guide's Suggerimento: a Convenzione 7 user who starts registering is told, once
/// the SMS code proved the SIM, that there is no need to register again.
#[tokio::test]
async fn registering_an_imported_number_suggests_logging_in() {
    let p = Portal::start().await;
    let number = new_line(&p).await;
    let username = random_email("c7-utente");
    let csv = format!(
        "username,email,numero,nome,cognome,codice_fiscale,codice_fiscale_ente,password_hash,convenzione\n{username},\
            {username},{number},Lucia,Bianchi,{cf},{ENTE},{hash},6\n",
        cf = cf_for(&number),
        hash = bcrypt::hash("vecchia", 4).unwrap()
    );
    portale_admin::import_accounts::import(
        p.app.store.as_ref(),
        csv.as_bytes(),
        p.app.now(),
        &e2e::quick::harness(),
    )
    .await
    .unwrap();
    let page = e2e::register::through_otp(&p, &number).await;
    assert_eq!(page.path, "/registrazione/dati");
    assert!(
        page.contains("Non hai bisogno di registrarti nuovamente"),
        "{}",
        page.text()
    );
    assert!(page.contains("ACCEDI"));
}
