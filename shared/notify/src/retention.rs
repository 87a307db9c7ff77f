//! What of an account stays after "Elimina il tuo account" (`engine::area::deletion`): one
//! list said by the deletion page, the confirmation email (`account_messages`), the data
//! export and SECURITY.md.

/// One thing kept after the deletion: what, for how long, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    pub what: &'static str,
    pub how_long: &'static str,
    pub why: &'static str,
}

/// Everything of an account that stays after "Elimina il tuo account" (the page, the
/// confirmation email and the data export show this list; `proof_area.rs` checks the table
/// holds nothing else). The durations are `consent_log::KEEP_SECS`, `area::deletion::FORGET_SECS`,
/// `audit::KEEP_SECS` and the TTLs of codes, counters, flows and links (at most a day).
pub const KEPT: [Kept; 4] = [
    Kept {
        what: "la registrazione dei consensi che hai espresso (versione dei documenti e data) e dell'eliminazione \
            dell'account",
        how_long: "per 10 anni",
        why: "la normativa ci chiede di poter dimostrare i consensi raccolti",
    },
    Kept {
        what: "i dati del profilo (nome, cognome, codice fiscale, Ente, numero, email e username), non più \
            accessibili e senza password",
        how_long: "per 30 giorni, poi vengono cancellati",
        why: "per rispondere a eventuali contestazioni tramite il Numero Verde 800.680.068",
    },
    Kept {
        what: "gli interventi dell'assistenza sul tuo account, se ce ne sono stati (azione, data, motivo e \
            operatore)",
        how_long: "per 2 anni da ciascun intervento",
        why: "per documentare l'operato dell'assistenza e rispondere a eventuali contestazioni",
    },
    Kept {
        what: "dati tecnici temporanei: codici di verifica, contatori dei tentativi di accesso, richieste non \
            completate (ad esempio un cambio di indirizzo email non ancora confermato)",
        how_long: "al massimo un giorno",
        why: "scadono da soli e non possono più essere usati",
    },
];

/// What goes at once, said after `KEPT`.
pub const ERASED_TEXT: &str =
    "Tutto il resto viene cancellato subito: lo storico degli accessi, i browser da cui hai \
    effettuato l'accesso e l'elenco delle sessioni.";

/// `KEPT` as one sentence per item ("What: how long (why).").
pub fn kept_sentences() -> Vec<String> {
    KEPT.iter()
        .map(|k| format!("{}: {} ({}).", capitalised(k.what), k.how_long, k.why))
        .collect()
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
