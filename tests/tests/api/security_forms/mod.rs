//! Issue #9, "Bad input — nothing crashes, nothing is lost": for every form of every step,
//! 10,000 generated submissions against the real handlers (missing fields, 100 KB fields,
//! wrong types, invalid UTF-8, injection strings, repeated and unknown fields, wrong or
//! missing content types, empty bodies), with these checks on every answer:
//!
//! - no 5xx and no panic; every answer carries the Content-Security-Policy;
//! - a redirect stays on the site (a path, never an absolute URL);
//! - a rejection (4xx) is an HTML page with a message in Italian; a 422 is the form again;
//! - the form keeps what the user typed (read back with scraper from the input's `value`,
//!   compared with what the server received after its documented normalisation: first of
//!   repeated fields, cut at `MAX_FIELD`, trimmed/lowercased where the handler says so);
//! - secrets (passwords, SMS codes) are never echoed;
//! - injection strings come back escaped: the raw payload never appears in the page, and the
//!   parsed page has no inline script, no `on*` attribute, no iframe/object/embed.
//!
//! The forms run on the in-memory app (`App::in_memory`) through the same handler table as
//! the local gateway; each form starts from a flow brought to its step by the real handlers
//! (codes read from the in-memory notifier), and the store is restored to that snapshot after
//! every successful (303) submission and every few dozen others, so that each submission meets
//! the step in its intended state. Each run starts with a few fixed submissions (every field
//! 600 emoji, 600 'İ', 600 NULs, all injections, empty), then the seeded generator. The forms
//! of a flow run concurrently (one tokio task each). One smaller run (200 per form) goes through
//! the real local gateway on LocalStack (DynamoDB, SNS, SES), on a table of its own (so its SMS
//! do not eat the global hourly budget other tests share), to show the AWS-backed path answers
//! the same; it found a 503 the in-memory store cannot show (a key over DynamoDB's limit).
//!
//! Knobs: `SECURITY_FORMS_N` (10000) submissions per form, `SECURITY_FORMS_GATEWAY_N` (200),
//! `SECURITY_FORMS_SEED` (a fixed default: the run is reproducible; a failure prints its seed).
//!
//! The parts: `transport` (the two backends, a browser), `fixtures` (a flow brought to a
//! step), `forms` (the forms and their fields), `generator`, `checks`, `runs`; the tests
//! are here.

use domain::clock::OffsetClock;
use domain::routes;
use domain::{CodiceFiscaleEnte, MobileNumber};
use engine::config::Config;
use engine::App;
use futures::FutureExt;
use notify::memory::MemoryNotifier;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use scraper::{Html, Selector};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use store::lines::{self, Line};
use store::memory::MemoryStore;
use store::{Item, Key, Store};
use web::form::{parse_pairs, MAX_BODY};

mod checks;
mod fixtures;
mod forms;
mod generator;
mod runs;
mod transport;
use checks::*;
use fixtures::*;
use forms::*;
use generator::*;
use runs::*;
use transport::*;

const CF: &str = e2e::register::CF;
const ENTE: &str = e2e::register::ENTE;
const PASSWORD: &str = e2e::register::PASSWORD;
const MEMORY_ORIGIN: &str = "http://127.0.0.1:3000";

// One test per flow; inside each, the forms run concurrently.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_forms_survive_generated_submissions() {
    memory_run(&["registrazione/"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_and_logout_forms_survive_generated_submissions() {
    memory_run(&["accesso", "esci"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_forms_survive_generated_submissions() {
    memory_run(&["recupero"]).await;
}

/// The same generator through the real local gateway on LocalStack (DynamoDB, SNS, SES),
/// 8 forms at a time. (Named to sort first: it mostly waits on LocalStack, so it runs
/// alongside the in-memory runs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_path_answers_generated_submissions_the_same() {
    let n = count("SECURITY_FORMS_GATEWAY_N", 200);
    let seed = seed() ^ 0x6A7E;
    let t = Instant::now();
    let results = run_forms(&[""], n, seed, Some(Backend::gateway().await), 8).await;
    println!(
        "gateway: {} forms × {n} submissions in {:.1} s",
        results.len(),
        t.elapsed().as_secs_f64()
    );
    let failures: Vec<String> = results.into_iter().flat_map(|(_, s)| s.failures).collect();
    assert!(
        failures.is_empty(),
        "seed {seed}: {} failures, first ones:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_checks_can_fail() {
    // A page that echoes the injection raw and keeps nothing must be reported.
    let spec = &FORMS[0];
    let sub = Submission {
        ip_index: 0,
        decoded: vec![("numero".into(), "<script>alert(1)</script>".into())],
        injections: vec!["<script>alert(1)</script>"],
        secrets: vec![],
        summary: Summary::default(),
    };
    let bad = Reply {
        status: 422,
        location: None,
        set_cookies: vec![],
        csp: true,
        content_type: "text/html; charset=utf-8".into(),
        body: "<html><body><p class=\"field-error\">Inserisci il numero.</p><form><input name=\"numero\" \
            value=\"\"></form><script>alert(1)</script></body></html>".into(),
    };
    let mut stats = Stats::default();
    check(spec, &sub, &bad, &mut stats);
    let all = stats.failures.join("\n");
    assert!(all.contains("injection echoed unescaped"), "{all}");
    assert!(all.contains("injected <script>"), "{all}");
    assert!(all.contains("numero not kept"), "{all}");
    let mut stats = Stats::default();
    check(
        spec,
        &sub,
        &Reply {
            status: 500,
            csp: false,
            ..bad
        },
        &mut stats,
    );
    assert!(stats.failures[0].contains("status 500"));
    assert!(!looks_italian("invalid input"));
}
