//! Generator of the portal's public area (static site): home, news, documents (with
//! PDFs built from the same Markdown), contacts, privacy, 404, robots.txt, sitemap.xml
//! and the shared assets. See `README.md` in this crate for the content format.
//!
//! URL scheme: every page is `dir/index.html` (so `/news/` works on S3/CloudFront and
//! locally); articles at `/news/<slug>/`, list pages at `/news/pagina/<n>/`, documents
//! at `/documenti/<slug>/` with their files at `/documenti/files/<slug>.pdf`, assets at
//! `/assets/<name>.<hash>.<ext>`.
//!
//! The build is a pure function of the content dir and the base URL: the same input
//! gives byte-identical output (no clock, sorted iteration everywhere).

pub mod content;
pub mod markdown;
pub mod pages;
pub use ::pdf;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use domain::routes;
use time::Duration;
use ui::assets;

use content::{Article, ContentError, Document};

/// Base URL of the production site (used in sitemap.xml and robots.txt).
pub const DEFAULT_BASE_URL: &str = "https://www.convenzione-telefonia.tim.it";
/// News per list page.
pub const NEWS_PER_PAGE: usize = 10;
/// An article is "NUOVO" when published at most this many days before the newest
/// article. Relative to the newest article, not to the build date, so the output
/// does not depend on when it is built.
pub const NEW_WITHIN_DAYS: i64 = 60;
/// Marker file written in the output dir; a rebuild only empties a dir that has it.
pub const OUTPUT_MARKER: &str = ".static-site-output";

/// Build options.
#[derive(Debug, Clone)]
pub struct Options {
    pub content_dir: PathBuf,
    /// Without trailing slash.
    pub base_url: String,
}

impl Options {
    pub fn new(content_dir: impl Into<PathBuf>) -> Self {
        Options {
            content_dir: content_dir.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
        }
    }
}

/// A failed build.
#[derive(Debug)]
pub enum Error {
    Content(ContentError),
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    Output(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Content(e) => e.fmt(f),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Output(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl From<ContentError> for Error {
    fn from(e: ContentError) -> Self {
        Error::Content(e)
    }
}

/// The generated site: output-relative path (`news/index.html`) → bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Site {
    /// Adds the page at URL `path` (`/news/` → `news/index.html`).
    fn page(&mut self, path: &str, markup: maud::Markup) {
        self.files
            .insert(output_file(path), markup.into_string().into_bytes());
    }

    /// The bytes served at URL `path`, if any.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(&output_file(path)).map(Vec::as_slice)
    }
}

/// Output file of a URL path: `/` → `index.html`, `/news/` → `news/index.html`,
/// `/documenti/files/x.pdf` → `documenti/files/x.pdf`.
pub fn output_file(path: &str) -> String {
    let rel = path.trim_start_matches('/');
    if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_owned()
    }
}

/// `/news/<slug>/`.
pub fn article_path(slug: &str) -> String {
    format!("{}{slug}/", routes::NEWS)
}

/// News list page `n` (from 1): `/news/`, `/news/pagina/2/`, …
pub fn news_page_path(n: usize) -> String {
    if n <= 1 {
        routes::NEWS.to_owned()
    } else {
        format!("{}pagina/{n}/", routes::NEWS)
    }
}

/// `/documenti/files/<slug>.pdf`.
pub fn doc_file_path(slug: &str) -> String {
    format!("{}files/{slug}.pdf", routes::DOCUMENTS)
}

/// Where a document is read online: the privacy notice is the privacy page, the
/// others `/documenti/<slug>/`.
pub fn doc_page_path(slug: &str) -> String {
    if slug == content::PRIVACY_DOC {
        routes::PRIVACY.to_owned()
    } else {
        format!("{}{slug}/", routes::DOCUMENTS)
    }
}

/// Number of list pages for `n` items (at least one, even when empty).
pub fn page_count(n: usize, per_page: usize) -> usize {
    n.div_ceil(per_page).max(1)
}

/// The items of list page `page` (from 1).
pub fn page_items<T>(items: &[T], page: usize, per_page: usize) -> &[T] {
    let start = (page.saturating_sub(1) * per_page).min(items.len());
    &items[start..(start + per_page).min(items.len())]
}

