#!/bin/sh
# e2e_gate.sh - `perfmon-view gate` end to end: verdicts and exit codes,
# missing series, syntax errors, partial label sets, JUnit/JSON/GitHub
# outputs, --pid, export baselines, and --runs with a baseline catching a
# 3x slowdown while passing the unchanged workload. Verdicts never depend
# on the machine's speed: the Mann-Whitney cases judge writer runs whose
# recorded durations are exact, and the calibrated slowdown is judged on
# CPU time, which load does not inflate.
. "$(dirname "$0")/lib.sh"
BENCH=${BENCH:-examples/bench_parse}
G="$VIEW gate"

# gate_run NAME ARGS...: runs the gate, output in $T/NAME.out/.err, rc in $RC
gate_run() {
    n=$1
    shift
    $G "$@" > "$T/$n.out" 2> "$T/$n.err"
    RC=$?
}
has() { grep -q -- "$2" "$T/$1.out" "$T/$1.err"; }
# chk NAME WHY COMMAND...: ok if the command succeeds
chk() {
    c_name=$1 c_why=$2
    shift 2
    if "$@"; then t_ok "$c_name"; else t_fail "$c_name" "$c_why"; fi
}
# bench_parse segments whose writer is gone, by pid (live ones may be another
# suite's running beside this one: /dev/shm is shared)
bench_left() { $VIEW list 2>/dev/null | awk '$2 == "bench_parse" && $3 != "alive" { print $1 }' | sort ; }

left_before=$(bench_left)

# --- a passing gate exits 0 (deterministic durations from the writer)
cat > "$T/pass.rules" <<'R'
# writer --mode timer: durations 1000 + (i % 1000) ns, every 10th fails
writer.timer   count       == 1000
writer.timer   mean        <  2us        # 1.4995us exactly
writer.timer   max         <= 1999ns
writer.timer   errors      == 100
writer.timer   error_rate  <  10.5%
writer.timer   p50         >  1.4us
process        peak_rss    <  1GB
process        cpu_time    <  60s
R
gate_run pass "$T/pass.rules" -- "$WRITER" --mode timer --iters 1000 --errors-every 10
chk "passing gate exits 0" "rc $RC: $(cat "$T/pass.out" "$T/pass.err" | tr '\n' '|')" [ "$RC" -eq 0 ]
chk "table shows every rule passing" "$(tr '\n' '|' < "$T/pass.out")" \
    sh -c "[ \$(grep -c ' PASS ' '$T/pass.out') -eq 8 ] && grep -q 'gate: 8 passed, 0 failed' '$T/pass.out'"

# --- a deliberately broken workload exits 1 and names the rule
cat > "$T/err.rules" <<'R'
parse  error_rate  < 1%
parse  count       == 50
R
gate_run err "$T/err.rules" -- env PARSE_PASSES=50 PARSE_FAIL_EVERY=5 "$BENCH"
chk "failing rule exits 1" "rc $RC" [ "$RC" -eq 1 ]
chk "failure names the rule" "$(tr '\n' '|' < "$T/err.out")" \
    sh -c "grep 'FAIL' '$T/err.out' | grep -q 'parse error_rate < 1%'"

# slowed: calibrate on this machine (median of 3 runs), then run 6x slower.
# On CPU time (the workload's resource span), not wall time: a loaded
# machine stretches wall time by any factor, the CPU time of the work no.
cat > "$T/cal.rules" <<'R'
workload  cpu_time  > 0ns
R
gate_run cal "$T/cal.rules" --runs 3 --json "$T/cal.json" -- env PARSE_PASSES=400 "$BENCH"
cpu=$(python3 -c "import json,sys; print(int(json.load(open(sys.argv[1]))['rules'][0]['measured']))" "$T/cal.json" 2>/dev/null)
if [ -n "$cpu" ] && [ "$cpu" -gt 0 ]; then
    printf 'workload  cpu_time  < %dns\n' $((cpu * 2)) > "$T/slow.rules"
    gate_run slow "$T/slow.rules" -- env PARSE_PASSES=400 PARSE_SLOWDOWN=6 "$BENCH"
    chk "6x slower workload exits 1" "rc $RC (calibrated cpu_time ${cpu}ns): $(grep 'workload' "$T/slow.out")" [ "$RC" -eq 1 ]
    chk "slow failure names the rule" "$(tr '\n' '|' < "$T/slow.out")" \
        sh -c "grep FAIL '$T/slow.out' | grep -q 'workload cpu_time <'"
