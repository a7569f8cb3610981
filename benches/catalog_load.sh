#!/usr/bin/env bash
# Catalog search under load, beside pgbench -S on the same database in the same run.
#
#   bash benches/catalog_load.sh        (from the repository root)
#
# 1. drops and recreates the PostgreSQL database jicai_bench, builds the release binary,
#    migrates it and loads the demo province;
# 2. fills the drug catalog up to 5,000 drugs with one generated INSERT, then ANALYZE;
# 3. issues an API token for the demo user `center`;
# 4. starts `jicai serve` on 127.0.0.1:18080, warms it up, and runs wrk for 30 s
#    (2 threads, 32 connections) on GET /api/v1/drugs?q=... cycling through search terms;
# 5. initializes pgbench tables in the same database and runs `pgbench -S` (32 clients, 30 s);
# 6. prints requests/s, p50 and p99 of the search, the pgbench -S tps and their ratio.
#
# Everything runs on 127.0.0.1. Raw outputs are kept in target/bench/catalog_load-<time>/.
# Environment overrides: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres),
# BENCH_DB (jicai_bench), BENCH_PORT (18080), BENCH_DRUGS (5000), BENCH_DURATION (30s),
# BENCH_CONNECTIONS (32), BENCH_THREADS (2), PGBENCH_SCALE (10).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

postgres_defaults
DB=${BENCH_DB:-jicai_bench}
PORT=${BENCH_PORT:-18080}
DRUGS=${BENCH_DRUGS:-5000}
DURATION=${BENCH_DURATION:-30s}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
SCALE=${PGBENCH_SCALE:-10}
BASE="http://127.0.0.1:${PORT}"

require_repository_root
require_tools "(apt-get install -y wrk postgresql-client curl)" psql pgbench wrk curl cargo
require_plain_db_name

bench_folders "target/bench/catalog_load"

postgres_server_environment
psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

build_release
JICAI="$PWD/target/release/jicai"

recreate_database
"$JICAI" demo >"$OUT/demo.txt"

