//! Every SMS and email text, exactly as the operator's guide gives them, in one place.

use super::EmailMessage;
use crate::domain::OtpCode;
use maud::{html, Markup, DOCTYPE};

pub fn sms_registration_otp(code: &OtpCode) -> String {
    format!(
        "Usa il codice temporaneo {} per proseguire con la registrazione all'Area Clienti TIM dedicata ai servizi in \
            Convenzione Mobile 8",
        code.as_str()
    )
}

pub fn sms_login_otp(code: &OtpCode) -> String {
    format!(
        "Usa il codice temporaneo {} per completare l'accesso all'Area Clienti TIM dedicata ai servizi in Convenzione \
            Mobile 8.",
        code.as_str()
    )
}

pub fn sms_recovery_otp(code: &OtpCode) -> String {
    format!(
        "Usa il codice temporaneo {} per recuperare le credenziali dell'Area Clienti TIM dedicata ai servizi in \
            Convenzione Mobile 8.",
        code.as_str()
    )
}

/// "Elimina il tuo account": the code that confirms it.
pub fn sms_deletion_otp(code: &OtpCode) -> String {
    format!(
        "Usa il codice temporaneo {} per confermare l'eliminazione del tuo account dell'Area Clienti TIM dedicata ai \
            servizi in Convenzione Mobile 8.",
        code.as_str()
    )
}

/// "Username dimenticata": the username, by SMS to the account's number.
pub fn sms_recovered_username(username: &str) -> String {
    format!("La tua username per l'accesso all'Area Clienti TIM dedicata ai servizi in Convenzione Mobile 8 è: \
        {username}")
}

const SIGNATURE: &str = "Servizio Clienti Convenzione Mobile 8";
const AUTOMATIC: &str =
    "Questa mail è generata automaticamente, non rispondere a questo indirizzo.";

fn email_html(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="it" {
            head { meta charset="utf-8"; title { (title) } }
            body style="font-family: Arial, Helvetica, sans-serif; color: #1a1a1a; max-width: 600px; margin: 0 auto;" {
                p style="font-size: 24px; font-weight: bold; color: #004691;" { "TIM" }
                (body)
                p { strong { "TIM" } br; (SIGNATURE) }
                p style="font-size: 12px; color: #555;" { (AUTOMATIC) }
            }
        }
    }
    .into_string()
}

fn email_text(body: &str) -> String {
    format!("{body}\n\nTIM\n{SIGNATURE}\n\n{AUTOMATIC}\n")
}

/// Registration step 4: the CONFERMA EMAIL link.
pub fn email_confirmation(to: &str, link: &str) -> EmailMessage {
    simple_email(
        to,
        "Conferma il tuo indirizzo email - Area Clienti Convenzione Mobile 8",
        "Gentile utente, per completare la registrazione all'area clienti TIM dedicata alla Convenzione Telefonia \
            Mobile 8 conferma il tuo indirizzo email.",
        &[],
        Some(("CONFERMA EMAIL", link)),
        "Il link è valido 24 ore e può essere usato una sola volta.",
    )
}

/// The registration summary fields, exactly those of the guide's example.
pub struct RegistrationSummary<'a> {
    pub nome_cognome: &'a str,
    pub ragione_sociale: &'a str,
    pub entity_cf: &'a str,
    pub personal_cf: &'a str,
    pub number: &'a str,
    pub email: &'a str,
    pub username: &'a str,
    pub login_link: &'a str,
}

/// Registration step 6: the summary email.
pub fn email_registration_summary(to: &str, s: &RegistrationSummary<'_>) -> EmailMessage {
    let subject = "Registrazione completata - Area Clienti Convenzione Mobile 8".to_owned();
    let intro = "Sei stato registrato con successo all'area clienti TIM dedicata alla Convenzione Telefonia Mobile 8.";
    let lead = "Di seguito il riepilogo dei dati relativi alla tua registrazione:";
    let rows = [
        ("Nome e Cognome", s.nome_cognome),
        ("Ragione Sociale Ente/Amministrazione", s.ragione_sociale),
        ("C.F. Ente/Amministrazione", s.entity_cf),
        ("Codice Fiscale Personale", s.personal_cf),
        ("Numero Mobile", s.number),
        ("Email", s.email),
        ("Username", s.username),
    ];
    let text_rows: Vec<String> = rows.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    EmailMessage {
        to: to.to_owned(),
        html: email_html(
            &subject,
            html! {
                p { (intro) }
                p { (lead) }
                @for (k, v) in rows { p { (k) ": " strong { (v) } } }
                p { "Accedi subito all'Area Clienti " a href=(s.login_link) { "cliccando qui" } }
            },
        ),
        text: email_text(&format!(
            "{intro}\n\n{lead}\n\n{}\n\nAccedi subito all'Area Clienti cliccando qui: {}",
            text_rows.join("\n"),
            s.login_link
        )),
        subject,
    }
}

