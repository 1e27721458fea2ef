#!/bin/sh
# e2e_history.sh - `perfmon-view record` into SQLite and the past read
# back: a workload in phases (fast, slow, fast) gives exact counts and the
# right percentiles in each phase's window (stats, export, history); the
# recorder killed with SIGKILL leaves a database that opens and holds every
# completed interval, and one started again continues the run without
# losing or doubling a record; --name follows processes that start later
# and records their final sample; bad input is one line and exit 2.
. "$(dirname "$0")/lib.sh"
PHASES=${PHASES:-tests/bin/phases}
DB="$T/h.db"

q() { # SQL...: one query against the database, rows as tab-separated lines
    python3 - "$DB" "$@" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
for row in c.execute(sys.argv[2], sys.argv[3:]):
    print("\t".join("" if v is None else str(v) for v in row))
PY
}
# recorded COUNTER PID: what the history holds of a counter of that pid
recorded() {
    q "SELECT COALESCE(SUM(x.count), 0) FROM samples x JOIN series s ON s.id = x.series JOIN runs r ON r.id = s.run
       WHERE x.step = 0 AND s.name = ? AND r.pid = ?" "$1" "$2"
}
# wait_recorded COUNTER PID N: until the history holds N (30 s at most)
wait_recorded() {
    i=0
    while [ $i -lt 300 ] && [ "$(recorded "$1" "$2" 2>/dev/null)" != "$3" ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(recorded "$1" "$2" 2>/dev/null)" = "$3" ]
}
# boundary PID: when the history last saw job.count change: the end of its
# newest row, a sample's time (ns); the next phase's rows start there or later
boundary() {
    q "SELECT MAX(x.t_ns + x.len_ns) FROM samples x JOIN series s ON s.id = x.series JOIN runs r ON r.id = s.run
       WHERE x.step = 0 AND s.name = 'job.count' AND r.pid = ?" "$1"
}
at() { echo "@$(($1 / 1000000000)).$(printf %09d $(($1 % 1000000000)))"; }

N=3000
bg_start phases "$PHASES" $N 10 1000   # each phase over a second or more: several intervals
P=$BG_PID
if [ -z "$P" ]; then t_fail phases_started "$(cat "$T/phases.err")"; t_done; fi
"$VIEW" record "$P" --db "$DB" -i 0.2 -q > "$T/rec1.out" 2> "$T/rec1.err" &
R=$!
writers="$writers $R"
t_check phase1_recorded "history holds $(recorded job.count "$P") of $N: $(cat "$T/rec1.err")" 'wait_recorded job.count "$P" $N'
B1=$(boundary "$P")

# ---- SIGKILL between samples or in one: a database that opens, every completed interval in it
kill -KILL $R
wait $R 2>/dev/null
ok=$(q "PRAGMA integrity_check")
n=$(recorded job.count "$P")
t_check killed_recorder_db_intact "integrity '$ok', recorded $n" '[ "$ok" = ok ] && [ "$n" = $N ]'

# ---- started again: the same run, continued
"$VIEW" record "$P" --db "$DB" -i 0.2 -q > "$T/rec2.out" 2> "$T/rec2.err" &
R=$!
writers="$writers $R"
kill -USR1 "$P"
t_check phase2_recorded "history holds $(recorded job.count "$P") of $((2 * N)): $(cat "$T/rec2.err")" 'wait_recorded job.count "$P" $((2 * N))'
B2=$(boundary "$P")
kill -USR1 "$P"
t_check phase3_recorded "history holds $(recorded job.count "$P") of $((3 * N))" 'wait_recorded job.count "$P" $((3 * N))'
# the target exits: the recorder takes its final sample and stops by itself
kill -TERM "$P"
i=0
while [ $i -lt 300 ] && kill -0 $R 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
wait $R
rc=$?
runs=$(q "SELECT COUNT(*), MAX(state) FROM runs WHERE pid = ?" "$P")
t_check recorder_stops_at_target_exit "rc=$rc runs '$runs': $(cat "$T/rec2.err")" '[ $rc = 0 ] && [ "$runs" = "$(printf "1\texited")" ]'
t_check restart_continues_exactly "recorded $(recorded job.count "$P"), $(recorded job.latency "$P") timer records" \
    '[ "$(recorded job.count "$P")" = $((3 * N)) ] && [ "$(recorded job.latency "$P")" = $((3 * N)) ]'

# ---- each phase's window: exact counts, the phase's percentiles
# values (1 + k/1000) ms for k = 0..999, each N/1000 times: p50 1.499 ms,
# p95 1.949 ms, p99 1.989 ms (rank ceil(q * N)); the slow phase x 10
phase() { # NAME FROM TO SCALE ERRORS
    timeout 30 "$VIEW" export --db "$DB" --pid "$P" --from "$2" --to "$3" job.latency > "$T/$1.json" 2> "$T/$1.err"
    got=$(jq -r '.series[0] | [.count, .errors, .mean, .p50, .p95, .p99] | @tsv' "$T/$1.json" 2>/dev/null)
    t_check "${1}_window_exact" "got '$got': $(head -c 300 "$T/$1.err")" \
        "echo \"\$got\" | awk -F'\t' -v s=$4 -v n=$N -v e=$5 '{ exit !(\$1 == n && \$2 == e && \$3 == 1499500 * s &&
          \$4 > 1.499e6*s*0.99 && \$4 < 1.499e6*s*1.01 && \$5 > 1.949e6*s*0.99 && \$5 < 1.949e6*s*1.01 &&
          \$6 > 1.989e6*s*0.99 && \$6 < 1.989e6*s*1.01) }'"
}
phase fast1 @0 "$(at "$B1")" 1 0
phase slow "$(at "$B1")" "$(at "$B2")" 10 $((N / 10))
phase fast2 "$(at "$B2")" now 1 0
# the whole run at once: every record, the slow phase's errors
timeout 30 "$VIEW" stats --db "$DB" --pid "$P" --since 1h job.count job.latency > "$T/all.txt" 2> "$T/all.err"
rc=$?
t_check stats_since_whole_run "rc=$rc $(cat "$T/all.txt" "$T/all.err")" \
    '[ $rc = 0 ] && grep -q "^job.count  *counter  *9.00k " "$T/all.txt" && grep -q "^job.latency  *timer  *9.00k  *300 (3.3%)" "$T/all.txt" && head -n 1 "$T/all.txt" | grep -q "phases (pid $P, 1 run)"'
