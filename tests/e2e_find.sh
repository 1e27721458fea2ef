#!/bin/sh
# e2e_find.sh - how the viewer finds, classifies and explains a pid's
# segments: rejected names and configuration errors shown escaped, exec()
# into another program and into itself again (fallback name perfmon.P.1),
# fork children that end with _exit() (exit status, crash, reaped unseen),
# two copies of the implementation in one process read as one, a planted
# fallback file with someone else's pid ignored, gc of fallback names.
. "$(dirname "$0")/lib.sh"
MISTAKES=${MISTAKES:-tests/bin/mistakes}
EXECER=${EXECER:-tests/bin/execer}
COPIES=${COPIES:-tests/bin/copies}
FORKER=${FORKER:-tests/bin/forker}
V() { timeout 30 "$VIEW" "$@"; }
series() { jq -r --arg n "$2" ".series[] | select(.full_name == \$n) | .$3" "$1"; }
esc=$(printf '\033')

# ---- rejected names and a configuration error: named, escaped, in every view
PERFMON_MAX_SERIES=abc bg_start mistakes "$MISTAKES"
P=$BG_PID
t_check mistakes_started "no pid: $(cat "$T/mistakes.err")" '[ -n "$P" ]'
t_check config_error_once_on_stderr "$(cat "$T/mistakes.err")" \
    '[ "$(grep -c "PERFMON_MAX_SERIES=abc" "$T/mistakes.err")" = 1 ]'
V stats "$P" > "$T/s.out" 2> "$T/v.err"
rc=$?
t_check stats_names_config_error "rc=$rc: $(cat "$T/s.out")" \
    '[ $rc = 0 ] && grep -q "^warning: PERFMON_MAX_SERIES=abc: " "$T/s.out"'
t_check stats_names_dropped_escaped "$(grep dropped "$T/s.out")" \
    'grep -qF "dropped: \"bad name\\x1b[31m\\x09end\" (bad name)" "$T/s.out" &&
     grep -qF "dropped: \"neg\" (negative increment)" "$T/s.out"'
