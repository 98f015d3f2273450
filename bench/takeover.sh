#!/usr/bin/env bash
# Two vigil serve on one PostgreSQL schema; SIGKILL the lease holder; time until the other holds the lease.
set -euo pipefail
bin=${1:-.build-release/release/vigil}
base=${2:-postgres://vigil@127.0.0.1:55432/vigil_test}
schema=takeover_$$
rules=$(mktemp -d)
url="$base?sslmode=disable&schema=$schema"
psql "$base" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" 2>/dev/null
"$bin" serve --db "$url" --listen 127.0.0.1:0 --rules "$rules" 2>/dev/null & p1=$!
sleep 1
"$bin" serve --db "$url" --listen 127.0.0.1:0 --rules "$rules" 2>/dev/null & p2=$!
trap 'kill $p1 $p2 2>/dev/null; rm -rf "$rules"; psql "$base" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" 2>/dev/null' EXIT
lease() { psql "$base" -Atc "SELECT pid || ' ' || generation FROM $schema.engine_lease WHERE expires_at >= (extract(epoch from now())*1000)::bigint" 2>/dev/null; }
for _ in $(seq 100); do [ -n "$(lease)" ] && break; sleep 0.2; done
sleep 6   # a renewal or two
read holder gen <<<"$(lease)"
kill -9 "$holder"; t0=$(date +%s.%N)
while true; do
    read now_holder now_gen <<<"$(lease || echo "- -")"
    if [ -n "${now_holder:-}" ] && [ "$now_holder" != "-" ] && [ "$now_holder" != "$holder" ]; then break; fi
    sleep 0.1
done
t1=$(date +%s.%N)
python3 -c "print(f'holder {int(\"$holder\")} (generation $gen) killed; {int(\"$now_holder\")} took over at generation $now_gen after {$t1-$t0:.1f} s')"
