//! The generator: injections, wrong types, odd Unicode, huge and mutated values, seeded.

use super::*;

/// Strings that must come back escaped, never as markup.
pub(super) const INJECTIONS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><script>alert(document.cookie)</script>",
    "'><img src=x onerror=alert(1)>",
    "\" autofocus onfocus=\"alert(1)",
    "<svg/onload=alert(1)>",
    "</textarea><iframe src=javascript:alert(1)>",
    "' OR 1=1 --",
    "\" OR \"\"=\"",
    "admin'--",
    "{{7*7}}",
    "${7*7}",
    "<%= 7*7 %>",
    "#{7*7}",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "%00",
    "&lt;script&gt;",
    "&#60;script&#62;",
    "javascript:alert(1)",
    "{\"$gt\": \"\"}",
    "\r\nSet-Cookie: session=evil",
    "' UNION SELECT pk FROM portale --",
    "LINE#+393331234567",
    "ACCOUNT#x",
];

pub(super) const WRONG_TYPES: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "NaN",
    "Infinity",
    "true",
    "false",
    "null",
    "undefined",
    "[]",
    "{}",
    "[object Object]",
    "0x41",
    "9999999999999999999999",
    "3.14",
    "-0",
];

pub(super) const UNICODE: &[&str] = &[
    "\u{0}",
    "a\u{0}b",
    "\r\n",
    "\r",
    "\t",
    "\u{202e}gnp.exe",
    "\u{200b}\u{200d}\u{feff}",
    "😀👍🏽",
    "e\u{301}",
    "İstanbul",
    "ß",
    "Straße",
    "ﬃ",
    "１２３ ４５６",
    "٣٣٣١٢٣٤٥٦٧",
    "\u{fffd}",
    "\u{10ffff}",
    "Ǆ",
    "Ⅻ",
    "D'Annunzio",
    "Dell’Acqua",
];

/// Huge values (100 KB), built once with their encodings.
pub(super) struct Huge {
    pub(super) raw: Vec<u8>,
    pub(super) encoded: String,
}

pub(super) fn huge_values() -> &'static [Huge] {
    static H: OnceLock<Vec<Huge>> = OnceLock::new();
    H.get_or_init(|| {
        let size = 100 * 1024;
        let mut rng = StdRng::seed_from_u64(7);
        let raws: Vec<Vec<u8>> = vec![
            vec![b'A'; size],
            vec![b'9'; size],
            "é".repeat(size / 2).into_bytes(),
            "😀".repeat(size / 4).into_bytes(),
            "<script>alert(1)</script>".repeat(size / 25).into_bytes(),
            (0..size).map(|_| rng.gen_range(0x20u8..0x7f)).collect(),
            (0..size).map(|_| rng.gen::<u8>()).collect(),
            // Within the first MAX_BODY the value is still being read: what is kept is its start.
            format!("333 123 4567{}", " ".repeat(size)).into_bytes(),
        ];
        raws.into_iter()
            .map(|raw| Huge {
                encoded: encode(&raw, true),
                raw,
            })
            .collect()
    })
}

/// A generated value: raw bytes, or one of the huge values (by index).
pub(super) enum Val {
    Bytes(Vec<u8>),
    Huge(usize),
}

