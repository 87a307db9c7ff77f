//! The SMS-code page parts shared by registration, login and recovery: the masked
//! number, the code field, the "send again" button, and the wording of OTP errors.

use domain::MobileNumber;
use maud::{html, Markup};
use store::otp::OtpError;
use ui::pages::{Field, FieldErrors};

/// The form field and the value of the hidden `azione` that asks for a new code.
pub const FIELD: &str = "codice";
pub const RESEND_ACTION: &str = "invia-di-nuovo";
/// Shown after "Invia di nuovo" (the page is reached with `?nuovo=1`).
pub const NEW_CODE_NOTICE: &str =
    "Ti abbiamo inviato un nuovo codice: quello precedente non è più valido.";
/// The guide's label of the resend button on the login (and recovery) code page.
pub const RESEND_LABEL: &str = "Invia di nuovo";

/// What a code page submits: the code, or `azione` = "Invia di nuovo".
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CodeForm {
    pub codice: String,
    pub azione: String,
}

impl CodeForm {
    pub fn wants_new_code(&self) -> bool {
        self.azione == RESEND_ACTION
    }
}

/// The notice of a code page reached after "Invia di nuovo" (`?nuovo=1`).
pub fn notice(ctx: &crate::Ctx) -> Option<&'static str> {
    ctx.query.has("nuovo").then_some(NEW_CODE_NOTICE)
}

/// `333 *** 0001`: enough for the user to recognise the SIM, not enough to learn it.
pub fn masked(e164: &str) -> String {
    MobileNumber::parse(e164)
        .map(|n| {
            let p = n.national();
            format!("{} *** {}", &p[..3], &p[p.len() - 4..])
        })
        .unwrap_or_default()
}

/// The message for a refused guess that leaves the user on the code page (`None` for
/// expired or missing codes, which have their own page).
pub fn guess_error(e: &OtpError, resend_label: &str) -> Option<String> {
    match e {
        OtpError::Wrong { remaining: 1 } => Some("Codice errato: hai ancora 1 tentativo.".to_owned()),
        OtpError::Wrong { remaining } => Some(format!("Codice errato: hai ancora {remaining} tentativi.")),
        OtpError::TooManyAttempts => {
            Some(format!("Hai inserito un codice errato troppe volte: clicca su {resend_label} per ricevere un nuovo \
                codice."))
        }
        _ => None,
    }
}

/// The code input with its buttons: `back` is an optional (href, label) link before submit.
pub fn code_form(
    action: &str,
    submit_label: &str,
    back: Option<(&str, &str)>,
    errors: &FieldErrors,
) -> Markup {
    html! {
        form method="post" action=(action) novalidate {
            (Field::text(FIELD, "Codice temporaneo", "").autocomplete("one-time-code").inputmode("numeric")
                .hint("6 cifre, valido 5 minuti").render(errors))
            div class="btn-row" {
                @if let Some((href, label)) = back { a class="btn btn-secondary" href=(href) { (label) } }
                button class="btn btn-primary" type="submit" { (submit_label) }
            }
        }
    }
}

/// A one-button form that asks for a new code (it replaces the previous one).
pub fn resend_form(action: &str, label: &str, class: &str) -> Markup {
    html! {
        form method="post" action=(action) class="inline-form" {
            input type="hidden" name="azione" value=(RESEND_ACTION);
            button class=(class) type="submit" { (label) }
        }
    }
}

/// The code page's content for login and recovery: heading, notice, errors, the `intro`
/// (which says where the SMS went), the code form, and "Invia di nuovo" under it.
pub fn code_section(
    action: &str,
    submit: &str,
    back: Option<(&str, &str)>,
    intro: Markup,
    errors: &FieldErrors,
    notice: Option<&str>,
) -> Markup {
    html! {
        h1 { "Inserisci il codice temporaneo" }
        @if let Some(n) = notice { p class="success" role="status" { (n) } }
        (ui::pages::error_summary(errors))
        p { (intro) }
        (code_form(action, submit, back, errors))
        p { "Non hai ricevuto l'SMS o il codice è scaduto? Clicca su \
            " strong { (RESEND_LABEL) } ": il nuovo codice sostituisce quello precedente." }
        (resend_form(action, RESEND_LABEL, "btn btn-secondary"))
    }
}

/// The expired-code message with RIPROVA (back to the code page) and RICHIEDI UN NUOVO
/// CODICE (a new SMS), as the guide shows it.
pub fn expired(action: &str) -> Markup {
    html! {
        h1 { "Codice temporaneo scaduto" }
        p class="warning" role="alert" { "Il codice temporaneo è scaduto o non è più valido. Richiedi un nuovo codice \
            oppure torna indietro per verificare il codice inserito." }
        div class="btn-row" {
            a class="btn btn-secondary" href=(action) { "RIPROVA" }
            (resend_form(action, "RICHIEDI UN NUOVO CODICE", "btn btn-primary"))
        }
    }
}

/// The whole expired-code page (410) of a code step at `action`.
pub fn expired_page(action: &str) -> Markup {
    ui::layout::flow_page(
        "Codice temporaneo scaduto",
        html! { div class="container narrow" { (expired(action)) } },
    )
}

/// What a code step answers to a refused guess: the expired page, or its own page with
/// the error next to the code field.
pub fn refused_guess(e: &OtpError, action: &str, resend_label: &str) -> crate::Reply {
    match guess_error(e, resend_label) {
        Some(text) => {
            let mut errors = FieldErrors::default();
            errors.add(FIELD, text);
            crate::Reply::Form(422, errors)
        }
        None => crate::Reply::Page(410, expired_page(action)),
    }
}

/// The guess to count before it is compared (`engine::Step::pre_commit`): on `subject`'s
/// code, if the form holds a well-formed one (a malformed code is refused uncounted).
pub fn to_count(
    form: &CodeForm,
    purpose: store::otp::Purpose,
    subject: &str,
) -> Option<crate::Guess> {
    domain::OtpCode::parse(&form.codice).ok()?;
    Some(crate::Guess {
        purpose,
        subject: subject.to_owned(),
    })
}

/// The guess a code page submitted, compared with the code as the engine counted it
/// (`to_count`; no I/O): `Ok(consume)`, the write that uses the code up in the step's
/// transaction, or the answer the page gives (a malformed code, a refused guess).
pub fn guess<R>(
    form: &CodeForm,
    counted: Option<crate::step::Count>,
    now: i64,
    action: &str,
) -> Result<store::TxOp, Box<crate::Outcome<R>>> {
    use crate::Outcome;
    let code = match domain::OtpCode::parse(&form.codice) {
        Ok(c) => c,
        Err(e) => return Err(Box::new(Outcome::error(422, FIELD, e))),
    };
    let compared = match counted {
        Some(Ok(counted)) => counted.compare(&code, now),
        Some(Err(e)) => Err(e),
        None => Err(OtpError::Missing),
    };
    compared.map_err(|e| Box::new(Outcome::reply(refused_guess(&e, action, RESEND_LABEL))))
}

/// The "Attendi ancora N secondi" refusal of a resend within `RESEND_INTERVAL_SECS` of the
/// last code, if it is too early.
pub fn too_early(last_sent_at: i64, now: i64) -> Option<String> {
    let wait = store::limits::RESEND_INTERVAL_SECS - (now - last_sent_at);
    (wait > 0)
        .then(|| format!("Attendi ancora {wait} secondi prima di richiedere un nuovo codice."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_prefix_and_last_four() {
        assert_eq!(masked("+393331234567"), "333 *** 4567");
        assert_eq!(masked("garbage"), "");
    }
}
