//! The runs: a form's submissions against a backend, the flows' forms concurrently, the report.

use super::*;

pub(super) fn seed() -> u64 {
    std::env::var("SECURITY_FORMS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EC0_F0E5)
}

pub(super) fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

pub(super) async fn run_form(backend: Arc<Backend>, spec: &FormSpec, n: usize, seed: u64) -> Stats {
    let mut rng = StdRng::seed_from_u64(seed ^ fxhash(spec.name));
    let mut fx = fixture(backend.clone(), spec.stage).await;
    let snapshot = backend.snapshot();
    let start_cookies = fx.browser.cookies.clone();
    let ips = [
        fx.browser.ip.clone(),
        format!("192.0.2.{}", rng.gen_range(1..255)),
    ];
    let origin = backend.origin();
    let mut stats = Stats::default();
    let mut since_reset = 0;
    let prelude = prelude();
    for i in 0..n {
        let t = Instant::now();
        let (raw, sub) = generate(
            &mut rng,
            spec,
            &fx,
            &origin,
            prelude.get(i).map(Vec::as_slice),
        );
        stats.gen_secs += t.elapsed().as_secs_f64();
        let ip = ips[sub.ip_index].clone();
        let t = Instant::now();
        let result = fx.browser.send_as(raw, &ip).await;
        stats.handler_secs += t.elapsed().as_secs_f64();
        stats.sent += 1;
        since_reset += 1;
        let reply = match result {
            Ok(r) => r,
            Err(e) => {
                stats.failures.push(format!(
                    "[{}] {e}\n    submission: {}",
                    spec.name, sub.summary
                ));
                *stats.statuses.entry(0).or_default() += 1;
                continue;
            }
        };
        let t = Instant::now();
        check(spec, &sub, &reply, &mut stats);
        stats.check_secs += t.elapsed().as_secs_f64();
        let moved = reply.status == 303 && spec.success_moves_flow;
        if moved || since_reset >= spec.reset_every {
            since_reset = 0;
            stats.resets += 1;
            match &snapshot {
                Some(s) => {
                    backend.restore(s).await;
                    fx.browser.cookies = start_cookies.clone();
                }
                // Through the gateway there is no snapshot: a new person gets to the step.
                None if moved && spec.redo_through_gateway => {
                    fx = fixture(backend.clone(), spec.stage).await
                }
                None => {}
            }
        }
    }
    stats
}

pub(super) fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

pub(super) fn report(spec: &FormSpec, stats: &Stats, secs: f64) -> String {
    format!(
        "{:<36} {:>6} in {:>5.1} s (generation {:.1} s, handlers {:.1} s, checks {:.1} s of which parsing {} pages \
            {:.1} s)  statuses {:?}  kept-value checks {}  secret checks {}  injection checks {}  restores {}",
        spec.name, stats.sent, secs, stats.gen_secs, stats.handler_secs, stats.check_secs,
        stats.pages_parsed, stats.parse_secs, stats.statuses, stats.kept_checks,
        stats.secret_checks, stats.injection_checks, stats.resets
    )
}

/// Runs `names` (all forms when empty) on fresh in-memory apps, one after the other.
/// Runs the forms whose names start with one of `names`, `concurrency` at a time (each on its
/// own tokio task, so the two cores share the work), on a fresh in-memory app each, or all
/// on `shared` (the gateway).
pub(super) async fn run_forms(
    names: &[&str],
    n: usize,
    seed: u64,
    shared: Option<Arc<Backend>>,
    concurrency: usize,
) -> Vec<(&'static FormSpec, Stats)> {
    use futures::StreamExt;
    let specs: Vec<&'static FormSpec> = FORMS
        .iter()
        .filter(|s| names.iter().any(|n| s.name.starts_with(n)))
        .collect();
    assert!(!specs.is_empty());
    futures::stream::iter(specs)
        .map(|spec| {
            let backend = shared.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let stats = run_form(backend.unwrap_or_else(Backend::memory), spec, n, seed).await;
                println!("{}", report(spec, &stats, t.elapsed().as_secs_f64()));
                (spec, stats)
            })
        })
        .buffer_unordered(concurrency)
        .map(|r| r.expect("a form's run panicked (see above)"))
        .collect()
        .await
}

pub(super) async fn memory_run(names: &[&str]) {
    let n = count("SECURITY_FORMS_N", 10_000);
    let seed = seed();
    let t = Instant::now();
    let results = run_forms(names, n, seed, None, 4).await;
    println!(
        "{} forms × {n} submissions in {:.1} s",
        results.len(),
        t.elapsed().as_secs_f64()
    );
    let mut failures = Vec::new();
    let mut messages = BTreeSet::new();
    for (spec, stats) in results {
        assert_eq!(stats.sent, n);
        let rejections: usize = stats
            .statuses
            .iter()
            .filter(|(s, _)| (400..500).contains(*s))
            .map(|(_, c)| c)
            .sum();
        if spec.path == routes::LOGOUT {
            // ESCI has no fields: whatever the body, it signs out and redirects.
            assert_eq!(
                stats.statuses.get(&303),
                Some(&n),
                "{}: {:?}",
                spec.name,
                stats.statuses
            );
        } else {
            assert!(
                rejections > n / 10,
                "{}: too few rejections, got {:?}",
                spec.name,
                stats.statuses
            );
        }
        let has_kept = spec
            .fields
            .iter()
            .any(|f| matches!(f.kind, Kind::Kept(_) | Kind::Check | Kind::Next));
        assert!(
            !has_kept || stats.kept_checks > n / 20,
            "{}: too few kept-value checks ({})",
            spec.name,
            stats.kept_checks
        );
        failures.extend(stats.failures);
        messages.extend(stats.messages);
    }
    println!("Italian messages seen ({}):", messages.len());
    for m in &messages {
        println!("  - {m}");
    }
    assert!(
        failures.is_empty(),
        "seed {seed}: {} failures, first ones:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
