# Shared set-up of the load scripts in benches/ (sourced, never run on its own):
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Each function below says what it checks, starts or prints; the scripts keep their own
# settings, steps and summaries.

# Exits (2) unless the script runs from the jicai repository root.
require_repository_root() {
    [ -f Cargo.toml ] && grep -q '^name = "jicai"' Cargo.toml ||
        { echo "run this from the jicai repository root" >&2; exit 2; }
}

# Exits (2) at the first tool missing from PATH. Usage: require_tools "HINT" tool...; the hint
# (e.g. "(apt-get install -y curl)") follows the tool's name in the message, or nothing if "".
require_tools() {
    local hint=$1 tool
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "missing tool: $tool${hint:+ $hint}" >&2; exit 2; }
    done
}

# PostgreSQL's connection settings (PGHOST, PGPORT, PGUSER), defaults filled in and exported.
postgres_defaults() {
    PGHOST=${PGHOST:-127.0.0.1}
    PGPORT=${PGPORT:-5432}
    PGUSER=${PGUSER:-postgres}
    export PGHOST PGPORT PGUSER
}

# Exits (2) unless $DB is a plain database name ([a-z0-9_]), safe to put in SQL.
require_plain_db_name() {
    case "$DB" in *[!a-z0-9_]*) echo "BENCH_DB must be [a-z0-9_]" >&2; exit 2 ;; esac
}

# At exit: the server started in the background (SERVER_PID) stopped if it still runs, and the
# temporary folder removed.
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}

# Stops the server started in the background (SERVER_PID) once its part is done, and forgets it
# (a server that already exited fails the script).
stop_server() {
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# The run's folders: OUT (raw outputs, "$1-<time>", created) and TMP (temporary, removed at
# exit with the server stopped); SERVER_PID empty until a server is started.
bench_folders() {
    OUT="$1-$(date -u +%Y%m%dT%H%M%SZ)"
    mkdir -p "$OUT"
    TMP=$(mktemp -d)
    SERVER_PID=""
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

# The server's settings for a run on PostgreSQL: the database $DB, a secret key in $TMP, the pool
# (JICAI_POOL_SIZE, 8 unless set), the address 127.0.0.1:$PORT and quiet logs (RUST_LOG=warn
# unless set); all exported.
postgres_server_environment() {
    export JICAI_DATABASE_URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${DB}"
    export JICAI_SECRET_FILE="$TMP/secret.key"
    export JICAI_POOL_SIZE=${JICAI_POOL_SIZE:-8}
    export JICAI_BIND="127.0.0.1:${PORT}"
    export RUST_LOG=${RUST_LOG:-warn}
}

# Builds the release binary (cargo build --release), saying so.
build_release() {
    echo "== build (cargo build --release)"
    cargo build --release --quiet
}

# Drops and recreates the PostgreSQL database $DB and migrates it with $JICAI.
recreate_database() {
    echo "== database $DB"
    psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
    psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB"
    "$JICAI" migrate >/dev/null
}

# Starts `$JICAI serve` on $BASE in the background (SERVER_PID, log in $OUT/server.log) and
# waits up to 20 s for /readyz; exits (1) if the port is taken or the server exits.
start_server() {
    echo "== server on $BASE"
    if curl -s -o /dev/null --max-time 1 "$BASE/healthz"; then
        echo "something already listens on $BASE; set BENCH_PORT" >&2
        exit 1
    fi
    "$JICAI" serve >"$OUT/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        curl -sf -o /dev/null --max-time 1 "$BASE/readyz" && break
        kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited; see $OUT/server.log" >&2; cat "$OUT/server.log" >&2; exit 1; }
        sleep 0.2
    done
}

# Fills pgbench's tables in $DB (scale $SCALE), output in $OUT/pgbench-init.txt.
pgbench_init() {
    echo "== pgbench -i -s $SCALE -q (same database)"
    pgbench -i -s "$SCALE" -q "$DB" >"$OUT/pgbench-init.txt" 2>&1 || { cat "$OUT/pgbench-init.txt" >&2; exit 1; }
}

# Prints the tps pgbench reported in $OUT/pgbench.txt, rounded; exits (1) if there is none.
pgbench_tps() {
    local tps
    tps=$(awk '/^tps = / {printf "%.0f", $3; exit}' "$OUT/pgbench.txt")
    [ -n "$tps" ] || { echo "could not read pgbench's tps" >&2; exit 1; }
    printf '%s' "$tps"
}
