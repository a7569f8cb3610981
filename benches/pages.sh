#!/usr/bin/env bash
# Page weight and speed: the ten most used pages, as each role's user opens them.
#
#   bash benches/pages.sh              (from the repository root)
#
# 1. builds the release binary and runs `jicai serve --demo` on embedded SQLite in a fresh
#    temporary folder, on 127.0.0.1:18090;
# 2. logs in through the login page (curl, cookie jar) as the demo user of each role;
# 3. fetches each page BENCH_REPEAT times (default 30) with `Accept-Encoding: gzip, br`
#    (what a browser sends) and prints, per page, the bytes transferred (the body as sent on
#    the wire), the uncompressed HTML size and the median and p90 of the total time
#    (curl's time_total: connect to last byte, loopback).
#
# Raw outputs are kept in target/bench/pages-<time>/. Environment overrides: BENCH_PORT,
# BENCH_REPEAT, JICAI_BIN (a binary to measure instead of building this checkout's, e.g. an
# earlier commit's, to compare before and after in one run).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=${BENCH_PORT:-18090}
REPEAT=${BENCH_REPEAT:-30}
BASE="http://127.0.0.1:${PORT}"

require_repository_root
require_tools "" curl cargo python3

bench_folders "$PWD/target/bench/pages"

if [ -n "${JICAI_BIN:-}" ]; then
    JICAI=$(realpath "$JICAI_BIN")
else
    build_release
    JICAI="$PWD/target/release/jicai"
fi

echo "== serve --demo in $TMP"
(cd "$TMP" && JICAI_BIND="127.0.0.1:${PORT}" RUST_LOG=warn exec "$JICAI" serve --demo >"$OUT/server.log" 2>&1) &
SERVER_PID=$!
if curl -fs "$BASE/healthz" >/dev/null 2>&1; then echo "port $PORT is taken" >&2; exit 1; fi
for _ in $(seq 1 600); do
    curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "$BASE/healthz" >/dev/null || { echo "server did not start" >&2; cat "$OUT/server.log" >&2; exit 1; }

login() { # user -> cookie jar path
    local jar="$TMP/$1.jar"
    local csrf
    csrf=$(curl -fs -c "$jar" -b "$jar" "$BASE/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//')
    curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" \
        --data-urlencode "username=$1" --data-urlencode "password=jicai-demo" "$BASE/login"
    echo "$jar"
}

# The first order and the open tender's first lot of the demo, read from the pages themselves.
INST=$(login institution)
SUPP=$(login supplier)
CENT=$(login center)
REGU=$(login regulator)
ORDER=$(curl -fs -b "$INST" "$BASE/orders" | grep -o 'href="/orders/[0-9]*"' | head -1 | grep -o '[0-9]*' || true)
BIDPAGE=""
for t in $(curl -fs -b "$SUPP" "$BASE/tenders" | grep -o 'href="/tenders/[0-9]*"' | grep -o '[0-9]*' | sort -un || true); do
    BIDPAGE=$(curl -fs -b "$SUPP" "$BASE/tenders/$t" | grep -o 'href="/tenders/[0-9]*/lots/[0-9]*/bid"' | head -1 | sed 's/href="//;s/"//' || true)
    [ -n "$BIDPAGE" ] && break
done
[ -n "$ORDER" ] && [ -n "$BIDPAGE" ] || { echo "no order or bid page found in the demo" >&2; exit 1; }

PAGES=(
    "institution /home"
    "institution /orders"
    "institution /orders/new"
    "institution /orders/${ORDER}"
    "institution /payables"
    "supplier /tenders"
    "supplier ${BIDPAGE}"
    "supplier /orders"
    "center /shortages"
    "center /drugs"
    "regulator /performance"
    "center /static/site.css"
)

printf '%-40s %10s %10s %9s %9s\n' "page (user)" "wire B" "html B" "p50 ms" "p90 ms" | tee "$OUT/summary.txt"
for entry in "${PAGES[@]}"; do
    user=${entry%% *}; path=${entry#* }
    case $user in institution) jar=$INST ;; supplier) jar=$SUPP ;; center) jar=$CENT ;; regulator) jar=$REGU ;; esac
    curl -fs -o /dev/null -b "$jar" -H 'Accept-Encoding: gzip, br' "$BASE$path" # warm
    : >"$TMP/times"
    for _ in $(seq 1 "$REPEAT"); do
        curl -fs -o /dev/null -b "$jar" -H 'Accept-Encoding: gzip, br' \
            -w '%{size_download} %{time_total}\n' "$BASE$path" >>"$TMP/times"
    done
    html=$(curl -fs -b "$jar" "$BASE$path" | wc -c)
    python3 - "$path ($user)" "$html" "$TMP/times" <<'EOF' | tee -a "$OUT/summary.txt"
import sys, statistics
name, html, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [l.split() for l in open(path) if l.strip()]
wire = int(statistics.median(int(r[0]) for r in rows))
ts = sorted(float(r[1]) * 1000 for r in rows)
p50 = statistics.median(ts)
p90 = ts[int(len(ts) * 0.9) - 1]
print(f"{name:<40} {wire:>10} {html:>10} {p50:>9.1f} {p90:>9.1f}")
EOF
done
echo "raw: $OUT"
