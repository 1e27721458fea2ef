#!/bin/sh
# e2e_damaged.sh - the viewer against segments forged by tests/bin/forge_segment:
# a valid one read exactly; every kind of damage refused (exit 2, exactly one
# line on stderr) or skipped, never a crash (exit >= 128) or a hang; a
# segment truncated under a reader, by chance and for certain (SIGBUS).
. "$(dirname "$0")/lib.sh"

mkdir "$T/shm"
V() { PERFMON_SHM_DIR="$T/shm" timeout 30 "$VIEW" "$@"; }
forge() { "$FORGE" --dir "$T/shm" "$@" > "$T/forge.out" 2> "$T/forge.err"; }
series() { jq -r --arg n "$2" ".series[] | select(.full_name == \$n) | .$3" "$1"; }

if [ ! -x "$FORGE" ]; then
    t_fail forge_built "$FORGE missing"
    t_done
fi

# ---- the valid forged segment, read exactly
pid=50001
if ! forge --pid $pid --expected "$T/expected"; then
    t_fail forge_valid "forge failed: $(cat "$T/forge.err")"
else
    V export $pid > "$T/v.json" 2> "$T/v.err"
    rc=$?
    t_check forged_valid_exit_0 "rc=$rc: $(cat "$T/v.err")" '[ $rc = 0 ] && [ ! -s "$T/v.err" ]'
    n=$(jq '.series | length' "$T/v.json")
    t_check forged_valid_series_count "$n series" '[ "$n" = "$(wc -l < "$T/expected")" ]'
    # every exact field equal; percentiles within 1% (or 1 unit below 100)
    jq -c -s --slurpfile got "$T/v.json" '
        .[] as $e | ($got[0].series[] | select(.full_name == $e.name)) as $g |
        [ "kind", "unit", "value", "count", "sum", "min", "max", "errors", "slow" ] as $exact |
        ( $exact[] | select($e[.] != null and $e[.] != $g[.]) | "\($e.name) \(.): expected \($e[.]) got \($g[.])" ),
        ( ["p50", "p90", "p95", "p99"][] as $k | select($e[$k] != null) |
          select((($g[$k] // -1e30) - $e[$k] | fabs) > ([0.01 * $e[$k], 1] | max)) |
          "\($e.name) \($k): expected \($e[$k]) got \($g[$k])" )' "$T/expected" > "$T/diff" 2> "$T/jq.err"
    t_check forged_valid_values "$(head -c 600 "$T/diff" "$T/jq.err")" '[ ! -s "$T/diff" ] && [ ! -s "$T/jq.err" ]'
    missing=$(jq -r -s --slurpfile got "$T/v.json" '.[] | .name as $n | select([$got[0].series[] | select(.full_name == $n)] | length != 1) | $n' "$T/expected")
    t_check forged_valid_every_series "missing or duplicated: $missing" '[ -z "$missing" ]'
    got="$(jq -r '.alive, .state' "$T/v.json" | tr '\n' ' ')"
    t_check forged_gone_writer "alive state = $got" '[ "$got" = "false crashed " ]'
fi

# ---- header and file damage: refused, exit 2, one line on stderr
refused() { # KIND [FORGE ARGS...]
    kind=$1
    shift
    pid=$((pid + 1))
    if ! forge --pid $pid "$@"; then
        t_fail "damage_$kind" "forge failed: $(cat "$T/forge.err")"
        return
    fi
    for cmd in stats export; do
        V $cmd $pid > "$T/d.out" 2> "$T/d.err"
        rc=$?
        lines=$(wc -l < "$T/d.err")
        t_check "damage_${kind}_$cmd" "rc=$rc, $lines stderr lines: $(head -c 300 "$T/d.err")" \
            '[ $rc = 2 ] && [ "$lines" = 1 ]'
    done
}
for kind in truncate short empty bad-magic bad-version byte-order state-init bad-state \
            series-count threads-used total-size offset capacity hash-capacity \
            process-name cmdline header-size garbage; do
    refused "$kind" --damage "$kind"
done
for kind in symlink hardlink fifo directory; do
    refused "$kind" --damage "$kind"
done

# ---- series damage: that series skipped, the rest read exactly
skipped() { # KIND SERIES-THAT-MUST-SURVIVE VALUE
    kind=$1 keep=$2 want=$3
    pid=$((pid + 1))
    if ! forge --pid $pid --damage "$kind"; then
        t_fail "damage_$kind" "forge failed: $(cat "$T/forge.err")"
        return
    fi
    V export $pid > "$T/s.json" 2> "$T/s.err"
    rc=$?
    d=$(jq -r '.damaged_series' "$T/s.json" 2>/dev/null)
    v=$(series "$T/s.json" "$keep" value 2>/dev/null)
    n=$(jq '.series | length' "$T/s.json" 2>/dev/null)
    t_check "damage_${kind}_skipped" "rc=$rc damaged_series=$d series=$n $keep=$v: $(head -c 300 "$T/s.err")" \
        '[ $rc = 0 ] && [ "$d" = 1 ] && [ "$n" = 8 ] && [ "$v" = "$want" ]'
}
for kind in name-unterminated name-len bad-kind bad-unit series-state; do
    skipped "$kind" requests.total 1000
done

# histogram damage: never a crash, never a read outside the file; db.query
# is either read with its exact count (histogram distrusted) or skipped as
# damaged; the other series are read exactly
for kind in hist-off hist-misaligned hist-arena-end; do
    pid=$((pid + 1))
    forge --pid $pid --damage "$kind" || { t_fail "damage_$kind" "forge failed"; continue; }
    V export $pid > "$T/h.json" 2> "$T/h.err"
    rc=$?
    got="$(series "$T/h.json" db.query count 2>/dev/null)/$(jq -r .damaged_series "$T/h.json" 2>/dev/null)/$(series "$T/h.json" requests.total value 2>/dev/null)"
    t_check "damage_${kind}_survives" "rc=$rc, db.query count/damaged_series/requests.total = $got: $(head -c 300 "$T/h.err")" \
        '[ $rc = 0 ] && { [ "$got" = "1000/0/1000" ] || [ "$got" = "/1/1000" ]; }'
done

# reset blocks that point anywhere: db.query skipped as damaged, the rest exact
for kind in reset-hist-off reset-hist-shared; do
    pid=$((pid + 1))
    forge --pid $pid --damage "$kind" || { t_fail "damage_$kind" "forge failed"; continue; }
    V export $pid > "$T/h.json" 2> "$T/h.err"
    rc=$?
    got="$(series "$T/h.json" db.query count 2>/dev/null)/$(jq -r .damaged_series "$T/h.json" 2>/dev/null)/$(series "$T/h.json" requests.total value 2>/dev/null)"
    t_check "damage_${kind}_skipped" "rc=$rc, db.query count/damaged_series/requests.total = $got: $(head -c 300 "$T/h.err")" \
        '[ $rc = 0 ] && [ "$got" = "/1/1000" ]'
done
# a base above the cells never reads below zero; a reset left half-done
# (reset_seq odd: a writer killed mid-reset) is taken as it is, once waited for
for kind in reset-base-high:0/1 reset-stuck:600/2; do
    pid=$((pid + 1))
    forge --pid $pid --damage "${kind%:*}" || { t_fail "damage_${kind%:*}" "forge failed"; continue; }
    V export $pid > "$T/h.json" 2> "$T/h.err"
    rc=$?
    got="$(series "$T/h.json" requests.total value 2>/dev/null)/$(series "$T/h.json" requests.total resets 2>/dev/null)/$(series "$T/h.json" db.query count 2>/dev/null)"
    t_check "damage_${kind%:*}_bounded" "rc=$rc, requests.total value/resets, db.query count = $got: $(head -c 300 "$T/h.err")" \
        '[ $rc = 0 ] && [ "$got" = "${kind#*:}/1000" ]'
done

# ---- benign oddities: read fine
pid=$((pid + 1))
forge --pid $pid --damage claimed
V export $pid > "$T/b.json" 2> "$T/b.err"
rc=$?
n=$(jq '.series | length' "$T/b.json" 2>/dev/null)
d=$(jq '.damaged_series' "$T/b.json" 2>/dev/null)
t_check benign_claimed_skipped "rc=$rc series=$n damaged=$d" '[ $rc = 0 ] && [ "$n" = 8 ] && [ "$d" = 0 ]'
pid=$((pid + 1))
forge --pid $pid --damage stuck-seq
V export $pid > "$T/b.json" 2> "$T/b.err"
rc=$?
got="$(series "$T/b.json" db.query count 2>/dev/null) $(series "$T/b.json" db.query errors 2>/dev/null)"
t_check benign_stuck_seq "rc=$rc count errors = $got" '[ $rc = 0 ] && [ "$got" = "1000 10" ]'
pid=$((pid + 1))
forge --pid $pid --damage huge-range
V export $pid > "$T/b.json" 2> "$T/b.err"
rc=$?
t_check benign_huge_range "rc=$rc: $(head -c 300 "$T/b.err")" '[ $rc = 0 ] && jq -e . "$T/b.json" > /dev/null'
V stats $pid > "$T/b.out" 2> "$T/b.err"
rc=$?
t_check benign_huge_range_stats "rc=$rc" '[ $rc = 0 ]'

# ---- list and gc over a directory full of damage: no crash, no hang
V list > "$T/l.out" 2> "$T/l.err"
rc=$?
t_check list_over_damage "rc=$rc" '[ $rc -lt 128 ] && [ $rc != 124 ]'
V gc > "$T/g.out" 2> "$T/g.err"
rc=$?
t_check gc_over_damage "rc=$rc" '[ $rc -lt 128 ] && [ $rc != 124 ]'
t_check gc_left_no_valid_gone_segment "$(ls "$T/shm" | head -c 300)" '[ ! -e "$T/shm/perfmon.50001" ]'

# ---- a segment truncated while it is read: exit 0 or 2, never a crash
pid=$((pid + 1))
"$FORGE" --dir "$T/shm" --pid $pid --hold 5 --truncate-after 300 > "$T/forge.out" 2>&1 &
fpid=$!
writers="$writers $fpid"
bad=""
i=0
while [ $i -lt 60 ]; do
    V export $pid > /dev/null 2> /dev/null
    rc=$?
    case $rc in 0|2) ;; *) bad="$bad $rc" ;; esac
    i=$((i + 1))
    sleep 0.01
done
kill -TERM $fpid 2>/dev/null
wait $fpid 2>/dev/null
t_check truncated_while_reading "exit statuses seen:$bad" '[ -z "$bad" ]'

# ---- the SIGBUS guard, for certain: PERFMON_VIEW_TEST_PAUSE_MS holds the
# viewer between mapping the segment and reading it (viewer/segment.c); the
# file is cut to one page while it waits there (segment mapped, main thread
# in nanosleep). The cut counts only if the viewer is still in that pause
# after it; if the pause ran out first, again with a pause twice as long.
# Then the guard must turn the SIGBUS into one line and exit status 2.
in_pause() { # VIEWER-PID SEGMENT: it has SEGMENT mapped and sleeps
    grep -qF "$2" "/proc/$1/maps" 2>/dev/null && grep -q nanosleep "/proc/$1/wchan" 2>/dev/null
}
sleep 30 &  # can this kernel show a sleeping process's wait channel?
sp=$!
i=0
while [ $i -lt 200 ] && ! grep -q nanosleep "/proc/$sp/wchan" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
grep -q nanosleep "/proc/$sp/wchan" 2>/dev/null && wchan_ok=1 || wchan_ok=""
kill $sp 2>/dev/null
wait $sp 2>/dev/null
pid=$((pid + 1))
seg="$T/shm/perfmon.$pid"
pause=1000 cut="" rc=""
[ -n "$wchan_ok" ] && for attempt in 1 2 3 4 5; do
    forge --pid $pid || break
    PERFMON_SHM_DIR="$T/shm" PERFMON_VIEW_TEST_PAUSE_MS=$pause "$VIEW" export $pid > "$T/p.out" 2> "$T/p.err" &
    vp=$!
    i=0
    while [ $i -lt 600 ] && ! in_pause $vp "$seg" && kill -0 $vp 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
    in_pause $vp "$seg" && truncate -s 4096 "$seg" && in_pause $vp "$seg" && cut=$pause
    i=0
    while [ $i -lt 600 ] && kill -0 $vp 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
    kill -KILL $vp 2>/dev/null
    wait $vp
    rc=$?
    [ -n "$cut" ] && break
    pause=$((pause * 2))
done
if [ -z "$wchan_ok" ]; then
    t_skip sigbus_guard "/proc/PID/wchan does not show nanosleep here: cannot tell the viewer is in its pause"
    t_done
fi
t_check sigbus_guard_truncated_in_pause "the file was never cut while the viewer paused (last pause ${pause} ms, rc=$rc)" '[ -n "$cut" ]'
t_check sigbus_guard_one_line_exit_2 "rc=$rc, $(wc -l < "$T/p.err") stderr lines: $(head -c 300 "$T/p.err")" \
    '[ -n "$cut" ] && [ $rc = 2 ] && [ "$(wc -l < "$T/p.err")" = 1 ] && grep -q "shrank while being read (SIGBUS)" "$T/p.err"'

t_done
