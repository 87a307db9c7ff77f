"""argon2id through the C reference implementation (PyPI argon2-cffi, which wraps
phc-winner-argon2) at the product's parameters; prints one JSON line of per-call times.

    python argon2_ref.py N M_KIB T P

Used by tests/perf/src/bin/hashbench.rs (scripts/bench.sh makes the venv)."""

import json
import sys
import time

from importlib.metadata import version

import argon2

n, m, t, p = (int(a) for a in sys.argv[1:5])
ph = argon2.PasswordHasher(time_cost=t, memory_cost=m, parallelism=p, hash_len=32, salt_len=16, type=argon2.Type.ID)
password = "Girasole-Blu-2026!"
ph.hash(password)  # warm-up, as on the Rust side

hash_ms = []
for _ in range(n):
    start = time.perf_counter()
    phc = ph.hash(password)
    hash_ms.append((time.perf_counter() - start) * 1e3)

verify_ms = []
for _ in range(n):
    start = time.perf_counter()
    ph.verify(phc, password)
    verify_ms.append((time.perf_counter() - start) * 1e3)

print(json.dumps({
    "implementation": f"argon2-cffi {version('argon2-cffi')} / argon2-cffi-bindings {version('argon2-cffi-bindings')} (phc-winner-argon2, C)",
    "phc_prefix": phc.rsplit("$", 2)[0],
    "hash_ms": hash_ms,
    "verify_ms": verify_ms,
}))