echo "== catalog: generating drugs up to $DRUGS"
# One statement: 60 generic-name stems (55 chemical/biological with INN and ATC code,
# 5 Chinese patent medicines without ATC code) x 8 dosage forms x 12 strengths, codes BX00001...
# search_text is computed exactly as the application does:
# lower(code || ' ' || name_zh || ' ' || inn || ' ' || coalesce(atc_code, '')).
psql_db -v target="$DRUGS" <<'SQL'
WITH stems(k, zh, inn, atc, category) AS (VALUES
    (0, '阿莫西林', 'Amoxicillin', 'J01CA04', 'chemical'),
    (1, '头孢呋辛', 'Cefuroxime', 'J01DC02', 'chemical'),
    (2, '头孢克洛', 'Cefaclor', 'J01DC04', 'chemical'),
    (3, '左氧氟沙星', 'Levofloxacin', 'J01MA12', 'chemical'),
    (4, '阿奇霉素', 'Azithromycin', 'J01FA10', 'chemical'),
    (5, '克拉霉素', 'Clarithromycin', 'J01FA09', 'chemical'),
    (6, '甲硝唑', 'Metronidazole', 'J01XD01', 'chemical'),
    (7, '二甲双胍', 'Metformin', 'A10BA02', 'chemical'),
    (8, '格列美脲', 'Glimepiride', 'A10BB12', 'chemical'),
    (9, '阿卡波糖', 'Acarbose', 'A10BF01', 'chemical'),
    (10, '硝苯地平', 'Nifedipine', 'C08CA05', 'chemical'),
    (11, '氨氯地平', 'Amlodipine', 'C08CA01', 'chemical'),
    (12, '卡托普利', 'Captopril', 'C09AA01', 'chemical'),
    (13, '依那普利', 'Enalapril', 'C09AA02', 'chemical'),
    (14, '缬沙坦', 'Valsartan', 'C09CA03', 'chemical'),
    (15, '氯沙坦', 'Losartan', 'C09CA01', 'chemical'),
    (16, '美托洛尔', 'Metoprolol', 'C07AB02', 'chemical'),
    (17, '比索洛尔', 'Bisoprolol', 'C07AB07', 'chemical'),
    (18, '阿托伐他汀', 'Atorvastatin', 'C10AA05', 'chemical'),
    (19, '辛伐他汀', 'Simvastatin', 'C10AA01', 'chemical'),
    (20, '瑞舒伐他汀', 'Rosuvastatin', 'C10AA07', 'chemical'),
    (21, '阿司匹林', 'Aspirin', 'B01AC06', 'chemical'),
    (22, '氯吡格雷', 'Clopidogrel', 'B01AC04', 'chemical'),
    (23, '华法林', 'Warfarin', 'B01AA03', 'chemical'),
    (24, '奥美拉唑', 'Omeprazole', 'A02BC01', 'chemical'),
    (25, '兰索拉唑', 'Lansoprazole', 'A02BC03', 'chemical'),
    (26, '雷尼替丁', 'Ranitidine', 'A02BA02', 'chemical'),
    (27, '多潘立酮', 'Domperidone', 'A03FA03', 'chemical'),
    (28, '布洛芬', 'Ibuprofen', 'M01AE01', 'chemical'),
    (29, '双氯芬酸', 'Diclofenac', 'M01AB05', 'chemical'),
    (30, '对乙酰氨基酚', 'Paracetamol', 'N02BE01', 'chemical'),
    (31, '氯雷他定', 'Loratadine', 'R06AX13', 'chemical'),
    (32, '西替利嗪', 'Cetirizine', 'R06AE07', 'chemical'),
    (33, '沙丁胺醇', 'Salbutamol', 'R03AC02', 'chemical'),
    (34, '氨茶碱', 'Aminophylline', 'R03DA05', 'chemical'),
    (35, '地塞米松', 'Dexamethasone', 'H02AB02', 'chemical'),
    (36, '泼尼松', 'Prednisone', 'H02AB07', 'chemical'),
    (37, '左甲状腺素', 'Levothyroxine', 'H03AA01', 'chemical'),
    (38, '呋塞米', 'Furosemide', 'C03CA01', 'chemical'),
    (39, '氢氯噻嗪', 'Hydrochlorothiazide', 'C03AA03', 'chemical'),
    (40, '螺内酯', 'Spironolactone', 'C03DA01', 'chemical'),
    (41, '地高辛', 'Digoxin', 'C01AA05', 'chemical'),
    (42, '胺碘酮', 'Amiodarone', 'C01BD01', 'chemical'),
    (43, '卡马西平', 'Carbamazepine', 'N03AF01', 'chemical'),
    (44, '丙戊酸钠', 'Sodium Valproate', 'N03AG01', 'chemical'),
    (45, '地西泮', 'Diazepam', 'N05BA01', 'chemical'),
    (46, '艾司唑仑', 'Estazolam', 'N05CD04', 'chemical'),
    (47, '氟西汀', 'Fluoxetine', 'N06AB03', 'chemical'),
    (48, '帕罗西汀', 'Paroxetine', 'N06AB05', 'chemical'),
    (49, '利培酮', 'Risperidone', 'N05AX08', 'chemical'),
    (50, '奥氮平', 'Olanzapine', 'N05AH03', 'chemical'),
    (51, '阿昔洛韦', 'Aciclovir', 'J05AB01', 'chemical'),
    (52, '利巴韦林', 'Ribavirin', 'J05AB04', 'chemical'),
    (53, '氟康唑', 'Fluconazole', 'J02AC01', 'chemical'),
    (54, '重组人胰岛素', 'Insulin Human', 'A10AB01', 'biological'),
    (55, '复方丹参', 'Compound Danshen', NULL, 'chinese_patent'),
    (56, '板蓝根', 'Banlangen', NULL, 'chinese_patent'),
    (57, '六味地黄', 'Liuwei Dihuang', NULL, 'chinese_patent'),
    (58, '双黄连', 'Shuanghuanglian', NULL, 'chinese_patent'),
    (59, '银黄', 'Yinhuang', NULL, 'chinese_patent')
), forms(k, prefix, suffix, dosage_form, unit) AS (VALUES
    (0, '', '片', '片剂', 'tablet'),
    (1, '', '胶囊', '胶囊剂', 'capsule'),
    (2, '', '注射液', '注射剂', 'ampoule'),
    (3, '注射用', '', '注射用无菌粉末', 'vial'),
    (4, '', '缓释片', '缓释片', 'tablet'),
    (5, '', '分散片', '分散片', 'tablet'),
    (6, '', '颗粒', '颗粒剂', 'g'),
    (7, '', '氯化钠注射液', '大容量注射剂', 'bag')
), strengths(k, strength) AS (VALUES
    (0, '5mg'), (1, '10mg'), (2, '20mg'), (3, '25mg'), (4, '50mg'), (5, '0.1g'),
    (6, '0.125g'), (7, '0.25g'), (8, '0.5g'), (9, '1g'), (10, '2ml:10mg'), (11, '100ml:0.2g')
), wanted AS (
    SELECT greatest(:target - (SELECT count(*) FROM drugs), 0) AS n
), gen AS (
    SELECT 'BX' || lpad(i::text, 5, '0') AS code,
           f.prefix || st.zh || f.suffix AS name_zh,
           st.inn, f.dosage_form, sg.strength, f.unit,
           CASE WHEN i % 5 = 0 THEN 'provincial' ELSE 'national' END AS origin,
           st.category, st.atc
    FROM generate_series(1, (SELECT n FROM wanted)) AS i
    JOIN stems st ON st.k = i % 60
    JOIN forms f ON f.k = (i / 60) % 8
    JOIN strengths sg ON sg.k = (i / 480) % 12
)
INSERT INTO drugs (code, name_zh, inn, dosage_form, strength, unit, origin, category,
                   atc_code, search_text)
SELECT code, name_zh, inn, dosage_form, strength, unit, origin, category, atc,
       lower(code || ' ' || name_zh || ' ' || inn || ' ' || coalesce(atc, ''))
