//! Login with a passkey (issue 24) over HTTP, with the software authenticator of
//! `e2e::passkey` driving real ceremonies through webauthn-rs on the server: the login
//! signs in without password and SMS (LocalStack holds no new SMS for the number); every
//! refusal — a replayed ceremony, an expired one, a wrong origin, a wrong RP ID, no user
//! verification, another account's user handle, a removed credential, a ceased line, a
//! suspended account — is the same Italian page with the same status; failures are capped
//! per client.

use e2e::passkey::Authenticator;
use e2e::quick::{self, Holder};
use e2e::register::PASSWORD;
use e2e::sign_in::sign_in;
use e2e::{Page, Portal};
use engine::flows::login::passkey::REFUSED;

/// One person's browser with a passkey on its authenticator, signed out.
pub(crate) struct WithPasskey {
    pub b: Portal,
    pub who: Holder,
    pub device: Authenticator,
}

/// Signs in by SMS, creates a passkey in the area (as passkey.js does), signs out.
pub(crate) async fn with_passkey(p: &Portal) -> WithPasskey {
    let who = quick::user(p).await;
    let b = p.as_browser(Portal::browser());
    let home = sign_in(&b, &who.number, &who.username, PASSWORD).await;
    assert_eq!(home.path, "/area-clienti", "{}", home.text());
    let mut device = Authenticator::new(&p.app.config.passkey.origin);
    let made = e2e::passkey::create(&b, &mut device, "").await;
    assert_eq!(made.path, "/area-clienti/passkey", "{}", made.text());
    let out = b.post("/esci", &[]).await;
    assert_eq!(out.path, "/accesso", "{}", out.text());
    WithPasskey { b, who, device }
}

/// The options of a login (what passkey.js asks at page load): status and body.
pub(crate) async fn options(b: &Portal) -> (u16, String) {
    let page = b.post("/accesso/passkey/opzioni", &[]).await;
    (page.status, page.html)
}

/// The id of the ceremony the options belong to.
pub(crate) fn ceremony(options: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(options).expect("the options are JSON");
    v["cerimonia"].as_str().expect("a ceremony id").to_owned()
}

/// A whole login by passkey: the options, the authenticator's assertion, the form posted.
async fn passkey_login(b: &Portal, device: &mut Authenticator) -> (Page, String, String) {
    let (status, opts) = options(b).await;
    assert_eq!(status, 200, "{opts}");
    let assertion = device.get(&opts).expect("the authenticator signs");
    let id = ceremony(&opts);
    let page = post_assertion(b, &id, &assertion).await;
    (page, id, assertion)
}

pub(crate) async fn post_assertion(b: &Portal, ceremony: &str, assertion: &str) -> Page {
    b.post(
        "/accesso/passkey",
        &[
            ("cerimonia", ceremony),
            ("credenziale", assertion),
            ("next", ""),
        ],
    )
    .await
}

/// The one refusal: the login page again, 401, the passkey's error, no session.
fn assert_refused(page: &Page, case: &str) {
    assert_eq!(page.status, 401, "{case}: {}", page.text());
    assert_eq!(page.path, "/accesso/passkey", "{case}");
    assert_eq!(
        page.field_error("passkey").as_deref(),
        Some(REFUSED),
        "{case}: {}",
        page.text()
    );
    assert!(page.contains("Accedi all'Area Clienti"), "{case}");
}

#[tokio::test]
async fn a_passkey_signs_in_without_password_and_sms() {
    let p = Portal::start().await;
    let mut u = with_passkey(&p).await;
    p.settle().await;
    let sms_before = p.sms_to(&u.who.number).await.len();
    let (home, _, _) = passkey_login(&u.b, &mut u.device).await;
    assert_eq!(home.status, 200);
    assert_eq!(home.path, "/area-clienti", "{}", home.text());
    assert!(home.contains("Ciao, Lucia Bianchi"), "{}", home.text());
    p.settle().await;
    assert_eq!(
        p.sms_to(&u.who.number).await.len(),
        sms_before,
        "no SMS for a passkey login"
    );
    // The access history names the way in.
    let history = u.b.get("/area-clienti/accessi").await;
    assert!(
        history.contains("Accesso completato con una passkey"),
        "{}",
        history.text()
    );
    // It opened a session of its own: ESCI ends it like any other.
    let out = u.b.post("/esci", &[]).await;
    assert_eq!(out.path, "/accesso");
    assert_eq!(u.b.get("/area-clienti").await.path, "/accesso");
}

