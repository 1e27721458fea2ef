#!/bin/sh
# e2e_formats.sh - one shape of a series in every JSON and CSV (export,
# watch), and no byte from a segment reaching a terminal or a file as it
# is: C1 controls, bidi overrides, DEL and invalid UTF-8 in label values
# are escaped, spreadsheet formulas neutralised, and JSON stays valid.
. "$(dirname "$0")/lib.sh"

# raw bytes no output may hold: ESC, DEL, C1 CSI (raw and as UTF-8), RLO
dangerous() { # FILE: prints what it found
    python3 - "$1" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
found = [name for name, seq in (("ESC", b"\x1b"), ("DEL", b"\x7f"), ("C1-CSI", b"\xc2\x9b"),
                                ("RLO", b"\xe2\x80\xae"), ("invalid-utf8", None)) if
         (seq is not None and seq in b)]
try:
    b.decode("utf-8")
except UnicodeDecodeError:
    found.append("invalid-utf8")
print(" ".join(found))
PY
}

start_writer --mode hostile --iters 5 --then wait
if [ -z "$WPID" ]; then
    t_fail hostile_writer_started "$(cat "$T/writer.err")"
    t_done
fi
for out in "export:json" "export:csv" "watch:json" "watch:csv" "stats:" "list:"; do
    cmd=${out%%:*} fmt=${out#*:}
    case $cmd in
        export) timeout 30 "$VIEW" export "$WPID" --format "$fmt" > "$T/o" 2> "$T/e" ;;
        watch) timeout 30 "$VIEW" watch "$WPID" -i 0.2 -n 1 --format "$fmt" > "$T/o" 2> "$T/e" ;;
        stats) timeout 30 "$VIEW" stats "$WPID" > "$T/o" 2> "$T/e" ;;
        list) timeout 30 "$VIEW" list > "$T/o" 2> "$T/e" ;;
    esac
    rc=$?
    cp "$T/o" "$T/$cmd.$fmt"
    d=$(dangerous "$T/o")
    t_check "hostile_${cmd}_${fmt:-text}_escaped" "rc=$rc found: $d; $(head -c 300 "$T/e")" '[ $rc = 0 ] && [ -z "$d" ]'
done

# JSON keeps the values: a parser gets the label values back (invalid
# bytes as U+FFFD), whatever the escaping
got=$(python3 - "$T/export.json" "$T/watch.json" <<'PY' 2>&1
import json, sys
want = sorted(["\ufffd31mred", "\x9b2Jclear", "evil\u202egnp.exe", "del\x7fbad\ufffdbyte",
               "=HYPERLINK(\"http://x\")", "caf\u00e9 \u2713"])
e = json.load(open(sys.argv[1]))
w = [json.loads(l) for l in open(sys.argv[2])]
for series in (e["series"], w[0]["series"]):
    vals = sorted(s["labels"]["v"] for s in series if s["name"] == "writer.hostile")
    assert vals == want, vals
print("ok")
PY
)
t_check hostile_json_round_trips "$got" '[ "$got" = ok ]'

# CSV: RFC 4180 parses; the formula is led by a quote; the rest as shown
got=$(python3 - "$T/export.csv" "$T/watch.csv" <<'PY' 2>&1
import csv, sys
for path in sys.argv[1:]:
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    labels = sorted(r["labels"] for r in rows if r["name"] == "writer.hostile")
    assert len(labels) == 6, labels
    assert 'v="caf\u00e9 \u2713"' in labels, labels
    assert not any(l[:1] in "=+-@" for r in rows for l in r.values() if l), "a formula cell"
    f = [l for l in labels if "HYPERLINK" in l]
    assert f == ['v="=HYPERLINK(\\"http://x\\")"'], f
print("ok")
PY
)
t_check hostile_csv_parses "$got" '[ "$got" = ok ]'
stop_writer "$WPID"

# ---- one schema: export's series are watch's, plus the window's fields
start_writer --threads 2 --iters 2000 --mode mixed --then wait
timeout 30 "$VIEW" export "$WPID" > "$T/m.json" 2> "$T/e"
timeout 30 "$VIEW" watch "$WPID" -i 0.2 -n 1 --format json > "$T/mw.json" 2>> "$T/e"
timeout 30 "$VIEW" export "$WPID" --format csv > "$T/m.csv" 2>> "$T/e"
timeout 30 "$VIEW" watch "$WPID" -i 0.2 -n 1 > "$T/mw.csv" 2>> "$T/e"
got=$(python3 - "$T/m.json" "$T/mw.json" "$T/m.csv" "$T/mw.csv" <<'PY' 2>&1
import csv, json, sys, time
e = json.load(open(sys.argv[1]))
w = json.loads(open(sys.argv[2]).readline())
assert abs(e["time"] - time.time()) < 60, e["time"]
window = {"window_s", "rate", "error_pct", "slow_pct", "total", "reset"}
es = {s["full_name"]: s for s in e["series"]}
ws = {s["full_name"]: s for s in w["series"]}
assert set(es) == set(ws) and len(es) >= 5, (sorted(es), sorted(ws))
for n, s in es.items():
    x = ws[n]
    assert s["name"] == x["name"] and s["labels"] == x["labels"] and "{" not in s["name"], (s, x)
    extra = set(x) - set(s) - {"buckets"}
    want = window | ({"count"} if s["kind"] == "counter" else set())
    assert extra == want, (n, extra)
    assert set(s) - set(x) <= {"buckets"}, (n, set(s) - set(x))
    if s["kind"] in ("timer", "distribution"):
        b = s["buckets"]
        assert sum(c for lo, hi, c in b) == s["count"], (n, s["count"])
        assert all(lo < hi for lo, hi, c in b) and b == sorted(b), n
        # p50 from the buckets alone: the bucket holding rank ceil(count/2)
        rank, acc = (s["count"] + 1) // 2, 0
        for lo, hi, c in b:
            acc += c
            if acc >= rank:
                break
        assert lo * 0.99 <= s["p50"] <= hi * 1.01, (n, lo, hi, s["p50"])
eh = open(sys.argv[3]).readline().strip()
wh = open(sys.argv[4]).readline().strip()
assert wh == "time,pid," + eh + ",window_s,rate,error_pct,slow_pct,total,reset", (eh, wh)
print("ok")
PY
)
t_check one_series_schema "$got $(head -c 300 "$T/e")" '[ "$got" = ok ]'
stop_writer "$WPID"
t_done
