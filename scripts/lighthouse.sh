#!/usr/bin/env bash
# Issue #8, part 5b: Lighthouse performance and accessibility scores of the home page and
# registration step 1, at Lighthouse's default (mobile) settings, on Debian's Chromium —
# never a downloaded browser. RUNS runs each (default 3); prints the median scores, every
# audit that cost points in any run, and exits 1 if a median is below the budget (100).
#
#   scripts/lighthouse.sh                 # builds, starts LocalStack + its own gateway
#   BASE_URL=http://127.0.0.1:3000 scripts/lighthouse.sh   # an already running portal
#   RUNS=5 PAGES="/ /registrazione/numero /accesso" scripts/lighthouse.sh
#
# Lighthouse (npm, pinned below) is installed once into .local/lighthouse; reports (JSON)
# go to target/perf/lighthouse/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
case "${1:-}" in -h | --help) usage "$0"; exit 0 ;; esac
cd "$ROOT"

LIGHTHOUSE_VERSION="12.8.2" # 13.x needs Node >= 22.19; Debian's Node is 20
LH_DIR="$ROOT/.local/lighthouse"
RUNS="${RUNS:-3}"
PAGES="${PAGES:-/ /registrazione/numero}"
OUT="$ROOT/target/perf/lighthouse"

export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
if [[ ! -x "$CHROME_PATH" ]]; then
  echo "lighthouse.sh: $CHROME_PATH missing; install Debian's Chromium: apt-get install -y chromium" >&2
  exit 2
fi
# No browser download, ever: puppeteer(-core) and friends are told to skip it.
export PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1
if [[ "$("$LH_DIR/node_modules/.bin/lighthouse" --version 2>/dev/null || true)" != "$LIGHTHOUSE_VERSION" ]]; then
  step "Installo lighthouse@$LIGHTHOUSE_VERSION in $LH_DIR"
  mkdir -p "$LH_DIR"
  npm install --prefix "$LH_DIR" --save-exact --no-audit --no-fund "lighthouse@$LIGHTHOUSE_VERSION"
fi

. scripts/gateway-lib.sh
start_gateway "${LIGHTHOUSE_TABLE:-portale-lighthouse}"

rm -rf "$OUT"
mkdir -p "$OUT"
step "Lighthouse $LIGHTHOUSE_VERSION, $(basename "$CHROME_PATH") $("$CHROME_PATH" --version 2>/dev/null | awk '{print $2}'), $RUNS runs per page"
FLAGS="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-dev-shm-usage"
for page in $PAGES; do
  name="$(echo "$page" | sed 's#^/$#home#; s#^/##; s#/$##; s#/#_#g')"
  for i in $(seq 1 "$RUNS"); do
    echo "  $page run $i"
    "$LH_DIR/node_modules/.bin/lighthouse" "$BASE_URL$page" \
      --only-categories=performance,accessibility \
      --output=json --output-path="$OUT/$name.$i.json" \
      --chrome-flags="$FLAGS" --quiet
  done
done

python3 - "$OUT" "$PAGES" <<'EOF'
import glob, json, statistics, sys
out, pages = sys.argv[1], sys.argv[2].split()
fail = False
print("\nMetrics are medians of the runs (simulated mobile throttling); bytes = Lighthouse's total-byte-weight; CPU index = its benchmarkIndex (min–max; lower = busier machine).\n")
print("| page | performance (runs → median) | accessibility (runs → median) | FCP ms | LCP ms | TBT ms | CLS | SI ms | bytes | CPU index |")
print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
lost = {}
for page in pages:
    name = "home" if page == "/" else page.strip("/").replace("/", "_")
    reports = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/{name}.*.json"))]
    cells = []
    for cat in ("performance", "accessibility"):
        scores = [round(r["categories"][cat]["score"] * 100) for r in reports]
        med = statistics.median(scores)
        fail |= med < 100
        cells.append(f"{', '.join(map(str, scores))} → **{med:g}**")
        for r in reports:
            for ref in r["categories"][cat]["auditRefs"]:
                a = r["audits"][ref["id"]]
                if ref["weight"] > 0 and a.get("score") is not None and a["score"] < 1:
                    lost.setdefault((page, cat, ref["id"]), []).append((a["score"], a.get("displayValue", ""), a["title"]))
    m = lambda k: statistics.median(r["audits"][k]["numericValue"] for r in reports)
    print(f"| `{page}` | {cells[0]} | {cells[1]} | {m('first-contentful-paint'):.0f} | {m('largest-contentful-paint'):.0f} | {m('total-blocking-time'):.0f} | {m('cumulative-layout-shift'):.3f} | {m('speed-index'):.0f} | {m('total-byte-weight'):,.0f} | {min(r['environment']['benchmarkIndex'] for r in reports):.0f}–{max(r['environment']['benchmarkIndex'] for r in reports):.0f} |")
ua = reports[0]["environment"]["hostUserAgent"] if reports else "?"
print(f"\nLighthouse {reports[0]['lighthouseVersion']}, form factor {reports[0]['configSettings']['formFactor']}, throttling {reports[0]['configSettings']['throttlingMethod']}; {ua}")
if lost:
    print("\nAudits that cost points (page, category, audit: score in the runs where it was < 1):")
    for (page, cat, aid), v in sorted(lost.items()):
        print(f"- `{page}` {cat} `{aid}` ({v[0][2]}): " + ", ".join(f"{s:.2f} {d}".strip() for s, d, _ in v) + f" — in {len(v)} run(s)")
else:
    print("\nNo audit cost points in any run.")
sys.exit(1 if fail else 0)
EOF
