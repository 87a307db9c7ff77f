//! Login with a passkey (issue 24): no password, no SMS. Two steps of the one runner, run by
//! `functions/login-passkey` with the WebAuthn library behind `domain::passkey::Ceremonies`
//! (so this crate, and every function but that one, does not link it):
//!
//! - `OptionsStep` (POST `/accesso/passkey/opzioni`, JSON for passkey.js): a discoverable
//!   ceremony (no account named, user verification required) stored under a random id for
//!   5 minutes (`store::ceremonies`), the client's window charged in the same transaction.
//! - `FinishStep` (POST `/accesso/passkey`): the assertion. Two reads whatever the data —
//!   the ceremony, the credential id's lookup (its account and key) and the client's window
//!   of failures; then the account and this browser's entry in its devices (keys that match
//!   nothing when there is no such credential) — the signature verified, and one
//!   transaction: the ceremony deleted on condition that it is still there (used once, also
//!   under a race), the key's new counter, the same rules as the SMS login's code step
//!   (account active at the epoch read, line active in the Convenzione, a new session and
//!   the old one deleted, the access history, the device, the new-device email). Every
//!   refusal — no such ceremony or expired, unknown or removed credential, another
//!   account's handle, wrong origin or RP ID, no user verification, a suspended or ceased
//!   account, a ceased line — is the same page, status and calls (`REFUSED`); failures are
//!   counted per client network and, once too many, refused before any verification.
//!   The terms in force are the session guard's: the first private page asks for them.

use super::safe_next;
use crate::step::Count;
use crate::{App, Attempt, Ctx, FieldErrors, Outcome, Reply, Tx, WebError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use domain::passkey::{user_handle, Authenticated, Ceremonies, Refused, Started};
use metrics::Metric;
use serde::Deserialize;
use store::accounts::{self, Account, Status};
use store::ceremonies::{self, Ceremony, Gone, Kind};
use store::passkeys::{self, Stored};
use store::{devices, limits, lines, rate, AccountId};
use ui::pages::login::PASSKEY_FIELD;

/// The one answer to every refused assertion.
pub const REFUSED: &str =
    "Non è stato possibile accedere con la passkey: non è valida, è stata rimossa o non \
     appartiene a un account attivo. Accedi con username e password.";
const TOO_MANY: &str =
    "Troppi tentativi di accesso con passkey da questa connessione. Attendi qualche minuto e riprova.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many ceremonies asked from this connection.
    OptionsCap,
    /// Too many failed assertions from this connection.
    FailedCap,
    /// The assertion does not sign anyone in (whatever the reason: one answer).
    Failed,
}

impl crate::Refusal for Refusal {
    fn reply(&self) -> Reply {
        let (status, text) = match self {
            Refusal::OptionsCap => {
                let body = serde_json::json!({ "errore": TOO_MANY }).to_string();
                return Reply::Json(429, body);
            }
            Refusal::FailedCap => (429, TOO_MANY),
            Refusal::Failed => (401, REFUSED),
        };
        let mut errors = FieldErrors::default();
        errors.add(PASSKEY_FIELD, text);
        Reply::Form(status, errors)
    }
}

type Loaded<F> = Result<Result<F, Outcome<Refusal>>, WebError>;

/// The options of a login by passkey, and the ceremony they belong to.
pub struct OptionsStep<'a> {
    pub rp: &'a dyn Ceremonies,
}

impl crate::Step for OptionsStep<'_> {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = Started;

    async fn load(
        &self,
        _: &App,
        _: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Started> {
        let started = self
            .rp
            .start_authentication()
            .map_err(WebError::Unavailable)?;
        Ok(Ok(started))
    }

    fn decide(
        &self,
        app: &App,
        ctx: &Ctx,
        _: (),
        started: Started,
        _: Attempt,
    ) -> Outcome<Refusal> {
        options(app, &ctx.network(), &started)
    }
}

