//! Content files: Markdown with a small front matter block, parsed into news articles
//! and documents. Every error names the file and the line (`file:line: message`).
//!
//! ```text
//! ---
//! title: Utenti registrati Convenzione 7
//! published: 2021-06-16 12:00
//! summary: Sei un utente precedentemente registrato ...?
//! ---
//! Markdown body...
//! ```
//!
//! Front matter lines are `key: value` (value optionally in double or single quotes);
//! blank lines and lines starting with `#` are ignored; unknown or repeated keys are
//! errors, so a typo never silently drops a field.

use std::fmt;
use std::path::{Path, PathBuf};

use time::macros::format_description;
use time::{Date, PrimitiveDateTime};

/// Subfolder of the content dir with the news articles.
pub const NEWS_DIR: &str = "news";
/// Subfolder of the content dir with the documents.
pub const DOCS_DIR: &str = "documenti";
/// File (in the content dir) with the cookie section of the privacy page.
pub const COOKIE_FILE: &str = "cookie.md";
/// Slug of the document rendered as the privacy page.
pub const PRIVACY_DOC: &str = "informativa-privacy";

/// A content error, located in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    pub file: PathBuf,
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

impl std::error::Error for ContentError {}

impl ContentError {
    pub fn new(file: &Path, line: usize, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

/// A Markdown body with where it starts in its file (for error lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub file: PathBuf,
    /// 1-based line of the body's first line in the file.
    pub first_line: usize,
    pub markdown: String,
}

impl Body {
    /// The file line of a byte offset in `markdown`.
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.markdown.len());
        self.first_line
            + self.markdown.as_bytes()[..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
    }

    pub fn error(&self, offset: usize, message: impl Into<String>) -> ContentError {
        ContentError::new(&self.file, self.line_of(offset), message)
    }
}

/// A news article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// From the file name (`utenti-registrati-convenzione-7.md`).
    pub slug: String,
    pub title: String,
    pub published: PrimitiveDateTime,
    pub summary: String,
    pub body: Body,
}

/// A downloadable document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub version: String,
    /// Date of this version.
    pub date: Date,
    /// Position in the documents list (ascending).
    pub order: u32,
    pub body: Body,
}

/// Everything the site is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// Newest first (then by slug).
    pub articles: Vec<Article>,
    /// By `order`, then slug.
    pub documents: Vec<Document>,
    pub cookie: Body,
}

impl Content {
    /// The privacy notice (document [`PRIVACY_DOC`]).
    pub fn privacy(&self) -> &Document {
        self.documents
            .iter()
            .find(|d| d.slug == PRIVACY_DOC)
            .expect("checked by load")
    }
}

/// Parsed front matter: `(key, value, line)` in file order, then the body.
#[derive(Debug)]
pub struct FrontMatter {
    file: PathBuf,
    /// Line of the opening `---` (always 1).
    fields: Vec<(String, String, usize)>,
    /// Line of the closing `---`.
    end_line: usize,
}

/// Splits `text` into front matter and body.
pub fn split_front_matter(file: &Path, text: &str) -> Result<(FrontMatter, Body), ContentError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(ContentError::new(
            file,
            1,
            "front matter mancante: il file deve iniziare con una riga \"---\"",
        ));
    }
    let mut fields: Vec<(String, String, usize)> = Vec::new();
    let mut consumed = first.len();
    let mut line_no = 1;
    for raw in lines {
        line_no += 1;
        consumed += raw.len();
        let line = raw.trim();
        if line == "---" {
            let fm = FrontMatter {
                file: file.to_path_buf(),
                fields,
                end_line: line_no,
            };
            let body = Body {
                file: file.to_path_buf(),
                first_line: line_no + 1,
                markdown: text[consumed..].to_owned(),
            };
            return Ok((fm, body));
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(ContentError::new(
                file,
                line_no,
                format!("riga non valida \"{line}\": atteso \"chiave: valore\""),
            ));
        };
        let key = key.trim();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(ContentError::new(
                file,
                line_no,
                format!("chiave non valida \"{key}\""),
            ));
        }
        if let Some((_, _, first)) = fields.iter().find(|(k, _, _)| k == key) {
            return Err(ContentError::new(
                file,
                line_no,
                format!("campo \"{key}\" ripetuto (già alla riga {first})"),
            ));
        }
        fields.push((key.to_owned(), unquote(value.trim()).to_owned(), line_no));
    }
    Err(ContentError::new(
        file,
        line_no.max(1),
        "front matter non chiuso: manca la riga \"---\" finale",
    ))
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

