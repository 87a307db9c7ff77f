//! Every SMS and email text, exactly as the operator's guide gives them, in one place.

use super::EmailMessage;
use domain::OtpCode;
use maud::html;

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

/// What an email says. [`render`] gives it the layout: every email goes through it, so a
/// new one gets the branded HTML, the text part and the preheader by building a `Content`
/// (or calling `simple_email`).
#[derive(Debug, Clone, Default)]
pub struct Content<'a> {
    pub subject: &'a str,
    /// The line mail clients show after the subject; the first paragraph when `None`.
    pub preheader: Option<&'a str>,
    pub paragraphs: &'a [&'a str],
    /// Labelled values, the value in bold ("Username: **mario.rossi**").
    pub rows: &'a [(&'a str, &'a str)],
    /// A sentence whose end is a link: (text before, link text, address) — the guide's
    /// "Accedi subito all'Area Clienti [cliccando qui]".
    pub link: Option<(&'a str, &'a str, &'a str)>,
    /// The call to action: (label, address).
    pub button: Option<(&'a str, &'a str)>,
    /// The closing note, after the button.
    pub note: Option<&'a str>,
}

/// The email layout: `layout.mjml` compiled by mrml (the test `email_layout_is_the_mjml_compiled`
/// keeps it so); at run time only its slots are filled.
const LAYOUT: &str = include_str!("email/layout.html");

/// The email `content` makes, to `to`: the layout's HTML and a text part with the same words.
pub fn render(to: &str, c: &Content<'_>) -> EmailMessage {
    let p = "margin:0 0 16px;";
    let link_style = "color:#004691;text-decoration:underline;";
    let content = html! {
        @for para in c.paragraphs { p style=(p) { (para) } }
        @for (k, v) in c.rows { p style=(p) { (k) ": " strong { (v) } } }
        @if let Some((before, text, href)) = c.link {
            // The whole sentence is the link: its text says where it goes.
            p style=(p) { a href=(href) style=(link_style) { (before) (text) } }
        }
    };
    let preheader = c
        .preheader
        .or(c.paragraphs.first().copied())
        .unwrap_or(c.subject);
    let (button_label, button_href) = c.button.unwrap_or_default();
    let html = fill(
        LAYOUT,
        &[
            ("title", escape(c.subject)),
            ("preheader", escape(preheader)),
            ("content", content.into_string()),
            ("button_label", escape(button_label)),
            ("button_href", escape(button_href)),
            ("note", escape(c.note.unwrap_or_default())),
        ],
    );
    let html = without(&html, "button", c.button.is_none());
    let html = without(&html, "note", c.note.is_none());
    EmailMessage {
        to: to.to_owned(),
        subject: c.subject.to_owned(),
        text: text_part(c),
        html,
        // Time-bound emails say so where their link is made (`EmailMessage::valid_until`).
        expires_at: None,
    }
}

/// The text part: the same words as the HTML, links written out.
fn text_part(c: &Content<'_>) -> String {
    let mut blocks: Vec<String> = c.paragraphs.iter().map(|p| p.to_string()).collect();
    if !c.rows.is_empty() {
        let rows: Vec<String> = c.rows.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        blocks.push(rows.join("\n"));
    }
    if let Some((before, text, href)) = c.link {
        blocks.push(format!("{before}{text}: {href}"));
    }
    if let Some((label, href)) = c.button {
        blocks.push(format!("{label}: {href}"));
    }
    blocks.extend(c.note.map(str::to_owned));
    blocks.push(format!("TIM\n{SIGNATURE}"));
    blocks.push(AUTOMATIC.to_owned());
    blocks.join("\n\n") + "\n"
}

fn escape(s: &str) -> String {
    html! { (s) }.into_string()
}

