//! Login, first step (guide, section 4): username + password, ACCEDI. On success the SIM
//! must still be an active line of the Convenzione; then an SMS code is sent and the
//! login flow continues on the code page.
//!
//! The step, in order (`step`): two reads whatever the data (`load`); the cheap refusals
//! (`admit`: a lock, the client's cap — before any hash, so a flood of refused attempts
//! costs no argon2id); the hash (`check`); the decision (`decide`), committed as one
//! transaction.
//!
//! Who is counted (OWASP's device-cookie lockout): a browser that completed a login on the
//! account it names (its `dispositivo` cookie is in `DEVICES#<account>`) meets only its own
//! counter per (username, browser), the strictest — not the per-username lock strangers
//! can drive, nor its address's cap. Any other browser is counted per (username, client
//! network) and per username, and its wrong passwords on its network's window
//! (`limits::LOGIN_WRONG_PER_IP`: right ones are not counted, an office logs in at once).
//! When the per-username lock engages, the account's owner is emailed once.
//!
//! Enumeration: an unknown username, a ceased account and a wrong password (also on a
//! suspended account) give the same page, status and AWS calls (two reads, a hash
//! verified, one transaction, and where the lock engages one post to the outbox: the
//! owner's email, or `Message::Nothing`); the failure counters are keyed by what was
//! typed, so their locks are the same for real and invented names. Only a browser that
//! completed a login on the account is known to it, and only to that account. Each attempt
//! is counted in the transaction that answers it, on the version read before verifying: of
//! parallel guesses only one commits, and a guess whose count did not commit learns nothing
//! (it is decided again on fresh counters).

use super::refusal::{Page, Refusal};
use super::{safe_next, Login};
use crate::WebError;
use crate::{sms, App};
use crate::{Ctx, Effect, Outcome, Reply, Tx};
use domain::passwords;
use domain::{clock, crypto, routes};
use domain::{OtpCode, Username};
use metrics::Metric;
use notify::messages;
use serde::Deserialize;
use store::access_log::{self, Event};
use store::accounts::{self, Account, Status};
use store::devices;
use store::limits;
use store::lockout::{self, Attempt, Counter, Policy};
use store::otp::{self, Purpose};
use store::uniqueness::{self, Kind, Owner};
use store::{lines, rate, AccountId};

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
}

/// The subjects of the three counters an attempt may be counted on, bounded so that a huge
/// username cannot make a huge key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subjects {
    /// (username, client network).
    pub per_client: String,
    /// The username.
    pub per_user: String,
    /// (username, browser): the hash of the `dispositivo` cookie's id (`-` without one).
    pub per_device: String,
}

impl Subjects {
    pub fn new(typed: &str, client: &str, device: Option<&str>) -> Subjects {
        let user: String = typed.chars().take(128).collect();
        let browser = device.map_or_else(|| "-".to_owned(), crypto::token_hash);
        Subjects {
            per_client: format!("{user}#{client}"),
            per_device: format!("{user}#{browser}"),
            per_user: user,
        }
    }
}

/// What the step reads before deciding (no hash: `check` computes it once `admit` lets
/// the attempt through).
pub struct Facts {
    /// The client network (`edge::ClientNetwork`), the key of the per-client counters.
    pub client: String,
    pub subjects: Subjects,
    pub per_client: Counter,
    pub per_user: Counter,
    pub per_device: Counter,
    /// The client's wrong passwords fill its window (`limits::LOGIN_WRONG_PER_IP`).
    pub client_full: bool,
    /// The active account with the username typed, if any.
    pub account: Option<Account>,
    /// A code for the account went out less than `RESEND_INTERVAL_SECS` ago (double click).
    pub code_recent: bool,
    /// The browser's device cookie names a browser the account completed a login from.
    pub known_device: bool,
    /// The account never completed a login (its first one is no news to its owner).
    pub first_login: bool,
    pub user_agent: String,
}

