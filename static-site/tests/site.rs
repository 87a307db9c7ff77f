//! Whole-site tests: build the real content (and temporary content dirs), write it,
//! then check determinism, every internal link, the CSP rules and the page contents.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use domain::routes;
use scraper::{Html, Selector};
use static_site::{build, default_content_dir, write, Options};

/// A fresh temporary directory under Cargo's per-target tmp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "static-site-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

fn build_into(content: &Path, out: &Path) {
    let site = build(&Options::new(content)).unwrap_or_else(|e| panic!("build failed: {e}"));
    write(&site, out).unwrap();
}

/// Every file under `dir`, relative path → bytes.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn text_of(doc: &Html, selector: &str) -> Vec<String> {
    // Text nodes joined by spaces (block elements such as dt/dd are separate lines on
    // screen), whitespace normalised; emails are split by <wbr> after the "@".
    doc.select(&sel(selector))
        .map(|e| {
            e.text()
                .collect::<Vec<_>>()
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace("@ ", "@")
        })
        .collect()
}

fn page(tree: &BTreeMap<String, Vec<u8>>, file: &str) -> Html {
    Html::parse_document(
        std::str::from_utf8(tree.get(file).unwrap_or_else(|| panic!("missing {file}"))).unwrap(),
    )
}

#[test]
fn same_content_gives_byte_identical_output() {
    let (a, b) = (TempDir::new("det-a"), TempDir::new("det-b"));
    build_into(&content_dir(), &a.0);
    build_into(&content_dir(), &b.0);
    let (ta, tb) = (read_tree(&a.0), read_tree(&b.0));
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (name, bytes) in &ta {
        assert!(bytes == &tb[name], "{name} differs between two builds");
    }
    assert!(ta.len() > 15);
}

