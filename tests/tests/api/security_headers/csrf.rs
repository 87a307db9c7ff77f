//! CSRF: every state-changing POST refuses cross-site requests, with no effect.

use super::*;

/// The requests a browser sends for a form posted from another site.
pub(super) const CROSS_SITE: &[&[(&str, &str)]] = &[
    &[("origin", "https://evil.example")],
    &[("sec-fetch-site", "cross-site")],
    &[
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ],
    &[("origin", "null")],
    &[
        ("origin", "https://127.0.0.1.evil.example"),
        ("sec-fetch-site", "same-site"),
    ],
    &[("origin", ORIGIN), ("sec-fetch-site", "cross-site")],
];

/// Each POST route, the state its victim is in, and the valid submission.
/// One POST of the CSRF table: the stage it needs, the path, the form fields.
pub(super) type CsrfCase = (Stage, &'static str, Vec<(&'static str, String)>);

/// What the portal's own submission answers: a redirect, but for the passkey creation page
/// (a page), a login's options (JSON) and a refused assertion (the refusal page).
fn same_origin_status(path: &str) -> u16 {
    match path {
        routes::ACCOUNT_PASSKEY_NEW | routes::LOGIN_PASSKEY_OPTIONS => 200,
        routes::LOGIN_PASSKEY => 401,
        _ => 303,
    }
}

