#!/usr/bin/env bash
# Log template mining on the Loghub-2k datasets: accuracy and throughput of the real `vigil logs patterns`.
# usage: bench/loghub.sh [VIGIL_BINARY] [OUT_DIR] [DATA_DIR]
#   VIGIL_BINARY  default .build-release/release/vigil
#   OUT_DIR       predictions (<Dataset>.csv) and scratch files; default a temporary directory
#   DATA_DIR      default /work/shared/data/loghub (needs log_formats.json and <Dataset>/<Dataset>_2k.log)
# 1. Mines every dataset with its log_format from log_formats.json (only the format differs per dataset) and
#    scores the predictions with the shared scorer (grouping accuracy per dataset and the mean).
# 2. Throughput, single process: every dataset repeated REPEAT times (default 15: 30,000 lines each, 300,000
#    in all), mined with its format, CSV written; lines/s = total lines / total wall time (process start,
#    reading and CSV writing included). Then all datasets concatenated and repeated (300,000 mixed lines),
#    mined as whole lines without a format.
set -euo pipefail
bin=${1:-.build-release/release/vigil}
out=${2:-$(mktemp -d /tmp/vigil-loghub.XXXXXX)}
data=${3:-/work/shared/data/loghub}
repeat=${REPEAT:-15}
scorer=${SCORER:-/work/shared/tools/loghub_score.py}
mkdir -p "$out"
[ -x "$bin" ] || { echo "no executable at $bin (build: swift build -c release --build-path .build-release)" >&2; exit 1; }

datasets=$(python3 -c 'import json,sys; print(" ".join(sorted(json.load(open(sys.argv[1]))["datasets"])))' "$data/log_formats.json")
format_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["datasets"][sys.argv[2]]["log_format"])' "$data/log_formats.json" "$1"; }
now() { date +%s.%N; }

echo "== accuracy (predictions in $out)"
for ds in $datasets; do
    "$bin" logs patterns "$data/$ds/${ds}_2k.log" --format "$(format_of "$ds")" --out "$out/$ds.csv" 2>/dev/null
done
python3 "$scorer" --all "$data" "$out"

echo "== throughput (x$repeat per dataset)"
mkdir -p "$out/bench"
total_lines=0
total_time=0
for ds in $datasets; do
    big="$out/bench/$ds.log"
    for _ in $(seq "$repeat"); do awk 1 "$data/$ds/${ds}_2k.log"; done > "$big"  # awk 1: ends the last line
    lines=$(wc -l < "$big")
    fmt=$(format_of "$ds")
    t0=$(now)
    "$bin" logs patterns "$big" --format "$fmt" --out "$out/bench/$ds.csv" 2>/dev/null
    t1=$(now)
    secs=$(python3 -c "print(f'{$t1-$t0:.3f}')")
    printf '%-10s %7d lines %7s s %9.0f lines/s\n' "$ds" "$lines" "$secs" "$(python3 -c "print($lines/($t1-$t0))")"
    total_lines=$((total_lines + lines))
    total_time=$(python3 -c "print($total_time + $t1 - $t0)")
done
python3 -c "print(f'with formats: {$total_lines} lines in {$total_time:.3f} s = {$total_lines/$total_time:,.0f} lines/s')"

mixed="$out/bench/all.log"
for _ in $(seq "$repeat"); do for ds in $datasets; do awk 1 "$data/$ds/${ds}_2k.log"; done; done > "$mixed"
lines=$(wc -l < "$mixed")
t0=$(now)
"$bin" logs patterns "$mixed" --out "$out/bench/all.csv"
t1=$(now)
python3 -c "print(f'mixed, whole lines: {$lines} lines in {$t1-$t0:.3f} s = {$lines/($t1-$t0):,.0f} lines/s')"
