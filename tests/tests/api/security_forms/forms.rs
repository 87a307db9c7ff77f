//! The forms and their fields: what each field accepts and how the handler normalises it.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Norm {
    AsIs,
    Trim,
    TrimLower,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    /// A text input that must keep what was typed (after the handler's normalisation).
    Kept(Norm),
    /// Never echoed (passwords, SMS codes).
    Secret,
    /// A checkbox: re-rendered checked iff the first value was "si".
    Check,
    /// A hidden/button value: mostly one of these, sometimes anything.
    Choice(&'static [&'static str]),
    /// The login's `next`: re-rendered only as a private-area path.
    Next,
    /// Generated freely, nothing to check on the page (challenge, proof-of-work, token).
    Opaque,
}

#[derive(Clone, Copy)]
pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) kind: Kind,
}

pub(super) const fn f(name: &'static str, kind: Kind) -> Field {
    Field { name, kind }
}

pub(super) struct FormSpec {
    pub(super) name: &'static str,
    pub(super) path: &'static str,
    pub(super) stage: Stage,
    pub(super) fields: &'static [Field],
    /// Restore the fixture after this many submissions (OTP attempts run out after 5).
    pub(super) reset_every: usize,
    /// A successful submission moves the flow on: restore the snapshot (in memory).
    pub(super) success_moves_flow: bool,
    /// Through the gateway (no snapshot), a success leaves the step unusable: a new person
    /// is brought to it (only where needed: each one costs SMS).
    pub(super) redo_through_gateway: bool,
}

pub(super) const AS_IS: Kind = Kind::Kept(Norm::AsIs);