/// `layout` with each `{{slot}}` replaced by its value, in one pass: a value is never read
/// again, so text a user typed cannot name another slot. (Six fixed slots: a template
/// engine would be a dependency for a loop.)
fn fill(layout: &str, slots: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(layout.len() + 2048);
    let mut rest = layout;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}").and_then(|close| {
            let name = &after[..close];
            slots
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (v, close))
        }) {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `html` without the part between the `<!--marker-->` comments if `drop`, and without the
/// markers themselves.
fn without(html: &str, marker: &str, drop: bool) -> String {
    let (open, close) = (format!("<!--{marker}-->"), format!("<!--/{marker}-->"));
    match (html.find(&open), html.find(&close)) {
        (Some(a), Some(b)) if drop && a < b => {
            format!("{}{}", &html[..a], &html[b + close.len()..])
        }
        _ => html.replace(&open, "").replace(&close, ""),
    }
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
    let rows = [
        ("Nome e Cognome", s.nome_cognome),
        ("Ragione Sociale Ente/Amministrazione", s.ragione_sociale),
        ("C.F. Ente/Amministrazione", s.entity_cf),
        ("Codice Fiscale Personale", s.personal_cf),
        ("Numero Mobile", s.number),
        ("Email", s.email),
        ("Username", s.username),
    ];
    render(
        to,
        &Content {
            subject: "Registrazione completata - Area Clienti Convenzione Mobile 8",
            paragraphs: &[
                "Sei stato registrato con successo all'area clienti TIM dedicata alla Convenzione Telefonia Mobile 8.",
                "Di seguito il riepilogo dei dati relativi alla tua registrazione:",
            ],
            rows: &rows,
            link: Some(("Accedi subito all'Area Clienti ", "cliccando qui", s.login_link)),
            ..Content::default()
        },
    )
}

/// A message with a lead paragraph, labelled values, an optional button and a closing note,
/// in the layout (`render`).
pub(crate) fn simple_email(
    to: &str,
    subject: &str,
    intro: &str,
    rows: &[(&str, &str)],
    button: Option<(&str, &str)>,
    note: &str,
) -> EmailMessage {
    render(
        to,
        &Content {
            subject,
            paragraphs: &[intro],
            rows,
            button,
            note: Some(note),
            ..Content::default()
        },
    )
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

/// To an account's owner when the login's per-username lock engages (wrong passwords from
/// browsers the account never used): once per lock, with the way to recover the
/// credentials. The owner's own browsers are not locked out, and the page says so.
pub fn email_login_locked(
    to: &str,
    username: &str,
    when: &str,
    recover_link: &str,
) -> EmailMessage {
    render(
        to,
        &Content {
            subject: "Accesso bloccato per troppi tentativi - Area Clienti Convenzione Mobile 8",
            paragraphs: &[
                "Gentile utente, sono state inserite troppe password errate per la tua username dell'area clienti TIM \
                    dedicata alla Convenzione Telefonia Mobile 8: per la tua sicurezza l'accesso con questa username \
                    è bloccato per qualche tempo sui browser da cui non hai mai effettuato l'accesso.",
                "Dai browser da cui hai già effettuato l'accesso puoi continuare ad accedere come sempre.",
            ],
            rows: &[("Data", when), ("Username", username)],
            button: Some(("RECUPERA LE TUE CREDENZIALI", recover_link)),
            note: Some(
                "Se non sei stato tu, qualcuno sta provando a indovinare la tua password: recupera le tue credenziali \
                    scegliendo una nuova password e contatta il referente della Convenzione del tuo Ente o il Numero \
                    Verde 800.680.068.",
            ),
            ..Content::default()
        },
    )
}

/// To the owner of a registration found by person only (same codice fiscale and entity,
/// another number) when a new registration chose PROSEGUI: who asked, what the button does,
/// what to do if it was not them.
pub fn email_cease_request(
    to: &str,
    when: &str,
    new_number_masked: &str,
    link: &str,
) -> EmailMessage {
    render(
        to,
        &Content {
            subject: "Richiesta di cessazione della tua registrazione - Area Clienti Convenzione Mobile 8",
            preheader: Some("Una nuova registrazione con i tuoi dati chiede di cessare quella attuale."),
            paragraphs: &[
                "Gentile utente, con il tuo Codice Fiscale e quello del tuo Ente è stata avviata una nuova \
                    registrazione all'area clienti TIM dedicata alla Convenzione Telefonia Mobile 8 da un altro numero \
                    mobile, e chi l'ha avviata ha chiesto di cessare la tua registrazione attuale.",
                "Se sei stato tu (ad esempio perché usi una nuova SIM), clicca su CONFERMA LA CESSAZIONE: la tua \
                    registrazione attuale sarà cessata quando la nuova sarà completata, e la nuova registrazione potrà \
                    usare la tua username e il tuo indirizzo email. Fino ad allora puoi continuare ad accedere come \
                    sempre.",
            ],
            rows: &[
                ("Data della richiesta", when),
                ("Numero della nuova registrazione", new_number_masked),
            ],
            button: Some(("CONFERMA LA CESSAZIONE", link)),
            note: Some(
                "Se non sei stato tu, non cliccare sul pulsante e non comunicare a nessuno il codice che potresti \
                    ricevere via SMS: la tua registrazione resta attiva e invariata. Segnala l'accaduto al referente \
                    della Convenzione del tuo Ente o al Numero Verde 800.680.068. Il link è valido 24 ore e può essere \
                    usato una sola volta.",
            ),
            ..Content::default()
        },
    )
}

/// The code of the same request, to the old registration's SIM (if its line is active).
pub fn sms_cease_code(code: &OtpCode) -> String {
    format!(
        "Usa il codice temporaneo {} solo se sei tu a chiedere di cessare la tua registrazione all'Area Clienti TIM \
            dedicata ai servizi in Convenzione Mobile 8 per registrarti da un nuovo numero. Se non sei stato tu, non \
            comunicarlo a nessuno.",
        code.as_str()
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

    /// `layout.html` is `layout.mjml` compiled by mrml; `UPDATE_EMAIL_LAYOUT=1` rewrites it.
    #[test]
    fn email_layout_is_the_mjml_compiled() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/email");
        let mjml = std::fs::read_to_string(dir.join("layout.mjml")).unwrap();
        let root = mrml::parse(&mjml).expect("layout.mjml parses");
        let opts = mrml::prelude::render::RenderOptions {
            // No web-font links: mail clients block remote content, the layout uses Arial.
            fonts: Default::default(),
            ..Default::default()
        };
        let compiled = root.element.render(&opts).expect("layout.mjml renders") + "\n";
        if std::env::var_os("UPDATE_EMAIL_LAYOUT").is_some() {
            std::fs::write(dir.join("layout.html"), &compiled).unwrap();
        }
        assert!(
            compiled == LAYOUT,
            "layout.html is not layout.mjml compiled: run UPDATE_EMAIL_LAYOUT=1 cargo test -p notify -- email_layout"
        );
    }

    fn every_email() -> Vec<EmailMessage> {
        let summary = RegistrationSummary {
            nome_cognome: "Mario <b>Rossi</b>",
            ragione_sociale: "COMUNE DI PROVA & C.",
            entity_cf: "00488410010",
            personal_cf: "RSSMRA85T10A562S",
            number: "3330000001",
            email: "mario.rossi@example.it",
            username: "{{note}}",
            login_link: "https://x/accesso",
        };
        vec![
            email_confirmation("a@b.it", "https://x/registrazione/conferma-email?t=abc&u=1"),
            email_registration_summary("a@b.it", &summary),
            email_recovered_username("a@b.it", "mario", "https://x/accesso"),
            email_password_reset(
                "a@b.it",
                Some("mario"),
                "https://x/recupero/nuova-password?t=r",
            ),
            email_password_changed("a@b.it", "mario", "https://x/accesso"),
            email_account_ceased(
                "a@b.it",
                "30/11/2026 10:00",
                "333 *** **01",
                "https://x/recupero",
            ),
            email_login_locked("a@b.it", "mario", "30/11/2026 10:00", "https://x/recupero"),
        ]
    }

    /// The private area's and the help desk's emails (`account_messages`).
    fn every_account_email() -> Vec<EmailMessage> {
        use crate::account_messages::*;
        let (when, recover) = ("30/11/2026 10:00", "https://x/recupero");
        vec![
            email_new_access("a@b.it", when, "Chrome su Android", recover),
            email_password_changed_in_area("a@b.it", when, recover),
            email_change_confirmation("a@b.it", "https://x/area-clienti/email/conferma?t=abc"),
            email_changed_notice("a@b.it", when, "n***@e***.it", recover),
            email_account_deleted("a@b.it", when),
            email_passkey_added(
                "a@b.it",
                when,
                "Telefono <di> Anna",
                "Chrome su Android",
                recover,
            ),
            email_passkey_removed("a@b.it", when, "Telefono", recover, RemovedBy::Owner),
            email_passkey_removed(
                "a@b.it",
                when,
                "Portatile & co.",
                recover,
                RemovedBy::HelpDesk,
            ),
        ]
    }

    #[test]
    fn every_email_has_the_layout_and_a_text_part_with_the_same_words() {
        for m in every_email().into_iter().chain(every_account_email()) {
            let h = &m.html;
            assert!(h.starts_with("<!doctype html>"), "{}", m.subject);
            assert!(h.contains(r#"<html lang="it""#));
            assert!(h.contains(&format!("<title>{}</title>", escape(&m.subject))));
            assert!(
                !h.contains("{{title}}")
                    && !h.contains("{{content}}")
                    && !h.contains("{{preheader}}")
            );
            assert!(!h.contains("<!--button-->") && !h.contains("<!--note-->"));
            assert!(!h.contains("<img"), "real text, no images");
            // Every line of the text part is in the HTML too (escaped, the labels and values
            // split by <strong>, the links as their address).
            for line in m.text.lines().filter(|l| !l.is_empty()) {
                let (label, value) = line.split_once(": ").unwrap_or((line, ""));
                assert!(
                    h.contains(&escape(label)),
                    "{}: {label:?} not in the HTML",
                    m.subject
                );
                assert!(
                    h.contains(&escape(value)),
                    "{}: {value:?} not in the HTML",
                    m.subject
                );
            }
            assert!(m
                .text
                .ends_with(&format!("TIM\n{SIGNATURE}\n\n{AUTOMATIC}\n")));
        }
    }

    #[test]
    fn inserted_values_are_escaped_and_never_read_as_slots() {
        let m = &every_email()[1];
        assert!(m.html.contains("Mario &lt;b&gt;Rossi&lt;/b&gt;"));
        assert!(m.html.contains("COMUNE DI PROVA &amp; C."));
        assert!(
            m.html.contains("<strong>{{note}}</strong>"),
            "a value naming a slot stays as typed"
        );
        assert!(
            m.text.contains("Nome e Cognome: Mario <b>Rossi</b>"),
            "the text part is plain text"
        );
        let c = &every_email()[0];
        assert!(c
            .html
            .contains(r#"href="https://x/registrazione/conferma-email?t=abc&amp;u=1""#));
    }

    #[test]
    fn the_button_and_the_note_appear_only_when_there_are_some() {
        let summary = &every_email()[1];
        assert!(!summary.html.contains("Se il pulsante non funziona"));
        assert!(summary
            .html
            .contains(">Accedi subito all'Area Clienti cliccando qui</a>"));
        let confirm = &every_email()[0];
        assert!(confirm.html.contains("Se il pulsante non funziona"));
        assert!(confirm.html.contains(">CONFERMA EMAIL<"));
        assert!(confirm
            .html
            .contains("Il link è valido 24 ore e può essere usato una sola volta."));
    }

    #[test]
    fn the_preheader_is_hidden_and_says_what_the_email_is_about() {
        let m = &every_email()[0];
        let hidden = m
            .html
            .find("display:none")
            .expect("the preheader is hidden");
        assert!(m.html[hidden..].starts_with("display:none;font-size:1px"));
        assert!(m
            .html
            .contains(">Gentile utente, per completare la registrazione"));
    }
}
