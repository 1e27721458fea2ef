#!/bin/sh
# e2e_reset.sh - the program's pm_reset() as every reader sees it: export
# and stats show the figures since the reset (exact counts, the new
# phase's percentiles, min and max within a bucket); `record` counts the
# reset in samples.reset and keeps every record across it, also when the
# recorder was killed and started again between two resets.
. "$(dirname "$0")/lib.sh"
PHASES=${PHASES:-tests/bin/phases}
DB="$T/r.db"

q() { # SQL...: one query, rows as tab-separated lines
    python3 - "$DB" "$@" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
for row in c.execute(sys.argv[2], sys.argv[3:]):
    print("\t".join("" if v is None else str(v) for v in row))
PY
}
recorded() { # COUNTER PID: the history's sum of its rows, and of their resets
    q "SELECT COALESCE(SUM(x.count), 0), COALESCE(SUM(x.reset), 0) FROM samples x JOIN series s ON s.id = x.series
       JOIN runs r ON r.id = s.run WHERE x.step = 0 AND s.name = ? AND r.pid = ?" "$1" "$2" | tr '\t' ' '
}
wait_recorded() { # COUNTER PID "N RESETS": until the history holds that (30 s at most)
    i=0
    while [ $i -lt 300 ] && [ "$(recorded "$1" "$2" 2>/dev/null)" != "$3" ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(recorded "$1" "$2" 2>/dev/null)" = "$3" ]
}
wait_line() { # TEXT: until the workload printed that line
    i=0
    while [ $i -lt 600 ] && ! grep -qx "$1" "$OUT"; do sleep 0.1; i=$((i + 1)); done
    grep -qx "$1" "$OUT"
}

N=3000
PHASES_RESET=1 bg_start phases "$PHASES" $N 10 500
P=$BG_PID
OUT=$BG_OUT
if [ -z "$P" ]; then t_fail phases_started "$(cat "$T/phases.err")"; t_done; fi
"$VIEW" record "$P" --db "$DB" -i 0.2 -q 2> "$T/rec1.err" &
R=$!
writers="$writers $R"
t_check phase1_recorded "$(recorded job.count "$P"): $(cat "$T/rec1.err")" 'wait_recorded job.count "$P" "$N 0"'

# ---- record with a selector keeps only what it picks
"$VIEW" record "$P" 'job.c*' --db "$T/sel.db" -i 0.05 -n 3 -q 2> "$T/sel.err"
rc=$?
got=$(DB="$T/sel.db"; python3 -c 'import sqlite3,sys; print(",".join(r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT name FROM series ORDER BY name")))' "$T/sel.db" 2>&1)
t_check record_with_selector "rc=$rc series '$got': $(cat "$T/sel.err")" '[ $rc = 0 ] && [ "$got" = job.count ]'
"$VIEW" record "$P" 'job.{' --db "$T/sel.db" -n 1 -q 2> "$T/sel2.err"
rc=$?
t_check record_bad_selector_is_usage "rc=$rc $(cat "$T/sel2.err")" '[ $rc = 2 ] && [ "$(wc -l < "$T/sel2.err")" = 1 ]'

# ---- the slow phase after a reset
kill -USR1 "$P"
t_check reset_returned_ok "$(cat "$OUT")" 'wait_line "reset 2 ok" && wait_line "phase 2 done"'
"$VIEW" export "$P" job.count job.latency > "$T/e2.json" 2> "$T/e2.err"
got=$(jq -r '[.series[] | select(.name == "job.count") | .value, .resets] | @tsv' "$T/e2.json" 2>/dev/null)
t_check counter_since_reset "got '$got': $(cat "$T/e2.err")" '[ "$got" = "$(printf "%s\t1" $N)" ]'
# the slow phase alone: (1 + k/1000) x 10 ms, every 10th failed
got=$(jq -r '.series[] | select(.name == "job.latency") | [.count, .errors, .mean, .p50, .p99, .min, .max, .resets] | @tsv' "$T/e2.json" 2>/dev/null)
t_check timer_since_reset "got '$got'" \
    "echo \"\$got\" | awk -F'\t' -v n=$N '{ exit !(\$1 == n && \$2 == n / 10 && \$3 == 14995000 &&
      \$4 > 1.499e7*0.99 && \$4 < 1.499e7*1.01 && \$5 > 1.989e7*0.99 && \$5 < 1.989e7*1.01 &&
      \$6 >= 1e7*(1-1/64) && \$6 <= 1e7 && \$7 >= 1.999e7 && \$7 <= 1.999e7*(1+1/64) && \$8 == 1) }'"
# the all-time min (1 ms, phase 1) is not the since-reset one: min is the lower edge of its bucket
"$VIEW" stats "$P" job.count job.latency > "$T/s2.txt" 2> "$T/s2.err"
t_check stats_since_reset "$(cat "$T/s2.txt" "$T/s2.err")" \
    'grep -q "^job.count  *counter  *3.00k " "$T/s2.txt" && grep -q "^job.latency  *timer  *3.00k  *300 (10.0%)" "$T/s2.txt"'
t_check record_sees_reset_exactly "history holds '$(recorded job.count "$P")' (records, resets)" \
    'wait_recorded job.count "$P" "$((2 * N)) 1" && wait_recorded job.latency "$P" "$((2 * N)) 1"'

# ---- the recorder killed and started again, then another reset
kill -KILL $R
wait $R 2>/dev/null
"$VIEW" record "$P" --db "$DB" -i 0.2 -q 2> "$T/rec2.err" &
R=$!
writers="$writers $R"
kill -USR1 "$P"
t_check restarted_recorder_counts_one_more_reset "history holds '$(recorded job.count "$P")': $(cat "$T/rec2.err")" \
    'wait_line "phase 3 done" && wait_recorded job.count "$P" "$((3 * N)) 2" && wait_recorded job.latency "$P" "$((3 * N)) 2"'
# a window of the history across both resets: every record, the slow phase's errors
timeout 30 "$VIEW" export --db "$DB" --pid "$P" --since 1h job.latency > "$T/all.json" 2> "$T/all.err"
got=$(jq -r '.series[0] | [.count, .errors] | @tsv' "$T/all.json" 2>/dev/null)
t_check history_window_across_resets "got '$got': $(cat "$T/all.err")" '[ "$got" = "$(printf "%s\t%s" $((3 * N)) $((N / 10)))" ]'
kill -TERM "$P"
i=0
while [ $i -lt 300 ] && kill -0 $R 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
wait $R
t_done
