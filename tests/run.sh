#!/bin/sh
# run.sh - runs every tests/bin/test_* binary and every tests/e2e_*.sh script,
# counts their "ok - ", "FAIL - " and "skip - " lines, repeats the skips and
# failures at the end and prints, as the last line, "N passed, N failed,
# N skipped". Exit 1 if any failed; a skip (the machine cannot run that
# test) is neither a pass nor a failure.
# A binary or script that crashes, times out, exits non-zero without a FAIL
# line, or prints no "# file: N passed, M failed[, K skipped]" summary counts
# as a failure.
cd "$(dirname "$0")/.." || exit 1
TEST_BIN=${TEST_BIN:-tests/bin}  # another build's binaries (make O=DIR test)

passed=0
failed=0
skipped=0
out=$(mktemp "${TMPDIR:-/tmp}/perfmon-run.XXXXXX") || exit 1
fails="$out.fails"
skips="$out.skips"
: > "$fails"
: > "$skips"
trap 'rm -f "$out" "$out.err" "$fails" "$skips"' EXIT
trap 'exit 130' INT TERM

for t in "$TEST_BIN"/test_* tests/e2e_*.sh; do
    [ -f "$t" ] || continue
    case $t in
        *.sh) set -- sh "$t" ;;
        *) [ -x "$t" ] || continue; set -- "$t" ;;
    esac
    name=${t##*/}
    timeout 900 "$@" > "$out" 2> "$out.err"
    rc=$?
    cat "$out"
    p=$(grep -c '^ok - ' "$out")
    f=$(grep -c '^FAIL - ' "$out")
    s=$(grep -c '^skip - ' "$out")
    grep '^FAIL - ' "$out" >> "$fails"
    grep '^skip - ' "$out" >> "$skips"
    extra=""
    if ! grep -q '^# .*: [0-9][0-9]* passed, [0-9][0-9]* failed\(, [0-9][0-9]* skipped\)\{0,1\}$' "$out"; then
        extra="no summary line (exit status $rc)"
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        extra="exit status $rc without a failed test"
    fi
    [ "$rc" -eq 124 ] && extra="timed out after 900 s"
    [ "$rc" -gt 128 ] && [ "$rc" -ne 124 ] && extra="killed by signal $((rc - 128))"
    if [ -n "$extra" ]; then
        echo "FAIL - $name: $extra" | tee -a "$fails"
        f=$((f + 1))
    fi
    if [ "$f" -gt 0 ] && [ -s "$out.err" ]; then
        echo "# stderr of $name (last 20 lines):"
        tail -n 20 "$out.err" | sed 's/^/#   /'
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
done

if [ "$skipped" -gt 0 ]; then
    echo
    echo "skipped:"
    cat "$skips"
fi
if [ "$failed" -gt 0 ]; then
    echo
    echo "failures:"
    cat "$fails"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
