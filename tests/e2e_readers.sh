#!/bin/sh
# e2e_readers.sh - readers in other processes while 8 threads record
# (tests/bin/stress): segcheck snapshots in a tight loop through the
# viewer's own code and checks every invariant a reader relies on (counts
# never go back, min <= max, histogram total within the in-flight bound of
# count, windows never "reset"; see tests/tools/segcheck.c); perfmon-view
# export runs in a loop and its counts never go back; after a clean exit
# (PERFMON_KEEP=1) every series holds exactly the operations completed.
. "$(dirname "$0")/lib.sh"

STRESS=${STRESS:-tests/bin/stress}
SEGCHECK=${SEGCHECK:-tests/bin/segcheck}
SECONDS_LOAD=${PM_READERS_SECONDS:-6}
mkdir "$T/shm"
value() { jq -r --arg n "$2" "[.series[] | select(.name == \$n) | .$3] | add // \"missing\"" "$1"; }

bg_start stress env PERFMON_KEEP=1 "$STRESS" --threads 8 --seconds "$SECONDS_LOAD" --progress "$T/progress"
spid=$BG_PID
if [ -z "$spid" ]; then
    t_fail readers_start "stress did not start: $(head -c 300 "$T/stress.err")"
    t_done
fi

# two readers at once: segcheck in a tight loop, export in a shell loop
timeout 60 "$SEGCHECK" $spid --seconds $((SECONDS_LOAD - 2)) > "$T/check.out" 2>&1 &
cpid=$!
prev=0 prev_t=0 n=0 bad=""
end=$(( $(date +%s) + SECONDS_LOAD - 2 ))
cap=$(( $(date +%s) + 120 ))
# for the load's duration, and at least 3 exports however slow the build
# (a kept segment still checks monotonicity after stress exits)
while { [ "$(date +%s)" -lt $end ] || [ $n -lt 3 ]; } && [ "$(date +%s)" -lt $cap ]; do
    timeout 30 "$VIEW" export $spid > "$T/e.json" 2> "$T/e.err" || { bad="$bad export-rc=$? $(head -c 200 "$T/e.err")"; break; }
    ops=$(value "$T/e.json" stress.ops value)
    tc=$(value "$T/e.json" stress.timer count)
    mm=$(jq -r '[.series[] | select(.count > 0 and .min != null and .min > .max) | .name] | join(",")' "$T/e.json")
    [ "$ops" -ge "$prev" ] 2>/dev/null || bad="$bad ops:$prev->$ops"
    [ "$tc" -ge "$prev_t" ] 2>/dev/null || bad="$bad timer:$prev_t->$tc"
    [ -z "$mm" ] || bad="$bad min>max:$mm"
    prev=$ops prev_t=$tc n=$((n + 1))
done
wait $cpid
crc=$?
t_check readers_segcheck_tight_loop "rc=$crc: $(head -c 600 "$T/check.out")" \
    '[ $crc = 0 ] && grep -q "^segcheck: [0-9]* snapshots, 0 violations" "$T/check.out"'
t_check readers_export_loop "$n exports:$bad" '[ -z "$bad" ] && [ $n -ge 3 ]'
echo "# $(tail -n 1 "$T/check.out"); $n exports"

wait $spid
src=$?
seg=/dev/shm/perfmon.$spid
set -- $("$STRESS" --sum "$T/progress")
P=$2
mv "$seg" "$T/shm/" 2>/dev/null
PERFMON_SHM_DIR="$T/shm" timeout 30 "$VIEW" export $spid > "$T/f.json" 2> "$T/f.err"
rc=$?
got="$(value "$T/f.json" stress.ops value) $(value "$T/f.json" stress.timer count) $(value "$T/f.json" stress.size count) $(value "$T/f.json" stress.req value)"
t_check readers_final_exact "stress exit $src, export rc=$rc, published $P, got $got $(grep -E 'SUMMARY|WARNING|#[0-3] ' "$T/stress.err" | head -n 12)" \
    '[ $src = 0 ] && [ $rc = 0 ] && [ "$got" = "$P $P $P $P" ]'
t_done
