//! The checks every answer must pass (status, CSP, redirects, Italian messages, kept values,
//! no echoed secret, escaped injections).

use super::*;

#[derive(Default)]
pub(super) struct Stats {
    pub(super) sent: usize,
    pub(super) statuses: BTreeMap<u16, usize>,
    pub(super) kept_checks: usize,
    pub(super) secret_checks: usize,
    pub(super) injection_checks: usize,
    pub(super) messages: BTreeSet<String>,
    pub(super) failures: Vec<String>,
    pub(super) resets: usize,
    pub(super) handler_secs: f64,
    pub(super) check_secs: f64,
    pub(super) gen_secs: f64,
    pub(super) parse_secs: f64,
    pub(super) pages_parsed: usize,
    pub(super) facts_cache: std::collections::HashMap<u64, Arc<PageFacts>>,
}

/// What the checks read from a page with scraper. Many rejections are the same page byte
/// for byte (the same message, nothing typed to keep), so the facts are cached by body.
pub(super) struct PageFacts {
    /// Texts of field errors, the error summary, alerts and warnings.
    pub(super) messages: Vec<String>,
    /// The first input of each name: name, value attribute, checked.
    pub(super) inputs: Vec<Input>,
    /// Inline scripts, event-handler attributes, frames: never in our pages.
    pub(super) active_markup: Vec<String>,
}

pub(super) struct Input {
    pub(super) name: String,
    pub(super) value: String,
    pub(super) checked: bool,
}

pub(super) fn page_facts(body: &str) -> PageFacts {
    let doc = Html::parse_document(body);
    let messages = doc
        .select(sel(
            ".field-error, .error-summary li, [role=alert], p.warning",
        ))
        .map(|e| {
            e.text()
                .collect::<String>()
                .replace("Errore: ", "")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|t| !t.is_empty())
        .collect();
    let mut inputs: Vec<Input> = Vec::new();
    for i in doc.select(sel("input[name]")) {
        let name = i.value().attr("name").unwrap_or_default();
        if !inputs.iter().any(|x| x.name == name) {
            inputs.push(Input {
                name: name.to_owned(),
                value: i.value().attr("value").unwrap_or_default().to_owned(),
                checked: i.value().attr("checked").is_some(),
            });
        }
    }
    let mut active_markup = Vec::new();
    for el in doc.select(sel("*")) {
        let v = el.value();
        if v.attrs().any(|(n, _)| n.starts_with("on")) {
            active_markup.push(format!(
                "element <{}> with an event-handler attribute",
                v.name()
            ));
        }
        if v.name() == "script" && v.attr("src").is_none()
            || matches!(v.name(), "iframe" | "object" | "embed")
        {
            active_markup.push(format!("injected <{}> element", v.name()));
        }
    }
    PageFacts {
        messages,
        inputs,
        active_markup,
    }
}

impl Stats {
    pub(super) fn facts(&mut self, body: &str) -> Arc<PageFacts> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut h);
        let key = h.finish();
        if let Some(f) = self.facts_cache.get(&key) {
            return f.clone();
        }
        let t = Instant::now();
        let f = Arc::new(page_facts(body));
        self.parse_secs += t.elapsed().as_secs_f64();
        self.pages_parsed += 1;
        if self.facts_cache.len() > 4096 {
            self.facts_cache.clear();
        }
        self.facts_cache.insert(key, f.clone());
        f
    }
}

/// Selectors parsed once (the checks run on every answer).
pub(super) fn sel(s: &'static str) -> &'static Selector {
    static CACHE: OnceLock<std::sync::Mutex<BTreeMap<&'static str, &'static Selector>>> =
        OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    cache
        .entry(s)
        .or_insert_with(|| Box::leak(Box::new(Selector::parse(s).unwrap())))
}

/// What the HTML parser gives back for a value the server wrote escaped (the input stream's
/// newline and NUL normalisation).
pub(super) fn as_parsed(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\0', "\u{fffd}")
}

/// Italian, not an English or technical error text.
pub(super) fn looks_italian(m: &str) -> bool {
    const IT: &[&str] = &[
        "Inserisci",
        "inserit",
        " il ",
        " la ",
        " di ",
        " non ",
        " per ",
        " un ",
        " una ",
        " è ",
        "Hai ",
        "Attendi",
        "Codice",
        "codice",
        "Trascina",
        "Scegli",
        "Seleziona",
        "Verifica",
        "Per ",
        "Troppi",
        "Troppe",
        "Il ",
        "La ",
        "Le ",
        "Questo",
        "Questa",
        "Username o password",
        "Richiesta",
        "Servizio",
        "Link",
        "riprova",
    ];
    const NOT: &[&str] = &[
        "error",
        "Error",
        "invalid",
        "Invalid",
        "panic",
        "unwrap",
        "failed",
        "exception",
        "null",
        "undefined",
        "Internal",
    ];
    IT.iter().any(|w| m.contains(w)) && !NOT.iter().any(|w| m.contains(w))
}

pub(super) fn first_value<'a>(decoded: &'a [(String, String)], name: &str) -> Option<&'a str> {
    decoded
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub(super) fn check(spec: &FormSpec, sub: &Submission, reply: &Reply, stats: &mut Stats) {
    let mut failures = Vec::new();
    check_reply(spec, sub, reply, stats, &mut |what: String| {
        failures.push(what)
    });
    for what in failures {
        if stats.failures.len() < 25 {
            stats.failures.push(format!(
                "[{}] {what}\n    submission: {}",
                spec.name, sub.summary
            ));
        }
    }
}