/// The ceremony stored and charged to the client (one transaction); the options as JSON.
pub fn options(app: &App, client: &str, started: &Started) -> Outcome<Refusal> {
    let now = app.now();
    let (id, op) = ceremonies::start_op(Kind::Authentication, &started.state, None, now);
    let mut tx = Tx::new();
    tx.charge(
        limits::PASSKEY_OPTIONS_PER_IP,
        client,
        now,
        Refusal::OptionsCap,
    );
    tx.write(op);
    let public_key: serde_json::Value =
        serde_json::from_str(&started.public_key).unwrap_or(serde_json::Value::Null);
    let body = serde_json::json!({ "cerimonia": id, "publicKey": public_key }).to_string();
    Outcome::reply(Reply::Json(200, body)).with_tx(tx)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    /// The ceremony's id, from the options.
    pub cerimonia: String,
    /// The browser's assertion (webauthn-rs `PublicKeyCredential` JSON).
    pub credenziale: String,
    pub next: String,
}

/// ACCEDI CON UNA PASSKEY (or the username field's autofill): the assertion.
pub struct FinishStep<'a> {
    pub rp: &'a dyn Ceremonies,
    pub form: Form,
}

/// What the assertion's step read and verified.
pub struct Facts {
    pub client: String,
    pub ceremony: Result<Ceremony, Gone>,
    /// The credential id's lookup: whose passkey, and its key.
    pub stored: Option<Stored>,
    /// The user handle the assertion names (base64url).
    pub handle: String,
    /// The account of the lookup, unless ceased.
    pub account: Option<Account>,
    pub known_device: bool,
    pub first_login: bool,
    /// The signature and the ceremony's expectations (origin, RP ID, challenge, UV).
    pub verified: Result<Authenticated, Refused>,
}

impl crate::Step for FinishStep<'_> {
    type Flow = ();
    type Refusal = Refusal;
    type Facts = Facts;

    async fn load(
        &self,
        app: &App,
        ctx: &Ctx,
        _: &(),
        _: Option<Count>,
        _: Attempt,
    ) -> Loaded<Facts> {
        load(app, ctx, self.rp, &self.form).await
    }

    fn decide(&self, app: &App, ctx: &Ctx, _: (), facts: Facts, _: Attempt) -> Outcome<Refusal> {
        decide(app, ctx, &self.form, facts)
    }
}

/// Two reads whatever the assertion names, then the verification (no I/O).
pub async fn load(app: &App, ctx: &Ctx, rp: &dyn Ceremonies, form: &Form) -> Loaded<Facts> {
    let now = app.now();
    let store = app.store.as_ref();
    let client = ctx.network().to_string();
    let (credential_id, handle) = rp
        .assertion_ids(&form.credenziale)
        .filter(|(id, _)| passkeys::is_credential_id(id))
        .unwrap_or_else(|| ("-".to_owned(), String::new()));
    let first = store
        .batch_get(&[
            ceremonies::key(Kind::Authentication, &form.cerimonia),
            passkeys::lookup_key(&credential_id),
            rate::window_key(limits::PASSKEY_FAILED_PER_IP, &client, now),
        ])
        .await?;
    if rate::is_full(first[2].as_ref(), limits::PASSKEY_FAILED_PER_IP, now) {
        tracing::info!(step = "login-passkey", outcome = "client-cap", viewer = %client, "passkey refused: client cap");
        return Ok(Err(Outcome::reply(crate::Refusal::reply(
            &Refusal::FailedCap,
        ))));
    }
    let ceremony = ceremonies::from_item(Kind::Authentication, first[0].as_ref(), now);
    let stored = passkeys::stored_from(&credential_id, first[1].as_ref());
    let account_id = stored
        .as_ref()
        .map_or_else(AccountId::nobody, |s| s.account_id.clone());
    let second = store
        .batch_get(&[
            accounts::key(&account_id),
            devices::key(&account_id, ctx.device.as_deref().unwrap_or("-")),
        ])
        .await?;
    let account = second[0]
        .as_ref()
        .and_then(|i| accounts::from_item(&account_id, i))
        .filter(|a| a.status != Status::Ceased);
    let verified = match (&ceremony, &stored) {
        (Ok(c), Some(s)) => rp.finish_authentication(&c.state, &form.credenziale, &s.passkey),
        _ => Err(Refused::Malformed),
    };
    Ok(Ok(Facts {
        client,
        ceremony,
        handle,
        known_device: account.is_some()
            && ctx.device.is_some()
            && second[1].as_ref().is_some_and(|i| !i.is_expired(now)),
        first_login: second[0]
            .as_ref()
            .is_some_and(|i| i.n(accounts::LAST_LOGIN_AT).is_none()),
        account,
        stored,
        verified,
    }))
}