# top's table reads the same window
COLUMNS=200 timeout 30 "$VIEW" top --db "$DB" --pid "$P" --since 1h job.latency > "$T/top.txt" 2> "$T/top.err"
rc=$?
t_check top_db_table "rc=$rc $(cat "$T/top.txt" "$T/top.err")" \
    '[ $rc = 0 ] && grep -q "^phases pid $P  1 run .* figures of the window" "$T/top.txt" && grep -q "^job.latency  *[0-9.]*  *9.00k  *3.3%" "$T/top.txt"'
# history: per-second steps add up to the run, the slow phase's p95 shows
# (a step may hold part of a phase: its p95 is between the phases')
timeout 30 "$VIEW" history job.latency --db "$DB" --pid "$P" --since 1h --step 1s --stat count --stat p95 > "$T/h.csv" 2> "$T/h.err"
rc=$?
got=$(awk -F, 'NR > 1 { n += $4; if ($5 != "" && $5 > m) m = $5 } END { print n, m }' "$T/h.csv")
t_check history_steps_add_up "rc=$rc got '$got' (count, highest p95): $(head -c 300 "$T/h.err")" \
    '[ $rc = 0 ] && echo "$got" | awk "{ exit !(\$1 == 3 * $N && \$2 > 1.5e7 && \$2 < 1.999e7 * 1.01) }"'

# ---- compare: the slow phase against the fast one
timeout 30 "$VIEW" compare "$(at "$B1")..$(at "$B2")" "@0..$(at "$B1")" job.latency --db "$DB" --pid "$P" -f json > "$T/c.json" 2> "$T/c.err"
rc=$?
got=$(jq -r '.series[0] | [.direction, .significant, .tested, .change_pct.p95, .intervals[0], .intervals[1]] | @tsv' "$T/c.json" 2>/dev/null)
t_check compare_fast_to_slow "rc=$rc got '$got': $(head -c 300 "$T/c.err")" \
    '[ $rc = 0 ] && echo "$got" | awk -F"\t" "{ exit !(\$1 == \"improving\" && \$2 == \"true\" && \$3 == \"true\" && \$4 < -88 && \$4 > -92 && \$5 >= 2 && \$6 >= 2) }"'
