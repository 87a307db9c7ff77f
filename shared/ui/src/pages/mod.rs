//! Building blocks of the flow pages (forms, errors, the registration frame), on top
//! of the shared layout in `ui`. Field errors are rendered here, in one place.

pub mod area;
pub mod login;
pub mod passkey_offer;
pub mod passkeys;

use crate::{components, layout};
use domain::PASSWORD_RULES;
use maud::{html, Markup};

pub use crate::FieldErrors;

/// The box at the top of a form listing its errors, each linking to its field.
pub fn error_summary(errors: &FieldErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div class="error-summary" role="alert" tabindex="-1" autofocus {
                h2 { "Controlla i dati inseriti" }
                ul { @for (f, m) in &errors.0 { li { a href=(format!("#{f}")) { (m) } } } }
            }
        }
    }
}

/// A labelled input that keeps what the user typed and shows its error.
pub struct Field<'a> {
    pub name: &'static str,
    pub label: &'a str,
    pub value: &'a str,
    pub kind: &'a str,
    pub autocomplete: &'a str,
    pub hint: Option<&'a str>,
    pub inputmode: Option<&'a str>,
}

impl<'a> Field<'a> {
    pub fn text(name: &'static str, label: &'a str, value: &'a str) -> Self {
        Field {
            name,
            label,
            value,
            kind: "text",
            autocomplete: "off",
            hint: None,
            inputmode: None,
        }
    }
    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }
    pub fn autocomplete(mut self, a: &'a str) -> Self {
        self.autocomplete = a;
        self
    }
    pub fn hint(mut self, h: &'a str) -> Self {
        self.hint = Some(h);
        self
    }
    pub fn inputmode(mut self, m: &'a str) -> Self {
        self.inputmode = Some(m);
        self
    }

    pub fn render(&self, errors: &FieldErrors) -> Markup {
        let err = errors.get(self.name);
        let hint_id = format!("{}-hint", self.name);
        let err_id = format!("{}-error", self.name);
        let described: Vec<&str> = [
            self.hint.map(|_| hint_id.as_str()),
            err.map(|_| err_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        html! {
            div class="field" {
                label for=(self.name) { (self.label) }
                @if let Some(h) = self.hint { p class="hint" id=(hint_id) { (h) } }
                @if let Some(e) = err {
                    p class="field-error" id=(err_id) { span class="visually-hidden" { "Errore: " } (e) }
                }
                input type=(self.kind) id=(self.name) name=(self.name) value=(self.value)
                    autocomplete=(self.autocomplete)
                    inputmode=[self.inputmode]
                    aria-invalid=[err.map(|_| "true")]
                    aria-describedby=[(!described.is_empty()).then(|| described.join(" "))];
            }
        }
    }
}

/// A registration page: the stepper and the step's content in the shared layout.
pub fn registration_page(step: usize, title: &str, body: Markup) -> Markup {
    registration_page_with(step, title, body, false)
}

/// A registration page that also loads passkey.js (`passkey`: the last one, which offers one).
pub fn registration_page_with(step: usize, title: &str, body: Markup, passkey: bool) -> Markup {
    let opts = layout::PageOptions {
        noindex: true,
        passkey,
        ..layout::PageOptions::default()
    };
    layout::page_with(
        &opts,
        title,
        html! {
            div class="container" {
                p class="muted" { "Registrazione all'Area Clienti - passo " (step) " di 6" }
                (components::stepper(step))
                (body)
            }
        },
    )
}

/// A page of the flow for a message (expired, invalid link…), with one way forward.
pub fn message_page(title: &str, text: &str, action_href: &str, action_label: &str) -> Markup {
    layout::flow_page(
        title,
        html! {
            div class="container" {
                h1 { (title) }
                p class="notice" role="status" { (text) }
                p { a class="btn btn-primary" href=(action_href) { (action_label) } }
            }
        },
    )
}

/// A page that stops the user (a link that no longer works, a message not sent), with the
/// way forward.
pub fn warning_page(title: &str, text: &str, action_href: &str, action_label: &str) -> Markup {
    layout::flow_page(
        title,
        html! {
            div class="container narrow" {
                h1 { (title) }
                p class="warning" role="alert" { (text) }
                p { a class="btn btn-primary" href=(action_href) { (action_label) } }
            }
        },
    )
}

/// The new password typed twice (the fields of `new_password_fields`): the password, or
/// `None` with the reasons added to `errors` (`personal`: what it must not contain).
pub fn new_password(
    typed: &str,
    again: &str,
    personal: &[&str],
    errors: &mut FieldErrors,
) -> Option<domain::Password> {
    let password = domain::Password::parse(typed, personal)
        .map_err(|e| errors.add("password", e))
        .ok()?;
    if typed != again {
        errors.add(
            "conferma_password",
            "Le due password non coincidono: inserisci di nuovo la stessa password.",
        );
        return None;
    }
    Some(password)
}

/// The new password and its confirmation, with the rules shown (registration step 5 and
/// the recovery reset). The fields never echo what was typed.
pub fn new_password_fields(errors: &FieldErrors) -> Markup {
    let pw_err = errors.get("password");
    let confirm_err = errors.get("conferma_password");
    html! {
        div class="field" {
            label for="password" { "Password" }
            div class="hint" id="password-hint" {
                "La password deve contenere:" ul { @for rule in PASSWORD_RULES { li { (rule) } } }
            }
            @if let Some(e) = pw_err {
                p class="field-error" id="password-error" { span class="visually-hidden" { "Errore: " } (e) }
            }
            input type="password" id="password" name="password" autocomplete="new-password"
                aria-invalid=[pw_err.map(|_| "true")]
                aria-describedby=(if pw_err.is_some() { "password-hint password-error" } else { "password-hint" });
        }
        div class="field" {
            label for="conferma_password" { "Conferma password" }
            @if let Some(e) = confirm_err {
                p class="field-error" id="conferma_password-error" {
                    span class="visually-hidden" { "Errore: " } (e)
                }
            }
            input type="password" id="conferma_password" name="conferma_password" autocomplete="new-password"
                aria-invalid=[confirm_err.map(|_| "true")]
                aria-describedby=[confirm_err.map(|_| "conferma_password-error")];
        }
    }
}
