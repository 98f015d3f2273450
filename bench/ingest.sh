#!/usr/bin/env bash
# Ingest throughput: many simulated agents POSTing batches to `vigil serve` with SQLite, over loopback.
# usage: bench/ingest.sh [BIN_DIR] [SECONDS] [CONNECTIONS] [HOSTS] [SERIES_PER_BATCH] [gzip|plain]
# Needs wrk (apt-get install wrk) and python3. Prints samples/s from the listener's own counter.
# RULES=none runs with no rules (an empty rule directory); RULES=DIR with those; unset: the default rules a user
# gets (embedded in the binary). DB=postgres://USER@HOST:PORT/DB stores in PostgreSQL instead (a fresh schema per
# run, dropped at the end with psql).
set -euo pipefail
bin=${1:-.build-release/release}
secs=${2:-30}
conns=${3:-16}
hosts=${4:-200}
series=${5:-1000}
mode=${6:-gzip}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/vigil-bench.XXXXXX)
db="$work/vigil.db"
if [ -n "${DB:-}" ]; then
    schema="bench_$$"
    db="$DB$(case "$DB" in *\?*) echo "&";; *) echo "?";; esac)schema=$schema"
fi
cleanup() {
    kill $serve_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"
    if [ -n "${DB:-}" ]; then psql "${DB%%\?*}" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

rules=()
case "${RULES:-}" in
    "") ;;
    none) mkdir -p "$work/no-rules"; rules=(--rules "$work/no-rules") ;;
    *) rules=(--rules "$RULES") ;;
esac
"$bin/vigil" serve --db "$db" --listen "127.0.0.1:$port" "${rules[@]}" 2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
token=$("$bin/vigil" token create --fleet --db "$db" 2>/dev/null)
python3 "$here/make_ingest_bodies.py" "$work/bodies" "$hosts" "$series" $([ "$mode" = plain ] && echo --plain)

count() { curl -s "http://127.0.0.1:$port/metrics" | awk '$1=="vigil_ingested_samples_total"{print $2}'; }
# Warm up (series creation), then measure.
BODIES="$work/bodies" TOKEN="$token" GZIP=$([ "$mode" = gzip ] && echo 1 || echo 0) wrk -t1 -c"$conns" -d5s -s "$here/ingest.lua" "http://127.0.0.1:$port" >/dev/null
before=$(count); t0=$(date +%s.%N)
cpu0=$(awk '{print $14+$15}' /proc/$serve_pid/stat)
BODIES="$work/bodies" TOKEN="$token" GZIP=$([ "$mode" = gzip ] && echo 1 || echo 0) wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$here/ingest.lua" "http://127.0.0.1:$port" | tee "$work/wrk.txt" | grep -E "Requests/sec|50%|99%|Non-2xx" || true
after=$(count); t1=$(date +%s.%N)
cpu1=$(awk '{print $14+$15}' /proc/$serve_pid/stat)
ticks=$(getconf CLK_TCK)
python3 - "$before" "$after" "$t0" "$t1" "$cpu0" "$cpu1" "$ticks" "$(grep VmHWM /proc/$serve_pid/status | awk '{print $2}')" <<'PY'
import sys
b, a, t0, t1, c0, c1, hz, hwm = map(float, sys.argv[1:])
secs = t1 - t0
rate = (a - b) / secs
cores = (c1 - c0) / hz / secs
print(f"samples/s: {rate:,.0f}  (server CPU {cores:.2f} cores, {(c1-c0)/hz/((a-b)/1e6):.2f} CPU-s per million samples, peak RSS {hwm/1024:.0f} MiB)")
PY
grep -E "rules|head" "$work/serve.log" | head -n 3 || true
"$bin/vigil" db compact --db "$db" >/dev/null 2>&1 || true
"$bin/vigil" db stats --db "$db" | grep -E "chunks|size"
