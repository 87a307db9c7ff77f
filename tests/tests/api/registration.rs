//! Registration end to end (guide, section 3): real HTTP through the local gateway,
//! real LocalStack (DynamoDB, SNS, SES v2), SMS and mail read back from LocalStack.

use e2e::{random_email, random_number, Portal};
use store::accounts::{self, Status};
use store::uniqueness::{self, Kind};

use e2e::register::*;

#[tokio::test]
async fn a_user_registers_from_number_to_summary_email() {
    let p = Portal::start().await;
    let number = random_number();
    let email = random_email("mario.rossi");
    p.add_line(&number, ENTE, ENTE_NAME, true).await;

    let page = step1(&p, &number).await;
    assert_eq!(page.path, "/registrazione/codice");
    let sms = p.sms_to(&number).await;
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].sender_id, "40134");
    let code = p.last_code(&number).await;
    assert_eq!(
        sms[0].text,
        format!("Usa il codice temporaneo {code} per proseguire con la registrazione all'Area Clienti TIM dedicata ai \
            servizi in Convenzione Mobile 8")
    );

    let link = from_code(&p, &page, &code, &number, &email).await;
    let done = complete(&p, &link).await;
    assert_eq!(done.path, "/registrazione/esito", "{}", done.text());
    assert!(done.contains("Richiesta inviata con successo"));
    assert!(done.contains("Ti abbiamo inviato una email per ricordarti i tuoi dati di accesso."));

    let summary = p
        .emails_to(&email)
        .await
        .into_iter()
        .find(|m| m.subject.contains("Registrazione completata"))
        .expect("summary email");
    assert!(summary.from.contains("convenzionemobile8@telecomitalia.it"));
    let national = number.trim_start_matches("+39");
    for field in [
        "Nome e Cognome: Mario Rossi".to_owned(),
        format!("Ragione Sociale Ente/Amministrazione: {ENTE_NAME}"),
        format!("C.F. Ente/Amministrazione: {ENTE}"),
        format!("Codice Fiscale Personale: {}", cf_for(&number)),
        format!("Numero Mobile: {national}"),
        format!("Email: {email}"),
        format!("Username: {email}"),
    ] {
        assert!(
            summary.text.contains(&field),
            "summary lacks {field:?}:\n{}",
            summary.text
        );
    }
    assert!(summary.html.contains("cliccando qui") && summary.html.contains("/accesso"));

    let owner = uniqueness::holder(p.app.store.as_ref(), Kind::Username, &email, p.app.now())
        .await
        .unwrap()
        .expect("username claimed");
    let account = accounts::get(p.app.store.as_ref(), owner.account().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(account
        .password_hash
        .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert_eq!(
        (
            account.terms_version.as_str(),
            account.privacy_version.as_str()
        ),
        ("1.0", "1.0")
    );
    assert!(!account.password_hash.contains(PASSWORD));
}

#[tokio::test]
async fn a_number_outside_the_convenzione_is_refused_and_kept() {
    let p = Portal::start().await;
    let number = random_number();
    let page = step1(&p, &number).await;
    assert_eq!(page.status, 422);
    assert!(page
        .field_error("numero")
        .unwrap()
        .contains("non risulta tra le linee TIM attive"));
    assert_eq!(
        page.input_value("numero").as_deref(),
        Some(number.as_str()),
        "what the user typed is kept"
    );
    assert!(p.sms_to(&number).await.is_empty());
    let ceased = random_number();
    p.add_line(&ceased, ENTE, ENTE_NAME, false).await;
    let page = step1(&p, &ceased).await;
    assert!(page
        .field_error("numero")
        .unwrap()
        .contains("non risulta tra le linee TIM attive"));
}

#[tokio::test]
async fn the_slider_must_reach_the_end_after_a_human_pause() {
    let p = Portal::start().await;
    let number = new_line(&p).await;
    let page = p.get("/registrazione/numero").await;
    let fast = p
        .submit(&page, "numero", &[("numero", &number), ("conferma", "100")])
        .await;
    assert!(fast
        .field_error("conferma")
        .unwrap()
        .contains("trascina di nuovo il cursore"));
    p.clock.advance(3);
    let half = p
        .submit(&fast, "numero", &[("numero", &number), ("conferma", "50")])
        .await;
    assert!(half
        .field_error("conferma")
        .unwrap()
        .contains("estremità destra"));
    assert!(p.sms_to(&number).await.is_empty());
}

#[tokio::test]
async fn five_wrong_codes_burn_the_code_and_resend_replaces_it() {
    let p = Portal::start().await;
    let number = new_line(&p).await;
    let mut page = step1(&p, &number).await;
    let right = p.last_code(&number).await;
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for left in (1..=4).rev() {
        page = p.submit(&page, "codice", &[("codice", wrong)]).await;
        let msg = page.field_error("codice").unwrap();
        assert!(
            msg.contains(&format!("hai ancora {left} tentativ")),
            "{msg}"
        );
    }
    page = p.submit(&page, "codice", &[("codice", wrong)]).await;
    assert!(page.field_error("codice").unwrap().contains("troppe volte"));
    page = p.submit(&page, "codice", &[("codice", &right)]).await;
    assert!(
        page.field_error("codice").unwrap().contains("troppe volte"),
        "the right code no longer works"
    );

    p.clock.advance(60);
    page = p.submit(&page, "azione", &[]).await;
    assert!(page.contains("Ti abbiamo inviato un nuovo codice"));
    let new = p.last_code(&number).await;
    assert_eq!(p.sms_to_at_least(&number, 2).await.len(), 2);
    page = p.submit(&page, "codice", &[("codice", &new)]).await;
    assert_eq!(page.path, "/registrazione/dati");
}

#[tokio::test]
async fn an_expired_code_offers_a_new_one() {
    let p = Portal::start().await;
    let number = new_line(&p).await;
    let page = step1(&p, &number).await;
    let old = p.last_code(&number).await;
    p.clock.advance(301);
    let expired = p.submit(&page, "codice", &[("codice", &old)]).await;
    assert_eq!(expired.status, 410);
    assert!(expired.contains("Il codice temporaneo è scaduto"));
    assert!(expired.contains("RICHIEDI UN NUOVO CODICE") && expired.contains("RIPROVA"));
    let page = p.submit(&expired, "azione", &[]).await;
    let new = p.last_code(&number).await;
    if new != old {
        let refused = p.submit(&page, "codice", &[("codice", &old)]).await;
        assert!(
            refused
                .field_error("codice")
                .unwrap()
                .contains("Codice errato"),
            "the old code stopped working"
        );
    }
    let ok = p.submit(&page, "codice", &[("codice", &new)]).await;
    assert_eq!(ok.path, "/registrazione/dati");
}

#[tokio::test]
async fn entity_codes_are_checked_against_the_sim() {
    let p = Portal::start().await;
    let number = new_line(&p).await;
    let page = through_otp(&p, &number).await;
    let swapped = p
        .submit(
            &page,
            "nome",
            &[
                ("nome", "Mario"),
                ("cognome", "Rossi"),
                ("cf_personale", CF),
                ("cf_ente", CF),
            ],
        )
        .await;
    assert!(
        swapped
            .field_error("cf_ente")
            .unwrap()
            .contains("codice fiscale personale"),
        "{:?}",
        swapped.field_error("cf_ente")
    );
    assert_eq!(swapped.input_value("nome").as_deref(), Some("Mario"));
    let other = p
        .submit(&swapped, "nome", &[("cf_ente", "06363391001")])
        .await;
    assert!(other
        .field_error("cf_ente")
        .unwrap()
        .contains("non corrisponde"));
    let entity_as_personal = p
        .submit(&other, "nome", &[("cf_ente", ENTE), ("cf_personale", ENTE)])
        .await;
    assert!(entity_as_personal.field_error("cf_personale").is_some());
}

#[tokio::test]
async fn pec_and_taken_usernames_are_refused() {
    let p = Portal::start().await;
    let first = random_number();
    let taken = random_email("preso");
    p.add_line(&first, ENTE, ENTE_NAME, true).await;
    let link = through_email(&p, &first, &taken).await;
    assert!(complete(&p, &link)
        .await
        .contains("Richiesta inviata con successo"));

    let q = Portal::start().await;
    let second = new_line(&q).await;
    let page = through_profile(&q, &second).await;
    let pec = q
        .submit(&page, "email", &[("email", "mario.rossi@pec.it")])
        .await;
    assert!(pec.field_error("email").unwrap().contains("PEC"));
    assert_eq!(
        pec.input_value("email").as_deref(),
        Some("mario.rossi@pec.it")
    );
    let dup = q.submit(&pec, "email", &[("email", &taken)]).await;
    assert!(dup.field_error("email").unwrap().contains("già associato"));
    let mine = random_email("nuovo");
    q.submit(&dup, "email", &[("email", &mine)]).await;
    let edit = q.get("/registrazione/email?modifica=username").await;
    let refused = q.submit(&edit, "username", &[("username", &taken)]).await;
    assert!(refused
        .field_error("username")
        .unwrap()
        .contains("già in uso"));
    let free = format!("mario.{}", rand::random::<u32>());
    let ok = q.submit(&refused, "username", &[("username", &free)]).await;
    assert!(ok.contains("Ti abbiamo inviato una email"));
}

#[tokio::test]
async fn the_link_works_once_and_in_another_browser() {
    let p = Portal::start().await;
    let number = random_number();
    let email = random_email("link");
    p.add_line(&number, ENTE, ENTE_NAME, true).await;
    let link = through_email(&p, &number, &email).await;

    let phone = p.as_browser(Portal::browser());
    let confirmed = e2e::register::confirm(&phone, &link).await;
    assert!(confirmed.contains("Email Confermata"));
    let phone = phone.client;
    let reused = p.get_with(&Portal::browser(), &link).await;
    assert_eq!(reused.status, 410);
    assert!(reused.contains("non è più valido"));
    let pw = p.get_with(&phone, "/registrazione/password").await;
    assert_eq!(
        pw.path, "/registrazione/password",
        "the phone continues the flow"
    );
    let first_browser = p.get("/registrazione/password").await;
    assert_eq!(
        first_browser.path, "/registrazione/numero",
        "the old cookie no longer carries the flow"
    );
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let p = Portal::start().await;
    let number = random_number();
    let email = random_email("scaduto");
    p.add_line(&number, ENTE, ENTE_NAME, true).await;
    let link = through_email(&p, &number, &email).await;
    p.clock.advance(24 * 3600 + 1);
    let page = p.get(&link).await;
    assert_eq!(page.status, 410);
}

#[tokio::test]
async fn weak_passwords_and_missing_consents_are_refused() {
    let p = Portal::start().await;
    let number = new_line(&p).await;
    let link = through_email(&p, &number, &random_email("pw")).await;
    confirm(&p, &link).await;
    let page = p.get("/registrazione/password").await;
    assert!(page.contains("almeno"), "the rules are shown");
    let weak = p
        .submit(
            &page,
            "password",
            &[
                ("password", "password"),
                ("conferma_password", "password"),
                ("termini", "si"),
                ("privacy", "si"),
            ],
        )
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.field_error("password").is_some());
    let mismatch = p
        .submit(
            &weak,
            "password",
            &[
                ("password", PASSWORD),
                ("conferma_password", "Altro-Valore-99!"),
            ],
        )
        .await;
    assert!(mismatch
        .field_error("conferma_password")
        .unwrap()
        .contains("non coincidono"));
    assert!(
        mismatch
            .input_value("password")
            .unwrap_or_default()
            .is_empty(),
        "secrets are never echoed back"
    );
    let fresh = p.get("/registrazione/password").await;
    let no_terms = p
        .submit(
            &fresh,
            "password",
            &[
                ("password", PASSWORD),
                ("conferma_password", PASSWORD),
                ("privacy", "si"),
            ],
        )
        .await;
    assert!(no_terms
        .field_error("termini")
        .unwrap()
        .contains("Termini e condizioni"));
    assert!(no_terms.field_error("privacy").is_none());
}