else
    t_fail "calibration run" "no measured cpu_time in --json output: $(head -c 300 "$T/cal.json" "$T/cal.err")"
fi

# --- a rule on a missing series fails, naming it; partial label sets aggregate
cat > "$T/labels.rules" <<'R'
writer.req                               count  == 30
writer.req{method="GET"}                 count  == 20     # two label sets summed
writer.req{path="/b\"q\\"}               count  == 10     # escapes in a label value
writer.req{method="GET", path="/a"}      count  == 10
writer.reqq                              count  >= 0      # typo: must fail
writer.req{method="PUT it"}              count  >= 0      # no such labels: must fail
R
gate_run labels "$T/labels.rules" -- "$WRITER" --mode labels --iters 30
chk "missing series exits 1" "rc $RC" [ "$RC" -eq 1 ]
chk "missing series is named" "$(tr '\n' '|' < "$T/labels.out")" \
    sh -c "grep FAIL '$T/labels.out' | grep -q \"no series 'writer.reqq'\""
chk "label value with a space is one token" "$(tr '\n' '|' < "$T/labels.out")" \
    sh -c "grep FAIL '$T/labels.out' | grep -q 'method=\"PUT it\"'"
chk "partial label sets aggregate" "$(tr '\n' '|' < "$T/labels.out")" \
    sh -c "[ \$(grep -c ' PASS ' '$T/labels.out') -eq 4 ] && grep -q '2 failed' '$T/labels.out'"

# --- syntax errors name their line and exit 2
printf 'writer.timer count == 1\n# fine\n\nwriter.timer p95 < 2 parsecs\n' > "$T/syn1.rules"
gate_run syn1 "$T/syn1.rules" -- "$WRITER" --mode timer --iters 10
chk "unknown unit: exit 2" "rc $RC" [ "$RC" -eq 2 ]
chk "unknown unit: names line 4" "$(cat "$T/syn1.err")" has syn1 "line 4:"
printf 'writer.timer count == 1\nwriter.timer p42 < 2ms\n' > "$T/syn2.rules"
gate_run syn2 "$T/syn2.rules" -- "$WRITER" --mode timer --iters 10
chk "unknown statistic: line 2, exit 2" "rc $RC: $(cat "$T/syn2.err")" \
    sh -c "[ $RC -eq 2 ] && grep -q 'line 2:.*p42' '$T/syn2.err'"
printf 'writer.req{method="GET count == 1\n' > "$T/syn3.rules"
gate_run syn3 "$T/syn3.rules" -- "$WRITER" --mode timer --iters 10
chk "unterminated label: line 1, exit 2" "rc $RC: $(cat "$T/syn3.err")" \
    sh -c "[ $RC -eq 2 ] && grep -q 'line 1:' '$T/syn3.err'"
printf 'writer.timer error_rate < 0.01\n' > "$T/syn4.rules"
gate_run syn4 "$T/syn4.rules" -- "$WRITER" --mode timer --iters 10
chk "rate without %: exit 2" "rc $RC" [ "$RC" -eq 2 ]

