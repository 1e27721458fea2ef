#!/bin/sh
# bench/run.sh [--check] - runs every bench/ program in turn; together they
# print one table. Without --check it always exits 0 (the table says which
# goals were missed); with --check it exits 1 when a goal was missed by more
# than its stated noise margin, 2 when a program failed to run.
# The full output is also kept in bench/bin/last.txt.
check=0
[ "$1" = "--check" ] && check=1
cd "$(dirname "$0")/.." || exit 2
out=bench/bin/last.txt
: > "$out" 2>/dev/null || out=/dev/null
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
{
    echo "perfmon benchmarks - $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: ${cpu:-unknown CPU}, $(nproc) cores, $(uname -sr), $(${CC:-cc} --version | head -n 1)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs share this machine: figures are same-run ratios)"
    echo "every figure: median of the repetitions, [min .. max] spread; goal: ok / noise (within margin) / MISSED"
    echo
} | tee -a "$out"
missed=0 failed=0
part=$(mktemp) || exit 2   # outside the tree: a `make clean` meanwhile must not eat it
trap 'rm -f "$part"' EXIT
run() {
    "$@" > "$part" 2>&1
    rc=$?
    tee -a "$out" < "$part"
    case $rc in
        0) ;;
        1) missed=$((missed + 1)) ;;
        *) failed=$((failed + 1)); echo "  ($* failed: exit $rc)" | tee -a "$out" ;;
    esac
}
run bench/bin/hot_path header
run bench/bin/hot_path on
run bench/bin/hot_path tsc
run bench/bin/hot_path off
run bench/bin/compiled_out
run bench/bin/scaling
run bench/bin/peers
run bench/bin/reader viewer/perfmon-view
run bench/bin/memory
run bench/bin/accuracy
run bench/bin/resource_span
echo | tee -a "$out"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); $missed part(s) missed a goal beyond its margin, $failed failed to run" | tee -a "$out"
[ $failed -gt 0 ] && exit 2
[ $check = 1 ] && [ $missed -gt 0 ] && exit 1
exit 0
