#!/bin/bash
# Load test of the Hub (issue 19, item 5): a release bam-hub on its own
# PostgreSQL (started here in a temporary directory, like the tests do),
# seeded with BENCH_ACCOUNTS accounts and BENCH_RECORDS records by bulk SQL,
# then the day of a fleet of servers (scripts/bench-hub/load.py says which
# calls) replayed through haproxy (round robin) to one, then two
# `bam-hub serve` processes on the one database:
#   - at a fixed offered rate (BENCH_RATE requests/s, open loop, paced by
#     load.py: latency counts from each request's scheduled start), and
#   - at saturation (wrk, BENCH_WRK_CONNECTIONS keep-alive connections).
# Prints a table: offered rate, achieved, p50, p99, errors, and the load
# average before each measurement (other work on the machine skews it).
#   BAM_HUB_BIN           a bam-hub to use instead of the release build
#   BENCH_ACCOUNTS        default 10000
#   BENCH_RECORDS         default 50000 (spread evenly over the accounts)
#   BENCH_RATE            default 200
#   BENCH_SECONDS         seconds per measurement, default 30
#   BENCH_WRK_CONNECTIONS default 32
#   BENCH_DIR             work directory (default /tmp/bam-bench)
#   BENCH_PG_OPTIONS      more PostgreSQL settings ("-c synchronous_commit=off"
#                         shows how much of the tail is the WAL's fsync)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
accounts="${BENCH_ACCOUNTS:-10000}"
records="${BENCH_RECORDS:-50000}"
rate="${BENCH_RATE:-200}"
seconds="${BENCH_SECONDS:-30}"
wrk_connections="${BENCH_WRK_CONNECTIONS:-32}"
dir="${BENCH_DIR:-/tmp/bam-bench}/hub"
pgbin=/usr/lib/postgresql/15/bin
for tool in wrk haproxy psql python3 setpriv; do
    command -v "$tool" >/dev/null || { echo "bench-hub: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
[ -x "$pgbin/initdb" ] || { echo "bench-hub: PostgreSQL 15 is missing ($pgbin/initdb)" >&2; exit 1; }

hub="${BAM_HUB_BIN:-}"
if [ -z "$hub" ]; then
    (cd "$root" && swift build -c release --product bam-hub >&2)
    hub="$root/.build/release/bam-hub"
fi

rm -rf "$dir"; mkdir -p "$dir"; chmod 755 "$dir"
run="$dir/run"; mkdir -p "$run"
pg="$dir/pgsql"; mkdir -p "$pg"; chown postgres:postgres "$pg"; chmod 700 "$pg"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pgport=$(free_port)
aspg=(setpriv --reuid=postgres --regid=postgres --init-groups --)
(cd / && "${aspg[@]}" "$pgbin/initdb" -D "$pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$run/pg-init.log" 2>&1)
# A server as an administrator would run it (fsync on), sized for the box.
(cd / && "${aspg[@]}" "$pgbin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w \
    -o "-k $pg -p $pgport -c listen_addresses=127.0.0.1 -c shared_buffers=256MB -c log_min_duration_statement=50 ${BENCH_PG_OPTIONS:-}" start >/dev/null)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    (cd / && "${aspg[@]}" "$pgbin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null 2>&1) || true
    cp "$pg/server.log" "$run/postgresql.log" 2>/dev/null || true
}
trap cleanup EXIT
psql=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pgport" -U postgres)
"${psql[@]}" -d postgres -c "CREATE DATABASE hub"
db="postgres://postgres@127.0.0.1:$pgport/hub"

# --- seed ------------------------------------------------------------------
storage="$dir/storage"; mkdir -p "$storage"
"$hub" region add local --endpoint "file://$storage" --bucket local --lat=50 --lon=8 --default --database "$db" >/dev/null
per=$(( (records + accounts - 1) / accounts ))
key=$(python3 "$root/scripts/bench-hub/load.py" keypacket)
profile=$(head -c 20000 /dev/urandom | base64 -w0)
seed_start=$(date +%s.%N)
# API key BENCHKEY<n> and subkey BENCHSUB<account id>: the Hub stores their
# SHA-256 (Secrets.sha256Hex), so the generators know them.
"${psql[@]}" -d hub <<SQL
INSERT INTO accounts (email, apikey_hash, storage_token, created)
    SELECT 'bench' || i || '@example.com', encode(sha256(convert_to('BENCHKEY' || i, 'UTF8')), 'hex'), 'tok' || i, 0
    FROM generate_series(1, $accounts) i;
INSERT INTO subkeys (hash, account_id, created)
    SELECT encode(sha256(convert_to('BENCHSUB' || id, 'UTF8')), 'hex'), id, 0 FROM accounts;
