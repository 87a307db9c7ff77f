//! Fixtures: a browser brought to a step by the real handlers, as a person gets there.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Stage {
    RegNumber,
    RegOtp,
    RegProfile,
    RegEmail,
    RegEmailSaved,
    RegPassword,
    Account,
    LoginOtp,
    SignedIn,
    RecoverOtp,
    ResetLink,
    ResetPassword,
    /// Registered, then the same person from another line chose PROSEGUI and waits for the
    /// old owner's proof (`code` is the one sent to the old SIM).
    RegAwaiting,
}

#[derive(Clone)]
pub(super) struct Fixture {
    pub(super) browser: Browser,
    pub(super) number: String,
    pub(super) email: String,
    /// The valid values of this step (the current SMS code, the slider challenge, the link's token).
    pub(super) code: String,
    pub(super) challenge: String,
    pub(super) token: String,
}

impl Fixture {
    pub(super) fn national(&self) -> String {
        let n = &self.number[3..];
        format!("{} {} {}", &n[..3], &n[3..6], &n[6..])
    }
}

pub(super) async fn fixture(backend: Arc<Backend>, stage: Stage) -> Fixture {
    let number = e2e::random_number();
    backend.add_line(&number).await;
    let email = e2e::random_email("sicurezza");
    let mut f = Fixture {
        browser: Browser::new(backend.clone()),
        number,
        email,
        code: String::new(),
        challenge: String::new(),
        token: String::new(),
    };
    let b = &mut f.browser;

    let page = b.get(routes::REGISTER_NUMBER).await;
    f.challenge = hidden(&page.body, "challenge");
    backend.advance(3);
    if stage == Stage::RegNumber {
        return f;
    }
    let national = f.national();
    let b = &mut f.browser;
    let r = b
        .post(
            routes::REGISTER_NUMBER,
            &[
                ("numero", &national),
                ("conferma", "100"),
                ("challenge", &f.challenge),
                ("pow", ""),
            ],
        )
        .await;
    expect_redirect("step 1", &r, routes::REGISTER_OTP);
    f.code = backend.last_code(&f.number).await;
    if stage == Stage::RegOtp {
        return f;
    }
    let r = b.post(routes::REGISTER_OTP, &[("codice", &f.code)]).await;
    expect_redirect("step 2", &r, routes::REGISTER_PROFILE);
    if stage == Stage::RegProfile {
        return f;
    }
    let cf = e2e::register::cf_for(&f.number);
    let b = &mut f.browser;
    let r = b
        .post(
            routes::REGISTER_PROFILE,
            &[
                ("nome", "Mario"),
                ("cognome", "Rossi"),
                ("cf_personale", cf),
                ("cf_ente", ENTE),
            ],
        )
        .await;
    expect_redirect("step 3", &r, routes::REGISTER_EMAIL);
    if stage == Stage::RegEmail {
        return f;
    }
    let r = b
        .post(
            routes::REGISTER_EMAIL,
            &[("azione", "salva"), ("email", &f.email)],
        )
        .await;
    expect_redirect("step 4 SALVA", &r, routes::REGISTER_EMAIL);
    if stage == Stage::RegEmailSaved {
        return f;
    }
    let r = b
        .post(routes::REGISTER_EMAIL, &[("azione", "avanti")])
        .await;
    expect_redirect("step 4 AVANTI", &r, routes::REGISTER_EMAIL);
    let link = backend.last_link(&f.email, routes::CONFIRM_EMAIL).await;
    let r = b.get(&link).await;
    assert_eq!(r.status, 200, "confirmation link: {}", r.body);
    let token = link
        .split_once("t=")
        .expect("token in the link")
        .1
        .to_owned();
    let r = b.post(routes::CONFIRM_EMAIL, &[("t", &token)]).await;
    expect_redirect("CONFERMA EMAIL", &r, routes::CONFIRM_EMAIL);
    if stage == Stage::RegPassword {
        return f;
    }
    let r = b
        .post(
            routes::REGISTER_PASSWORD,
            &[
                ("password", PASSWORD),
                ("conferma_password", PASSWORD),
                ("termini", "si"),
                ("privacy", "si"),
            ],
        )
        .await;
    expect_redirect("step 5", &r, routes::REGISTER_DONE);
    b.cookies.clear();
    match stage {
        Stage::Account => {}
        Stage::RegAwaiting => {
            let other = e2e::random_number();
            backend.add_line(&other).await;
            let page = b.get(routes::REGISTER_NUMBER).await;
            let challenge = hidden(&page.body, "challenge");
            backend.advance(3);
            let fields = [
                ("numero", other.as_str()),
                ("conferma", "100"),
                ("challenge", &challenge),
                ("pow", ""),
            ];
            let r = b.post(routes::REGISTER_NUMBER, &fields).await;
            expect_redirect("another line, step 1", &r, routes::REGISTER_OTP);
            let code = backend.last_code(&other).await;
            let r = b.post(routes::REGISTER_OTP, &[("codice", &code)]).await;
            expect_redirect("another line, step 2", &r, routes::REGISTER_PROFILE);
            let same_person = [
                ("nome", "Mario"),
                ("cognome", "Rossi"),
                ("cf_personale", e2e::register::cf_for(&f.number)),
                ("cf_ente", ENTE),
            ];
            let r = b.post(routes::REGISTER_PROFILE, &same_person).await;
            expect_redirect("the same person", &r, routes::REGISTER_PROFILE);
            let r = b
                .post(routes::REGISTER_PROFILE, &[("azione", "prosegui")])
                .await;
            expect_redirect("PROSEGUI", &r, routes::REGISTER_PROFILE);
            f.code = backend.last_code(&f.number).await;
        }
        Stage::LoginOtp | Stage::SignedIn => {
            let r = b
                .post(
                    routes::LOGIN,
                    &[("username", &f.email), ("password", PASSWORD)],
                )
                .await;
            expect_redirect("login", &r, routes::LOGIN_OTP);
            f.code = backend.last_code(&f.number).await;
            if stage == Stage::SignedIn {
                let r = b.post(routes::LOGIN_OTP, &[("codice", &f.code)]).await;
                expect_redirect("login code", &r, routes::ACCOUNT);
            }
        }
        Stage::RecoverOtp => {
            let r = b
                .post(
                    routes::RECOVER,
                    &[
                        ("modalita", "entrambe"),
                        ("numero", &national),
                        ("cf_personale", e2e::register::cf_for(&national)),
                    ],
                )
                .await;
            expect_redirect("recovery mode 3", &r, routes::RECOVER_OTP);
            f.code = backend.last_code(&f.number).await;
        }
        Stage::ResetLink | Stage::ResetPassword => {
            let r = b
                .post(
                    routes::RECOVER,
                    &[("modalita", "password"), ("username", &f.email)],
                )
                .await;
            expect_redirect("recovery mode 2", &r, routes::RECOVER);
            let link = backend.last_link(&f.email, routes::RECOVER_RESET).await;
            f.token = link
                .split_once("token=")
                .expect("token in the link")
                .1
                .to_owned();
            if stage == Stage::ResetPassword {
                let r = b.post(routes::RECOVER_RESET, &[("token", &f.token)]).await;
                expect_redirect("reset link", &r, routes::RECOVER_OTP);
                f.code = backend.last_code(&f.number).await;
                let r = b.post(routes::RECOVER_OTP, &[("codice", &f.code)]).await;
                expect_redirect("reset code", &r, routes::RECOVER_RESET);
            }
        }
        _ => unreachable!(),
    }
    f
}