pub(super) const FORMS: &[FormSpec] = &[
    FormSpec {
        name: "registrazione/numero",
        path: routes::REGISTER_NUMBER,
        stage: Stage::RegNumber,
        fields: &[
            f("numero", AS_IS),
            f("conferma", Kind::Choice(&["100", "0", "99"])),
            f("challenge", Kind::Opaque),
            f("pow", Kind::Opaque),
        ],
        reset_every: 50,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
    FormSpec {
        name: "registrazione/codice",
        path: routes::REGISTER_OTP,
        stage: Stage::RegOtp,
        fields: &[
            f("codice", Kind::Secret),
            f("azione", Kind::Choice(&["", "invia-di-nuovo"])),
        ],
        reset_every: 20,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
    FormSpec {
        name: "registrazione/dati",
        path: routes::REGISTER_PROFILE,
        stage: Stage::RegProfile,
        fields: &[
            f("nome", AS_IS),
            f("cognome", AS_IS),
            f("cf_personale", AS_IS),
            f("cf_ente", AS_IS),
            f("azione", Kind::Choice(&["", "prosegui"])),
        ],
        reset_every: 200,
        success_moves_flow: true,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "registrazione/dati (conferma del titolare)",
        path: routes::REGISTER_PROFILE,
        stage: Stage::RegAwaiting,
        fields: &[
            f("codice", Kind::Secret),
            f("azione", Kind::Choice(&["", "invia-di-nuovo", "prosegui"])),
        ],
        reset_every: 20,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
    FormSpec {
        name: "registrazione/email SALVA",
        path: routes::REGISTER_EMAIL,
        stage: Stage::RegEmail,
        fields: &[f("azione", Kind::Choice(&["salva"])), f("email", AS_IS)],
        reset_every: 200,
        success_moves_flow: true,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "registrazione/email MODIFICA",
        path: routes::REGISTER_EMAIL,
        stage: Stage::RegEmailSaved,
        fields: &[f("azione", Kind::Choice(&["avanti"])), f("username", AS_IS)],
        reset_every: 50,
        success_moves_flow: true,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "registrazione/email AVANTI",
        path: routes::REGISTER_EMAIL,
        stage: Stage::RegEmailSaved,
        fields: &[
            f(
                "azione",
                Kind::Choice(&["avanti", "invia-di-nuovo", "salva"]),
            ),
            f("email", AS_IS),
        ],
        reset_every: 50,
        success_moves_flow: true,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "registrazione/password",
        path: routes::REGISTER_PASSWORD,
        stage: Stage::RegPassword,
        fields: &[
            f("password", Kind::Secret),
            f("conferma_password", Kind::Secret),
            f("termini", Kind::Check),
            f("privacy", Kind::Check),
        ],
        reset_every: 200,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
    FormSpec {
        name: "accesso",
        path: routes::LOGIN,
        stage: Stage::Account,
        fields: &[
            f("username", Kind::Kept(Norm::TrimLower)),
            f("password", Kind::Secret),
            f("next", Kind::Next),
        ],
        // Every attempt costs an argon2id verification until the per-IP cap answers:
        // no periodic restore, so the caps and the lockout are exercised too.
        reset_every: usize::MAX,
        success_moves_flow: false,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "accesso/codice",
        path: routes::LOGIN_OTP,
        stage: Stage::LoginOtp,
        fields: &[
            f("codice", Kind::Secret),
            f("azione", Kind::Choice(&["", "invia-di-nuovo"])),
        ],
        reset_every: 20,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
    FormSpec {
        name: "esci",
        path: routes::LOGOUT,
        stage: Stage::SignedIn,
        fields: &[f("azione", Kind::Opaque)],
        reset_every: 1,
        success_moves_flow: true,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "recupero (username)",
        path: routes::RECOVER,
        stage: Stage::Account,
        fields: &[
            f("modalita", Kind::Choice(&["username"])),
            f("numero", Kind::Kept(Norm::Trim)),
            f("cf_personale", Kind::Kept(Norm::Trim)),
        ],
        reset_every: 200,
        success_moves_flow: false,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "recupero (password)",
        path: routes::RECOVER,
        stage: Stage::Account,
        fields: &[
            f("modalita", Kind::Choice(&["password"])),
            f("username", Kind::Kept(Norm::Trim)),
        ],
        reset_every: 200,
        success_moves_flow: false,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "recupero (entrambe)",
        path: routes::RECOVER,
        stage: Stage::Account,
        fields: &[
            f("modalita", Kind::Choice(&["entrambe"])),
            f("numero", Kind::Kept(Norm::Trim)),
            f("cf_personale", Kind::Kept(Norm::Trim)),
        ],
        reset_every: 200,
        success_moves_flow: false,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "recupero/codice",
        path: routes::RECOVER_OTP,
        stage: Stage::RecoverOtp,
        fields: &[
            f("codice", Kind::Secret),
            f("azione", Kind::Choice(&["", "invia-di-nuovo"])),
        ],
        reset_every: 20,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
    FormSpec {
        name: "recupero/nuova-password (token)",
        path: routes::RECOVER_RESET,
        stage: Stage::ResetLink,
        fields: &[f("token", Kind::Opaque)],
        reset_every: 200,
        success_moves_flow: true,
        redo_through_gateway: false,
    },
    FormSpec {
        name: "recupero/nuova-password (password)",
        path: routes::RECOVER_RESET,
        stage: Stage::ResetPassword,
        fields: &[
            f("password", Kind::Secret),
            f("conferma_password", Kind::Secret),
        ],
        reset_every: 200,
        success_moves_flow: true,
        redo_through_gateway: true,
    },
];

/// The value a person would type in this field at this step.
pub(super) fn valid_value(fx: &Fixture, spec: &FormSpec, field: &str) -> Option<String> {
    Some(match field {
        "numero" => fx.national(),
        "conferma" => "100".into(),
        "challenge" => fx.challenge.clone(),
        "pow" => String::new(),
        "codice" => fx.code.clone(),
        "nome" => "Mario".into(),
        "cognome" => "Rossi".into(),
        "cf_personale" => CF.into(),
        "cf_ente" => ENTE.into(),
        "email" => fx.email.clone(),
        "username" if spec.stage == Stage::RegEmailSaved => format!("mario.{}", &fx.number[5..]),
        "username" => fx.email.clone(),
        "password" | "conferma_password" if spec.stage == Stage::ResetPassword => {
            "Nuova-Chiave-Sicura-77!".into()
        }
        "password" | "conferma_password" => PASSWORD.into(),
        "termini" | "privacy" => "si".into(),
        "next" => routes::ACCOUNT.into(),
        "token" => fx.token.clone(),
        _ => return None,
    })
}