# --- JUnit: well-formed, one testcase per rule, failures marked; JSON; GitHub
gate_run junit "$T/labels.rules" --junit "$T/j.xml" --json "$T/j.json" --github -- "$WRITER" --mode labels --iters 30
chk "junit is well-formed with one testcase per rule" "$(head -c 400 "$T/j.xml")" python3 -c "
import sys, xml.etree.ElementTree as ET
root = ET.parse('$T/j.xml').getroot()
cases = root.findall('.//testcase')
fails = [c for c in cases if c.find('failure') is not None]
sys.exit(0 if len(cases) == 6 and len(fails) == 2 and root.get('failures') == '2' else 1)"
chk "json report parses, verdicts match" "$(head -c 300 "$T/j.json")" python3 -c "
import json, sys
d = json.load(open('$T/j.json'))
v = [r['verdict'] for r in d['rules']]
sys.exit(0 if d['passed'] is False and v.count('FAIL') == 2 and v.count('PASS') == 4 else 1)"
chk "github: ::error lines for failures, ::notice for passes" "$(grep '^::' "$T/junit.out" | head -3)" \
    sh -c "[ \$(grep -c '^::error file=.*line=5,title=' '$T/junit.out') -eq 1 ] && [ \$(grep -c '^::notice ' '$T/junit.out') -eq 4 ]"

# --- run errors: cannot start, non-zero exit (unless --allow-fail), no segment
gate_run nostart "$T/pass.rules" -- "$T/does-not-exist"
chk "command that cannot start: exit 2" "rc $RC" sh -c "[ $RC -eq 2 ] && grep -q 'cannot run' '$T/nostart.err'"
gate_run nonzero "$T/err.rules" -- sh -c 'exec env PARSE_PASSES=50 PARSE_SLOWDOWN=0 "$0"' "$BENCH"
chk "command exiting non-zero: exit 2" "rc $RC" [ "$RC" -eq 2 ]
gate_run killed "$T/labels.rules" --allow-fail -- "$WRITER" --mode labels --iters 30 --then kill
chk "--allow-fail judges a killed command" "rc $RC: $(cat "$T/killed.err")" \
    sh -c "[ $RC -eq 1 ] && [ \$(grep -c ' PASS ' '$T/killed.out') -eq 4 ]"
gate_run noseg "$T/pass.rules" -- true
chk "uninstrumented command: exit 2, says why" "rc $RC: $(cat "$T/noseg.err")" \
    sh -c "[ $RC -eq 2 ] && grep -q 'left no readable segment' '$T/noseg.err'"
chk "relative rule without a baseline: exit 2" "" sh -c "
    printf 'parse mean < 1.1 * baseline\n' > '$T/rel.rules'
    $G '$T/rel.rules' -- '$BENCH' > /dev/null 2>&1; [ \$? -eq 2 ]"

# --- --pid on an exited process: process rules from its exit gauges; export as baseline
PERFMON_KEEP=1 PARSE_PASSES=50 "$BENCH" > /dev/null &
bp=$!
wait $bp
writers="$writers $bp"   # the trap removes its segment
printf 'parse count == 50\nprocess peak_rss < 1GB\nprocess cpu_time < 60s\n' > "$T/pid.rules"
gate_run pid "$T/pid.rules" --pid "$bp"
chk "--pid on an exited process" "rc $RC: $(cat "$T/pid.out" "$T/pid.err" | tr '\n' '|')" [ "$RC" -eq 0 ]
$VIEW export "$bp" -o "$T/export.json"
rm -f "/dev/shm/perfmon.$bp"
printf 'parse count == 1 * baseline\nrecords count >= 0.99 * baseline\n' > "$T/exp.rules"
gate_run exp "$T/exp.rules" --baseline "$T/export.json" -- env PARSE_PASSES=50 "$BENCH"
chk "export JSON works as a single-run baseline" "rc $RC: $(cat "$T/exp.out" "$T/exp.err" | tr '\n' '|')" \
    sh -c "[ $RC -eq 0 ] && grep -q 'test not made' '$T/exp.out'"

