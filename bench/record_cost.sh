#!/bin/sh
# record_cost.sh - what `perfmon-view record` costs: PROCS processes of
# SERIES busy series each (bench/many_series.c: every series moves every
# 100 ms, the worst case), recorded at 1 s for SECONDS seconds.
# Prints the recorder's CPU as a share of one core and the database's
# bytes per series per hour.   usage: sh bench/record_cost.sh [PROCS] [SERIES] [SECONDS]
cd "$(dirname "$0")/.." || exit 1
PROCS=${1:-100} SERIES=${2:-1000} SECONDS_=${3:-30}
VIEW=${VIEW:-viewer/perfmon-view}
dir=$(mktemp -d "${TMPDIR:-/tmp}/perfmon-record-cost.XXXXXX") || exit 1
pids=""
trap 'kill $pids 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
i=0
while [ $i -lt "$PROCS" ]; do
    PERFMON_MAX_SERIES=$((SERIES + 64)) bench/bin/many_series "$SERIES" > "$dir/p.$i" &
    pids="$pids $!"
    i=$((i + 1))
done
for f in "$dir"/p.*; do
    n=0
    while [ ! -s "$f" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
done
# only our processes: --name many_series, a private database
/usr/bin/time -f "%U %S %e %M" -o "$dir/time" "$VIEW" record --name many_series --db "$dir/h.db" -i 1 -n "$SECONDS_" -q 2> "$dir/err"
read -r user sys wall rss < "$dir/time"
bytes=$(stat -c %s "$dir/h.db")
wal=$(stat -c %s "$dir/h.db-wal" 2>/dev/null || echo 0)
awk -v u="$user" -v s="$sys" -v w="$wall" -v r="$rss" -v b="$bytes" -v wl="$wal" -v p="$PROCS" -v n="$SERIES" -v t="$SECONDS_" 'BEGIN {
    printf "record: %d processes x %d busy series at 1 s for %d s (2 cores, shared)\n", p, n, t
    printf "  CPU %.1f%% of one core (user %.1f s, sys %.1f s over %.1f s); max RSS %.0f MiB\n", 100 * (u + s) / w, u, s, w, r / 1024
    printf "  database %.1f MiB (+ %.1f MiB WAL): %.0f bytes per series per hour\n", b / 1048576, wl / 1048576, (b + wl) / (p * n) / (t / 3600)
}'
