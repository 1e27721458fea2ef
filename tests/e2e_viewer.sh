#!/bin/sh
# e2e_viewer.sh - the real viewer against a real instrumented writer: exact
# values in `export --format json|csv`, percentiles, labels, stats, list,
# usage errors.
. "$(dirname "$0")/lib.sh"

export_json() { # PID FILE: export, exit status must be 0
    timeout 30 "$VIEW" export "$1" --format json > "$2" 2> "$T/view.err" && jq -e . "$2" > /dev/null 2>&1
}
series() { # FILE FULL_NAME FIELD
    jq -r --arg n "$2" ".series[] | select(.full_name == \$n) | .$3" "$1"
}

# ---- 8 threads x 1,000,000 PM_COUNT, read back exact by the viewer
start_writer --threads 8 --iters 1000000 --mode count --then wait
if [ -z "$WPID" ]; then
    t_fail count_8x1M_json "writer did not start: $(cat "$T/writer.err")"
else
    if export_json "$WPID" "$T/c.json"; then
        v=$(series "$T/c.json" writer.count value)
        t_check count_8x1M_json "value $v, expected 8000000" '[ "$v" = 8000000 ]'
        a=$(json_get "$T/c.json" '.alive')
        st=$(json_get "$T/c.json" '.state')
        pid=$(json_get "$T/c.json" '.pid')
        t_check export_json_header "alive=$a state=$st pid=$pid" '[ "$a" = true ] && [ "$st" = alive ] && [ "$pid" = "$WPID" ]'
        k=$(series "$T/c.json" writer.count kind)
        t_check export_json_kind "kind $k" '[ "$k" = counter ]'
    else
        t_fail count_8x1M_json "export failed: $(cat "$T/view.err")"
    fi
    timeout 30 "$VIEW" export "$WPID" --format csv > "$T/c.csv" 2> "$T/view.err"
    row=$(grep '^writer.count,' "$T/c.csv")
    hdr=$(head -n 1 "$T/c.csv")
    t_check count_8x1M_csv "row '$row'" '[ "$row" = "writer.count,,counter,,8000000,,,,,,,,,,," ]'
    t_check csv_header "header '$hdr'" '[ "$hdr" = "name,labels,kind,unit,value,count,errors,slow,sum,min,max,mean,p50,p90,p95,p99" ]'
    timeout 30 "$VIEW" export "$WPID" -o "$T/out.json" > "$T/stdout" 2> "$T/view.err"
    rc=$?
    v=$(series "$T/out.json" writer.count value)
    t_check export_to_file "rc=$rc value=$v stdout=$(wc -c < "$T/stdout")" '[ $rc = 0 ] && [ "$v" = 8000000 ] && [ ! -s "$T/stdout" ] && [ -z "$(ls "$T" | grep "^out\.json\.")" ]'
    # a temporary name somebody planted (another user's file, a symlink) is
    # never written through or renamed onto the output: the output is ours
    printf planted > "$T/own.json.tmp"
    chown 65534 "$T/own.json.tmp" 2> /dev/null
    chmod 666 "$T/own.json.tmp"
    ln -s "$T/victim" "$T/sym.json.tmp"
    timeout 30 "$VIEW" export "$WPID" -o "$T/own.json" 2> "$T/view.err"
    rc1=$?
    timeout 30 "$VIEW" export "$WPID" -o "$T/sym.json" 2>> "$T/view.err"
    rc2=$?
    got="$rc1 $rc2 $(stat -c %u "$T/own.json") $(cat "$T/own.json.tmp") $([ -e "$T/victim" ] && echo victim-written) $([ -L "$T/sym.json" ] && echo symlink)"
    t_check export_ignores_planted_tmp "$got; $(cat "$T/view.err")" \
        '[ "$got" = "0 0 $(id -u) planted  " ] && [ "$(series "$T/sym.json" writer.count value)" = 8000000 ]'
    timeout 30 "$VIEW" stats "$WPID" > "$T/stats.out" 2> "$T/view.err"
    rc=$?
    t_check stats_runs "rc=$rc: $(cat "$T/view.err")" '[ $rc = 0 ] && grep -q "pid $WPID" "$T/stats.out" && grep -q "^writer.count  *counter  *8.00M" "$T/stats.out"'
    timeout 30 "$VIEW" list > "$T/list.out" 2> "$T/view.err"
    rc=$?
    t_check list_shows_writer "rc=$rc, pid $WPID not listed" '[ $rc = 0 ] && grep -q "\\b$WPID\\b" "$T/list.out"'
    stop_writer "$WPID"
