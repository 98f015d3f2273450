#!/usr/bin/env bash
# Agent footprint beside prometheus-node-exporter on the same machine, same duration.
# usage: [AGENT=PATH] bench/footprint.sh [BIN_DIR] [SECONDS] [INTERVAL]
# AGENT defaults to BIN_DIR/vigil-agent; the deployable one is built with
#   swift build -c release --static-swift-stdlib --product vigil-agent --scratch-path .build-static
# vigil-agent pushes every INTERVAL to a local `vigil serve`; node_exporter is scraped every INTERVAL.
# Prints peak RSS (VmHWM) and CPU per cycle for both. Needs prometheus-node-exporter and curl.
# With DB_URL=postgres://… the agent also probes that PostgreSQL server (a databases: entry) and
# prometheus-postgres-exporter, its peer, is scraped beside node_exporter.
# CONNECTIONS=1s reports the host's TCP connections every cycle (the default is once a minute) and CONNS=N first
# opens N loopback connections (both ends in one python3 process), so the connection collector has sockets to read.
set -euo pipefail
bin=${1:-.build-release/release}
secs=${2:-60}
interval=${3:-1}
agent=${AGENT:-$bin/vigil-agent}
work=$(mktemp -d /tmp/vigil-footprint.XXXXXX)
pids=()
trap 'kill ${pids[@]} 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
vp=$(port); np=$(port)
"$bin/vigil" serve --db "$work/v.db" --listen "127.0.0.1:$vp" 2>/dev/null & pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$vp/healthz" >/dev/null && break; sleep 0.1; done
token=$("$bin/vigil" token create --fleet --db "$work/v.db" 2>/dev/null)
config=()
: >"$work/agent.yaml"
if [ -n "${DB_URL:-}" ]; then
    printf 'databases:\n  - name: main\n    url_env: DB_URL\n' >>"$work/agent.yaml"
    config=(--config "$work/agent.yaml")
fi
if [ -n "${CONNECTIONS:-}" ]; then
    printf 'connections: %s\n' "$CONNECTIONS" >>"$work/agent.yaml"
    config=(--config "$work/agent.yaml")
fi
if [ -n "${CONNS:-}" ]; then
    cp=$(port)
    python3 -c "import socket,time
s=socket.socket(); s.bind(('127.0.0.2',$cp)); s.listen(4096)
c=[socket.create_connection(('127.0.0.2',$cp)) for _ in range($CONNS)]; a=[s.accept()[0] for _ in range($CONNS)]
time.sleep(100000)" & pids+=($!)
    sleep 2
fi
VIGIL_TOKEN="$token" DB_URL="${DB_URL:-}" "$agent" "${config[@]}" --url "http://127.0.0.1:$vp" --interval "${interval}s" --state-dir "$work/agent" 2>"$work/agent.log" & ap=$!; pids+=($ap)
prometheus-node-exporter --web.listen-address="127.0.0.1:$np" >/dev/null 2>&1 & np_pid=$!; pids+=($np_pid)
pp=""
if [ -n "${DB_URL:-}" ]; then
    pp=$(port)
    DATA_SOURCE_NAME="$DB_URL?sslmode=disable" prometheus-postgres-exporter --web.listen-address="127.0.0.1:$pp" >/dev/null 2>&1 & pg_pid=$!; pids+=($pg_pid)
fi
sleep 1
cycles=$(python3 -c "print(int($secs/$interval))")
for _ in $(seq "$cycles"); do
    curl -s "http://127.0.0.1:$np/metrics" >/dev/null
    if [ -n "$pp" ]; then curl -s "http://127.0.0.1:$pp/metrics" >/dev/null; fi
    sleep "$interval"
done
hz=$(getconf CLK_TCK)
report() { # name pid
    local hwm rss ticks
    hwm=$(awk '/VmHWM/{print $2}' /proc/$2/status); rss=$(awk '/VmRSS/{print $2}' /proc/$2/status)
    ticks=$(awk '{print $14+$15}' /proc/$2/stat)
    python3 -c "print(f'$1: peak RSS {$hwm/1024:.1f} MiB (now {$rss/1024:.1f}), CPU {$ticks/$hz:.2f} s over $cycles cycles = {$ticks/$hz/$cycles*1000:.2f} ms/cycle')"
}
report "vigil-agent    " $ap
report "node_exporter  " $np_pid
if [ -n "$pp" ]; then
    report "postgres_exporter" $pg_pid
    echo "postgres_exporter served $(curl -s "http://127.0.0.1:$pp/metrics" | grep -c '^pg_') pg_ series; agent: $(grep -c 'database main' "$work/agent.log" || true) database log lines"
    grep 'database main' "$work/agent.log" | head -3 || true
fi
samples=$(curl -s "http://127.0.0.1:$vp/metrics" | awk '$1=="vigil_ingested_samples_total"{print $2}')
echo "vigil-agent delivered $samples samples; node_exporter served $cycles scrapes"
echo "files: vigil-agent $(stat -c %s "$agent") bytes ($(ldd "$agent" | grep -c '=>') shared libraries: $(ldd "$agent" | awk '/=>/{print $1}' | tr '\n' ' '))"
echo "       node_exporter $(stat -c %s "$(command -v prometheus-node-exporter)") bytes"
