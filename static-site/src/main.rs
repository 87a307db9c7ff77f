//! `static-site --out DIR [--content DIR] [--base-url URL]`: writes the public area.

use std::path::PathBuf;
use std::process::ExitCode;

use static_site::{build, default_content_dir, write, Options, DEFAULT_BASE_URL};

const USAGE: &str = "uso: static-site --out DIR [--content DIR] [--base-url URL]

  --out DIR        cartella in cui scrivere il sito (sostituita se generata in precedenza)
  --content DIR    contenuti (predefinito: static-site/content)
  --base-url URL   indirizzo pubblico per sitemap.xml e robots.txt
                   (predefinito: https://www.convenzione-telefonia.tim.it)";

fn parse(args: impl Iterator<Item = String>) -> Result<(PathBuf, Options), String> {
    let mut out = None;
    let mut content = None;
    let mut base_url = DEFAULT_BASE_URL.to_owned();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{flag}: manca il valore"))
        };
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--content" => content = Some(PathBuf::from(value()?)),
            "--base-url" => {
                base_url = value()?;
                if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
                    return Err(format!("--base-url: indirizzo non valido \"{base_url}\""));
                }
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("argomento sconosciuto \"{other}\"")),
        }
    }
    let out = out.ok_or("manca --out DIR")?;
    let base_url = base_url.trim_end_matches('/').to_owned();
    Ok((
        out,
        Options {
            content_dir: content.unwrap_or_else(default_content_dir),
            base_url,
        },
    ))
}

fn main() -> ExitCode {
    let (out, opts) = match parse(std::env::args().skip(1)) {
        Ok(v) => v,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("static-site: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match build(&opts).and_then(|site| write(&site, &out).map(|()| site)) {
        Ok(site) => {
            let bytes: usize = site.files.values().map(Vec::len).sum();
            println!(
                "static-site: {} file ({} KB) scritti in {}",
                site.files.len(),
                bytes / 1024,
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("static-site: {e}");
            ExitCode::FAILURE
        }
    }
}