pub(super) fn csrf_cases(p: &Person) -> Vec<CsrfCase> {
    vec![
        (
            Stage::RegNumber,
            routes::REGISTER_NUMBER,
            vec![
                ("numero", p.number.clone()),
                ("conferma", "100".into()),
                ("challenge", p.challenge.clone()),
                ("pow", String::new()),
            ],
        ),
        (
            Stage::RegOtp,
            routes::REGISTER_OTP,
            vec![("codice", p.code.clone())],
        ),
        (
            Stage::RegProfile,
            routes::REGISTER_PROFILE,
            vec![
                ("nome", "Mario".into()),
                ("cognome", "Rossi".into()),
                ("cf_personale", e2e::register::cf_for(&p.number).into()),
                ("cf_ente", ENTE.into()),
            ],
        ),
        (
            Stage::RegEmail,
            routes::REGISTER_EMAIL,
            vec![("azione", "salva".into()), ("email", p.email.clone())],
        ),
        (
            Stage::RegConfirm,
            routes::CONFIRM_EMAIL,
            vec![("t", p.token.clone())],
        ),
        (
            Stage::RegPassword,
            routes::REGISTER_PASSWORD,
            vec![
                ("password", PASSWORD.into()),
                ("conferma_password", PASSWORD.into()),
                ("termini", "si".into()),
                ("privacy", "si".into()),
            ],
        ),
        (
            Stage::Account,
            routes::LOGIN,
            vec![("username", p.email.clone()), ("password", PASSWORD.into())],
        ),
        (
            Stage::LoginOtp,
            routes::LOGIN_OTP,
            vec![("codice", p.code.clone())],
        ),
        (Stage::SignedIn, routes::LOGOUT, vec![]),
        (
            Stage::SignedIn,
            routes::ACCOUNT_PASSWORD,
            vec![
                ("password_attuale", PASSWORD.into()),
                ("password", NEW_PASSWORD.into()),
                ("conferma_password", NEW_PASSWORD.into()),
            ],
        ),
        (
            Stage::SignedIn,
            routes::ACCOUNT_EMAIL,
            vec![("email", format!("altra.{}", p.email))],
        ),
        (
            Stage::SignedIn,
            routes::ACCOUNT_SESSIONS,
            vec![("sessione", p.session_id.clone())],
        ),
        (
            Stage::SignedIn,
            routes::ACCOUNT_DELETE,
            vec![("password_attuale", PASSWORD.into())],
        ),
        (
            Stage::SignedIn,
            routes::ACCOUNT_CONSENTS,
            vec![
                ("termini", "si".into()),
                ("privacy", "si".into()),
                // The versions the page shows (those in force: none published here).
                ("termini_versione", domain::documents::TERMS_VERSION.into()),
                (
                    "privacy_versione",
                    domain::documents::PRIVACY_VERSION.into(),
                ),
            ],
        ),
        (
            Stage::EmailLink,
            routes::ACCOUNT_EMAIL_CONFIRM,
            vec![("t", p.token.clone())],
        ),
        (
            Stage::CeaseLink,
            routes::CONFIRM_CEASE,
            vec![("t", p.token.clone())],
        ),
        (
            Stage::DeleteCode,
            routes::ACCOUNT_DELETE_CODE,
            vec![("codice", p.code.clone())],
        ),
        (
            Stage::Account,
            routes::RECOVER,
            vec![
                ("modalita", "entrambe".into()),
                ("numero", p.number.clone()),
                ("cf_personale", e2e::register::cf_for(&p.number).into()),
            ],
        ),
        // Passkeys (issue 24): the options of a login and a login whose assertion is refused
        // (it spends the ceremony and counts the failure: an effect), NON ORA, the creation
        // page (its ceremony stored), the creation, a rename and a removal.
        (Stage::Account, routes::LOGIN_PASSKEY_OPTIONS, vec![]),
        (
            Stage::Account,
            routes::LOGIN_PASSKEY,
            vec![("cerimonia", "x".repeat(43)), ("credenziale", "{}".into())],
        ),
        (Stage::SignedIn, routes::ACCOUNT_PASSKEY_DISMISS, vec![]),
        (Stage::SignedIn, routes::ACCOUNT_PASSKEY_NEW, vec![]),
        (
            Stage::PasskeyCreation,
            routes::ACCOUNT_PASSKEY_REGISTER,
            vec![
                ("cerimonia", p.ceremony.clone()),
                ("credenziale", p.credential.clone()),
            ],
        ),
        (
            Stage::Passkey,
            routes::ACCOUNT_PASSKEY_RENAME,
            vec![("id", p.passkey_id.clone()), ("nome", "Ufficio".into())],
        ),
        (
            Stage::Passkey,
            routes::ACCOUNT_PASSKEY_REMOVE,
            vec![("id", p.passkey_id.clone())],
        ),
        (
            Stage::RecoverOtp,
            routes::RECOVER_OTP,
            vec![("codice", p.code.clone())],
        ),
        (
            Stage::ResetLink,
            routes::RECOVER_RESET,
            vec![("token", p.token.clone())],
        ),
        (
            Stage::ResetPassword,
            routes::RECOVER_RESET,
            vec![
                ("password", NEW_PASSWORD.into()),
                ("conferma_password", NEW_PASSWORD.into()),
            ],
        ),
    ]
}