t_check stats_no_raw_escape "an ESC byte reached the terminal" '! grep -q "$esc" "$T/s.out"'
V export "$P" > "$T/m.json" 2> "$T/v.err"
got="$(jq -r '.dropped_names[0].name == "bad name\u001b[31m\tend", .dropped_names[0].reason, .dropped_names[1].name, .dropped_names[1].reason, .dropped_reasons.bad_name, .dropped_reasons.negative' "$T/m.json" | tr '\n' ' ')"
t_check export_dropped_names "$got" '[ "$got" = "true bad_name neg negative 1 1 " ]'
got=$(jq -r '.config_errors[0]' "$T/m.json")
t_check export_config_errors "$got" 'case $got in "PERFMON_MAX_SERIES=abc: "*) true ;; *) false ;; esac'
got=$(series "$T/m.json" ok.count value)
t_check good_series_exact "ok.count = $got" '[ "$got" = 5 ]'
V list > "$T/l.out" 2> "$T/v.err"
t_check list_notes_warnings "$(grep "^ *$P " "$T/l.out")" 'grep "^ *$P " "$T/l.out" | grep -q "writer warnings"'
stop_writer "$P"

# ---- exec() into a program that is not instrumented: "exec'd", kept
bg_start execer "$EXECER" sleep
P=$BG_PID
t_check exec_started "no pid: $(cat "$T/execer.err")" '[ -n "$P" ]'
# the pid prints before exec(): wait until the image really is sleep
i=0
while [ "$(cat "/proc/$P/comm" 2>/dev/null)" != sleep ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
V stats "$P" > "$T/s.out" 2> "$T/v.err"
rc=$?
t_check exec_stats_says_execd "rc=$rc: $(head -n 2 "$T/s.out")" \
    '[ $rc = 0 ] && head -n 1 "$T/s.out" | grep -q "exec.d (last seen" && grep -q "^note: this is the image before exec()" "$T/s.out"'
V export "$P" > "$T/x.json" 2> "$T/v.err"
got="$(jq -r '.state, .alive, (.flags | index("execed") != null)' "$T/x.json" | tr '\n' ' ')$(series "$T/x.json" img.count value)"
t_check exec_export_state "$got" '[ "$got" = "exec'"'"'d false true 1" ]'
V list > "$T/l.out" 2> "$T/v.err"
t_check exec_list_note "$(grep "^ *$P " "$T/l.out")" 'grep "^ *$P " "$T/l.out" | grep -q "before exec()"'
kill -KILL "$P" 2>/dev/null
wait "$P" 2>/dev/null
V stats "$P" > "$T/s.out" 2> "$T/v.err"
rc=$?
t_check exec_readable_after_death "rc=$rc: $(head -n 1 "$T/s.out")" '[ $rc = 0 ] && grep -q "^img.count " "$T/s.out"'
rm -f "/dev/shm/perfmon.$P"

# ---- exec() into itself: the new image records at perfmon.P.1, the old stays
bg_start again "$EXECER" again "$EXECER"
P=$BG_PID
t_check again_started "no pid: $(cat "$T/again.err")" '[ -n "$P" ]'
t_check again_two_files "$(ls /dev/shm/perfmon."$P"* 2>&1)" \
    '[ -f "/dev/shm/perfmon.$P" ] && [ -f "/dev/shm/perfmon.$P.1" ]'
V stats "$P" > "$T/s.out" 2> "$T/v.err"
rc=$?
t_check again_stats_current_image "rc=$rc: $(head -n 1 "$T/s.out"); $(cat "$T/v.err")" \
    '[ $rc = 0 ] && head -n 1 "$T/s.out" | grep -q " alive," && grep -q "image before exec()" "$T/v.err"'
V export "$P" > "$T/a.json" 2> "$T/v.err"
got=$(jq -r '(.flags | index("alt_name") != null), .state' "$T/a.json" | tr '\n' ' ')
t_check again_export_alt_name "$got" '[ "$got" = "true alive " ]'
V list > "$T/l.out" 2> "$T/v.err"
t_check again_list_both "$(grep "^ *$P " "$T/l.out")" \
    'grep "^ *$P " "$T/l.out" | grep -q "before exec()" && grep "^ *$P " "$T/l.out" | grep -q "at perfmon.$P.1"'
stop_writer "$P"
t_check again_exit_removes_both "$(ls /dev/shm/perfmon."$P"* 2>&1)" \
    '[ ! -e "/dev/shm/perfmon.$P" ] && [ ! -e "/dev/shm/perfmon.$P.1" ]'

# ---- fork children that end with _exit(): the parent's writer says how
# (within its 1 s heartbeat: wait for the condition, bounded at 30 s)
wait_for() { # PID JQ: until `export PID` makes the jq filter JQ print true
    i=0
    while [ $i -lt 300 ]; do
        [ "$(V export "$1" 2> /dev/null | jq -r "$2" 2> /dev/null)" = true ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
for how in "exit 3" kill reaped; do
    # TSan kills a fork child that starts a thread (its heartbeat):
    # die_after_fork; only the heartbeat-free case can run under it
    if [ "$PM_SANITIZER" = tsan ] && [ "$how" != reaped ]; then
        t_skip "fork_child_${how% *}" "TSan ends a fork child that starts a thread (die_after_fork)"
        continue
    fi
    # reaped: no heartbeat, so only the parent's exit looks, after the reap
    hb=1000
    [ "$how" = reaped ] && hb=0
    # shellcheck disable=SC2086
    PERFMON_HEARTBEAT_MS=$hb PERFMON_KEEP=1 bg_start forker "$FORKER" $how
    F=$BG_PID
    C=$(sed -n 2p "$BG_OUT")
    writers="$writers $C"
    case $how in
        "exit 3") want='.state == "exited"' ;;
        kill) want='.exit_signal != null' ;;
        reaped) want='.state == "ended"' ;;
    esac
    t_check "fork_child_${how% *}_started" "no pids: $(cat "$BG_OUT")" '[ -n "$F" ] && [ -n "$C" ]'
    [ "$how" = reaped ] && stop_writer "$F"
    wait_for "$C" "$want"
    V export "$C" > "$T/k.json" 2> "$T/v.err"
    V stats "$C" > "$T/s.out" 2> "$T/v.err"
    got="$(jq -r '.state, .exit_status, .exit_signal, (.flags | index("fork_child") != null)' "$T/k.json" | tr '\n' ' ')$(series "$T/k.json" child.count value)"
    head=$(head -n 1 "$T/s.out")
    case $how in
        "exit 3") t_check fork_child_exit_reads_exited "$got | $head" \
                      '[ "$got" = "exited 3 null true 5" ] && echo "$head" | grep -q "exited (exit status 3)"' ;;
        kill) t_check fork_child_kill_reads_crashed "$got | $head" \
                      '[ "$got" = "crashed null 9 true 5" ] && echo "$head" | grep -q "crashed (killed by SIGKILL"' ;;
        reaped) t_check fork_child_reaped_reads_ended "$got | $head" \
                      '[ "$got" = "ended null null true 5" ] && echo "$head" | grep -q "ended (fork child, exit status not seen"' ;;
    esac
    stop_writer "$F"
