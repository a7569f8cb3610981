#!/usr/bin/env bash
# Bid-deadline surge: 200 suppliers submit 10,000 sealed bids (one per supplier per lot, 50
# lots) into one tender over HTTP on PostgreSQL, beside pgbench's default TPC-B-like script on
# the same database in the same run.
#
#   bash benches/bid_surge.sh        (from the repository root)
#
# 1. drops and recreates the PostgreSQL database jicai_surge, builds the release binary,
#    migrates it and loads the demo province;
# 2. `cargo bench --bench bid_surge -- surge-setup …` creates 200 suppliers, each with a user and
#    an API token, and a published tender of 50 lots, and writes the wrk data (tokens, lots);
# 3. starts `jicai serve` on 127.0.0.1:18081 and runs wrk with 200 connections (one per
#    supplier): each request is POST /api/v1/lots/{lot}/bid with the supplier's bearer token;
#    every (supplier, lot) pair is sent exactly once, 10,000 in all, in lot order so that many
#    suppliers bid on the same lot at once; the time from the first request to the last
#    response is taken in the Lua script (clock_gettime through LuaJIT's ffi);
# 4. counts the bids afterwards: 10,000 bids in the tender, and as many stored bid versions as
#    201 responses (none lost, none doubled);
# 5. runs `pgbench -i -s 10` and `pgbench -c 32 -j 2 -T 30` (TPC-B-like) on the same database;
# 6. prints bids/s, p50 and p99, pgbench's tps and the ratio.
#
# BENCH_SEALING=quorum: the tender is sealed by quorum and the bodies carry envelopes sealed in
# the set-up (the bidder's side), never a price.
#
# Raw outputs are kept in target/bench/bid_surge-<time>/. Overrides: PGHOST, PGPORT, PGUSER,
# BENCH_DB (jicai_surge), BENCH_PORT (18081), BENCH_CONNECTIONS (200), BENCH_THREADS (2),
# PGBENCH_CLIENTS (32), PGBENCH_SECONDS (30), PGBENCH_SCALE (10), JICAI_POOL_SIZE (8, the platform default).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

postgres_defaults
DB=${BENCH_DB:-jicai_surge}
PORT=${BENCH_PORT:-18081}
CONNS=${BENCH_CONNECTIONS:-200}
THREADS=${BENCH_THREADS:-2}
PGCLIENTS=${PGBENCH_CLIENTS:-32}
PGSECONDS=${PGBENCH_SECONDS:-30}
SCALE=${PGBENCH_SCALE:-10}
BASE="http://127.0.0.1:${PORT}"

require_repository_root
require_tools "(apt-get install -y wrk postgresql-client curl)" psql pgbench wrk curl cargo
require_plain_db_name

bench_folders "target/bench/bid_surge"

postgres_server_environment
export JICAI_MASTER_KEY_FILE="$TMP/master.key"
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

build_release
JICAI="${CARGO_TARGET_DIR:-$PWD/target}/release/jicai"

recreate_database
"$JICAI" demo >"$OUT/demo.txt"

echo "== 200 suppliers with tokens, a tender of 50 lots open for bids"
cargo bench --quiet --bench bid_surge -- surge-setup "$JICAI_DATABASE_URL" "$JICAI_MASTER_KEY_FILE" "$TMP/surge.lua" | tee "$OUT/setup.txt"
TENDER=$(awk '/^tender / {print $2}' "$OUT/setup.txt")
[ -n "$TENDER" ] || { echo "set-up failed" >&2; exit 1; }
psql_db -c "ANALYZE"

start_server

LUA="$TMP/bids.lua"
cat >"$LUA" <<'LUA'
-- Each thread sends its share of the (supplier, lot) pairs: pair k goes to thread k % threads.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } jc_timespec;
int clock_gettime(int clk, jc_timespec *tp);
]]
local function now()
  local t = ffi.new("jc_timespec")
  ffi.C.clock_gettime(1, t)
  return tonumber(t.tv_sec) + tonumber(t.tv_nsec) / 1e9
end

local data = dofile(os.getenv("SURGE_DATA"))
local tokens, lots, envelopes = data.tokens, data.lots, data.envelopes
local total = #tokens * #lots
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(os.getenv("SURGE_THREADS"))
  sent, created, refused = 0, 0, 0
  share = 0
  for k = tid, total - 1, nthreads do share = share + 1 end
  t0, t1 = 0, 0
  -- wrk calls request() once on the first thread's state before the run, to check the request
  -- (script_verify_request); that call must not use up a (supplier, lot) pair.
  primed = (tid ~= 0)
end

-- Once this thread's share is sent, free connections wait (they are never needed again: the
-- thread stops at its last answer), so nothing but bids is sent or timed.
function delay()
  if sent >= share then return 600000 end
  return 0
end

