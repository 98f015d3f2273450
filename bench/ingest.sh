#!/usr/bin/env bash
# Ingest throughput: many simulated agents POSTing batches to `vigil serve` with SQLite, over loopback.
# usage: bench/ingest.sh [BIN_DIR] [SECONDS] [CONNECTIONS] [HOSTS] [SERIES_PER_BATCH] [gzip|plain]
# Needs wrk (apt-get install wrk) and python3. Prints samples/s from the listener's own counter.
# DELAY_MS=N paces each connection (N ms between its requests): a fixed offered load, as Prometheus scrapes at a
# fixed rate, instead of a saturated server competing with wrk for the cores.
# ROUNDS=K (with STEP_MS, default 250) sends K rounds of bodies per host, each round's timestamps STEP_MS after the
# last and its values changed, as agents reporting every STEP_MS would; without it each host's one body is sent again
# and again with the same timestamps (the rules and the anomaly scanner then see one point per series).
# QUIET=1 (with ROUNDS) makes the fleet healthy: each series stays near a level of 5–50, so no default rule fires.
# Without it values are drawn from 0–100 each round, and the default rules see an alert storm (about 7,800 alerts
# pending at once, going pending and clearing every second; see make_ingest_bodies.py).
# RULES=none runs with no rules (an empty rule directory); RULES=DIR with those; unset: the default rules a user
# gets (embedded in the binary). DB=postgres://USER@HOST:PORT/DB stores in PostgreSQL instead (a fresh schema per
# run, dropped at the end with psql). SERVES=N (with DB) starts N `vigil serve` on that one schema and spreads the load
# over them (one wrk each, CONNECTIONS/N connections): rates and CPU are summed over the serves, RSS is the largest.
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
serves=${SERVES:-1}
if [ "$serves" -gt 1 ] && [ -z "${DB:-}" ]; then echo "SERVES needs DB=postgres://…" >&2; exit 2; fi
serve_pids=()
ports=()
cleanup() {
    kill "${serve_pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"
    if [ -n "${DB:-}" ]; then psql "${DB%%\?*}" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rules=()
case "${RULES:-}" in
    "") ;;
    none) mkdir -p "$work/no-rules"; rules=(--rules "$work/no-rules") ;;
    *) rules=(--rules "$RULES") ;;
esac
# The first serve creates the schema; the others start once it answers.
for n in $(seq "$serves"); do
    p=$(free_port)
    "$bin/vigil" serve --db "$db" --listen "127.0.0.1:$p" "${rules[@]}" 2>"$work/serve$n.log" &
    serve_pids+=($!)
    ports+=("$p")
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done
done
port=${ports[0]}
serve_pid=${serve_pids[0]}
token=$("$bin/vigil" token create --fleet --db "$db" 2>/dev/null)
python3 "$here/make_ingest_bodies.py" "$work/bodies" "$hosts" "$series" $([ "$mode" = plain ] && echo --plain) \
    $([ -n "${ROUNDS:-}" ] && echo "--rounds $ROUNDS --step-ms ${STEP_MS:-250}") $([ -n "${QUIET:-}" ] && echo --quiet)

count() {
    local total=0
    for p in "${ports[@]}"; do
        total=$(( total + $(curl -s "http://127.0.0.1:$p/metrics" | awk '$1=="vigil_ingested_samples_total"{printf "%d", $2}') ))
    done
    echo "$total"
}
cpu() {
    local total=0
    for pid in "${serve_pids[@]}"; do total=$(( total + $(awk '{print $14+$15}' /proc/$pid/stat) )); done
    echo "$total"
}
load() { # SECONDS [wrk flags…]: one wrk per serve, run together
    local secs=$1; shift
    local per=$(( conns / serves > 0 ? conns / serves : 1 ))
    local pids=() n=0
    for p in "${ports[@]}"; do
        n=$((n + 1))
        BODIES="$work/bodies" TOKEN="$token" DELAY_MS="${DELAY_MS:-0}" GZIP=$([ "$mode" = gzip ] && echo 1 || echo 0) \
            wrk -t1 -c"$per" -d"${secs}s" "$@" -s "$here/ingest.lua" "http://127.0.0.1:$p" >"$work/wrk$n.txt" &
        pids+=($!)
    done
    wait "${pids[@]}"
}
# Warm up (series creation), then measure.
load 5
before=$(count); t0=$(date +%s.%N)
cpu0=$(cpu)
load "$secs" --latency
for n in $(seq "$serves"); do grep -E "Requests/sec|50%|99%|Non-2xx" "$work/wrk$n.txt" | sed "s/^/serve $n: /" || true; done
after=$(count); t1=$(date +%s.%N)
cpu1=$(cpu)
ticks=$(getconf CLK_TCK)
hwm=0
for pid in "${serve_pids[@]}"; do h=$(grep VmHWM /proc/$pid/status | awk '{print $2}'); [ "$h" -gt "$hwm" ] && hwm=$h; done
python3 - "$before" "$after" "$t0" "$t1" "$cpu0" "$cpu1" "$ticks" "$hwm" "$serves" <<'PY'
import sys
b, a, t0, t1, c0, c1, hz, hwm, serves = map(float, sys.argv[1:])
secs = t1 - t0
rate = (a - b) / secs
cores = (c1 - c0) / hz / secs
print(f"samples/s: {rate:,.0f}  ({serves:.0f} serve(s), server CPU {cores:.2f} cores, {(c1-c0)/hz/((a-b)/1e6):.2f} CPU-s per million samples, peak RSS {hwm/1024:.0f} MiB)")
PY
grep -E "rules|head" "$work/serve1.log" | head -n 3 || true
"$bin/vigil" db compact --db "$db" >/dev/null 2>&1 || true
"$bin/vigil" db stats --db "$db" | grep -E "chunks|size"