done

# ---- two copies of the implementation in one process: one view
PERFMON_KEEP=1 bg_start copies "$COPIES"
P=$BG_PID
t_check copies_started "no pid: $(cat "$T/copies.err")" '[ -n "$P" ]'
V export "$P" > "$T/c.json" 2> "$T/v.err"
got="$(jq -r .segments "$T/c.json") $(series "$T/c.json" shared.count value) $(series "$T/c.json" lib.only value) \
$(series "$T/c.json" both.dist count) $(series "$T/c.json" both.dist min) $(series "$T/c.json" both.dist max)"
t_check copies_merged_exact "segments shared lib dist.count min max = $got; $(cat "$T/v.err")" \
    '[ "$got" = "2 12 5 12 100 300" ]'
V stats "$P" > "$T/s.out" 2> "$T/v.err"
t_check copies_stats_note "$(cat "$T/s.out")" 'grep -q "^note: .*cop" "$T/s.out" && grep -q "^shared.count .* 12 " "$T/s.out"'
kill -KILL "$P" 2>/dev/null
wait "$P" 2>/dev/null
# gc of both files (moved to a private directory: nobody else's segments)
mkdir "$T/shm"
mv "/dev/shm/perfmon.$P" "/dev/shm/perfmon.$P.1" "$T/shm/" 2>/dev/null
PERFMON_SHM_DIR="$T/shm" V gc > "$T/gc.out" 2> "$T/v.err"
rc=$?
t_check gc_fallback_names "rc=$rc: $(cat "$T/gc.out" "$T/v.err")" \
    '[ $rc = 0 ] && [ ! -e "$T/shm/perfmon.$P" ] && [ ! -e "$T/shm/perfmon.$P.1" ] && grep -q "perfmon.$P.1 " "$T/gc.out"'

# ---- a planted fallback file naming another pid is not this pid's
"$FORGE" --dir "$T/shm" --pid 4242 > /dev/null
"$FORGE" --dir "$T/shm" --pid 4243 --process planted > /dev/null
mv "$T/shm/perfmon.4243" "$T/shm/perfmon.4242.1"
PERFMON_SHM_DIR="$T/shm" V export 4242 > "$T/f.json" 2> "$T/v.err"
rc=$?
got="$rc $(jq -r '.process, .segments' "$T/f.json" | tr '\n' ' ')"
t_check planted_fallback_ignored "$got; $(cat "$T/v.err")" '[ "$got" = "0 forged 1 " ]'
PERFMON_SHM_DIR="$T/shm" V stats 4243 > /dev/null 2> "$T/v.err"
rc=$?
t_check planted_not_found_by_its_pid "rc=$rc: $(cat "$T/v.err")" '[ $rc = 2 ]'
for bad in perfmon.4242.0 perfmon.4242.17 perfmon.4242.x perfmon.4242.01; do
    cp "$T/shm/perfmon.4242.1" "$T/shm/$bad"
done
PERFMON_SHM_DIR="$T/shm" V list > "$T/l.out" 2> "$T/v.err"
t_check list_ignores_bad_suffixes "$(cat "$T/l.out")" \
    '[ "$(grep -c "^ *4242 " "$T/l.out")" -le 2 ] && ! grep -q "4242\.\(0\|17\|x\|01\)" "$T/l.out"'

t_done