timeout 30 "$VIEW" compare "@0..$(at "$B1")" "$(at "$B1")..$(at "$B2")" job.latency --db "$DB" --pid "$P" --fail-on 'p95 +10%' > "$T/c.txt" 2> "$T/c.err"
rc=$?
t_check compare_degrading_fails_gate "rc=$rc: $(cat "$T/c.txt" "$T/c.err")" \
    '[ $rc = 1 ] && grep -q "^job.latency  *count .*degrading (p=" "$T/c.txt" && grep -q "FAILS p95 +10%" "$T/c.txt" && grep -Eq "^ *p95  *1.9[45]ms  *19.[45]ms  *\+(899|900)\.[0-9]%" "$T/c.txt"'
timeout 30 "$VIEW" compare "@0..$(at "$B1")" "$(at "$B2")..now" job.latency --db "$DB" --pid "$P" --fail-on 'p95 +10%' -f markdown > "$T/c.md" 2> "$T/c.err"
rc=$?
t_check compare_same_phases_stable "rc=$rc: $(cat "$T/c.md" "$T/c.err")" '[ $rc = 0 ] && grep -q "| job.latency | count | .*| stable " "$T/c.md"'
# an export file on one side, a window on the other: no test, the size decides
timeout 30 "$VIEW" compare "$T/fast1.json" "$T/slow.json" > "$T/c2.txt" 2> "$T/c2.err"
rc=$?
t_check compare_exports "rc=$rc: $(cat "$T/c2.txt" "$T/c2.err")" '[ $rc = 0 ] && grep -q "degrading (no test" "$T/c2.txt"'

# ---- --name: a process that starts later, recorded to its final sample
"$VIEW" record --name phases --db "$DB" -i 0.2 -q > "$T/rec3.out" 2> "$T/rec3.err" &
R=$!
writers="$writers $R"
bg_start phases2 "$PHASES" 100
P2=$BG_PID
# each phase once the recorder has it (a process that ends before the
# recorder's next look leaves nothing to read: its segment goes at exit)
seen=0
for k in 1 2 3; do
    wait_recorded job.count "$P2" $((k * 100)) && seen=$((seen + 1))
    [ $k = 3 ] && kill -TERM "$P2" || kill -USR1 "$P2"
done
wait "$P2" 2>/dev/null
t_check name_follows_new_process "phases seen $seen of 3, history holds $(recorded job.count "$P2") of 300: $(cat "$T/rec3.err")" \
    '[ $seen = 3 ] && wait_recorded job.count "$P2" 300'
i=0   # its final sample: the recorder saw it exit
while [ $i -lt 300 ] && [ "$(q "SELECT state FROM runs WHERE pid = ?" "$P2")" != exited ]; do sleep 0.1; i=$((i + 1)); done
st=$(q "SELECT state FROM runs WHERE pid = ?" "$P2")
kill -TERM $R
wait $R
rc=$?
t_check name_final_state "rc=$rc state '$st'" '[ $rc = 0 ] && [ "$st" = exited ]'

# ---- bad input: one line, exit 2
printf 'not a database at all, just text\n%.0s' 1 2 3 > "$T/junk.db"
for c in "stats --db $T/junk.db --since 1h" "stats --db $T/none.db --since 1h" "stats --since 1h" \
         "stats --db $DB --from 2h --to 3h" "history --db $DB" "history x --db $DB --stat p42" \
         "record" "record --retention 1h,5m $P" "record --db $DB --retention 1h,7m:1d,1h:30d 1" \
         "stats --db $DB --from yesterday-ish"; do
    # shellcheck disable=SC2086
    timeout 30 "$VIEW" $c > "$T/bad.out" 2> "$T/bad.err"
    rc=$?
    t_check "bad_input: $c" "rc=$rc: $(cat "$T/bad.err")" '[ $rc = 2 ] && [ "$(wc -l < "$T/bad.err")" = 1 ]'
done
t_done
