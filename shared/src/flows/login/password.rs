//! Login, first step (guide, section 4): username + password, ACCEDI. On success the SIM
//! must still be an active line of the Convenzione; then an SMS code is sent and the
//! login flow continues on the code page.
//!
//! Enumeration: an unknown username, a ceased account and a wrong password (also on a
//! suspended account) give the same page, status and AWS calls (two reads, a hash
//! verified, one transaction); the failure counters are keyed by what was typed, so their
//! locks are the same for real and invented names. Each attempt is counted in the transaction that answers it, on the
//! version read before verifying: of parallel guesses only one commits, and a guess whose
//! count did not commit learns nothing (it is decided again on fresh counters).

use super::refusal::{Page, Refusal};
use super::{safe_next, Login, KIND, TTL_SECS};
use crate::domain::{OtpCode, Username};
use crate::engine::{self, Effect, Outcome, Reply, Tx};
use crate::flows::record;
use crate::metrics::Metric;
use crate::notify::messages;
use crate::store::access_log::{self, Event};
use crate::store::accounts::{self, Account, Status};
use crate::store::devices;
use crate::store::lockout::{self, Attempt, Counter};
use crate::store::otp::{self, Purpose};
use crate::store::uniqueness::{self, Kind};
use crate::store::{lines, Cond, TxOp, Update};
use crate::web::WebError;
use crate::{limits, passwords, routes, sms, App};
use serde::Deserialize;

pub const WRONG_CREDENTIALS: &str =
    "Username o password non corretti. Controlla i dati inseriti e riprova.";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub username: String,
    pub password: String,
    pub next: String,
}

impl Form {
    /// The username as typed, normalised: what the page shows back and the counters key on.
    pub fn username(&self) -> String {
        self.username.trim().to_lowercase()
    }
    pub fn next(&self) -> String {
        safe_next(&self.next)
    }
    /// The lock subjects, bounded so that a huge username cannot make a huge key.
    fn lock_subjects(&self, client: &str) -> (String, String) {
        let subject: String = self.username().chars().take(128).collect();
        (format!("{subject}#{client}"), subject)
    }
}

/// What the step reads and computes before deciding.
pub struct Facts {
    pub client: String,
    pub per_client: Counter,
    pub per_user: Counter,
    /// The active account with the username typed, if any.
    pub account: Option<Account>,
    pub password_ok: bool,
    /// The argon2id hash replacing an imported one (first login after an import).
    pub upgraded_hash: Option<String>,
    /// A code for the account went out less than `RESEND_INTERVAL_SECS` ago (double click).
    pub code_recent: bool,
    /// The browser's device cookie names a browser the account logged in from before.
    pub known_device: bool,
    /// The account never completed a login (its first one is no news to its owner).
    pub first_login: bool,
    pub user_agent: String,
}

/// Two reads whatever the data: the username's claim with both failure counters, then the
/// account with its current code and this browser's entry in its devices (keys that match
/// nothing when there is no account).
pub async fn load(
    app: &App,
    form: &Form,
    client: &str,
    device: Option<&str>,
    user_agent: &str,
) -> Result<Facts, WebError> {
    let now = app.now();
    let store = app.store.as_ref();
    let (client_subject, user_subject) = form.lock_subjects(client);
    let claimed =
        Username::parse(&form.username()).map_or("-".to_owned(), |u| u.as_str().to_owned());
    let first = store
        .batch_get(&[
            uniqueness::key(Kind::Username, &claimed),
            Counter::key(limits::LOGIN_LOCK_PER_CLIENT, &client_subject),
            Counter::key(limits::LOGIN_LOCK_PER_USERNAME, &user_subject),
        ])
        .await?;
    let owner = uniqueness::holder_in(first[0].as_ref(), now);
    let account_id = owner
        .as_deref()
        .and_then(accounts::id_from_owner)
        .unwrap_or("-")
        .to_owned();
    let second = store
        .batch_get(&[
            accounts::key(&account_id),
            otp::code_key(Purpose::Login, &account_id),
            devices::key(&account_id, device.unwrap_or("-")),
        ])
        .await?;
    let account = second[0]
        .as_ref()
        .and_then(|i| accounts::from_item(&account_id, i))
        // A suspended account is verified like an active one: only the right password
        // learns that it is suspended (`decide`); a ceased one is no account at all.
        .filter(|a| a.status != Status::Ceased);
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let candidate = form.password.clone();
    crate::metrics::emit(crate::metrics::Metric::PasswordHashChecked);
    let (password_ok, upgraded_hash) = tokio::task::spawn_blocking(move || {
        let hash = stored.as_deref().unwrap_or(passwords::dummy_hash());
        let ok = passwords::verify(hash, &candidate) && stored.is_some();
        let upgraded =
            (ok && passwords::needs_upgrade(hash)).then(|| passwords::rehash(&candidate));
        (ok, upgraded)
    })
    .await
    .map_err(|e| WebError::Unavailable(e.to_string()))?;
    Ok(Facts {
        client: client.to_owned(),
        per_client: Counter::from_item(first[1].as_ref(), now),
        per_user: Counter::from_item(first[2].as_ref(), now),
        account,
        password_ok,
        upgraded_hash,
        code_recent: otp::is_recent(second[1].as_ref(), now, limits::RESEND_INTERVAL_SECS),
        known_device: device.is_some() && second[2].as_ref().is_some_and(|i| !i.is_expired(now)),
        first_login: second[0]
            .as_ref()
            .is_some_and(|i| i.n(accounts::LAST_LOGIN_AT).is_none()),
        user_agent: user_agent.to_owned(),
    })
}

