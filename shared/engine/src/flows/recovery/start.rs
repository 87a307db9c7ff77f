//! The start page's decision (guide, end of section 4): one of the three modes with the
//! data used at registration. Modes 1 and 2 end here with an SMS and/or an email; mode 3
//! continues on the code page.
//!
//! Whatever was typed, the answer is the same page (or the same code page) and the AWS
//! calls are the same: two reads (the claim typed with the request's guards, then the
//! account or a key that matches nothing), one transaction charging the same counters,
//! one batch of messages (`Effect::Nothing` where there is no account to write to).

use super::refusal::{Page, Refusal};
use super::{charge_request, identity_subject, request_allowed, request_keys, Mode, Recovery};
use super::{charge_sms, request_subject, sms_share_key};
use crate::WebError;
use crate::{sms, App};
use crate::{Effect, Outcome, Tx};
use domain::{crypto, routes};
use domain::{CodiceFiscalePersona, MobileNumber, OtpCode, Username};
use notify::messages;
use serde::Deserialize;
use store::accounts::{self, Account, Status};
use store::limits;
use store::otp::{self, Purpose};
use store::uniqueness::{self, Kind, Owner};
use store::{rate, AccountId, Item, Key};
use ui::pages::FieldErrors;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Form {
    pub modalita: String,
    pub numero: String,
    pub cf_personale: String,
    pub username: String,
    /// Mode 3: the request's own value, drawn with the page (`super::REQUEST_FIELD`).
    pub richiesta: String,
}

impl Form {
    pub fn trimmed(&self) -> Form {
        Form {
            modalita: self.modalita.clone(),
            numero: self.numero.trim().to_owned(),
            cf_personale: self.cf_personale.trim().to_owned(),
            username: self.username.trim().to_owned(),
            richiesta: self.richiesta.clone(),
        }
    }

    /// The value of `super::REQUEST_FIELD` to draw on the page: the one sent if it can be
    /// ours (the page again, after an error), else a new one.
    pub fn request(&self) -> String {
        if super::is_request(&self.richiesta) {
            self.richiesta.clone()
        } else {
            super::new_request()
        }
    }
}

/// Who asks, beside what was typed: the client (its caps and its share of the number's SMS),
/// the form's request value (mode 3's code is the request's own), and for mode 3 the new
/// flow's id and code.
pub struct Asked<'a> {
    pub client: &'a str,
    pub request: &'a str,
    pub flow_id: &'a str,
    pub code: &'a OtpCode,
}

/// Who the data typed say the user is.
pub enum Identity {
    Person {
        number: MobileNumber,
        cf: CodiceFiscalePersona,
    },
    /// Only a valid username can name an account; anything else (a 512-character value
    /// would make a key over DynamoDB's limit) is looked up nowhere and answered alike.
    Username {
        typed: String,
        valid: Option<Username>,
    },
}

impl Identity {
    /// The subject the request's guards and caps are keyed by.
    pub fn subject(&self) -> String {
        match self {
            Identity::Person { number, cf } => identity_subject(number.e164(), cf.as_str()),
            Identity::Username { typed, valid } => {
                let name = valid.as_ref().map_or(typed.as_str(), |u| u.as_str());
                crypto::token_hash(&format!("username:{name}"))
            }
        }
    }
    fn claim(&self) -> Key {
        match self {
            Identity::Person { number, .. } => uniqueness::key(Kind::Number, number.e164()),
            Identity::Username { valid, .. } => {
                uniqueness::key(Kind::Username, valid.as_ref().map_or("-", |u| u.as_str()))
            }
        }
    }
}

/// The mode and the parsed identity, or the page again with what is wrong.
pub fn parse(form: &Form) -> Result<(Mode, Identity), Option<(Mode, FieldErrors)>> {
    let mode = Mode::parse(&form.modalita).ok_or(None)?;
    let mut errors = FieldErrors::default();
    let identity = match mode {
        Mode::Username | Mode::Both => {
            let number = MobileNumber::parse(&form.numero).map_err(|e| errors.add("numero", e));
            let cf = CodiceFiscalePersona::parse(&form.cf_personale)
                .map_err(|e| errors.add("cf_personale", e));
            number
                .ok()
                .zip(cf.ok())
                .map(|(number, cf)| Identity::Person { number, cf })
        }
        Mode::Password if form.username.is_empty() => {
            errors.add("username", "Inserisci la tua username.");
            None
        }
        Mode::Password => Some(Identity::Username {
            typed: form.username.clone(),
            valid: Username::parse(&form.username).ok(),
        }),
    };
    identity.map(|i| (mode, i)).ok_or(Some((mode, errors)))
}

