#!/usr/bin/env bash
# Fuzz Vigil's parsers with libFuzzer (and AddressSanitizer).
#
#   fuzz/run.sh [SECONDS] [TARGET...]     default: 30 s for each of every target
#
# Targets: ingest, alertmanager, rules, runbook, theme, logformat, logquery, pgwire (Sources/VigilFuzz/FuzzTarget.swift).
# Each run starts from the committed seeds (fuzz/corpus/TARGET) in a scratch copy, so nothing is written into the
# checkout. A crash, leak, timeout (10 s per input) or out-of-memory stops that target; the input is copied to
# fuzz/findings/ and the script exits 1. Turn a finding into a regression: fix it, move the file into
# fuzz/regressions/TARGET/ (FuzzCorpusTests replays it in the ordinary suite), and commit both.
# A longer run, e.g. an hour for each target:  fuzz/run.sh 3600
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(ingest alertmanager rules runbook theme logformat logquery pgwire); fi

# Coverage for libFuzzer and AddressSanitizer on every module; libFuzzer without its main (vigil-fuzz calls
# LLVMFuzzerRunDriver), so executables with top-level code, such as the build's own generator, still link.
# (SwiftPM's --sanitize=fuzzer compiles every executable as a library, which they are not.)
fuzzer_lib=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib/clang
fuzzer_lib=$(ls "$fuzzer_lib"/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | sort -V | tail -n 1)
swift build --product vigil-fuzz --sanitize=address -Xswiftc -DVIGIL_LIBFUZZER \
    -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
    -Xlinker "$fuzzer_lib" -Xlinker -lstdc++ --scratch-path .build-fuzz 2>&1 | grep -v "warning: Cannot export local symbol" | tail -n 3
bin=.build-fuzz/debug/vigil-fuzz
work=$(mktemp -d /tmp/vigil-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
status=0
for t in "${targets[@]}"; do
    mkdir -p "$work/$t" "$work/$t-artifacts"
    cp fuzz/corpus/"$t"/* "$work/$t/"
    if [ -d fuzz/regressions/"$t" ]; then cp fuzz/regressions/"$t"/* "$work/$t/" 2>/dev/null || true; fi
    echo "fuzz: $t for ${seconds}s"
    if ASAN_OPTIONS=detect_leaks=0 "$bin" "$t" "$work/$t" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/$t-artifacts/" \
        >"$work/$t.log" 2>&1; then
        grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work/$t.log" | tr '\n' ' '; echo
    else
        status=1
        tail -n 40 "$work/$t.log"
        mkdir -p fuzz/findings/"$t"
        cp "$work/$t-artifacts/"* fuzz/findings/"$t"/ 2>/dev/null || true
        echo "fuzz: $t FAILED; inputs in fuzz/findings/$t/"
    fi
done
exit $status
