#!/usr/bin/env bash
# Builds every function of the route table as a Lambda `bootstrap` for provided.al2023
# with cargo-lambda (zig as the cross linker, both from PyPI into the SAM venv) and prints
# each artifact's size. Slow (release + LTO on every binary): not part of the tests.
#
#   bash infra/scripts/package.sh                 # all functions, arm64 (what the template deploys)
#   bash infra/scripts/package.sh login account   # only these crates
#   ARCH=x86_64 bash infra/scripts/package.sh     # smoke build for the host architecture
#   SAM_BUILD=1 bash infra/scripts/package.sh     # `sam build` instead (same tool underneath;
#                                                   output in .aws-sam/build, ready for sam deploy)
#
# The function list is the template's (CodeUri: ../functions/<crate>), which
# tests/tests/api/template_consistency/ keeps equal to shared::access::functions() (the
# route table's functions and send-messages).
# Artifacts: target/lambda/<crate>/bootstrap (cargo-lambda's layout in the shared target dir).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
ARCH="${ARCH:-arm64}"

WITH_CARGO_LAMBDA=1 bash infra/scripts/setup-sam.sh
VENV="${SAM_VENV:-$REPO/.local/venv-sam}"
export PATH="$VENV/bin:$PATH"            # cargo-lambda, and `python -m ziglang` for zig
export SAM_CLI_TELEMETRY=0

if [[ $# -gt 0 ]]; then
    functions=("$@")
else
    mapfile -t functions < <(sed -n 's|^ *CodeUri: \.\./functions/\([a-z0-9-]*\)/\{0,1\} *$|\1|p' infra/template.yaml | sort -u)
fi
[[ ${#functions[@]} -gt 0 ]] || { echo "package.sh: no functions found in infra/template.yaml" >&2; exit 1; }

missing=()
for f in "${functions[@]}"; do
    [[ -f "functions/$f/Cargo.toml" ]] || missing+=("$f")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "package.sh: function crates missing under functions/: ${missing[*]}" >&2
    if [[ "${ALLOW_MISSING:-0}" != "1" ]]; then
        echo "package.sh: (ALLOW_MISSING=1 builds the others)" >&2
        exit 1
    fi
    present=()
    for f in "${functions[@]}"; do [[ -f "functions/$f/Cargo.toml" ]] && present+=("$f"); done
    functions=("${present[@]}")
fi

case "$ARCH" in
    arm64) triple=aarch64-unknown-linux-gnu; arch_flag=--arm64 ;;
    x86_64) triple=x86_64-unknown-linux-gnu; arch_flag=--x86-64 ;;
    *) echo "package.sh: ARCH must be arm64 or x86_64" >&2; exit 1 ;;
esac
# The standard library for the target comes from the Rust distribution server (reachable
# here, measured 2026-11-24); if it cannot be fetched, say plainly what is missing.
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$triple"; then
    rustup target add "$triple" || true
fi
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$triple"; then
    echo "package.sh: the Rust standard library for $triple is not installed: run" >&2
    echo "    rustup target add $triple" >&2
    echo "  on a machine that can reach the Rust distribution server (or ARCH=x86_64 for a smoke build)." >&2
    exit 1
fi

start=$SECONDS
if [[ "${SAM_BUILD:-0}" == "1" ]]; then
    [[ "$ARCH" == arm64 ]] || { echo "package.sh: SAM_BUILD builds what the template says (arm64)" >&2; exit 1; }
    [[ $# -eq 0 ]] || { echo "package.sh: SAM_BUILD builds every function of the template (no arguments)" >&2; exit 1; }
    # SAM runs `cargo lambda build --release --arm64 --bin <crate>` in each functions/<crate>
    # (in source, one after the other, sharing the workspace target dir) and copies
    # target/lambda/<crate>/bootstrap to .aws-sam/build/<LogicalId>/.
    sam build --template infra/template.yaml --build-dir .aws-sam/build
    out_dir() { echo ".aws-sam/build/$(echo "$1" | sed -E 's/(^|-)([a-z])/\U\2/g')Function"; }
else
    pkgs=()
    for f in "${functions[@]}"; do pkgs+=(-p "$f"); done
    cargo lambda build --release "$arch_flag" "${pkgs[@]}"
    out_dir() { echo "target/lambda/$1"; }
fi
elapsed=$((SECONDS - start))

printf '\n%-20s %12s %12s\n' function bootstrap zipped
status=0
for f in "${functions[@]}"; do
    bin="$(out_dir "$f")/bootstrap"
    if [[ ! -f "$bin" ]]; then
        printf '%-20s %12s\n' "$f" MISSING; status=1; continue
    fi
    zipped=$("$VENV/bin/python" - "$bin" <<'PY'
import io, sys, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.write(sys.argv[1], "bootstrap")
print(len(buf.getvalue()))
PY
)
    printf '%-20s %12s %12s\n' "$f" "$(stat -c %s "$bin")" "$zipped"
    file "$bin" 2>/dev/null | sed 's/^/    /' || true
done
echo "package.sh: ${#functions[@]} function(s), $ARCH, build ${elapsed}s"
exit $status
