//! Password hashing (issue #8, part 3): argon2id hash and verify as `engine::passwords`
//! does them, next to the C reference implementation at the same parameters, in the same
//! run, alternating call by call (ABBA order) so that both see the same machine noise.
//! Each call is timed in wall time and in the calling thread's CPU time; CPU time is the
//! steadier one when other processes share the two cores.
//!
//!     hashbench [-n N] [--python VENV_PYTHON] [--no-cli]
//!
//! References: `--python` runs tests/perf/reference/argon2_ref.py (PyPI argon2-cffi:
//! the phc-winner-argon2 C code, its SSE2 "opt" variant on x86_64) with that interpreter;
//! Debian's `argon2` command (the portable "ref" variant), when on PATH, is timed too
//! (hash only: it prints the CPU time of one hash, 1 ms resolution). scripts/bench.sh
//! creates the venv and passes it.

use domain::passwords::{self, M_COST_KIB, P_COST, T_COST};
use domain::Password;
use perf::stats::{median, ms, thread_cpu_ms};
use serde_json::Value;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

const PASSWORD: &str = "Girasole-Blu-2026!";
/// Lambda gives a function one full vCPU at 1,769 MB and a proportional share below.
const FULL_VCPU_MB: f64 = 1769.0;

struct Args {
    n: usize,
    python: Option<String>,
    cli: bool,
}