/// Whether `a` gets the NUOVO tag (see [`NEW_WITHIN_DAYS`]).
pub fn is_new(a: &Article, newest: &Article) -> bool {
    newest.published - a.published <= Duration::days(NEW_WITHIN_DAYS)
}

/// Human file size, Italian style: "23 KB", "1,4 MB".
pub fn format_size(bytes: usize) -> String {
    const KB: usize = 1024;
    if bytes < 1000 * KB {
        format!("{} KB", bytes.div_ceil(KB).max(1))
    } else {
        let tenths = (bytes * 10).div_ceil(KB * KB);
        format!("{},{} MB", tenths / 10, tenths % 10)
    }
}

/// A document with the size of its built PDF.
pub struct DocInfo<'a> {
    pub doc: &'a Document,
    /// "23 KB".
    pub size: String,
}

/// The default content dir: `content/` of this crate, found through the run-time
/// `CARGO_MANIFEST_DIR` (`cargo run`), the compile-time one, or the working directory
/// (`./content`, `./static-site/content`).
pub fn default_content_dir() -> PathBuf {
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") {
        candidates.push(PathBuf::from(dir).join("content"));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("content"));
    candidates.push(PathBuf::from("content"));
    candidates.push(PathBuf::from("static-site/content"));
    candidates
        .iter()
        .find(|p| p.join(content::NEWS_DIR).is_dir())
        .cloned()
        .unwrap_or_else(|| candidates.swap_remove(0))
}

/// Builds the whole site in memory.
pub fn build(opts: &Options) -> Result<Site, Error> {
    let base = opts.base_url.trim_end_matches('/');
    let content = content::load(&opts.content_dir)?;
    let mut site = Site::default();

    for asset in assets::all() {
        site.files
            .insert(output_file(&asset.path), asset.body.to_vec());
    }

    // Home and news.
    let articles = &content.articles;
    let newest = articles.first();
    site.page(routes::HOME, pages::home(articles, base));
    let pages_n = page_count(articles.len(), NEWS_PER_PAGE);
    for n in 1..=pages_n {
        site.page(
            &news_page_path(n),
            pages::news_list(page_items(articles, n, NEWS_PER_PAGE), newest, n, pages_n),
        );
    }
    for a in articles {
        let body = markdown::render(&a.body, base)?;
        site.page(
            &article_path(&a.slug),
            pages::article(a, newest.expect("non-empty"), &body.html),
        );
    }

    // Documents: each PDF from the same Markdown as its page.
    let mut docs = Vec::new();
    let mut bodies = Vec::new();
    for d in &content.documents {
        let body = markdown::render(&d.body, base)?;
        let subtitle = format!(
            "Versione {} del {}",
            d.version,
            content::format_date(d.date)
        );
        let pdf = pdf::render(&d.title, &subtitle, &body.blocks);
        docs.push(DocInfo {
            doc: d,
            size: format_size(pdf.len()),
        });
        site.files.insert(output_file(&doc_file_path(&d.slug)), pdf);
        bodies.push(body.html);
    }
    site.page(routes::DOCUMENTS, pages::documents(&docs));
    let cookie = markdown::render(&content.cookie, base)?;
    for (info, html) in docs.iter().zip(&bodies) {
        if info.doc.slug == content::PRIVACY_DOC {
            site.page(routes::PRIVACY, pages::privacy(info, html, &cookie.html));
        } else {
            site.page(&doc_page_path(&info.doc.slug), pages::document(info, html));
        }
    }

    site.page(routes::CONTACTS, pages::contacts());
    site.files.insert(
        "404.html".into(),
        pages::not_found().into_string().into_bytes(),
    );
    site.files
        .insert("robots.txt".into(), robots(base).into_bytes());
    let sitemap = sitemap(base, &site, articles, &content.documents);
    site.files
        .insert("sitemap.xml".into(), sitemap.into_bytes());
    site.files.insert(
        OUTPUT_MARKER.into(),
        b"Generated by static-site; rebuilds replace this folder.\n".to_vec(),
    );
    Ok(site)
}

