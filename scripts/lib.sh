# shellcheck shell=bash
# Shared by scripts/run.sh and scripts/test.sh: progress messages and the build.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
step() { printf '\n==> %s\n' "$*"; }
# A script's --help: its leading comment (after the shebang), without the "# ".
usage() { sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$1"; }

# Rust toolchain from rustup if the shell has not loaded it.
if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi

build_site() {
  step "Genero il sito pubblico in target/site"
  # `--workspace` with `--bin`: the features resolved as in the test build, so nothing of the
  # workspace is compiled again with other features (`-p static-site` rebuilt the AWS SDK).
  (cd "$ROOT" && cargo build -q --workspace --bin static-site \
    && "${CARGO_TARGET_DIR:-target}/debug/static-site" --out target/site)
}
