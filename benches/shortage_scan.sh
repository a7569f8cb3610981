#!/usr/bin/env bash
# The shortage scan over the generated province (1,000,000 order lines) on PostgreSQL and on
# SQLite: seconds and peak memory, beside a full `SELECT count(*)` plus one `GROUP BY` over the
# order lines timed on the same database in the same run.
#
#   bash benches/shortage_scan.sh        (from the repository root)
#
# For each backend:
# 1. a fresh database (PostgreSQL: drop/create BENCH_DB; SQLite: a new file under the output
#    folder), filled by `jicai generate --scale anhui --as-of 2026-11-23T08:00:00Z`;
# 2. the baseline: `SELECT count(*) FROM order_lines` and
#    `SELECT product_id, count(*), sum(quantity) FROM order_lines GROUP BY product_id`, each run
#    3 times (psql's \timing; for SQLite, the wall time of a sqlite3 process per query), the
#    best of each kept;
# 3. `jicai job run shortage_scan --at 2026-11-23T08:00:00Z` twice under /usr/bin/time -v: the
#    first run opens the records (one transaction per record with its history event, audit
#    record and e-mails), the second
#    reads the same data and changes nothing; seconds as the command prints them, peak memory
#    (maximum resident set size) as time reports it.
#
# Raw outputs are kept in target/bench/shortage_scan-<time>/. Overrides: PGHOST, PGPORT, PGUSER,
# BENCH_DB (jicai_scan), BENCH_SCALE (anhui; small for a quick try), BENCH_BACKENDS
# ("postgres sqlite").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

postgres_defaults
DB=${BENCH_DB:-jicai_scan}
GEN_SCALE=${BENCH_SCALE:-anhui}
BACKENDS=${BENCH_BACKENDS:-postgres sqlite}
AS_OF=2026-11-23T08:00:00Z

require_repository_root
require_tools "(apt-get install -y postgresql-client sqlite3 time)" psql sqlite3 cargo /usr/bin/time
require_plain_db_name

OUT="target/bench/shortage_scan-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-target}/release/jicai"
export JICAI_SECRET_FILE="$OUT/secret.key" JICAI_MASTER_KEY_FILE="$OUT/master.key"
export JICAI_MAIL_DIR="$OUT/mail" JICAI_JOBS_DIR="$PWD/jobs"

best_ms() { sort -n | head -1; }

SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
{
    echo "shortage scan over the generated province (--scale $GEN_SCALE, --as-of $AS_OF)"
    echo "machine: $(nproc) cores; $(uname -sr)"
} | tee -a "$SUMMARY"

for backend in $BACKENDS; do
    echo "== $backend: generating" >&2
    if [ "$backend" = postgres ]; then
        psql -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
        export JICAI_DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
    else
        export JICAI_DATABASE_URL="$OUT/scan.db"
    fi
    gen_start=$(date +%s.%N)
    "$BIN" generate --scale "$GEN_SCALE" --as-of "$AS_OF" > "$OUT/$backend-generate.txt"
    gen_s=$(echo "$(date +%s.%N) - $gen_start" | bc)
    lines=""
    count_ms=()
    group_ms=()
    for i in 1 2 3; do
        if [ "$backend" = postgres ]; then
            psql -q -d "$DB" -c '\timing on' -c 'SELECT count(*) FROM order_lines' \
                -c 'SELECT product_id, count(*), sum(quantity) FROM order_lines GROUP BY product_id' \
                > "$OUT/$backend-baseline-$i.txt"
            mapfile -t t < <(grep -o 'Time: [0-9.]* ms' "$OUT/$backend-baseline-$i.txt" | awk '{print $2}')
            lines=$(sed -n '3p' "$OUT/$backend-baseline-$i.txt" | tr -d ' ')
        else
            # sqlite3's .timer prints nothing when run with arguments: time each query as its
            # own sqlite3 process (the ~5 ms of process start count against the baseline).
            t=()
            for q in 'SELECT count(*) FROM order_lines;' \
                'SELECT product_id, count(*), sum(quantity) FROM order_lines GROUP BY product_id;'; do
                q0=$(date +%s%N)
                sqlite3 "$JICAI_DATABASE_URL" "$q" >> "$OUT/$backend-baseline-$i.txt"
                t+=("$(echo "scale=1; ($(date +%s%N) - $q0) / 1000000" | bc)")
            done
            lines=$(head -1 "$OUT/$backend-baseline-$i.txt")
        fi
        count_ms+=("${t[0]}")
        group_ms+=("${t[1]}")
    done
    c_ms=$(printf '%s\n' "${count_ms[@]}" | best_ms)
    g_ms=$(printf '%s\n' "${group_ms[@]}" | best_ms)
    budget_s=$(echo "scale=3; ($c_ms + $g_ms) * 3 / 1000" | bc)
    for run in first second; do
        echo "== $backend: scan ($run run)" >&2
        /usr/bin/time -v "$BIN" job run shortage_scan --at "$AS_OF" > "$OUT/$backend-scan-$run.txt" 2> "$OUT/$backend-scan-$run.time"
        secs=$(grep -o '^([0-9.]* s)' "$OUT/$backend-scan-$run.txt" | tr -d '(s) ')
        rss_kb=$(grep 'Maximum resident set size' "$OUT/$backend-scan-$run.time" | awk '{print $NF}')
        did=$(grep '^shortage_scan:' "$OUT/$backend-scan-$run.txt" | sed 's/^shortage_scan: //')
        declare "${run}_s=$secs" "${run}_mb=$(echo "scale=1; $rss_kb / 1024" | bc)" "${run}_did=$did"
    done
    {
        echo
        echo "[$backend] generate: ${gen_s%.*} s; order lines: $lines"
        echo "[$backend] baseline: count(*) ${c_ms} ms + GROUP BY ${g_ms} ms (best of 3); x3 = ${budget_s} s"
        echo "[$backend] scan, first run:  ${first_s} s, peak RSS ${first_mb} MB: ${first_did}"
        echo "[$backend] scan, second run: ${second_s} s, peak RSS ${second_mb} MB: ${second_did}"
        echo "[$backend] ratio second run / (count + GROUP BY): $(echo "scale=2; $second_s * 1000 / ($c_ms + $g_ms)" | bc)"
    } | tee -a "$SUMMARY"
done
echo
echo "raw outputs: $OUT"
