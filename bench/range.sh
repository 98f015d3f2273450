#!/usr/bin/env bash
# Range-query latency against store size: seeds a demo fleet (HOSTS hosts, DAYS days of history), applies retention
# (the rollups), then times `vigil db query` (the query alone, as it prints it) RUNS times each for: one series over
# 1 h, 24 h, 7 d and 30 d, and 100 series over 1 h. Prints seeding figures and the median of each.
#   bench/range.sh [VIGIL] [HOSTS] [DAYS] [RUNS] [DB]     e.g. bench/range.sh .build-release/release/vigil 1000 16
# DB may be a postgres:// address (a fresh schema) instead of the default temp SQLite file.
set -euo pipefail
bin=${1:-.build-release/release/vigil}; hosts=${2:-24}; days=${3:-7}; runs=${4:-5}
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
db=${5:-$dir/range.db}
export HOME=$dir XDG_DATA_HOME=$dir XDG_CONFIG_HOME=$dir
/usr/bin/time -f "seed: %e s wall, %M KiB peak RSS" "$bin" demo --db "$db" --hosts "$hosts" --days "$days" 2>&1 | grep -v "^the night\|^explore"
/usr/bin/time -f "retention: %e s wall, %M KiB peak RSS" "$bin" db retention run --db "$db" 2>&1
"$bin" db stats --db "$db" | grep -E "size|series|chunks|rollups"
first=$("$bin" db query cpu.usage_percent --host '*' --since 10m --db "$db" | awk 'NR>2 {print $1}' | sed -n 1,100p | paste -sd, -)
one=${first%%,*}
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f ms", m*1000}'; }
q() {  # label, then query arguments
    local label=$1; shift
    local line; line=$("$bin" db query cpu.usage_percent "$@" --db "$db" | sed -n 1p)
    local ms; ms=$(for _ in $(seq "$runs"); do "$bin" db query cpu.usage_percent "$@" --db "$db" | sed -n 1p | sed -E 's/.*\(([0-9.e-]+) seconds\)$/\1/'; done | median)
    echo "$label: median $ms — ${line%% (*}"
}
q "one series, 1 h" --host "$one" --since 1h --points 600
q "one series, 24 h" --host "$one" --since 24h --points 600
q "one series, 7 d" --host "$one" --since 7d --points 600
q "one series, 30 d" --host "$one" --since 30d --points 600
q "100 series, 1 h" --host "$first" --since 1h --points 600
