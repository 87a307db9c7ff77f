//! Step 3: personal data and the entity's codice fiscale. If "with the data typed (numero
//! mobile, Codice Fiscale Personale, Codice Fiscale dell'Ente) another registration exists"
//! — an active account holding the number, or the person's claim in that entity — the user
//! chooses RECUPERA LE TUE CREDENZIALI or PROSEGUI (the old registration is ceased when the
//! new one completes, not before). A registration found by person only (another number) is
//! ceased only after its owner proves it: PROSEGUI then waits on this page (`consent`).

use super::consent::{self, Fresh};
use super::{Existing, Profile, Refusal, Registration, State};
use crate::domain::{CodiceFiscaleEnte, CodiceFiscalePersona, MobileNumber};
use crate::engine::WebError;
use crate::engine::{Carried, Outcome, Reply};
use crate::pages::otp as otp_page;
use crate::pages::FieldErrors;
use crate::store::accounts::{self, Status};
use crate::store::uniqueness::{self, Kind};
use crate::App;
use serde::Deserialize;

/// The value of `azione` that chooses PROSEGUI.
pub const PROCEED: &str = "prosegui";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub nome: String,
    pub cognome: String,
    pub cf_personale: String,
    pub cf_ente: String,
    pub azione: String,
    /// The code sent to the old registration's SIM (the waiting page).
    pub codice: String,
}

const NOT_THE_SIMS_ENTITY: &str = "Il codice fiscale dell'Ente non corrisponde a quello dell'Ente a cui è \
    intestata la SIM. Controlla di aver inserito il codice fiscale del tuo Ente/Amministrazione e non quello \
    personale.";

/// A person's name: letters (any script's), spaces, apostrophes, hyphens and dots.
fn parse_name(raw: &str, what: &str) -> Result<String, String> {
    let v = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.is_empty() {
        return Err(format!("Inserisci il tuo {what}."));
    }
    if v.chars().count() > 60
        || !v
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '\'' | '’' | '-' | '.'))
    {
        return Err(format!(
            "Il {what} può contenere solo lettere, spazi e apostrofi (al massimo 60 caratteri)."
        ));
    }
    Ok(v)
}

/// The data typed, parsed; the entity must be the SIM's.
pub fn parse(form: &Form, flow: &Registration) -> Result<Profile, FieldErrors> {
    let mut errors = FieldErrors::default();
    let nome = parse_name(&form.nome, "nome").map_err(|e| errors.add("nome", e));
    let cognome = parse_name(&form.cognome, "cognome").map_err(|e| errors.add("cognome", e));
    let personal_cf =
        CodiceFiscalePersona::parse(&form.cf_personale).map_err(|e| errors.add("cf_personale", e));
    let entity_cf = CodiceFiscaleEnte::parse(&form.cf_ente).map_err(|e| errors.add("cf_ente", e));
    if entity_cf.as_ref().is_ok_and(|e| *e != flow.line.entity_cf) {
        errors.add("cf_ente", NOT_THE_SIMS_ENTITY);
    }
    match (nome, cognome, personal_cf, entity_cf) {
        (Ok(nome), Ok(cognome), Ok(personal_cf), Ok(entity_cf)) if errors.is_empty() => {
            Ok(Profile {
                nome,
                cognome,
                personal_cf,
                entity_cf,
            })
        }
        _ => Err(errors),
    }
}

/// The step: PROSEGUI, the waiting page's code or INVIA DI NUOVO, or the data (checked
/// against the registrations that exist).
pub async fn decide(
    app: &App,
    form: &Form,
    flow: Carried<Registration>,
    fresh: &Fresh,
) -> Result<Outcome<Refusal>, WebError> {
    if form.azione == PROCEED {
        return consent::proceed(app, flow, fresh).await;
    }
    let for_the_wait = form.azione == otp_page::RESEND_ACTION || !form.codice.is_empty();
    if for_the_wait && flow.data.state != State::AwaitingConsent {
        // The wait ended meanwhile (the link confirmed elsewhere): to the flow's page.
        let cookie = super::cookie(app, &flow.id, flow.version, &flow.data);
        return Ok(Outcome::redirect(flow.data.state.step().path()).cookie(cookie));
    }
    if flow.data.state == State::AwaitingConsent {
        if form.azione == otp_page::RESEND_ACTION {
            return consent::resend(app, flow, fresh).await;
        }
        let code = otp_page::CodeForm {
            codice: form.codice.clone(),
            azione: String::new(),
        };
        return consent::code(app, &code, flow).await;
    }
    let profile = match parse(form, &flow.data) {
        Ok(p) => p,
        Err(errors) => return Ok(Outcome::reply(Reply::Form(422, errors))),
    };
    let existing = existing_registrations(app, &flow.data.number, &profile).await?;
    Ok(entered(app, flow, profile, existing))
}

/// The active accounts that hold this number or this person's claim in this entity
/// (proving the SIM by SMS lets the user replace the number's, PROSEGUI; the person's only
/// with its owner's proof): the two claims in one read, then their accounts in one more if
/// any is held.
pub async fn existing_registrations(
    app: &App,
    number: &MobileNumber,
    profile: &Profile,
) -> Result<Existing, WebError> {
    let (store, now) = (app.store.as_ref(), app.now());
    let person = uniqueness::person_value(profile.entity_cf.as_str(), profile.personal_cf.as_str());
    let claims = store
        .batch_get(&[
            uniqueness::key(Kind::Number, number.e164()),
            uniqueness::key(Kind::Person, &person),
        ])
        .await?;
    let holder = |i: usize| {
        uniqueness::holder_in(claims[i].as_ref(), now)
            .and_then(|h| accounts::id_from_owner(&h).map(str::to_owned))
    };
    let (by_number, by_person) = (holder(0), holder(1));
    let mut ids: Vec<String> = by_number.iter().chain(by_person.iter()).cloned().collect();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Existing::default());
    }
    let keys: Vec<_> = ids.iter().map(|id| accounts::key(id)).collect();
    let items = store.batch_get(&keys).await?;
    let active: Vec<String> = ids
        .into_iter()
        .zip(items)
        .filter(|(id, item)| {
            let account = item.as_ref().and_then(|i| accounts::from_item(id, i));
            account.is_some_and(|a| a.status == Status::Active)
        })
        .map(|(id, _)| id)
        .collect();
    let keep = |id: Option<String>| id.filter(|id| active.contains(id));
    Ok(Existing {
        by_number: keep(by_number),
        by_person: keep(by_person),
    })
}

/// Valid data: saved, and the flow goes on to the email (or to the choice, if
/// registrations with these data exist).
pub fn entered(
    app: &App,
    flow: Carried<Registration>,
    profile: Profile,
    existing: Existing,
) -> Outcome<Refusal> {
    super::transit(app, &flow, |r| r.profile_entered(profile, existing), vec![])
}
