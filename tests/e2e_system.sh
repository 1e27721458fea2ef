#!/bin/sh
# e2e_system.sh - the machine's figures (read/system.h) end to end: gate
# rules on system.* that hold, fail, and fail as "not available" (no GPU
# here); the same with the fake NVML library (tests/tools/fake_nvml.c) for
# a GPU that is there; `record` storing the figures in system_figures; a
# schema-1 database gaining the table with its old `system` rows moved in.
. "$(dirname "$0")/lib.sh"
TEST_BIN=${TEST_BIN:-tests/bin}
FAKE_NVML="$TEST_BIN/libfake_nvml.so"
case $FAKE_NVML in /*) ;; *) FAKE_NVML="$PWD/$FAKE_NVML" ;; esac

# --- gate: a passing and a failing rule, and a GPU that is not there
cat > "$T/rules" <<'EOF'
writer.count               count  >= 1
system.mem.total           value  > 1MB
system.mem.usage                  < 100%
system.disk.usage{mount="/"}      <= 100%
system.load1                      >= 0
system.net.rx_bytes               >= 0B/s
system.mem.available              < 1B
system.gpu.usage{gpu="0"}         < 90%
EOF
PMV_NVML_LIB=/nonexistent/libnvidia-ml.so.1 "$VIEW" gate "$T/rules" -- "$WRITER" --iters 100 \
    > "$T/gate.out" 2> "$T/gate.err"
rc=$?
row() { grep "^ *$1 " "$T/gate.out"; }
t_check gate_fails_on_the_failing_rule "rc=$rc: $(cat "$T/gate.out" "$T/gate.err")" '[ $rc = 1 ]'
t_check gate_system_rules_hold "$(cat "$T/gate.out")" \
    'for l in 2 3 4 5 6; do row $l | grep -q " PASS " || exit 1; done'
t_check gate_system_rule_fails "$(row 7)" 'row 7 | grep -q "FAIL .*system.mem.available is .*, not < 1B"'
t_check gate_gpu_not_available "$(row 8)" \
    'row 8 | grep -q "FAIL .*system.gpu.usage{gpu=\"0\"}. is not available on this machine"'
t_check gate_tally "$(tail -n 1 "$T/gate.out")" 'tail -n 1 "$T/gate.out" | grep -q "6 passed, 2 failed"'

# --- gate: a GPU through the fake NVML library
if [ -f "$FAKE_NVML" ]; then
    printf '%s\n' 'system.gpu.usage{gpu="0"} == 45%' 'system.gpu.power > 200W' 'system.gpu.mem.usage < 80%' \
        'system.gpu.temperature{gpu="1"} < 90C' > "$T/gpu.rules"
    PMV_NVML_LIB="$FAKE_NVML" "$VIEW" gate "$T/gpu.rules" -- "$WRITER" --iters 10 > "$T/gpu.out" 2> "$T/gpu.err"
    rc=$?
    # gpu 0 + 1 draw 120.5 + 250 W; the largest memory share is 75%; gpu 1 has no sensor
    t_check gate_fake_gpu "rc=$rc: $(cat "$T/gpu.out" "$T/gpu.err")" \
        '[ $rc = 1 ] && grep -q "3 passed, 1 failed" "$T/gpu.out" &&
         grep "temperature" "$T/gpu.out" | grep -q "could not be measured"'
else
    t_skip gate_fake_gpu "$FAKE_NVML not built"
fi

# --- gate: a bad system rule is a usage error naming its line
printf 'system.cpu.usage p95 < 5%%\n' > "$T/bad.rules"
"$VIEW" gate "$T/bad.rules" -- "$WRITER" --iters 1 > /dev/null 2> "$T/bad.err"
rc=$?
t_check gate_bad_system_rule "rc=$rc: $(cat "$T/bad.err")" '[ $rc = 2 ] && grep -q "line 1: .* its statistic is .value." "$T/bad.err"'

# --- record: the figures, one row per figure and interval
if ! command -v sqlite3 > /dev/null 2>&1; then
    t_skip record_system_figures "no sqlite3 command"
    t_done
fi
start_writer --iters 1000000000 --sleep-ms 1 --then wait
DB="$T/h.db"
timeout 60 "$VIEW" record "$WPID" --db "$DB" -i 0.1 -n 4 -q > "$T/rec.out" 2> "$T/rec.err"
rc=$?
q() { sqlite3 "$DB" "$1" 2>&1; }
cpu=$(q "SELECT COUNT(*) FROM system_figures f JOIN system_names n ON n.id = f.figure
         WHERE n.name = 'system.cpu.usage' AND f.step = 0 AND f.value BETWEEN 0 AND 100")
mem=$(q "SELECT COUNT(*) FROM system_figures f JOIN system_names n ON n.id = f.figure
         WHERE n.name = 'system.mem.total' AND n.unit = 'bytes' AND f.value > 0")
t_check record_system_figures "rc=$rc cpu rows '$cpu' mem rows '$mem': $(cat "$T/rec.err")" \
    '[ $rc = 0 ] && [ "$cpu" = 3 ] && [ "$mem" = 3 ]'
t_check record_schema_version "$(q 'PRAGMA user_version')" '[ "$(q "PRAGMA user_version")" = 2 ]'

# --- retention: old rows roll up into minutes (the average) and go
now=$(date +%s)
base=$(( (now / 60 - 10) * 60 ))   # a whole minute, 10 minutes ago
# (watermarks cleared: as if no recorder had applied the retention yet)
q "DELETE FROM meta WHERE key LIKE 'rolled_%' OR key LIKE 'kept_from_%';
   INSERT INTO system_names (host, name, unit) VALUES ('old', 'system.load1', '');
   WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 119)
   INSERT INTO system_figures SELECT (SELECT id FROM system_names WHERE host = 'old'), 0,
     ($base + i) * 1000000000, 1000000000, i / 60 FROM s;" > /dev/null
timeout 60 "$VIEW" record "$WPID" --db "$DB" -i 0.1 -n 1 -q --retention 2m,1m:1h 2> "$T/ret.err"
rolled=$(q "SELECT group_concat(f.value, ' ') FROM system_figures f JOIN system_names n ON n.id = f.figure
            WHERE n.host = 'old' AND f.step = 60 ORDER BY f.t_ns")
raw=$(q "SELECT COUNT(*) FROM system_figures f JOIN system_names n ON n.id = f.figure WHERE n.host = 'old' AND f.step = 0")
t_check retention_rolls_system_figures "minutes '$rolled', raw rows left '$raw': $(cat "$T/ret.err")" \
    '[ "$rolled" = "0.0 1.0" ] && [ "$raw" = 0 ]'
stop_writer "$WPID"

# --- a schema-1 database: opens, gains the tables, keeps its system rows
OLD="$T/v1.db"
sqlite3 "$OLD" "PRAGMA journal_mode = WAL;
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE runs (id INTEGER PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, start_ns INTEGER NOT NULL,
    process TEXT NOT NULL, cmdline TEXT NOT NULL, first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL,
    state TEXT NOT NULL, UNIQUE (host, pid, start_ns));
  CREATE TABLE series (id INTEGER PRIMARY KEY, run INTEGER NOT NULL, name TEXT NOT NULL,
    base TEXT NOT NULL, labels TEXT NOT NULL, kind TEXT NOT NULL, unit TEXT NOT NULL,
    last_ns INTEGER NOT NULL DEFAULT 0, cum_count INTEGER NOT NULL DEFAULT 0,
    cum_sum INTEGER NOT NULL DEFAULT 0, cum_errors INTEGER NOT NULL DEFAULT 0,
    cum_slow INTEGER NOT NULL DEFAULT 0, cum_min INTEGER, cum_max INTEGER,
    cum_gauge INTEGER, cum_buckets BLOB, UNIQUE (run, name));
  CREATE TABLE samples (series INTEGER NOT NULL, step INTEGER NOT NULL, t_ns INTEGER NOT NULL,
    len_ns INTEGER NOT NULL, count INTEGER NOT NULL, sum INTEGER NOT NULL,
    errors INTEGER NOT NULL, slow INTEGER NOT NULL, min INTEGER, max INTEGER,
    gauge INTEGER, buckets BLOB, reset INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (series, step, t_ns)) WITHOUT ROWID;
  CREATE TABLE resources (run INTEGER NOT NULL, step INTEGER NOT NULL, t_ns INTEGER NOT NULL,
    len_ns INTEGER NOT NULL, cpu_user_s REAL, cpu_sys_s REAL, rss_bytes REAL,
    hwm_bytes REAL, threads INTEGER, fds INTEGER, read_bytes REAL, write_bytes REAL,
    PRIMARY KEY (run, step, t_ns)) WITHOUT ROWID;
  INSERT INTO runs VALUES (1, 'h', 42, 5, 'old', 'old', 5, 2000, 'exited');
  INSERT INTO series (id, run, name, base, labels, kind, unit, last_ns, cum_count) VALUES (1, 1, 'c', 'c', '', 'counter', '', 2000, 7);
  INSERT INTO samples VALUES (1, 0, 1000, 1000, 7, 0, 0, 0, NULL, NULL, NULL, NULL, 0);
  CREATE TABLE system (host TEXT NOT NULL, step INTEGER NOT NULL, t_ns INTEGER NOT NULL, len_ns INTEGER NOT NULL,
    cpu_pct REAL, ncpu INTEGER, load1 REAL, mem_total_bytes REAL, mem_avail_bytes REAL,
    PRIMARY KEY (host, step, t_ns)) WITHOUT ROWID;
  INSERT INTO system VALUES ('h', 0, 1000, 1000, 12.5, 2, 0.75, 1000, 250);
  PRAGMA user_version = 1;" > /dev/null
"$VIEW" history 'x' --db "$OLD" > /dev/null 2> "$T/old.err"
got=$(q_old() { sqlite3 "$OLD" "$1"; }; q_old "SELECT group_concat(n.name || '=' || f.value, ' ') FROM
        (SELECT * FROM system_names ORDER BY name) n JOIN system_figures f ON f.figure = n.id")
t_check schema_1_upgraded "version $(sqlite3 "$OLD" 'PRAGMA user_version'), figures '$got': $(cat "$T/old.err")" \
    '[ "$(sqlite3 "$OLD" "PRAGMA user_version")" = 2 ] &&
     [ "$got" = "system.cpu.usage=12.5 system.load1=0.75 system.mem.available=250.0 system.mem.total=1000.0 system.mem.usage=75.0" ] &&
     [ "$(sqlite3 "$OLD" "SELECT cum_count, cum_resets FROM series")" = "7|0" ]'
t_done
