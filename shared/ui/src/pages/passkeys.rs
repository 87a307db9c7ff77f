//! The passkey creation page (issue 24): the options for `navigator.credentials.create` in
//! a JSON script element, and the form the script fills and submits. Names are fixed with
//! the script (`passkey.js`) and the tests: `#passkey-creation` holds
//! `{"cerimonia":…,"publicKey":{…}}`, `#passkey-create-form` posts `cerimonia`, `credenziale`
//! (the JSON of the created credential) and the optional `nome`.

use super::area;
use crate::layout::PageOptions;
use domain::routes;
use maud::{html, Markup, PreEscaped};

pub const DATA_ID: &str = "passkey-creation";
pub const FORM_ID: &str = "passkey-create-form";
/// The form's fields.
pub const CEREMONY: &str = "cerimonia";
pub const CREDENTIAL: &str = "credenziale";
pub const NAME: &str = "nome";

/// JSON safe inside a `<script>` element: `<`, `>` and `&` as \u escapes (the options carry
/// the username), so no `</script>` can close it.
pub fn script_json(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The creation page for ceremony `ceremony` with the creation options `public_key` (JSON);
/// `default_name` is what the passkey is called if the person names it not.
pub fn creation_page(ceremony: &str, public_key: &str, default_name: &str) -> Markup {
    let data = format!(
        "{{\"cerimonia\":{},\"publicKey\":{}}}",
        serde_json_string(ceremony),
        public_key
    );
    let opts = PageOptions {
        passkey: true,
        ..area::OPTIONS
    };
    area::page_in(
        &opts,
        "Crea una passkey",
        html! {
            h1 { "Crea una passkey" }
            p { "Con una passkey accedi all'Area Clienti senza password e senza codice SMS: il tuo dispositivo ti \
                chiede l'impronta, il volto, il PIN o la sequenza di sblocco. La passkey resta sul dispositivo (o nel \
                gestore di password che usi); noi conserviamo solo la sua parte pubblica." }
            p { "Premi " strong { "CREA LA PASSKEY" } " e segui le indicazioni del browser entro 5 minuti." }
            noscript {
                p class="warning" { "Per creare una passkey serve JavaScript: attivalo nel browser e ricarica la \
                    pagina. Puoi sempre accedere con username, password e codice SMS." }
            }
            p id="passkey-status" class="warning" role="alert" hidden {}
            form id=(FORM_ID) method="post" action=(routes::ACCOUNT_PASSKEY_REGISTER) {
                input type="hidden" name=(CEREMONY) value=(ceremony);
                input type="hidden" name=(CREDENTIAL) value="";
                div class="field" {
                    label for=(NAME) { "Nome della passkey (facoltativo)" }
                    p class="hint" id={ (NAME) "-hint" } {
                        "Ti aiuta a riconoscerla nell'elenco. Se lo lasci vuoto la chiameremo «" (default_name) "»."
                    }
                    input type="text" id=(NAME) name=(NAME) value="" maxlength="60" autocomplete="off"
                        aria-describedby={ (NAME) "-hint" };
                }
                div class="btn-row" {
                    a class="btn btn-secondary" href=(routes::ACCOUNT_PASSKEYS) { "ANNULLA" }
                    button class="btn btn-primary" type="submit" { "CREA LA PASSKEY" }
                }
            }
            script type="application/json" id=(DATA_ID) { (PreEscaped(script_json(&data))) }
        },
    )
}

/// A JSON string literal (the ceremony id is base64url, but quoting it properly costs nothing).
fn serde_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_options_cannot_close_their_script() {
        let page = creation_page(
            "abc",
            r#"{"user":{"name":"</script><b>x&y"}}"#,
            "Chrome su Android",
        )
        .into_string();
        assert!(
            page.contains(r#"{"cerimonia":"abc","publicKey":{"user":{"name":"\u003c/script\u003e"#)
        );
        assert_eq!(
            page.matches("</script>").count(),
            3,
            "site.js, passkey.js, the data's"
        );
        assert!(page.contains(crate::assets::passkey_js_path()));
        assert!(page.contains("«Chrome su Android»"));
        assert!(page.contains(r#"name="credenziale""#));
    }
}