/// A message with a lead paragraph, labelled values, an optional button and a closing note.
pub(crate) fn simple_email(
    to: &str,
    subject: &str,
    intro: &str,
    rows: &[(&str, &str)],
    button: Option<(&str, &str)>,
    note: &str,
) -> EmailMessage {
    let text_rows: Vec<String> = rows.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let mut text = format!("{intro}\n\n");
    if !rows.is_empty() {
        text.push_str(&format!("{}\n\n", text_rows.join("\n")));
    }
    if let Some((label, link)) = button {
        text.push_str(&format!("{label}: {link}\n\n"));
    }
    text.push_str(note);
    EmailMessage {
        to: to.to_owned(),
        html: email_html(
            subject,
            html! {
                p { (intro) }
                @for (k, v) in rows { p { (k) ": " strong { (v) } } }
                @if let Some((label, link)) = button {
                    p { a href=(link) style="display:inline-block;background:#004691;color:#fff;padding:12px \
                        24px;text-decoration:none;font-weight:bold;" { (label) } }
                    p style="font-size: 12px;" { "Se il pulsante non funziona, copia questo indirizzo nel browser: \
                        " (link) }
                }
                p { (note) }
            },
        ),
        text: email_text(&text),
        subject: subject.to_owned(),
    }
}

const NOT_YOU: &str =
    "Se non hai richiesto tu questa operazione, ignora questa email: le tue credenziali restano \
    invariate.";

/// Recovery "Username dimenticata": the username, by email too.
pub fn email_recovered_username(to: &str, username: &str, login_link: &str) -> EmailMessage {
    simple_email(
        to,
        "La tua username - Area Clienti Convenzione Mobile 8",
        "Gentile utente, come richiesto ti ricordiamo la username per accedere all'area clienti TIM dedicata alla \
            Convenzione Telefonia Mobile 8.",
        &[("Username", username)],
        Some(("ACCEDI", login_link)),
        NOT_YOU,
    )
}

/// Recovery "Password dimenticata" (and the last step of "Username e password
/// dimenticate", which also carries the username): the single-use reset link.
pub fn email_password_reset(to: &str, username: Option<&str>, link: &str) -> EmailMessage {
    let rows: Vec<(&str, &str)> = username.map(|u| ("Username", u)).into_iter().collect();
    simple_email(
        to,
        "Scegli una nuova password - Area Clienti Convenzione Mobile 8",
        "Gentile utente, per scegliere una nuova password di accesso all'area clienti TIM dedicata alla Convenzione \
            Telefonia Mobile 8 clicca sul pulsante qui sotto: ti invieremo un SMS con un codice temporaneo sul numero \
            associato al tuo account.",
        &rows,
        Some(("SCEGLI UNA NUOVA PASSWORD", link)),
        &format!("Il link è valido 30 minuti e può essere usato una sola volta. {NOT_YOU}"),
    )
}

/// After a reset: the password was changed.
pub fn email_password_changed(to: &str, username: &str, login_link: &str) -> EmailMessage {
    simple_email(
        to,
        "La tua password è stata modificata - Area Clienti Convenzione Mobile 8",
        "Gentile utente, la tua password è stata modificata. Per sicurezza tutte le sessioni aperte nell'Area Clienti \
            sono state chiuse.",
        &[("Username", username)],
        Some(("ACCEDI", login_link)),
        "Se non sei stato tu a modificare la password, recupera subito le tue credenziali e contatta il referente \
            della Convenzione del tuo Ente.",
    )
}

/// To the owner of an account ceased by a new registration (PROSEGUI at step 3).
pub fn email_account_ceased(
    to: &str,
    when: &str,
    new_number_masked: &str,
    recover_link: &str,
) -> EmailMessage {
    simple_email(
        to,
        "La tua registrazione è stata cessata - Area Clienti Convenzione Mobile 8",
        "Gentile utente, la tua registrazione all'area clienti TIM dedicata alla Convenzione Telefonia Mobile 8 è \
            stata cessata perché con i tuoi dati è stata completata una nuova registrazione.",
        &[("Data", when), ("Numero della nuova registrazione", new_number_masked)],
        Some(("RECUPERA LE TUE CREDENZIALI", recover_link)),
        "Se non sei stato tu a completare la nuova registrazione, recupera subito le tue credenziali e contatta il \
            referente della Convenzione del tuo Ente o il Numero Verde 800.680.068.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_texts_are_the_guides() {
        let c = OtpCode::parse("123456").unwrap();
        assert_eq!(
            sms_registration_otp(&c),
            "Usa il codice temporaneo 123456 per proseguire con la registrazione all'Area Clienti TIM dedicata ai \
                servizi in Convenzione Mobile 8"
        );
        assert_eq!(
            sms_login_otp(&c),
            "Usa il codice temporaneo 123456 per completare l'accesso all'Area Clienti TIM dedicata ai servizi in \
                Convenzione Mobile 8."
        );
    }

    #[test]
    fn confirmation_email_has_link_in_both_parts() {
        let m = email_confirmation("a@b.it", "https://x/registrazione/conferma-email?t=abc");
        assert!(m.html.contains("CONFERMA EMAIL") && m.html.contains("t=abc"));
        assert!(m
            .text
            .contains("https://x/registrazione/conferma-email?t=abc"));
    }
}