/// The link checker: every internal href/src of every page resolves to a file of the
/// output, or is a dynamic route: one of `domain::routes::ROUTES`, or in the API path space
/// (`routes::is_api_path`: flows whose functions are still to come).
fn check_links(out: &Path) -> usize {
    let tree = read_tree(out);
    let mut checked = 0;
    let mut broken = Vec::new();
    for (file, bytes) in tree.iter().filter(|(f, _)| f.ends_with(".html")) {
        let doc = Html::parse_document(std::str::from_utf8(bytes).unwrap());
        let ids: Vec<&str> = doc
            .select(&sel("[id]"))
            .filter_map(|e| e.value().attr("id"))
            .collect();
        for (selector, attr) in [
            ("a[href]", "href"),
            ("link[href]", "href"),
            ("script[src]", "src"),
            ("img[src]", "src"),
        ] {
            for el in doc.select(&sel(selector)) {
                let url = el.value().attr(attr).unwrap();
                checked += 1;
                if url.starts_with("tel:")
                    || url.starts_with("mailto:")
                    || url.starts_with("https://")
                    || url.starts_with("http://")
                {
                    continue;
                }
                if let Some(frag) = url.strip_prefix('#') {
                    if !ids.contains(&frag) {
                        broken.push(format!("{file}: #{frag} has no target"));
                    }
                    continue;
                }
                let path = url.split(['#', '?']).next().unwrap();
                let abs = if path.starts_with('/') {
                    path.to_owned()
                } else {
                    // Relative to the page's folder.
                    let base = file.rsplit_once('/').map_or("", |(d, _)| d);
                    format!("/{base}/{path}")
                };
                if routes::is_dynamic(&abs) || routes::is_api_path(&abs) {
                    continue;
                }
                let target = out.join(abs.trim_start_matches('/'));
                let ok = if abs.ends_with('/') || target.is_dir() {
                    target.join("index.html").is_file()
                } else {
                    target.is_file()
                };
                if !ok {
                    broken.push(format!("{file}: {url}"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    checked
}

#[test]
fn every_internal_link_resolves() {
    let out = TempDir::new("links");
    build_into(&content_dir(), &out.0);
    assert!(check_links(&out.0) > 50);
}

#[test]
fn link_checker_catches_broken_links() {
    let out = TempDir::new("links-broken");
    build_into(&content_dir(), &out.0);
    let html = r#"<a href="/non-esiste/">x</a><a href="/accesso">ok</a><a href="/registrazione/numero">ok</a>"#;
    std::fs::write(out.0.join("extra.html"), html).unwrap();
    let err = std::panic::catch_unwind(|| check_links(&out.0)).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("extra.html: /non-esiste/")
            && !msg.contains("/accesso")
            && !msg.contains("/registrazione"),
        "{msg}"
    );
}

#[test]
fn pages_follow_the_csp_and_the_frame() {
    let out = TempDir::new("csp");
    build_into(&content_dir(), &out.0);
    let tree = read_tree(&out.0);
    let html_files: Vec<_> = tree
        .keys()
        .filter(|f| f.ends_with(".html"))
        .cloned()
        .collect();
    assert!(html_files.len() >= 11, "{html_files:?}");
    for file in &html_files {
        let s = std::str::from_utf8(&tree[file]).unwrap();
        let doc = Html::parse_document(s);
        assert!(
            doc.select(&sel("[style]")).next().is_none(),
            "{file}: style attribute"
        );
        assert!(
            doc.select(&sel("style")).next().is_none(),
            "{file}: <style>"
        );
        for script in doc.select(&sel("script")) {
            assert!(
                script.value().attr("src").is_some() && script.inner_html().is_empty(),
                "{file}: inline script"
            );
        }
        for el in doc.select(&sel("*")) {
            assert!(
                !el.value().attrs().any(|(k, _)| k.starts_with("on")),
                "{file}: event handler attribute"
            );
        }
        assert_eq!(doc.select(&sel("html[lang=it]")).count(), 1, "{file}");
        assert_eq!(doc.select(&sel("h1")).count(), 1, "{file}: one h1");
        assert_eq!(doc.select(&sel("main#contenuto")).count(), 1, "{file}");
        assert_eq!(text_of(&doc, "a.skip-link"), ["Vai al contenuto"], "{file}");
        assert!(
            !s.contains("http://") || s.contains("http://www.sitemaps.org"),
            "{file}: no external http resources"
        );
    }
}

#[test]
fn home_page_content() {
    let out = TempDir::new("home");
    build_into(&content_dir(), &out.0);
    let tree = read_tree(&out.0);
    let doc = page(&tree, "index.html");
    assert_eq!(
        text_of(&doc, "h1"),
        ["Portale di eCaring della Convenzione Telefonia Mobile 8"]
    );
    let register: Vec<_> = doc
        .select(&sel("a.btn"))
        .filter(|a| a.text().collect::<String>() == "REGISTRATI ORA")
        .collect();
    assert_eq!(register.len(), 1);
    assert_eq!(
        register[0].value().attr("href"),
        Some(routes::REGISTER_NUMBER)
    );
    let body = text_of(&doc, "main").join(" ");
    for needle in [
        "Utenti registrati Convenzione 7",
        "NUOVO PUBBLICATO IL 16/06/2021 - 12:00",
        "Articolo completo >",
        "TUTTI GLI ARTICOLI",
        "TUTTI I DOCUMENTI",
        "Numero verde fonia 800.680.068",
        "Numero verde fax 800.000.210",
        "Email telefoniamobile8@telecomitalia.it",
        "Email PEC telefoniamobile8@pec.telecomitalia.it",
        "Google Chrome, Mozilla Firefox, Safari o Microsoft Edge",
        "tablet e smartphone",
    ] {
        assert!(body.contains(needle), "home lacks {needle:?}");
    }
    let hrefs: Vec<_> = doc
        .select(&sel("main a"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    for h in [
        "tel:800680068",
        "tel:800000210",
        "mailto:telefoniamobile8@telecomitalia.it",
        "mailto:telefoniamobile8@pec.telecomitalia.it",
        routes::NEWS,
        routes::DOCUMENTS,
        "/news/utenti-registrati-convenzione-7/",
    ] {
        assert!(hrefs.contains(&h), "home lacks a link to {h}");
    }
    // Header and footer.
    assert_eq!(
        text_of(&doc, "header .brand"),
        ["TIM · Convenzione Telefonia Mobile 8"]
    );
    let nav: Vec<_> = doc
        .select(&sel("header nav a"))
        .map(|a| a.value().attr("href").unwrap())
        .collect();
    assert_eq!(nav, [routes::NEWS, routes::DOCUMENTS, routes::LOGIN]);
    assert_eq!(text_of(&doc, "header nav a").last().unwrap(), "Accedi");
    let footer = text_of(&doc, "footer").join(" ");
    assert!(
        footer.contains("Privacy Policy & Cookie")
            && footer.contains("Gruppo TIM © 2026 - P.IVA 00488410010"),
        "{footer}"
    );
}

#[test]
fn article_and_documents_pages() {
    let out = TempDir::new("pages");
    build_into(&content_dir(), &out.0);
    let tree = read_tree(&out.0);

    let doc = page(&tree, "news/utenti-registrati-convenzione-7/index.html");
    assert_eq!(text_of(&doc, "h1"), ["Utenti registrati Convenzione 7"]);
    let body = text_of(&doc, "main").join(" ");
    assert!(body.contains("PUBBLICATO IL 16/06/2021 - 12:00"));
    assert!(body.contains("Convenzione di Telefonia Mobile 5, 6 o 7"));
    assert!(body.contains("username e la password già in tuo possesso"));
    assert!(doc
        .select(&sel("article a"))
        .any(|a| a.value().attr("href") == Some(routes::LOGIN)));

    let doc = page(&tree, "documenti/index.html");
    let titles = text_of(&doc, ".doc-list h2");
    assert_eq!(
        titles,
        [
            "Guida alla registrazione e all'accesso",
            "Termini e condizioni generali",
            "Informativa privacy"
        ]
    );
    let facts = text_of(&doc, ".doc-facts");
    for f in &facts {
        assert!(
            f.starts_with("Versione 1.0 del 01/11/2026 · Formato PDF · ") && f.ends_with(" KB"),
            "{f}"
        );
    }
    for slug in [
        "guida-registrazione-accesso",
        "termini-e-condizioni",
        "informativa-privacy",
    ] {
        let pdf = &tree[&format!("documenti/files/{slug}.pdf")];
        assert!(pdf.starts_with(b"%PDF-"), "{slug}");
        let kb = pdf.len().div_ceil(1024);
        assert!(
            facts.iter().any(|f| f.ends_with(&format!("· {kb} KB"))),
            "size of {slug} shown as {kb} KB"
        );
    }

    let doc = page(&tree, "privacy/index.html");
    assert_eq!(text_of(&doc, "h1"), ["Privacy Policy & Cookie"]);
    let body = text_of(&doc, "main").join(" ");
    for needle in [
        "TIM S.p.A.",
        "Titolare del trattamento",
        "Finalità e base giuridica",
        "Conservazione",
        "Diritti dell'interessato",
        "cookie tecnici",
        "reg_flow",
        "Versione 1.0 del 01/11/2026",
    ] {
        assert!(body.contains(needle), "privacy lacks {needle:?}");
    }

    let doc = page(&tree, "contatti/index.html");
    assert_eq!(
        text_of(&doc, ".contact-value"),
        [
            "800.680.068",
            "800.000.210",
            "telefoniamobile8@telecomitalia.it",
            "telefoniamobile8@pec.telecomitalia.it"
        ]
    );

    let doc = page(&tree, "404.html");
    assert_eq!(text_of(&doc, "h1"), ["Pagina non trovata"]);
    assert_eq!(
        doc.select(&sel(r#"meta[name=robots][content="noindex, nofollow"]"#))
            .count(),
        1
    );

    let robots = std::str::from_utf8(&tree["robots.txt"]).unwrap();
    for p in [
        "/registrazione/",
        "/accesso",
        "/recupero",
        "/area-clienti",
        "/esci",
    ] {
        assert!(robots.contains(&format!("Disallow: {p}\n")), "{robots}");
    }
    let sitemap = std::str::from_utf8(&tree["sitemap.xml"]).unwrap();
    assert!(sitemap.contains("<loc>https://www.convenzione-telefonia.tim.it/</loc>"));
    assert!(sitemap.contains(
        "<loc>https://www.convenzione-telefonia.tim.it/news/utenti-registrati-convenzione-7/</loc\
        ><lastmod>2021-06-16</lastmod>"
    ));
    assert!(
        !sitemap.contains("/accesso")
            && !sitemap.contains("/registrazione")
            && !sitemap.contains("404")
    );
}

fn add_article(dir: &Path, slug: &str, published: &str) {
    let text = format!(
        "---\ntitle: Articolo {slug}\npublished: {published}\nsummary: Sommario {slug}\n---\nTesto di {slug}.\n"
    );
    std::fs::write(dir.join("news").join(format!("{slug}.md")), text).unwrap();
}

#[test]
fn news_are_paginated_newest_first_and_new_is_relative_to_the_newest() {
    let content = TempDir::new("many-content");
    copy_dir(&content_dir(), &content.0);
    for f in std::fs::read_dir(content.0.join("news")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    // 23 articles, one a day from 2030-01-01 (a-01 oldest … a-23 newest), inserted shuffled.
    for i in [
        7, 1, 23, 12, 3, 18, 9, 15, 21, 2, 11, 5, 20, 14, 8, 16, 4, 22, 10, 6, 19, 13, 17,
    ] {
        add_article(
            &content.0,
            &format!("a-{i:02}"),
            &format!("2030-01-{i:02} 08:00"),
        );
    }
    // One much older article: not NUOVO (more than 60 days before the newest).
    add_article(&content.0, "vecchio", "2029-10-01 08:00");
    let out = TempDir::new("many-out");
    build_into(&content.0, &out.0);
    let tree = read_tree(&out.0);

    let list = |file: &str| text_of(&page(&tree, file), ".news-list h2");
    let p1 = list("news/index.html");
    let p2 = list("news/pagina/2/index.html");
    let p3 = list("news/pagina/3/index.html");
    assert_eq!(p1.len(), 10);
    assert_eq!(p2.len(), 10);
    assert_eq!(p1[0], "Articolo a-23");
    assert_eq!(p1[9], "Articolo a-14");
    assert_eq!(p2[0], "Articolo a-13");
    assert_eq!(
        p3,
        [
            "Articolo a-03",
            "Articolo a-02",
            "Articolo a-01",
            "Articolo vecchio"
        ]
    );
    assert!(!tree.contains_key("news/pagina/4/index.html"));
    assert!(
        !tree.contains_key("news/pagina/1/index.html"),
        "page 1 is /news/"
    );

    let doc = page(&tree, "news/pagina/2/index.html");
    assert_eq!(text_of(&doc, "h1"), ["News - pagina 2 di 3"]);
    assert_eq!(
        text_of(&doc, ".pagination [aria-current=page]"),
        ["Pagina 2"]
    );
    let links: Vec<_> = doc
        .select(&sel(".pagination a"))
        .map(|a| a.value().attr("href").unwrap())
        .collect();
    assert_eq!(
        links,
        ["/news/", "/news/", "/news/pagina/3/", "/news/pagina/3/"]
    );

    // Home shows the newest; NUOVO on all but the old one.
    let home = page(&tree, "index.html");
    assert_eq!(text_of(&home, ".news-title"), ["Articolo a-23"]);
    let p3_doc = page(&tree, "news/pagina/3/index.html");
    let metas = text_of(&p3_doc, ".news-list .meta");
    assert!(
        metas[2].starts_with("NUOVO PUBBLICATO IL 01/01/2030 - 08:00"),
        "{metas:?}"
    );
    assert_eq!(metas[3], "PUBBLICATO IL 01/10/2029 - 08:00");
    check_links(&out.0);
}

#[test]
fn content_errors_stop_the_build_with_file_and_line() {
    let content = TempDir::new("bad-content");
    copy_dir(&content_dir(), &content.0);
    let bad = content.0.join("news").join("data-errata.md");
    std::fs::write(
        &bad,
        "---\ntitle: T\nsummary: S\npublished: 2021-06-31 12:00\n---\nx\n",
    )
    .unwrap();
    let err = build(&Options::new(&content.0)).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}:4: data non valida \"2021-06-31 12:00\" nel campo \"published\": formato atteso AAAA-MM-GG hh:mm",
            bad.display()
        )
    );

    std::fs::write(
        &bad,
        "---\npublished: 2021-06-01 12:00\nsummary: S\n---\nx\n",
    )
    .unwrap();
    let err = build(&Options::new(&content.0)).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}:4: campo obbligatorio mancante: \"title\"",
            bad.display()
        )
    );

    std::fs::write(
        &bad,
        "---\ntitle: T\npublished: 2021-06-01 12:00\nsummary: S\n---\n\n[x](route:NOPE)\n",
    )
    .unwrap();
    let err = build(&Options::new(&content.0)).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}:7: rotta sconosciuta", bad.display())),
        "{err}"
    );
}

#[test]
fn write_refuses_foreign_dirs_and_replaces_its_own() {
    let out = TempDir::new("write");
    std::fs::write(out.0.join("mio-file.txt"), "x").unwrap();
    let site = build(&Options::new(content_dir())).unwrap();
    let err = write(&site, &out.0).unwrap_err().to_string();
    assert!(err.contains("non è vuota"), "{err}");
    assert!(out.0.join("mio-file.txt").exists());

    std::fs::remove_file(out.0.join("mio-file.txt")).unwrap();
    write(&site, &out.0).unwrap();
    std::fs::write(out.0.join("stantio.html"), "x").unwrap();
    write(&site, &out.0).unwrap();
    assert!(
        !out.0.join("stantio.html").exists(),
        "a rebuild removes stale files"
    );
    assert!(out.0.join("index.html").exists());
}

#[test]
fn default_content_dir_is_the_crates() {
    assert!(default_content_dir().join("news").is_dir());
}

#[test]
fn cli_builds_with_content_and_base_url() {
    let out = TempDir::new("cli");
    let site = out.0.join("site");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_static-site"))
        .args([
            "--out",
            site.to_str().unwrap(),
            "--content",
            content_dir().to_str().unwrap(),
            "--base-url",
            "https://esempio.it/",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let sitemap = std::fs::read_to_string(site.join("sitemap.xml")).unwrap();
    assert!(sitemap.contains("<loc>https://esempio.it/news/</loc>"));
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_static-site"))
        .args(["--bogus"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("argomento sconosciuto"));
}
