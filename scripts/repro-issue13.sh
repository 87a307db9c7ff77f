#!/usr/bin/env bash
# Reproduces issue 13's items 1-3 and 10 (scanner, abandoned PROSEGUI, strangers, spoofed
# client address) on any commit: before the fix (default 32ebfc6) the four tests fail and
# print what users met; on main they pass. Needs LocalStack running (localstack/start.sh).
#   scripts/repro-issue13.sh            # the code before the fix
#   scripts/repro-issue13.sh main       # today's code
# Builds in its own worktree and target dir (target/repro): the first run compiles the world.
# On main the item-10 test spends 127.0.0.1's login allowance in the shared test table for
# 10 minutes (it is what the test proves): run `make test` after, not during.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
commit="${1:-32ebfc6}"
wt="$ROOT/target/repro/worktree-$commit"
if [[ ! -d "$wt" ]]; then
  git -C "$ROOT" worktree add --detach "$wt" "$commit" >/dev/null
fi
cp "$ROOT/scripts/repro/issue13.rs" "$wt/tests/tests/repro_issue13.rs"
# The test names today's crates (`store::…`); a commit from before `shared` was split into
# crates (issue 23) has them as modules of `shared`.
if [[ ! -f "$wt/shared/store/Cargo.toml" ]]; then
  sed -i 's/^use store::/use shared::store::/' "$wt/tests/tests/repro_issue13.rs"
fi
cd "$wt"
. localstack/env.sh
CARGO_TARGET_DIR="$ROOT/target/repro/target" cargo test -p e2e --test repro_issue13 -- --nocapture --test-threads=4