function request()
  if not primed then
    primed = true
    return wrk.format("GET", "/healthz")
  end
  local k = tid + sent * nthreads
  if k >= total then
    return wrk.format("GET", "/healthz")
  end
  if sent == 0 then t0 = now() end
  sent = sent + 1
  local s = k % #tokens + 1
  local lot = lots[math.floor(k / #tokens) + 1]
  local price = string.format("%d.%02d", 10 + (k * 7) % 50, k % 100)
  local body
  if envelopes then
    -- Quorum sealing: the envelope the bidder's side sealed (set-up), never the price.
    body = string.format('{"product_id":%d,"annual_capacity":1000000,"commercial_envelope":%s}', lot[2][s], envelopes[k + 1])
  else
    body = string.format('{"product_id":%d,"annual_capacity":1000000,"package_price":"%s"}', lot[2][s], price)
  end
  return wrk.format("POST", "/api/v1/lots/" .. lot[1] .. "/bid",
    { ["Authorization"] = "Bearer " .. tokens[s], ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status == 200 then return end
  if status == 201 then created = created + 1 else refused = refused + 1 end
  if created + refused == share then
    t1 = now()
    wrk.thread:set("done_t0", t0)
    wrk.thread:set("done_t1", t1)
    wrk.thread:set("created", created)
    wrk.thread:set("refused", refused)
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local c, r, a, b = 0, 0, math.huge, 0
  for _, t in ipairs(threads) do
    c = c + (t:get("created") or 0)
    r = r + (t:get("refused") or 0)
    local x, y = t:get("done_t0"), t:get("done_t1")
    if x and x < a then a = x end
    if y and y > b then b = y end
  end
  io.write(string.format("SURGE created=%d refused=%d seconds=%.3f bids_per_s=%.1f p50_ms=%.2f p99_ms=%.2f\n",
    c, r, b - a, c / (b - a), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA
export SURGE_DATA="$TMP/surge.lua" SURGE_THREADS="$THREADS"

# CPU seconds (user + system) a process has used so far.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
SERVER_CPU0=$(cpu_s "$SERVER_PID")
echo "== wrk -t$THREADS -c$CONNS --latency: 10,000 bids"
wrk -t"$THREADS" -c"$CONNS" -d600s --latency --timeout 30s -s "$LUA" "$BASE" >"$OUT/wrk.txt" 2>&1 &
WRK_PID=$!
# wrk's threads stop after their share; its main thread sleeps out -d unless interrupted, so
# interrupt it once every pair has been answered (it then prints its summary).
for _ in $(seq 1 1200); do
    n=$(psql_db -At -c "SELECT count(*) FROM bid_versions v JOIN bids b ON b.id = v.bid_id JOIN lots l ON l.id = b.lot_id WHERE l.tender_id = $TENDER")
    [ "$n" -ge 10000 ] && break
    kill -0 "$WRK_PID" 2>/dev/null || break
    sleep 0.5
done
SERVER_CPU=$(awk -v a="$SERVER_CPU0" -v b="$(cpu_s "$SERVER_PID")" 'BEGIN { printf "%.2f", b - a }')
WRK_CPU=$(cpu_s "$WRK_PID" 2>/dev/null || echo "?")
sleep 2
kill -INT "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" || true
cat "$OUT/wrk.txt"

stop_server

LINE=$(grep '^SURGE ' "$OUT/wrk.txt" || true)
[ -n "$LINE" ] || { echo "could not read the surge line from wrk" >&2; exit 1; }
val() { printf '%s\n' "$LINE" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
CREATED=$(val created)
REFUSED=$(val refused)
BPS=$(val bids_per_s)
P50=$(val p50_ms)
P99=$(val p99_ms)
SECS=$(val seconds)

echo "== counting the bids"
BIDS=$(psql_db -At -c "SELECT count(*) FROM bids b JOIN lots l ON l.id = b.lot_id WHERE l.tender_id = $TENDER AND b.status = 'active'")
VERSIONS=$(psql_db -At -c "SELECT count(*) FROM bid_versions v JOIN bids b ON b.id = v.bid_id JOIN lots l ON l.id = b.lot_id WHERE l.tender_id = $TENDER")
SEALED=$(psql_db -At -c "SELECT count(*) FROM bids b JOIN lots l ON l.id = b.lot_id WHERE l.tender_id = $TENDER AND b.unit_price IS NULL AND length(b.commercial_sealed) > 0")

pgbench_init
echo "== pgbench -c $PGCLIENTS -j $THREADS -T $PGSECONDS (TPC-B-like)"
pgbench -c "$PGCLIENTS" -j "$THREADS" -T "$PGSECONDS" "$DB" 2>&1 | tee "$OUT/pgbench.txt"
TPS=$(pgbench_tps)
RATIO=$(awk -v a="$BPS" -v b="$TPS" 'BEGIN { printf "%.3f", a / b }')

{
    echo
    echo "== summary ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores)"
    printf '%-40s %s\n' "bids answered 201 / refused" "$CREATED / $REFUSED"
    printf '%-40s %s s\n' "first request to last response" "$SECS"
    printf '%-40s %s\n' "bids/s" "$BPS"
    printf '%-40s %s ms\n' "bid latency p50" "$P50"
    printf '%-40s %s ms\n' "bid latency p99" "$P99"
    printf '%-40s %s\n' "bids in the tender afterwards" "$BIDS"
    printf '%-40s %s\n' "bid versions stored" "$VERSIONS"
    printf '%-40s %s\n' "bids still sealed (no price in clear)" "$SEALED"
    printf '%-40s %s\n' "CPU s during the surge: server / wrk" "$SERVER_CPU / $WRK_CPU"
    printf '%-40s %s\n' "pgbench tps (-c$PGCLIENTS -j$THREADS, TPC-B)" "$TPS"
    printf '%-40s %s\n' "ratio bids/s : pgbench tps" "$RATIO"
    echo "raw outputs: $OUT"
} | tee "$OUT/summary.txt"

if [ "$CREATED" != 10000 ] || [ "$BIDS" != 10000 ] || [ "$VERSIONS" != "$CREATED" ]; then
    echo "FAIL: expected 10,000 bids answered, stored and versioned exactly once" >&2
    exit 1
fi
