//! Markdown → HTML (for pages) and → text blocks (for the PDFs), from the same parse,
//! so a document's page and its PDF never disagree.
//!
//! Content rules, checked with file:line errors:
//! - links to the portal's pages use route names, `[accedi](route:LOGIN)`, resolved
//!   from `domain::routes` (see [`ROUTE_NAMES`]), never copied paths;
//! - no raw HTML (pages run under a CSP without 'unsafe-inline', and it could not go
//!   into the PDF anyway) and no aligned table columns (pulldown-cmark writes those as
//!   inline `style` attributes).

use domain::routes;
use pulldown_cmark::{Alignment, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

use crate::content::{Body, ContentError};

/// Route names usable as `route:NAME` link targets in content.
pub const ROUTE_NAMES: &[(&str, &str)] = &[
    ("HOME", routes::HOME),
    ("NEWS", routes::NEWS),
    ("DOCUMENTS", routes::DOCUMENTS),
    ("CONTACTS", routes::CONTACTS),
    ("PRIVACY", routes::PRIVACY),
    ("LOGIN", routes::LOGIN),
    ("REGISTER_NUMBER", routes::REGISTER_NUMBER),
    ("RECOVER", routes::RECOVER),
];

pub use pdf::{Block, Run, Style};

/// Both renderings of a Markdown body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub blocks: Vec<Block>,
}

/// Resolves `route:NAME`.
pub fn route(name: &str) -> Option<&'static str> {
    ROUTE_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
}