#[tokio::test]
async fn cross_site_posts_are_refused_with_no_effect() {
    let stages = [
        Stage::RegNumber,
        Stage::RegOtp,
        Stage::RegProfile,
        Stage::RegEmail,
        Stage::RegConfirm,
        Stage::RegPassword,
        Stage::Account,
        Stage::LoginOtp,
        Stage::SignedIn,
        Stage::RecoverOtp,
        Stage::ResetLink,
        Stage::ResetPassword,
        Stage::EmailLink,
        Stage::CeaseLink,
        Stage::DeleteCode,
        Stage::PasskeyCreation,
        Stage::Passkey,
    ];
    let mut covered = BTreeSet::new();
    let mut checked = 0;
    let mut failures = Vec::new();
    for stage in stages {
        // Several POSTs start from the same state (login and recovery from an account, the
        // private area's changes from a session): one victim each.
        let blank = Person {
            number: "+393330000000".into(),
            email: String::new(),
            challenge: String::new(),
            code: String::new(),
            token: String::new(),
            session_id: String::new(),
            ceremony: String::new(),
            credential: String::new(),
            passkey_id: String::new(),
        };
        let n = csrf_cases(&blank)
            .iter()
            .filter(|(s, _, _)| *s == stage)
            .count();
        for index in 0..n {
            let mut m = Mem::new(false);
            let person = reach(&mut m, stage).await;
            let cases: Vec<_> = csrf_cases(&person)
                .into_iter()
                .filter(|(s, _, _)| *s == stage)
                .collect();
            let (_, path, fields) = &cases[index];
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            for headers in CROSS_SITE {
                let before = m.store.dump();
                let sent = m.sent();
                let cookies = m.jar.clone();
                let a = m.send("POST", path, Some(&fields), headers).await;
                assert_eq!(
                    a.status, 403,
                    "{stage:?} POST {path} with {headers:?}: {} {:?}",
                    a.status, a.location
                );
                assert!(
                    a.body
                        .contains("La richiesta non proviene da questo portale"),
                    "{}",
                    a.body
                );
                assert_eq!(a.set_cookies, 0, "{path}: a refused request sets no cookie");
                assert!(
                    m.store.dump() == before,
                    "{stage:?} POST {path} with {headers:?} changed the store"
                );
                assert_eq!(m.sent(), sent, "{path}: a refused request sends nothing");
                assert_eq!(m.jar, cookies);
                checked += 1;
            }
            // The same submission from the portal's own page goes through and has its effect.
            let before = m.store.dump();
            let sent = m.sent();
            let a = m
                .send(
                    "POST",
                    path,
                    Some(&fields),
                    &[("origin", ORIGIN), ("sec-fetch-site", "same-origin")],
                )
                .await;
            assert_eq!(
                a.status,
                same_origin_status(path),
                "{stage:?} same-origin POST {path}: {} {}",
                a.status,
                a.body
            );
            assert!(
                m.store.dump() != before || m.sent() > sent,
                "{stage:?} same-origin POST {path} had no effect"
            );
            covered.insert(*path);
            failures.extend(m.failures);
        }
    }
    let posts: BTreeSet<&str> = ROUTES
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.path)
        .collect();
    assert_eq!(covered, posts, "every POST route of the table is covered");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!(
        "{checked} cross-site POSTs refused without effect on {} routes",
        posts.len()
    );
}

/// Through the real gateway: every POST route refuses a cross-site form with 403 (with the
/// security headers) and no SMS, and accepts the portal's own.
#[tokio::test]
async fn cross_site_posts_are_refused_through_the_gateway() {
    let mut w = Walker::start().await;
    let number = e2e::random_number();
    w.portal.add_line(&number, ENTE, ENTE_NAME, true).await;
    let page = w.get(routes::REGISTER_NUMBER).await;
    let challenge = hidden(&page.body, "challenge");
    w.portal.clock.advance(3);
    let valid = [
        ("numero", number.as_str()),
        ("conferma", "100"),
        ("challenge", challenge.as_str()),
        ("pow", ""),
    ];
    let sms_before = w.portal.sms_to(&number).await.len();
    for r in ROUTES.iter().filter(|r| r.method == "POST") {
        for headers in CROSS_SITE {
            let fields: &[(&str, &str)] = if r.path == routes::REGISTER_NUMBER {
                &valid
            } else {
                &[("x", "1")]
            };
            let a = w.send("POST", r.path, Some(fields), headers).await;
            assert_eq!(a.status, 403, "POST {} with {headers:?}", r.path);
            assert!(a
                .body
                .contains("La richiesta non proviene da questo portale"));
        }
    }
    assert_eq!(
        w.portal.sms_to_at_least(&number, sms_before).await.len(),
        sms_before,
        "no SMS for a refused step 1"
    );
    // The portal's own step 1 goes through (the challenge was not used by the refused ones).
    let origin = w.portal.base.clone();
    let a = w
        .send(
            "POST",
            routes::REGISTER_NUMBER,
            Some(&valid),
            &[("origin", &origin), ("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(
        w.portal
            .sms_to_at_least(&number, sms_before + 1)
            .await
            .len(),
        sms_before + 1
    );
    assert!(w.failures.is_empty(), "{}", w.failures.join("\n"));
}