# --- --runs with a baseline: a 3x slowdown is caught, the unchanged workload passes.
# vary.sh COUNTER SCALE: run k of a gate (k read from and counted in the
# file COUNTER) is the writer recording 100 * (1 + k % 7) durations of
# exactly (1000 + i) * SCALE ns: 7 runs have 7 different means, the same 7
# whatever the machine's load, so each verdict below is certain (3x: all 7
# runs above all 7 of the baseline, exact p = 1 / C(14, 7) = 0.000291).
cat > "$T/vary.sh" <<'S'
k=$(cat "$1" 2>/dev/null || echo 0)
echo $((k + 1)) > "$1"
exec "$3" --mode timer --iters $((100 * (1 + k % 7))) --scale "$2"
S
vary() { echo "sh $T/vary.sh $T/runs.$1 $2 $WRITER"; }
printf 'writer.timer mean < 1.5 * baseline\nwriter.timer count == 1 * baseline\n' > "$T/runs.rules"
gate_run save "$T/runs.rules" --runs 7 --save-baseline "$T/base.json" -- $(vary save 1)
chk "--save-baseline writes a baseline" "rc $RC: $(cat "$T/save.err")" \
    sh -c "[ $RC -eq 0 ] && python3 -c \"import json; d=json.load(open('$T/base.json')); assert d['runs']==7\""
gate_run same "$T/runs.rules" --runs 7 --baseline "$T/base.json" -- $(vary same 1)
chk "unchanged workload passes against its baseline" "rc $RC: $(grep 'writer.timer' "$T/same.out" | tr '\n' '|')" \
    sh -c "[ $RC -eq 0 ] && [ \$(grep -c ' PASS ' '$T/same.out') -eq 2 ] && grep 'writer.timer mean' '$T/same.out' | grep -q '+0.0% vs baseline'"
gate_run slow3 "$T/runs.rules" --runs 7 --baseline "$T/base.json" -- $(vary slow3 3)
chk "3x slowdown is caught with a p-value" "rc $RC: $(grep 'writer.timer' "$T/slow3.out" | tr '\n' '|')" \
    sh -c "[ $RC -eq 1 ] && grep 'writer.timer mean' '$T/slow3.out' | grep FAIL | grep -q '+200.0% .*p=0.000291' && grep 'writer.timer count' '$T/slow3.out' | grep -q PASS"

left_after=$(bench_left)
new_left=$(printf '%s\n' "$left_after" | grep -vxF -e "$left_before" -e '' | tr '\n' ' ')
[ -z "$left_before" ] && new_left=$(printf '%s' "$left_after" | tr '\n' ' ')
chk "gate leaves no bench_parse segment behind" "left by this run: $new_left" [ -z "$new_left" ]
# --- mistakes in the rules are rules errors (exit 2), not failed checks
printf 'writer.timer  count  == 100\nwriter.timer  p95  <  5\n' > "$T/nounit.rules"
gate_run nounit "$T/nounit.rules" -- "$WRITER" --mode timer --iters 100
chk "timer limit without a unit: exit 2 naming the line" "rc $RC: $(cat "$T/nounit.err")" \
    sh -c "[ $RC -eq 2 ] && grep -q 'nounit.rules: line 2: limit .5. has no unit' '$T/nounit.err' && ! grep -q FAIL '$T/nounit.out'"
printf 'writer.bytes  mean  <  5ms\n' > "$T/msbytes.rules"
gate_run msbytes "$T/msbytes.rules" -- "$WRITER" --mode mixed --threads 1 --iters 100
chk "ms on a bytes series: exit 2" "rc $RC: $(cat "$T/msbytes.err")" \
    sh -c "[ $RC -eq 2 ] && grep -q 'line 1: limit .5ms. is a duration but mean of .writer.bytes. is a byte size' '$T/msbytes.err'"
# gauges are signed: so may their limits be
printf 'writer.gauge  value  ==  -100\nwriter.gauge  value  >  -101\nwriter.gauge  value  <  -1k\n' > "$T/neg.rules"
gate_run neg "$T/neg.rules" -- "$WRITER" --mode mixed --threads 1 --iters 100
chk "negative limits on a gauge are judged" "rc $RC: $(cat "$T/neg.out" "$T/neg.err" | tr '\n' '|')" \
    sh -c "[ $RC -eq 1 ] && grep -q 'gate: 2 passed, 1 failed' '$T/neg.out'"

