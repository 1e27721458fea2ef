#!/bin/sh
# e2e_watch.sh - `perfmon-view watch` against tests/bin/steady, a program
# with a known steady rate: CSV and JSON lines parse, --count, --series,
# window rates within 5% of the workload, exact window latencies, the last
# line when the target exits (its exact total), Ctrl-C, usage errors; and
# the one-shot plain dashboard (`perfmon-view PID` piped).
. "$(dirname "$0")/lib.sh"
STEADY=${STEADY:-tests/bin/steady}

# start_steady ARGS...: sets SPID (empty on failure)
start_steady() {
    bg_start steady "$STEADY" "$@"
    SPID=$BG_PID
}

command -v python3 > /dev/null 2>&1 || { echo "FAIL - $TEST_FILE: python3 is required"; t_done; }

start_steady --rate 2000 --timer-us 1000
if [ -z "$SPID" ]; then
    t_fail steady_start "steady did not start: $(cat "$T/steady.err")"
    t_done
fi

# ---- CSV: 4 windows of 1 s; every row parses; rates within 5% of 2000/s
timeout 30 "$VIEW" watch "$SPID" --interval 1 --count 4 > "$T/w.csv" 2> "$T/w.err"
rc=$?
t_check csv_exit_0 "rc=$rc: $(cat "$T/w.err")" '[ $rc = 0 ]'
out=$(python3 - "$T/w.csv" <<'EOF' 2>&1
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
want = ["time","pid","name","labels","kind","unit","value","count","errors","slow","sum","min","max",
        "mean","p50","p90","p95","p99","window_s","rate","error_pct","slow_pct","total","reset"]
assert list(rows[0].keys()) == want, list(rows[0].keys())
ev = [r for r in rows if r["name"] == "steady.events"]
tm = [r for r in rows if r["name"] == "steady.timer"]
assert len(ev) == 4 and len(tm) == 4, (len(ev), len(tm))
times = sorted(set(r["time"] for r in rows))
assert len(times) == 4, times
bad = []
for r in ev + tm:
    rate = float(r["rate"]); ws = float(r["window_s"]); n = int(r["count"])
    assert abs(rate - n / ws) <= 1e-3 * rate + 1, r
    if abs(rate - 2000) > 0.05 * 2000: bad.append(rate)
assert not bad, "rates off by more than 5%%: %s" % bad
for r in tm:
    # every record is exactly 1 ms: window mean, p50 and p99 within 1%
    for k in ("mean", "p50", "p99", "max"):
        assert abs(float(r[k]) - 1e6) <= 0.01 * 1e6, (k, r[k])
    # every 10th record fails
    assert abs(float(r["error_pct"]) - 10) <= 1.0, r["error_pct"]
lv = [r for r in rows if r["name"] == "steady.level"]
assert lv and lv[0]["value"] == "7" and lv[0]["rate"] == "" and lv[0]["kind"] == "gauge", lv
print("rates", " ".join("%.0f" % float(r["rate"]) for r in ev))
EOF
)
t_check csv_rows_parse_and_rates_within_5pct "$out" '[ $? = 0 ] && echo "$out" | grep -q "^rates"'

# ---- JSON: one object per line per interval, --series selects
timeout 30 "$VIEW" watch "$SPID" -i 0.5 -n 3 --format json --series steady.events 'steady.h*' > "$T/w.json" 2> "$T/w.err"
rc=$?
out=$(python3 - "$T/w.json" <<'EOF' 2>&1
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 3, len(lines)
for l in lines:
    o = json.loads(l)
    assert o["status"] == "alive" and o["process"] == "steady", o
    assert 0.4 < o["window_s"] < 0.8, o["window_s"]
    names = sorted(s["name"] for s in o["series"])
    assert names == ["steady.events", "steady.hit"], names
    ev = [s for s in o["series"] if s["name"] == "steady.events"][0]
    assert ev["kind"] == "counter" and "p50" not in ev and "errors" not in ev, ev
    assert abs(ev["rate"] - 2000) <= 0.05 * 2000, ev["rate"]
    assert ev["value"] == ev["total"] and ev["value"] > 0
print("ok")
EOF
)
t_check json_lines_parse_series_filter "rc=$rc $out $(cat "$T/w.err")" '[ $rc = 0 ] && [ "$out" = ok ]'

