//! Step 3: personal data and the entity's codice fiscale. If "with the data typed (numero
//! mobile, Codice Fiscale Personale, Codice Fiscale dell'Ente) another registration exists"
//! — an active account holding the number, or the person's claim in that entity — the user
//! chooses RECUPERA LE TUE CREDENZIALI or PROSEGUI (the old registration is ceased when the
//! new one completes, not before). A registration found by person only (another number) is
//! ceased only after its owner proves it: PROSEGUI then waits on this page (`consent`).

use super::consent::{self, Fresh};
use super::{Existing, Profile, Refusal, Registration, State};
use crate::pages::otp as otp_page;
use crate::step::Count;
use crate::App;
use crate::WebError;
use crate::{Carried, Guess, Outcome, Reply};
use domain::{CodiceFiscaleEnte, CodiceFiscalePersona, MobileNumber};
use serde::Deserialize;
use store::accounts::{self, Status};
use store::uniqueness::{self, Kind, Owner};
use store::{AccountId, Item};
use ui::pages::FieldErrors;

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

/// Which of the page's buttons a POST is, in the flow's state.
enum Choice {
    Proceed,
    /// The waiting page's buttons after the wait ended (the link confirmed elsewhere).
    WaitOver,
    Resend,
    Code,
    Data,
}

fn choice(form: &Form, flow: &Registration) -> Choice {
    if form.azione == PROCEED {
        return Choice::Proceed;
    }
    let for_the_wait = form.azione == otp_page::RESEND_ACTION || !form.codice.is_empty();
    match (flow.state == State::AwaitingConsent, for_the_wait) {
        (false, true) => Choice::WaitOver,
        (true, _) if form.azione == otp_page::RESEND_ACTION => Choice::Resend,
        (true, _) => Choice::Code,
        (false, false) => Choice::Data,
    }
}

/// The waiting page's code as a code form.
fn code_form(form: &Form) -> otp_page::CodeForm {
    otp_page::CodeForm {
        codice: form.codice.clone(),
        azione: String::new(),
    }
}

/// What the step reads, by the button pressed (see `consent` for the wait's).
pub enum Facts {
    Proceed(consent::ProceedRead),
    Resend(Option<Box<consent::Facts>>),
    Code {
        counted: Option<Count>,
        old: Option<Item>,
    },
    /// The registrations with these data, if the data are valid.
    Data(Option<Existing>),
    Nothing,
}

/// The guess of the waiting page's code, to count before it is compared.
pub fn to_count(form: &Form, flow: &Registration) -> Option<Guess> {
    match choice(form, flow) {
        Choice::Code => consent::to_count(&code_form(form), flow),
        _ => None,
    }
}

/// The step's reads, by the button pressed.
pub async fn load(
    app: &App,
    form: &Form,
    flow: &Carried<Registration>,
    counted: Option<Count>,
) -> Result<Facts, WebError> {
    let d = &flow.data;
    Ok(match choice(form, d) {
        Choice::Proceed => Facts::Proceed(consent::load_proceed(app, d).await?),
        Choice::WaitOver => Facts::Nothing,
        Choice::Resend => Facts::Resend(consent::load_resend(app, d).await?.map(Box::new)),
        Choice::Code => {
            let old = consent::load_code(app, &code_form(form), d, &counted).await?;
            Facts::Code { counted, old }
        }
        Choice::Data => match parse(form, d) {
            Ok(profile) => Facts::Data(Some(
                existing_registrations(app, &d.number, &profile).await?,
            )),
            Err(_) => Facts::Data(None),
        },
    })
}

/// The step: PROSEGUI, the waiting page's code or INVIA DI NUOVO, or the data (checked
/// against the registrations that exist), on what `load` read.
pub fn decide(
    app: &App,
    form: &Form,
    flow: Carried<Registration>,
    fresh: &Fresh,
    facts: Facts,
) -> Outcome<Refusal> {
    match (choice(form, &flow.data), facts) {
        (Choice::Proceed, Facts::Proceed(read)) => consent::proceeded(app, flow, fresh, read),
        (Choice::Resend, Facts::Resend(read)) => {
            consent::resend(app, flow, fresh, read.map(|f| *f))
        }
        (Choice::Code, Facts::Code { counted, old }) => {
            consent::code(app, &code_form(form), flow, counted, old)
        }
        (Choice::Data, Facts::Data(existing)) => {
            let profile = match parse(form, &flow.data) {
                Ok(p) => p,
                Err(errors) => return Outcome::reply(Reply::Form(422, errors)),
            };
            entered(app, flow, profile, existing.unwrap_or_default())
        }
        // The wait ended meanwhile (the link confirmed elsewhere): to the flow's page.
        _ => {
            let cookie = super::cookie(app, &flow.id, flow.version, &flow.data);
            Outcome::redirect(flow.data.state.step().path()).cookie(cookie)
        }
    }
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
    let holder =
        |i: usize| uniqueness::holder_in(claims[i].as_ref(), now).and_then(Owner::into_account);
    let (by_number, by_person) = (holder(0), holder(1));
    let mut ids: Vec<AccountId> = by_number.iter().chain(by_person.iter()).cloned().collect();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Existing::default());
    }
    let keys: Vec<_> = ids.iter().map(accounts::key).collect();
    let items = store.batch_get(&keys).await?;
    let active: Vec<AccountId> = ids
        .into_iter()
        .zip(items)
        .filter(|(id, item)| {
            let account = item.as_ref().and_then(|i| accounts::from_item(id, i));
            account.is_some_and(|a| a.status == Status::Active)
        })
        .map(|(id, _)| id)
        .collect();
    let keep = |id: Option<AccountId>| id.filter(|id| active.contains(id));
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
