//! The page: the entity, the search form (a GET form: it works without JavaScript and
//! the address can be bookmarked), the table of lines, the links between pages.

use maud::{html, Markup};
use shared::area::lines::{Form, Listing};
use shared::pages::{error_summary, Field, FieldErrors};
use shared::routes;
use shared::store::lines::Profile;
use shared::ui::layout::{self, PageOptions};

pub const TITLE: &str = "Le linee del tuo Ente";

/// The address of a page of the list (the search kept).
fn page_href(numero: &str, after: Option<&str>) -> String {
    let mut pairs = vec![("numero", numero)];
    pairs.extend(after.map(|a| ("dopo", a)));
    format!(
        "{}?{}",
        routes::ACCOUNT_LINES,
        shared::web::query_string(&pairs)
    )
}

pub fn page(l: &Listing, form: &Form) -> Markup {
    let mut errors = FieldErrors::default();
    if let Some(e) = &l.search_error {
        errors.add("numero", e);
    }
    let opts = PageOptions {
        noindex: true,
        current: Some(routes::ACCOUNT),
        signed_in: true,
        ..PageOptions::default()
    };
    layout::page_with(
        &opts,
        TITLE,
        html! {
            div class="container" {
                p { a href=(routes::ACCOUNT) { "← Torna all'Area Clienti" } }
                h1 { (TITLE) }
                p class="lead" { (l.entity_name) " (C.F. " (l.entity_cf) ")" }
                (error_summary(&errors))
                form method="get" action=(routes::ACCOUNT_LINES) novalidate role="search" {
                    (Field::text("numero", "Cerca per numero", &form.numero).kind("tel")
                        .inputmode("tel").autocomplete("off")
                        .hint("Il numero mobile o le sue prime cifre, ad esempio 333 12").render(&errors))
                    div class="btn-row" {
                        @if l.searching {
                            a class="btn btn-secondary" href=(routes::ACCOUNT_LINES) {
                                "Mostra tutte le linee"
                            }
                        }
                        button class="btn btn-primary" type="submit" { "CERCA" }
                    }
                }
                @if l.search_error.is_none() {
                    @if l.lines.is_empty() {
                        p role="status" {
                            @if l.searching { "Nessuna linea dell'Ente corrisponde al numero cercato." }
                            @else { "Nessuna linea dell'Ente in Convenzione." }
                        }
                    } @else {
                        div class="prose" {
                            table {
                                caption class="visually-hidden" { "Linee dell'Ente e loro stato" }
                                thead {
                                    tr { th scope="col" { "Numero" } th scope="col" { "Stato" } th scope="col" { "Profilo" } }
                                }
                                tbody {
                                    @for line in &l.lines {
                                        tr {
                                            td { (line.number.pretty()) }
                                            td { @if line.active { "Attiva" } @else { "Cessata" } }
                                            td {
                                                @if line.profile == Profile::Referente { "Referente" } @else { "Utente" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if l.next.is_some() || l.later_page {
                        nav class="pagination" aria-label="Pagine dell'elenco" {
                            ul {
                                @if l.later_page {
                                    li {
                                        a class="btn btn-secondary" href=(page_href(&form.numero, None)) { "Prima pagina" }
                                    }
                                }
                                @if let Some(n) = &l.next {
                                    li {
                                        a class="btn btn-secondary" rel="next" href=(page_href(&form.numero, Some(n.e164()))) {
                                            "Pagina successiva"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
