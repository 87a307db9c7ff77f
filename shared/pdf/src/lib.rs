//! Real PDF files: the public documents (from the same Markdown blocks as their pages,
//! `static-site`) and the private area's "Scarica i tuoi dati".
//!
//! `pdf-writer` writes PDF objects but does no text layout, so this module does the
//! minimum by hand: greedy word wrapping on A4, headings in bold, list markers, a
//! running header and "Pagina n di N" footer. It uses three of the PDF standard 14
//! fonts (Helvetica, Helvetica-Bold, Helvetica-Oblique), which every reader has, so
//! nothing is embedded; they are declared with WinAnsiEncoding so Italian accented
//! letters (à è é ì ò ù …) are single bytes the reader maps correctly. Wrapping needs
//! the glyph widths, which PDF readers know but we must supply: [`width`] carries
//! them from Adobe's published AFM metrics for these fonts (only the WinAnsi subset
//! Italian text uses; anything else falls back to a safe average). The output is
//! deterministic: no dates, no random file ids.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// Text style of a run (PDF fonts: Helvetica, Helvetica-Bold, Helvetica-Oblique).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Regular,
    Bold,
    Italic,
}

/// A piece of text in one style. A run whose text is `"\n"` is a forced line break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub text: String,
    pub style: Style,
}

/// A block of the PDF rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Markdown heading level (1–6).
    Heading { level: u8, runs: Vec<Run> },
    /// A paragraph, list item (`marker` "•" or "1.") or table row; `indent` in list
    /// levels; `quote` inside a block quote.
    Para {
        runs: Vec<Run>,
        indent: u8,
        marker: Option<String>,
        quote: bool,
    },
    /// A horizontal rule.
    Rule,
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN_X: f32 = 60.0;
const TOP: f32 = PAGE_H - 84.0;
const BOTTOM: f32 = 64.0;
const INDENT: f32 = 16.0;
const BLUE: (f32, f32, f32) = (0.0, 70.0 / 255.0, 145.0 / 255.0);
const TEXT: (f32, f32, f32) = (0.11, 0.12, 0.14);
const MUTED: (f32, f32, f32) = (0.31, 0.35, 0.39);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
    Italic,
}

impl Font {
    fn name(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
            Font::Italic => Name(b"F3"),
        }
    }
    fn from_style(s: Style, force_bold: bool) -> Font {
        match s {
            _ if force_bold => Font::Bold,
            Style::Regular => Font::Regular,
            Style::Bold => Font::Bold,
            Style::Italic => Font::Italic,
        }
    }
}

/// Maps a char to its WinAnsiEncoding (cp1252) byte; `None` if it has none.
fn win_ansi(c: char) -> Option<u8> {
    let cp = c as u32;
    Some(match c {
        ' '..='~' => cp as u8,
        '\u{a0}'..='\u{ff}' => cp as u8,
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '™' => 0x99,
        _ => return None,
    })
}

/// Text as WinAnsi bytes; characters it lacks become close equivalents or `?`.
fn encode(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '►' | '▶' | '→' => b'>',
            '←' => b'<',
            '\t' | '\n' => b' ',
            c => win_ansi(c).unwrap_or(b'?'),
        })
        .collect()
}

