//! Login, first step (guide, section 4): username + password, ACCEDI. On success the SIM
//! must still be an active line of the Convenzione; then an SMS code is sent and the
//! login flow continues on the code page.
//!
//! Enumeration: an unknown username, a ceased account and a wrong password give the same
//! page, status and AWS calls (two reads, a hash verified, one transaction); the failure
//! counters are keyed by what was typed, so their locks are the same for real and
//! invented names. Each attempt is counted in the transaction that answers it, on the
//! version read before verifying: of parallel guesses only one commits, and a guess whose
//! count did not commit learns nothing (it is decided again on fresh counters).

use super::{safe_next, Login, KIND, TTL_SECS};
use crate::domain::{OtpCode, Username};
use crate::engine::{Effect, Outcome, Refusal as StepRefusal, Reply, Tx};
use crate::flows::record;
use crate::notify::messages;
use crate::store::accounts::{self, Account, Status};
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

/// Why the step's transaction did not commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    ClientCap,
    /// Another attempt on the same counters committed first, or a code was just issued.
    Concurrent,
    LineNotActive,
    Sms(sms::SendRefused),
}

impl StepRefusal for Refusal {
    fn reply(&self) -> Reply {
        let (status, text) = match self {
            Refusal::ClientCap => (
                429,
                "Troppi tentativi di accesso da questa connessione. Attendi qualche minuto e riprova.",
            ),
            Refusal::LineNotActive => (
                403,
                "La SIM associata al tuo account non risulta attiva in Convenzione Telefonia Mobile 8: non è possibile completare l'accesso. Per informazioni rivolgiti al referente della Convenzione del tuo Ente.",
            ),
            Refusal::Sms(r) => (429, sms::refused_text(*r)),
            Refusal::Concurrent => (429, "Troppi tentativi in corso: riprova tra qualche secondo."),
        };
        if let Refusal::LineNotActive = self {
            tracing::info!(
                step = "login",
                outcome = "line-not-active",
                "login refused: SIM not in the Convenzione"
            );
        }
        let mut errors = crate::pages::FieldErrors::default();
        errors.add("username", text);
        Reply::Form(status, errors)
    }
    fn retry(&self) -> bool {
        *self == Refusal::Concurrent
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
}

/// Two reads whatever the data: the username's claim with both failure counters, then the
/// account with its current code (a key that matches nothing when there is no account).
pub async fn load(app: &App, form: &Form, client: &str) -> Result<Facts, WebError> {
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
        ])
        .await?;
    let account = second[0]
        .as_ref()
        .and_then(|i| accounts::from_item(&account_id, i))
        .filter(|a| a.status == Status::Active);
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let candidate = form.password.clone();
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
        "Per la tua sicurezza, dopo troppi tentativi errati l'accesso con questa username è bloccato per {}. Riprova più tardi oppure recupera le tue credenziali.",
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
                let mut refused = Outcome::error(429, "username", locked_text(left));
                refused.tx = tx;
                return refused;
            }
            Attempt::Allowed { lock_if_wrong: l } => lock_if_wrong = lock_if_wrong.max(l),
        }
    }
    let Some(account) = facts.account.filter(|_| facts.password_ok) else {
        for (policy, subject, seen) in counters {
            tx.attempt(policy, subject, seen, now, Refusal::Concurrent);
        }
        tracing::info!(step = "login", outcome = "refused", viewer = %facts.client, "login refused");
        let text = lock_if_wrong
            .map(locked_text)
            .unwrap_or_else(|| WRONG_CREDENTIALS.to_owned());
        return Outcome::error(401, "password", text).with_tx(tx);
    };
    for (policy, subject, seen) in counters {
        tx.guard(
            lockout::clear_op(policy, subject, seen),
            Refusal::Concurrent,
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
    let mut outcome = Outcome::redirect(routes::LOGIN_OTP);
    if !facts.code_recent {
        sms::charge(
            &mut tx,
            app,
            Purpose::Login,
            &account.number,
            now,
            Refusal::Sms,
        );
        let secret = &app.config.flow_secret;
        let keep = Some(limits::RESEND_INTERVAL_SECS);
        tx.guard(
            otp::issue_op(secret, Purpose::Login, &account.id, code, now, keep),
            Refusal::Concurrent,
        );
        outcome = outcome
            .send(Effect::Sms {
                to: account.number.clone(),
                text: messages::sms_login_otp(code),
            })
            .unless_sent(otp::withdraw_op(secret, Purpose::Login, &account.id, code));
    }
    let data = Login::new(
        account.id.clone(),
        account.number.clone(),
        account.session_epoch,
        now,
        form.next(),
    );
    tx.write(record::create_op(KIND, flow_id, &data, TTL_SECS, now));
    tracing::info!(step = "login", outcome = "code-sent", account = %crate::crypto::log_id(&account.id), viewer = %facts.client, "password verified, SMS code sent");
    let cookie = super::cookie(app, flow_id, 1, &data);
    outcome.with_tx(tx).cookie(cookie)
}
