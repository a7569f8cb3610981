#!/usr/bin/env bash
# Orders and deliveries at the scale of Anhui, over HTTP on PostgreSQL, beside pgbench's default
# TPC-B-like script on the same database in the same run; then the performance pages' render time.
#
#   bash benches/orders_load.sh        (from the repository root)
#
# 1. drops and recreates the PostgreSQL database jicai_orders, builds the release binary,
#    migrates it and generates the province: `jicai generate --scale anhui` (1,200 township
#    centers, 16,000 village clinics, 300 suppliers, 5,000 products, 2,000 contracts, 1,000,000
#    order lines over 2026 up to --as-of), writing API tokens for 200 township centers and every
#    supplier;
# 2. starts `jicai serve` on 127.0.0.1:18082 and runs the load generator
#    (`cargo bench --bench orders_load -- load …`, benches/orders_load.rs) with 64 connections:
#    township centers place BENCH_ORDERS orders (1-4 lines) under contracts in force; each
#    order's supplier acknowledges it and ships it (one delivery note, Idempotency-Key); the
#    institutions confirm every delivery line; per phase: requests/s, p50, p99, failures;
# 3. logs in as center staff and renders /performance (supplier rates, open orders) and
#    /performance/fill (fill rate per drug and county) BENCH_RENDERS times each, one after the
#    other, for the default period (trailing 90 days) and for the whole year: p50, p99;
# 4. checks the database: as many new orders and order lines as answered 201, every line
#    shipped, confirmed and accepted once, one payable per confirmed line; the audit chain
#    verifies;
# 5. runs `pgbench -i -s 10` and `pgbench -c 32 -j 2 -T 30` (TPC-B-like) on the same database;
# 6. prints the summary with the ratios to pgbench's tps.
#
# Raw outputs are kept in target/bench/orders_load-<time>/. Overrides: PGHOST, PGPORT, PGUSER,
# BENCH_DB (jicai_orders), BENCH_PORT (18082), BENCH_ORDERS (20000), BENCH_CONNECTIONS (64),
# BENCH_RENDERS (30), BENCH_SCALE (anhui; small for a quick try), PGBENCH_CLIENTS (32),
# PGBENCH_SECONDS (30), PGBENCH_SCALE (10), JICAI_POOL_SIZE (8, the platform default).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

postgres_defaults
DB=${BENCH_DB:-jicai_orders}
PORT=${BENCH_PORT:-18082}
ORDERS=${BENCH_ORDERS:-20000}
CONNS=${BENCH_CONNECTIONS:-64}
RENDERS=${BENCH_RENDERS:-30}
GEN_SCALE=${BENCH_SCALE:-anhui}
PGCLIENTS=${PGBENCH_CLIENTS:-32}
PGSECONDS=${PGBENCH_SECONDS:-30}
SCALE=${PGBENCH_SCALE:-10}
BASE="http://127.0.0.1:${PORT}"
PASSWORD="bench-password-1"

require_repository_root
require_tools "(apt-get install -y postgresql-client curl)" psql pgbench curl cargo
require_plain_db_name

bench_folders "target/bench/orders_load"

postgres_server_environment
export JICAI_MASTER_KEY_FILE="$TMP/master.key"
psql_db() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

build_release
JICAI="${CARGO_TARGET_DIR:-$PWD/target}/release/jicai"

recreate_database

AS_OF=$(date -u -d '-1 hour' +%Y-%m-%dT%H:00:00Z)
echo "== jicai generate --scale $GEN_SCALE --as-of $AS_OF"
GEN_START=$(date +%s.%N)
"$JICAI" generate --scale "$GEN_SCALE" --as-of "$AS_OF" --password "$PASSWORD" \
    --tokens "$TMP/tokens.txt" 2> >(grep -v '^generate: ' >&2) | tee "$OUT/generate.txt"
