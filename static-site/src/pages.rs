//! The public pages (maud templates inside `ui::layout`).

use domain::routes;
use maud::{html, Markup, PreEscaped};
use ui::layout::{page_with, PageOptions};

use crate::content::{format_date, format_datetime, iso_datetime, Article, Document};
use crate::{article_path, doc_file_path, doc_page_path, is_new, news_page_path, DocInfo};

/// A contact channel of the Convenzione.
pub struct Contact {
    pub label: &'static str,
    pub value: &'static str,
    pub href: &'static str,
    pub note: &'static str,
}

/// The contact channels, as the guide lists them.
pub const CONTACTS: [Contact; 4] = [
    Contact {
        label: "Numero verde fonia",
        value: "800.680.068",
        href: "tel:800680068",
        note: "Chiamata gratuita verso il Servizio Clienti della Convenzione.",
    },
    Contact {
        label: "Numero verde fax",
        value: "800.000.210",
        href: "tel:800000210",
        note: "Per l'invio di documentazione via fax.",
    },
    Contact {
        label: "Email",
        value: "telefoniamobile8@telecomitalia.it",
        href: "mailto:telefoniamobile8@telecomitalia.it",
        note: "Casella postale dedicata alla Convenzione.",
    },
    Contact {
        label: "Email PEC",
        value: "telefoniamobile8@pec.telecomitalia.it",
        href: "mailto:telefoniamobile8@pec.telecomitalia.it",
        note: "Casella di Posta Elettronica Certificata dedicata alla Convenzione.",
    },
];

const WELCOME: &str = "Benvenuto nel Portale TIM dedicato ai servizi di supporto alla Convenzione Telefonia Mobile 8. \
     Le Amministrazioni, che hanno aderito alla Convenzione, potranno accedere al Portale per tutti i servizi \
     e le informazioni di telefonia mobile della Convenzione.";

fn opts<'a>(current: Option<&'a str>, description: Option<&'a str>) -> PageOptions<'a> {
    PageOptions {
        current,
        description,
        ..PageOptions::default()
    }
}

/// `>` after link texts such as "Articolo completo >", hidden from screen readers.
fn chevron() -> Markup {
    html! { span aria-hidden="true" { " >" } }
}

fn published(a: &Article, new: bool) -> Markup {
    html! {
        p class="meta" {
            @if new { span class="tag-new" { "NUOVO" } " " }
            "PUBBLICATO IL "
            time datetime=(iso_datetime(a.published)) { (format_datetime(a.published)) }
        }
    }
}

/// An email address that may wrap after the `@` on narrow screens.
fn breakable(value: &str) -> Markup {
    match value.split_once('@') {
        Some((user, domain)) => html! { (user) "@" wbr; (domain) },
        None => html! { (value) },
    }
}

fn contact_list() -> Markup {
    html! {
        dl class="contact-list" {
            @for c in &CONTACTS {
                dt { (c.label) }
                dd { a href=(c.href) { (breakable(c.value)) } }
            }
        }
    }
}