/// Glyph width (1/1000 em) of a WinAnsi byte in the font, from Adobe's AFM files for
/// Helvetica and Helvetica-Bold (Helvetica-Oblique has Helvetica's widths).
fn width(b: u8, font: Font) -> u16 {
    // Printable ASCII 0x20..=0x7E.
    const REGULAR: [u16; 95] = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
        278, // ' '..'/'
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584,
        556, // '0'..'?'
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722,
        778, // '@'..'O'
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
        556, // 'P'..'_'
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556,
        556, // '`'..'o'
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 'p'..'~'
    ];
    const BOLD: [u16; 95] = [
        278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, //
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, //
        975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, //
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, //
        333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, //
        611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, //
    ];
    let bold = font == Font::Bold;
    let ascii = |c: u8| {
        if bold {
            BOLD[(c - 0x20) as usize]
        } else {
            REGULAR[(c - 0x20) as usize]
        }
    };
    match b {
        0x20..=0x7e => ascii(b),
        // Accented letters have their base letter's width, except ì í î ï (dotless i: 278).
        0xc0..=0xc5 => ascii(b'A'),
        0xc7 => ascii(b'C'),
        0xc8..=0xcb => ascii(b'E'),
        0xcc..=0xcf => 278,
        0xd1 => ascii(b'N'),
        0xd2..=0xd6 | 0xd8 => ascii(b'O'),
        0xd9..=0xdc => ascii(b'U'),
        0xe0..=0xe5 => ascii(b'a'),
        0xe7 => ascii(b'c'),
        0xe8..=0xeb => ascii(b'e'),
        0xec..=0xef => 278,
        0xf1 => ascii(b'n'),
        0xf2..=0xf6 | 0xf8 => ascii(b'o'),
        0xf9..=0xfc => ascii(b'u'),
        0xa0 => 278,
        0xb7 => 278, // periodcentered
        0x91 | 0x92 => {
            if bold {
                278
            } else {
                222
            }
        } // quoteleft/right
        0x93 | 0x94 => {
            if bold {
                500
            } else {
                333
            }
        } // quotedblleft/right
        0x95 => 350, // bullet
        0x96 => 556, // endash
        0x85 | 0x97 => 1000, // ellipsis, emdash
        0xa9 => 737, // copyright
        0xb0 => 400, // degree
        _ => 556,
    }
}

fn text_width(bytes: &[u8], font: Font, size: f32) -> f32 {
    bytes.iter().map(|&b| width(b, font) as f32).sum::<f32>() * size / 1000.0
}

/// One drawing operation on a page.
#[derive(Debug, Clone)]
enum Op {
    /// Text segments on one baseline, starting at `x`.
    Line {
        x: f32,
        y: f32,
        size: f32,
        color: (f32, f32, f32),
        segs: Vec<(Font, Vec<u8>)>,
    },
    Rule {
        y: f32,
        x1: f32,
        x2: f32,
        color: (f32, f32, f32),
        width: f32,
    },
    /// A vertical bar (block quotes) from `y1` down to `y2`.
    Bar { x: f32, y1: f32, y2: f32 },
}

