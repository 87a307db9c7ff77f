//! The page frame: `<head>`, header with the quick links and the menu toggle, footer.
//!
//! The header menu folds behind a "Menu" toggle below 62em (phones, tablets). The toggle
//! is an empty `<details class="menu-toggle">` whose `[open]` state shows the sibling
//! `<nav>` through CSS, so it opens and closes with mouse and keyboard without
//! JavaScript; `site.js` only adds aria-expanded, Escape and focus handling.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::{assets, components::icon};
use domain::routes;

/// Brand text shown in the header (no logos are copied).
pub const BRAND: &str = "TIM · Convenzione Telefonia Mobile 8";
/// Site name appended to every `<title>`.
pub const SITE_NAME: &str = "Convenzione Telefonia Mobile 8 - TIM";
/// Year in the footer's copyright line.
pub const COPYRIGHT_YEAR: u16 = 2026;
/// TIM's VAT number, shown in the footer.
pub const VAT_NUMBER: &str = "00488410010";
/// `id` of `<main>`, target of the skip link.
pub const MAIN_ID: &str = "contenuto";
/// `id` of the header navigation (the menu the toggle controls).
pub const MENU_ID: &str = "menu-principale";

/// Options for [`page_with`]. `PageOptions::default()` is an indexable page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageOptions<'a> {
    /// Adds `<meta name="robots" content="noindex, nofollow">` (flow pages).
    pub noindex: bool,
    /// `<meta name="description">`.
    pub description: Option<&'a str>,
    /// Path of the current section (e.g. `routes::NEWS`, `routes::LOGIN`): its header
    /// link gets `aria-current="page"`.
    pub current: Option<&'a str>,
    /// Private-area pages: the header's user link reads "Area Clienti" instead of "Accedi".
    pub signed_in: bool,
    /// Pages that create or use a passkey load `passkey.js` (`assets::passkey_js_path`);
    /// every other page keeps `site.js` alone.
    pub passkey: bool,
}

/// A public, indexable page.
pub fn page(title: &str, main: Markup) -> Markup {
    page_with(&PageOptions::default(), title, main)
}

/// A flow page (registration, login, recovery): not indexed.
pub fn flow_page(title: &str, main: Markup) -> Markup {
    page_with(
        &PageOptions {
            noindex: true,
            ..PageOptions::default()
        },
        title,
        main,
    )
}

/// The full HTML document. `title` is the page's own title (the site name is appended
/// in `<title>`); `main` goes inside `<main id="contenuto">` and should start with
/// the page's `<h1>`.
pub fn page_with(opts: &PageOptions<'_>, title: &str, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="it" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " | " (SITE_NAME) }
                @if let Some(d) = opts.description { meta name="description" content=(d); }
                @if opts.noindex { meta name="robots" content="noindex, nofollow"; }
                meta name="theme-color" content="#004691";
                link rel="stylesheet" href=(assets::css_path());
                link rel="icon" href=(assets::favicon_path()) type="image/svg+xml";
                script src=(assets::js_path()) defer {}
                @if opts.passkey { script src=(assets::passkey_js_path()) defer {} }
            }
            body {
                a class="skip-link" href={ "#" (MAIN_ID) } { "Vai al contenuto" }
                (header(opts.current, opts.signed_in))
                main id=(MAIN_ID) tabindex="-1" { (main) }
                (footer())
            }
        }
    }
}

fn current(opts_current: Option<&str>, path: &str) -> Option<&'static str> {
    (opts_current == Some(path)).then_some("page")
}