/// Two reads whatever the data: the username's claim with the three failure counters and
/// the client's window, then the account with its current code and this browser's entry in
/// its devices (keys that match nothing when there is no account).
pub async fn load(
    app: &App,
    form: &Form,
    client: &str,
    device: Option<&str>,
    user_agent: &str,
) -> Result<Facts, WebError> {
    let now = app.now();
    let store = app.store.as_ref();
    let subjects = Subjects::new(&form.username(), client, device);
    let claimed =
        Username::parse(&form.username()).map_or("-".to_owned(), |u| u.as_str().to_owned());
    let first = store
        .batch_get(&[
            uniqueness::key(Kind::Username, &claimed),
            Counter::key(limits::LOGIN_LOCK_PER_CLIENT, &subjects.per_client),
            Counter::key(limits::LOGIN_LOCK_PER_USERNAME, &subjects.per_user),
            Counter::key(limits::LOGIN_LOCK_PER_DEVICE, &subjects.per_device),
            rate::window_key(limits::LOGIN_WRONG_PER_IP, client, now),
        ])
        .await?;
    let owner = uniqueness::holder_in(first[0].as_ref(), now);
    let account_id = owner
        .and_then(Owner::into_account)
        .unwrap_or_else(AccountId::nobody);
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
    Ok(Facts {
        client: client.to_owned(),
        subjects,
        per_client: Counter::from_item(first[1].as_ref(), now),
        per_user: Counter::from_item(first[2].as_ref(), now),
        per_device: Counter::from_item(first[3].as_ref(), now),
        client_full: rate::is_full(first[4].as_ref(), limits::LOGIN_WRONG_PER_IP, now),
        known_device: account.is_some()
            && device.is_some()
            && second[2].as_ref().is_some_and(|i| !i.is_expired(now)),
        account,
        code_recent: otp::is_recent(second[1].as_ref(), now, limits::RESEND_INTERVAL_SECS),
        first_login: second[0]
            .as_ref()
            .is_some_and(|i| i.n(accounts::LAST_LOGIN_AT).is_none()),
        user_agent: user_agent.to_owned(),
    })
}

/// The missing fields, before anything is read.
pub fn missing_fields(form: &Form) -> Option<Outcome<Refusal>> {
    let mut errors = ui::pages::FieldErrors::default();
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

/// The counters an attempt is counted on, by who the browser is to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// A browser that completed a login on the account: its own counter only.
    KnownBrowser,
    /// Any other: per (username, client), per username, and the client's wrong passwords.
    Other,
}

/// An attempt `admit` let through to the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    pub lane: Lane,
    /// The lock a wrong password sets (the longest of its counters').
    pub lock_if_wrong: Option<i64>,
    /// A wrong password engages the per-username lock (the owner is told).
    pub engages_user_lock: bool,
}

impl Facts {
    /// The counters of `lane`, with their subjects and the values read.
    fn counters(&self, lane: Lane) -> Vec<(Policy, &str, &Counter)> {
        let s = &self.subjects;
        match lane {
            Lane::KnownBrowser => vec![(
                limits::LOGIN_LOCK_PER_DEVICE,
                &s.per_device,
                &self.per_device,
            )],
            Lane::Other => vec![
                (
                    limits::LOGIN_LOCK_PER_CLIENT,
                    &s.per_client,
                    &self.per_client,
                ),
                (limits::LOGIN_LOCK_PER_USERNAME, &s.per_user, &self.per_user),
            ],
        }
    }
}

/// The cheap refusals, before any hash (pure): the client's cap, then the locks. `Err` is
/// the answer (nothing to write: a refused attempt is not counted).
pub fn admit(facts: &Facts, now: i64) -> Result<Admitted, Box<Outcome<Refusal>>> {
    let lane = if facts.known_device {
        Lane::KnownBrowser
    } else {
        Lane::Other
    };
    let viewer = &facts.client;
    if lane == Lane::Other && facts.client_full {
        tracing::info!(step = "login", outcome = "client-cap", %viewer, "login refused: client cap");
        return Err(Box::new(Outcome::reply(crate::Refusal::reply(
            &Refusal::ClientCap,
        ))));
    }
    let mut lock_if_wrong = None;
    for (policy, _, seen) in facts.counters(lane) {
        match seen.next(policy, now) {
            Attempt::Locked(left) => {
                tracing::info!(step = "login", outcome = "locked", %viewer, "login refused: locked");
                let refused =
                    Outcome::error(429, "username", locked_text(left)).metric(Metric::LoginLocked);
                return Err(Box::new(refused));
            }
            Attempt::Allowed { lock_if_wrong: l } => lock_if_wrong = lock_if_wrong.max(l),
        }
    }
    Ok(Admitted {
        lane,
        lock_if_wrong,
        engages_user_lock: lane == Lane::Other
            && facts.per_user.next_engages(limits::LOGIN_LOCK_PER_USERNAME),
    })
}

/// The password verified against the account's hash, or a dummy one (same work either way).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    pub password_ok: bool,
    /// The argon2id hash replacing an imported one (first login after an import).
    pub upgraded_hash: Option<String>,
}

