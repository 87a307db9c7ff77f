//! CPU seconds used during a level, from /proc: this process (load client + gateway +
//! handlers + argon2id), the LocalStack process group (its Python gateway and the
//! DynamoDB Local JVM) and the whole machine (so other work on a shared box shows).

use std::fs;

#[derive(Debug, Clone, Default)]
pub struct Cpu {
    pub ours: f64,
    pub localstack_python: f64,
    pub localstack_java: f64,
    pub machine_busy: f64,
    /// Every other process: pid -> (name, CPU seconds).
    pub others: std::collections::HashMap<String, (String, f64)>,
}

impl std::ops::Sub for Cpu {
    type Output = Cpu;
    fn sub(self, o: Cpu) -> Cpu {
        Cpu {
            ours: self.ours - o.ours,
            localstack_python: self.localstack_python - o.localstack_python,
            localstack_java: self.localstack_java - o.localstack_java,
            machine_busy: self.machine_busy - o.machine_busy,
            others: self
                .others
                .into_iter()
                .map(|(pid, (comm, t))| {
                    let before = o.others.get(&pid).map(|x| x.1).unwrap_or(0.0);
                    (pid, (comm, t - before))
                })
                .collect(),
        }
    }
}

const TICK: f64 = 100.0; // USER_HZ on Linux

/// (comm, session id, utime + stime in seconds) of a process.
fn stat(pid: &str) -> Option<(String, String, f64)> {
    let s = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let comm = s[open + 1..close].to_owned();
    let f: Vec<&str> = s[close + 2..].split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some((comm, f.get(3)?.to_string(), ticks / TICK))
}

fn pids() -> Vec<String> {
    fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.chars().all(|c| c.is_ascii_digit()))
                .collect()
        })
        .unwrap_or_default()
}

/// The session ids of LocalStack (`python -m localstack.runtime.main`, which may run
/// helpers in its session) and of DynamoDB Local (a JVM it starts in a session of its own).
#[derive(Debug, Clone, Default)]
pub struct Sessions {
    python: Option<String>,
    java: Option<String>,
}

fn session_of(needle: &str) -> Option<String> {
    pids().into_iter().find_map(|p| {
        let cmd = fs::read(format!("/proc/{p}/cmdline")).ok()?;
        let cmd = String::from_utf8_lossy(&cmd);
        (cmd.contains(needle) && !cmd.starts_with("bash"))
            .then(|| stat(&p).map(|(_, sid, _)| sid))?
    })
}

pub fn localstack_sessions() -> Option<Sessions> {
    let s = Sessions {
        python: session_of("localstack.runtime.main"),
        java: session_of("dynamodb-local"),
    };
    (s.python.is_some() || s.java.is_some()).then_some(s)
}

pub fn snapshot(ls: Option<&Sessions>) -> Cpu {
    let mut c = Cpu::default();
    if let Some((_, _, t)) = stat("self") {
        c.ours = t;
    }
    let me = std::process::id().to_string();
    let ls = ls.cloned().unwrap_or_default();
    for p in pids() {
        if let Some((comm, s, t)) = stat(&p) {
            if Some(&s) == ls.java.as_ref() {
                c.localstack_java += t;
            } else if Some(&s) == ls.python.as_ref() {
                c.localstack_python += t;
            } else if p != me {
                c.others.insert(p, (comm, t));
            }
        }
    }
    if let Ok(s) = fs::read_to_string("/proc/stat") {
        if let Some(line) = s.lines().next() {
            let v: Vec<f64> = line
                .split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal
            if v.len() >= 8 {
                c.machine_busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / TICK;
            }
        }
    }
    c
}

impl Cpu {
    /// The other processes that used the most CPU, as "name 1.2 s".
    pub fn top_others(&self, n: usize) -> String {
        let mut by_name: std::collections::HashMap<&str, f64> = std::collections::HashMap::new();
        for (comm, t) in self.others.values() {
            *by_name.entry(comm.as_str()).or_default() += t;
        }
        let mut v: Vec<(&str, f64)> = by_name.into_iter().filter(|(_, t)| *t >= 0.05).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        let s: Vec<String> = v
            .into_iter()
            .take(n)
            .map(|(c, t)| format!("{c} {t:.1} s"))
            .collect();
        if s.is_empty() {
            "–".into()
        } else {
            s.join(", ")
        }
    }
}

pub fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "?".into())
}