#[tokio::test]
async fn steps_opened_out_of_order_redirect_to_the_right_one() {
    let p = Portal::start().await;
    for path in [
        "/registrazione/codice",
        "/registrazione/dati",
        "/registrazione/email",
        "/registrazione/password",
        "/registrazione/esito",
    ] {
        let page = p.get(path).await;
        assert_eq!(page.path, "/registrazione/numero", "{path} without a flow");
        assert!(page.contains("scaduta"));
    }
    let number = new_line(&p).await;
    step1(&p, &number).await;
    for path in [
        "/registrazione/dati",
        "/registrazione/email",
        "/registrazione/password",
        "/registrazione/esito",
    ] {
        assert_eq!(
            p.get(path).await.path,
            "/registrazione/codice",
            "{path} before the code"
        );
    }
    let forged = p
        .post("/registrazione/password", &[("password", PASSWORD)])
        .await;
    assert_eq!(forged.path, "/registrazione/codice");
}

#[tokio::test]
async fn prosegui_ceases_the_old_registration_only_on_completion() {
    let p = Portal::start().await;
    let number = new_line(&p).await;
    let first = random_email("primo");
    let link = through_email(&p, &number, &first).await;
    complete(&p, &link).await;
    let owner = uniqueness::holder(p.app.store.as_ref(), Kind::Number, &number, p.app.now())
        .await
        .unwrap()
        .unwrap();
    let old_id = owner.into_account().unwrap();

    let q = Portal::start().await;
    let dup = through_profile(&q, &number).await;
    assert!(
        dup.contains("esiste già un'altra registrazione"),
        "{}",
        dup.text()
    );
    assert!(dup.contains("RECUPERA LE TUE CREDENZIALI") && dup.contains("PROSEGUI"));
    let page = q.submit(&dup, "azione", &[("azione", "prosegui")]).await;
    assert_eq!(page.path, "/registrazione/email");
    let second = random_email("secondo");
    let page = q.submit(&page, "email", &[("email", &second)]).await;
    q.submit(&page, "azione", &[]).await;
    let old = accounts::get(p.app.store.as_ref(), &old_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status, Status::Active, "not ceased before completion");
    let link = confirmation_link(&q, &second).await;
    assert!(complete(&q, &link)
        .await
        .contains("Richiesta inviata con successo"));
    let old = accounts::get(p.app.store.as_ref(), &old_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status, Status::Ceased);
    assert_eq!(old.session_epoch, 1, "its sessions end");
}

#[tokio::test]
async fn twenty_parallel_registrations_race_for_one_username() {
    let username = format!("gara.{}", rand::random::<u32>());
    let mut flows = Vec::new();
    for _ in 0..20 {
        let p = Portal::start().await;
        let number = new_line(&p).await;
        let page = through_profile(&p, &number).await;
        let page = p
            .submit(&page, "email", &[("email", &random_email("gara"))])
            .await;
        flows.push((p, page));
    }
    let results = futures::future::join_all(flows.iter().map(|(p, _)| async {
        let edit = p.get("/registrazione/email?modifica=username").await;
        p.submit(&edit, "username", &[("username", &username)])
            .await
    }))
    .await;
    let winners = results
        .iter()
        .filter(|r| r.contains("Ti abbiamo inviato una email"))
        .count();
    let refused = results
        .iter()
        .filter(|r| {
            r.field_error("username")
                .is_some_and(|e| e.contains("già in uso"))
        })
        .count();
    assert_eq!((winners, refused), (1, 19));
}