fi

# ---- percentiles of 1e6 log-normal samples within 1% of the exact values
start_writer --threads 4 --iters 250000 --mode lognormal --exact "$T/exact" --then wait
if [ -z "$WPID" ] || ! export_json "$WPID" "$T/l.json"; then
    t_fail lognormal_percentiles "writer or export failed: $(cat "$T/writer.err" "$T/view.err" 2>/dev/null)"
else
    read -r n mn mx e50 e90 e99 < "$T/exact"
    q() { series "$T/l.json" writer.lognormal "$1"; }
    t_check lognormal_count_min_max "count $(q count)/$n min $(q min)/$mn max $(q max)/$mx" '[ "$(q count)" = "$n" ] && [ "$(q min)" = "$mn" ] && [ "$(q max)" = "$mx" ]'
    for p in 50 90 99; do
        eval "exact=\$e$p"
        got=$(q "p$p")
        if awk -v g="$got" -v e="$exact" 'BEGIN { d = g - e; if (d < 0) d = -d; exit !(g != "" && d <= 0.01 * e) }'; then
            t_ok "lognormal_p$p"
        else
            t_fail "lognormal_p$p" "viewer $got vs exact $exact (more than 1% off)"
        fi
    done
    stop_writer "$WPID"
fi

# ---- timers: counts, errors, slow, sum exact
start_writer --threads 2 --iters 10000 --mode timer --errors-every 10 --slow-every 100 --then wait
if [ -z "$WPID" ] || ! export_json "$WPID" "$T/t.json"; then
    t_fail timer_counts "writer or export failed"
else
    # per thread: i in 0..9999, ns = 1000 + i % 1000, or 2e9 when i % 100 == 99
    sum=$(awk 'BEGIN { s = 0; for (i = 0; i < 10000; i++) s += (i % 100 == 99) ? 2000000000 : 1000 + i % 1000; printf "%.0f", 2 * s }')
    got="$(series "$T/t.json" writer.timer count) $(series "$T/t.json" writer.timer errors) $(series "$T/t.json" writer.timer slow) $(series "$T/t.json" writer.timer sum)"
    t_check timer_counts "count errors slow sum = $got, expected 20000 2000 200 $sum" '[ "$got" = "20000 2000 200 $sum" ]'
    got="$(series "$T/t.json" writer.timer unit) $(series "$T/t.json" writer.timer min) $(series "$T/t.json" writer.timer max)"
    t_check timer_unit_min_max "unit min max = $got" '[ "$got" = "ns 1000 2000000000" ]'
    stop_writer "$WPID"
fi

# ---- labels: the JSON "labels" object holds the decoded values
start_writer --threads 3 --iters 30 --mode mixed --then wait
if [ -z "$WPID" ] || ! export_json "$WPID" "$T/m.json"; then
    t_fail labels_json "writer or export failed"
