#!/usr/bin/env bash
# How fast an interactive run reaches the host: `vigil runbook dry-run zombie_killer` against a real
# `vigil serve` and a real `vigil-agent` (long-polling), repeated N times. Prints, per run, the time from the
# moment the run is queued to the agent's first step event, and the whole command's wall time (plan, queue,
# hand-over, two real step programs, results back); then the medians.
# usage: bench/job_latency.sh [BIN_DIR] [RUNS]
set -euo pipefail
bin=${1:-.build-release/release}
runs=${2:-15}
work=$(mktemp -d /tmp/vigil-joblat.XXXXXX)
pids=()
trap 'kill ${pids[@]} 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/vigil" serve --db "$work/v.db" --listen "127.0.0.1:$port" 2>/dev/null & pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
token=$("$bin/vigil" token create --host bench-host --db "$work/v.db" 2>/dev/null)
VIGIL_TOKEN="$token" "$bin/vigil-agent" --url "http://127.0.0.1:$port" --host bench-host --interval 5s --state-dir "$work/agent" 2>"$work/agent.log" & pids+=($!)
sleep 3
for i in $(seq "$runs"); do
    start=$(date +%s%N)
    "$bin/vigil" runbook dry-run zombie_killer --host bench-host --db "$work/v.db" > "$work/out.$i" 2>&1 || true
    end=$(date +%s%N)
    echo "$(( (end - start) / 1000000 ))" >> "$work/wall"
done
python3 - "$work/v.db" "$work/wall" <<'PY'
import sqlite3, statistics, sys, json
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT id, updated_at, state FROM remediation_runs ORDER BY created_at").fetchall()
lat = []
for rid, _, state in rows:
    queued = db.execute("SELECT ts FROM audit_log WHERE target = ? AND action = 'runbook.dry_run'", (rid,)).fetchone()[0]
    first = db.execute("SELECT min(at) FROM remediation_events WHERE run_id = ?", (rid,)).fetchone()[0]
    lat.append(first - queued)
    print(f"{rid}: {state}, first step event {first - queued} ms after it was queued")
wall = [int(x) for x in open(sys.argv[2]).read().split()]
print(f"runs: {len(rows)}; queued → first step event: median {statistics.median(lat):.0f} ms, max {max(lat)} ms; "
      f"whole dry-run command: median {statistics.median(wall):.0f} ms")
PY
