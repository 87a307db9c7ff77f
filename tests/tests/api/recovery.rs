//! Credential recovery ("Recupera Username e Password"), its three modes end to end on
//! real LocalStack: SMS and mail are read back, then the user logs in with what they got.

use e2e::recover::{link_in, reset_link};
use e2e::register::{cf_for, new_line, registered, PASSWORD};
use e2e::sign_in::attempt;
use e2e::{random_email, Page, Portal};

const NEW_PASSWORD: &str = "Tramonto-Verde-2027?";

/// The start page, the mode chosen with AVANTI (a GET form), then the data form posted.
async fn recover(p: &Portal, mode: &str, fields: &[(&str, &str)]) -> Page {
    let start = p.get("/recupero").await;
    assert!(
        start.contains("Seleziona una delle 3 modalità"),
        "{}",
        start.text()
    );
    for title in [
        "Username dimenticata",
        "Password dimenticata",
        "Username e password dimenticate",
    ] {
        assert!(start.contains(title));
    }
    let none = p.submit(&start, "scelta", &[]).await;
    assert_eq!(none.status, 422, "AVANTI without a choice says so");
    assert_eq!(
        none.field_error("modalita").as_deref(),
        Some("Seleziona una delle 3 modalità di recupero.")
    );
    let form = p.submit(&start, "scelta", &[("modalita", mode)]).await;
    assert_eq!(form.status, 200);
    p.submit(&form, "modalita", fields).await
}

/// Opens the link in a fresh browser, asks for the code, enters it, sets `password`.
async fn reset_with_link(p: &Portal, number: &str, link: &str, password: &str) -> Page {
    let b = p.as_browser(Portal::browser());
    let page = b.get(link).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.contains("Scegli una nuova password"));
    let code_page = b.submit(&page, "token", &[]).await;
    assert_eq!(code_page.path, "/recupero/codice", "{}", code_page.text());
    let sms = p.sms_to(number).await;
    assert!(
        sms.last()
            .unwrap()
            .text
            .contains("per recuperare le credenziali dell'Area Clienti TIM"),
        "{:?}",
        sms.last()
    );
    let code = p.last_code(number).await;
    let form = b.submit(&code_page, "codice", &[("codice", &code)]).await;
    assert_eq!(form.path, "/recupero/nuova-password");
    let weak = b
        .submit(
            &form,
            "password",
            &[("password", "password"), ("conferma_password", "password")],
        )
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.field_error("password").is_some());
    b.submit(
        &weak,
        "password",
        &[("password", password), ("conferma_password", password)],
    )
    .await
}

#[tokio::test]
async fn mode_1_sends_the_username_by_sms_and_email() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "recupero").await;
    let page = recover(
        &p,
        "username",
        &[("numero", &number), ("cf_personale", cf_for(&number))],
    )
    .await;
    assert!(
        page.contains("Se i dati inseriti sono corretti"),
        "{}",
        page.text()
    );
    let sms = p.sms_to(&number).await;
    assert_eq!(
        sms.last().unwrap().text,
        format!(
            "La tua username per l'accesso all'Area Clienti TIM dedicata ai \
        servizi in Convenzione Mobile 8 è: {username}"
        )
    );
    let mail = p
        .emails_to(&username)
        .await
        .into_iter()
        .rev()
        .find(|m| m.subject.contains("La tua username"))
        .expect("username email");
    assert!(mail.text.contains(&format!("Username: {username}")));
    assert_eq!(
        attempt(&p, &number, &username, PASSWORD).await.path,
        "/area-clienti"
    );
}

#[tokio::test]
async fn mode_2_resets_the_password_through_link_and_sms_code() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "recupero").await;
    // An open session elsewhere, which the reset must end.
    let other = p.as_browser(Portal::browser());
    assert_eq!(
        attempt(&other, &number, &username, PASSWORD).await.path,
        "/area-clienti"
    );

    let page = recover(&p, "password", &[("username", &username)]).await;
    assert!(page.contains("Se i dati inseriti sono corretti"));
    let link = reset_link(&p, &username).await;
    let done = reset_with_link(&p, &number, &link, NEW_PASSWORD).await;
    assert_eq!(done.path, "/accesso");
    assert!(
        done.contains("La password è stata modificata"),
        "{}",
        done.text()
    );
    let changed = p
        .emails_to(&username)
        .await
        .into_iter()
        .rev()
        .find(|m| m.subject.contains("password è stata modificata"))
        .expect("confirmation");
    assert!(changed.text.contains("la tua password è stata modificata"));

    assert_eq!(
        other.get("/area-clienti").await.path,
        "/accesso",
        "sessions ended by the reset"
    );
    assert_ne!(
        attempt(
            &p.as_browser(Portal::browser()),
            &number,
            &username,
            PASSWORD
        )
        .await
        .path,
        "/area-clienti",
        "old password refused"
    );
    p.clock.advance(31);
    assert_eq!(
        attempt(
            &p.as_browser(Portal::browser()),
            &number,
            &username,
            NEW_PASSWORD
        )
        .await
        .path,
        "/area-clienti"
    );
    // The link worked once.
    let reused = p.as_browser(Portal::browser()).get(&link).await;
    assert_eq!(reused.status, 410);
    assert!(reused.contains("Link non valido"));
}

