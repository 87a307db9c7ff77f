//! Handler cost (issue #8, part 2): every step handler with the in-memory store and
//! notifier, no network. Two passes over the same table of cases (`perf::cases::all()`):
//!
//! 1. criterion (mean, median and confidence interval per request);
//! 2. a sampling loop that times requests one by one and prints p50 / p99 / max, since
//!    the budget is on the 99th percentile (≤ 1 ms) and criterion reports per-sample means.
//!    For the request that hashes a password, it also times `passwords::hash` alone after
//!    each request and reports the handler without it.
//!
//!     cargo bench --profile release -p perf --bench handlers [-- FILTER]
//!
//! Environment: PERF_SAMPLES (requests per case in the sampling loop, default 1000; the
//! hashing case takes at most 200), PERF_CRITERION=0 skips pass 1. Criterion's own flags
//! (--warm-up-time, --measurement-time, --sample-size) work after `--`.

use criterion::{Criterion, SamplingMode};
use perf::browser::{self, Browser};
use perf::cases::{self, Case};
use perf::stats::{self, ms, Summary};
use shared::domain::Password;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime")
}

/// Times `iters` requests of `case`. The state is prepared outside the timing: once, or
/// before every request when the request changes it. `after` runs (untimed) after each.
async fn timed(case: &Case, iters: u64, mut after: impl FnMut(Duration)) -> Duration {
    let mut total = Duration::ZERO;
    let mut shared_state = if case.mutates { None } else { Some((case.setup)().await) };
    for _ in 0..iters {
        let mut own = if case.mutates { Some((case.setup)().await) } else { None };
        let b: &mut Browser = own.as_mut().or(shared_state.as_mut()).expect("a browser");
        let req = (case.request)(b);
        let start = Instant::now();
        let resp = (case.handler)(&b.app, req).await;
        let took = start.elapsed();
        total += took;
        black_box(resp);
        after(took);
    }
    total
}

/// Runs each case once and checks the answer, so nothing below measures an error page.
async fn check_all(cases: &[Case]) {
    for case in cases {
        let mut b = (case.setup)().await;
        let req = (case.request)(&b);
        let seen = b.send(case.handler, req).await;
        case.check(&seen);
    }
}

fn filter_arg() -> Option<String> {
    // Criterion's positional FILTER (after `--`); flags and their values are skipped.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a.starts_with("--") {
            if matches!(a.as_str(), "--warm-up-time" | "--measurement-time" | "--sample-size" | "--save-baseline" | "--baseline" | "--profile-time" | "--output-format" | "--plotting-backend" | "--color" | "--nresamples" | "--noise-threshold" | "--confidence-level" | "--significance-level") {
                i += 1;
            }
        } else if !a.starts_with('-') {
            return Some(a.clone());
        }
        i += 1;
    }
    None
}

fn row(function: &str, name: &str, s: Summary, budget: bool) {
    let verdict = if !budget { "-" } else if s.p99 <= 1.0 { "ok" } else { "OVER" };
    println!("{function:<18} {name:<46} {:>5} {:>9.3} {:>9.3} {:>9.3}  {verdict}", s.n, s.p50, s.p99, s.max);
}

fn main() {
    let rt = runtime();
    let filter = filter_arg();
    let cases: Vec<Case> = cases::all().into_iter().filter(|c| filter.as_deref().is_none_or(|f| c.id().contains(f))).collect();
    rt.block_on(check_all(&cases));

    if std::env::var("PERF_CRITERION").as_deref() != Ok("0") {
        let mut c = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(50)
            .without_plots()
            .configure_from_args();
        for function in cases.iter().map(|c| c.function).collect::<std::collections::BTreeSet<_>>() {
            let mut group = c.benchmark_group(function);
            for case in cases.iter().filter(|c| c.function == function) {
                if case.hashes_password {
                    group.sample_size(10).sampling_mode(SamplingMode::Flat);
                } else {
                    group.sample_size(50).sampling_mode(SamplingMode::Auto);
                }
                group.bench_function(case.name, |bencher| bencher.iter_custom(|iters| rt.block_on(timed(case, iters, |_| {}))));
            }
            group.finish();
        }
        c.final_summary();
    }

    let n: u64 = std::env::var("PERF_SAMPLES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let password = Password::parse(browser::PASSWORD, &[]).expect("the benchmark password is valid");
    println!("\nHandler cost per request, sampled one by one (ms; budget p99 <= 1 ms, password hashing excluded)");
    println!("{:<18} {:<46} {:>5} {:>9} {:>9} {:>9}  budget", "function", "request", "n", "p50", "p99", "max");
    for case in &cases {
        // A few untimed requests first (allocator, caches), as criterion's warm-up does.
        rt.block_on(timed(case, 20.min(n), |_| {}));
        if case.hashes_password {
            let n = n.min(200);
            let (mut total, mut without, mut hash) = (Vec::new(), Vec::new(), Vec::new());
            rt.block_on(timed(case, n, |took| {
                let start = Instant::now();
                black_box(shared::passwords::hash(&password));
                let h = start.elapsed();
                total.push(ms(took));
                hash.push(ms(h));
                without.push(ms(took.saturating_sub(h)));
            }));
            row(case.function, case.name, stats::summary(&total), false);
            row("", "  of which passwords::hash alone", stats::summary(&hash), false);
            row("", "  handler without the hash (per-request diff)", stats::summary(&without), true);
        } else {
            let mut samples = Vec::new();
            rt.block_on(timed(case, n, |took| samples.push(ms(took))));
            row(case.function, case.name, stats::summary(&samples), true);
        }
    }
}