pub fn home(articles: &[Article], base_url: &str) -> Markup {
    let latest = articles.first();
    let main = html! {
        section class="hero" aria-labelledby="titolo-home" {
            div class="container hero-grid" {
                div {
                    h1 id="titolo-home" { "Portale di eCaring della Convenzione Telefonia Mobile 8" }
                    p { (WELCOME) }
                    p { a class="btn btn-inverse" href=(routes::REGISTER_NUMBER) { "REGISTRATI ORA" } }
                    p { "Sei già registrato? " a href=(routes::LOGIN) { "Accedi all'Area Clienti" } }
                }
                div class="hero-aside" {
                    h2 { "Per registrarti ti servono" }
                    ul {
                        li { "una SIM TIM attiva inserita in Convenzione 8 e il relativo numero mobile;" }
                        li { "il Codice Fiscale del tuo Ente/Amministrazione;" }
                        li { "un indirizzo email personale (non PEC)." }
                    }
                }
            }
        }
        div class="container" {
            div class="cards" {
                section class="card" aria-labelledby="home-news" {
                    h2 class="card-title" id="home-news" { "News" }
                    @if let Some(a) = latest {
                        h3 class="news-title" { (a.title) }
                        (published(a, true)) // the newest article is always within NEW_WITHIN_DAYS
                        p { (a.summary) }
                        p { a href=(article_path(&a.slug)) { "Articolo completo" (chevron()) } }
                    } @else {
                        p class="muted" { "Al momento non ci sono news." }
                    }
                    div class="card-actions" { a class="btn btn-primary" href=(routes::NEWS) { "TUTTI GLI ARTICOLI" } }
                }
                section class="card" aria-labelledby="home-documenti" {
                    h2 class="card-title" id="home-documenti" { "Documenti" }
                    p {
                        "Vuoi avere maggiori informazioni sul portale della "
                        strong { "Convenzione di Telefonia Mobile 8" }
                        "? Clicca sul bottone qui sotto per scaricare la documentazione informativa."
                    }
                    div class="card-actions" {
                        a class="btn btn-primary" href=(routes::DOCUMENTS) { "TUTTI I DOCUMENTI" }
                    }
                }
                section class="card" aria-labelledby="home-contatti" {
                    h2 class="card-title" id="home-contatti" { "Contatti" }
                    (contact_list())
                }
            }
            section class="info-row" aria-label="Informazioni sull'uso del Portale" {
                div class="notice" {
                    h2 class="notice-title" { "Browser supportati" }
                    p {
                        "Per accedere al Portale è necessario utilizzare un comune browser di ultima generazione "
                        "(Google Chrome, Mozilla Firefox, Safari o Microsoft Edge) digitando l'indirizzo "
                        strong { (base_url.trim_start_matches("https://")) } "."
                    }
                }
                div class="notice" {
                    h2 class="notice-title" { "Novità: il Portale anche su smartphone e tablet" }
                    p {
                        "A differenza di quelli delle precedenti Convenzioni, il Portale della Convenzione 8 è \
                            utilizzabile "
                        "anche da tablet e smartphone: la pagina si adatta automaticamente allo schermo e i menu \
                            superiori "
                        "si aprono selezionando il simbolo " strong { "Menu" } " in alto a destra."
                    }
                }
            }
        }
    };
    page_with(
        &opts(
            Some(routes::HOME),
            Some(
                "Portale TIM dedicato ai servizi di supporto alla Convenzione Telefonia Mobile 8.",
            ),
        ),
        "Portale di eCaring della Convenzione Telefonia Mobile 8",
        main,
    )
}

/// One page of the news list. `page` counts from 1.
pub fn news_list(items: &[Article], newest: Option<&Article>, page: usize, pages: usize) -> Markup {
    let title = if page == 1 {
        "News".to_owned()
    } else {
        format!("News - pagina {page} di {pages}")
    };
    let main = html! {
        div class="container" {
            div class="page-head" {
                h1 { (title) }
                p class="lead" { "Resta sempre aggiornato sulle ultime novità del Portale della Convenzione Telefonia \
                    Mobile 8." }
            }
            @if items.is_empty() {
                p class="muted" { "Al momento non ci sono news." }
            } @else {
                ul class="news-list" {
                    @for a in items {
                        li {
                            article class="card" {
                                h2 { a href=(article_path(&a.slug)) { (a.title) } }
                                (published(a, newest.is_some_and(|n| is_new(a, n))))
                                p { (a.summary) }
                            }
                        }
                    }
                }
            }
            @if pages > 1 { (pagination(page, pages)) }
        }
    };
    page_with(&opts(Some(routes::NEWS), None), &title, main)
}

fn pagination(page: usize, pages: usize) -> Markup {
    html! {
        nav class="pagination" aria-label="Pagine delle news" {
            ul {
                @if page > 1 {
                    li { a class="btn btn-secondary" href=(news_page_path(page - 1)) rel="prev" { "Precedente" } }
                }
                @for n in 1..=pages {
                    li {
                        @if n == page {
                            span class="btn btn-primary" aria-current="page" {
                                span class="visually-hidden" { "Pagina " } (n)
                            }
                        } @else {
                            a class="btn btn-secondary" href=(news_page_path(n)) {
                                span class="visually-hidden" { "Pagina " } (n)
                            }
                        }
                    }
                }
                @if page < pages {
                    li { a class="btn btn-secondary" href=(news_page_path(page + 1)) rel="next" { "Successiva" } }
                }
            }
        }
    }
}

pub fn article(a: &Article, newest: &Article, html_body: &str) -> Markup {
    let main = html! {
        div class="container" {
            div class="page-head" {
                p { a href=(routes::NEWS) { span aria-hidden="true" { "< " } "Tutti gli articoli" } }
                h1 { (a.title) }
                (published(a, is_new(a, newest)))
            }
            article class="prose" aria-label=(a.title) { (PreEscaped(html_body)) }
        }
    };
    page_with(&opts(Some(routes::NEWS), Some(&a.summary)), &a.title, main)
}

fn version_line(d: &Document) -> String {
    format!("Versione {} del {}", d.version, format_date(d.date))
}