impl FrontMatter {
    /// Errors on any key not in `allowed`.
    fn only(&self, allowed: &[&str]) -> Result<(), ContentError> {
        match self
            .fields
            .iter()
            .find(|(k, _, _)| !allowed.contains(&k.as_str()))
        {
            Some((k, _, line)) => Err(ContentError::new(
                &self.file,
                *line,
                format!(
                    "campo sconosciuto \"{k}\" (ammessi: {})",
                    allowed.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    /// A required, non-empty field: its value and line.
    fn required(&self, key: &str) -> Result<(&str, usize), ContentError> {
        match self.fields.iter().find(|(k, _, _)| k == key) {
            Some((_, v, line)) if v.is_empty() => Err(ContentError::new(
                &self.file,
                *line,
                format!("il campo \"{key}\" è vuoto"),
            )),
            Some((_, v, line)) => Ok((v.as_str(), *line)),
            None => Err(ContentError::new(
                &self.file,
                self.end_line,
                format!("campo obbligatorio mancante: \"{key}\""),
            )),
        }
    }

    fn error(&self, line: usize, message: impl Into<String>) -> ContentError {
        ContentError::new(&self.file, line, message)
    }
}

/// `2021-06-16 12:00`.
pub fn parse_datetime(s: &str) -> Option<PrimitiveDateTime> {
    PrimitiveDateTime::parse(
        s,
        format_description!("[year]-[month]-[day] [hour]:[minute]"),
    )
    .ok()
}

/// `2026-11-01`.
pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s, format_description!("[year]-[month]-[day]")).ok()
}

/// `16/06/2021 - 12:00`, as the portal shows publication times.
pub fn format_datetime(dt: PrimitiveDateTime) -> String {
    dt.format(format_description!(
        "[day]/[month]/[year] - [hour]:[minute]"
    ))
    .expect("valid format")
}

/// `01/11/2026`.
pub fn format_date(d: Date) -> String {
    d.format(format_description!("[day]/[month]/[year]"))
        .expect("valid format")
}

/// `2021-06-16T12:00` for `<time datetime>`.
pub fn iso_datetime(dt: PrimitiveDateTime) -> String {
    dt.format(format_description!("[year]-[month]-[day]T[hour]:[minute]"))
        .expect("valid format")
}

/// `2021-06-16` for the sitemap.
pub fn iso_date(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]"))
        .expect("valid format")
}

/// Slug from a file name: lowercase ASCII letters, digits and dashes.
fn slug_of(file: &Path, reserved: &[&str]) -> Result<String, ContentError> {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let ok = !stem.is_empty()
        && !stem.starts_with('-')
        && !stem.ends_with('-')
        && stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        return Err(ContentError::new(
            file,
            1,
            format!(
                "nome file non valido \"{stem}\": usare solo lettere minuscole, cifre e trattini"
            ),
        ));
    }
    if reserved.contains(&stem) {
        return Err(ContentError::new(
            file,
            1,
            format!("il nome \"{stem}\" è riservato"),
        ));
    }
    Ok(stem.to_owned())
}

/// Parses one news article.
pub fn parse_article(file: &Path, text: &str) -> Result<Article, ContentError> {
    // `pagina` is the pagination folder: `/news/pagina/2/`.
    let slug = slug_of(file, &["pagina"])?;
    let (fm, body) = split_front_matter(file, text)?;
    fm.only(&["title", "published", "summary"])?;
    let (title, _) = fm.required("title")?;
    let (published, line) = fm.required("published")?;
    let published = parse_datetime(published).ok_or_else(|| {
        fm.error(
            line,
            format!("data non valida \"{published}\" nel campo \"published\": formato atteso AAAA-MM-GG hh:mm"),
        )
    })?;
    let (summary, _) = fm.required("summary")?;
    Ok(Article {
        slug,
        title: title.to_owned(),
        published,
        summary: summary.to_owned(),
        body,
    })
}

/// Parses one document.
pub fn parse_document(file: &Path, text: &str) -> Result<Document, ContentError> {
    let slug = slug_of(file, &["files"])?;
    let (fm, body) = split_front_matter(file, text)?;
    fm.only(&["title", "description", "version", "date", "order"])?;
    let (title, _) = fm.required("title")?;
    let (description, _) = fm.required("description")?;
    let (version, _) = fm.required("version")?;
    let (date, line) = fm.required("date")?;
    let date = parse_date(date).ok_or_else(|| {
        fm.error(
            line,
            format!("data non valida \"{date}\" nel campo \"date\": formato atteso AAAA-MM-GG"),
        )
    })?;
    let (order, line) = fm.required("order")?;
    let order = order.parse().map_err(|_| {
        fm.error(
            line,
            format!("numero non valido \"{order}\" nel campo \"order\""),
        )
    })?;
    Ok(Document {
        slug,
        title: title.to_owned(),
        description: description.to_owned(),
        version: version.to_owned(),
        date,
        order,
        body,
    })
}

/// Newest first; equal times by slug, so the order never depends on the file system.
pub fn sort_newest_first(articles: &mut [Article]) {
    articles.sort_by(|a, b| {
        b.published
            .cmp(&a.published)
            .then_with(|| a.slug.cmp(&b.slug))
    });
}

fn io_error(path: &Path, e: std::io::Error) -> ContentError {
    ContentError::new(path, 1, format!("lettura non riuscita: {e}"))
}

/// The `.md` files of a folder, sorted by name.
fn markdown_files(dir: &Path) -> Result<Vec<PathBuf>, ContentError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let path = entry.map_err(|e| io_error(dir, e))?.path();
        if path.extension().is_some_and(|e| e == "md") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read(path: &Path) -> Result<String, ContentError> {
    std::fs::read_to_string(path).map_err(|e| io_error(path, e))
}

/// Loads the whole content dir.
pub fn load(dir: &Path) -> Result<Content, ContentError> {
    let mut articles = Vec::new();
    for file in markdown_files(&dir.join(NEWS_DIR))? {
        articles.push(parse_article(&file, &read(&file)?)?);
    }
    sort_newest_first(&mut articles);

    let docs_dir = dir.join(DOCS_DIR);
    let mut documents = Vec::new();
    for file in markdown_files(&docs_dir)? {
        documents.push(parse_document(&file, &read(&file)?)?);
    }
    documents.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.slug.cmp(&b.slug)));
    if !documents.iter().any(|d| d.slug == PRIVACY_DOC) {
        return Err(ContentError::new(
            &docs_dir.join(format!("{PRIVACY_DOC}.md")),
            1,
            "documento mancante: serve per la pagina Privacy Policy & Cookie",
        ));
    }

    let cookie_file = dir.join(COOKIE_FILE);
    let cookie = Body {
        markdown: read(&cookie_file)?,
        file: cookie_file,
        first_line: 1,
    };
    Ok(Content {
        articles,
        documents,
        cookie,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "---\ntitle: Titolo\npublished: 2021-06-16 12:00\nsummary: \"Riassunto: breve\"\n---\nTesto\n";

    fn article(text: &str) -> Result<Article, ContentError> {
        parse_article(Path::new("content/news/prova.md"), text)
    }

    #[test]
    fn parses_an_article() {
        let a = article(OK).unwrap();
        assert_eq!(a.slug, "prova");
        assert_eq!(a.title, "Titolo");
        assert_eq!(a.summary, "Riassunto: breve");
        assert_eq!(format_datetime(a.published), "16/06/2021 - 12:00");
        assert_eq!(a.body.markdown, "Testo\n");
        assert_eq!(a.body.first_line, 6);
    }

    #[test]
    fn missing_title_names_file_and_line() {
        let e = article("---\npublished: 2021-06-16 12:00\nsummary: s\n---\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "content/news/prova.md:4: campo obbligatorio mancante: \"title\""
        );
        let e = article("---\ntitle:\npublished: 2021-06-16 12:00\nsummary: s\n---\n").unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "il campo \"title\" è vuoto")
        );
    }

    #[test]
    fn bad_date_names_file_and_line() {
        for bad in [
            "2021-13-01 12:00",
            "16/06/2021 12:00",
            "2021-06-16",
            "2021-02-30 10:00",
            "2021-06-16 25:00",
        ] {
            let e = article(&format!(
                "---\ntitle: T\nsummary: s\npublished: {bad}\n---\n"
            ))
            .unwrap_err();
            assert_eq!(e.file, Path::new("content/news/prova.md"));
            assert_eq!(e.line, 4, "{bad}");
            assert!(
                e.message.starts_with(&format!("data non valida \"{bad}\"")),
                "{}",
                e.message
            );
            assert!(e
                .to_string()
                .starts_with("content/news/prova.md:4: data non valida"));
        }
    }

    #[test]
    fn other_front_matter_errors() {
        let e = article("title: T\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("front matter mancante"));
        let e = article("---\ntitle: T\n").unwrap_err();
        assert!(e.message.contains("non chiuso"), "{e}");
        let e = article("---\ntitle: T\ntitle: U\n---\n").unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (3, "campo \"title\" ripetuto (già alla riga 2)")
        );
        let e = article("---\ntitle: T\npublished: 2021-06-16 12:00\nsummary: s\nautore: x\n---\n")
            .unwrap_err();
        assert_eq!(e.line, 5);
        assert!(e.message.starts_with("campo sconosciuto \"autore\""));
        let e = article("---\ntitle T\n---\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse_article(Path::new("news/Bad Name.md"), OK).unwrap_err();
        assert!(e.message.starts_with("nome file non valido"));
        let e = parse_article(Path::new("news/pagina.md"), OK).unwrap_err();
        assert!(e.message.contains("riservato"));
    }

    #[test]
    fn document_front_matter() {
        let text = "---\ntitle: T\ndescription: D\nversion: \"1.0\"\ndate: 2026-11-01\norder: 2\n---\n## Uno\n";
        let d = parse_document(Path::new("documenti/termini.md"), text).unwrap();
        assert_eq!(
            (d.version.as_str(), format_date(d.date), d.order),
            ("1.0", "01/11/2026".to_owned(), 2)
        );
        let e = parse_document(
            Path::new("d/x.md"),
            &text.replace("2026-11-01", "01/11/2026"),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "d/x.md:5: data non valida \"01/11/2026\" nel campo \"date\": formato atteso AAAA-MM-GG"
        );
        let e = parse_document(Path::new("d/x.md"), &text.replace("version: \"1.0\"\n", ""))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "d/x.md:6: campo obbligatorio mancante: \"version\""
        );
    }

    #[test]
    fn date_formatting() {
        let dt = parse_datetime("2021-06-16 12:00").unwrap();
        assert_eq!(format_datetime(dt), "16/06/2021 - 12:00");
        assert_eq!(iso_datetime(dt), "2021-06-16T12:00");
        assert_eq!(
            format_datetime(parse_datetime("2026-01-05 09:07").unwrap()),
            "05/01/2026 - 09:07"
        );
        assert_eq!(format_date(parse_date("2026-11-01").unwrap()), "01/11/2026");
    }

    #[test]
    fn newest_first_then_slug() {
        let mk = |slug: &str, when: &str| {
            let mut a = article(OK).unwrap();
            a.slug = slug.into();
            a.published = parse_datetime(when).unwrap();
            a
        };
        let mut v = vec![
            mk("b", "2021-06-16 12:00"),
            mk("old", "2020-01-01 00:00"),
            mk("new", "2022-01-01 00:00"),
            mk("a", "2021-06-16 12:00"),
        ];
        sort_newest_first(&mut v);
        let slugs: Vec<_> = v.iter().map(|a| a.slug.as_str()).collect();
        assert_eq!(slugs, ["new", "a", "b", "old"]);
    }

    #[test]
    fn body_lines() {
        let a = article(&format!("{OK}riga 7\nriga 8\n")).unwrap();
        let off = a.body.markdown.find("riga 8").unwrap();
        assert_eq!(a.body.line_of(off), 8);
    }
}
