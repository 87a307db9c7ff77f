//! Through the real gateway: every route, static pages, 404 and error pages.

use super::*;

pub(super) struct Walker {
    pub(super) portal: e2e::Portal,
    pub(super) client: reqwest::Client,
    pub(super) failures: Vec<String>,
    pub(super) answers: Vec<String>,
    pub(super) cookies: BTreeSet<String>,
}

pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) location: Option<String>,
    pub(super) body: String,
}

impl Walker {
    pub(super) async fn start() -> Walker {
        let portal = e2e::Portal::start().await;
        Walker {
            client: Self::client(),
            portal,
            failures: Vec::new(),
            answers: Vec::new(),
            cookies: BTreeSet::new(),
        }
    }

    /// A browser that does not follow redirects, so that every answer is checked.
    pub(super) fn client() -> reqwest::Client {
        e2e::simulated_client()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub(super) async fn send(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
        extra: &[(&str, &str)],
    ) -> Answer {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.portal.base, path)
        };
        let mut rb = self
            .client
            .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url);
        if let Some(fields) = form {
            rb = rb.form(fields);
        }
        for (k, v) in extra {
            rb = rb.header(*k, *v);
        }
        let resp = rb.send().await.expect("gateway answers");
        let what = format!("{method} {path} → {}", resp.status().as_u16());
        self.failures
            .extend(header_failures(&what, resp.headers(), false));
        for c in resp.headers().get_all("set-cookie") {
            self.cookies.insert(
                c.to_str()
                    .unwrap_or_default()
                    .split('=')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        self.answers.push(what);
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Answer {
            status,
            location,
            body: resp.text().await.unwrap_or_default(),
        }
    }

    pub(super) async fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, None, &[]).await
    }

    /// A POST from the portal's own page, then the redirect it answers with (checked too).
    pub(super) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let origin = self.portal.base.clone();
        let a = self
            .send(
                "POST",
                path,
                Some(fields),
                &[("origin", &origin), ("sec-fetch-site", "same-origin")],
            )
            .await;
        assert_eq!(a.status, 303, "POST {path}: {}", a.body);
        let to = a.location.clone().expect("redirect");
        self.get(&to).await
    }
}

