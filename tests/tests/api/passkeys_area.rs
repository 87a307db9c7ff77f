//! Passkeys in the private area (issue 24), end to end through the local gateway on real
//! LocalStack, with real WebAuthn ceremonies: the software authenticator (`e2e::passkey`)
//! answers the options the pages carry as a browser would, and `webauthn-rs` verifies on
//! the server. Create, list, rename, remove; the 11th refused; a replayed, an expired or
//! another account's ceremony, another origin or RP ID, no user verification — each
//! refused with an Italian page and nothing stored; the help desk's list and removal, and
//! disable, cease and deletion voiding every passkey.

use domain::routes;
use e2e::passkey::{self as pk, Authenticator};
use e2e::quick::{self, Holder};
use e2e::sign_in::holder;
use e2e::{browser_with_agent, Portal};
use portale_admin::helpdesk::Exit;
use store::passkeys;

const ANDROID: &str =
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
    Chrome/120.0.0.0 Mobile Safari/537.36";

/// A signed-in user of a new account, on an Android phone.
async fn signed_in(p: &Portal) -> (Holder, Portal) {
    let h = quick::user(p).await;
    let b = browser_with_agent(p, ANDROID);
    let home = holder(&b, &h).await;
    assert_eq!(home.path, routes::ACCOUNT, "{}", home.text());
    (h, b)
}

async fn stored(p: &Portal, h: &Holder) -> Vec<passkeys::Credential> {
    passkeys::list(p.app.store.as_ref(), &h.id).await.unwrap()
}

#[tokio::test]
async fn a_passkey_is_created_listed_renamed_and_removed_with_emails_and_history() {
    let p = Portal::start().await;
    let (h, b) = signed_in(&p).await;
    let home = b.get(routes::ACCOUNT).await;
    assert!(
        home.html
            .contains(&format!("href=\"{}\"", routes::ACCOUNT_PASSKEYS)),
        "the home links it"
    );
    let list = b.get(routes::ACCOUNT_PASSKEYS).await;
    assert_eq!(list.status, 200);
    assert!(
        list.contains("Non hai ancora creato nessuna passkey"),
        "{}",
        list.text()
    );
    assert!(list.contains("AGGIUNGI UNA PASSKEY"));
    assert_eq!(list.form_action(""), routes::ACCOUNT_PASSKEY_NEW);

    // The creation page carries the options, the form and the no-JavaScript text.
    let page = pk::creation_page(&b).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.contains("CREA LA PASSKEY") && page.html.contains("<noscript>"));
    assert!(page.html.contains("id=\"passkey-create-form\""));
    assert!(
        page.html.contains(ui::assets::passkey_js_path()),
        "the script, on this page only"
    );
    assert!(!list.html.contains(ui::assets::passkey_js_path()));
    let options = pk::creation_options(&page).expect("#passkey-creation");
    let o: serde_json::Value = serde_json::from_str(&options).unwrap();
    assert_eq!(o["publicKey"]["rp"]["id"], "localhost");
    assert_eq!(
        o["publicKey"]["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert_eq!(
        o["publicKey"]["authenticatorSelection"]["residentKey"],
        "required"
    );
    assert_eq!(
        page.input_value("cerimonia").as_deref(),
        Some(pk::ceremony_of(&options).as_str())
    );

    let mut phone = Authenticator::new(&p.passkey_origin());
    let response = phone.create(&options).unwrap();
    let done = pk::register(&b, &pk::ceremony_of(&options), &response, "").await;
    assert_eq!(done.path, routes::ACCOUNT_PASSKEYS, "{}", done.text());
    assert!(
        done.contains("La passkey è stata creata"),
        "{}",
        done.text()
    );
    assert!(
        done.contains("Chrome su Android") && done.contains("Mai usata"),
        "{}",
        done.text()
    );
    let cred = phone.credential().unwrap().id_b64();
    let found = passkeys::find_by_credential_id(p.app.store.as_ref(), &cred)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.account_id, h.id);
    let mails = p
        .emails_to_until(&h.username, |m| m.subject.contains("Nuova passkey"))
        .await;
    let added = mails
        .iter()
        .find(|m| m.subject.contains("Nuova passkey"))
        .unwrap();
    assert!(added.text.contains("Chrome su Android"), "{}", added.text);
    assert!(b
        .get(routes::ACCOUNT_HISTORY)
        .await
        .contains("Passkey aggiunta"));

    // Rename: an empty name keeps the form with its error; another's id changes nothing.
    let empty = b
        .post(
            routes::ACCOUNT_PASSKEY_RENAME,
            &[("id", &cred), ("nome", "  ")],
        )
        .await;
    assert_eq!(empty.status, 422);
    assert_eq!(
        empty.field_error("nome").as_deref(),
        Some("Scrivi un nome per la passkey.")
    );
    let renamed = b
        .post(
            routes::ACCOUNT_PASSKEY_RENAME,
            &[("id", &cred), ("nome", "Telefono di lavoro")],
        )
        .await;
    assert!(
        renamed.contains("Il nome della passkey è stato modificato"),
        "{}",
        renamed.text()
    );
    assert!(renamed.contains("Telefono di lavoro"));
    let stranger = b
        .post(
            routes::ACCOUNT_PASSKEY_RENAME,
            &[("id", &"A".repeat(43)), ("nome", "x")],
        )
        .await;
    assert!(
        stranger.contains("Questa passkey non c'è più"),
        "{}",
        stranger.text()
    );

    // Remove: gone from the list and the lookup; the owner emailed; the history says so.
    let removed = b
        .post(routes::ACCOUNT_PASSKEY_REMOVE, &[("id", &cred)])
        .await;
    assert!(
        removed.contains("La passkey è stata rimossa"),
        "{}",
        removed.text()
    );
    assert!(removed.contains("Non hai ancora creato nessuna passkey"));
    assert_eq!(
        passkeys::find_by_credential_id(p.app.store.as_ref(), &cred)
            .await
            .unwrap(),
        None
    );
    p.emails_to_until(&h.username, |m| m.subject.contains("Passkey rimossa"))
        .await;
    assert!(b
        .get(routes::ACCOUNT_HISTORY)
        .await
        .contains("Passkey rimossa"));
    let again = b
        .post(routes::ACCOUNT_PASSKEY_REMOVE, &[("id", &cred)])
        .await;
    assert!(
        again.contains("Questa passkey non c'è più"),
        "{}",
        again.text()
    );
}