/// Why an assertion signs no one in (for the log only: the person is told `REFUSED`).
fn refusal(facts: &Facts) -> Option<String> {
    let why = match (
        &facts.ceremony,
        &facts.stored,
        &facts.verified,
        &facts.account,
    ) {
        (Err(Gone::Expired), ..) => "ceremony expired".to_owned(),
        (Err(Gone::Unknown), ..) => "no such ceremony (replayed, or never issued)".to_owned(),
        (_, None, ..) => "unknown credential".to_owned(),
        (_, _, Err(r), _) => format!("assertion refused: {r}"),
        (_, _, Ok(a), _) if !a.user_verified => "user not verified".to_owned(),
        (_, Some(s), ..) if facts.handle != B64.encode(user_handle(&s.account_id)) => {
            "the user handle is not the credential's account".to_owned()
        }
        (.., None) => "account ceased or missing".to_owned(),
        (.., Some(a)) if a.status != Status::Active => "account suspended".to_owned(),
        _ => return None,
    };
    Some(why)
}

/// The decision on a verified (or refused) assertion.
pub fn decide(app: &App, ctx: &Ctx, form: &Form, facts: Facts) -> Outcome<Refusal> {
    let now = app.now();
    let mut tx = Tx::new();
    if let Some(why) = refusal(&facts) {
        // Used up all the same, and counted on the client's window.
        tx.write(ceremonies::use_op(
            Kind::Authentication,
            &form.cerimonia,
            false,
        ));
        tx.charge(
            limits::PASSKEY_FAILED_PER_IP,
            &facts.client,
            now,
            Refusal::FailedCap,
        );
        let viewer = &facts.client;
        tracing::info!(step = "login-passkey", outcome = "refused", %viewer, "passkey refused: {why}");
        return Outcome::reply(crate::Refusal::reply(&Refusal::Failed))
            .with_tx(tx)
            .metric(Metric::LoginPasskeyRefused);
    }
    let (Some(a), Some(stored), Ok(verified)) = (&facts.account, &facts.stored, &facts.verified)
    else {
        unreachable!("refusal() answered every missing fact")
    };
    // Once: of two requests with this ceremony only one deletes it.
    tx.guard(
        ceremonies::use_op(Kind::Authentication, &form.cerimonia, true),
        Refusal::Failed,
    );
    let key = verified.passkey.as_deref().unwrap_or(&stored.passkey);
    // Removed meanwhile (the owner, the help desk): refused like any removed one.
    tx.guard(passkeys::touch_op(stored, key, now), Refusal::Failed);
    tx.guard(passkeys::touch_list_op(stored, now), Refusal::Failed);
    tx.guard(
        accounts::record_login_op(&a.id, a.session_epoch, now),
        Refusal::Failed,
    );
    tx.guard(lines::active_check(&a.number), Refusal::Failed);
    let known = ctx.device.is_some() && facts.known_device;
    let proof = super::sign_in::Proof {
        account_id: &a.id,
        epoch: a.session_epoch,
        method: super::sign_in::Method::Passkey,
        next: safe_next(&form.next),
        new_device_email: (!known && !facts.first_login).then_some(a.email.as_str()),
    };
    super::sign_in::sign_in(app, ctx, tx, proof)
}
