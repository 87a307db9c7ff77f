//! Static assets (CSS, JS, favicon) embedded in the binary, each published under a
//! content-hashed path (`/assets/<name>.<first 10 hex of sha256>.<ext>`) so they can be
//! cached forever. The hashes are computed once per process, on first use.

use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// Prefix of every asset path.
pub const PREFIX: &str = "/assets/";

/// One embedded asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Absolute URL path, e.g. `/assets/site.1a2b3c4d5e.css`.
    pub path: String,
    pub body: &'static [u8],
    pub content_type: &'static str,
}

const SOURCES: [(&str, &str, &[u8], &str); 4] = [
    (
        "site",
        "css",
        include_bytes!("site.css"),
        "text/css; charset=utf-8",
    ),
    (
        "site",
        "js",
        include_bytes!("site.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "favicon",
        "svg",
        include_bytes!("favicon.svg"),
        "image/svg+xml",
    ),
    // The WebAuthn calls (issue 24): loaded only by the pages that use them, so every
    // other page keeps site.js alone.
    (
        "passkey",
        "js",
        include_bytes!("passkey.js"),
        "text/javascript; charset=utf-8",
    ),
];

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|&(name, ext, body, content_type)| Asset {
            path: hashed_path(name, ext, body),
            body,
            content_type,
        })
        .collect()
});

/// `/assets/<name>.<first 10 hex digits of sha256(body)>.<ext>`.
pub fn hashed_path(name: &str, ext: &str, body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("{PREFIX}{name}.{}.{ext}", &hex::encode(digest)[..10])
}

/// Every asset, in a fixed order (stylesheet, script, favicon, passkey script).
pub fn all() -> &'static [Asset] {
    &ASSETS
}

/// The asset published at `path`, if any (for servers).
pub fn find(path: &str) -> Option<&'static Asset> {
    all().iter().find(|a| a.path == path)
}

/// Path of the stylesheet.
pub fn css_path() -> &'static str {
    &all()[0].path
}

/// Path of the menu script.
pub fn js_path() -> &'static str {
    &all()[1].path
}

/// Path of the SVG favicon.
pub fn favicon_path() -> &'static str {
    &all()[2].path
}

/// Path of the passkey script (`navigator.credentials`), for the pages that create or use
/// a passkey.
pub fn passkey_js_path() -> &'static str {
    &all()[3].path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_hashed_and_stable() {
        assert!(css_path().starts_with("/assets/site.") && css_path().ends_with(".css"));
        assert!(js_path().starts_with("/assets/site.") && js_path().ends_with(".js"));
        let hash = css_path()
            .trim_start_matches("/assets/site.")
            .trim_end_matches(".css");
        assert_eq!(hash.len(), 10);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            css_path(),
            hashed_path("site", "css", include_bytes!("site.css"))
        );
        assert_eq!(
            find(js_path()).unwrap().content_type,
            "text/javascript; charset=utf-8"
        );
        assert!(find("/assets/nope.css").is_none());
    }

    #[test]
    fn css_stays_small_and_has_no_external_urls() {
        let css = std::str::from_utf8(find(css_path()).unwrap().body).unwrap();
        assert!(
            css.len() < 15_000,
            "site.css is {} bytes, budget 15 KB",
            css.len()
        );
        assert!(
            !css.contains("url(") && !css.contains("@import"),
            "no external resources"
        );
    }
}