# ---- Ctrl-C stops it cleanly, with whole lines
: > "$T/int.csv"   # exists before the loop reads it (the redirection below happens in the child)
timeout 30 "$VIEW" watch "$SPID" -i 0.2 > "$T/int.csv" 2> "$T/w.err" &
vp=$!
i=0
while [ $i -lt 600 ] && [ "$(wc -l < "$T/int.csv")" -lt 10 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $vp
wait $vp
rc=$?
last=$(tail -c 1 "$T/int.csv" | od -An -c | tr -d ' ')
t_check ctrl_c_stops "rc=$rc last byte '$last' lines $(wc -l < "$T/int.csv")" '[ $rc = 0 ] && [ "$last" = "\\n" ] && [ "$(wc -l < "$T/int.csv")" -ge 10 ]'

# ---- the one-shot plain dashboard: piped, no escape sequences, exit 0
timeout 30 "$VIEW" "$SPID" > "$T/once.txt" 2> "$T/w.err"
rc=$?
esc=$(tr -dc '\033' < "$T/once.txt" | wc -c)
t_check plain_snapshot_when_piped "rc=$rc esc=$esc: $(head -c 300 "$T/once.txt")" \
    '[ $rc = 0 ] && [ "$esc" = 0 ] && grep -q "^steady pid $SPID  ALIVE" "$T/once.txt" && grep -q "^steady.timer " "$T/once.txt" && grep -q "^hit rate  steady 75.0%" "$T/once.txt"'
timeout 30 "$VIEW" top "$SPID" --once --no-color steady.timer > "$T/once2.txt" 2> "$T/w.err"
rc=$?
n=$(grep -c "^steady\." "$T/once2.txt")
t_check once_with_names "rc=$rc rows=$n" '[ $rc = 0 ] && [ "$n" = 1 ]'
thr=$(awk '/^process/ { for (i = 1; i < NF; i++) if ($i == "threads") print $(i + 1) }' "$T/once.txt")
# steady's one thread and perfmon's heartbeat thread (TSan adds one of its own)
t_check plain_snapshot_resources "threads '$thr'" '{ [ "$thr" = 2 ] || { [ "$PM_SANITIZER" = tsan ] && [ "$thr" = 3 ]; }; } && grep -q "^process  cpu [0-9.]*% (user" "$T/once.txt" && grep -q "^machine  cpu " "$T/once.txt"'
stop_writer "$SPID"

# ---- the target exits: one last line with its final values, then exit 0.
# The target is stopped once the watch has printed two live lines (a
# condition, not a run time the loaded machine may not give the viewer).
start_steady --rate 1000
if [ -n "$SPID" ]; then
    sout=$BG_OUT
    : > "$T/end.json"
    timeout 60 "$VIEW" watch "$SPID" -i 0.5 --format json --series steady.events > "$T/end.json" 2> "$T/w.err" &
    vp=$!
    i=0
    while [ $i -lt 600 ] && [ "$(wc -l < "$T/end.json")" -lt 2 ] && kill -0 $vp 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
    kill -TERM "$SPID"
    wait $vp
    rc=$?
    stop_writer "$SPID"
    events=$(sed -n 's/^events //p' "$sout")
    out=$(python3 - "$T/end.json" "$events" <<'EOF' 2>&1
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert len(objs) >= 3, len(objs)
assert all(o["status"] == "alive" for o in objs[:-1]), [o["status"] for o in objs]
assert objs[-1]["status"] == "exited", objs[-1]["status"]
total = objs[-1]["series"][0]["total"]
assert sum(o["series"][0]["count"] for o in objs) <= total
assert total == int(sys.argv[2]), (total, sys.argv[2])  # every event steady recorded
print("ok")
EOF
)
    t_check stops_after_target_exit "rc=$rc $out $(cat "$T/w.err")" '[ $rc = 0 ] && [ "$out" = ok ]'
else
    t_fail stops_after_target_exit "steady did not start"
fi

# ---- a target that exited before watch started: one window, its whole run
# (window_s was 0 while rate was count over the run)
PERFMON_KEEP=1 run_writer --threads 1 --iters 1000 --mode count --then exit
timeout 30 "$VIEW" watch "$WPID" --format json > "$T/x.json" 2> "$T/x.err"
rc=$?
got=$(jq -r '[.window_s, (.series[] | select(.name == "writer.count") | .rate, .count)] | @tsv' "$T/x.json" 2> /dev/null)
t_check exited_window_is_whole_run "rc=$rc: $got $(cat "$T/x.err")" \
    '[ $rc = 0 ] && [ "$(wc -l < "$T/x.json")" = 1 ] && echo "$got" | awk -F"\t" "{ exit !(\$1 > 0 && \$3 == 1000 && \$2 * \$1 > 990 && \$2 * \$1 < 1010) }"'
# the same window whichever way the options are spelled (time aside)
for form in "--format json --count 1" "--format=json --count=1" "-f json -n 1" "-fjson -n1"; do
    # shellcheck disable=SC2086 # the words of the form, on purpose
    timeout 30 "$VIEW" watch "$WPID" $form 2>&1 | jq -c 'del(.time)' > "$T/form.$(echo "$form" | cksum | cut -d" " -f1)"
done
set -- "$T"/form.*
nforms=$# f1=$1 f2=$2 f3=$3 f4=$4
t_check watch_value_spellings_agree "$nforms forms: $(head -c 200 "$f1")" \
    '[ $nforms = 4 ] && cmp -s "$f1" "$f2" && cmp -s "$f1" "$f3" && cmp -s "$f1" "$f4" && grep -q "writer.count" "$f1"'

# ---- selectors that select nothing: exit 2 and one line each, as in stats
timeout 30 "$VIEW" watch "$WPID" --series no.such 'nor.*' > "$T/nm.out" 2> "$T/nm.err"; r1=$?
timeout 30 "$VIEW" top "$WPID" --once no.such > "$T/nm2.out" 2> "$T/nm2.err"; r2=$?
timeout 30 "$VIEW" stats "$WPID" no.such 'nor.*' > "$T/nm3.out" 2> "$T/nm3.err"; r3=$?
t_check nothing_matched_is_exit_2 "$r1 $r2 $r3: $(cat "$T/nm.err" "$T/nm2.err" "$T/nm3.err")" \
    '[ "$r1$r2$r3" = 222 ] && [ "$(cat "$T/nm.err" "$T/nm2.err" "$T/nm3.err" | wc -l)" = 5 ] &&
     grep -q "nothing matched .no.such.$" "$T/nm.err" && grep -q "nothing matched .nor\.\*.$" "$T/nm.err" &&
     grep -q "nothing matched .no.such.$" "$T/nm2.err" && [ ! -s "$T/nm2.out" ] && [ ! -s "$T/nm3.out" ]'
# some NAMEs match: the rest are warnings, exit 0
timeout 30 "$VIEW" top "$WPID" --once no.such writer.count > "$T/nm4.out" 2> "$T/nm4.err"; r1=$?
timeout 30 "$VIEW" watch "$WPID" --series no.such writer.count > "$T/nm5.out" 2> "$T/nm5.err"; r2=$?
t_check some_matched_is_exit_0 "$r1 $r2: $(cat "$T/nm4.err" "$T/nm5.err")" \
    '[ "$r1$r2" = 00 ] && grep -q "writer.count" "$T/nm4.out" && grep -q "writer.count" "$T/nm5.out" &&
     grep -q "nothing matched .no.such.$" "$T/nm4.err"'
rm -f "/dev/shm/perfmon.$WPID"

# ---- usage errors
"$VIEW" watch > /dev/null 2>&1; r1=$?
"$VIEW" watch 1 --format xml > /dev/null 2>&1; r2=$?
"$VIEW" watch 1 --interval 0 > /dev/null 2>&1; r3=$?
"$VIEW" watch 1 --count 0 > /dev/null 2>&1; r4=$?
"$VIEW" watch 999999999 -n 1 > /dev/null 2> "$T/e"; r5=$?
t_check usage_errors "$r1 $r2 $r3 $r4 $r5 $(cat "$T/e")" '[ "$r1$r2$r3$r4$r5" = 22222 ] && grep -q "no segment" "$T/e"'
"$VIEW" top 1 -i abc > /dev/null 2>&1; r1=$?
"$VIEW" 999999999 --once > /dev/null 2>&1; r2=$?
"$VIEW" watch --help | grep -q "^usage: perfmon-view watch"; r3=$?
"$VIEW" help top | grep -q "^keys:"; r4=$?
t_check top_usage_and_help "$r1 $r2 $r3 $r4" '[ "$r1$r2$r3$r4" = 2200 ]'

t_done
