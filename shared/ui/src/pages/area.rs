//! The private area's page frame and the form parts its pages share.

use super::{error_summary, Field, FieldErrors};
use crate::layout::{self, PageOptions};
use domain::routes;
use maud::{html, Markup};

/// The current-password field of a re-authentication form (`engine`'s reauth step reads it).
pub const REAUTH_FIELD: &str = "password_attuale";

/// Every private page: not indexed, the header's link reads "Area Clienti" and is current.
pub const OPTIONS: PageOptions<'static> = PageOptions {
    noindex: true,
    description: None,
    current: Some(routes::ACCOUNT),
    signed_in: true,
    passkey: false,
};

/// A page of the private area (`OPTIONS`), a way back to the area's home above the `<h1>`.
pub fn page(title: &str, body: Markup) -> Markup {
    page_in(&OPTIONS, title, body)
}

/// A page of the private area with its own options (a page that loads `passkey.js`).
pub fn page_in(opts: &PageOptions<'_>, title: &str, body: Markup) -> Markup {
    layout::page_with(
        opts,
        title,
        html! {
            div class="container narrow" {
                nav aria-label="Percorso" {
                    p { a href=(routes::ACCOUNT) { "Area Clienti" } " › " span aria-current="page" { (title) } }
                }
                (body)
            }
        },
    )
}

/// A page's heading, its success notice (after a redirect) and its errors.
pub fn heading(title: &str, notice: Option<&str>, errors: &FieldErrors) -> Markup {
    html! {
        h1 { (title) }
        @if let Some(n) = notice { p class="success" role="status" { (n) } }
        (error_summary(errors))
    }
}

/// The current password, asked before a sensitive change (never echoed back).
pub fn current_password(errors: &FieldErrors, hint: Option<&str>) -> Markup {
    let mut f = Field::text(REAUTH_FIELD, "Password attuale", "")
        .kind("password")
        .autocomplete("current-password");
    if let Some(h) = hint {
        f = f.hint(h);
    }
    f.render(errors)
}

/// A checkbox whose error sits above it; it submits `si`.
pub fn checkbox(name: &'static str, checked: bool, errors: &FieldErrors, label: Markup) -> Markup {
    let err = errors.get(name);
    html! {
        div class="field" {
            @if let Some(e) = err {
                p class="field-error" id={ (name) "-error" } { span class="visually-hidden" { "Errore: " } (e) }
            }
            label class="checkbox" {
                input type="checkbox" id=(name) name=(name) value="si" checked[checked]
                    aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| format!("{name}-error"))];
                " " (label)
            }
        }
    }
}
