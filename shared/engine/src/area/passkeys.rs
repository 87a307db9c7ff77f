//! "Passkey" in the private area (issue 24): create one (after the 15-minute
//! re-authentication, as the email and password changes), list them, rename one, remove one.
//!
//! Creation is two requests. CREA UNA PASSKEY (`new`) reads the account's passkeys (their
//! ids are excluded, the cap checked) and stores the ceremony (`store::ceremonies`: the
//! library's state, 5 minutes); the page carries the options and the ceremony's id. The
//! browser's credential comes back to `register`, which takes the ceremony (deleted as it
//! is read: a replay finds nothing), verifies the credential against it and, in one
//! transaction, stores it with its lookup, raises the count under the cap, checks the
//! account is still active at the epoch the session knows and notes the access history;
//! then the owner is emailed. The ceremony is the proof of the recent re-authentication:
//! it was issued at most 5 minutes before, to this account.
//!
//! The WebAuthn library stays out of this crate: the functions give the steps a
//! `domain::passkey::Ceremonies` (`shared/passkey`).

use super::{reauth, Refusal};
use crate::session::SignedIn;
use crate::{App, Ctx};
use crate::{Effect, Outcome, Reply, Tx, WebError};
use domain::passkey::{Ceremonies, Refused, Registered, User};
use domain::{clock, crypto, routes};
use notify::account_messages;
use serde::Deserialize;
use store::access_log::{self, Event};
use store::ceremonies::{self, Gone, Kind};
use store::limits::PASSKEYS_PER_ACCOUNT;
use store::passkeys::{self, Credential};
use ui::pages::FieldErrors;

/// CONTINUA on the intro page (or the /nuova form elsewhere): the password when asked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewForm {
    pub password_attuale: String,
}

/// The creation page's form (`ui::pages::passkeys`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    pub cerimonia: String,
    pub credenziale: String,
    pub nome: String,
}

/// A passkey named on the list (`id`: its credential id) and, to rename it, the new name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EditForm {
    pub id: String,
    pub nome: String,
}

/// The field the list's errors and the intro page's cap refusal are shown at.
pub const FIELD: &str = "passkey";
pub const NAME_FIELD: &str = "nome";
pub const TOO_MANY: &str =
    "Hai già 10 passkey, il numero massimo: per crearne una nuova rimuovine prima una che non usi \
    più.";
pub const NAME_MISSING: &str = "Scrivi un nome per la passkey.";

/// The notices of the list after a change (`?fatto=…`).
pub const ADDED: &str = "aggiunta";
pub const RENAMED: &str = "rinominata";
pub const REMOVED: &str = "rimossa";
/// The passkey named was not the account's (removed meanwhile, another tab).
pub const NONE: &str = "nessuna";

pub fn done(what: &str) -> String {
    format!("{}?fatto={what}", routes::ACCOUNT_PASSKEYS)
}

/// The account's passkeys, oldest first (one Query).
pub async fn list(app: &App, s: &SignedIn) -> Result<Vec<Credential>, WebError> {
    Ok(passkeys::list(app.store.as_ref(), &s.account.id).await?)
}

/// What CREA UNA PASSKEY reads: the passkeys (ids excluded, the cap) and, when the login
/// is old, the password verified.
pub struct NewFacts {
    pub listed: Vec<Credential>,
    pub checked: Option<reauth::Checked>,
    /// The password was asked and not given (the form came from a page that had no field
    /// for it: the intro page is shown, without an error).
    pub ask: bool,
}

pub async fn load_new(
    app: &App,
    ctx: &Ctx,
    s: &SignedIn,
    form: &NewForm,
) -> Result<Result<NewFacts, Outcome<Refusal>>, WebError> {
    let needed = reauth::needed(s, app.now());
    if needed && form.password_attuale.is_empty() {
        if ctx.form.has(reauth::FIELD) {
            return Ok(Err(Outcome::error(422, reauth::FIELD, reauth::MISSING)));
        }
        let ask = NewFacts {
            listed: Vec::new(),
            checked: None,
            ask: true,
        };
        return Ok(Ok(ask));
    }
    let checked = match needed {
        true => Some(reauth::verify(app, s, &form.password_attuale).await?),
        false => None,
    };
    let refused = checked
        .as_ref()
        .is_some_and(|c| reauth::count(&mut Tx::new(), c, app.now()).is_some());
    let listed = match refused {
        true => Vec::new(),
        false => list(app, s).await?,
    };
    Ok(Ok(NewFacts {
        listed,
        checked,
        ask: false,
    }))
}

