#!/bin/sh
# valgrind.sh - `make test-valgrind`: memcheck over the C tests and the
# viewer. Any memcheck error, or a definite leak, fails (exit 42 from the
# process valgrind watched; harness children are followed across fork).
#   - every tests/bin/test_* binary but test_timers and test_viewer_procstat
#     (they assert wall-clock and CPU-time figures that valgrind's 20-50x
#     slowdown distorts), with PM_CHURN_THREADS=800 (the 100,000-thread
#     test scaled down: valgrind serialises threads);
#   - perfmon-view stats, export (JSON and CSV) and top --once on every
#     segment of the fuzz corpus (valid and damaged), and export on a live
#     8-thread writer (tests/bin/stress).
# Prints ok/FAIL lines and "N passed, N failed" like run.sh.
cd "$(dirname "$0")/.." || exit 1
command -v valgrind > /dev/null 2>&1 || { echo "FAIL - valgrind.sh: valgrind not installed (apt-get install valgrind)"; echo "0 passed, 1 failed"; exit 1; }
VIEW=${VIEW:-viewer/perfmon-view}
STRESS=${STRESS:-tests/bin/stress}
TEST_BIN=${TEST_BIN:-tests/bin}
# --fair-sched: threads take valgrind's one lock in turn, so a test's
# spinning threads cannot starve the thread that would end it
VG="valgrind -q --fair-sched=yes --error-exitcode=42 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"
T=$(mktemp -d /dev/shm/perfmon-vg.XXXXXX) || exit 1
trap 'rm -rf "$T"; [ -n "$spid" ] && kill -KILL $spid 2>/dev/null' EXIT
passed=0 failed=0
ok() { echo "ok - valgrind: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL - valgrind: $1: $2"; failed=$((failed + 1)); }

for t in "$TEST_BIN"/test_*; do
    name=${t##*/}
    case $name in test_timers|test_viewer_procstat) continue ;; esac
    PM_CHURN_THREADS=800 timeout 1200 $VG "$t" > "$T/out" 2> "$T/err"
    rc=$?
    nf=$(grep -c '^FAIL - ' "$T/out")
    # the tests' own stderr (perfmon's warnings they provoke) is not a
    # failure; a memcheck report there is, whatever the exit status
    if [ $rc -eq 0 ] && [ "$nf" -eq 0 ] && ! grep -q '^==[0-9]*==' "$T/err"; then
        ok "$name ($(grep -c '^ok - ' "$T/out") tests)"
    else
        fail "$name" "exit $rc, $nf failed: $(grep '^FAIL - ' "$T/out" | head -n 3 | tr '\n' ' ') $(grep '^==' "$T/err" | head -c 600 | tr '\n' ' ')"
    fi
done

mkdir "$T/shm"
n=1000
for f in tests/fuzz/corpus/segment/*; do
    n=$((n + 1))
    cp "$f" "$T/shm/perfmon.$n"
    chmod 600 "$T/shm/perfmon.$n"
    bad=""
    for cmd in "stats $n" "export $n" "export $n --format csv" "top $n --once"; do
        PERFMON_SHM_DIR="$T/shm" timeout 120 $VG "$VIEW" $cmd > /dev/null 2> "$T/err"
        rc=$?
        # 0 read, 2 refused (damage): anything else, or a memcheck report, fails
        if { [ $rc -ne 0 ] && [ $rc -ne 2 ]; } || grep -q '^==[0-9]*==' "$T/err"; then
            bad="$bad [$cmd: exit $rc $(grep '^==' "$T/err" | head -n 3 | tr '\n' ' ')]"
        fi
    done
    if [ -z "$bad" ]; then ok "viewer on ${f##*/}"; else fail "viewer on ${f##*/}" "$bad"; fi
done

"$STRESS" --threads 8 --seconds 30 > "$T/stress.out" 2>&1 &
spid=$!
i=0
while [ ! -s "$T/stress.out" ] && [ $i -lt 300 ]; do sleep 0.02; i=$((i + 1)); done
bad=""
for k in 1 2 3; do
    timeout 120 $VG "$VIEW" export $spid > /dev/null 2> "$T/err"
    rc=$?
    [ $rc -eq 0 ] && ! grep -q '^==[0-9]*==' "$T/err" || bad="$bad [exit $rc $(head -c 300 "$T/err" | tr '\n' ' ')]"
done
kill -TERM $spid 2>/dev/null
wait $spid 2>/dev/null
spid=""
if [ -z "$bad" ]; then ok "viewer export on a live 8-thread writer"; else fail "viewer export on a live writer" "$bad"; fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
