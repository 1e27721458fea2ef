#!/bin/sh
# e2e_kill.sh - SIGKILL a writer at random moments under 8-thread load: its
# segment stays readable (perfmon-view export, and segcheck's invariants)
# and holds every completed operation. tests/bin/stress publishes each
# worker's completed count in a small shared file after each operation, so
# for every series the segment's value V and the published total P obey
#     P <= V <= P + 8     (at most one operation in flight per thread).
# The delays come from a seed printed in each line (PM_KILL_SEED reruns one).
. "$(dirname "$0")/lib.sh"

STRESS=${STRESS:-tests/bin/stress}
SEGCHECK=${SEGCHECK:-tests/bin/segcheck}
ROUNDS=${PM_KILL_ROUNDS:-8}
seed=${PM_KILL_SEED:-$$}
mkdir "$T/shm"
V() { PERFMON_SHM_DIR="$T/shm" timeout 30 "$VIEW" "$@"; }
value() { jq -r --arg n "$2" "[.series[] | select(.name == \$n) | .$3] | add // \"missing\"" "$1"; }

# delays in ms, 20..600, from the seed
delays=$(awk -v s="$seed" -v n="$ROUNDS" 'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%d ", 20 + int(rand() * 580) }')
r=0
for ms in $delays; do
    r=$((r + 1))
    name="kill_round_${r}_seed_${seed}_after_${ms}ms"
    bg_start stress "$STRESS" --threads 8 --progress "$T/progress"  # ready: every worker did one operation
    spid=$BG_PID
    if [ -z "$spid" ]; then
        kill -KILL "$bgpid" 2>/dev/null
        t_fail "$name" "stress did not start: $(head -c 300 "$T/stress.err")"
        continue
    fi
    sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
    kill -KILL $spid
    wait $spid 2>/dev/null
    seg=/dev/shm/perfmon.$spid
    if [ ! -f "$seg" ]; then t_fail "$name" "no segment $seg left behind"; continue; fi
    mv "$seg" "$T/shm/"
    set -- $("$STRESS" --sum "$T/progress")
    workers=$1 P=$2
    V export $spid > "$T/x.json" 2> "$T/x.err"
    rc=$?
    state=$(jq -r .state "$T/x.json" 2>/dev/null)
    bad=""
    for spec in "stress.ops value" "stress.timer count" "stress.size count" "stress.req value"; do
        set -- $spec
        v=$(value "$T/x.json" "$1" "$2")
        case $v in ''|*[!0-9]*) bad="$bad $1=$v"; continue ;; esac
        [ "$v" -ge "$P" ] && [ "$v" -le $((P + workers)) ] || bad="$bad $1=$v"
    done
    t_check "$name" "rc=$rc state=$state published=$P workers=$workers, out of [P, P+$workers]:$bad $(head -c 200 "$T/x.err")" \
        '[ $rc = 0 ] && [ "$state" = crashed ] && [ "$P" -gt 0 ] && [ -z "$bad" ]'
    PERFMON_SHM_DIR="$T/shm" timeout 30 "$SEGCHECK" $spid --seconds 0 > "$T/c.out" 2>&1
    rc=$?
    t_check "${name}_invariants" "rc=$rc: $(head -c 400 "$T/c.out")" '[ $rc = 0 ]'
    rm -f "$T/shm/perfmon.$spid"
done
t_done