pub fn documents(docs: &[DocInfo<'_>]) -> Markup {
    let main = html! {
        div class="container" {
            div class="page-head" {
                h1 { "Documenti" }
                p class="lead" {
                    "Vuoi avere maggiori informazioni sul portale della Convenzione di Telefonia Mobile 8? "
                    "Qui puoi consultare e scaricare la documentazione informativa."
                }
            }
            ul class="doc-list" {
                @for d in docs {
                    li {
                        article class="card" {
                            div class="doc-text" {
                                h2 { (d.doc.title) }
                                p { (d.doc.description) }
                                p class="doc-facts muted" { (version_line(d.doc)) " · Formato PDF · " (d.size) }
                            }
                            div class="card-actions" {
                                a class="btn btn-secondary" href=(doc_page_path(&d.doc.slug)) {
                                    "Leggi online" span class="visually-hidden" { ": " (d.doc.title) }
                                }
                                a class="btn btn-primary" href=(doc_file_path(&d.doc.slug)) type="application/pdf" {
                                    "Scarica PDF" span class="visually-hidden" { ": " (d.doc.title) ", " (d.size) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page_with(&opts(Some(routes::DOCUMENTS), None), "Documenti", main)
}

fn doc_header(d: &DocInfo<'_>) -> Markup {
    html! {
        p class="meta" { (version_line(d.doc)) }
        p {
            a class="btn btn-secondary" href=(doc_file_path(&d.doc.slug)) type="application/pdf" {
                "Scarica il PDF (" (d.size) ")"
            }
        }
    }
}

/// A document read online (`/documenti/<slug>/`).
pub fn document(d: &DocInfo<'_>, html_body: &str) -> Markup {
    let main = html! {
        div class="container" {
            div class="page-head" {
                p { a href=(routes::DOCUMENTS) { span aria-hidden="true" { "< " } "Tutti i documenti" } }
                h1 { (d.doc.title) }
                (doc_header(d))
            }
            div class="prose" { (PreEscaped(html_body)) }
        }
    };
    page_with(
        &opts(Some(routes::DOCUMENTS), Some(&d.doc.description)),
        &d.doc.title,
        main,
    )
}

/// "Privacy Policy & Cookie": the privacy notice plus the cookie section.
pub fn privacy(d: &DocInfo<'_>, privacy_html: &str, cookie_html: &str) -> Markup {
    let main = html! {
        div class="container" {
            div class="page-head" {
                h1 { "Privacy Policy & Cookie" }
                (doc_header(d))
            }
            section class="prose" aria-label=(d.doc.title) {
                (PreEscaped(privacy_html))
            }
            section class="prose" aria-label="Cookie" {
                (PreEscaped(cookie_html))
            }
        }
    };
    page_with(
        &opts(Some(routes::PRIVACY), Some(&d.doc.description)),
        "Privacy Policy & Cookie",
        main,
    )
}

pub fn contacts() -> Markup {
    let main = html! {
        div class="container" {
            div class="page-head" {
                h1 { "Contatti" }
                p class="lead" {
                    "Per informazioni e assistenza sui servizi della Convenzione Telefonia Mobile 8 puoi rivolgerti "
                    "al Servizio Clienti dedicato attraverso questi canali."
                }
            }
            ul class="cards contact-cards" {
                @for c in &CONTACTS {
                    li class="card" {
                        h2 class="card-title" { (c.label) }
                        p class="contact-value" { a href=(c.href) { (breakable(c.value)) } }
                        p class="muted" { (c.note) }
                    }
                }
            }
            div class="notice" {
                h2 class="notice-title" { "Problemi di accesso?" }
                p {
                    "Se hai dimenticato la username o la password usa "
                    a href=(routes::RECOVER) { "Recupera username e password" } "."
                    " Per le istruzioni passo passo consulta la Guida alla registrazione e all'accesso nella sezione "
                    a href=(routes::DOCUMENTS) { "Documenti" } "."
                }
            }
        }
    };
    page_with(&opts(Some(routes::CONTACTS), None), "Contatti", main)
}

pub fn not_found() -> Markup {
    let main = html! {
        div class="container" {
            div class="page-head" {
                h1 { "Pagina non trovata" }
                p class="lead" { "La pagina che cerchi non esiste o è stata spostata." }
            }
            div class="card narrow" {
                h2 class="card-title" { "Puoi proseguire da qui" }
                ul {
                    li { a href=(routes::HOME) { "Home page del Portale" } }
                    li { a href=(routes::NEWS) { "News" } }
                    li { a href=(routes::DOCUMENTS) { "Documenti" } }
                    li { a href=(routes::CONTACTS) { "Contatti" } }
                    li { a href=(routes::LOGIN) { "Accedi all'Area Clienti" } }
                }
            }
        }
    };
    page_with(
        &PageOptions {
            noindex: true,
            ..PageOptions::default()
        },
        "Pagina non trovata",
        main,
    )
}