#[tokio::test]
async fn every_refused_assertion_gets_the_same_page() {
    let p = Portal::start().await;
    let mut u = with_passkey(&p).await;

    // A replayed ceremony: the id and the assertion of a login that succeeded.
    let (home, id, assertion) = passkey_login(&u.b, &mut u.device).await;
    assert_eq!(home.path, "/area-clienti");
    u.b.post("/esci", &[]).await;
    assert_refused(
        &post_assertion(&u.b, &id, &assertion).await,
        "replayed ceremony",
    );

    // An expired ceremony (5 minutes).
    let (_, opts) = options(&u.b).await;
    let assertion = u.device.get(&opts).unwrap();
    p.clock.advance(301);
    assert_refused(
        &post_assertion(&u.b, &ceremony(&opts), &assertion).await,
        "expired ceremony",
    );

    // A phishing site's origin, then its RP ID.
    let real_origin = u.device.origin.clone();
    u.device.origin = "https://portale-convenzione.example".into();
    let (page, ..) = passkey_login(&u.b, &mut u.device).await;
    assert_refused(&page, "wrong origin");
    u.device.origin = real_origin;
    u.device.rp_id_override = Some("portale-convenzione.example".into());
    let (page, ..) = passkey_login(&u.b, &mut u.device).await;
    assert_refused(&page, "wrong RP ID");
    u.device.rp_id_override = None;

    // Present but not verified (no PIN, no fingerprint).
    u.device.user_verified = false;
    let (page, ..) = passkey_login(&u.b, &mut u.device).await;
    assert_refused(&page, "no user verification");
    u.device.user_verified = true;

    // Another account's user handle on this credential's assertion (the signature does not
    // cover the handle: the server checks it against the credential's account).
    let other = with_passkey(&p).await;
    let (_, opts) = options(&u.b).await;
    let mut forged: serde_json::Value =
        serde_json::from_str(&u.device.get(&opts).unwrap()).unwrap();
    let other_handle = other.device.credential().unwrap().user_handle.clone();
    use base64::Engine as _;
    forged["response"]["userHandle"] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(other_handle)
        .into();
    assert_refused(
        &post_assertion(&u.b, &ceremony(&opts), &forged.to_string()).await,
        "another account's handle",
    );

    // Still works after all that (the refusals moved nothing).
    let (home, ..) = passkey_login(&u.b, &mut u.device).await;
    assert_eq!(home.path, "/area-clienti", "{}", home.text());
}

#[tokio::test]
async fn removed_ceased_or_suspended_is_refused_alike() {
    let p = Portal::start().await;

    // Removed by its owner in the area.
    let mut u = with_passkey(&p).await;
    let id = u.device.credential().unwrap().id_b64();
    sign_in(&u.b, &u.who.number, &u.who.username, PASSWORD).await;
    let list =
        u.b.post("/area-clienti/passkey/rimuovi", &[("id", &id)])
            .await;
    assert_eq!(list.path, "/area-clienti/passkey", "{}", list.text());
    u.b.post("/esci", &[]).await;
    let (page, ..) = passkey_login(&u.b, &mut u.device).await;
    assert_refused(&page, "removed credential");

    // The line ceased in the Convenzione.
    let mut u = with_passkey(&p).await;
    quick::line(
        &p,
        &u.who.number,
        &quick::random_entity(),
        false,
        store::lines::Profile::Utente,
    )
    .await;
    let (page, ..) = passkey_login(&u.b, &mut u.device).await;
    assert_refused(&page, "ceased line");

    // The account suspended by the help desk.
    let mut u = with_passkey(&p).await;
    let out = e2e::admin::ops(
        &p,
        &["account", "disable", &u.who.id, "--motivo", "prova passkey"],
    )
    .await;
    assert_eq!(
        out.code,
        portale_admin::helpdesk::Exit::Ok,
        "{}",
        out.stderr
    );
    let (page, ..) = passkey_login(&u.b, &mut u.device).await;
    assert_refused(&page, "suspended account");
}

#[tokio::test]
async fn garbage_and_failures_are_capped_per_client() {
    let p = Portal::start().await;
    // The 31 assertions in one window of the cap, however slow the machine.
    p.align_clock(store::limits::PASSKEY_FAILED_PER_IP.window_secs);
    let b = p.as_browser(Portal::browser());
    // Without JavaScript the form is empty: the same refusal, nothing else happens.
    let page = post_assertion(&b, "", "").await;
    assert_refused(&page, "empty form");
    let limit = store::limits::PASSKEY_FAILED_PER_IP.max as usize;
    for _ in 1..limit {
        assert_refused(&post_assertion(&b, "x", "{}").await, "garbage");
    }
    let page = post_assertion(&b, "x", "{}").await;
    assert_eq!(page.status, 429, "{}", page.text());
    assert!(
        page.contains("Troppi tentativi di accesso con passkey"),
        "{}",
        page.text()
    );
}
