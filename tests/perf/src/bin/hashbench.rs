//! Password hashing (issue #8, part 3): argon2id hash and verify as `shared::passwords`
//! does them, next to the C reference implementation at the same parameters, in the same
//! run, alternating round by round so that both see the same machine noise.
//!
//!     hashbench [--rounds R] [-n N] [--python VENV_PYTHON] [--no-cli]
//!
//! References: `--python` runs tests/perf/reference/argon2_ref.py (PyPI argon2-cffi:
//! the phc-winner-argon2 C code) with that interpreter; Debian's `argon2` command, when
//! on PATH, is timed too (hash only: it prints the CPU time of one hash, 1 ms
//! resolution). scripts/bench.sh creates the venv and passes it.

use perf::stats::{median, ms};
use serde_json::Value;
use shared::domain::Password;
use shared::passwords::{self, M_COST_KIB, P_COST, T_COST};
use std::hint::black_box;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

const PASSWORD: &str = "Girasole-Blu-2026!";
/// Lambda gives a function one full vCPU at 1,769 MB and a proportional share below.
const FULL_VCPU_MB: f64 = 1769.0;

struct Args {
    rounds: usize,
    n: usize,
    python: Option<String>,
    cli: bool,
}

fn args() -> Args {
    let mut a = Args { rounds: 3, n: 10, python: None, cli: true };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--rounds" => a.rounds = it.next().and_then(|v| v.parse().ok()).expect("--rounds N"),
            "-n" => a.n = it.next().and_then(|v| v.parse().ok()).expect("-n N"),
            "--python" => a.python = it.next(),
            "--no-cli" => a.cli = false,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn ours(n: usize) -> (Vec<f64>, Vec<f64>) {
    let password = Password::parse(PASSWORD, &[]).expect("valid password");
    let mut phc = passwords::hash(&password); // warm-up
    let mut hash_ms = Vec::new();
    for _ in 0..n {
        let start = Instant::now();
        phc = black_box(passwords::hash(&password));
        hash_ms.push(ms(start.elapsed()));
    }
    let mut verify_ms = Vec::new();
    for _ in 0..n {
        let start = Instant::now();
        assert!(black_box(passwords::verify(&phc, PASSWORD)));
        verify_ms.push(ms(start.elapsed()));
    }
    (hash_ms, verify_ms)
}

fn reference_script() -> String {
    format!("{}/reference/argon2_ref.py", env!("CARGO_MANIFEST_DIR"))
}

fn python_ref(python: &str, n: usize) -> (String, Vec<f64>, Vec<f64>) {
    let out = Command::new(python)
        .arg(reference_script())
        .args([n.to_string(), M_COST_KIB.to_string(), T_COST.to_string(), P_COST.to_string()])
        .output()
        .expect("run the argon2-cffi reference");
    assert!(out.status.success(), "argon2-cffi reference failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON from argon2_ref.py");
    let nums = |k: &str| v[k].as_array().expect(k).iter().map(|x| x.as_f64().unwrap()).collect::<Vec<_>>();
    let prefix = v["phc_prefix"].as_str().unwrap_or_default();
    let expected = format!("$argon2id$v=19$m={M_COST_KIB},t={T_COST},p={P_COST}");
    assert_eq!(prefix, expected, "the reference ran other parameters");
    (v["implementation"].as_str().unwrap_or_default().to_owned(), nums("hash_ms"), nums("verify_ms"))
}

fn cli_available() -> bool {
    Command::new("argon2").arg("-h").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// Debian's `argon2` CLI: the CPU time of one hash as it prints it ("0.031 seconds").
fn cli_ref(n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let mut child = Command::new("argon2")
                .args(["somesaltsomesalt", "-id", "-t", &T_COST.to_string(), "-k", &M_COST_KIB.to_string(), "-p", &P_COST.to_string(), "-l", "32"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("argon2 CLI");
            child.stdin.take().unwrap().write_all(PASSWORD.as_bytes()).unwrap();
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let secs = text.lines().find_map(|l| l.trim().strip_suffix(" seconds")).and_then(|s| s.trim().parse::<f64>().ok());
            secs.expect("argon2 CLI prints its time") * 1e3
        })
        .collect()
}

fn main() {
    let a = args();
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; run with --release (scripts/bench.sh does)");
    }
    let cli = a.cli && cli_available();
    println!("argon2id m={M_COST_KIB} KiB t={T_COST} p={P_COST}, {} rounds x {} calls per implementation, alternating", a.rounds, a.n);
    let (mut oh, mut ov, mut rh, mut rv, mut ch) = (vec![], vec![], vec![], vec![], vec![]);
    let mut round_ratios = vec![];
    let mut ref_name = String::new();
    println!("{:<7} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}", "round", "ours hash", "C hash", "ratio", "ours verif", "C verify", "ratio");
    for round in 1..=a.rounds {
        let (h, v) = ours(a.n);
        let (mh, mv) = (median(&h), median(&v));
        oh.extend(h);
        ov.extend(v);
        if let Some(py) = &a.python {
            let (name, h2, v2) = python_ref(py, a.n);
            ref_name = name;
            let (rmh, rmv) = (median(&h2), median(&v2));
            println!("{round:<7} {mh:>9.2}ms {rmh:>9.2}ms {:>10.2}x {mv:>9.2}ms {rmv:>9.2}ms {:>10.2}x", mh / rmh, mv / rmv);
            round_ratios.push((mh / rmh, mv / rmv));
            rh.extend(h2);
            rv.extend(v2);
        } else {
            println!("{round:<7} {mh:>9.2}ms {:>11} {:>11} {mv:>9.2}ms", "-", "-");
        }
        if cli {
            ch.extend(cli_ref(a.n));
        }
    }
    let (moh, mov) = (median(&oh), median(&ov));
    println!("\nmedians over all rounds (ms)");
    println!("  ours  shared::passwords (RustCrypto argon2 0.5)   hash {moh:>7.2}   verify {mov:>7.2}");
    if !rh.is_empty() {
        let (mrh, mrv) = (median(&rh), median(&rv));
        println!("  C     {ref_name}   hash {mrh:>7.2}   verify {mrv:>7.2}");
        let rr_h = median(&round_ratios.iter().map(|r| r.0).collect::<Vec<_>>());
        let rr_v = median(&round_ratios.iter().map(|r| r.1).collect::<Vec<_>>());
        let verdict = |r: f64| if r <= 1.2 { "ok" } else { "OVER" };
        println!("  ratio ours/C: hash {:.2}x (median of round ratios {rr_h:.2}x) {}   verify {:.2}x (median of round ratios {rr_v:.2}x) {}   budget <= 1.2x",
            moh / mrh, verdict(moh / mrh), mov / mrv, verdict(mov / mrv));
    }
    if !ch.is_empty() {
        let mch = median(&ch);
        println!("  C     Debian argon2 CLI (CPU time of one hash, 1 ms resolution)   hash {mch:>7.2}   ratio ours/CLI {:.2}x", moh / mch);
    }
    let mib = M_COST_KIB as f64 / 1024.0;
    println!("\nmemory and CPU on Lambda (estimate from the median hash above)");
    println!("  each concurrent hash allocates m = {M_COST_KIB} KiB = {mib:.0} MiB (one per request: a Lambda instance serves one request at a time)");
    for mb in [128.0, 512.0] {
        let share = (mb / FULL_VCPU_MB).min(1.0);
        println!(
            "  {mb:>4.0} MB Lambda: {mib:.0} MiB is {:.0}% of the memory; CPU share ~{share:.3} vCPU (1/{:.1}) -> hash ~{:.0} ms, verify ~{:.0} ms wall (at this machine's per-core speed)",
            100.0 * mib / mb,
            1.0 / share,
            moh / share,
            mov / share
        );
    }
}
