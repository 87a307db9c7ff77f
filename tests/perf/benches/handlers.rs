//! Handler cost (issue #8, part 2): every step handler with the in-memory store and
//! notifier, no network. Two passes over the same table of cases (`perf::cases::all()`):
//!
//! 1. criterion (mean, median and confidence interval per request, wall time);
//! 2. a sampling loop that times requests one by one and prints p50 / p99 / max, since
//!    the budget is on the 99th percentile (≤ 1 ms) and criterion reports per-sample
//!    means. It records wall time and the runtime thread's CPU time: the handlers run on
//!    a current-thread tokio runtime, so that CPU time is the handler's own work, and it
//!    excludes argon2id, which `register-password` runs on the blocking pool
//!    (`spawn_blocking`). For that request the hash-free figure is the CPU one; criterion
//!    also gets a CPU-time benchmark of it.
//!
//!     cargo bench --profile release -p perf --bench handlers [-- FILTER]
//!
//! Environment: PERF_SAMPLES (requests per case in the sampling loop, default 1000; the
//! hashing case takes at most 200), PERF_CRITERION=0 skips pass 1. Criterion's own flags
//! (--warm-up-time, --measurement-time, --sample-size) work after `--`.

use criterion::{Criterion, SamplingMode};
use perf::browser::Browser;
use perf::cases::{self, Case};
use perf::stats::{self, ms, thread_cpu_ms, Summary};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// One timed request: wall time and the runtime thread's CPU time.
#[derive(Clone, Copy)]
struct Took {
    wall: Duration,
    cpu_ms: f64,
}

/// Times `iters` requests of `case`. The state is prepared outside the timing: once, or
/// before every request when the request changes it. `after` sees each request's times.
async fn timed(case: &Case, iters: u64, mut after: impl FnMut(Took)) {
    let mut shared_state = if case.mutates {
        None
    } else {
        Some((case.setup)().await)
    };
    for _ in 0..iters {
        let mut own = if case.mutates {
            Some((case.setup)().await)
        } else {
            None
        };
        let b: &mut Browser = own.as_mut().or(shared_state.as_mut()).expect("a browser");
        let req = (case.request)(b);
        let cpu = thread_cpu_ms();
        let start = Instant::now();
        let resp = (case.handler)(&b.app, req).await;
        let wall = start.elapsed();
        let cpu_ms = thread_cpu_ms() - cpu;
        black_box(resp);
        after(Took { wall, cpu_ms });
    }
}

/// Criterion's measurement: the sum of `iters` requests' wall (or CPU) times.
fn total(rt: &tokio::runtime::Runtime, case: &Case, iters: u64, cpu: bool) -> Duration {
    let mut sum = Duration::ZERO;
    rt.block_on(timed(case, iters, |t| {
        sum += if cpu {
            Duration::from_secs_f64(t.cpu_ms / 1e3)
        } else {
            t.wall
        }
    }));
    sum
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
            if matches!(
                a.as_str(),
                "--warm-up-time"
                    | "--measurement-time"
                    | "--sample-size"
                    | "--save-baseline"
                    | "--baseline"
                    | "--profile-time"
                    | "--output-format"
                    | "--plotting-backend"
                    | "--color"
                    | "--nresamples"
                    | "--noise-threshold"
                    | "--confidence-level"
                    | "--significance-level"
            ) {
                i += 1;
            }
        } else if !a.starts_with('-') {
            return Some(a.clone());
        }
        i += 1;
    }
    None
}

/// Which measurement the budget (p99 <= 1 ms) is judged on, if any.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Judge {
    Wall,
    Cpu,
    None,
}

fn row(function: &str, name: &str, wall: Summary, cpu: Summary, judge: Judge) {
    let verdict = match judge {
        Judge::Wall if wall.p99 <= 1.0 => "ok",
        Judge::Cpu if cpu.p99 <= 1.0 => "ok",
        Judge::None => "-",
        _ => "OVER",
    };
    println!(
        "{function:<18} {name:<46} {:>5} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}  {verdict}",
        cpu.n, wall.p50, wall.p99, wall.max, cpu.p50, cpu.p99
    );
}

