//! The page: the entity, the search form (a GET form: it works without JavaScript and
//! the address can be bookmarked), the table of lines, the links between pages.

use domain::routes;
use engine::area::lines::{Form, Listing};
use maud::{html, Markup};
use store::lines::Profile;
use ui::layout;
use ui::{pages::error_summary, pages::Field, FieldErrors};

pub const TITLE: &str = "Le linee del tuo Ente";

/// The address of a page of the list (the search kept).
fn page_href(numero: &str, after: Option<&str>) -> String {
    let mut pairs = vec![("numero", numero)];
    pairs.extend(after.map(|a| ("dopo", a)));
    format!("{}?{}", routes::ACCOUNT_LINES, web::query_string(&pairs))
}

pub fn page(l: &Listing, form: &Form) -> Markup {
    let mut errors = FieldErrors::default();
    if let Some(e) = &l.search_error {
        errors.add("numero", e);
    }
    layout::page_with(
        &ui::pages::area::OPTIONS,
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
                    (list(l))
                    (pages(l, &form.numero))
                }
            }
        },
    )
}

fn list(l: &Listing) -> Markup {
    let status = |active: bool| if active { "Attiva" } else { "Cessata" };
    let profile = |p: Profile| match p {
        Profile::Referente => "Referente",
        Profile::Utente => "Utente",
    };
    html! {
        @if l.lines.is_empty() {
            p role="status" {
                @if l.searching { "Nessuna linea dell'Ente corrisponde al numero cercato." }
                @else { "Nessuna linea dell'Ente in Convenzione." }
            }
        } @else {
            div class="prose" {
                table {
                    caption class="visually-hidden" { "Linee dell'Ente e loro stato" }
                    thead { tr { th scope="col" { "Numero" } th scope="col" { "Stato" } th scope="col" { "Profilo" } } }
                    tbody {
                        @for line in &l.lines {
                            tr {
                                td { (line.number.pretty()) }
                                td { (status(line.active)) }
                                td { (profile(line.profile)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The links between pages: the next one carries the last number shown.
fn pages(l: &Listing, numero: &str) -> Markup {
    html! {
        @if l.next.is_some() || l.later_page {
            nav class="pagination" aria-label="Pagine dell'elenco" {
                ul {
                    @if l.later_page {
                        li { a class="btn btn-secondary" href=(page_href(numero, None)) { "Prima pagina" } }
                        li {
                            a class="btn btn-secondary" rel="prev"
                                href=(page_href(numero, l.previous.as_ref().map(|n| n.e164()))) {
                                "Pagina precedente"
                            }
                        }
                    }
                    @if let Some(n) = &l.next {
                        li {
                            a class="btn btn-secondary" rel="next" href=(page_href(numero, Some(n.e164()))) {
                                "Pagina successiva"
                            }
                        }
                    }
                }
            }
        }
    }
}
