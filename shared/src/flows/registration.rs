//! The registration flow (guide, section 3) as a state machine.
//!
//! ```text
//! NumberEntered --otp ok--> OtpVerified --profile--> ProfileEntered --email saved--> EmailSaved
//!       ^                        |                       ^   ^                          |
//!       | (new number,           +--existing account--> DuplicateFound --PROSEGUI--+   | AVANTI
//!       |  any state)                                                              |   v
//!                                          Completed <--password-- EmailConfirmed <--link-- EmailSent
//! ```
//! Each page (`Step`) is allowed in some states only; any other request is redirected
//! to the page of the current state. Editing an earlier page moves the state back.

use crate::routes;
use serde::{Deserialize, Serialize};

pub const COOKIE: &str = "reg_flow";
pub const KIND: &str = "REG";
/// A registration flow lives a day: the confirmation link must survive until the user reads
/// the mail. Each step extends it.
pub const TTL_SECS: i64 = 24 * 3600;
/// The confirmation link's validity.
pub const CONFIRM_TTL_SECS: i64 = 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    NumberEntered,
    OtpVerified,
    DuplicateFound,
    ProfileEntered,
    EmailSaved,
    EmailSent,
    EmailConfirmed,
    Completed,
}

/// The pages of the flow, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Number,
    Otp,
    Profile,
    Email,
    Password,
    Done,
}

impl Step {
    pub fn path(self) -> &'static str {
        match self {
            Step::Number => routes::REGISTER_NUMBER,
            Step::Otp => routes::REGISTER_OTP,
            Step::Profile => routes::REGISTER_PROFILE,
            Step::Email => routes::REGISTER_EMAIL,
            Step::Password => routes::REGISTER_PASSWORD,
            Step::Done => routes::REGISTER_DONE,
        }
    }
    /// 1-based position in the guide's numbering (the email confirmation is part of step 4).
    pub fn number(self) -> usize {
        match self {
            Step::Number => 1,
            Step::Otp => 2,
            Step::Profile => 3,
            Step::Email => 4,
            Step::Password => 5,
            Step::Done => 6,
        }
    }
}

impl State {
    /// The page where a flow in this state continues.
    pub fn step(self) -> Step {
        match self {
            State::NumberEntered => Step::Otp,
            State::OtpVerified | State::DuplicateFound => Step::Profile,
            State::ProfileEntered | State::EmailSaved | State::EmailSent => Step::Email,
            State::EmailConfirmed => Step::Password,
            State::Completed => Step::Done,
        }
    }

    /// Whether `step`'s page may be shown (and submitted) in this state. Step 1 always
    /// may: submitting it starts over. Earlier pages stay editable until the email is
    /// confirmed; after that the flow only moves forward.
    pub fn allows(self, step: Step) -> bool {
        use State::*;
        match step {
            Step::Number => self != Completed,
            Step::Otp => self == NumberEntered,
            Step::Profile => matches!(
                self,
                OtpVerified | DuplicateFound | ProfileEntered | EmailSaved | EmailSent
            ),
            Step::Email => matches!(self, ProfileEntered | EmailSaved | EmailSent),
            Step::Password => self == EmailConfirmed,
            Step::Done => self == Completed,
        }
    }
}

/// The registration record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Stable id of this registration (owner of its reservations); the cookie id may change.
    pub rid: String,
    pub state: State,
    /// E.164 of the SIM proved by the OTP.
    pub number: String,
    /// The SIM's entity, from the Convenzione's lines.
    pub line_entity_cf: String,
    pub ragione_sociale: String,
    #[serde(default)]
    pub nome: String,
    #[serde(default)]
    pub cognome: String,
    #[serde(default)]
    pub personal_cf: String,
    #[serde(default)]
    pub entity_cf: String,
    /// The active accounts found at step 3 with the same number or the same person of
    /// the same entity, waiting for the user's choice.
    #[serde(default)]
    pub duplicate_of: Vec<String>,
    /// The accounts PROSEGUI will cease when this registration completes (not before:
    /// until then they keep every claim and keep working).
    #[serde(default)]
    pub supersedes: Vec<String>,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub username: String,
    /// Hash of the latest confirmation link's token: an older link stops working.
    #[serde(default)]
    pub confirm_token_hash: Option<String>,
    /// The email and username this flow holds reservations for, so that choosing another
    /// value releases the old one (a step-4 probe must not leave claims behind).
    #[serde(default)]
    pub reserved_email: Option<String>,
    #[serde(default)]
    pub reserved_username: Option<String>,
    #[serde(default)]
    pub otp_sent_at: i64,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub summary_sent: bool,
}

/// Why a transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongState(pub State);

impl Registration {
    pub fn start(
        rid: String,
        number: String,
        line_entity_cf: String,
        ragione_sociale: String,
        now: i64,
    ) -> Self {
        Registration {
            rid,
            state: State::NumberEntered,
            number,
            line_entity_cf,
            ragione_sociale,
            nome: String::new(),
            cognome: String::new(),
            personal_cf: String::new(),
            entity_cf: String::new(),
            duplicate_of: Vec::new(),
            supersedes: Vec::new(),
            email: String::new(),
            username: String::new(),
            confirm_token_hash: None,
            reserved_email: None,
            reserved_username: None,
            otp_sent_at: now,
            account_id: None,
            summary_sent: false,
        }
    }

    fn require(&self, step: Step) -> Result<(), WrongState> {
        if self.state.allows(step) {
            Ok(())
        } else {
            Err(WrongState(self.state))
        }
    }

    pub fn otp_verified(&mut self) -> Result<(), WrongState> {
        self.require(Step::Otp)?;
        self.state = State::OtpVerified;
        Ok(())
    }