/// The hash, off the async threads (counted: `Metric::PasswordHashChecked`).
pub async fn check(facts: &Facts, form: &Form) -> Result<Checked, WebError> {
    let stored = facts.account.as_ref().map(|a| a.password_hash.clone());
    let candidate = form.password.clone();
    metrics::emit(Metric::PasswordHashChecked);
    tokio::task::spawn_blocking(move || {
        let hash = stored.as_deref().unwrap_or(passwords::dummy_hash());
        let ok = passwords::verify(hash, &candidate) && stored.is_some();
        let upgraded =
            (ok && passwords::needs_upgrade(hash)).then(|| passwords::rehash(&candidate));
        Checked {
            password_ok: ok,
            upgraded_hash: upgraded,
        }
    })
    .await
    .map_err(|e| WebError::Unavailable(e.to_string()))
}

/// ACCEDI: the form and the id of the flow it starts if the password is right.
pub struct Step {
    pub form: Form,
    pub flow_id: String,
}

impl Step {
    pub fn new(form: Form) -> Self {
        Step {
            form,
            flow_id: crypto::random_token(),
        }
    }
}

impl crate::Step for Step {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = (Facts, Admitted, Checked);

    /// Read, refuse cheaply (before any hash), verify: the password's match is a fact the
    /// hash computes off the async threads.
    async fn load(
        &self,
        app: &App,
        ctx: &Ctx,
        _: &(),
        _: Option<crate::step::Count>,
        _: crate::Attempt,
    ) -> Result<Result<Self::Facts, Outcome<Refusal>>, WebError> {
        let form = &self.form;
        if let Some(missing) = missing_fields(form) {
            return Ok(Err(missing));
        }
        let (client, device) = (ctx.network(), ctx.device.as_deref());
        let facts = load(app, form, &client, device, &ctx.agent).await?;
        let admitted = match admit(&facts, app.now()) {
            Ok(admitted) => admitted,
            Err(refused) => return Ok(Err(*refused)),
        };
        let checked = check(&facts, form).await?;
        Ok(Ok((facts, admitted, checked)))
    }

    fn decide(
        &self,
        app: &App,
        _: &Ctx,
        _: (),
        (facts, admitted, checked): Self::Facts,
        _: crate::Attempt,
    ) -> Outcome<Refusal> {
        let code = OtpCode::generate();
        decide(
            app,
            &self.form,
            &facts,
            admitted,
            checked,
            &code,
            &self.flow_id,
        )
    }
}

