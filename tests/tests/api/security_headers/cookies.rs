//! In memory, with COOKIE_SECURE=true: the same handlers, every cookie checked (and the
//! in-memory person brought to each stage, which the CSRF checks reuse).

use super::*;

pub(super) struct Mem {
    pub(super) app: &'static App,
    pub(super) store: Arc<MemoryStore>,
    pub(super) notifier: Arc<MemoryNotifier>,
    pub(super) clock: Arc<OffsetClock>,
    pub(super) jar: e2e::memory::Jar,
    /// Every Set-Cookie seen, for the cookie rules.
    pub(super) set_cookies: Vec<String>,
    pub(super) failures: Vec<String>,
    pub(super) secure: bool,
}

pub(super) struct MemAnswer {
    pub(super) status: u16,
    pub(super) location: Option<String>,
    pub(super) set_cookies: usize,
    pub(super) body: String,
}

pub(super) const ORIGIN: &str = "http://127.0.0.1:3000";

impl Mem {
    pub(super) fn new(cookie_secure: bool) -> Mem {
        let mut config = Config::for_tests();
        config.cookie_secure = cookie_secure;
        let (app, store, notifier, clock) = App::in_memory(config);
        Mem {
            app: Box::leak(Box::new(app)),
            store,
            notifier,
            clock,
            jar: Default::default(),
            set_cookies: Vec::new(),
            failures: Vec::new(),
            secure: cookie_secure,
        }
    }

    pub(super) async fn add_line(&self, e164: &str) {
        let line = Line {
            number: MobileNumber::parse(e164).unwrap(),
            entity_cf: CodiceFiscaleEnte::parse(ENTE).unwrap(),
            ragione_sociale: ENTE_NAME.into(),
            active: true,
            profile: store::lines::Profile::Utente,
        };
        lines::upsert(self.store.as_ref(), &line).await.unwrap();
    }

    pub(super) async fn send(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
        headers: &[(&str, &str)],
    ) -> MemAnswer {
        let mut headers: Vec<(&str, String)> =
            headers.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let body = match form {
            Some(fields) => {
                headers.push(("content-type", "application/x-www-form-urlencoded".into()));
                Body::Text(serde_urlencoded_pairs(fields))
            }
            None => Body::Empty,
        };
        let cookies = self.jar.header();
        let viewer = "203.0.113.9";
        let resp = e2e::memory::send(self.app, method, path, viewer, &cookies, &headers, body)
            .await
            .unwrap_or_else(|| panic!("no route {method} {path}"));
        let what = format!("{method} {path} → {}", resp.status().as_u16());
        self.failures
            .extend(header_failures(&what, resp.headers(), self.secure));
        let set = self.jar.absorb(&resp);
        let n = set.len();
        self.set_cookies.extend(set);
        let body = e2e::memory::text(&resp);
        MemAnswer {
            status: resp.status().as_u16(),
            location: resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            set_cookies: n,
            body,
        }
    }

    pub(super) async fn get(&mut self, path: &str) -> MemAnswer {
        self.send("GET", path, None, &[("sec-fetch-site", "none")])
            .await
    }

    /// A same-origin form POST that must redirect to `to`.
    pub(super) async fn post(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        to: &str,
    ) -> MemAnswer {
        let a = self
            .send(
                "POST",
                path,
                Some(fields),
                &[("origin", ORIGIN), ("sec-fetch-site", "same-origin")],
            )
            .await;
        assert!(
            a.status == 303 && a.location.as_deref().is_some_and(|l| l.starts_with(to)),
            "POST {path}: {} {:?} {}",
            a.status,
            a.location,
            a.body
        );
        a
    }

    pub(super) fn last_code(&self, e164: &str) -> String {
        e2e::memory::last_code(&self.notifier, e164)
    }

    pub(super) fn last_link(&self, to: &str, path: &str) -> String {
        e2e::memory::last_link(&self.notifier, to, path)
    }

