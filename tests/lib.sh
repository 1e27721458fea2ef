# lib.sh - shared helpers of the tests/e2e_*.sh scripts (POSIX sh; sourced).
#   t_ok NAME / t_fail NAME WHY   report one test (the TAP-like lines run.sh counts)
#   t_skip NAME WHY                a test that cannot run here: "skip - ", never "ok - "
#   t_done                         print the summary line and exit 0/1
#   bg_start STEM PROG ARGS...     run PROG in the background; set $BG_PID to
#                                  its pid once its first line of output says so
#   start_writer ARGS...           run tests/bin/writer ARGS in the background,
#                                  set $WPID to its pid once it is ready
#   stop_writer PID                SIGTERM, wait (bounded), SIGKILL if need be
#   json_get FILE FILTER           jq -r FILTER FILE
# The trap removes $T (a private temporary directory under /dev/shm, same
# file system as the segments, so `mv` keeps a segment's inode and lock),
# kills every writer started here and removes their segments.
cd "$(dirname "$0")/.." || exit 1
VIEW=${VIEW:-viewer/perfmon-view}
WRITER=${WRITER:-tests/bin/writer}
FORGE=${FORGE:-tests/bin/forge_segment}
TEST_FILE=${0##*/}
n_ok=0
n_fail=0
n_skip=0
n_bg=0
writers=""
T=$(mktemp -d /dev/shm/perfmon-e2e.XXXXXX) || { echo "FAIL - $TEST_FILE: mktemp"; exit 1; }
unset PERFMON PERFMON_KEEP PERFMON_SHM_DIR PERFMON_SLOW_MS PERFMON_MAX_SERIES PERFMON_MAX_THREADS
ulimit -c 0 2>/dev/null

cleanup() {
    for p in $writers; do
        kill -KILL "$p" 2>/dev/null
        rm -f "/dev/shm/perfmon.$p" "/dev/shm/perfmon.$p".*  # and its fallback names
    done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t_ok() { echo "ok - $TEST_FILE: $1"; n_ok=$((n_ok + 1)); }
t_fail() { echo "FAIL - $TEST_FILE: $1: $(printf "%s" "$2" | tr "\n" " ")"; n_fail=$((n_fail + 1)); }
t_skip() { echo "skip - $TEST_FILE: $1: $(printf "%s" "$2" | tr "\n" " ")"; n_skip=$((n_skip + 1)); }
t_check() { # NAME WHY 'CONDITION': ok if the eval'd condition (a shell list) succeeds
    if eval "$3"; then t_ok "$1"; else t_fail "$1" "$2"; fi
}
t_done() {
    skipped=""
    [ "$n_skip" -gt 0 ] && skipped=", $n_skip skipped"
    echo "# $TEST_FILE: $n_ok passed, $n_fail failed$skipped"
    [ "$n_fail" -eq 0 ]
    exit $?
}

# bg_start STEM PROG ARGS...: PROG prints its pid as its first line once it
# is ready. Output goes to a fresh $T/STEM.<n>.out ($BG_OUT; stderr in
# $T/STEM.err) and only a first line equal to $! counts, so the output of an
# earlier process can never be taken for this one's (a reused file could be
# read before the new child truncated it). Sets BG_PID (empty on failure).
bg_start() {
    stem=$1
    shift
    n_bg=$((n_bg + 1))
    BG_OUT="$T/$stem.$n_bg.out"
    "$@" > "$BG_OUT" 2> "$T/$stem.err" &
    bgpid=$!
    writers="$writers $bgpid"
    BG_PID=""
    i=0
    while [ $i -lt 1200 ]; do  # up to 120 s: big runs under a sanitizer on a loaded machine
        [ "$(head -n 1 "$BG_OUT" 2>/dev/null)" = "$bgpid" ] && { BG_PID=$bgpid; return 0; }
        kill -0 "$bgpid" 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
    [ "$(head -n 1 "$BG_OUT" 2>/dev/null)" = "$bgpid" ] && BG_PID=$bgpid
}

# start_writer ARGS...: sets WPID (empty on failure)
start_writer() {
    bg_start writer "$WRITER" "$@"
    WPID=$BG_PID
}

# run_writer ARGS...: foreground (--then exit|kill|abort); sets WPID
run_writer() {
    "$WRITER" "$@" > "$T/writer.out" 2> "$T/writer.err"
    WRC=$?
    WPID=$(head -n 1 "$T/writer.out" 2>/dev/null)
    [ -n "$WPID" ] && writers="$writers $WPID"
}

stop_writer() {
    kill -TERM "$1" 2>/dev/null
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

json_get() { jq -r "$2" "$1" 2>/dev/null; }

command -v jq > /dev/null 2>&1 || { echo "FAIL - $TEST_FILE: jq is required (apt-get install jq)"; echo "# $TEST_FILE: 0 passed, 1 failed"; exit 1; }
command -v timeout > /dev/null 2>&1 || { echo "FAIL - $TEST_FILE: timeout(1) is required"; echo "# $TEST_FILE: 0 passed, 1 failed"; exit 1; }