#[tokio::test]
async fn the_eleventh_passkey_is_refused_and_the_data_export_lists_them_without_keys() {
    let p = Portal::start().await;
    let (h, b) = signed_in(&p).await;
    for n in 0..9 {
        let mut a = Authenticator::new(&p.passkey_origin());
        let done = pk::create(&b, &mut a, &format!("Dispositivo {n}")).await;
        assert!(
            done.contains("La passkey è stata creata"),
            "{n}: {}",
            done.text()
        );
    }
    // Two creations started with 9: the first makes 10, the second is refused by the count.
    let (first, second) = (pk::creation_page(&b).await, pk::creation_page(&b).await);
    let (o1, o2) = (
        pk::creation_options(&first).unwrap(),
        pk::creation_options(&second).unwrap(),
    );
    let (mut a1, mut a2) = (
        Authenticator::new(&p.passkey_origin()),
        Authenticator::new(&p.passkey_origin()),
    );
    let ok = pk::register(
        &b,
        &pk::ceremony_of(&o1),
        &a1.create(&o1).unwrap(),
        "Decima",
    )
    .await;
    assert!(ok.contains("La passkey è stata creata"), "{}", ok.text());
    let refused = pk::register(
        &b,
        &pk::ceremony_of(&o2),
        &a2.create(&o2).unwrap(),
        "Undicesima",
    )
    .await;
    assert_eq!(refused.status, 409, "{}", refused.text());
    assert!(refused.contains("Hai già 10 passkey"), "{}", refused.text());
    assert_eq!(stored(&p, &h).await.len(), 10);
    // The list offers no more, and asking anyway says why.
    let list = b.get(routes::ACCOUNT_PASSKEYS).await;
    assert!(!list.contains("AGGIUNGI UNA PASSKEY") && list.contains("Hai già 10 passkey"));
    let more = pk::creation_page(&b).await;
    assert_eq!(more.status, 409);
    assert!(more.contains("Hai già 10 passkey"), "{}", more.text());

    let export = b.get(routes::ACCOUNT_EXPORT_JSON).await;
    let v: serde_json::Value = serde_json::from_str(&export.html).unwrap();
    let listed = v["passkey"].as_array().unwrap();
    assert_eq!(listed.len(), 10);
    let keys: Vec<&String> = listed[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["creata_con", "creata_il", "nome", "ultimo_utilizzo"]);
    assert!(
        !export.html.contains(&a1.credential().unwrap().id_b64()),
        "no credential id, no key"
    );
}

