#!/usr/bin/env bash
# NAB score of `vigil anomaly score` (the AnomalyDetector) with the shared scorer.
# usage: bench/nab.sh [VIGIL_BIN] [NAB_DATA_DIR] [RESULTS_DIR]
#   VIGIL_BIN     default .build-release/release/vigil (swift build -c release --scratch-path .build-release)
#   NAB_DATA_DIR  default /work/shared/data/nab (NAB layout: <category>/<file>.csv + combined_windows.json)
#   RESULTS_DIR   default a temporary directory, removed at the end; one results CSV per data file, same layout
# Runs the real binary once per data file, then prints the NAB score for the three cost profiles with per-file
# raw scores (scorer: $NAB_SCORER, default /work/shared/tools/nab_score.py) and the wall time per row
# (process start and CSV I/O included; the detector alone is a few µs per row, see docs/BENCHMARKS.md).
set -euo pipefail
bin=${1:-.build-release/release/vigil}
data=${2:-/work/shared/data/nab}
scorer=${NAB_SCORER:-/work/shared/tools/nab_score.py}
if [[ -n "${3:-}" ]]; then
    results=$3
    mkdir -p "$results"
else
    results=$(mktemp -d /tmp/vigil-nab.XXXXXX)
    trap 'rm -rf "$results"' EXIT
fi
[[ -x "$bin" ]] || { echo "no executable at $bin (build: swift build -c release --scratch-path .build-release)" >&2; exit 1; }
[[ -f "$data/combined_windows.json" ]] || { echo "$data is not a NAB data folder (no combined_windows.json)" >&2; exit 1; }

rows=0
files=0
start=$(date +%s%N)
for csv in "$data"/*/*.csv; do
    rel=${csv#"$data"/}
    mkdir -p "$results/$(dirname "$rel")"
    "$bin" anomaly score "$csv" --out "$results/$rel"
    files=$((files + 1))
done
end=$(date +%s%N)
for csv in "$data"/*/*.csv; do rows=$((rows + $(awk 'END { print NR - 1 }' "$csv"))); done
python3 -c "print(f'scored $files files, $rows rows in {($end - $start) / 1e9:.2f} s wall: {($end - $start) / $rows:.0f} ns/row including process start and CSV I/O')"
python3 "$scorer" "$data" "$results" --per-file