fn main() {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        println!(
            "handlers: each handler case sampled (p50/p99, wall and CPU), then criterion \
             (PERF_CRITERION=0 skips it; scripts/bench.sh handlers)\n\
             usage: cargo bench -p perf --bench handlers -- [criterion options] [FILTER]"
        );
        return;
    }
    let rt = runtime();
    let filter = filter_arg();
    let cases: Vec<Case> = cases::all()
        .into_iter()
        .filter(|c| filter.as_deref().is_none_or(|f| c.id().contains(f)))
        .collect();
    rt.block_on(check_all(&cases));

    if std::env::var("PERF_CRITERION").as_deref() != Ok("0") {
        let mut c = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(50)
            .without_plots()
            .configure_from_args();
        for function in cases
            .iter()
            .map(|c| c.function)
            .collect::<std::collections::BTreeSet<_>>()
        {
            let mut group = c.benchmark_group(function);
            for case in cases.iter().filter(|c| c.function == function) {
                if case.hashes_password {
                    group.sample_size(10).sampling_mode(SamplingMode::Flat);
                    group.bench_function(case.name, |bencher| {
                        bencher.iter_custom(|iters| total(&rt, case, iters, false))
                    });
                    let name = format!("{} - runtime-thread CPU, hash excluded", case.name);
                    group.bench_function(name, |bencher| {
                        bencher.iter_custom(|iters| total(&rt, case, iters, true))
                    });
                } else {
                    group.sample_size(50).sampling_mode(SamplingMode::Auto);
                    group.bench_function(case.name, |bencher| {
                        bencher.iter_custom(|iters| total(&rt, case, iters, false))
                    });
                }
            }
            group.finish();
        }
        c.final_summary();
    }

    let n: u64 = std::env::var("PERF_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    println!("\nHandler cost per request, sampled one by one, in ms (budget: p99 <= 1 ms, password hashing excluded)");
    println!("wall = elapsed; cpu = the runtime thread's CPU time (excludes argon2id, which runs on the blocking \
        pool)");
    println!(
        "{:<18} {:<46} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9}  budget",
        "function", "request", "n", "wall p50", "wall p99", "wall max", "cpu p50", "cpu p99"
    );
    for case in &cases {
        // A few untimed requests first (allocator, caches), as criterion's warm-up does.
        rt.block_on(timed(case, 20.min(n), |_| {}));
        let n = if case.hashes_password { n.min(200) } else { n };
        let (mut wall, mut cpu) = (Vec::new(), Vec::new());
        rt.block_on(timed(case, n, |t| {
            wall.push(ms(t.wall));
            cpu.push(t.cpu_ms);
        }));
        let (wall, cpu) = (stats::summary(&wall), stats::summary(&cpu));
        if case.hashes_password {
            row(case.function, case.name, wall, cpu, Judge::Cpu);
            // What handing the hash to the blocking pool costs the runtime thread by itself.
            let password =
                domain::Password::parse(perf::browser::PASSWORD, &[]).expect("valid password");
            let (mut wall_c, mut cpu_c) = (Vec::new(), Vec::new());
            rt.block_on(async {
                for _ in 0..n {
                    let p = password.clone();
                    let cpu = thread_cpu_ms();
                    let start = Instant::now();
                    black_box(
                        tokio::task::spawn_blocking(move || domain::passwords::hash(&p))
                            .await
                            .unwrap(),
                    );
                    wall_c.push(ms(start.elapsed()));
                    cpu_c.push(thread_cpu_ms() - cpu);
                }
            });
            row(
                "",
                "  spawn_blocking(passwords::hash) alone",
                stats::summary(&wall_c),
                stats::summary(&cpu_c),
                Judge::None,
            );
            println!(
                "{:<18} {:<46} (budget judged on cpu: the handler without the hash)",
                "", ""
            );
        } else {
            row(case.function, case.name, wall, cpu, Judge::Wall);
        }
    }
}