    pub(super) fn sent(&self) -> usize {
        self.notifier.sent.lock().unwrap().len()
    }
}

pub(super) fn serde_urlencoded_pairs(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let enc = |s: &str| {
                s.bytes()
                    .map(|b| {
                        if b.is_ascii_alphanumeric() || b"-_.*".contains(&b) {
                            (b as char).to_string()
                        } else {
                            format!("%{b:02X}")
                        }
                    })
                    .collect::<String>()
            };
            format!("{}={}", enc(k), enc(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The states a POST of each flow needs, reached through the handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Stage {
    RegNumber,
    RegOtp,
    RegProfile,
    RegEmail,
    /// The confirmation email sent, its link not yet confirmed (`token` holds its `t`).
    RegConfirm,
    RegPassword,
    Account,
    LoginOtp,
    SignedIn,
    RecoverOtp,
    ResetLink,
    ResetPassword,
    /// Signed in, a new email asked (`token` holds the link's `t`).
    EmailLink,
    /// Registered, then a registration of the same person from another line waiting for
    /// the old owner's proof after PROSEGUI (`token` holds the old owner's link's `t`).
    CeaseLink,
    /// Signed in, the deletion's code sent.
    DeleteCode,
    /// Signed in, a passkey's creation page shown (`ceremony`, and `credential` the
    /// authenticator's answer to its options).
    PasskeyCreation,
    /// Signed in with a passkey on the account (`passkey_id`).
    Passkey,
}

pub(super) struct Person {
    pub(super) number: String,
    pub(super) email: String,
    pub(super) challenge: String,
    pub(super) code: String,
    pub(super) token: String,
    /// The signed-in session's id in its account's list.
    pub(super) session_id: String,
    pub(super) ceremony: String,
    pub(super) credential: String,
    pub(super) passkey_id: String,
}

pub(super) async fn reach(m: &mut Mem, stage: Stage) -> Person {
    let number = e2e::random_number();
    let email = e2e::random_email("csrf");
    m.add_line(&number).await;
    let mut p = Person {
        number: number.clone(),
        email: email.clone(),
        challenge: String::new(),
        code: String::new(),
        token: String::new(),
        session_id: String::new(),
        ceremony: String::new(),
        credential: String::new(),
        passkey_id: String::new(),
    };
    let page = m.get(routes::REGISTER_NUMBER).await;
    p.challenge = hidden(&page.body, "challenge");
    m.clock.advance(3);
    if stage == Stage::RegNumber {
        return p;
    }
    m.post(
        routes::REGISTER_NUMBER,
        &[
            ("numero", &number),
            ("conferma", "100"),
            ("challenge", &p.challenge),
            ("pow", ""),
        ],
        routes::REGISTER_OTP,
    )
    .await;
    p.code = m.last_code(&number);
    if stage == Stage::RegOtp {
        return p;
    }
    m.post(
        routes::REGISTER_OTP,
        &[("codice", &p.code)],
        routes::REGISTER_PROFILE,
    )
    .await;
    if stage == Stage::RegProfile {
        return p;
    }
    m.post(
        routes::REGISTER_PROFILE,
        &[
            ("nome", "Mario"),
            ("cognome", "Rossi"),
            ("cf_personale", e2e::register::cf_for(&number)),
            ("cf_ente", ENTE),
        ],
        routes::REGISTER_EMAIL,
    )
    .await;
    if stage == Stage::RegEmail {
        return p;
    }
    m.post(
        routes::REGISTER_EMAIL,
        &[("azione", "salva"), ("email", &email)],
        routes::REGISTER_EMAIL,
    )
    .await;
    m.post(
        routes::REGISTER_EMAIL,
        &[("azione", "avanti")],
        routes::REGISTER_EMAIL,
    )
    .await;
    let link = m.last_link(&email, routes::CONFIRM_EMAIL);
    assert_eq!(m.get(&link).await.status, 200);
    let token = link
        .split_once("t=")
        .expect("token in the link")
        .1
        .to_owned();
    if stage == Stage::RegConfirm {
        p.token = token;
        return p;
    }
    m.post(
        routes::CONFIRM_EMAIL,
        &[("t", &token)],
        routes::CONFIRM_EMAIL,
    )
    .await;
    if stage == Stage::RegPassword {
        return p;
    }
    m.post(
        routes::REGISTER_PASSWORD,
        &[
            ("password", PASSWORD),
            ("conferma_password", PASSWORD),
            ("termini", "si"),
            ("privacy", "si"),
        ],
        routes::REGISTER_DONE,
    )
    .await;
    assert_eq!(m.get(routes::REGISTER_DONE).await.status, 200);
    match stage {
        Stage::Account => {}
        Stage::CeaseLink => {
            let other = e2e::random_number();
            m.add_line(&other).await;
            let page = m.get(routes::REGISTER_NUMBER).await;
            let challenge = hidden(&page.body, "challenge");
            m.clock.advance(3);
            let fields = [
                ("numero", other.as_str()),
                ("conferma", "100"),
                ("challenge", &challenge),
                ("pow", ""),
            ];
            m.post(routes::REGISTER_NUMBER, &fields, routes::REGISTER_OTP)
                .await;
            let code = m.last_code(&other);
            m.post(
                routes::REGISTER_OTP,
                &[("codice", &code)],
                routes::REGISTER_PROFILE,
            )
            .await;
            let same_person = [
                ("nome", "Mario"),
                ("cognome", "Rossi"),
                ("cf_personale", e2e::register::cf_for(&number)),
                ("cf_ente", ENTE),
            ];
            m.post(
                routes::REGISTER_PROFILE,
                &same_person,
                routes::REGISTER_PROFILE,
            )
            .await;
            let prosegui = [("azione", "prosegui")];
            m.post(
                routes::REGISTER_PROFILE,
                &prosegui,
                routes::REGISTER_PROFILE,
            )
            .await;
            let link = m.last_link(&email, routes::CONFIRM_CEASE);
            assert_eq!(m.get(&link).await.status, 200);
            p.token = link.split_once("t=").unwrap().1.to_owned();
        }
        Stage::LoginOtp
        | Stage::SignedIn
        | Stage::EmailLink
        | Stage::DeleteCode
        | Stage::PasskeyCreation
        | Stage::Passkey => {
            m.post(
                routes::LOGIN,
                &[("username", &email), ("password", PASSWORD)],
                routes::LOGIN_OTP,
            )
            .await;
            p.code = m.last_code(&number);
            if stage != Stage::LoginOtp {
                m.post(routes::LOGIN_OTP, &[("codice", &p.code)], routes::ACCOUNT)
                    .await;
                assert_eq!(m.get(routes::ACCOUNT).await.status, 200);
                p.session_id = hidden(&m.get(routes::ACCOUNT_SESSIONS).await.body, "sessione");
            }
            if stage == Stage::EmailLink {
                let new = format!("nuova.{email}");
                m.post(
                    routes::ACCOUNT_EMAIL,
                    &[("email", &new)],
                    routes::ACCOUNT_EMAIL,
                )
                .await;
                let link = m.last_link(&new, routes::ACCOUNT_EMAIL_CONFIRM);
                p.token = link.split_once("t=").unwrap().1.to_owned();
            }
            if matches!(stage, Stage::PasskeyCreation | Stage::Passkey) {
                let page = m
                    .send(
                        "POST",
                        routes::ACCOUNT_PASSKEY_NEW,
                        Some(&[]),
                        &[("origin", ORIGIN), ("sec-fetch-site", "same-origin")],
                    )
                    .await;
                assert_eq!(page.status, 200, "{}", page.body);
                let options = e2e::passkey::creation_options(&e2e::Page {
                    status: page.status,
                    path: routes::ACCOUNT_PASSKEY_NEW.into(),
                    html: page.body,
                })
                .expect("the creation options");
                let mut a = e2e::passkey::Authenticator::new(&m.app.config.passkey.origin);
                p.ceremony = e2e::passkey::ceremony_of(&options);
                p.credential = a.create(&options).expect("the authenticator answers");
            }
            if stage == Stage::Passkey {
                m.post(
                    routes::ACCOUNT_PASSKEY_REGISTER,
                    &[("cerimonia", &p.ceremony), ("credenziale", &p.credential)],
                    routes::ACCOUNT_PASSKEYS,
                )
                .await;
                p.passkey_id = hidden(&m.get(routes::ACCOUNT_PASSKEYS).await.body, "id");
            }
            if stage == Stage::DeleteCode {
                m.clock.advance(31);
                let fields = [("password_attuale", PASSWORD)];
                m.post(routes::ACCOUNT_DELETE, &fields, routes::ACCOUNT_DELETE_CODE)
                    .await;
                p.code = m.last_code(&number);
            }
        }
        Stage::RecoverOtp => {
            m.post(
                routes::RECOVER,
                &[
                    ("modalita", "entrambe"),
                    ("numero", &number),
                    ("cf_personale", e2e::register::cf_for(&number)),
                ],
                routes::RECOVER_OTP,
            )
            .await;
            p.code = m.last_code(&number);
        }
        Stage::ResetLink | Stage::ResetPassword => {
            m.post(
                routes::RECOVER,
                &[("modalita", "password"), ("username", &email)],
                routes::RECOVER,
            )
            .await;
            let link = m.last_link(&email, routes::RECOVER_RESET);
            p.token = link.split_once("token=").unwrap().1.to_owned();
            if stage == Stage::ResetPassword {
                m.post(
                    routes::RECOVER_RESET,
                    &[("token", &p.token)],
                    routes::RECOVER_OTP,
                )
                .await;
                p.code = m.last_code(&number);
                m.post(
                    routes::RECOVER_OTP,
                    &[("codice", &p.code)],
                    routes::RECOVER_RESET,
                )
                .await;
            }
        }
        _ => unreachable!(),
    }
    p
}

#[tokio::test]
async fn with_cookie_secure_every_cookie_is_secure_httponly_and_samesite() {
    let mut m = Mem::new(true);
    // Registration (reg_flow set, rekeyed by the link), login (login_flow, session, cleared
    // login_flow), logout (session cleared), a stale session (cleared), recovery (recover_flow
    // set and cleared).
    reach(&mut m, Stage::SignedIn).await;
    let stale = m.jar.clone();
    m.post(routes::LOGOUT, &[], routes::LOGIN).await;
    m.jar = stale;
    assert_eq!(m.get(routes::ACCOUNT).await.status, 303);
    m.jar = Default::default();
    let p = reach(&mut m, Stage::ResetPassword).await;
    let _ = p;
    m.post(
        routes::RECOVER_RESET,
        &[
            ("password", NEW_PASSWORD),
            ("conferma_password", NEW_PASSWORD),
        ],
        routes::LOGIN,
    )
    .await;

    let names: BTreeSet<&str> = m
        .set_cookies
        .iter()
        .filter_map(|c| c.split('=').next())
        .collect();
    for name in ["reg_flow", "login_flow", "session", "recover_flow"] {
        let name = format!("__Host-{name}");
        assert!(
            names.contains(name.as_str()),
            "cookie {name} never set: {names:?}"
        );
    }
    assert!(
        m.set_cookies.iter().any(|c| c.contains("Max-Age=0")),
        "clearing cookies are checked too"
    );
    println!(
        "{} Set-Cookie headers checked: {names:?}",
        m.set_cookies.len()
    );
    assert!(m.failures.is_empty(), "{}", m.failures.join("\n"));
    // And the local configuration really turns Secure off (so the check above means something).
    assert!(!web::set_cookie("x", "y", Some(1), false).contains("Secure"));
}
