"""argon2id through the C reference implementation (PyPI argon2-cffi, which wraps
phc-winner-argon2) at the product's parameters, one call at a time on request, so that
tests/perf/src/bin/hashbench.rs can alternate it call by call with the Rust code.

    python argon2_ref.py M_KIB T P

Prints one JSON header line, then for each stdin line "hash" or "verify" runs that once
and prints "<wall ms> <thread CPU ms>". scripts/bench.sh makes the venv."""

import json
import sys
import time
from importlib.metadata import version

import argon2

m, t, p = (int(a) for a in sys.argv[1:4])
ph = argon2.PasswordHasher(time_cost=t, memory_cost=m, parallelism=p, hash_len=32, salt_len=16, type=argon2.Type.ID)
password = "Girasole-Blu-2026!"
phc = ph.hash(password)  # warm-up, as on the Rust side

print(json.dumps({
    "implementation": f"argon2-cffi {version('argon2-cffi')} / argon2-cffi-bindings {version('argon2-cffi-bindings')}",
    "phc_prefix": phc.rsplit("$", 2)[0],
}), flush=True)

for line in sys.stdin:
    cmd = line.strip()
    wall, cpu = time.perf_counter(), time.thread_time()
    if cmd == "hash":
        phc = ph.hash(password)
    elif cmd == "verify":
        ph.verify(phc, password)
    else:
        break
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    print(f"{wall * 1e3:.4f} {cpu * 1e3:.4f}", flush=True)