fn header(cur: Option<&str>, signed_in: bool) -> Markup {
    html! {
        header class="site-header" {
            div class="container header-bar" {
                a class="brand" href=(routes::HOME) {
                    span class="brand-tim" { "TIM" }
                    " "
                    span class="brand-sep" { "·" }
                    " "
                    span class="brand-name" { "Convenzione Telefonia Mobile 8" }
                }
                details class="menu-toggle" data-menu=(MENU_ID) {
                    summary {
                        (icon::menu())
                        (icon::close())
                        span { "Menu" }
                    }
                }
                nav id=(MENU_ID) class="site-nav" aria-label="Menu principale" {
                    ul {
                        li { a href=(routes::NEWS) aria-current=[current(cur, routes::NEWS)] { "News" } }
                        li { a href=(routes::DOCUMENTS) aria-current=[current(cur, routes::DOCUMENTS)] { "Documenti" } }
                        li class="nav-login" {
                            @if signed_in {
                                a href=(routes::ACCOUNT) aria-current=[current(cur, routes::ACCOUNT)] {
                                    (icon::user())
                                    span { "Area Clienti" }
                                }
                            } @else {
                                a href=(routes::LOGIN) aria-current=[current(cur, routes::LOGIN)] {
                                    (icon::user())
                                    span { "Accedi" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn footer() -> Markup {
    html! {
        footer class="site-footer" {
            div class="container footer-inner" {
                p class="footer-brand" { "TIM" }
                nav aria-label="Link di servizio" {
                    ul class="footer-links" {
                        li { a href=(routes::PRIVACY) { "Privacy Policy & Cookie" } }
                        li { a href=(routes::CONTACTS) { "Contatti" } }
                    }
                }
                p class="footer-copy" {
                    "Gruppo TIM " (PreEscaped("&copy;")) " " (COPYRIGHT_YEAR) " - P.IVA " (VAT_NUMBER)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(opts: &PageOptions<'_>) -> String {
        page_with(opts, "Prova <titolo>", html! { h1 { "Ciao" } }).into_string()
    }

    #[test]
    fn document_frame() {
        let s = render(&PageOptions::default());
        assert!(s.starts_with("<!DOCTYPE html><html lang=\"it\">"));
        assert!(s.contains(
            "<title>Prova &lt;titolo&gt; | Convenzione Telefonia Mobile 8 - TIM</title>"
        ));
        assert!(s.contains(r#"name="viewport""#));
        assert!(s.contains(&format!(
            r#"<link rel="stylesheet" href="{}">"#,
            assets::css_path()
        )));
        assert!(s.contains(&format!(
            r#"<script src="{}" defer></script>"#,
            assets::js_path()
        )));
        assert!(s.contains(r##"<a class="skip-link" href="#contenuto">Vai al contenuto</a>"##));
        assert!(s.contains(r#"<main id="contenuto" tabindex="-1"><h1>Ciao</h1></main>"#));
        assert!(s.contains(&format!(r#"href="{}""#, routes::LOGIN)));
        assert!(s.contains("Accedi") && s.contains(">News<") && s.contains(">Documenti<"));
        assert!(s.contains("Privacy Policy &amp; Cookie"));
        assert!(s.contains("Gruppo TIM &copy; 2026 - P.IVA 00488410010"));
        assert!(!s.contains("noindex"));
    }

    /// ` on<letters>=`: an inline event handler attribute.
    pub(crate) fn has_event_handler(s: &str) -> bool {
        s.match_indices(" on").any(|(i, _)| {
            let rest = &s[i + 3..];
            let n = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            n > 0 && rest[n..].starts_with('=')
        })
    }

    #[test]
    fn no_inline_styles_or_scripts() {
        let s = render(&PageOptions::default());
        assert!(!s.contains("style="), "inline style attribute");
        assert!(!s.contains("<style"), "inline style element");
        assert!(!has_event_handler(&s), "inline event handler");
        // The only <script> is the external one, with an empty body.
        assert_eq!(s.matches("<script").count(), 1);
        assert!(s.contains("defer></script>"));
    }

    #[test]
    fn flow_pages_are_not_indexed_and_current_link_is_marked() {
        let s = page_with(
            &PageOptions {
                noindex: true,
                current: Some(routes::LOGIN),
                description: Some("d"),
                signed_in: false,
                passkey: false,
            },
            "Accedi",
            html! {},
        )
        .into_string();
        assert!(s.contains(r#"<meta name="robots" content="noindex, nofollow">"#));
        assert!(s.contains(r#"<meta name="description" content="d">"#));
        assert!(s.contains(&format!(r#"href="{}" aria-current="page""#, routes::LOGIN)));
        assert!(flow_page("x", html! {}).into_string().contains("noindex"));
    }
}