pub(super) fn hidden(html: &str, name: &str) -> String {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(&format!("input[name=\"{name}\"]")).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|i| i.value().attr("value"))
        .unwrap_or_else(|| panic!("no field {name}"))
        .to_owned()
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let mut w = Walker::start().await;

    // Every route of the table as a first visit (no flow, no session): pages or redirects.
    for r in ROUTES {
        let origin = w.portal.base.clone();
        let a = match r.method {
            "GET" => w.get(r.path).await,
            _ => {
                w.send(
                    r.method,
                    r.path,
                    Some(&[]),
                    &[("origin", &origin), ("sec-fetch-site", "same-origin")],
                )
                .await
            }
        };
        assert!(a.status < 500, "{} {}: {}", r.method, r.path, a.status);
    }

    // The public area, an asset, the 404, and the error pages.
    let home = w.get(routes::HOME).await;
    assert_eq!(home.status, 200);
    let doc = Html::parse_document(&home.body);
    let css = doc
        .select(&Selector::parse("link[rel=stylesheet]").unwrap())
        .next()
        .and_then(|l| l.value().attr("href"))
        .expect("a stylesheet")
        .to_owned();
    for p in [
        routes::NEWS,
        routes::DOCUMENTS,
        routes::CONTACTS,
        routes::PRIVACY,
        css.as_str(),
        "/robots.txt",
    ] {
        assert_eq!(w.get(p).await.status, 200, "{p}");
    }
    assert_eq!(w.get("/pagina-che-non-esiste").await.status, 404);
    assert_eq!(w.send("PUT", routes::LOGIN, None, &[]).await.status, 405);
    assert_eq!(
        w.send("POST", routes::ACCOUNT, Some(&[]), &[]).await.status,
        405
    );
    assert_eq!(
        w.get(&format!("{}?token=non-valido", routes::RECOVER_RESET))
            .await
            .status,
        410
    );
    let refused = w
        .send(
            "POST",
            routes::LOGIN,
            Some(&[("username", "x"), ("password", "y")]),
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(refused.status, 403);
    // A body over what reaches a function in AWS (6 MB): refused by the edge, headers and all.
    let huge = w
        .client
        .post(format!("{}{}", w.portal.base, routes::LOGIN))
        .body(vec![b'a'; 7 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status().as_u16(), 413);
    w.failures
        .extend(header_failures("POST 7 MB → 413", huge.headers(), false));

    // A whole registration, login, logout and recovery, every answer checked.
    let number = e2e::random_number();
    let email = e2e::random_email("intestazioni");
    w.portal.add_line(&number, ENTE, ENTE_NAME, true).await;
    let page = w.get(routes::REGISTER_NUMBER).await;
    let challenge = hidden(&page.body, "challenge");
    w.portal.clock.advance(3);
    w.post(
        routes::REGISTER_NUMBER,
        &[
            ("numero", &number),
            ("conferma", "100"),
            ("challenge", &challenge),
            ("pow", ""),
        ],
    )
    .await;
    let code = w.portal.last_code(&number).await;
    w.post(routes::REGISTER_OTP, &[("codice", &code)]).await;
    w.post(
        routes::REGISTER_PROFILE,
        &[
            ("nome", "Mario"),
            ("cognome", "Rossi"),
            ("cf_personale", e2e::register::cf_for(&number)),
            ("cf_ente", ENTE),
        ],
    )
    .await;
    w.post(
        routes::REGISTER_EMAIL,
        &[("azione", "salva"), ("email", &email)],
    )
    .await;
    w.get(&format!("{}?modifica=username", routes::REGISTER_EMAIL))
        .await;
    w.post(routes::REGISTER_EMAIL, &[("azione", "avanti")])
        .await;
    let link = e2e::register::confirmation_link(&w.portal, &email).await;
    assert_eq!(w.get(&link).await.status, 200);
    let token = link
        .split_once("t=")
        .expect("token in the link")
        .1
        .to_owned();
    w.post(routes::CONFIRM_EMAIL, &[("t", &token)]).await;
    let done = w
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
    assert_eq!(done.status, 200, "{}", done.body);

    w.get(routes::LOGIN).await;
    w.post(
        routes::LOGIN,
        &[("username", &email), ("password", PASSWORD)],
    )
    .await;
    let code = w.portal.last_code(&number).await;
    let area = w.post(routes::LOGIN_OTP, &[("codice", &code)]).await;
    assert_eq!(area.status, 200, "the private area");
    w.get(routes::LOGOUT).await;
    w.post(routes::LOGOUT, &[]).await;
    assert_eq!(w.get(routes::ACCOUNT).await.status, 303, "signed out");

    w.get(routes::RECOVER).await;
    w.get(&format!("{}?modalita=entrambe", routes::RECOVER))
        .await;
    w.post(
        routes::RECOVER,
        &[
            ("modalita", "entrambe"),
            ("numero", &number),
            ("cf_personale", e2e::register::cf_for(&number)),
        ],
    )
    .await;
    let code = w.portal.last_code(&number).await;
    w.post(routes::RECOVER_OTP, &[("codice", &code)]).await;
    let mails = w.portal.emails_to(&email).await;
    let text = &mails
        .iter()
        .rev()
        .find(|m| m.text.contains("token="))
        .expect("reset email")
        .text;
    let link = text[text.find("http").unwrap()..]
        .split_whitespace()
        .find(|w| w.contains("token="))
        .unwrap()
        .to_owned();
    let token = link.split_once("token=").unwrap().1.to_owned();
    assert_eq!(w.get(&link).await.status, 200);
    w.post(routes::RECOVER_RESET, &[("token", &token)]).await;
    let code = w.portal.last_code(&number).await;
    w.post(routes::RECOVER_OTP, &[("codice", &code)]).await;
    w.post(
        routes::RECOVER_RESET,
        &[
            ("password", NEW_PASSWORD),
            ("conferma_password", NEW_PASSWORD),
        ],
    )
    .await;

    // Every route of the table was answered along the way.
    for r in ROUTES {
        assert!(
            w.answers
                .iter()
                .any(|a| a.starts_with(&format!("{} {} ", r.method, r.path))
                    || a.starts_with(&format!("{} {}?", r.method, r.path))),
            "{} {} never answered",
            r.method,
            r.path
        );
    }
    for name in ["reg_flow", "login_flow", "session", "recover_flow"] {
        assert!(
            w.cookies.contains(name),
            "cookie {name} never set: {:?}",
            w.cookies
        );
    }
    println!(
        "{} answers checked, cookies seen {:?}",
        w.answers.len(),
        w.cookies
    );
    assert!(w.failures.is_empty(), "{}", w.failures.join("\n"));
}