else
    n=$(jq '[.series[] | select(.name == "writer.req")] | length' "$T/m.json")
    t_check labels_three_series "found $n writer.req series" '[ "$n" = 3 ]'
    v=$(jq -r '.series[] | select(.name == "writer.req" and .labels.method == "POST") | .value' "$T/m.json")
    p=$(jq -r '.series[] | select(.name == "writer.req" and .labels.method == "POST") | .labels.path' "$T/m.json")
    want='/b"q\'
    t_check labels_escapes_decoded "POST value '$v' path '$p'" '[ "$v" = 30 ] && [ "$p" = "$want" ]'
    p=$(jq -r '.series[] | select(.name == "writer.req" and .labels.path == "/c\nd") | .value' "$T/m.json")
    t_check labels_newline_decoded "value '$p' for path \"/c\\nd\"" '[ "$p" = 30 ]'
    p=$(jq -r '.series[] | select(.name == "writer.req" and .labels.path == "/a") | .labels | keys | join(",")' "$T/m.json")
    t_check labels_keys "keys '$p'" '[ "$p" = method,path ]'
    fn=$(jq -r '.series[] | select(.name == "writer.req" and .labels.path == "/a") | .full_name' "$T/m.json")
    want='writer.req{method="GET",path="/a"}'
    t_check labels_full_name "full_name '$fn'" '[ "$fn" = "$want" ]'
    g=$(series "$T/m.json" writer.gauge value)
    t_check gauge_negative_json "gauge $g" '[ "$g" = -90 ]'
    b="$(series "$T/m.json" writer.bytes unit) $(series "$T/m.json" writer.bytes sum) $(series "$T/m.json" writer.bytes p99)"
    t_check bytes_distribution_json "unit sum p99 = $b" '[ "$b" = "bytes 368640 4096" ]'
    timeout 30 "$VIEW" export "$WPID" --format csv > "$T/m.csv" 2> /dev/null
    row=$(grep '^writer.req,"method=""POST""' "$T/m.csv")
    want='writer.req,"method=""POST"",path=""/b\""q\\""",counter,,30,,,,,,,,,,,'
    t_check labels_csv_quoted "row '$row'" '[ "$row" = "$want" ]'
    # stats NAME filters
    timeout 30 "$VIEW" stats "$WPID" writer.req > "$T/s.out" 2> "$T/view.err"
    rc=$?
    rows=$(grep -c '^writer\.' "$T/s.out")
    t_check stats_filter_base_name "rc=$rc rows=$rows" '[ $rc = 0 ] && [ "$rows" = 3 ]'
    timeout 30 "$VIEW" stats "$WPID" 'writer.c*' > "$T/s.out" 2> "$T/view.err"
    rows=$(grep -c '^writer\.' "$T/s.out")
    t_check stats_filter_glob "rows=$rows" '[ "$rows" = 1 ]'
    timeout 30 "$VIEW" stats "$WPID" no.such.series > "$T/s.out" 2> "$T/view.err"
    rc=$?
    t_check stats_filter_nothing_matches "rc=$rc, stderr '$(cat "$T/view.err")'" '[ $rc = 2 ] && [ -s "$T/view.err" ]'
    stop_writer "$WPID"
fi

# ---- every spelling of an option's value gives the same result
PERFMON_KEEP=1 run_writer --threads 1 --iters 1000 --mode mixed --then exit
if [ -n "$WPID" ]; then
    n=0
    for form in "--format csv" "--format=csv" "-f csv" "-fcsv"; do
        n=$((n + 1))
        # shellcheck disable=SC2086 # two words or one, on purpose
        timeout 30 "$VIEW" export "$WPID" $form > "$T/form.$n" 2>&1
    done
    t_check export_value_spellings_agree "outputs differ: $(head -c 300 "$T/form.1")" \
        'cmp -s "$T/form.1" "$T/form.2" && cmp -s "$T/form.1" "$T/form.3" && cmp -s "$T/form.1" "$T/form.4" &&
         grep -q "^writer.gauge,,gauge,,-1000," "$T/form.1"'
    timeout 30 "$VIEW" export "$WPID" --output="$T/o1.json" && timeout 30 "$VIEW" export "$WPID" -o "$T/o2.json" &&
        timeout 30 "$VIEW" export "$WPID" --output "$T/o3.json"
    for k in 1 2 3; do jq -S 'del(.time)' "$T/o$k.json" > "$T/o$k.cmp" 2>/dev/null; done  # time: the snapshot's own
    t_check export_output_spellings_agree "rc=$?" '[ -s "$T/o1.cmp" ] && cmp -s "$T/o1.cmp" "$T/o2.cmp" && cmp -s "$T/o1.cmp" "$T/o3.cmp"'
    timeout 30 "$VIEW" stats "$WPID" -- writer.gauge > "$T/s1" 2>&1
    timeout 30 "$VIEW" stats "$WPID" writer.gauge > "$T/s2" 2>&1
    t_check stats_dashdash_before_names "$(cat "$T/s1")" 'cmp -s "$T/s1" "$T/s2" && grep -q "^writer.gauge" "$T/s1"'
    rm -f "/dev/shm/perfmon.$WPID"