pub(super) fn mutate(rng: &mut StdRng, s: &str) -> Vec<u8> {
    let mut chars: Vec<char> = s.chars().collect();
    for _ in 0..rng.gen_range(1..4) {
        let pos = rng.gen_range(0..=chars.len());
        match rng.gen_range(0..6) {
            0 if !chars.is_empty() => {
                chars.remove(pos.min(chars.len() - 1));
            }
            1 => chars.insert(pos, *b" -.+@x0".map(char::from).choose(rng).unwrap()),
            2 => chars.insert(
                pos,
                *['é', '\u{0}', '<', '"', '\'', '&', '%', '\n']
                    .choose(rng)
                    .unwrap(),
            ),
            3 => {
                chars = chars
                    .iter()
                    .map(|c| {
                        if rng.gen_bool(0.5) {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    })
                    .collect()
            }
            4 => {
                chars.insert(0, ' ');
                chars.push(' ');
            }
            _ => chars.extend(chars.clone()),
        }
    }
    chars.into_iter().collect::<String>().into_bytes()
}

pub(super) fn gen_value(rng: &mut StdRng, valid: Option<&str>) -> Val {
    let valid = valid.unwrap_or("x");
    let v = match rng.gen_range(0..100) {
        0..=9 => valid.as_bytes().to_vec(),
        10..=19 => mutate(rng, valid),
        20..=24 => Vec::new(),
        25..=26 => return Val::Huge(rng.gen_range(0..huge_values().len())),
        27..=39 => {
            let inj = *INJECTIONS.choose(rng).unwrap();
            match rng.gen_range(0..3) {
                0 => inj.as_bytes().to_vec(),
                1 => format!("{valid}{inj}").into_bytes(),
                _ => format!("{inj} {valid} {inj}").into_bytes(),
            }
        }
        40..=49 => WRONG_TYPES.choose(rng).unwrap().as_bytes().to_vec(),
        50..=59 => {
            // Invalid UTF-8: stray continuation bytes, overlongs, surrogates, truncated sequences.
            let bad: &[&[u8]] = &[
                b"\xff",
                b"\xfe\xff",
                b"\xc0\xaf",
                b"\xed\xa0\x80",
                b"\xe2\x82",
                b"\x80",
                b"\xf8\x88\x80\x80\x80",
            ];
            let mut out = valid.as_bytes().to_vec();
            for _ in 0..rng.gen_range(1..4) {
                let at = rng.gen_range(0..=out.len());
                let b = bad.choose(rng).unwrap();
                out.splice(at..at, b.iter().copied());
            }
            out
        }
        60..=69 => {
            let u = *UNICODE.choose(rng).unwrap();
            if rng.gen_bool(0.5) {
                u.as_bytes().to_vec()
            } else {
                format!("{valid}{u}").into_bytes()
            }
        }
        70..=84 => (0..rng.gen_range(0..40))
            .map(|_| rng.gen_range(0x20u8..0x7f))
            .collect(),
        _ => (0..rng.gen_range(0..30))
            .map(|_| rng.gen::<char>())
            .collect::<String>()
            .into_bytes(),
    };
    Val::Bytes(v)
}

/// One generated submission.
pub(super) struct Submission {
    pub(super) ip_index: usize,
    /// What the server receives: the decoded pairs (empty when the body is not read).
    pub(super) decoded: Vec<(String, String)>,
    /// Injection payloads included (to look for unescaped in the answer).
    pub(super) injections: Vec<&'static str>,
    /// Secrets typed (never to be echoed).
    pub(super) secrets: Vec<String>,
    /// A short description for failure reports.
    pub(super) summary: Summary,
}

/// What a failure report shows of a submission (formatted only for a failure).
#[derive(Default)]
pub(super) struct Summary {
    pub(super) content_type: Option<&'static str>,
    pub(super) len: Option<usize>,
    pub(super) start: Option<Vec<u8>>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let start = self
            .start
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned());
        write!(
            f,
            "content-type {:?}, body of {:?} bytes starting {:?}",
            self.content_type, self.len, start
        )
    }
}

/// Fixed values every run starts with, in every field at once: the widest UTF-8 characters
/// at the maximum kept length (a key built from one would exceed DynamoDB's 2048-byte key
/// limit), a character whose lowercase is longer, NULs, the injections, nothing.
pub(super) fn prelude() -> Vec<Vec<u8>> {
    vec![
        "😀".repeat(600).into_bytes(),
        "İ".repeat(600).into_bytes(),
        "\0".repeat(600).into_bytes(),
        INJECTIONS.join(" ").into_bytes(),
        Vec::new(),
    ]
}

