//! The emails of the private area (issue 15): a login from a new browser, the password
//! and email changed from the area, the account deleted. Same layout as every message
//! (`messages::simple_email`).

use super::messages::{render, simple_email, Content};
use super::EmailMessage;

const ALERT: &str =
    "Se non sei stato tu, recupera subito le tue credenziali e contatta il referente della \
    Convenzione del tuo Ente o il Numero Verde 800.680.068.";

/// After a completed login from a browser the account had not used before.
pub fn email_new_access(to: &str, when: &str, browser: &str, recover_link: &str) -> EmailMessage {
    simple_email(
        to,
        "Nuovo accesso alla tua Area Clienti - Convenzione Mobile 8",
        "Gentile utente, è stato effettuato un accesso alla tua area clienti TIM dedicata alla Convenzione Telefonia \
            Mobile 8 da un browser che non avevi mai usato. Se sei stato tu, non devi fare nulla.",
        &[("Data", when), ("Browser", browser)],
        Some(("RECUPERA LE TUE CREDENZIALI", recover_link)),
        ALERT,
    )
}

/// The password was changed from the private area (the other sessions were ended).
pub fn email_password_changed_in_area(to: &str, when: &str, link: &str) -> EmailMessage {
    simple_email(
        to,
        "La tua password è stata modificata - Area Clienti Convenzione Mobile 8",
        "Gentile utente, la password del tuo account dell'area clienti TIM dedicata alla Convenzione Telefonia \
            Mobile 8 è stata modificata dall'Area Clienti. Per sicurezza abbiamo chiuso le sessioni aperte sugli \
            altri dispositivi.",
        &[("Data", when)],
        Some(("RECUPERA LE TUE CREDENZIALI", link)),
        ALERT,
    )
}

/// To the new address: the link that makes it the account's email.
pub fn email_change_confirmation(to: &str, link: &str) -> EmailMessage {
    simple_email(
        to,
        "Conferma il tuo nuovo indirizzo email - Area Clienti Convenzione Mobile 8",
        "Gentile utente, hai chiesto di usare questo indirizzo per il tuo account dell'area clienti TIM dedicata alla \
            Convenzione Telefonia Mobile 8. Conferma il nuovo indirizzo: fino ad allora resta valido quello di prima.",
        &[],
        Some(("CONFERMA IL NUOVO INDIRIZZO", link)),
        "Il link è valido 24 ore e può essere usato una sola volta; non vale più se nel frattempo la password viene \
            cambiata o vengono chiuse le sessioni sugli altri dispositivi. Se non hai chiesto tu questa modifica, \
            ignora questa email.",
    )
}

/// To the old address, once the new one is confirmed.
pub fn email_changed_notice(to: &str, when: &str, new_masked: &str, link: &str) -> EmailMessage {
    simple_email(
        to,
        "Il tuo indirizzo email è stato modificato - Area Clienti Convenzione Mobile 8",
        "Gentile utente, l'indirizzo email del tuo account dell'area clienti TIM dedicata alla Convenzione Telefonia \
            Mobile 8 è stato sostituito: da ora le comunicazioni arriveranno al nuovo indirizzo.",
        &[("Data", when), ("Nuovo indirizzo", new_masked)],
        Some(("RECUPERA LE TUE CREDENZIALI", link)),
        ALERT,
    )
}

/// After "Elimina il tuo account": when, and what is kept (`retention::KEPT`: what,
/// how long, why) and what went at once.
pub fn email_account_deleted(to: &str, when: &str) -> EmailMessage {
    use crate::retention;
    let kept = retention::kept_sentences();
    let mut paragraphs = vec![
        "Gentile utente, come richiesto il tuo account dell'area clienti TIM dedicata alla Convenzione Telefonia \
            Mobile 8 è stato eliminato e tutte le sessioni sono state chiuse. Puoi registrarti di nuovo in qualsiasi \
            momento con la tua SIM in Convenzione.",
        "Dopo l'eliminazione conserviamo soltanto:",
    ];
    paragraphs.extend(kept.iter().map(String::as_str));
    paragraphs.push(retention::ERASED_TEXT);
    render(
        to,
        &Content {
            subject: "Il tuo account è stato eliminato - Area Clienti Convenzione Mobile 8",
            paragraphs: &paragraphs,
            rows: &[("Data", when)],
            note: Some(
                "Se non hai chiesto tu l'eliminazione, chiama subito il Numero Verde 800.680.068: per 30 giorni \
                 possiamo ancora verificare cosa è successo.",
            ),
            ..Content::default()
        },
    )
}

const PASSKEY_ALERT: &str =
    "Se non sei stato tu, recupera subito le tue credenziali, poi rimuovi dall'Area Clienti (sezione Passkey) le \
    passkey che non riconosci e contatta il referente della Convenzione del tuo Ente o il Numero Verde 800.680.068.";

/// A passkey was created from the private area (issue 24).
pub fn email_passkey_added(
    to: &str,
    when: &str,
    name: &str,
    browser: &str,
    recover_link: &str,
) -> EmailMessage {
    simple_email(
        to,
        "Nuova passkey sul tuo account - Area Clienti Convenzione Mobile 8",
        "Gentile utente, al tuo account dell'area clienti TIM dedicata alla Convenzione Telefonia Mobile 8 è stata \
            aggiunta una passkey: con il dispositivo che la conserva si può accedere senza password e senza codice \
            SMS. Se sei stato tu, non devi fare nulla.",
        &[("Data", when), ("Nome della passkey", name), ("Browser", browser)],
        Some(("RECUPERA LE TUE CREDENZIALI", recover_link)),
        PASSKEY_ALERT,
    )
}

/// Who removed a passkey: its owner (from the private area) or the help desk
/// (`portale-admin account passkeys ID --rimuovi N`, usually at the owner's request by phone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovedBy {
    Owner,
    HelpDesk,
}

/// A passkey was removed: the email says by whom, and what to do if it was not wanted.
pub fn email_passkey_removed(
    to: &str,
    when: &str,
    name: &str,
    recover_link: &str,
    by: RemovedBy,
) -> EmailMessage {
    let (intro, closing) = match by {
        RemovedBy::Owner => (
            "Gentile utente, dal tuo account dell'area clienti TIM dedicata alla Convenzione Telefonia Mobile 8 è \
                stata rimossa una passkey: non si potrà più usarla per accedere. Se sei stato tu, non devi fare nulla.",
            ALERT,
        ),
        RemovedBy::HelpDesk => (
            "Gentile utente, dal tuo account dell'area clienti TIM dedicata alla Convenzione Telefonia Mobile 8 è \
                stata rimossa dall'assistenza una passkey: non si potrà più usarla per accedere. Se l'hai chiesto tu, \
                non devi fare nulla.",
            "Se non l'hai chiesto tu, contatta il referente della Convenzione del tuo Ente o il Numero Verde \
                800.680.068.",
        ),
    };
    simple_email(
        to,
        "Passkey rimossa dal tuo account - Area Clienti Convenzione Mobile 8",
        intro,
        &[("Data", when), ("Nome della passkey", name)],
        Some(("RECUPERA LE TUE CREDENZIALI", recover_link)),
        closing,
    )
}