/// The creation options and the ceremony, or the intro page again (the password, the cap).
pub fn decide_new(
    app: &App,
    ctx: &Ctx,
    s: &SignedIn,
    rp: &dyn Ceremonies,
    facts: NewFacts,
) -> Outcome<Refusal> {
    let now = app.now();
    if facts.ask {
        return Outcome::reply(Reply::Form(200, FieldErrors::default()));
    }
    let mut tx = Tx::new();
    if let Some(checked) = &facts.checked {
        if let Some(refused) = reauth::count(&mut tx, checked, now) {
            return refused;
        }
    }
    if facts.listed.len() as i64 >= PASSKEYS_PER_ACCOUNT {
        return Outcome::error(409, FIELD, TOO_MANY).with_tx(tx);
    }
    let a = &s.account;
    let display = format!("{} {}", a.nome, a.cognome);
    let user = User {
        account_id: &a.id,
        name: &a.username,
        display_name: display.trim(),
    };
    let exclude: Vec<String> = facts.listed.iter().map(|c| c.id.clone()).collect();
    let started = match rp.start_registration(&user, &exclude) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(step = "area-passkey-new", error = %e, "creation options refused");
            return Outcome::reply(Reply::Page(503, unavailable_page()));
        }
    };
    let (id, op) = ceremonies::start_op(Kind::Registration, &started.state, Some(&a.id), now);
    tx.write(op);
    let page = ui::pages::passkeys::creation_page(
        &id,
        &started.public_key,
        &ui::agent::describe(&ctx.agent),
    );
    Outcome::reply(Reply::Page(200, page)).with_tx(tx)
}

/// What the credential's POST found: the ceremony gone, the credential refused, or a new
/// passkey.
pub enum RegisterFacts {
    /// The page had no credential (no JavaScript, or the browser refused): nothing used up.
    Empty,
    Gone(Gone),
    Refused(Refused),
    Registered(Registered),
}

/// The ceremony taken (one DeleteItem) and the credential verified against it.
pub async fn load_register(
    app: &App,
    s: &SignedIn,
    rp: &dyn Ceremonies,
    form: &RegisterForm,
) -> Result<RegisterFacts, WebError> {
    if form.credenziale.trim().is_empty() {
        return Ok(RegisterFacts::Empty);
    }
    let taken = ceremonies::take(
        app.store.as_ref(),
        Kind::Registration,
        &form.cerimonia,
        app.now(),
    )
    .await?;
    let ceremony = match taken {
        // Another account's ceremony is no ceremony of this one (and is used up all the same).
        Ok(c) if c.account_id.as_ref() == Some(&s.account.id) => c,
        Ok(_) => return Ok(RegisterFacts::Gone(Gone::Unknown)),
        Err(gone) => return Ok(RegisterFacts::Gone(gone)),
    };
    Ok(
        match rp.finish_registration(&ceremony.state, &form.credenziale) {
            Ok(r) => RegisterFacts::Registered(r),
            Err(r) => RegisterFacts::Refused(r),
        },
    )
}

/// The passkey stored, or why not.
pub fn decide_register(
    app: &App,
    ctx: &Ctx,
    s: &SignedIn,
    form: &RegisterForm,
    facts: RegisterFacts,
) -> Outcome<Refusal> {
    let registered = match facts {
        RegisterFacts::Empty => {
            return Outcome::reply(Reply::Page(400, refused_page(NO_CREDENTIAL)))
        }
        RegisterFacts::Gone(Gone::Unknown) => {
            return Outcome::reply(Reply::Page(410, refused_page(GONE)))
        }
        RegisterFacts::Gone(Gone::Expired) => {
            return Outcome::reply(Reply::Page(410, refused_page(EXPIRED)))
        }
        RegisterFacts::Refused(why) => {
            tracing::info!(step = "area-passkey-register", account = %crypto::log_id(&s.account.id),
                refused = %why, "credential refused");
            return Outcome::reply(Reply::Page(400, refused_page(refused_text(&why))));
        }
        RegisterFacts::Registered(r) => r,
    };
    let a = &s.account;
    let now = app.now();
    let agent = ui::agent::describe(&ctx.agent);
    let name = match passkeys::clean_name(&form.nome) {
        n if n.is_empty() => agent.clone(),
        n => n,
    };
    let credential = Credential {
        id: registered.credential_id,
        name,
        created_at: now,
        last_used_at: None,
        agent,
        order: String::new(),
    };
    let add = passkeys::add_ops(&a.id, &credential, &registered.passkey);
    let mut tx = Tx::new();
    tx.guard(add.count, Refusal::TooManyPasskeys)
        .guard(add.credential, Refusal::PasskeyTaken)
        .guard(add.lookup, Refusal::PasskeyTaken)
        .guard(
            store::accounts::active_at_check(&a.id, a.session_epoch),
            Refusal::Changed(FIELD),
        )
        .write(access_log::record_op(
            &a.id,
            Event::PasskeyAdded,
            &ctx.agent,
            now,
        ));
    let mail = account_messages::email_passkey_added(
        &a.email,
        &clock::rome_datetime(now),
        &credential.name,
        &credential.agent,
        &link(app, routes::RECOVER),
    );
    tracing::info!(step = "area-passkey-register", account = %crypto::log_id(&a.id), "passkey added");
    Outcome::redirect(done(ADDED))
        .with_tx(tx)
        .send(Effect::Email(mail))
}

