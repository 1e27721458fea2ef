#!/bin/sh
# e2e_selector.sh - one selector syntax, the same series in every command:
# for each selector (full name with its labels in another order and
# escaped quotes, base name, glob, partial label set, glob base with
# labels, several at once) stats, export, watch --count 1 and top --once
# list exactly the expected full names, and gate's count over the selector
# is the sum of those series' counts (live, and against an export used as
# a baseline: globs work there too). A selector that matches nothing is
# named and is exit status 2 (gate: the rule fails); a malformed one is a
# usage error naming why.
. "$(dirname "$0")/lib.sh"

# writer --mode mixed, 1 thread, 7 iterations: writer.count 7, writer.timer
# 7 records, writer.gauge, writer.bytes, and the counters
#   writer.req{method="GET",path="/a"}       3   (i % 3 == 0)
#   writer.req{method="POST",path="/b\"q\\"} 2
#   writer.req{method="GET",path="/c\nd"}    2
start_writer --threads 1 --iters 7 --mode mixed --then wait
if [ -z "$WPID" ]; then
    t_fail writer_start "writer did not start: $(cat "$T/writer.err")"
    t_done
fi

A='writer.req{method="GET",path="/a"}'
B='writer.req{method="POST",path="/b\"q\\"}'
C='writer.req{method="GET",path="/c\nd"}'

# names_of CMD SELECTOR...: the full names the command selects, sorted, one a line
names_of() {
    cmd=$1
    shift
    case $cmd in
        stats) timeout 30 "$VIEW" stats "$WPID" "$@" > "$T/o" 2> "$T/e"
               sed -n '/^NAME  /,$p' "$T/o" | sed 1d | awk '{ print $1 }' ;;
        export) timeout 30 "$VIEW" export "$WPID" "$@" > "$T/o" 2> "$T/e"
                jq -r '.series[].full_name' "$T/o" ;;
        watch) timeout 30 "$VIEW" watch "$WPID" --count 1 --interval 0.05 --format json --series "$@" > "$T/o" 2> "$T/e"
               jq -r '.series[].full_name' "$T/o" ;;
        top) timeout 30 "$VIEW" top "$WPID" "$@" --once > "$T/o" 2> "$T/e"
             sed -n '/^NAME  /,$p' "$T/o" | sed 1d | awk '/^writer\./ { print $1 }' ;;
    esac | LC_ALL=C sort
}

# same_everywhere NAME "EXPECTED (one a line)" SELECTOR...
same_everywhere() {
    name=$1
    want=$(printf '%s\n' "$2" | LC_ALL=C sort)
    shift 2
    for cmd in stats export watch top; do
        got=$(names_of "$cmd" "$@")
        t_check "${name}_$cmd" "got '$got', expected '$want'; $(cat "$T/e")" '[ "$got" = "$want" ]'
    done
}

# gate_count NAME SELECTOR N: gate's count over SELECTOR is N (the sum of
# the counts of the series the other commands listed)
gate_count() {
    printf '%s count == %s\n' "$2" "$3" > "$T/g.rules"
    timeout 30 "$VIEW" gate "$T/g.rules" --pid "$WPID" > "$T/g.out" 2> "$T/g.err"
    rc=$?
    t_check "${1}_gate" "rc=$rc: $(cat "$T/g.out" "$T/g.err")" '[ $rc = 0 ] && grep -q PASS "$T/g.out"'
}

same_everywhere full_name_reordered "$B" 'writer.req{path="/b\"q\\",method="POST"}'
gate_count full_name_reordered 'writer.req{path="/b\"q\\",method="POST"}' 2
same_everywhere base_name "$A
$B
$C" writer.req
gate_count base_name writer.req 7
same_everywhere glob "$A
$B
$C" 'writer.r*'
gate_count glob 'writer.r*' 7
same_everywhere partial_labels "$A
$C" 'writer.req{method="GET"}'
gate_count partial_labels 'writer.req{method="GET"}' 5
same_everywhere escaped_newline_value "$C" 'writer.req{path="/c\nd"}'
gate_count escaped_newline_value 'writer.req{path="/c\nd"}' 2
same_everywhere glob_base_labels "$A" 'writer.*{path="/a"}'
gate_count glob_base_labels 'writer.*{path="/a"}' 3
same_everywhere several "$B
writer.count
writer.timer" 'writer.req{method="POST"}' 'writer.[ct]*' 'writer.count'