/// Renders `body`; `base_url` (no trailing slash) makes portal links absolute in PDFs.
pub fn render(body: &Body, base_url: &str) -> Result<Rendered, ContentError> {
    let parser = Parser::new_ext(
        &body.markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    );
    let mut events: Vec<Event<'_>> = Vec::new();
    for (event, range) in parser.into_offset_iter() {
        let event = match event {
            Event::Html(_) | Event::InlineHtml(_) => {
                return Err(body.error(
                    range.start,
                    "HTML non ammesso nei contenuti: usare solo Markdown",
                ));
            }
            Event::Start(Tag::Table(ref aligns))
                if aligns.iter().any(|a| *a != Alignment::None) =>
            {
                return Err(body.error(
                    range.start,
                    "allineamento delle colonne non ammesso nelle tabelle",
                ));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = match dest_url.strip_prefix("route:") {
                    Some(name) => match route(name) {
                        Some(path) => CowStr::Borrowed(path),
                        None => {
                            let known: Vec<_> = ROUTE_NAMES.iter().map(|(n, _)| *n).collect();
                            return Err(body.error(
                                range.start,
                                format!(
                                    "rotta sconosciuta \"route:{name}\" (note: {})",
                                    known.join(", ")
                                ),
                            ));
                        }
                    },
                    None => dest_url,
                };
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            other => other,
        };
        events.push(event);
    }
    let mut html = String::with_capacity(body.markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.iter().cloned());
    Ok(Rendered {
        html,
        blocks: blocks(&events, base_url),
    })
}

/// Builds the PDF blocks from the (already validated) events.
fn blocks(events: &[Event<'_>], base_url: &str) -> Vec<Block> {
    let mut b = BlockBuilder {
        base_url,
        ..BlockBuilder::default()
    };
    for event in events {
        b.event(event);
    }
    b.flush();
    b.out
}

#[derive(Default)]
struct BlockBuilder<'a> {
    base_url: &'a str,
    out: Vec<Block>,
    runs: Vec<Run>,
    heading: Option<u8>,
    marker: Option<String>,
    bold: u32,
    italic: u32,
    /// One entry per open list: the next number of an ordered list.
    lists: Vec<Option<u64>>,
    quote: u8,
    in_table_head: bool,
    cells_in_row: u32,
    /// Destination and text so far of the open link.
    link: Option<(String, String)>,
}

impl BlockBuilder<'_> {
    fn style(&self) -> Style {
        if self.bold > 0 || self.in_table_head {
            Style::Bold
        } else if self.italic > 0 {
            Style::Italic
        } else {
            Style::Regular
        }
    }

    fn text(&mut self, text: &str) {
        if let Some((_, t)) = &mut self.link {
            t.push_str(text);
        }
        let style = self.style();
        match self.runs.last_mut() {
            Some(last) if last.style == style && last.text != "\n" => last.text.push_str(text),
            _ => self.runs.push(Run {
                text: text.to_owned(),
                style,
            }),
        }
    }

    /// Ends the block being collected, if it has any text.
    fn flush(&mut self) {
        let runs = std::mem::take(&mut self.runs);
        let marker = self.marker.take();
        if runs.iter().all(|r| r.text.trim().is_empty()) {
            return;
        }
        match self.heading {
            Some(level) => self.out.push(Block::Heading { level, runs }),
            None => self.out.push(Block::Para {
                runs,
                indent: self.lists.len() as u8,
                marker,
                quote: self.quote > 0,
            }),
        }
    }

    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::Start(tag) => match tag {
                Tag::Heading { level, .. } => {
                    self.flush();
                    self.heading = Some(*level as u8);
                }
                // A loose list item's first paragraph keeps the item's marker.
                Tag::Paragraph if !self.runs.is_empty() => self.flush(),
                Tag::List(start) => {
                    self.flush();
                    self.lists.push(*start);
                }
                Tag::Item => {
                    self.flush();
                    self.marker = Some(match self.lists.last_mut() {
                        Some(Some(n)) => {
                            *n += 1;
                            format!("{}.", *n - 1)
                        }
                        _ => "•".to_owned(),
                    });
                }
                Tag::BlockQuote(_) => {
                    self.flush();
                    self.quote += 1;
                }
                Tag::TableHead => {
                    self.in_table_head = true;
                    self.cells_in_row = 0;
                }
                Tag::TableRow => self.cells_in_row = 0,
                Tag::TableCell => {
                    if self.cells_in_row > 0 {
                        self.text(" | ");
                    }
                    self.cells_in_row += 1;
                }
                Tag::Strong => self.bold += 1,
                Tag::Emphasis => self.italic += 1,
                Tag::Link {
                    dest_url,
                    link_type,
                    ..
                } => {
                    let shown = match *link_type {
                        LinkType::Email => String::new(),
                        _ => self.link_target(dest_url),
                    };
                    self.link = Some((shown, String::new()));
                }
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Heading(_) => {
                    self.flush();
                    self.heading = None;
                }
                TagEnd::Paragraph | TagEnd::Item => self.flush(),
                TagEnd::List(_) => {
                    self.flush();
                    self.lists.pop();
                }
                TagEnd::BlockQuote(_) => {
                    self.flush();
                    self.quote = self.quote.saturating_sub(1);
                }
                TagEnd::TableHead => {
                    self.flush();
                    self.in_table_head = false;
                }
                TagEnd::TableRow => self.flush(),
                TagEnd::Strong => self.bold = self.bold.saturating_sub(1),
                TagEnd::Emphasis => self.italic = self.italic.saturating_sub(1),
                TagEnd::Link => {
                    if let Some((shown, text)) = self.link.take() {
                        if !shown.is_empty() && text.trim() != shown {
                            let saved = (self.bold, self.italic);
                            (self.bold, self.italic) = (0, 0);
                            self.text(&format!(" ({shown})"));
                            (self.bold, self.italic) = saved;
                        }
                    }
                }
                _ => {}
            },
            Event::Text(t) | Event::Code(t) => self.text(t),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.runs.push(Run {
                text: "\n".into(),
                style: Style::Regular,
            }),
            Event::Rule => {
                self.flush();
                self.out.push(Block::Rule);
            }
            _ => {}
        }
    }

    /// How a link's target is written after its text in the PDF ("" = not at all).
    fn link_target(&self, dest: &str) -> String {
        if let Some(addr) = dest.strip_prefix("mailto:") {
            addr.to_owned()
        } else if dest.starts_with("tel:") || dest.starts_with('#') {
            String::new()
        } else if dest.starts_with('/') {
            format!("{}{dest}", self.base_url)
        } else {
            dest.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn body(md: &str) -> Body {
        Body {
            file: PathBuf::from("c/x.md"),
            first_line: 10,
            markdown: md.to_owned(),
        }
    }

    fn r(md: &str) -> Rendered {
        render(&body(md), "https://example.it").unwrap()
    }

    #[test]
    fn route_links_resolve_to_constants() {
        let out = r("Vai alla [pagina di accesso](route:LOGIN).");
        assert!(out.html.contains(&format!(
            r#"<a href="{}">pagina di accesso</a>"#,
            routes::LOGIN
        )));
        let Block::Para { runs, .. } = &out.blocks[0] else {
            panic!()
        };
        let text: String = runs.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            text,
            format!(
                "Vai alla pagina di accesso (https://example.it{}).",
                routes::LOGIN
            )
        );
    }

    #[test]
    fn unknown_route_and_html_are_errors_with_lines() {
        let e = render(&body("uno\n\n[x](route:NOPE)\n"), "").unwrap_err();
        assert_eq!(e.line, 12);
        assert!(
            e.to_string()
                .starts_with("c/x.md:12: rotta sconosciuta \"route:NOPE\""),
            "{e}"
        );
        let e = render(&body("a\n\n<div style=\"x\">b</div>\n"), "").unwrap_err();
        assert_eq!((e.line, e.message.contains("HTML non ammesso")), (12, true));
        let e = render(&body("a <b>x</b>\n"), "").unwrap_err();
        assert_eq!(e.line, 10);
        let e = render(&body("| a | b |\n|:--|--:|\n| 1 | 2 |\n"), "").unwrap_err();
        assert!(e.message.contains("allineamento"));
    }

    #[test]
    fn blocks_for_pdf() {
        let out = r("## Titolo **forte**\n\nUn *testo* con **grassetto**.\n\n- uno\n- due\n  1. a\n  2. b\n\n---\n\n| \
            K | V |\n|---|---|\n| x | y |\n");
        assert_eq!(
            out.blocks[0],
            Block::Heading {
                level: 2,
                runs: vec![
                    Run {
                        text: "Titolo ".into(),
                        style: Style::Regular
                    },
                    Run {
                        text: "forte".into(),
                        style: Style::Bold
                    }
                ]
            }
        );
        let markers: Vec<_> = out
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Para {
                    marker: Some(m),
                    indent,
                    ..
                } => Some((m.as_str(), *indent)),
                _ => None,
            })
            .collect();
        assert_eq!(markers, [("•", 1), ("•", 1), ("1.", 2), ("2.", 2)]);
        assert!(out.blocks.contains(&Block::Rule));
        let Some(Block::Para { runs, .. }) = out.blocks.last() else {
            panic!()
        };
        assert_eq!(
            runs,
            &[Run {
                text: "x | y".into(),
                style: Style::Regular
            }]
        );
        assert!(out.html.contains("<table>") && !out.html.contains("style="));
    }

    #[test]
    fn mail_links_show_the_address_once() {
        let out = r(
            "Scrivi a [telefoniamobile8@telecomitalia.it](mailto:telefoniamobile8@telecomitalia.it) o <info@tim.it>.",
        );
        let Block::Para { runs, .. } = &out.blocks[0] else {
            panic!()
        };
        let text: String = runs.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            text,
            "Scrivi a telefoniamobile8@telecomitalia.it o info@tim.it."
        );
    }
}