# --- output files are checked before CMD runs: a bad path costs no run
for opt in --junit --json --save-baseline; do
    rm -f "$T/ran"
    gate_run badout "$T/pass.rules" "$opt" "$T/no/such/dir/out" -- sh -c "touch '$T/ran'"
    chk "$opt into a missing directory: exit 2 before CMD runs" "rc $RC: $(cat "$T/badout.err")" \
        sh -c "[ $RC -eq 2 ] && [ ! -e '$T/ran' ] && [ \$(wc -l < '$T/badout.err') -eq 1 ] && grep -q 'no/such/dir/out' '$T/badout.err'"
done
mkdir -p "$T/isdir"
gate_run dirout "$T/pass.rules" --json="$T/isdir" -- sh -c "touch '$T/ran'"
chk "--json onto a directory: exit 2 before CMD runs" "rc $RC: $(cat "$T/dirout.err")" \
    sh -c "[ $RC -eq 2 ] && [ ! -e '$T/ran' ] && grep -q 'Is a directory' '$T/dirout.err' && [ -z \"\$(ls '$T/isdir')\" ]"
# --opt=value and --opt value are the same gate
gate_run eq1 "$T/pass.rules" --runs=2 --json="$T/eq1.json" -- "$WRITER" --mode timer --iters 1000 --errors-every 10
rc1=$RC
gate_run eq2 "$T/pass.rules" --runs 2 --json "$T/eq2.json" -- "$WRITER" --mode timer --iters 1000 --errors-every 10
chk "--runs=2 --json=F and --runs 2 --json F agree" "$(cat "$T/eq1.err" "$T/eq2.err")" \
    sh -c "[ $rc1$RC = 00 ] && grep -q 'gate: 8 passed, 0 failed' '$T/eq1.out' && grep -q 'gate: 8 passed, 0 failed' '$T/eq2.out' &&
           [ \"\$(jq -c '[.runs, [.rules[].verdict]]' '$T/eq1.json')\" = \"\$(jq -c '[.runs, [.rules[].verdict]]' '$T/eq2.json')\" ]"

# --- a segment another user planted at the child's pid is never judged:
# forged segments (requests.total = 1000), owned by nobody, at every pid the
# next children may get, in a directory only the gate reads (the child itself
# records into /dev/shm, which the gate then does not see: it must say the
# child left no segment of its own, exit 2, instead of judging the plant)
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$T/plant"
    "$FORGE" --dir "$T" --pid 1 > /dev/null 2>&1
    # one process writes every copy (a process per pid would use up the pids):
    # header pid at offset 32 set to the name's, owner nobody
    python3 - "$T/perfmon.1" "$T/plant" << 'PY'
import os, struct, sys
tpl = open(sys.argv[1], "rb").read()
last = int(open("/proc/sys/kernel/ns_last_pid").read())
for p in range(last + 1, last + 400):
    path = os.path.join(sys.argv[2], "perfmon.%d" % p)
    with open(path, "wb") as f:
        f.write(tpl[:32] + struct.pack("<I", p) + tpl[36:])
    os.chmod(path, 0o600)
    os.chown(path, 65534, 65534)
PY
    echo "requests.total value >= 1000" > "$T/plant.rules"
    PERFMON_SHM_DIR="$T/plant" $G "$T/plant.rules" -- "$WRITER" --mode count --iters 10 > "$T/plant.out" 2> "$T/plant.err"
    RC=$?
    chk "planted segment at the child's pid is not judged" "rc $RC: $(cat "$T/plant.out" "$T/plant.err" | head -5 | tr '\n' '|')" \
        sh -c "[ $RC -eq 2 ] && grep -q 'left no readable segment' '$T/plant.err' && ! grep -q PASS '$T/plant.out'"
    rm -rf "$T/plant"
    cpid=$(sed -n "s/.*(pid \([0-9]*\)).*/\1/p" "$T/plant.err" | head -n 1)
    [ -n "$cpid" ] && rm -f "/dev/shm/perfmon.$cpid"   # the child's own, unseen
else
    t_skip "planted segment at the child's pid is not judged" "needs root (chown)"
fi
t_done
