#!/bin/sh
# instructions.sh [BASE] - instructions per hot-path operation (callgrind),
# the perfmon.h of git revision BASE (default HEAD) against the working
# tree's. Instruction counts repeat exactly run after run, whatever else the
# machine does, so a change to the hot path shows here even when timings
# (make bench) drown in noise. Not a substitute for time: a cache miss or a
# locked instruction costs far more than its count.
set -eu
cd "$(dirname "$0")/.."
base=${1:-HEAD}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/base" "$t/work"
git show "$base:perfmon.h" > "$t/base/perfmon.h"
git show "$base:perfmon_shm.h" > "$t/base/perfmon_shm.h"
cp perfmon.h perfmon_shm.h "$t/work/"
for v in base work; do
    ${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -I"$t/$v" -o "$t/loop_$v" bench/instr_loop.c -pthread
done
ir() { # VARIANT OP: total instructions of the run
    PERFMON_HEARTBEAT_MS=0 valgrind --tool=callgrind --callgrind-out-file="$t/out" "$t/loop_$1" "$2" > /dev/null 2>&1
    callgrind_annotate "$t/out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'
}
b0=$(ir base none)
w0=$(ir work none)
printf '%-10s %14s %14s %8s\n' operation "$base" "working tree" change
for op in count count_id gauge record scope byname timer; do
    b=$(ir base "$op")
    w=$(ir work "$op")
    awk -v op="$op" -v b="$b" -v b0="$b0" -v w="$w" -v w0="$w0" 'BEGIN {
        pb = (b - b0) / 1e6; pw = (w - w0) / 1e6
        printf "%-10s %10.2f ins %10.2f ins %+7.2f\n", op, pb, pw, pw - pb }'
done
