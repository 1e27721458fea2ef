#!/bin/sh
# run.sh - runs each libFuzzer target for FUZZ_SECONDS (default 60) from
# the committed corpus (tests/fuzz/corpus/<segment|text>), new inputs going
# to build/fuzz/corpus-<target> (never into the tree). A crash, leak, hang
# (-timeout 10 s per input), sanitizer report or 2 GB of RSS fails; the
# input that did is left in build/fuzz/artifacts/. Prints one line per
# target with its executions, and exits non-zero when any failed.
cd "$(dirname "$0")/../.." || exit 1
S=${FUZZ_SECONDS:-60}
B=build/fuzz
mkdir -p "$B/artifacts"
status=0
for t in segment text; do
    bin=$B/fuzz_$t
    work=$B/corpus-$t
    mkdir -p "$work"
    log=$B/fuzz_$t.log
    # max_len: the largest corpus file (a segment with a one-histogram arena)
    "$bin" -max_total_time="$S" -timeout=10 -rss_limit_mb=2048 -max_len=32768 \
        -print_final_stats=1 -artifact_prefix="$B/artifacts/$t-" \
        "$work" "tests/fuzz/corpus/$t" > "$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "fuzz: fuzz_$t: ${execs:-?} executions in $S s (${rate:-?}/s), $cov, corpus $(ls "$work" | wc -l) new inputs: ok"
    else
        echo "fuzz: fuzz_$t: FAILED (exit $rc) after ${execs:-?} executions; log $log, input in $B/artifacts/"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 5
        status=1
    fi
done
exit $status