    /// Step 3 submitted with valid data; `existing` are the active accounts registered
    /// with this number or with the same personal and entity codes.
    pub fn profile_entered(
        &mut self,
        nome: String,
        cognome: String,
        personal_cf: String,
        entity_cf: String,
        existing: Vec<String>,
    ) -> Result<(), WrongState> {
        self.require(Step::Profile)?;
        self.nome = nome;
        self.cognome = cognome;
        self.personal_cf = personal_cf;
        self.entity_cf = entity_cf;
        self.supersedes = Vec::new();
        self.confirm_token_hash = None;
        self.state = if existing.is_empty() {
            State::ProfileEntered
        } else {
            State::DuplicateFound
        };
        self.duplicate_of = existing;
        Ok(())
    }

    /// PROSEGUI: continue and cease the previous registration when this one completes.
    pub fn proceed_superseding(&mut self) -> Result<(), WrongState> {
        if self.state != State::DuplicateFound {
            return Err(WrongState(self.state));
        }
        self.supersedes = std::mem::take(&mut self.duplicate_of);
        self.state = State::ProfileEntered;
        Ok(())
    }

    /// SALVA: email and proposed username recorded (and reserved by the caller).
    pub fn email_saved(&mut self, email: String, username: String) -> Result<(), WrongState> {
        self.require(Step::Email)?;
        self.email = email;
        self.username = username;
        self.confirm_token_hash = None;
        self.state = State::EmailSaved;
        Ok(())
    }

    /// AVANTI (or resend): a confirmation email with this token was sent.
    pub fn email_sent(&mut self, token_hash: String) -> Result<(), WrongState> {
        if !matches!(self.state, State::EmailSaved | State::EmailSent) {
            return Err(WrongState(self.state));
        }
        self.confirm_token_hash = Some(token_hash);
        self.state = State::EmailSent;
        Ok(())
    }

    /// The CONFERMA EMAIL link was opened with the latest token.
    pub fn email_confirmed(&mut self, token_hash: &str) -> Result<(), WrongState> {
        if self.state != State::EmailSent || self.confirm_token_hash.as_deref() != Some(token_hash)
        {
            return Err(WrongState(self.state));
        }
        self.confirm_token_hash = None;
        self.state = State::EmailConfirmed;
        Ok(())
    }

    pub fn completed(&mut self, account_id: String) -> Result<(), WrongState> {
        self.require(Step::Password)?;
        self.account_id = Some(account_id);
        self.state = State::Completed;
        Ok(())
    }

    /// The reservation owner string for username/email claims.
    pub fn owner(&self) -> String {
        crate::store::uniqueness::flow_owner(&self.rid)
    }

    /// The claim owners of the accounts this registration supersedes.
    pub fn superseded_owners(&self) -> Vec<String> {
        self.supersedes
            .iter()
            .map(|id| crate::store::uniqueness::account_owner(id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Registration {
        Registration::start(
            "r".into(),
            "+393331234567".into(),
            "00488410010".into(),
            "ENTE".into(),
            0,
        )
    }

    #[test]
    fn happy_path_walks_every_state() {
        let mut r = reg();
        r.otp_verified().unwrap();
        r.profile_entered(
            "Mario".into(),
            "Rossi".into(),
            "RSSMRA85T10A562S".into(),
            "00488410010".into(),
            vec![],
        )
        .unwrap();
        assert_eq!(r.state.step(), Step::Email);
        r.email_saved("m@x.it".into(), "m@x.it".into()).unwrap();
        r.email_sent("h1".into()).unwrap();
        r.email_sent("h2".into()).unwrap();
        assert_eq!(
            r.email_confirmed("h1"),
            Err(WrongState(State::EmailSent)),
            "an older link stops working"
        );
        r.email_confirmed("h2").unwrap();
        r.completed("acc".into()).unwrap();
        assert_eq!(r.state.step(), Step::Done);
    }

    #[test]
    fn out_of_order_steps_are_refused() {
        let mut r = reg();
        assert!(r.email_saved("m@x.it".into(), "m".into()).is_err());
        assert!(r.completed("a".into()).is_err());
        assert!(!r.state.allows(Step::Profile));
        r.otp_verified().unwrap();
        assert!(r.otp_verified().is_err(), "a code cannot be verified twice");
        assert_eq!(r.state.step(), Step::Profile);
    }

    #[test]
    fn duplicate_then_prosegui_supersedes() {
        let mut r = reg();
        r.otp_verified().unwrap();
        r.profile_entered(
            "M".into(),
            "R".into(),
            "cf".into(),
            "e".into(),
            vec!["old".into()],
        )
        .unwrap();
        assert_eq!(r.state, State::DuplicateFound);
        assert!(!r.state.allows(Step::Email));
        r.proceed_superseding().unwrap();
        assert_eq!(r.supersedes, vec!["old".to_owned()]);
        assert_eq!(r.state, State::ProfileEntered);
    }

    #[test]
    fn editing_profile_after_email_moves_back() {
        let mut r = reg();
        r.otp_verified().unwrap();
        r.profile_entered("M".into(), "R".into(), "cf".into(), "e".into(), vec![])
            .unwrap();
        r.email_saved("m@x.it".into(), "m".into()).unwrap();
        r.email_sent("h".into()).unwrap();
        r.profile_entered("M".into(), "R".into(), "cf".into(), "e".into(), vec![])
            .unwrap();
        assert_eq!(r.state, State::ProfileEntered);
        assert_eq!(
            r.confirm_token_hash, None,
            "a pending link dies when data change"
        );
    }
}
