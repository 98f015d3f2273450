#!/usr/bin/env bash
# The peer of bench/ingest.sh: Prometheus from Debian scraping TARGETS synthetic exporters of SERIES series each every
# INTERVAL (bench/exporters.py, the same metric names and label shape as the Vigil bench's bodies), measured over
# SECONDS after a warm-up. Prints samples/s from Prometheus' own counter (prometheus_tsdb_head_samples_appended_total),
# its CPU-s per million samples (/proc) and its peak RSS.
# usage: bench/prometheus.sh [TARGETS] [SERIES] [INTERVAL] [SECONDS]     e.g. bench/prometheus.sh 200 500 250ms 30
set -euo pipefail
targets=${1:-200}
series=${2:-500}
interval=${3:-1s}
secs=${4:-30}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/vigil-prom.XXXXXX)
cleanup() { kill $prom_pid $exp_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
base=$(python3 -c 'import random; print(random.randint(20000, 40000))')
python3 "$here/exporters.py" "$base" "$targets" "$series" >"$work/exporters.log" 2>&1 &
exp_pid=$!
for _ in $(seq 100); do grep -q serving "$work/exporters.log" && break; sleep 0.1; done
{
    echo "global: {scrape_interval: $interval, scrape_timeout: $interval}"
    echo "scrape_configs:"
    echo "  - job_name: bench"
    echo "    static_configs:"
    echo "      - targets:"
    for i in $(seq 0 $((targets - 1))); do echo "          - 127.0.0.1:$((base + i))"; done
} >"$work/prometheus.yml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" --web.listen-address="127.0.0.1:$port" \
    >"$work/prometheus.log" 2>&1 &
prom_pid=$!
count() { curl -s "http://127.0.0.1:$port/metrics" | awk '$1 ~ /^prometheus_tsdb_head_samples_appended_total(\{|$)/ {s+=$2} END{printf "%d", s}'; }
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break; sleep 0.2; done
sleep 10   # warm-up: every target scraped, the head's series created
before=$(count); t0=$(date +%s.%N); cpu0=$(awk '{print $14+$15}' /proc/$prom_pid/stat)
sleep "$secs"
after=$(count); t1=$(date +%s.%N); cpu1=$(awk '{print $14+$15}' /proc/$prom_pid/stat)
up=$(curl -s "http://127.0.0.1:$port/api/v1/query?query=sum(up)" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
python3 - "$before" "$after" "$t0" "$t1" "$cpu0" "$cpu1" "$(getconf CLK_TCK)" "$(grep VmHWM /proc/$prom_pid/status | awk '{print $2}')" "$up" "$targets" <<'PY'
import sys
b, a, t0, t1, c0, c1, hz, hwm, up, targets = map(float, sys.argv[1:])
secs = t1 - t0
rate = (a - b) / secs
print(f"prometheus samples/s: {rate:,.0f}  ({up:.0f}/{targets:.0f} targets up, CPU {(c1-c0)/hz/secs:.2f} cores, "
      f"{(c1-c0)/hz/((a-b)/1e6):.2f} CPU-s per million samples, peak RSS {hwm/1024:.0f} MiB)")
PY
