# shellcheck shell=bash
# Shared by scripts/run.sh and scripts/test.sh: progress messages and the build.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
step() { printf '\n==> %s\n' "$*"; }

# Rust toolchain from rustup if the shell has not loaded it.
if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi

build_site() {
  step "Genero il sito pubblico in target/site"
  (cd "$ROOT" && cargo run -q -p static-site -- --out target/site)
}
