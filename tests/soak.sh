#!/bin/sh
# soak.sh - `make soak` (not part of `make test`): SOAK_SECONDS (default 600)
# of mixed load with viewers attached, invariants checked every second,
# memory watched.
#   writer   tests/bin/stress: 8 workers, a new thread every 5,000 operations
#            (thread churn), counter, timer, distribution, labelled counters
#            by name, gauge; PERFMON_KEEP=1
#   viewers  perfmon-view watch PID --interval 0.2 (JSON lines, discarded)
#            tests/bin/segcheck PID --interval-ms 1000: every second, every
#            invariant of tests/tools/segcheck.c (counts never back, min <=
#            max, histogram total within threads_used of count, windows
#            never reset)
# RSS (VmRSS of /proc/PID/status) of the writer, watch and segcheck is
# sampled every 10 s. Flat means: the last sample is at most
# max(2048 kB, 10%) above the sample at the end of the warm-up (the first
# 10% of the run, at least 10 s). At the end the writer exits cleanly and
# every series must hold exactly the operations it published. Prints ok /
# FAIL lines and a summary.
. "$(dirname "$0")/lib.sh"

STRESS=${STRESS:-tests/bin/stress}
SEGCHECK=${SEGCHECK:-tests/bin/segcheck}
S=${SOAK_SECONDS:-600}
[ "$S" -ge 20 ] || S=20
warm=$((S / 10))
[ $warm -ge 10 ] || warm=10
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

bg_start stress env PERFMON_KEEP=1 "$STRESS" --threads 8 --churn 5000 --seconds $((S + 3)) --progress "$T/progress"
spid=$BG_PID
if [ -z "$spid" ]; then
    t_fail soak_start "stress did not start: $(head -c 300 "$T/stress.err")"
    t_done
fi
timeout $((S + 60)) "$VIEW" watch $spid --interval 0.2 --format json > /dev/null 2> "$T/watch.err" &
wpid=$!
timeout $((S + 60)) "$SEGCHECK" $spid --seconds "$S" --interval-ms 1000 > "$T/check.out" 2>&1 &
cpid=$!
echo "# soak: ${S} s, writer $spid, watch $wpid, segcheck $cpid; RSS every 10 s (kB: writer watch segcheck)"
t=0 w0="" v0="" c0=""
: > "$T/rss"
while [ $t -lt "$S" ]; do
    sleep 10
    t=$((t + 10))
    set -- "$(rss $spid)" "$(rss $wpid)" "$(rss $cpid)"
    echo "$t $1 $2 $3" >> "$T/rss"
    if [ $t -ge $warm ] && [ -z "$w0" ]; then w0=$1 v0=$2 c0=$3; fi
    [ $((t % 60)) -eq 0 ] && echo "# soak: ${t} s: RSS $1 $2 $3"
done
set -- $(tail -n 1 "$T/rss")
w1=$2 v1=$3 c1=$4
flat() { [ -n "$2" ] && [ "$2" -gt 0 ] && [ $(($3 - $2)) -le $(( $2 / 10 > 2048 ? $2 / 10 : 2048 )) ]; }
t_check soak_writer_rss_flat "writer RSS $w0 -> $w1 kB ($(tr '\n' ';' < "$T/rss"))" 'flat writer "$w0" "$w1"'
t_check soak_watch_rss_flat "watch RSS $v0 -> $v1 kB" 'flat watch "$v0" "$v1"'
t_check soak_segcheck_rss_flat "segcheck RSS $c0 -> $c1 kB" 'flat segcheck "$c0" "$c1"'

wait $cpid
crc=$?
t_check soak_invariants_every_second "rc=$crc: $(head -c 600 "$T/check.out")" \
    '[ $crc = 0 ] && grep -q "^segcheck: [0-9]* snapshots, 0 violations" "$T/check.out"'
wait $spid
src=$?
wait $wpid
vrc=$?
t_check soak_watch_ran "watch exit $vrc: $(head -c 300 "$T/watch.err")" '[ $vrc = 0 ]'
set -- $("$STRESS" --sum "$T/progress")
P=$2
mkdir "$T/shm"
mv "/dev/shm/perfmon.$spid" "$T/shm/" 2>/dev/null
PERFMON_SHM_DIR="$T/shm" timeout 30 "$VIEW" export $spid > "$T/f.json" 2> "$T/f.err"
rc=$?
value() { jq -r --arg n "$2" "[.series[] | select(.name == \$n) | .$3] | add // \"missing\"" "$1"; }
got="$(value "$T/f.json" stress.ops value) $(value "$T/f.json" stress.timer count) $(value "$T/f.json" stress.size count) $(value "$T/f.json" stress.req value)"
tu=$(jq -r .threads_used "$T/f.json" 2>/dev/null)
dr=$(jq -r .dropped "$T/f.json" 2>/dev/null)
t_check soak_final_exact "writer exit $src, export rc=$rc, published $P, got $got, dropped $dr" \
    '[ $src = 0 ] && [ $rc = 0 ] && [ "$got" = "$P $P $P $P" ] && [ "$dr" = 0 ]'
echo "# soak: ${S} s, $P operations ($((P / S))/s) by 8 workers, $((P / 5000)) threads, threads_used $tu;" \
     "$(tail -n 1 "$T/check.out");" \
     "RSS kB writer $w0 -> $w1, watch $v0 -> $v1, segcheck $c0 -> $c1"
t_done
