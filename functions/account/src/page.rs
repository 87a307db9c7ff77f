//! The private area's home page.

use domain::routes;
use maud::{html, Markup};
use store::accounts::Account;
use store::lines::{Line, Profile};
use ui::layout;

/// What a person can do in the area: (title, what it is for, where).
const ACTIONS: &[(&str, &str, &str)] = &[
    (
        "Cambia la password",
        "Scegli una nuova password: chiuderemo le sessioni sugli altri dispositivi.",
        routes::ACCOUNT_PASSWORD,
    ),
    (
        "Cambia l'indirizzo email",
        "Usa un nuovo indirizzo, dopo averlo confermato dal link che ti inviamo.",
        routes::ACCOUNT_EMAIL,
    ),
    (
        "Dispositivi e sessioni",
        "Vedi dove sei collegato ed esci dai dispositivi che non usi più.",
        routes::ACCOUNT_SESSIONS,
    ),
    (
        "Passkey",
        "Accedi senza password e senza codice SMS, con l'impronta, il volto o il PIN del tuo dispositivo.",
        routes::ACCOUNT_PASSKEYS,
    ),
    (
        "Accessi recenti",
        "Controlla gli ultimi accessi al tuo account e i tentativi non riusciti.",
        routes::ACCOUNT_HISTORY,
    ),
    (
        "Privacy e dati personali",
        "Scarica i tuoi dati oppure elimina il tuo account.",
        routes::ACCOUNT_PRIVACY,
    ),
];

/// The home offers a passkey after a login by password + SMS, until its owner says NON ORA
/// (passkey.js then shows it only where a passkey can be made).
pub fn offers_passkey(a: &Account, by_passkey: bool) -> bool {
    !a.passkey_offer_dismissed && !by_passkey
}

pub fn page(a: &Account, line: Option<&Line>, offer_passkey: bool) -> Markup {
    let number = a.number.pretty();
    // passkey.js shows the offer only where a passkey can be made (hidden otherwise).
    let opts = layout::PageOptions {
        passkey: offer_passkey,
        ..ui::pages::area::OPTIONS
    };
    layout::page_with(
        &opts,
        "Area Clienti",
        html! {
            div class="container" {
                h1 { "Ciao, " (a.nome) " " (a.cognome) }
                p class="lead" { "Questa è la tua Area Clienti dei servizi in Convenzione Telefonia Mobile 8." }
                @if offer_passkey { (ui::pages::passkey_offer::home_card()) }
                section class="card" aria-labelledby="profilo" {
                    h2 id="profilo" { "Il tuo profilo" }
                    dl {
                        dt { "Nome" } dd { (a.nome) }
                        dt { "Cognome" } dd { (a.cognome) }
                        dt { "Ente/Amministrazione" } dd { (a.ragione_sociale) }
                        dt { "C.F. Ente/Amministrazione" } dd { (a.entity_cf) }
                        dt { "Numero mobile" } dd { (number) }
                        dt { "Email" } dd { (a.email) }
                        dt { "Username" } dd { (a.username) }
                    }
                }
                section class="card" aria-labelledby="linea" {
                    h2 id="linea" { "La tua linea" }
                    @if line.is_some_and(|l| l.profile == Profile::Referente) {
                        p { "Sei il referente della Convenzione per il tuo Ente: "
                            a href=(routes::ACCOUNT_LINES) { "vedi le linee del tuo Ente" } "." }
                    }
                    dl {
                        dt { "Numero" } dd { (number) }
                        dt { "Ente" } dd { (line.map_or(a.ragione_sociale.as_str(), |l| l.ragione_sociale.as_str())) }
                        dt { "Profilo" }
                        dd { @match line.map(|l| l.profile) {
                            Some(Profile::Referente) => "Referente dell'Ente",
                            _ => "Utente",
                        } }
                        dt { "Stato in Convenzione" }
                        dd { @match line {
                            Some(l) if l.active => "Attiva",
                            Some(_) => "Cessata",
                            None => "Non presente in Convenzione",
                        } }
                    }
                }
                h2 { "Sicurezza e privacy" }
                ul class="cards" {
                    @for (title, text, href) in ACTIONS {
                        li class="card" {
                            h3 class="card-title" { a href=(href) { (title) } }
                            p { (text) }
                        }
                    }
                }
                form method="post" action=(routes::LOGOUT) {
                    button class="btn btn-secondary" type="submit" { "ESCI" }
                }
            }
        },
    )
}