/// robots.txt: everything but the API path space (`domain::routes::API_PATH_PREFIXES`:
/// the flows, implemented or still to come).
pub fn robots(base: &str) -> String {
    let mut out = String::from("User-agent: *\n");
    for p in routes::API_PATH_PREFIXES {
        out.push_str(&format!("Disallow: {p}\n"));
    }
    out.push_str(&format!("\nSitemap: {base}/sitemap.xml\n"));
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// sitemap.xml: the static pages (never the flows, never 404).
fn sitemap(base: &str, site: &Site, articles: &[Article], docs: &[Document]) -> String {
    let mut urls: Vec<(String, Option<String>)> = vec![
        (routes::HOME.to_owned(), None),
        (routes::NEWS.to_owned(), None),
        (routes::DOCUMENTS.to_owned(), None),
        (routes::CONTACTS.to_owned(), None),
    ];
    for n in 2..=page_count(articles.len(), NEWS_PER_PAGE) {
        urls.push((news_page_path(n), None));
    }
    for a in articles {
        urls.push((
            article_path(&a.slug),
            Some(content::iso_date(a.published.date())),
        ));
    }
    for d in docs {
        urls.push((doc_page_path(&d.slug), Some(content::iso_date(d.date))));
    }
    debug_assert!(
        urls.iter().all(|(u, _)| site.get(u).is_some()),
        "sitemap lists only built pages"
    );
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (path, lastmod) in urls {
        out.push_str(&format!(
            "  <url><loc>{}</loc>",
            xml_escape(&format!("{base}{path}"))
        ));
        if let Some(d) = lastmod {
            out.push_str(&format!("<lastmod>{d}</lastmod>"));
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the site into `out`. An existing non-empty `out` is replaced only if an
/// earlier build wrote it (it has [`OUTPUT_MARKER`]); otherwise this refuses.
pub fn write(site: &Site, out: &Path) -> Result<(), Error> {
    if out.exists() {
        let non_empty = std::fs::read_dir(out).map_err(io(out))?.next().is_some();
        if non_empty {
            if !out.join(OUTPUT_MARKER).is_file() {
                return Err(Error::Output(format!(
                    "{}: la cartella non è vuota e non è stata generata da static-site; scegliere un'altra cartella",
                    out.display()
                )));
            }
            std::fs::remove_dir_all(out).map_err(io(out))?;
        }
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    for (rel, bytes) in &site.files {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, bytes).map_err(io(&path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_to_file() {
        assert_eq!(output_file("/"), "index.html");
        assert_eq!(output_file("/news/"), "news/index.html");
        assert_eq!(output_file("/news/pagina/2/"), "news/pagina/2/index.html");
        assert_eq!(
            output_file("/documenti/files/a.pdf"),
            "documenti/files/a.pdf"
        );
    }

    #[test]
    fn pagination() {
        assert_eq!(page_count(0, 10), 1);
        assert_eq!(page_count(10, 10), 1);
        assert_eq!(page_count(11, 10), 2);
        assert_eq!(page_count(25, 10), 3);
        let items: Vec<u32> = (1..=25).collect();
        assert_eq!(page_items(&items, 1, 10), &items[0..10]);
        assert_eq!(page_items(&items, 3, 10), &[21, 22, 23, 24, 25]);
        assert!(page_items(&items, 4, 10).is_empty());
        assert_eq!(news_page_path(1), "/news/");
        assert_eq!(news_page_path(2), "/news/pagina/2/");
    }

    #[test]
    fn sizes() {
        assert_eq!(format_size(1), "1 KB");
        assert_eq!(format_size(23 * 1024), "23 KB");
        assert_eq!(format_size(23 * 1024 + 1), "24 KB");
        assert_eq!(format_size(1024 * 1024 + 400 * 1024), "1,4 MB");
    }

    #[test]
    fn robots_disallows_every_flow() {
        let r = robots("https://x.it");
        let disallowed: Vec<&str> = r
            .lines()
            .filter_map(|l| l.strip_prefix("Disallow: "))
            .collect();
        for path in routes::ROUTES.iter().map(|r| r.path).chain([
            routes::LOGIN,
            routes::RECOVER,
            routes::ACCOUNT,
        ]) {
            assert!(
                disallowed.iter().any(|d| path.starts_with(d)),
                "{path} not disallowed"
            );
        }
        assert!(r.ends_with("Sitemap: https://x.it/sitemap.xml\n"));
        assert!(!r.contains("Disallow: /news"));
    }
}