/// Greedy word wrap of runs into lines of at most `max` points.
fn wrap(runs: &[Run], size: f32, force_bold: bool, max: f32) -> Vec<Vec<(Font, Vec<u8>)>> {
    // Words with their font; `None` marks a forced break.
    let mut words: Vec<Option<(Font, Vec<u8>, bool)>> = Vec::new(); // (font, bytes, space before)
    let mut space_pending = false;
    for run in runs {
        if run.text == "\n" {
            words.push(None);
            space_pending = false;
            continue;
        }
        let font = Font::from_style(run.style, force_bold);
        let text = run.text.as_str();
        let mut first = true;
        for piece in text.split(' ') {
            if !first {
                space_pending = true;
            }
            first = false;
            if piece.is_empty() {
                continue;
            }
            // A word continuing the previous run without a space (e.g. "**bold**,").
            let glue = !space_pending && matches!(words.last(), Some(Some(_)));
            words.push(Some((font, encode(piece), !glue)));
            space_pending = false;
        }
    }

    let mut lines: Vec<Vec<(Font, Vec<u8>)>> = Vec::new();
    let mut line: Vec<(Font, Vec<u8>)> = Vec::new();
    let mut w = 0.0;
    for word in words {
        let Some((font, bytes, space)) = word else {
            lines.push(std::mem::take(&mut line));
            w = 0.0;
            continue;
        };
        let space_w = if space && !line.is_empty() {
            text_width(b" ", font, size)
        } else {
            0.0
        };
        let word_w = text_width(&bytes, font, size);
        if !line.is_empty() && w + space_w + word_w > max && space {
            lines.push(std::mem::take(&mut line));
            w = 0.0;
        }
        let lead_space = space && !line.is_empty();
        w += if lead_space { space_w } else { 0.0 } + word_w;
        match line.last_mut() {
            Some((f, seg)) if *f == font => {
                if lead_space {
                    seg.push(b' ');
                }
                seg.extend_from_slice(&bytes);
            }
            _ => {
                let mut seg = Vec::with_capacity(bytes.len() + 1);
                if lead_space {
                    seg.push(b' ');
                }
                seg.extend_from_slice(&bytes);
                line.push((font, seg));
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Layout {
            pages: vec![Vec::new()],
            y: TOP,
        }
    }
    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }
    fn ensure(&mut self, height: f32) {
        if self.y - height < BOTTOM && self.y < TOP {
            self.new_page();
        }
    }
    fn push(&mut self, op: Op) {
        self.pages.last_mut().expect("one page").push(op);
    }
    /// Writes wrapped lines; `keep` lines must stay together with what precedes.
    fn lines(
        &mut self,
        lines: Vec<Vec<(Font, Vec<u8>)>>,
        x: f32,
        size: f32,
        leading: f32,
        color: (f32, f32, f32),
        keep: usize,
    ) {
        self.ensure(leading * keep.min(lines.len()).max(1) as f32);
        for segs in lines {
            self.ensure(leading);
            self.y -= leading;
            self.push(Op::Line {
                x,
                y: self.y,
                size,
                color,
                segs,
            });
        }
    }
}

/// Renders a document: `title` and `subtitle` (e.g. "Versione 1.0 del 01/11/2026") on
/// top of page one, then the blocks.
pub fn render(title: &str, subtitle: &str, blocks: &[Block]) -> Vec<u8> {
    let width = PAGE_W - 2.0 * MARGIN_X;
    let mut l = Layout::new();

    let title_runs = [Run {
        text: title.to_owned(),
        style: Style::Bold,
    }];
    l.lines(
        wrap(&title_runs, 20.0, true, width),
        MARGIN_X,
        20.0,
        25.0,
        BLUE,
        1,
    );
    let sub = [Run {
        text: subtitle.to_owned(),
        style: Style::Regular,
    }];
    l.y -= 4.0;
    l.lines(
        wrap(&sub, 10.0, false, width),
        MARGIN_X,
        10.0,
        14.0,
        MUTED,
        1,
    );
    l.y -= 10.0;
    l.push(Op::Rule {
        y: l.y,
        x1: MARGIN_X,
        x2: PAGE_W - MARGIN_X,
        color: BLUE,
        width: 0.8,
    });
    l.y -= 6.0;

    let mut after_item = false;
    for block in blocks {
        // A little air after a list, before whatever follows it.
        let is_item = matches!(
            block,
            Block::Para {
                marker: Some(_),
                ..
            }
        );
        if after_item && !is_item && l.y < TOP {
            l.y -= 5.0;
        }
        after_item = is_item;
        match block {
            Block::Heading { level, runs } => {
                let (size, leading, before) = match level {
                    1 => (16.0, 21.0, 16.0),
                    2 => (14.0, 19.0, 14.0),
                    3 => (12.0, 16.0, 10.0),
                    _ => (10.5, 15.0, 8.0),
                };
                let lines = wrap(runs, size, true, width);
                // Keep the heading with at least two body lines.
                l.ensure(before + leading * lines.len() as f32 + 30.0);
                if l.y < TOP {
                    l.y -= before;
                }
                let color = if *level <= 3 { BLUE } else { TEXT };
                l.lines(lines, MARGIN_X, size, leading, color, usize::MAX);
                l.y -= 2.0;
            }
            Block::Para {
                runs,
                indent,
                marker,
                quote,
            } => {
                let x = MARGIN_X + INDENT * f32::from(*indent) + if *quote { 14.0 } else { 0.0 };
                let lines = wrap(runs, 10.5, false, PAGE_W - MARGIN_X - x);
                if lines.is_empty() {
                    continue;
                }
                l.ensure(15.0 * lines.len().min(2) as f32);
                if let Some(m) = marker {
                    let m = encode(m);
                    let mx = x - 4.0 - text_width(&m, Font::Regular, 10.5);
                    // The marker shares the first line's baseline.
                    l.push(Op::Line {
                        x: mx,
                        y: l.y - 15.0,
                        size: 10.5,
                        color: TEXT,
                        segs: vec![(Font::Regular, m)],
                    });
                }
                let (page, top) = (l.pages.len(), l.y);
                l.lines(lines, x, 10.5, 15.0, TEXT, 2);
                if *quote {
                    // The bar spans the lines on this paragraph's last page.
                    let y1 = if l.pages.len() == page { top } else { TOP };
                    l.push(Op::Bar {
                        x: x - 10.0,
                        y1: y1 - 2.0,
                        y2: l.y - 4.0,
                    });
                }
                l.y -= if marker.is_some() { 3.0 } else { 7.0 };
            }
            Block::Rule => {
                l.ensure(16.0);
                l.y -= 8.0;
                l.push(Op::Rule {
                    y: l.y,
                    x1: MARGIN_X,
                    x2: PAGE_W - MARGIN_X,
                    color: MUTED,
                    width: 0.5,
                });
                l.y -= 8.0;
            }
        }
    }
    write_pdf(title, subtitle, &l.pages)
}

fn write_pdf(title: &str, subtitle: &str, pages: &[Vec<Op>]) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let info = Ref::new(3);
    let fonts = [
        (Font::Regular, Ref::new(4), "Helvetica"),
        (Font::Bold, Ref::new(5), "Helvetica-Bold"),
        (Font::Italic, Ref::new(6), "Helvetica-Oblique"),
    ];
    let page_ref = |i: usize| Ref::new(7 + 2 * i as i32);
    let content_ref = |i: usize| Ref::new(8 + 2 * i as i32);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree).lang(TextStr("it-IT"));
    pdf.document_info(info)
        .title(TextStr(title))
        .subject(TextStr(subtitle))
        .author(TextStr("TIM S.p.A."))
        .creator(TextStr(
            "Portale Convenzione Telefonia Mobile 8 - static-site",
        ));
    pdf.pages(tree)
        .kids((0..pages.len()).map(page_ref))
        .count(pages.len() as i32);
    for (_, id, base) in fonts {
        pdf.type1_font(id)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }

    let total = pages.len();
    let footer_left = encode(&format!("{title} - {subtitle}"));
    for (i, ops) in pages.iter().enumerate() {
        let mut page = pdf.page(page_ref(i));
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree)
            .contents(content_ref(i));
        let mut res = page.resources();
        let mut f = res.fonts();
        for (font, id, _) in fonts {
            f.pair(font.name(), id);
        }
        f.finish();
        res.finish();
        page.finish();

        let mut c = Content::new();
        // Running header.
        draw_text(
            &mut c,
            MARGIN_X,
            PAGE_H - 44.0,
            9.0,
            BLUE,
            &[(Font::Bold, encode("TIM · Convenzione Telefonia Mobile 8"))],
        );
        draw_rule(
            &mut c,
            PAGE_H - 52.0,
            MARGIN_X,
            PAGE_W - MARGIN_X,
            BLUE,
            1.5,
        );
        // Footer: document and version on the left, page number on the right.
        draw_rule(&mut c, 48.0, MARGIN_X, PAGE_W - MARGIN_X, MUTED, 0.5);
        draw_text(
            &mut c,
            MARGIN_X,
            34.0,
            8.0,
            MUTED,
            &[(Font::Regular, footer_left.clone())],
        );
        let num = encode(&format!("Pagina {} di {total}", i + 1));
        let nx = PAGE_W - MARGIN_X - text_width(&num, Font::Regular, 8.0);
        draw_text(&mut c, nx, 34.0, 8.0, MUTED, &[(Font::Regular, num)]);
        for op in ops {
            match op {
                Op::Line {
                    x,
                    y,
                    size,
                    color,
                    segs,
                } => draw_text(&mut c, *x, *y, *size, *color, segs),
                Op::Rule {
                    y,
                    x1,
                    x2,
                    color,
                    width,
                } => draw_rule(&mut c, *y, *x1, *x2, *color, *width),
                Op::Bar { x, y1, y2 } => {
                    c.set_stroke_rgb(BLUE.0, BLUE.1, BLUE.2);
                    c.set_line_width(3.0);
                    c.move_to(*x, *y1);
                    c.line_to(*x, *y2);
                    c.stroke();
                }
            }
        }
        pdf.stream(content_ref(i), &c.finish());
    }
    pdf.finish()
}

