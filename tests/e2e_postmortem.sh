#!/bin/sh
# e2e_postmortem.sh - reading a segment after its writer ended: normal exit
# with and without PERFMON_KEEP, SIGKILL, abort(); `perfmon-view gc`.
# Segments of dead writers are moved (same tmpfs: inode and lock state kept)
# into a private directory the viewer reads through PERFMON_SHM_DIR, so gc
# here never touches anybody else's segments in /dev/shm.
. "$(dirname "$0")/lib.sh"

mkdir "$T/shm"
V() { PERFMON_SHM_DIR="$T/shm" timeout 30 "$VIEW" "$@"; }
series() { jq -r --arg n "$2" ".series[] | select(.full_name == \$n) | .$3" "$1"; }

# ---- normal exit with PERFMON_KEEP=1: kept, state exited, values exact
PERFMON_KEEP=1 run_writer --threads 4 --iters 100000 --mode mixed --errors-every 7 --then exit
seg=/dev/shm/perfmon.$WPID
t_check keep_exit_status "writer exit status $WRC" '[ "$WRC" = 0 ] && [ -n "$WPID" ]'
t_check keep_segment_left "$seg missing" '[ -f "$seg" ]'
mv "$seg" "$T/shm/" 2>/dev/null
V export "$WPID" > "$T/k.json" 2> "$T/v.err"
rc=$?
got="$rc $(jq -r '.alive, .state' "$T/k.json" 2>/dev/null | tr '\n' ' ')"
t_check keep_reads_exited "rc alive state = $got; $(cat "$T/v.err")" '[ "$got" = "0 false exited " ]'
got="$(series "$T/k.json" writer.count value) $(series "$T/k.json" writer.timer count) $(series "$T/k.json" writer.timer errors) $(series "$T/k.json" writer.gauge value)"
t_check keep_values_exact "count timer.count timer.errors gauge = $got" '[ "$got" = "400000 400000 57140 -400000" ]'
e=$(jq -r '.end_realtime_ns' "$T/k.json")
t_check keep_end_time_set "end_realtime_ns $e" '[ -n "$e" ] && [ "$e" != 0 ] && [ "$e" != null ]'
V stats "$WPID" > "$T/s.out" 2> "$T/v.err"
rc=$?
t_check keep_stats_says_exited "rc=$rc: $(head -n 1 "$T/s.out")" '[ $rc = 0 ] && head -n 1 "$T/s.out" | grep -q exited'
V gc > "$T/gc.out" 2> "$T/v.err"
rc=$?
t_check gc_keeps_exited "rc=$rc, $(cat "$T/gc.out" "$T/v.err")" '[ $rc = 0 ] && [ -e "$T/shm/perfmon.$WPID" ] && grep -q "nothing to remove" "$T/gc.out"'
V gc --exited --pid $((WPID + 1)) > "$T/gc.out" 2> "$T/v.err"
t_check gc_pid_filter "$(cat "$T/gc.out" "$T/v.err")" '[ -e "$T/shm/perfmon.$WPID" ] && grep -q "nothing to remove" "$T/gc.out"'
V gc --exited --older-than 1h > "$T/gc.out" 2> "$T/v.err"
t_check gc_older_than_filter "$(cat "$T/gc.out" "$T/v.err")" '[ -e "$T/shm/perfmon.$WPID" ] && grep -q "nothing to remove" "$T/gc.out"'
V gc --exited --pid "$WPID" --older-than=0 > "$T/gc.out" 2> "$T/v.err"
rc=$?
t_check gc_removes_exited "rc=$rc, $(cat "$T/gc.out" "$T/v.err")" '[ $rc = 0 ] && [ ! -e "$T/shm/perfmon.$WPID" ] && grep -q "perfmon.$WPID" "$T/gc.out"'
for bad in "--older-than" "--older-than -5" "--older-than 3x" "--pid 0" "--pid abc" "--frobnicate"; do
    # shellcheck disable=SC2086
    V gc $bad > "$T/gc.out" 2> "$T/v.err"
    rc=$?
    t_check "gc_usage_error_$(echo "$bad" | tr -c 'a-z0-9\n' _)" "rc=$rc: $(cat "$T/v.err")" \
        '[ $rc = 2 ] && [ "$(wc -l < "$T/v.err")" -le 2 ] && grep -q "^perfmon-view: gc: " "$T/v.err"'
done

# ---- normal exit without PERFMON_KEEP: removed
run_writer --threads 2 --iters 1000 --mode count --then exit
t_check no_keep_removed "rc=$WRC, /dev/shm/perfmon.$WPID exists" '[ "$WRC" = 0 ] && [ -n "$WPID" ] && [ ! -e "/dev/shm/perfmon.$WPID" ]'
timeout 30 "$VIEW" stats "$WPID" > /dev/null 2> "$T/v.err"
rc=$?
t_check no_keep_viewer_exit_2 "rc=$rc, $(wc -l < "$T/v.err") stderr lines" '[ $rc = 2 ] && [ "$(wc -l < "$T/v.err")" = 1 ]'