/// The decision on an admitted attempt. `code` is the code to send if one is issued;
/// `flow_id` the new flow's id.
pub fn decide(
    app: &App,
    form: &Form,
    facts: &Facts,
    admitted: Admitted,
    checked: Checked,
    code: &OtpCode,
    flow_id: &str,
) -> Outcome<Refusal> {
    let now = app.now();
    let mut tx = Tx::new();
    let counters = facts.counters(admitted.lane);
    let Some(account) = facts.account.clone().filter(|_| checked.password_ok) else {
        if admitted.lane == Lane::Other {
            tx.charge(
                limits::LOGIN_WRONG_PER_IP,
                &facts.client,
                now,
                Refusal::ClientCap,
            );
        }
        for (policy, subject, seen) in &counters {
            tx.attempt(
                *policy,
                subject,
                seen,
                now,
                Refusal::Concurrent(Page::Password),
            );
        }
        let viewer = &facts.client;
        tracing::info!(step = "login", outcome = "refused", %viewer, "login refused");
        // The owner's history shows the wrong password (and the lock it caused); the answer
        // and the calls are the same as for a name that matches no account.
        if let Some(a) = &facts.account {
            let event = if admitted.lock_if_wrong.is_some() {
                Event::Locked
            } else {
                Event::PasswordWrong
            };
            tx.write(access_log::record_op(&a.id, event, &facts.user_agent, now));
        }
        let text = admitted
            .lock_if_wrong
            .map(locked_text)
            .unwrap_or_else(|| WRONG_CREDENTIALS.to_owned());
        let mut refused = Outcome::error(401, "password", text)
            .with_tx(tx)
            .metric(Metric::LoginPasswordWrong);
        if admitted.engages_user_lock {
            refused = refused.send(lock_notice(app, facts.account.as_ref(), now));
        }
        return refused;
    };
    if account.status == Status::Disabled {
        // After the right password only (a wrong one was answered above like any other).
        return Outcome::reply(crate::Refusal::reply(&Refusal::AccountDisabled));
    }
    for (policy, subject, seen) in &counters {
        tx.guard(
            lockout::clear_op(*policy, subject, seen),
            Refusal::Concurrent(Page::Password),
        );
    }
    if let Some(new_hash) = &checked.upgraded_hash {
        tx.write(accounts::set_password_op(
            &account.id,
            &account.password_hash,
            new_hash,
            false,
        ));
    }
    tx.guard(lines::active_check(&account.number), Refusal::LineNotActive);
    let mut outcome = Outcome::redirect(routes::LOGIN_OTP).metric(Metric::LoginPasswordOk);
    if !facts.code_recent {
        sms::charge(&mut tx, app, Purpose::Login, &account.number, now, |r| {
            Refusal::Sms(Page::Password, r)
        });
        let keys = app.keys();
        let secret = keys.current();
        let keep = Some(limits::RESEND_INTERVAL_SECS);
        tx.guard(
            otp::issue_op(secret, Purpose::Login, &account.id, code, now, keep),
            Refusal::Concurrent(Page::Password),
        );
        outcome = outcome
            .send(Effect::Sms {
                to: account.number.clone(),
                text: messages::sms_login_otp(code),
                expires_at: Some(otp::expiry(now)),
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
    tx.write(crate::create_flow_op(flow_id, &data, now));
    let (id, viewer) = (crypto::log_id(&account.id), &facts.client);
    tracing::info!(step = "login", outcome = "code-sent", account = %id, %viewer, "password verified, SMS code sent");
    let cookie = super::cookie(app, flow_id, 1, &data);
    outcome.with_tx(tx).cookie(cookie)
}

/// The per-username lock engaged: the owner's email, or — for a name that matches no
/// account — a message that sends nothing (the same post to the outbox either way).
fn lock_notice(app: &App, account: Option<&Account>, now: i64) -> Effect {
    let Some(a) = account else {
        return Effect::Nothing;
    };
    tracing::info!(step = "login", account = %crypto::log_id(&a.id), "per-username lock engaged, owner told");
    let recover = format!("{}{}", app.config.public_base_url, routes::RECOVER);
    Effect::Email(messages::email_login_locked(
        &a.email,
        &a.username,
        &clock::rome_datetime(now),
        &recover,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use domain::MobileNumber;
    use notify::Message;

    fn aid(s: &str) -> AccountId {
        AccountId::parse(s).unwrap()
    }

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
            id: aid("acc"),
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
            passkey_offer_dismissed: false,
        }
    }

    fn facts(account: Option<Account>) -> Facts {
        Facts {
            client: "10.0.0.1".into(),
            subjects: Subjects::new(
                "mario@comune.example.it",
                "10.0.0.1",
                Some("device-id-0123456789"),
            ),
            per_client: Counter::default(),
            per_user: Counter::default(),
            per_device: Counter::default(),
            client_full: false,
            account,
            code_recent: false,
            known_device: false,
            first_login: false,
            user_agent: "UA".into(),
        }
    }

    fn checked(ok: bool) -> Checked {
        Checked {
            password_ok: ok,
            upgraded_hash: None,
        }
    }

    /// `admit`, then `decide` with the password right or wrong.
    fn run(f: &Facts, ok: bool) -> Outcome<Refusal> {
        let app = app();
        let admitted = admit(f, app.now()).unwrap_or_else(|_| panic!("refused before the hash"));
        let code = OtpCode::generate();
        decide(
            &app,
            &form("mario@comune.example.it"),
            f,
            admitted,
            checked(ok),
            &code,
            "flow",
        )
    }

    #[test]
    fn a_wrong_password_and_an_unknown_name_are_counted_alike_and_send_nothing() {
        for (f, history) in [
            (facts(Some(account())), &["ACCESS#acc"][..]),
            (facts(None), &[]),
        ] {
            let o = run(&f, false);
            assert!(
                matches!(&o.reply, Reply::Form(401, e) if e.get("password") == Some(WRONG_CREDENTIALS))
            );
            // The same counters; a real account's history also notes the wrong password
            // (inside the same single transaction: the calls are the same).
            let mut want = vec!["RATE#login-wrong-ip", "LOCK#login-client", "LOCK#login"];
            want.extend(history);
            assert_eq!(o.tx.kinds(), want);
            assert!(o.effects.is_empty() && o.cookies.is_empty());
        }
    }

    #[test]
    fn the_right_password_sends_one_code_in_the_same_commit_as_the_flow() {
        let o = run(&facts(Some(account())), true);
        assert!(matches!(&o.reply, Reply::Redirect(to) if to == routes::LOGIN_OTP));
        let k = o.tx.kinds();
        for want in [
            "LOCK#login-client",
            "LOCK#login",
            "LINE#+393331234567",
            "RATE#sms-number-login",
            "OTP#LOGIN",
            "FLOW#LOGIN",
        ] {
            assert!(k.iter().any(|x| x == want), "{want} not in {k:?}");
        }
        assert!(
            !k.iter().any(|x| x == "RATE#login-wrong-ip"),
            "a right password is not counted on the client: {k:?}"
        );
        let Message::Sms { to, .. } = &o.effects[0] else {
            panic!("{:?}", o.effects)
        };
        assert_eq!((to, o.effects.len()), (&account().number, 1));
        assert_eq!(
            o.unsent.len(),
            1,
            "the code is withdrawn if the SMS cannot leave"
        );
        assert_eq!(o.cookies.len(), 1);
    }

    #[test]
    fn a_double_click_keeps_the_recent_code() {
        let mut f = facts(Some(account()));
        f.code_recent = true;
        let o = run(&f, true);
        assert!(o.effects.is_empty(), "no second SMS");
        assert!(
            o.tx.kinds().iter().any(|k| k == "FLOW#LOGIN"),
            "but a flow of its own"
        );
    }

    #[test]
    fn locks_and_the_client_cap_refuse_before_the_hash() {
        let now = app().now();
        let mut f = facts(Some(account()));
        f.per_client.locked_until = now + 90;
        let Err(o) = admit(&f, now) else {
            panic!("admitted")
        };
        assert!(
            matches!(&o.reply, Reply::Form(429, e) if e.get("username").unwrap().contains("2 minuti"))
        );
        assert!(o.tx.is_empty(), "a locked attempt is not counted");
        let mut f = facts(None);
        f.per_user.locked_until = now + 30;
        assert!(
            admit(&f, now).is_err(),
            "the lock is the same for an invented name"
        );
        let mut f = facts(None);
        f.client_full = true;
        let Err(o) = admit(&f, now) else {
            panic!("admitted")
        };
        assert!(
            matches!(&o.reply, Reply::Form(429, e) if e.get("username").unwrap().contains("da questa connessione"))
        );
    }

    #[test]
    fn a_known_browser_meets_only_its_own_counter() {
        let now = app().now();
        let mut f = facts(Some(account()));
        f.known_device = true;
        // Strangers locked the username and filled this address's window: not this browser's.
        f.per_user.locked_until = now + 3600;
        f.per_client.locked_until = now + 3600;
        f.client_full = true;
        let Ok(a) = admit(&f, now) else {
            panic!("refused")
        };
        assert_eq!(a.lane, Lane::KnownBrowser);
        assert!(!a.engages_user_lock);
        let o = run(&f, false);
        assert_eq!(o.tx.kinds(), ["LOCK#login-device", "ACCESS#acc"]);
        assert!(o.effects.is_empty());
        let o = run(&f, true);
        let k = o.tx.kinds();
        assert!(
            k.contains(&"LOCK#login-device".to_owned()),
            "its counter cleared: {k:?}"
        );
        assert!(
            !k.iter()
                .any(|x| x == "LOCK#login" || x == "LOCK#login-client"),
            "the strangers' counters stay: {k:?}"
        );
        // Its own lock holds.
        f.per_device.locked_until = now + 60;
        assert!(admit(&f, now).is_err());
    }

    #[test]
    fn the_attempt_that_engages_the_username_lock_tells_the_owner_once() {
        let free = limits::LOGIN_LOCK_PER_USERNAME.free;
        for (before, told) in [(free - 2, false), (free - 1, true), (free, false)] {
            let mut f = facts(Some(account()));
            f.per_user.attempts = before;
            let o = run(&f, false);
            match (told, o.effects.as_slice()) {
                (true, [Message::Email(m)]) => {
                    assert_eq!(m.to, "mario@comune.example.it");
                    assert!(m.text.contains("RECUPERA LE TUE CREDENZIALI"));
                }
                (false, []) => {}
                (_, e) => panic!("after {before} attempts: {e:?}"),
            }
            // An invented name: the same post, of nothing.
            let mut f = facts(None);
            f.per_user.attempts = before;
            let o = run(&f, false);
            assert_eq!(o.effects.len(), usize::from(told));
            assert!(o.effects.iter().all(|e| *e == Message::Nothing));
        }
    }
}