/// The missing fields, before anything is read.
pub fn missing_fields(form: &Form) -> Option<Outcome<Refusal>> {
    let mut errors = crate::pages::FieldErrors::default();
    if form.username().is_empty() {
        errors.add("username", "Inserisci la username.");
    }
    if form.password.is_empty() {
        errors.add("password", "Inserisci la password.");
    }
    (!errors.is_empty()).then(|| Outcome::reply(Reply::Form(422, errors)))
}

fn locked_text(secs: i64) -> String {
    format!(
        "Per la tua sicurezza, dopo troppi tentativi errati l'accesso con questa username è bloccato per {}. Riprova \
            più tardi oppure recupera le tue credenziali.",
        lockout::minutes_text(secs)
    )
}

/// The decision. `code` is the code to send if one is issued; `flow_id` the new flow's id.
pub fn decide(
    app: &App,
    form: &Form,
    facts: Facts,
    code: &OtpCode,
    flow_id: &str,
) -> Outcome<Refusal> {
    let now = app.now();
    let mut tx = Tx::new();
    tx.charge(limits::LOGIN_PER_IP, &facts.client, now, Refusal::ClientCap);
    let (client_subject, user_subject) = form.lock_subjects(&facts.client);
    let counters = [
        (
            limits::LOGIN_LOCK_PER_CLIENT,
            &client_subject,
            &facts.per_client,
        ),
        (
            limits::LOGIN_LOCK_PER_USERNAME,
            &user_subject,
            &facts.per_user,
        ),
    ];
    let mut lock_if_wrong = None;
    for (policy, _, seen) in counters {
        match seen.next(policy, now) {
            Attempt::Locked(left) => {
                tracing::info!(step = "login", outcome = "locked", viewer = %facts.client, "login refused: locked");
                let mut refused =
                    Outcome::error(429, "username", locked_text(left)).metric(Metric::LoginLocked);
                refused.tx = tx;
                return refused;
            }
            Attempt::Allowed { lock_if_wrong: l } => lock_if_wrong = lock_if_wrong.max(l),
        }
    }
    let Some(account) = facts.account.clone().filter(|_| facts.password_ok) else {
        for (policy, subject, seen) in counters {
            tx.attempt(
                policy,
                subject,
                seen,
                now,
                Refusal::Concurrent(Page::Password),
            );
        }
        tracing::info!(step = "login", outcome = "refused", viewer = %facts.client, "login refused");
        // The owner's history shows the wrong password (and the lock it caused); the answer
        // and the calls are the same as for a name that matches no account.
        if let Some(a) = &facts.account {
            let event = if lock_if_wrong.is_some() {
                Event::Locked
            } else {
                Event::PasswordWrong
            };
            tx.write(access_log::record_op(&a.id, event, &facts.user_agent, now));
        }
        let text = lock_if_wrong
            .map(locked_text)
            .unwrap_or_else(|| WRONG_CREDENTIALS.to_owned());
        return Outcome::error(401, "password", text)
            .with_tx(tx)
            .metric(Metric::LoginPasswordWrong);
    };
    if account.status == Status::Disabled {
        // After the right password only (a wrong one was answered above like any other).
        return Outcome::reply(engine::Refusal::reply(&Refusal::AccountDisabled)).with_tx(tx);
    }
    for (policy, subject, seen) in counters {
        tx.guard(
            lockout::clear_op(policy, subject, seen),
            Refusal::Concurrent(Page::Password),
        );
    }
    if let Some(new_hash) = &facts.upgraded_hash {
        tx.write(TxOp::Update {
            key: accounts::key(&account.id),
            update: Update::new().set("password_hash", new_hash.as_str()),
            cond: Some(Cond::eq("password_hash", account.password_hash.as_str())),
        });
    }
    tx.guard(lines::active_check(&account.number), Refusal::LineNotActive);
    let mut outcome = Outcome::redirect(routes::LOGIN_OTP).metric(Metric::LoginPasswordOk);
    if !facts.code_recent {
        sms::charge(&mut tx, app, Purpose::Login, &account.number, now, |r| {
            Refusal::Sms(Page::Password, r)
        });
        let secret = &app.config.flow_secret;
        let keep = Some(limits::RESEND_INTERVAL_SECS);
        tx.guard(
            otp::issue_op(secret, Purpose::Login, &account.id, code, now, keep),
            Refusal::Concurrent(Page::Password),
        );
        outcome = outcome
            .send(Effect::Sms {
                to: account.number.clone(),
                text: messages::sms_login_otp(code),
            })
            .unless_sent(otp::withdraw_op(secret, Purpose::Login, &account.id, code));
    }
    tx.write(access_log::record_op(
        &account.id,
        Event::CodeSent,
        &facts.user_agent,
        now,
    ));
    let mut data = Login::new(
        account.id.clone(),
        account.number.clone(),
        account.session_epoch,
        now,
        form.next(),
    );
    if !facts.known_device && !facts.first_login {
        data.notify_new_device = Some(account.email.clone());
    }
    tx.write(record::create_op(KIND, flow_id, &data, TTL_SECS, now));
    let (id, viewer) = (crate::crypto::log_id(&account.id), &facts.client);
    tracing::info!(step = "login", outcome = "code-sent", account = %id, %viewer, "password verified, SMS code sent");
    let cookie = super::cookie(app, flow_id, 1, &data);
    outcome.with_tx(tx).cookie(cookie)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::domain::MobileNumber;
    use crate::notify::Message;

    fn app() -> App {
        App::in_memory(Config::for_tests()).0
    }

    fn form(user: &str) -> Form {
        Form {
            username: user.into(),
            password: "Girasole-Blu-2026!".into(),
            next: String::new(),
        }
    }

    fn account() -> Account {
        Account {
            id: "acc".into(),
            nome: "Mario".into(),
            cognome: "Rossi".into(),
            personal_cf: "RSSMRA85T10A562S".into(),
            entity_cf: "00488410010".into(),
            ragione_sociale: "Ente".into(),
            number: MobileNumber::parse("+393331234567").unwrap(),
            email: "mario@comune.example.it".into(),
            username: "mario@comune.example.it".into(),
            password_hash: "h".into(),
            status: Status::Active,
            session_epoch: 3,
            created_at: 0,
            terms_version: String::new(),
            privacy_version: String::new(),
            accepted_at: 0,
            origin: String::new(),
        }
    }

    fn facts(account: Option<Account>, password_ok: bool) -> Facts {
        Facts {
            client: "10.0.0.1".into(),
            per_client: Counter::default(),
            per_user: Counter::default(),
            account,
            password_ok,
            upgraded_hash: None,
            code_recent: false,
            known_device: false,
            first_login: false,
            user_agent: "UA".into(),
        }
    }

    #[test]
    fn a_wrong_password_and_an_unknown_name_are_counted_alike_and_send_nothing() {
        let app = app();
        let code = OtpCode::generate();
        for (f, history) in [
            (facts(Some(account()), false), &["ACCESS#acc"][..]),
            (facts(None, false), &[]),
        ] {
            let o = decide(&app, &form("mario@comune.example.it"), f, &code, "flow");
            assert!(
                matches!(&o.reply, Reply::Form(401, e) if e.get("password") == Some(WRONG_CREDENTIALS))
            );
            // The same counters; a real account's history also notes the wrong password
            // (inside the same single transaction: the calls are the same).
            let mut want = vec!["RATE#login-ip", "LOCK#login-client", "LOCK#login"];
            want.extend(history);
            assert_eq!(o.tx.kinds(), want);
            assert!(o.effects.is_empty() && o.cookies.is_empty());
        }
    }

    #[test]
    fn the_right_password_sends_one_code_in_the_same_commit_as_the_flow() {
        let app = app();
        let code = OtpCode::generate();
        let o = decide(
            &app,
            &form("mario@comune.example.it"),
            facts(Some(account()), true),
            &code,
            "flow",
        );
        assert!(matches!(&o.reply, Reply::Redirect(to) if to == routes::LOGIN_OTP));
        let k = o.tx.kinds();
        for want in [
            "RATE#login-ip",
            "LINE#+393331234567",
            "RATE#sms-number-login",
            "OTP#LOGIN",
            "FLOW#LOGIN",
        ] {
            assert!(k.iter().any(|x| x == want), "{want} not in {k:?}");
        }
        assert_eq!(
            o.effects,
            vec![Message::Sms {
                to: account().number,
                text: messages::sms_login_otp(&code)
            }]
        );
        assert_eq!(
            o.unsent.len(),
            1,
            "the code is withdrawn if the SMS cannot leave"
        );
        assert_eq!(o.cookies.len(), 1);
    }

    #[test]
    fn a_double_click_keeps_the_recent_code_and_a_lock_answers_before_verifying() {
        let app = app();
        let code = OtpCode::generate();
        let mut f = facts(Some(account()), true);
        f.code_recent = true;
        let o = decide(&app, &form("m"), f, &code, "flow");
        assert!(o.effects.is_empty(), "no second SMS");
        assert!(
            o.tx.kinds().iter().any(|k| k == "FLOW#LOGIN"),
            "but a flow of its own"
        );
        let mut f = facts(Some(account()), true);
        f.per_client.locked_until = app.now() + 90;
        let o = decide(&app, &form("m"), f, &code, "flow");
        assert!(
            matches!(&o.reply, Reply::Form(429, e) if e.get("username").unwrap().contains("2 minuti"))
        );
        assert_eq!(
            o.tx.kinds(),
            ["RATE#login-ip"],
            "a locked attempt is not counted"
        );
    }
}
