#!/usr/bin/env bash
# Layout time of the Topology pane's two layouts beside Graphviz on the same synthetic graphs (50, 200, 1,000 nodes):
# vigil's layered layout against `dot` (Sugiyama-style, Graphviz's hierarchical layout), its force layout against
# `neato` (stress majorization, Graphviz's force-directed layout). Each Graphviz figure is the median of RUNS runs of
# the whole program minus the median of the same program on a one-node graph (its start-up), so both sides time the
# layout only. Needs graphviz (apt-get install graphviz).
# usage: bench/topology.sh [BIN_DIR] [RUNS]
set -euo pipefail
bin=${1:-.build-release/release}
runs=${2:-5}
work=$(mktemp -d /tmp/vigil-topology.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$bin/vigil" topology bench --runs "$runs" --write-dot "$work"
echo 'digraph g { a; }' >"$work/graph-1.dot"
median() {  # command… → median wall ms over $runs runs
    local times=()
    for _ in $(seq "$runs"); do
        local t0 t1
        t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
        times+=($(( (t1 - t0) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}
echo
d0=$(median dot -Tplain "$work/graph-1.dot"); n0=$(median neato -Tplain "$work/graph-1.dot")
printf 'NODES  DOT ms  NEATO ms   (start-up subtracted: dot %s ms, neato %s ms)\n' "$d0" "$n0"
for n in 50 200 1000; do
    d=$(median dot -Tplain "$work/graph-$n.dot"); ne=$(median neato -Tplain "$work/graph-$n.dot")
    printf '%-6s %-7s %s\n' "$n" "$(awk -v a="$d" -v b="$d0" 'BEGIN {printf "%.1f", a-b}')" "$(awk -v a="$ne" -v b="$n0" 'BEGIN {printf "%.1f", a-b}')"
done