GEN_SECONDS=$(awk -v a="$GEN_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
psql_db -c "ANALYZE"
LINES_BEFORE=$(psql_db -c "SELECT count(*) FROM order_lines")

start_server

echo "== load: $ORDERS orders placed, acknowledged, shipped and confirmed; page renders"
cargo bench --quiet --bench orders_load -- load "$BASE" "$JICAI_DATABASE_URL" "$TMP/tokens.txt" \
    "$PASSWORD" --orders "$ORDERS" --connections "$CONNS" --renders "$RENDERS" | tee "$OUT/load.txt"

stop_server

field() { awk -v p="$1" -v k="$2" '$1 == p { for (i = 2; i <= NF; i++) { j = index($i, "="); if (substr($i, 1, j - 1) == k) print substr($i, j + 1) } }' "$OUT/load.txt"; }
phase() { awk -v n="name=$1" -v k="$2" '$1 == "PHASE" && $2 == n { for (i = 2; i <= NF; i++) { j = index($i, "="); if (substr($i, 1, j - 1) == k) print substr($i, j + 1) } }' "$OUT/load.txt"; }
page() { awk -v n="name=$1" -v k="$2" '$1 == "PAGE" && $2 == n { for (i = 2; i <= NF; i++) { j = index($i, "="); if (substr($i, 1, j - 1) == k) print substr($i, j + 1) } }' "$OUT/load.txt"; }
PLACED=$(field TOTAL orders)
FIRST=$(field TOTAL first_order_id)
LAST=$(field TOTAL last_order_id)

echo "== checking the database"
NEW_ORDERS=$(psql_db -c "SELECT count(*) FROM orders WHERE id BETWEEN $FIRST AND $LAST")
NEW_LINES=$(psql_db -c "SELECT count(*) FROM order_lines WHERE order_id BETWEEN $FIRST AND $LAST")
DONE_LINES=$(psql_db -c "SELECT count(*) FROM order_lines WHERE order_id BETWEEN $FIRST AND $LAST AND shipped = quantity AND confirmed = quantity AND accepted = quantity")
DLINES=$(psql_db -c "SELECT count(*) FROM delivery_lines d JOIN order_lines l ON l.id = d.order_line_id WHERE l.order_id BETWEEN $FIRST AND $LAST")
PAYABLES=$(psql_db -c "SELECT count(*) FROM payables p JOIN delivery_lines d ON d.id = p.delivery_line_id JOIN order_lines l ON l.id = d.order_line_id WHERE l.order_id BETWEEN $FIRST AND $LAST")
CLOSED=$(psql_db -c "SELECT count(*) FROM orders WHERE id BETWEEN $FIRST AND $LAST AND state IN ('received', 'closed')")
"$JICAI" audit verify >"$OUT/audit.txt" 2>&1 && AUDIT="unbroken" || AUDIT="BROKEN (see $OUT/audit.txt)"

pgbench_init
echo "== pgbench -c $PGCLIENTS -j 2 -T $PGSECONDS (TPC-B-like)"
pgbench -c "$PGCLIENTS" -j 2 -T "$PGSECONDS" "$DB" 2>&1 | tee "$OUT/pgbench.txt"
TPS=$(pgbench_tps)
ratio() { awk -v a="$1" -v b="$TPS" 'BEGIN { printf "%.3f", a / b }'; }

{
    echo
    echo "== summary ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, pool $JICAI_POOL_SIZE, $CONNS connections)"
    printf '%-44s %s s (%s order lines before the run)\n' "generate --scale $GEN_SCALE" "$GEN_SECONDS" "$LINES_BEFORE"
    for p in place acknowledge ship confirm; do
        printf '%-44s %8s/s  p50 %7s ms  p99 %7s ms  failed %s  (%s requests, %s x pgbench)\n' \
            "$p" "$(phase $p per_s)" "$(phase $p p50_ms)" "$(phase $p p99_ms)" "$(phase $p failed)" \
            "$(phase $p requests)" "$(ratio "$(phase $p per_s)")"
    done
    for p in suppliers_90d fill_90d suppliers_year fill_year; do
        printf '%-44s p50 %7s ms  p99 %7s ms  (%s renders, %s bytes)\n' \
            "page $(page $p path)" "$(page $p p50_ms)" "$(page $p p99_ms)" "$(page $p renders)" "$(page $p bytes)"
    done
    printf '%-44s %s\n' "orders answered 201 / stored" "$PLACED / $NEW_ORDERS"
    printf '%-44s %s / %s / %s\n' "order lines / delivery lines / payables" "$NEW_LINES" "$DLINES" "$PAYABLES"
    printf '%-44s %s of %s lines, %s of %s orders received\n' "shipped, confirmed and accepted once" "$DONE_LINES" "$NEW_LINES" "$CLOSED" "$NEW_ORDERS"
    printf '%-44s %s\n' "audit chain" "$AUDIT"
    printf '%-44s %s\n' "pgbench tps (-c$PGCLIENTS -j2, TPC-B)" "$TPS"
    echo "raw outputs: $OUT"
} | tee "$OUT/summary.txt"

if [ "$PLACED" != "$NEW_ORDERS" ] || [ "$DONE_LINES" != "$NEW_LINES" ] || [ "$DLINES" != "$NEW_LINES" ] ||
    [ "$PAYABLES" != "$NEW_LINES" ] || [ "$AUDIT" != "unbroken" ]; then
    echo "FAIL: every order stored once, every line shipped, confirmed and paid for once, the audit chain whole" >&2
    exit 1
fi
