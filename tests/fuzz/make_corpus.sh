#!/bin/sh
# make_corpus.sh FORGE - regenerates tests/fuzz/corpus/segment: the forge's
# valid segment and every kind of damage it makes, with tiny capacities
# (9 series, 3 thread slots, no histogram arena: about 5 KB each; two files
# keep a one-histogram arena so histogram paths are covered). Run by `make
# fuzz-corpus`; the files are committed.
set -e
cd "$(dirname "$0")/../.."
FORGE=${1:-tests/bin/forge_segment}
out=tests/fuzz/corpus/segment
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
rm -f "$out"/*
n=100
gen() { # NAME FORGE-ARGS...
    name=$1
    shift
    n=$((n + 1))
    "$FORGE" --dir "$tmp" --pid $n --max-series 9 --max-threads 3 --seed $n "$@" > /dev/null
    cp "$tmp/perfmon.$n" "$out/$name"
}
gen valid --arena-hists 0
gen valid-exited --arena-hists 0 --state exited
gen valid-dropped --arena-hists 0 --dropped 5
gen valid-hists --arena-hists 1
gen huge-range-hists --arena-hists 1 --damage huge-range
for kind in truncate short empty bad-magic bad-version byte-order state-init bad-state \
            series-count threads-used total-size offset capacity hash-capacity \
            process-name cmdline header-size garbage name-unterminated name-len bad-kind \
            bad-unit series-state hist-off hist-misaligned hist-arena-end claimed stuck-seq \
            huge-range overflow reset-base-high reset-stuck; do
    gen "$kind" --arena-hists 0 --damage "$kind"
done
# histogram damage needs histograms to damage
for kind in hist-off hist-misaligned hist-arena-end stuck-seq overflow reset-hist-off reset-hist-shared; do
    gen "$kind-hists" --arena-hists 1 --damage "$kind"
done
echo "make_corpus: $(ls "$out" | wc -l) files, $(du -sk "$out" | cut -f1) KB in $out"

# tests/fuzz/corpus/text: the first byte picks the reader (fuzz_text.c)
VIEW=${VIEW:-viewer/perfmon-view}
txt=tests/fuzz/corpus/text
mkdir -p "$txt"
rm -f "$txt"/*
{ printf '\001'; cat examples/gate.rules; } > "$txt/rules"
printf '\001db.query p95 < 2ms\nhttp.request{route="/a b#c",q="x\\"y"} error_rate <= 1%%\nparse mean < 110%% * baseline\n' > "$txt/rules-small"
"$FORGE" --dir "$tmp" --pid 99 --max-series 9 --max-threads 3 --arena-hists 1 > /dev/null
if [ -x "$VIEW" ]; then
    PERFMON_SHM_DIR="$tmp" "$VIEW" export 99 > "$tmp/export.json"
    { printf '\000'; cat "$tmp/export.json"; } > "$txt/json-export"
    { printf '\002'; cat "$tmp/export.json"; } > "$txt/baseline-export"
fi
printf '\002{"perfmon_baseline": 1, "runs": 2, "command": "x", "series": [{"name": "parse", "kind": "timer", "stats": {"mean": {"median": 1.5, "runs": [1, 2]}}}, {"name": "process", "selector": true, "stats": {"cpu_time": {"median": 3, "runs": [null, 3]}}}]}' > "$txt/baseline"
printf '\000[1, -2.5e3, "\\u00e9\\ud83d\\ude00", {"a": [true, false, null]}, "\\u0000x"]' > "$txt/json-escapes"
printf '\003http.request{method="GET",route="/a,b",q="x\\"y\\\\z\\nw"}' > "$txt/labels"
printf '\003broken{k="v",' > "$txt/labels-broken"
echo "make_corpus: $(ls "$txt" | wc -l) files in $txt"