# ---- SIGKILL: segment left, viewer reads it and reports the writer gone
run_writer --threads 8 --iters 100000 --mode count --then kill
seg=/dev/shm/perfmon.$WPID
t_check kill_segment_left "rc=$WRC, $seg missing" '[ "$WRC" = 137 ] && [ -n "$WPID" ] && [ -f "$seg" ]'
mv "$seg" "$T/shm/" 2>/dev/null
V export "$WPID" > "$T/x.json" 2> "$T/v.err"
rc=$?
got="$rc $(jq -r '.alive, .state' "$T/x.json" 2>/dev/null | tr '\n' ' ')$(series "$T/x.json" writer.count value)"
t_check kill_reads_crashed_exact "rc alive state value = $got; $(cat "$T/v.err")" '[ "$got" = "0 false crashed 800000" ]'
V stats "$WPID" > "$T/s.out" 2> "$T/v.err"
rc=$?
t_check kill_stats_says_crashed "rc=$rc: $(head -n 1 "$T/s.out")" '[ $rc = 0 ] && head -n 1 "$T/s.out" | grep -q crashed'
V list > "$T/l.out" 2> "$T/v.err"
rc=$?
t_check kill_listed "rc=$rc: $(cat "$T/l.out")" '[ $rc = 0 ] && grep -q "$WPID" "$T/l.out"'
V gc --dry-run > "$T/gc.out" 2> "$T/v.err"
rc=$?
t_check gc_dry_run_keeps "rc=$rc: $(cat "$T/gc.out")" '[ $rc = 0 ] && [ -f "$T/shm/perfmon.$WPID" ] && grep -q "perfmon.$WPID" "$T/gc.out"'
V gc > "$T/gc.out" 2> "$T/v.err"
rc=$?
t_check gc_removes_killed "rc=$rc: $(cat "$T/gc.out" "$T/v.err")" '[ $rc = 0 ] && [ ! -e "$T/shm/perfmon.$WPID" ]'
V gc > "$T/gc.out" 2> "$T/v.err"
rc=$?
t_check gc_nothing_left "rc=$rc: $(cat "$T/gc.out")" '[ $rc = 0 ] && grep -q "nothing to remove" "$T/gc.out"'

# ---- abort(): same as a crash
run_writer --threads 1 --iters 5000 --mode timer --errors-every 5 --then abort
seg=/dev/shm/perfmon.$WPID
t_check abort_segment_left "rc=$WRC, $seg missing" '[ "$WRC" = 134 ] && [ -n "$WPID" ] && [ -f "$seg" ]'
mv "$seg" "$T/shm/" 2>/dev/null
V export "$WPID" > "$T/a.json" 2> "$T/v.err"
got="$(jq -r '.state' "$T/a.json" 2>/dev/null) $(series "$T/a.json" writer.timer count) $(series "$T/a.json" writer.timer errors)"
t_check abort_reads_exact "state count errors = $got" '[ "$got" = "crashed 5000 1000" ]'

# ---- gc never removes a live segment
start_writer --threads 1 --iters 10 --mode count --then wait
if [ -z "$WPID" ]; then
    t_fail gc_keeps_live "writer did not start"
else
    mv "/dev/shm/perfmon.$WPID" "$T/shm/"
    V gc > "$T/gc.out" 2> "$T/v.err"
    rc=$?
    t_check gc_keeps_live "rc=$rc: $(cat "$T/gc.out")" '[ $rc = 0 ] && [ -f "$T/shm/perfmon.$WPID" ]'
    V export "$WPID" > "$T/w.json" 2> "$T/v.err"
    got=$(jq -r '.alive, .state' "$T/w.json" 2>/dev/null | tr '\n' ' ')
    t_check live_reads_alive "alive state = $got" '[ "$got" = "true alive " ]'
    stop_writer "$WPID"
    V gc --exited > "$T/gc.out" 2> "$T/v.err"
    t_check gc_after_writer_ends "$(cat "$T/gc.out")" '[ ! -e "$T/shm/perfmon.$WPID" ]'
fi

# ---- gc holds a dead segment's lock from its check to the unlink, so a
# writer reusing the pid (which must lock the file to replace it) cannot
# swap in a live segment that gc then removes. The test hook pauses gc
# inside its check; the lock must be taken then.
WPID=4321   # a forged crashed segment: no lock held, state running
"$FORGE" --dir "$T/shm" --pid $WPID > /dev/null
ls_before=$(ls "$T/shm")
ino=$(stat -c %i "$T/shm/perfmon.$WPID")
PERFMON_SHM_DIR="$T/shm" PERFMON_VIEW_TEST_PAUSE_MS=5000 timeout 30 "$VIEW" gc > "$T/gc.out" 2> "$T/v.err" &
gcpid=$!
held=0
i=0
while kill -0 "$gcpid" 2> /dev/null && [ $i -lt 600 ]; do
    # /proc/locks, not a probe of our own: trying the lock would make gc see it taken
    if grep -q "FLOCK  *ADVISORY  *WRITE  *[0-9]*  *[0-9a-f]*:[0-9a-f]*:$ino " /proc/locks 2> /dev/null; then held=1; break; fi
    sleep 0.05
    i=$((i + 1))
done
wait "$gcpid"
t_check gc_holds_lock_until_unlink "held=$held, before: $ls_before: $(cat "$T/gc.out" "$T/v.err")" \
    '[ $held = 1 ] && [ ! -e "$T/shm/perfmon.$WPID" ]'

t_done
