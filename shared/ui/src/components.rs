//! Small pieces of markup shared by pages: icons and the registration stepper.

use maud::{html, Markup};

/// Inline SVG icons: decorative (`aria-hidden`), coloured by `currentColor`, sized by
/// the `.icon` class. Pair them with visible or `.visually-hidden` text.
pub mod icon {
    use maud::{html, Markup};

    fn svg(class: &str, path: &str) -> Markup {
        html! {
            svg class={ "icon " (class) } viewBox="0 0 24 24" width="24" height="24"
                aria-hidden="true" focusable="false" {
                path d=(path) {}
            }
        }
    }

    /// Person silhouette ("Accedi").
    pub fn user() -> Markup {
        svg(
            "icon-user",
            "M12 2a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm0 2a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM4 20.5C4 16.4 7.6 14 12 14s8 2.4 8 \
                6.5V22h-2v-1.5c0-2.7-2.6-4.5-6-4.5s-6 1.8-6 4.5V22H4z",
        )
    }

    /// Hamburger (menu closed).
    pub fn menu() -> Markup {
        svg("icon-menu", "M3 5h18v2.2H3zm0 5.9h18v2.2H3zm0 5.9h18V19H3z")
    }

    /// Cross (menu open).
    pub fn close() -> Markup {
        svg("icon-close", "M5.6 4 12 10.4 18.4 4 20 5.6 13.6 12l6.4 6.4-1.6 1.6-6.4-6.4L5.6 20 4 18.4 10.4 12 4 5.6z")
    }
}

/// The six steps of the registration, as the guide names them.
pub const REGISTRATION_STEPS: [&str; 6] =
    ["Numero", "Codice", "Dati", "Email", "Password", "Esito"];

/// The registration stepper (`ol.stepper`), `current` counted from 1 (clamped to 1..=6):
/// earlier steps are `.done`, the current one has `aria-current="step"`.
pub fn stepper(current: usize) -> Markup {
    let current = current.clamp(1, REGISTRATION_STEPS.len());
    html! {
        nav aria-label="Passaggi della registrazione" {
            ol class="stepper" {
                @for (i, label) in REGISTRATION_STEPS.iter().enumerate() {
                    @let n = i + 1;
                    li class=[(n < current).then_some("done")] aria-current=[(n == current).then_some("step")] {
                        span class="step-num" aria-hidden="true" { (n) }
                        span class="step-label" {
                            span class="visually-hidden" { "Passo " (n) ": " }
                            (label)
                            @if n < current { span class="visually-hidden" { " (completato)" } }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stepper_marks_done_and_current() {
        let s = stepper(3).into_string();
        assert_eq!(s.matches("<li").count(), 6);
        assert_eq!(s.matches(r#"class="done""#).count(), 2);
        assert_eq!(s.matches(r#"aria-current="step""#).count(), 1);
        assert!(s.contains(
            r#"<li aria-current="step"><span class="step-num" aria-hidden="true">3</span>"#
        ));
        assert!(stepper(99)
            .into_string()
            .contains(r#"aria-current="step"><span class="step-num" aria-hidden="true">6"#));
    }
}