#[tokio::test]
async fn a_replayed_an_expired_or_another_accounts_ceremony_is_refused() {
    let p = Portal::start().await;
    let (h, b) = signed_in(&p).await;
    let page = pk::creation_page(&b).await;
    let options = pk::creation_options(&page).unwrap();
    let ceremony = pk::ceremony_of(&options);
    let mut a = Authenticator::new(&p.passkey_origin());
    let response = a.create(&options).unwrap();

    // Without JavaScript the form comes with no credential: nothing used up.
    let empty = pk::register(&b, &ceremony, "", "").await;
    assert_eq!(empty.status, 400);
    assert!(empty.contains("serve JavaScript"), "{}", empty.text());

    let ok = pk::register(&b, &ceremony, &response, "").await;
    assert!(ok.contains("La passkey è stata creata"), "{}", ok.text());
    let replay = pk::register(&b, &ceremony, &response, "").await;
    assert_eq!(replay.status, 410);
    assert!(replay.contains("è già stata usata"), "{}", replay.text());

    let page = pk::creation_page(&b).await;
    let options = pk::creation_options(&page).unwrap();
    let response = Authenticator::new(&p.passkey_origin())
        .create(&options)
        .unwrap();
    p.clock.advance(store::ceremonies::TTL_SECS + 1);
    let late = pk::register(&b, &pk::ceremony_of(&options), &response, "").await;
    assert_eq!(late.status, 410);
    assert!(
        late.contains("Il tempo per creare la passkey è scaduto"),
        "{}",
        late.text()
    );

    // A ceremony another account started is no ceremony of this one.
    let (_, other) = signed_in(&p).await;
    let theirs = pk::creation_page(&other).await;
    let options = pk::creation_options(&theirs).unwrap();
    let response = Authenticator::new(&p.passkey_origin())
        .create(&options)
        .unwrap();
    // This user's login is old by now: the ceremony decides, not the password.
    let stolen = pk::register(&b, &pk::ceremony_of(&options), &response, "").await;
    assert_eq!(stolen.status, 410, "{}", stolen.text());
    assert_eq!(stored(&p, &h).await.len(), 1);
}

#[tokio::test]
async fn another_origin_another_rp_id_or_no_user_verification_is_refused() {
    let p = Portal::start().await;
    let (h, b) = signed_in(&p).await;
    let evil = p.passkey_origin().replace("localhost", "evil.localhost");
    /// How the authenticator misbehaves (given the phishing site's origin).
    type Misbehave = fn(&mut Authenticator, &str);
    let cases: [(&str, Misbehave); 3] = [
        ("non è stata creata per questo sito", |a, evil| {
            a.origin = evil.to_owned()
        }),
        ("non è stata creata per questo sito", |a, _| {
            a.rp_id_override = Some("example.com".into())
        }),
        ("non ha verificato la tua identità", |a, _| {
            a.user_verified = false
        }),
    ];
    for (text, misbehave) in cases {
        let mut a = Authenticator::new(&p.passkey_origin());
        misbehave(&mut a, &evil);
        let done = pk::create(&b, &mut a, "").await;
        assert_eq!(done.status, 400, "{}", done.text());
        assert!(done.contains(text), "{text}: {}", done.text());
        assert!(done.contains("TORNA ALLE PASSKEY"));
    }
    assert!(stored(&p, &h).await.is_empty());
}