INSERT INTO records (account_id, address, key, server_id, turnkey_version, created, updated, size, description,
                     inprogress, skpp, region, storage_prefix)
    SELECT a.id, 'file://$storage/local/bam/' || a.storage_token || '/r' || j, '$key', 'srv-' || a.id || '-' || j,
           'core-18.0', 1700000000, 1700000000, 0, 'core-18.0', 0, 0, 'local', 'bam/' || a.storage_token || '/r' || j
    FROM accounts a, generate_series(1, $per) j
    ORDER BY a.id, j LIMIT $records;
INSERT INTO profiles (profile_id, timestamp, content) VALUES ('core-18.0', 1700000000, '$profile');
VACUUM ANALYZE;
SQL
seed_seconds=$(python3 -c "import time; print(round(time.time() - $seed_start, 1))")
echo "seeded $accounts accounts and $records records in ${seed_seconds}s" >&2
"${psql[@]}" -d hub -A -t -F $'\t' -c "SELECT account_id, id, address FROM records ORDER BY id" >"$dir/servers.tsv"
python3 "$root/scripts/bench-hub/load.py" requests "$dir/servers.tsv" "$dir/requests.tsv" 200000
seed_log_lines=$(wc -l <"$pg/server.log")

# --- serve -----------------------------------------------------------------
start_hub() {  # port log
    "$hub" serve --listen "127.0.0.1:$1" --database "$db" --templates "$root/templates/hub" \
        --max-connections-per-address 0 --trust-proxy-header X-Forwarded-For --trusted-proxy 127.0.0.1 >"$2" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 300); do grep -q "listening on" "$2" 2>/dev/null && return 0; sleep 0.1; done
    echo "bench-hub: bam-hub serve did not start: $(tail -5 "$2")" >&2; exit 1
}
start_proxy() {  # port backend-ports...
    local port=$1; shift
    {
        printf 'global\n    maxconn 4096\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n'
        printf '    option http-keep-alive\n    option forwardfor\n'
        printf 'frontend hub\n    bind 127.0.0.1:%s\n    default_backend hubs\nbackend hubs\n    balance roundrobin\n' "$port"
        local n=0
        for b in "$@"; do n=$((n + 1)); printf '    server hub%s 127.0.0.1:%s\n' "$n" "$b"; done
    } >"$dir/haproxy-$port.cfg"
    haproxy -f "$dir/haproxy-$port.cfg" -db >"$run/haproxy-$port.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
    echo "bench-hub: haproxy did not start: $(tail -5 "$run/haproxy-$port.log")" >&2; exit 1
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
results="$dir/results.tsv"; : >"$results"
measure() {  # label proxy-port
    local label=$1 url="http://127.0.0.1:$2"
    # Warm up (connections, PostgreSQL's cache of the tables).
    python3 "$root/scripts/bench-hub/load.py" paced "$dir/requests.tsv" "$url" 100 5 >/dev/null
    local before; before=$(load)
    local paced; paced=$(python3 "$root/scripts/bench-hub/load.py" paced "$dir/requests.tsv" "$url" "$rate" "$seconds")
    printf '%s\t%s\t%s\t%s\n' "$label" "$rate" "$before" "$paced" >>"$results"
    before=$(load)
    local sat; sat=$(BENCH_REQUESTS="$dir/requests.tsv" wrk -t1 -c"$wrk_connections" -d"${seconds}s" --timeout 10s \
        -s "$root/scripts/bench-hub/requests.lua" "$url" | grep '^{')
    printf '%s\t%s\t%s\t%s\n' "$label" "saturation" "$before" "$sat" >>"$results"
}

p1=$(free_port); start_hub "$p1" "$run/hub1.log"
proxy1=$(free_port); start_proxy "$proxy1" "$p1"
measure "1 instance" "$proxy1"
p2=$(free_port); start_hub "$p2" "$run/hub2.log"
proxy2=$(free_port); start_proxy "$proxy2" "$p1" "$p2"
measure "2 instances" "$proxy2"

# --- report ----------------------------------------------------------------
python3 - "$results" "$accounts" "$records" <<'PY'
import json, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
print("Hub load test: %s accounts, %s records, PostgreSQL 15, haproxy round robin" % (sys.argv[2], sys.argv[3]))
print("%-12s %-11s %9s %9s %8s %8s %7s  %s" % ("hubs", "offered", "achieved", "requests", "p50 ms", "p99 ms", "errors", "load avg before"))
for label, offered, load, js in rows:
    r = json.loads(js)
    errors = r.get("errors", 0) + r.get("http_errors", 0)
    print("%-12s %-11s %9s %9s %8s %8s %7s  %s" % (label, offered if offered == "saturation" else offered + "/s",
          r["achieved"], r["requests"], r["p50_ms"], r["p99_ms"], errors, load))
PY
slow=$(tail -n +"$((seed_log_lines + 1))" "$pg/server.log" | grep -c "duration:" || true)
echo "statements over 50 ms in PostgreSQL: $slow (log: $run/postgresql.log; per-route latency in $results)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u '+%Y-%m-%d %H:%M UTC')"