FROM gen;
ANALYZE;
SQL
TOTAL=$(psql_db -At -c "SELECT count(*) FROM drugs")
echo "   drugs in catalog: $TOTAL"
[ "$TOTAL" -eq "$DRUGS" ] || { echo "expected $DRUGS drugs, found $TOTAL" >&2; exit 1; }

echo "== token"
TOKEN=$("$JICAI" token issue --user center --name bench | tail -n 1)
[ -n "$TOKEN" ] || { echo "no token issued" >&2; exit 1; }

start_server
curl -sf -o /dev/null --max-time 1 "$BASE/readyz" || { echo "server not ready after 20 s" >&2; exit 1; }

# The search terms, cycled in this order by each wrk connection. Chinese terms are sent
# percent-encoded (UTF-8). The last one matches nothing.
TERMS=("阿莫西林" "胶囊" "他汀" "氯化钠注射液" "amox" "c09" "bx01234" "zzzz")
urlencode() {
    local LC_ALL=C s=$1 out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c=${s:i:1}
        case "$c" in
            [a-zA-Z0-9.~_-]) out+="$c" ;;
            *) out+=$(printf '%%%02X' "'$c") ;;
        esac
    done
    printf '%s' "$out"
}
echo "   search terms and matches (checked with curl, expecting 200):"
LUA_PATHS=""
for t in "${TERMS[@]}"; do
    enc=$(urlencode "$t")
    path="/api/v1/drugs?q=${enc}"
    code=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE$path")
    [ "$code" = 200 ] || { echo "GET $path answered $code: $(head -c 300 "$TMP/r.json")" >&2; exit 1; }
    total=$(grep -o '"total":[0-9]*' "$TMP/r.json" | cut -d: -f2)
    printf '     total=%-5s %s  %s\n' "$total" "$t" "$path" | tee -a "$OUT/terms.txt"
    LUA_PATHS+="  \"$path\",\n"
done
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/drugs?q=amox")
[ "$code" = 401 ] || { echo "the search without a token answered $code, not 401" >&2; exit 1; }

LUA="$TMP/catalog_search.lua"
{
    printf 'local paths = {\n%b}\n' "$LUA_PATHS"
    cat <<'LUA'
local token = os.getenv("JICAI_BENCH_TOKEN")
local counter = 0
function init(args)
  -- start each thread at a different term
  counter = math.random(0, #paths - 1)
end
function request()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
LUA
} >"$LUA"
export JICAI_BENCH_TOKEN="$TOKEN"

echo "== warm-up: wrk 5 s, 8 connections"
wrk -t"$THREADS" -c8 -d5s -s "$LUA" "$BASE" >"$OUT/wrk-warmup.txt"

echo "== wrk -t$THREADS -c$CONNS -d$DURATION --latency (search)"
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$LUA" "$BASE" | tee "$OUT/wrk.txt"

stop_server

# wrk latency like 812.00us, 3.41ms, 1.02s, 1.5m -> milliseconds
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
        printf "%.2f", n }'
}
RPS=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$OUT/wrk.txt")
P50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$OUT/wrk.txt")")
P99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$OUT/wrk.txt")")
REQS=$(awk '/requests in/ {print $1}' "$OUT/wrk.txt")
NON2XX=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$OUT/wrk.txt")
SOCKERR=$(grep -E '^ *Socket errors:' "$OUT/wrk.txt" || true)
[ -n "$RPS" ] && [ -n "$P99" ] || { echo "could not read wrk's output" >&2; exit 1; }

pgbench_init
echo "== pgbench -S -c $CONNS -j $THREADS -T ${DURATION%s}"
pgbench -S -c "$CONNS" -j "$THREADS" -T "${DURATION%s}" "$DB" 2>&1 | tee "$OUT/pgbench.txt"
TPS=$(pgbench_tps)
RATIO=$(awk -v a="$RPS" -v b="$TPS" 'BEGIN { printf "%.3f", a / b }')

{
    echo
    echo "== summary ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores)"
    echo "catalog: $TOTAL drugs; wrk -t$THREADS -c$CONNS -d$DURATION over ${#TERMS[@]} search terms"
    printf '%-34s %s\n' "search requests/s" "$RPS"
    printf '%-34s %s\n' "search requests (total)" "$REQS"
    printf '%-34s %s ms\n' "search latency p50" "$P50"
    printf '%-34s %s ms\n' "search latency p99" "$P99"
    printf '%-34s %s\n' "pgbench -S tps (-c$CONNS -j$THREADS)" "$TPS"
    printf '%-34s %s\n' "ratio search req/s : pgbench tps" "$RATIO"
    printf '%-34s %s\n' "non-2xx responses" "${NON2XX:-0}"
    [ -n "$SOCKERR" ] && printf '%-34s %s\n' "wrk socket errors" "${SOCKERR#*: }"
    echo "raw outputs: $OUT"
} | tee "$OUT/summary.txt"

if [ -n "$NON2XX" ] && [ "$NON2XX" != 0 ]; then
    echo "FAIL: $NON2XX search responses were not 2xx" >&2
    exit 1
fi
if [ -n "$SOCKERR" ]; then
    echo "FAIL: wrk reported socket errors: ${SOCKERR#*: }" >&2
    exit 1
fi