#[tokio::test]
async fn creating_a_passkey_asks_the_password_when_the_login_is_old() {
    let p = Portal::start().await;
    let (h, b) = signed_in(&p).await;
    p.clock.advance(16 * 60);
    let list = b.get(routes::ACCOUNT_PASSKEYS).await;
    let intro = b.submit(&list, "", &[]).await;
    assert_eq!(intro.status, 200, "{}", intro.text());
    assert!(intro.contains("Password attuale") && intro.field_error("password_attuale").is_none());
    assert!(pk::creation_options(&intro).is_none());
    let missing = b.submit(&intro, "password_attuale", &[]).await;
    assert_eq!(
        missing.field_error("password_attuale").as_deref(),
        Some("Inserisci la tua password attuale.")
    );
    let wrong = b
        .submit(
            &intro,
            "password_attuale",
            &[("password_attuale", "Sbagliata-2026!")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.field_error("password_attuale").as_deref(),
        Some("La password attuale non è corretta.")
    );
    let right = b
        .submit(
            &intro,
            "password_attuale",
            &[("password_attuale", e2e::register::PASSWORD)],
        )
        .await;
    let options = pk::creation_options(&right).expect("the creation page");
    let response = Authenticator::new(&p.passkey_origin())
        .create(&options)
        .unwrap();
    let done = pk::register(&b, &pk::ceremony_of(&options), &response, "PC").await;
    assert!(
        done.contains("La passkey è stata creata"),
        "{}",
        done.text()
    );
    assert_eq!(stored(&p, &h).await[0].name, "PC");
}

#[tokio::test]
async fn the_help_desk_lists_and_removes_passkeys_and_disable_and_cease_void_them() {
    let p = Portal::start().await;
    let (h, b) = signed_in(&p).await;
    let mut devices = Vec::new();
    for name in ["Telefono", "Portatile", "Tablet"] {
        let mut a = Authenticator::new(&p.passkey_origin());
        assert!(pk::create(&b, &mut a, name)
            .await
            .contains("La passkey è stata creata"));
        devices.push(a);
    }
    let list = e2e::admin::ops(&p, &["account", "passkeys", &h.id]).await;
    assert_eq!(list.code, Exit::Ok, "{}", list.stderr);
    for (n, name) in ["1. Telefono", "2. Portatile", "3. Tablet"]
        .iter()
        .enumerate()
    {
        assert!(list.stdout.contains(name), "{n}: {}", list.stdout);
    }
    assert!(list.stdout.contains("Chrome su Android") && list.stdout.contains("mai usata"));
    let no_reason = e2e::admin::ops(&p, &["account", "passkeys", &h.id, "--rimuovi", "2"]).await;
    assert_ne!(no_reason.code, Exit::Ok, "a reason is required");
    let out_of_range = e2e::admin::ops(
        &p,
        &[
            "account",
            "passkeys",
            &h.id,
            "--rimuovi",
            "9",
            "--motivo",
            "x",
        ],
    )
    .await;
    assert_eq!(out_of_range.code, Exit::Usage, "{}", out_of_range.stderr);
    let removed = e2e::admin::ops(
        &p,
        &[
            "account",
            "passkeys",
            &h.id,
            "--rimuovi",
            "2",
            "--motivo",
            "dispositivo smarrito",
        ],
    )
    .await;
    assert_eq!(removed.code, Exit::Ok, "{}", removed.stderr);
    assert!(removed.stdout.contains("«Portatile»"), "{}", removed.stdout);
    let left: Vec<String> = stored(&p, &h).await.into_iter().map(|c| c.name).collect();
    assert_eq!(left, ["Telefono", "Tablet"]);
    // The owner is told, as when they remove one themselves.
    let mails = p
        .emails_to_until(&h.username, |m| m.subject.contains("Passkey rimossa"))
        .await;
    let told = mails.iter().find(|m| m.subject.contains("Passkey rimossa"));
    let told = told.expect("the owner is emailed the help desk's removal");
    assert!(told.text.contains("Portatile"), "{}", told.text);
    assert!(
        told.text.contains("dall'assistenza"),
        "says who removed it: {}",
        told.text
    );
    // So does the owner's access history: not a removal they might think was their own.
    let history = b.get(routes::ACCOUNT_HISTORY).await;
    assert!(
        history.contains("Passkey rimossa dall'assistenza"),
        "{}",
        history.text()
    );
    let audit = e2e::admin::ops(&p, &["audit", "--account", &h.id]).await;
    assert!(
        audit.stdout.contains("rimozione-passkey") && audit.stdout.contains("dispositivo smarrito")
    );

    let disabled = e2e::admin::ops(
        &p,
        &["account", "disable", &h.id, "--motivo", "richiesta ente"],
    )
    .await;
    assert_eq!(disabled.code, Exit::Ok, "{}", disabled.stderr);
    assert!(
        disabled.stdout.contains("2 passkey annullate"),
        "{}",
        disabled.stdout
    );
    assert!(stored(&p, &h).await.is_empty());
    for a in &devices {
        let id = a.credential().unwrap().id_b64();
        assert_eq!(
            passkeys::find_by_credential_id(p.app.store.as_ref(), &id)
                .await
                .unwrap(),
            None
        );
    }

    // Cease: the same, for an account that has passkeys when it is ceased.
    let (h2, b2) = signed_in(&p).await;
    let mut a = Authenticator::new(&p.passkey_origin());
    assert!(pk::create(&b2, &mut a, "")
        .await
        .contains("La passkey è stata creata"));
    let ceased = e2e::admin::ops(
        &p,
        &["account", "cease", &h2.id, "--motivo", "fine rapporto"],
    )
    .await;
    assert_eq!(ceased.code, Exit::Ok, "{}", ceased.stderr);
    assert!(
        ceased.stdout.contains("1 passkey annullata"),
        "{}",
        ceased.stdout
    );
    assert!(stored(&p, &h2).await.is_empty());
    let id = a.credential().unwrap().id_b64();
    assert_eq!(
        passkeys::find_by_credential_id(p.app.store.as_ref(), &id)
            .await
            .unwrap(),
        None
    );
}

/// PROSEGUI ceases the registration found by number when the new one completes: a cease
/// like the help desk's, so the old account's passkeys go with it in the same transaction
/// (before: they stayed, listed and looked up, on a ceased account).
#[tokio::test]
async fn a_registration_that_ceases_the_old_account_voids_its_passkeys() {
    use e2e::register::{confirmation_link, fill_profile_as, through_otp};
    let p = Portal::start().await;
    let (h, b) = signed_in(&p).await;
    let mut a = Authenticator::new(&p.passkey_origin());
    assert!(pk::create(&b, &mut a, "Telefono")
        .await
        .contains("La passkey è stata creata"));
    assert_eq!(stored(&p, &h).await.len(), 1);

    let q = p.as_browser(Portal::browser());
    let page = through_otp(&q, &h.number).await;
    let dup = fill_profile_as(&q, &page, ("Lucia", "Bianchi"), &h.personal_cf).await;
    assert!(
        dup.contains("esiste già un'altra registrazione"),
        "{}",
        dup.text()
    );
    let page = q.submit(&dup, "azione", &[("azione", "prosegui")]).await;
    let email = e2e::random_email("subentro");
    let page = q.submit(&page, "email", &[("email", &email)]).await;
    q.submit(&page, "azione", &[]).await;
    let link = confirmation_link(&q, &email).await;
    let done = e2e::register::complete(&q, &link).await;
    assert!(
        done.contains("Richiesta inviata con successo"),
        "{}",
        done.text()
    );
    let old = store::accounts::get(p.app.store.as_ref(), &h.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status, store::accounts::Status::Ceased);
    assert!(stored(&p, &h).await.is_empty(), "its list is voided");
    let id = a.credential().unwrap().id_b64();
    assert_eq!(
        passkeys::find_by_credential_id(p.app.store.as_ref(), &id)
            .await
            .unwrap(),
        None,
        "its lookup is gone"
    );
}