fn draw_text(
    c: &mut Content,
    x: f32,
    y: f32,
    size: f32,
    (r, g, b): (f32, f32, f32),
    segs: &[(Font, Vec<u8>)],
) {
    c.begin_text();
    c.set_fill_rgb(r, g, b);
    c.next_line(x, y);
    for (font, bytes) in segs {
        c.set_font(font.name(), size);
        c.show(Str(bytes));
    }
    c.end_text();
}

fn draw_rule(c: &mut Content, y: f32, x1: f32, x2: f32, (r, g, b): (f32, f32, f32), width: f32) {
    c.set_stroke_rgb(r, g, b);
    c.set_line_width(width);
    c.move_to(x1, y);
    c.line_to(x2, y);
    c.stroke();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, style: Style) -> Run {
        Run {
            text: text.into(),
            style,
        }
    }

    #[test]
    fn encodes_italian_in_win_ansi() {
        assert_eq!(
            encode("àèéìòù È"),
            vec![0xe0, 0xe8, 0xe9, 0xec, 0xf2, 0xf9, b' ', 0xc8]
        );
        assert_eq!(
            encode("“sì” – € •"),
            vec![0x93, b's', 0xec, 0x94, b' ', 0x96, b' ', 0x80, b' ', 0x95]
        );
        assert_eq!(encode("► 日"), b"> ?".to_vec());
    }

    #[test]
    fn widths_follow_helvetica_metrics() {
        assert_eq!(
            text_width(b"Hello", Font::Regular, 1000.0),
            722.0 + 556.0 + 222.0 + 222.0 + 556.0
        );
        assert_eq!(width(b'i', Font::Bold), 278);
        assert_eq!(width(0xec, Font::Regular), 278); // ì
        assert_eq!(width(0xe0, Font::Regular), width(b'a', Font::Regular)); // à
    }

    #[test]
    fn wraps_words_and_keeps_styles() {
        let runs = vec![
            run("uno due tre quattro cinque ", Style::Regular),
            run("sei", Style::Bold),
            run(", sette", Style::Regular),
        ];
        let lines = wrap(&runs, 10.0, false, 80.0);
        assert!(lines.len() > 1);
        for line in &lines {
            let w: f32 = line.iter().map(|(f, b)| text_width(b, *f, 10.0)).sum();
            assert!(w <= 80.0, "{w}");
        }
        let all: Vec<u8> = lines
            .iter()
            .flatten()
            .flat_map(|(_, b)| b.clone())
            .collect();
        assert!(
            String::from_utf8_lossy(&all).contains("sei,"),
            "glued punctuation"
        );
        assert!(lines
            .iter()
            .flatten()
            .any(|(f, b)| *f == Font::Bold && b == b" sei" || b == b"sei"));
        let forced = wrap(
            &[
                run("a", Style::Regular),
                run("\n", Style::Regular),
                run("b", Style::Regular),
            ],
            10.0,
            false,
            500.0,
        );
        assert_eq!(forced.len(), 2);
    }

    #[test]
    fn pdf_is_valid_looking_multi_page_and_deterministic() {
        let para = Block::Para {
            runs: vec![run(&"parola ".repeat(600), Style::Regular)],
            indent: 0,
            marker: None,
            quote: true,
        };
        let blocks = vec![
            Block::Heading {
                level: 2,
                runs: vec![run("Titolo è", Style::Regular)],
            },
            para,
        ];
        let a = render("Documento", "Versione 1.0 del 01/11/2026", &blocks);
        let b = render("Documento", "Versione 1.0 del 01/11/2026", &blocks);
        assert_eq!(a, b);
        assert!(a.starts_with(b"%PDF-1.7"));
        assert!(a.ends_with(b"%%EOF") || a.ends_with(b"%%EOF\n"));
        let s = String::from_utf8_lossy(&a);
        assert!(s.contains("/WinAnsiEncoding") && s.contains("/Helvetica-Bold"));
        assert!(
            s.contains("/Count 2") || s.contains("/Count 3"),
            "multi-page"
        );
        assert!(s.contains("(Pagina 1 di "));
    }
}