# ---- a baseline (here an export) is matched the same way: globs included
timeout 30 "$VIEW" export "$WPID" > "$T/base.json" 2> "$T/e"
printf '%s\n' 'writer.r*{method="GET"} count == 1 * baseline' 'writer.req value == 1 * baseline' > "$T/rel.rules"
timeout 30 "$VIEW" gate "$T/rel.rules" --pid "$WPID" --baseline "$T/base.json" > "$T/g.out" 2> "$T/g.err"
rc=$?
t_check baseline_glob "rc=$rc: $(cat "$T/g.out" "$T/g.err")" \
    '[ $rc = 0 ] && [ "$(grep -c PASS "$T/g.out")" = 2 ] && grep -q "baseline 5;" "$T/g.out"'

# ---- nothing matched: named, exit status 2 (alone or beside one that matched)
for cmd in stats export watch top; do
    names_of "$cmd" 'writer.req{method="PUT"}' > /dev/null
    t_check "nothing_matched_$cmd" "stderr '$(cat "$T/e")'" \
        'grep -qF "nothing matched '"'"'writer.req{method=\"PUT\"}'"'"'" "$T/e"'
done
for cmd in stats export; do
    timeout 30 "$VIEW" $cmd "$WPID" 'no.such*' > /dev/null 2> "$T/e"
    rc=$?
    t_check "nothing_matched_exit_$cmd" "rc=$rc" '[ $rc = 2 ]'
    timeout 30 "$VIEW" $cmd "$WPID" 'no.such*' writer.count > "$T/o" 2> "$T/e"
    rc=$?
    t_check "one_of_two_matched_$cmd" "rc=$rc: $(cat "$T/e")" '[ $rc = 0 ] && grep -q "writer.count" "$T/o" && grep -q "nothing matched .no.such\*." "$T/e"'
done
timeout 30 "$VIEW" watch "$WPID" --count 1 --interval 0.05 --series 'no.such*' > /dev/null 2> "$T/e"
rc=$?
t_check nothing_matched_exit_watch "rc=$rc" '[ $rc = 2 ]'
timeout 30 "$VIEW" top "$WPID" 'no.such*' --once > /dev/null 2> "$T/e"
rc=$?
t_check nothing_matched_exit_top "rc=$rc" '[ $rc = 2 ]'
printf 'writer.req{method="PUT"} count >= 0\n' > "$T/g.rules"
timeout 30 "$VIEW" gate "$T/g.rules" --pid "$WPID" > "$T/g.out" 2>&1
rc=$?
t_check nothing_matched_gate "rc=$rc: $(cat "$T/g.out")" '[ $rc = 1 ] && grep -q "3 series named .writer.req. exist but none has those labels" "$T/g.out"'

# ---- malformed: a usage error that says why, in every command
bad='writer.req{method="GET"'
for cmd in stats export top; do
    timeout 30 "$VIEW" $cmd "$WPID" "$bad" > /dev/null 2> "$T/e"
    rc=$?
    t_check "malformed_$cmd" "rc=$rc: $(cat "$T/e")" '[ $rc = 2 ] && grep -q "bad selector .*unbalanced braces" "$T/e"'
done
timeout 30 "$VIEW" watch "$WPID" --count 1 --series 'writer.req{method=GET}' > /dev/null 2> "$T/e"
rc=$?
t_check malformed_watch "rc=$rc: $(cat "$T/e")" '[ $rc = 2 ] && grep -q "bad selector .*values are quoted" "$T/e"'
printf 'writer.req{method="GET"}x count >= 0\n' > "$T/g.rules"
timeout 30 "$VIEW" gate "$T/g.rules" --pid "$WPID" > /dev/null 2> "$T/e"
rc=$?
t_check malformed_gate "rc=$rc: $(cat "$T/e")" '[ $rc = 2 ] && grep -q "line 1: bad selector .*text after the closing" "$T/e"'

stop_writer "$WPID"
t_done