pub struct Facts {
    pub account: Option<Account>,
    /// The request's once-guard and cap (modes 1, 2), or the current code (mode 3).
    pub guards: Vec<Option<Item>>,
    /// Mode 1: the SMS caps have room (else only the email carries the username).
    pub sms_room: bool,
}

/// The subject of the code a mode-3 request `asked` gets: its own (`request_subject`).
fn code_subject(identity: &Identity, asked: &Asked) -> String {
    request_subject(&identity.subject(), asked.request, asked.client)
}

/// Two reads whatever the data.
pub async fn load(
    app: &App,
    mode: Mode,
    identity: &Identity,
    asked: &Asked<'_>,
) -> Result<Facts, WebError> {
    let now = app.now();
    let subject = identity.subject();
    let mut keys = vec![identity.claim()];
    match mode {
        Mode::Both => keys.push(otp::code_key(
            Purpose::Recovery,
            &code_subject(identity, asked),
        )),
        _ => keys.extend(request_keys(&subject, mode, now)),
    }
    if let Identity::Person { number, .. } = identity {
        keys.push(rate::window_key(
            limits::SMS_PER_NUMBER_RECOVERY,
            number.e164(),
            now,
        ));
        keys.push(rate::window_key(
            sms::global_limit(app, Purpose::Recovery),
            "all",
            now,
        ));
        keys.push(sms_share_key(number, asked.client, now));
    }
    let mut items = app.store.batch_get(&keys).await?;
    let owner = uniqueness::holder_in(items[0].as_ref(), now);
    let account_id = owner
        .and_then(Owner::into_account)
        .unwrap_or_else(AccountId::nobody);
    let account = accounts::get(app.store.as_ref(), &account_id)
        .await?
        .filter(|a| a.status == Status::Active)
        .filter(|a| match identity {
            Identity::Person { cf, .. } => a.personal_cf == cf.as_str(),
            Identity::Username { .. } => true,
        });
    let sms_room = match identity {
        Identity::Person { .. } => {
            let n = items.len();
            let share = limits::SMS_PER_NUMBER_RECOVERY_PER_CLIENT;
            !rate::is_full(items[n - 3].as_ref(), limits::SMS_PER_NUMBER_RECOVERY, now)
                && !rate::is_full(
                    items[n - 2].as_ref(),
                    sms::global_limit(app, Purpose::Recovery),
                    now,
                )
                && !rate::is_full(items[n - 1].as_ref(), share, now)
        }
        Identity::Username { .. } => false,
    };
    items.remove(0);
    Ok(Facts {
        account,
        guards: items,
        sms_room,
    })
}

/// Where modes 1 and 2 end: the same page whatever happened.
fn sent(mode: Mode) -> String {
    format!("{}?inviato={}", routes::RECOVER, mode.slug())
}

/// The decision.
pub fn decide(
    app: &App,
    mode: Mode,
    identity: &Identity,
    facts: Facts,
    asked: &Asked,
) -> Outcome<Refusal> {
    let now = app.now();
    let subject = identity.subject();
    let mut tx = Tx::new();
    tx.charge(
        limits::RECOVER_PER_IP,
        asked.client,
        now,
        Refusal::ClientCap(mode),
    );
    let account = facts.account.as_ref();
    match (mode, identity) {
        (Mode::Both, Identity::Person { number, .. }) => {
            let rid = code_subject(identity, asked);
            let recent =
                otp::is_recent(facts.guards[0].as_ref(), now, limits::RESEND_INTERVAL_SECS);
            let mut outcome = Outcome::redirect(routes::RECOVER_OTP).metric(counted(mode));
            if !recent {
                charge_sms(&mut tx, app, number, asked.client, now, |r| {
                    Refusal::Sms(Page::Start, r)
                });
                let keep = Some(limits::RESEND_INTERVAL_SECS);
                let named = account.map(|a| (&a.id, Some(a.session_epoch)));
                let (keys, code) = (app.keys(), asked.code);
                let secret = keys.current();
                let purpose = Purpose::Recovery;
                tx.guard(
                    otp::issue_naming_op(secret, purpose, &rid, code, now, keep, named),
                    Refusal::Concurrent(Page::Start),
                );
                outcome = outcome
                    .send(match account {
                        Some(_) => Effect::Sms {
                            to: number.clone(),
                            text: messages::sms_recovery_otp(code),
                            expires_at: Some(otp::expiry(now)),
                        },
                        None => Effect::Nothing,
                    })
                    .unless_sent(otp::withdraw_op(secret, purpose, &rid, code));
            }
            let data = Recovery::identify(rid, subject, number.clone(), now);
            tx.write(crate::create_flow_op(asked.flow_id, &data, now));
            outcome
                .with_tx(tx)
                .cookie(super::cookie(app, asked.flow_id, 1, &data))
        }
        (_, identity) => {
            let mut outcome = Outcome::redirect(sent(mode)).metric(counted(mode));
            if !request_allowed(&facts.guards, now) {
                return outcome.with_tx(tx);
            }
            charge_request(
                &mut tx,
                &subject,
                mode,
                now,
                Refusal::Concurrent(Page::Start),
            );
            let messages = match (mode, identity, account) {
                (Mode::Username, Identity::Person { number, .. }, account) => username_messages(
                    app,
                    &mut tx,
                    (number, asked.client),
                    account,
                    facts.sms_room,
                ),
                (_, _, Some(account)) => {
                    let (op, link) = super::reset_link_op(app, account, now);
                    tx.write(op);
                    tracing::info!(step = "recover-start", mode = "password", "reset link sent");
                    vec![super::reset_email(account, &link, false, now)]
                }
                _ => vec![Effect::Nothing],
            };
            for m in messages {
                outcome = outcome.send(m);
            }
            outcome.with_tx(tx)
        }
    }
}