fn link(app: &App, path: &str) -> String {
    format!("{}{path}", app.config.public_base_url)
}

/// RINOMINA: the name checked, then written on condition that the passkey is the account's.
pub fn rename(s: &SignedIn, form: &EditForm) -> Outcome<Refusal> {
    let name = passkeys::clean_name(&form.nome);
    if name.is_empty() {
        return Outcome::error(422, NAME_FIELD, NAME_MISSING);
    }
    if !passkeys::is_credential_id(&form.id) {
        return Outcome::reply(crate::Refusal::reply(&Refusal::NoSuchPasskey));
    }
    let mut tx = Tx::new();
    tx.guard(
        passkeys::rename_op(&s.account.id, &form.id, &name),
        Refusal::NoSuchPasskey,
    );
    Outcome::redirect(done(RENAMED)).with_tx(tx)
}

/// RIMUOVI, on the list as read (the name for the owner's email): the passkey, its lookup
/// and the count, each on condition that it is the account's; the access history; an email.
pub fn remove(
    app: &App,
    ctx: &Ctx,
    s: &SignedIn,
    form: &EditForm,
    listed: &[Credential],
) -> Outcome<Refusal> {
    let a = &s.account;
    let Some(c) = listed.iter().find(|c| c.id == form.id) else {
        return Outcome::reply(crate::Refusal::reply(&Refusal::NoSuchPasskey));
    };
    let now = app.now();
    let mut tx = Tx::new();
    for op in passkeys::remove_ops(&a.id, &c.id) {
        tx.guard(op, Refusal::NoSuchPasskey);
    }
    tx.write(access_log::record_op(
        &a.id,
        Event::PasskeyRemoved,
        &ctx.agent,
        now,
    ));
    let mail = account_messages::email_passkey_removed(
        &a.email,
        &clock::rome_datetime(now),
        &c.name,
        &link(app, routes::RECOVER),
        account_messages::RemovedBy::Owner,
    );
    tracing::info!(step = "area-passkey-remove", account = %crypto::log_id(&a.id), "passkey removed");
    Outcome::redirect(done(REMOVED))
        .with_tx(tx)
        .send(Effect::Email(mail))
}

pub const NO_CREDENTIAL: &str =
    "Il browser non ci ha inviato nessuna passkey: per crearla serve JavaScript e un \
    dispositivo che supporti le passkey. Il tuo account non è cambiato.";
pub const GONE: &str = "Questa richiesta di creare una passkey non è più valida: è già stata usata. Il tuo account non \
    è cambiato: se ti serve, crea di nuovo la passkey.";
pub const TAKEN: &str =
    "Questa passkey è già registrata: la trovi nell'elenco delle passkey. Il tuo account non è \
    cambiato.";
pub const EXPIRED: &str =
    "Il tempo per creare la passkey è scaduto (5 minuti). Il tuo account non è cambiato: crea di \
    nuovo la passkey.";

/// What the person is told when the credential is refused (nothing is stored).
pub fn refused_text(why: &Refused) -> &'static str {
    match why {
        Refused::Origin | Refused::RpId => {
            "La passkey non è stata creata per questo sito: non possiamo accettarla. Il tuo account non è cambiato. \
             Apri l'Area Clienti dall'indirizzo ufficiale e riprova."
        }
        Refused::UserVerification => {
            "Il dispositivo non ha verificato la tua identità (impronta, volto, PIN o sequenza di sblocco): la \
             passkey non è stata creata. Riprova e conferma sul dispositivo."
        }
        Refused::Challenge | Refused::Malformed | Refused::Other(_) => {
            "La passkey ricevuta non è valida e non è stata salvata. Il tuo account non è cambiato: riprova."
        }
    }
}

/// The page of a creation that stored nothing, with the way back to the list.
pub fn refused_page(text: &str) -> maud::Markup {
    ui::pages::warning_page(
        "Passkey non creata",
        text,
        routes::ACCOUNT_PASSKEYS,
        "TORNA ALLE PASSKEY",
    )
}

fn unavailable_page() -> maud::Markup {
    ui::pages::warning_page(
        "Servizio momentaneamente non disponibile",
        "Non riusciamo a preparare la creazione della passkey in questo momento: riprova tra qualche minuto.",
        routes::ACCOUNT_PASSKEYS,
        "TORNA ALLE PASSKEY",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_is_worded_in_italian() {
        for why in [
            Refused::Malformed,
            Refused::Origin,
            Refused::RpId,
            Refused::Challenge,
            Refused::UserVerification,
            Refused::Other("x".into()),
        ] {
            let t = refused_text(&why);
            assert!(t.contains("passkey") && !t.contains("x\""), "{t}");
        }
        assert!(done(ADDED).starts_with(routes::ACCOUNT_PASSKEYS));
    }
}