fn args() -> Args {
    let mut a = Args {
        n: 20,
        python: None,
        cli: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-n" => a.n = it.next().and_then(|v| v.parse().ok()).expect("-n N"),
            "--python" => a.python = it.next(),
            "--no-cli" => a.cli = false,
            "-h" | "--help" => {
                println!(
                    "hashbench: argon2id as engine::passwords runs it, next to the C reference \
                     (scripts/bench.sh hash)\n\
                     usage: hashbench [-n 20] [--python VENV_PYTHON] [--no-cli]"
                );
                std::process::exit(0);
            }
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// (wall ms, CPU ms) of one call.
fn time<T>(f: impl FnOnce() -> T) -> (f64, f64) {
    let (wall, cpu) = (Instant::now(), thread_cpu_ms());
    black_box(f());
    (ms(wall.elapsed()), thread_cpu_ms() - cpu)
}

/// The argon2-cffi reference, kept running and asked for one call at a time.
struct Reference {
    name: String,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Reference {
    fn start(python: &str) -> Reference {
        let script = format!("{}/reference/argon2_ref.py", env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new(python)
            .arg(script)
            .args([
                M_COST_KIB.to_string(),
                T_COST.to_string(),
                P_COST.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run the argon2-cffi reference");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut header = String::new();
        stdout.read_line(&mut header).expect("reference header");
        let v: Value = serde_json::from_str(&header)
            .unwrap_or_else(|e| panic!("argon2_ref.py: {e}: {header:?}"));
        let expected = format!("$argon2id$v=19$m={M_COST_KIB},t={T_COST},p={P_COST}");
        assert_eq!(
            v["phc_prefix"].as_str(),
            Some(expected.as_str()),
            "the reference runs other parameters"
        );
        Reference {
            name: v["implementation"].as_str().unwrap_or_default().to_owned(),
            child,
            stdin,
            stdout,
        }
    }

    fn call(&mut self, what: &str) -> (f64, f64) {
        writeln!(self.stdin, "{what}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("reference answer");
        let mut it = line
            .split_whitespace()
            .map(|x| x.parse::<f64>().expect("a number"));
        (it.next().expect("wall"), it.next().expect("cpu"))
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.child.wait();
    }
}

fn cli_available() -> bool {
    Command::new("argon2")
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Debian's `argon2` CLI: the CPU time of one hash as it prints it ("0.031 seconds").
fn cli_hash_ms() -> f64 {
    let mut child = Command::new("argon2")
        .args([
            "somesaltsomesalt",
            "-id",
            "-t",
            &T_COST.to_string(),
            "-k",
            &M_COST_KIB.to_string(),
            "-p",
            &P_COST.to_string(),
            "-l",
            "32",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("argon2 CLI");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(PASSWORD.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let secs = text
        .lines()
        .find_map(|l| l.trim().strip_suffix(" seconds"))
        .and_then(|s| s.trim().parse::<f64>().ok());
    secs.expect("argon2 CLI prints its time") * 1e3
}

#[derive(Default)]
struct Series {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

impl Series {
    fn push(&mut self, (w, c): (f64, f64)) {
        self.wall.push(w);
        self.cpu.push(c);
    }
    fn med(&self) -> (f64, f64) {
        (median(&self.wall), median(&self.cpu))
    }
}

fn main() {
    let a = args();
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; run with --release (scripts/bench.sh does)");
    }
    let password = Password::parse(PASSWORD, &[]).expect("valid password");
    let mut phc = passwords::hash(&password); // warm-up
    let mut reference = a.python.as_deref().map(Reference::start);
    let cli = a.cli && cli_available();

    let (mut oh, mut ov, mut rh, mut rv) = (
        Series::default(),
        Series::default(),
        Series::default(),
        Series::default(),
    );
    let mut ch = Vec::new();
    for i in 0..a.n {
        let ours_first = i % 2 == 0;
        for turn in 0..2 {
            if (turn == 0) == ours_first {
                oh.push(time(|| phc = passwords::hash(&password)));
                ov.push(time(|| assert!(passwords::verify(&phc, PASSWORD))));
            } else if let Some(r) = reference.as_mut() {
                rh.push(r.call("hash"));
                rv.push(r.call("verify"));
            }
        }
        if cli {
            ch.push(cli_hash_ms());
        }
    }

    println!("argon2id m={M_COST_KIB} KiB t={T_COST} p={P_COST}: {} calls each, alternating call by call; medians in \
        ms", a.n);
    println!(
        "{:<66} {:>9} {:>9} {:>11} {:>11}",
        "implementation", "hash", "verify", "hash CPU", "verify CPU"
    );
    let line = |name: &str, h: &Series, v: &Series| {
        let ((hw, hc), (vw, vc)) = (h.med(), v.med());
        println!("{name:<66} {hw:>9.2} {vw:>9.2} {hc:>11.2} {vc:>11.2}");
    };
    line(
        "ours: engine::passwords (RustCrypto argon2 0.5, this build)",
        &oh,
        &ov,
    );
    if let Some(r) = &reference {
        line(&format!("C: {} (SSE2)", r.name), &rh, &rv);
        let ((ohw, ohc), (ovw, ovc)) = (oh.med(), ov.med());
        let ((rhw, rhc), (rvw, rvc)) = (rh.med(), rv.med());
        let verdict = |r: f64| if r <= 1.2 { "ok" } else { "OVER" };
        println!(
            "{:<66} {:>8.2}x {:>8.2}x {:>10.2}x {:>10.2}x   budget <= 1.2x: hash {} verify {}",
            "ratio ours / argon2-cffi",
            ohw / rhw,
            ovw / rvw,
            ohc / rhc,
            ovc / rvc,
            verdict((ohw / rhw).max(ohc / rhc)),
            verdict((ovw / rvw).max(ovc / rvc))
        );
    }
    if !ch.is_empty() {
        let mch = median(&ch);
        println!(
            "{:<66} {:>9} {:>9} {mch:>11.2} {:>11}",
            "C: Debian argon2 CLI 0~20171227 (portable ref; its own clock, 1 ms)", "-", "-", "-"
        );
        println!(
            "{:<66} {:>9} {:>9} {:>10.2}x",
            "ratio ours / Debian CLI",
            "",
            "",
            oh.med().1 / mch
        );
    }
    let mib = M_COST_KIB as f64 / 1024.0;
    let (hash_cpu, verify_cpu) = (oh.med().1, ov.med().1);
    println!("\nOn Lambda (estimate: this machine's per-core speed, CPU share = memory / {FULL_VCPU_MB} MB)");
    println!("  every hash or verify allocates m = {M_COST_KIB} KiB = {mib:.0} MiB; an instance serves one request at \
        a time, so one at a time");
    for mb in [128.0, 512.0] {
        let share = (mb / FULL_VCPU_MB).min(1.0);
        println!(
            "  {mb:>4.0} MB: {mib:.0} MiB = {:.0}% of the memory; ~{share:.3} vCPU (1/{:.1}) -> hash ~{:.0} ms, \
                verify ~{:.0} ms wall",
            100.0 * mib / mb,
            1.0 / share,
            hash_cpu / share,
            verify_cpu / share
        );
    }
}