/// Mode 1: the username by SMS (when the caps have room: charged alike for unknown data)
/// and by email.
fn username_messages(
    app: &App,
    tx: &mut Tx<Refusal>,
    (number, client): (&MobileNumber, &str),
    account: Option<&Account>,
    sms_room: bool,
) -> Vec<Effect> {
    let now = app.now();
    if sms_room {
        charge_sms(tx, app, number, client, now, |_| {
            Refusal::Concurrent(Page::Start)
        });
    } else {
        tracing::warn!(step = "recover-start", "username SMS refused by the caps");
    }
    let Some(account) = account else {
        return vec![Effect::Nothing];
    };
    tracing::info!(step = "recover-start", mode = "username", "username sent");
    let login = format!("{}{}", app.config.public_base_url, routes::LOGIN);
    let mut out = vec![Effect::Email(messages::email_recovered_username(
        &account.email,
        &account.username,
        &login,
    ))];
    if sms_room {
        out.insert(
            0,
            Effect::Sms {
                to: number.clone(),
                text: messages::sms_recovered_username(&account.username),
                // Not a code: the username is worth having however late it comes.
                expires_at: None,
            },
        );
    }
    out
}

/// The metric a request of `mode` counts as (`crate::metrics`), known account or not.
fn counted(mode: Mode) -> metrics::Metric {
    use metrics::Metric;
    match mode {
        Mode::Username => Metric::RecoveryUsername,
        Mode::Password => Metric::RecoveryPassword,
        Mode::Both => Metric::RecoveryBoth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn aid(s: &str) -> AccountId {
        AccountId::parse(s).unwrap()
    }

    fn person() -> Identity {
        Identity::Person {
            number: MobileNumber::parse("+393331234567").unwrap(),
            cf: CodiceFiscalePersona::parse("RSSMRA85T10A562S").unwrap(),
        }
    }

    fn account() -> Account {
        let mut item = store::Item::new();
        for (k, v) in [
            ("number", "+393331234567"),
            ("email", "m@comune.example.it"),
            ("username", "mario"),
        ] {
            item = item.with(k, v);
        }
        accounts::from_item(&aid("acc"), &item.with("status", "active")).unwrap()
    }

    /// Known and unknown data: the same writes (by kind), the same number of messages, the
    /// same answer; only what the messages are differs.
    #[test]
    fn every_mode_decides_alike_for_known_and_unknown_data() {
        let app = App::in_memory(Config::for_tests()).0;
        let code = OtpCode::generate();
        for mode in Mode::ALL {
            let identity = match mode {
                Mode::Password => Identity::Username {
                    typed: "mario".into(),
                    valid: Username::parse("mario").ok(),
                },
                _ => person(),
            };
            let decided = |account: Option<Account>| {
                let facts = Facts {
                    account,
                    guards: vec![None, None, None, None, None],
                    sms_room: true,
                };
                let asked = Asked {
                    client: "10.0.0.1",
                    request: "",
                    flow_id: "flow",
                    code: &code,
                };
                decide(&app, mode, &identity, facts, &asked)
            };
            let (known, unknown) = (decided(Some(account())), decided(None));
            let (k, u) = (known.tx.kinds(), unknown.tx.kinds());
            let without_token = |w: &Vec<String>| w.iter().filter(|x| *x != "TOKEN#RESET").count();
            assert_eq!(without_token(&k), u.len(), "{mode:?}: {k:?} vs {u:?}");
            assert_eq!(
                known.effects.is_empty(),
                unknown.effects.is_empty(),
                "{mode:?}"
            );
            assert!(
                unknown.effects.iter().all(|m| *m == Effect::Nothing),
                "{mode:?}"
            );
            assert_eq!(known.cookies.len(), unknown.cookies.len(), "{mode:?}");
        }
    }
}