pub(super) fn check_reply(
    spec: &FormSpec,
    sub: &Submission,
    reply: &Reply,
    stats: &mut Stats,
    fail: &mut dyn FnMut(String),
) {
    *stats.statuses.entry(reply.status).or_default() += 1;
    if reply.status >= 500 {
        fail(format!(
            "status {}: {}",
            reply.status,
            reply.body.chars().take(400).collect::<String>()
        ));
        return;
    }
    if !reply.csp {
        fail(format!(
            "status {} without Content-Security-Policy",
            reply.status
        ));
    }
    if (300..400).contains(&reply.status) {
        let ok = reply
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with('/') && !l.starts_with("//"));
        if !ok {
            fail(format!("redirect off the site: {:?}", reply.location));
        }
        return;
    }
    if reply.status < 400 {
        fail(format!(
            "a POST answered {} instead of a redirect or a rejection",
            reply.status
        ));
        return;
    }

    // A rejection: an HTML page with an Italian message.
    if !reply.content_type.starts_with("text/html") {
        fail(format!(
            "rejection {} is not an HTML page ({})",
            reply.status, reply.content_type
        ));
        return;
    }
    let facts = stats.facts(&reply.body);
    if facts.messages.is_empty() {
        fail(format!("rejection {} without a message", reply.status));
    }
    for m in &facts.messages {
        if !looks_italian(m) {
            fail(format!("message not in Italian: {m:?}"));
        }
        if !stats.messages.contains(m) {
            stats.messages.insert(m.clone());
        }
    }

    // Nothing injected became markup.
    for inj in &sub.injections {
        stats.injection_checks += 1;
        if reply.body.contains(inj) {
            fail(format!("injection echoed unescaped: {inj:?}"));
        }
    }
    for bad in &facts.active_markup {
        fail(bad.clone());
    }

    // A 422 is the form again.
    let inputs = &facts.inputs;
    // (In recovery, a request without a valid mode gets the page that chooses it.)
    let visible: Vec<&str> = spec
        .fields
        .iter()
        .filter(|f| !matches!(f.kind, Kind::Opaque))
        .map(|f| f.name)
        .collect();
    if reply.status == 422
        && !visible.is_empty()
        && !inputs.iter().any(|i| visible.contains(&i.name.as_str()))
    {
        fail("422 without the form's fields".to_owned());
    }

    for field in spec.fields {
        let Some(input) = inputs.iter().find(|i| i.name == field.name) else {
            continue;
        };
        let shown = input.value.as_str();
        let typed = first_value(&sub.decoded, field.name);
        match field.kind {
            Kind::Kept(norm) => {
                // A missing AVANTI username keeps the proposed one: nothing typed to compare.
                if typed.is_none() && field.name == "username" && spec.stage == Stage::RegEmailSaved
                {
                    continue;
                }
                let typed = typed.unwrap_or_default();
                let expected = match norm {
                    Norm::AsIs => typed.to_owned(),
                    Norm::Trim => typed.trim().to_owned(),
                    Norm::TrimLower => typed.trim().to_lowercase(),
                };
                stats.kept_checks += 1;
                if shown != as_parsed(&expected) {
                    fail(format!(
                        "{} not kept: typed {:?}, page shows {:?}",
                        field.name,
                        expected.chars().take(80).collect::<String>(),
                        shown.chars().take(80).collect::<String>()
                    ));
                }
            }
            Kind::Secret => {
                stats.secret_checks += 1;
                if !shown.is_empty() {
                    fail(format!("secret {} echoed in its input", field.name));
                }
            }
            Kind::Check => {
                let checked = input.checked;
                stats.kept_checks += 1;
                if checked != (typed == Some("si")) {
                    fail(format!(
                        "checkbox {} shown checked={checked} for {:?}",
                        field.name, typed
                    ));
                }
            }
            Kind::Next => {
                stats.kept_checks += 1;
                if !(shown == routes::ACCOUNT || shown.starts_with("/area-clienti/")) {
                    fail(format!(
                        "next re-rendered as {shown:?}: only private-area paths may come back"
                    ));
                }
            }
            Kind::Choice(_) | Kind::Opaque => {}
        }
    }
    for secret in &sub.secrets {
        let distinctive = secret
            .trim()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .count()
            >= 6
            && secret.len() <= 512;
        if distinctive
            && (reply.body.contains(secret.as_str()) || reply.body.contains(&html_escape(secret)))
        {
            fail("a typed secret appears in the page".to_owned());
        }
    }
}

pub(super) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