#[tokio::test]
async fn mode_3_proves_the_sim_then_mails_username_and_link() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "recupero").await;
    let code_page = recover(
        &p,
        "entrambe",
        &[("numero", &number), ("cf_personale", cf_for(&number))],
    )
    .await;
    assert_eq!(code_page.path, "/recupero/codice", "{}", code_page.text());
    let code = p.last_code(&number).await;
    let sent = p.submit(&code_page, "codice", &[("codice", &code)]).await;
    assert!(
        sent.contains("riceverai a breve una email con la tua username"),
        "{}",
        sent.text()
    );
    let mails = p.emails_to(&username).await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.subject.contains("nuova password"))
        .unwrap();
    assert!(
        mail.text.contains(&format!("Username: {username}")),
        "{}",
        mail.text
    );
    let done = reset_with_link(&p, &number, &link_in(&mail.text), NEW_PASSWORD).await;
    assert!(done.contains("La password è stata modificata"));
    assert_eq!(
        attempt(
            &p.as_browser(Portal::browser()),
            &number,
            &username,
            NEW_PASSWORD
        )
        .await
        .path,
        "/area-clienti"
    );
}

#[tokio::test]
async fn unknown_data_get_the_identical_answer_and_nothing_is_sent() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "recupero").await;
    let stranger = new_line(&p).await;
    let ghost = random_email("nessuno");

    let known = recover(
        &p.as_browser(Portal::browser()),
        "username",
        &[("numero", &number), ("cf_personale", cf_for(&number))],
    )
    .await;
    let unknown = recover(
        &p.as_browser(Portal::browser()),
        "username",
        &[("numero", &stranger), ("cf_personale", cf_for(&number))],
    )
    .await;
    assert_eq!(
        (known.status, &known.html),
        (unknown.status, &unknown.html),
        "mode 1: byte-identical"
    );
    let wrong_cf = recover(
        &p.as_browser(Portal::browser()),
        "username",
        &[("numero", &number), ("cf_personale", "MRTMTT25D09F205Z")],
    )
    .await;
    assert_eq!(
        wrong_cf.html, known.html,
        "a wrong codice fiscale looks the same"
    );

    let known = recover(
        &p.as_browser(Portal::browser()),
        "password",
        &[("username", &username)],
    )
    .await;
    let unknown = recover(
        &p.as_browser(Portal::browser()),
        "password",
        &[("username", &ghost)],
    )
    .await;
    assert_eq!(
        (known.status, &known.html),
        (unknown.status, &unknown.html),
        "mode 2: byte-identical"
    );

    let b = p.as_browser(Portal::browser());
    let code_page = recover(
        &b,
        "entrambe",
        &[("numero", &stranger), ("cf_personale", cf_for(&number))],
    )
    .await;
    assert_eq!(
        code_page.path, "/recupero/codice",
        "mode 3 goes on to the same code page"
    );
    let theirs = recover(
        &p.as_browser(Portal::browser()),
        "entrambe",
        &[("numero", &number), ("cf_personale", cf_for(&number))],
    )
    .await;
    let mask = |n: &str| format!("{} *** {}", &n[3..6], &n[n.len() - 4..]);
    assert_eq!(
        code_page.html.replace(&mask(&stranger), "N"),
        theirs.html.replace(&mask(&number), "N")
    );
    // Its code was never sent; guesses count down exactly as for a real one.
    let guess = b
        .submit(&code_page, "codice", &[("codice", "123456")])
        .await;
    assert!(
        guess
            .field_error("codice")
            .unwrap()
            .contains("hai ancora 4 tentativi"),
        "{}",
        guess.text()
    );

    assert!(
        p.sms_to(&stranger).await.is_empty(),
        "no SMS for unknown data"
    );
    assert!(
        p.emails_to(&ghost).await.is_empty(),
        "no email for unknown data"
    );
}

#[tokio::test]
async fn expired_links_and_wrong_codes_are_refused() {
    let p = Portal::start().await;
    let (number, username) = registered(&p, "recupero").await;
    recover(&p, "password", &[("username", &username)]).await;
    let link = reset_link(&p, &username).await;
    p.clock.advance(31 * 60);
    let expired = p.as_browser(Portal::browser()).get(&link).await;
    assert_eq!(expired.status, 410);
    assert!(expired.contains("è scaduto"));

    recover(&p, "password", &[("username", &username)]).await;
    let link = reset_link(&p, &username).await;
    let b = p.as_browser(Portal::browser());
    let page = b.get(&link).await;
    let mut page = b.submit(&page, "token", &[]).await;
    let code = p.last_code(&number).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        page = b.submit(&page, "codice", &[("codice", wrong)]).await;
    }
    assert!(page.field_error("codice").unwrap().contains("troppe volte"));
    let refused = b.submit(&page, "codice", &[("codice", &code)]).await;
    assert_ne!(refused.path, "/recupero/nuova-password");
    // The new-password page is out of reach without the code.
    assert_eq!(
        b.get("/recupero/nuova-password").await.path,
        "/recupero/codice"
    );
}

#[tokio::test]
async fn caps_stop_messages_without_changing_the_answer() {
    let p = Portal::start().await;
    // Its caps are hourly windows: count inside one.
    p.align_clock(3600);
    let (_number, username) = registered(&p, "recupero").await;
    let first = recover(&p, "password", &[("username", &username)]).await;
    for _ in 0..3 {
        p.clock.advance(31); // beyond the double-click guard
        let again = recover(&p, "password", &[("username", &username)]).await;
        assert_eq!(again.html, first.html);
    }
    let links = p
        .emails_to(&username)
        .await
        .into_iter()
        .filter(|m| m.subject.contains("nuova password"))
        .count();
    assert_eq!(links, 3, "at most 3 recovery messages per account per hour");

    // Per IP: 10 requests an hour (4 used above).
    for _ in 0..6 {
        recover(&p, "password", &[("username", &random_email("x"))]).await;
    }
    let blocked = recover(&p, "password", &[("username", &username)]).await;
    assert_eq!(blocked.status, 429);
    assert!(blocked.contains("troppe richieste di recupero"));
    assert_eq!(
        blocked.input_value("username").as_deref(),
        Some(username.as_str()),
        "what was typed is kept"
    );
}
