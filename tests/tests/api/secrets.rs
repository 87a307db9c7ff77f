//! Issue 22, item 3: the flow secret is out of the environment. The functions that use it
//! get only its name (`FLOW_SECRET_ARN`) and read it from Secrets Manager (LocalStack's) at
//! first use; a rotation (`PutSecretValue`: a new AWSCURRENT, the old one AWSPREVIOUS) voids
//! nothing in flight, two rotations void what was sealed under the oldest (the flow's
//! "expired" page, not a 500). Each test rotates a secret of its own.

use e2e::lambda::LambdaPortal;
use e2e::register::{cf_for, fill_profile, new_line, step1};
use e2e::{new_flow_secret, secrets_manager, Portal};
use engine::config::vars;
use store::secret::FlowSecretSource;

/// A new AWSCURRENT for `name` (the previous current becomes AWSPREVIOUS).
async fn rotate(name: &str) {
    let value = format!(
        "{}{}",
        domain::crypto::random_token(),
        domain::crypto::random_token()
    );
    secrets_manager()
        .await
        .put_secret_value()
        .secret_id(name)
        .secret_string(value)
        .send()
        .await
        .expect("PutSecretValue");
}

/// An in-process portal (a process of its own: its own cache) on the secret `name`.
async fn portal_on(name: &str) -> Portal {
    let name = name.to_owned();
    Portal::start_full(
        move |c| c.flow_secret = Some(FlowSecretSource::SecretsManager(name)),
        |app| async move { app },
    )
    .await
}

/// `other`'s server seen by `browser`'s client (its cookies: same host, another port).
fn continue_on(other: &Portal, browser: &Portal) -> Portal {
    other.as_browser(browser.client.clone())
}

/// A registration reaches the code page (its cookie sealed, its code hashed, under the
/// secret's current version): the browser and the number.
async fn started(p: &Portal) -> (e2e::Page, String) {
    let number = new_line(p).await;
    let page = step1(p, &number).await;
    assert_eq!(page.path, "/registrazione/codice", "{}", page.text());
    (page, number)
}

/// Started before a rotation, finished after it by the real binaries in new processes
/// (the Lambda-mode gateway: they fetch AWSCURRENT and AWSPREVIOUS from Secrets Manager).
#[tokio::test]
async fn a_flow_started_before_a_rotation_completes_after_it() {
    let name = new_flow_secret().await;
    let a = portal_on(&name).await;
    let (page, number) = started(&a).await;
    let code = a.last_code(&number).await;
    rotate(&name).await;
    let n = name.clone();
    let lp = LambdaPortal::start_full(
        move |c| c.flow_secret = Some(FlowSecretSource::SecretsManager(n)),
        |_| {},
    )
    .await;
    let b = continue_on(&lp.portal, &a);
    let next = b.submit(&page, "codice", &[("codice", &code)]).await;
    assert_eq!(next.path, "/registrazione/dati", "{}", next.text());
    assert!(next.contains("Inserisci i tuoi dati"), "{}", next.text());
}

/// A process that has not seen a rotation meets a cookie sealed under the new version (by a
/// process that has): it fetches the secret again at once instead of refusing it.
#[tokio::test]
async fn a_process_behind_a_rotation_fetches_the_secret_again_for_a_newer_cookie() {
    let name = new_flow_secret().await;
    let a = portal_on(&name).await;
    let (page, number) = started(&a).await;
    let code = a.last_code(&number).await;
    rotate(&name).await;
    let b = continue_on(&portal_on(&name).await, &a);
    let profile = b.submit(&page, "codice", &[("codice", &code)]).await;
    assert_eq!(profile.path, "/registrazione/dati", "{}", profile.text());
    // Back on `a`, whose cache holds only the old version: the profile step's cookie was
    // sealed by `b` under the new one.
    a.clock.advance(store::secret::MIN_REFETCH_SECS);
    let email = fill_profile(&a, &profile, cf_for(&number)).await;
    assert_eq!(email.path, "/registrazione/email", "{}", email.text());
}

/// Two rotations later, what was sealed under the oldest version is void: the flow's
/// "expired" page (200, the step-1 form again), never a 500.
#[tokio::test]
async fn a_flow_started_two_rotations_ago_is_refused_as_expired() {
    let name = new_flow_secret().await;
    let a = portal_on(&name).await;
    let (page, number) = started(&a).await;
    let code = a.last_code(&number).await;
    rotate(&name).await;
    rotate(&name).await;
    let b = continue_on(&portal_on(&name).await, &a);
    let refused = b.submit(&page, "codice", &[("codice", &code)]).await;
    assert_eq!(refused.status, 200, "{}", refused.text());
    assert_eq!(refused.path, "/registrazione/numero", "{}", refused.text());
    assert!(
        refused.contains("La sessione di registrazione è scaduta o non è più valida"),
        "{}",
        refused.text()
    );
}

/// No process is given the secret's value; send-messages (and the pages that need no
/// secret) not even its name.
#[tokio::test]
async fn send_messages_gets_no_secret_and_no_function_gets_its_value() {
    let lp = LambdaPortal::start().await;
    let value = secrets_manager()
        .await
        .get_secret_value()
        .secret_id(e2e::LAMBDA_FLOW_SECRET)
        .send()
        .await
        .expect("the Lambda portals' secret")
        .secret_string
        .expect("a string secret");
    for f in engine::access::functions() {
        let env = lp.functions.process_env(f);
        assert!(
            env.iter().all(|(_, v)| !v.contains(&value)),
            "{f}: the secret's value is in its environment"
        );
        let named = env
            .iter()
            .find(|(k, _)| k == vars::FLOW_SECRET_ARN)
            .map(|(_, v)| v.as_str());
        let expected = engine::access::reads_flow_secret(f).then_some(e2e::LAMBDA_FLOW_SECRET);
        assert_eq!(named, expected, "{f}: FLOW_SECRET_ARN");
        assert!(env.iter().all(|(k, _)| k != "FLOW_SECRET"), "{f}");
    }
    let send = lp.functions.process_env("send-messages");
    let config = engine::config::Config::from_lookup(|k| {
        send.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    })
    .expect("send-messages' configuration");
    assert_eq!(config.flow_secret, None);
}