else
    t_fail export_value_spellings_agree "writer did not run"
fi
run_writer --threads 1 --iters 10 --mode count --then kill   # leaves a crashed segment
if [ -n "$WPID" ]; then
    timeout 30 "$VIEW" gc --dry-run --pid="$WPID" > "$T/g1" 2>&1
    timeout 30 "$VIEW" gc -n -p "$WPID" > "$T/g2" 2>&1
    timeout 30 "$VIEW" gc --pid "$WPID" --dry-run --older-than=0 > "$T/g3" 2>&1
    t_check gc_value_spellings_agree "$(cat "$T/g1" "$T/g2" "$T/g3")" \
        'cmp -s "$T/g1" "$T/g2" && cmp -s "$T/g1" "$T/g3" && grep -q "^would remove .*perfmon.$WPID (pid $WPID" "$T/g1"'
    rm -f "/dev/shm/perfmon.$WPID"
fi

# ---- usage and input errors: exit 2, one line on stderr, never a crash
usage_case() { # NAME ARGS...
    name=$1
    shift
    timeout 30 "$VIEW" "$@" > "$T/u.out" 2> "$T/u.err"
    rc=$?
    t_check "$name" "rc=$rc, $(wc -l < "$T/u.err") lines on stderr: $(head -c 300 "$T/u.err")" \
        '[ $rc = 2 ] && [ "$(wc -l < "$T/u.err")" = 1 ] && grep -q "^perfmon-view: .*try .perfmon-view.* --help.$" "$T/u.err"'
}
usage_case usage_no_args
usage_case usage_unknown_command frobnicate
usage_case usage_export_no_pid export
usage_case usage_export_bad_format export 1 --format xml
usage_case usage_export_format_eq_bad export 1 --format=xml
usage_case usage_export_missing_value export 1 -o
usage_case usage_bad_pid stats 12x
usage_case usage_negative_pid stats -1
usage_case usage_zero_pid stats 0
usage_case usage_huge_pid stats 99999999999999999999
usage_case usage_stats_unknown_option stats 1 --foo
usage_case usage_list_argument list extra
usage_case usage_gc_flag_with_value gc --dry-run=yes
usage_case usage_top_bad_interval_eq top 1 --interval=abc
usage_case usage_watch_bad_count watch 1 -n0
usage_case usage_gate_unknown_option gate r --nope -- true
usage_case usage_help_unknown_command help frobnicate
# the error names the command and its own help
timeout 30 "$VIEW" stats 1 --foo 2> "$T/u.err"
t_check usage_names_command_help "$(cat "$T/u.err")" \
    '[ "$(cat "$T/u.err")" = "perfmon-view: stats: unknown option '"'--foo'"'; try '"'perfmon-view stats --help'"'" ]'
# every command's help comes from its option table: each documented option is accepted
for c in list stats export gc top watch gate; do
    timeout 30 "$VIEW" help "$c" > "$T/h.$c" 2>&1 && timeout 30 "$VIEW" "$c" --help | cmp -s - "$T/h.$c"
    hrc=$?
    t_check "help_$c" "help $c and $c --help differ or fail" \
        '[ $hrc = 0 ] && grep -q "^usage: perfmon-view $c" "$T/h.$c" && grep -q "^  -h, --help" "$T/h.$c"'
done
mkdir "$T/empty"
PERFMON_SHM_DIR="$T/empty" timeout 30 "$VIEW" stats 4242 > "$T/u.out" 2> "$T/u.err"
rc=$?
t_check missing_segment_one_line "rc=$rc, $(wc -l < "$T/u.err") lines on stderr" '[ $rc = 2 ] && [ "$(wc -l < "$T/u.err")" = 1 ]'
PERFMON_SHM_DIR="$T/empty" timeout 30 "$VIEW" list > "$T/u.out" 2> "$T/u.err"
rc=$?
t_check list_empty_dir "rc=$rc" '[ $rc = 0 ]'
timeout 30 "$VIEW" --help > "$T/u.out" 2>&1
rc=$?
t_check help_exit_0 "rc=$rc" '[ $rc = 0 ]'

t_done