pub(super) fn generate(
    rng: &mut StdRng,
    spec: &FormSpec,
    fx: &Fixture,
    origin: &str,
    fixed: Option<&[u8]>,
) -> (Raw, Submission) {
    // Fields: each missing sometimes; choice fields mostly their expected value.
    let mut pairs: Vec<(Vec<u8>, Val)> = Vec::new();
    for field in spec.fields {
        if let Some(v) = fixed {
            let val = match field.kind {
                Kind::Choice(options) => options[0].as_bytes().to_vec(),
                _ => v.to_vec(),
            };
            pairs.push((field.name.as_bytes().to_vec(), Val::Bytes(val)));
            continue;
        }
        if rng.gen_bool(0.1) {
            continue;
        }
        let valid = valid_value(fx, spec, field.name);
        let val = match field.kind {
            Kind::Choice(options) if rng.gen_bool(0.85) => {
                Val::Bytes(options.choose(rng).unwrap().as_bytes().to_vec())
            }
            Kind::Check if rng.gen_bool(0.5) => Val::Bytes(b"si".to_vec()),
            _ => gen_value(rng, valid.as_deref()),
        };
        pairs.push((field.name.as_bytes().to_vec(), val));
        if rng.gen_bool(0.05) {
            // Repeated field: the first one counts.
            let again = gen_value(rng, valid.as_deref());
            pairs.push((field.name.as_bytes().to_vec(), again));
        }
    }
    if fixed.is_none() && rng.gen_bool(0.1) {
        let junk: &[&[u8]] = &[
            b"__proto__",
            b"constructor",
            b"numero[]",
            b"",
            b"\xff\xfe",
            b"a=b",
            b"&",
            b"codice ",
            b"NUMERO",
            b"x".as_slice(),
        ];
        let name = junk.choose(rng).unwrap().to_vec();
        let val = gen_value(rng, None);
        pairs.push((name, val));
    }
    if fixed.is_none() && rng.gen_bool(0.3) {
        pairs.shuffle(rng);
    }

    let mut injections = Vec::new();
    let mut secrets = Vec::new();
    for (name, val) in &pairs {
        let Val::Bytes(b) = val else { continue };
        let s = String::from_utf8_lossy(b);
        injections.extend(
            INJECTIONS
                .iter()
                .filter(|i| i.contains('<') && s.contains(**i)),
        );
        if spec
            .fields
            .iter()
            .any(|f| matches!(f.kind, Kind::Secret) && f.name.as_bytes() == name.as_slice())
        {
            secrets.push(s.into_owned());
        }
    }

    // The body: properly encoded, or raw bytes (structure characters and invalid UTF-8 as they
    // are), or not a form at all.
    let style = if fixed.is_some() {
        99
    } else {
        rng.gen_range(0..100)
    };
    let body: Option<Vec<u8>> = if style < 3 {
        None
    } else if style < 6 {
        Some(
            (0..rng.gen_range(0..2000))
                .map(|_| rng.gen::<u8>())
                .collect(),
        )
    } else if style < 8 {
        let json: Vec<String> = pairs
            .iter()
            .map(|(k, _)| format!("\"{}\":\"x\"", String::from_utf8_lossy(k)))
            .collect();
        Some(format!("{{{}}}", json.join(",")).into_bytes())
    } else {
        let raw_style = style < 18;
        let plus = rng.gen_bool(0.5);
        let mut out: Vec<u8> = Vec::new();
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push(b'&');
            }
            if raw_style {
                out.extend_from_slice(k);
                out.push(b'=');
                match v {
                    Val::Bytes(b) => out.extend_from_slice(b),
                    Val::Huge(h) => out.extend_from_slice(&huge_values()[*h].raw),
                }
            } else {
                out.extend_from_slice(encode(k, plus).as_bytes());
                out.push(b'=');
                match v {
                    Val::Bytes(b) => out.extend_from_slice(encode(b, plus).as_bytes()),
                    Val::Huge(h) => out.extend_from_slice(huge_values()[*h].encoded.as_bytes()),
                }
            }
        }
        Some(out)
    };

    let content_type: Option<&str> = match if fixed.is_some() {
        0
    } else {
        rng.gen_range(0..100)
    } {
        0..=74 => Some("application/x-www-form-urlencoded"),
        75..=79 => Some("application/x-www-form-urlencoded; charset=ISO-8859-1"),
        80..=84 => None,
        85..=89 => Some("multipart/form-data; boundary=----x"),
        90..=92 => Some("application/json"),
        93..=95 => Some("text/plain"),
        96..=97 => Some(""),
        _ => Some("application/x-www-form-urlencoded-but-not-really"),
    };
    // What the server reads: a urlencoded body (or one without a declared type), cut at MAX_BODY.
    let read = content_type
        .is_none_or(|ct| ct.is_empty() || ct.starts_with("application/x-www-form-urlencoded"));
    let decoded = match (&body, read) {
        (Some(b), true) => parse_pairs(&b[..b.len().min(MAX_BODY)]),
        _ => Vec::new(),
    };

    let mut headers: Vec<(&'static str, String)> = Vec::new();
    if let Some(ct) = content_type {
        headers.push(("content-type", ct.to_owned()));
    }
    // Same-origin browsers, or clients that send neither header: none of these is refused.
    match rng.gen_range(0..4) {
        0 => headers.push(("origin", origin.to_owned())),
        1 => headers.push(("sec-fetch-site", "same-origin".into())),
        2 => {
            headers.push(("origin", origin.to_owned()));
            headers.push(("sec-fetch-site", "same-origin".into()));
        }
        _ => {}
    }
    // A secret also typed in a field that is shown (the same value as username and password)
    // is legitimately on the page.
    secrets.retain(|secret| {
        !decoded.iter().any(|(k, v)| {
            !spec
                .fields
                .iter()
                .any(|f| f.name == k && matches!(f.kind, Kind::Secret))
                && v.contains(secret.as_str())
        })
    });
    let summary = Summary {
        content_type,
        len: body.as_ref().map(Vec::len),
        start: body.as_ref().map(|b| b[..b.len().min(300)].to_vec()),
    };
    let raw = Raw {
        method: "POST",
        path: spec.path.to_owned(),
        headers,
        body,
        text_body: rng.gen_bool(0.2),
    };
    (
        raw,
        Submission {
            ip_index: rng.gen_range(0..2),
            decoded,
            injections,
            secrets,
            summary,
        },
    )
}
