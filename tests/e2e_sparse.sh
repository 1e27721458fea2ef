#!/bin/sh
# e2e_sparse.sh - a segment's claimed size costs its reader nothing the
# writer did not really use: in a private mount namespace over a small tmpfs
# of our own (root only), the viewer reads forged segments that claim huge
# capacities all in use while the file is mostly holes, and one whose cells
# all point at one histogram. Asserted: the tmpfs does not grow (a read fault
# on a hole of a shared mapping would allocate the page for good), and CPU
# time and peak memory stay small; the real series are read exactly.
. "$(dirname "$0")/lib.sh"
# CPU bounds: the old reader took 3 s where this one takes 0.04 s; a
# sanitizer build runs 5-20 times slower, and the bound with it
slow=1
[ -n "${PM_SANITIZER:-}" ] && slow=10

if [ "$(id -u)" != 0 ]; then
    t_skip private_tmpfs "not root: cannot mount a private tmpfs"
    t_done
fi
for tool in unshare mount /usr/bin/time; do
    command -v "$tool" > /dev/null 2>&1 || { t_skip private_tmpfs "$tool missing"; t_done; }
done
mkdir "$T/mnt" "$T/out"

# Runs inside the namespace: for each case, the file's blocks and the
# tmpfs's used KiB before and after `stats` and `export`, their exit
# statuses, and user+system CPU seconds and max RSS (KiB) of `stats`.
cat > "$T/inner.sh" <<'INNER'
mnt=$1 out=$2 forge=$3 view=$4
mount -t tmpfs -o size=256m tmpfs "$mnt" || exit 3
run_case() { # NAME FORGE-ARGS...
    name=$1
    shift
    "$forge" --dir "$mnt" --pid 60001 "$@" > /dev/null 2> "$out/$name.forge.err" || { echo forge > "$out/$name.failed"; return; }
    seg="$mnt/perfmon.60001"
    echo "$(stat -c %b "$seg") $(df -k --output=used "$mnt" | tail -n 1)" > "$out/$name.before"
    PERFMON_SHM_DIR="$mnt" timeout 120 /usr/bin/time -f "%U %S %M" -o "$out/$name.time" \
        "$view" stats 60001 > "$out/$name.stats" 2> "$out/$name.stats.err"
    echo $? > "$out/$name.stats.rc"
    PERFMON_SHM_DIR="$mnt" timeout 120 "$view" export 60001 > "$out/$name.json" 2> "$out/$name.export.err"
    echo $? > "$out/$name.export.rc"
    echo "$(stat -c %b "$seg") $(df -k --output=used "$mnt" | tail -n 1)" > "$out/$name.after"
    rm -f "$seg"
}
run_case series --max-series 1048576 --claim-all
run_case cells --max-series 65536 --max-threads 4096 --claim-all
run_case wide --wide 512 --max-threads 4096
umount "$mnt"
INNER
unshare --mount --propagation private sh "$T/inner.sh" "$T/mnt" "$T/out" "$FORGE" "$VIEW" > "$T/inner.out" 2>&1
rc=$?
if [ $rc = 3 ] || [ $rc = 1 ] && grep -q "unshare\|mount" "$T/inner.out"; then
    t_skip private_tmpfs "no private tmpfs here: $(head -c 200 "$T/inner.out")"
    t_done
fi

O="$T/out"
# the last line of time's output (a first one may say the exit status)
cpu() { tail -n 1 "$O/$1.time" 2>/dev/null | awk '{ printf "%.2f", $1 + $2 }'; }
rss() { tail -n 1 "$O/$1.time" 2>/dev/null | awk '{ print $3 }'; }
value() { jq -r --arg n "$2" '.series[] | select(.full_name == $n) | .value' "$O/$1.json" 2>/dev/null; }
for c in series cells; do
    t_check "${c}_forged" "$(cat "$O/$c.failed" "$O/$c.forge.err" 2>/dev/null | head -c 300)" '[ ! -e "$O/$c.failed" ]'
    t_check "${c}_read" "stats rc $(cat "$O/$c.stats.rc") export rc $(cat "$O/$c.export.rc"): $(head -c 300 "$O/$c.stats.err" "$O/$c.export.err")" \
        '[ "$(cat "$O/$c.stats.rc")" = 0 ] && [ "$(cat "$O/$c.export.rc")" = 0 ]'
    # blocks of the file, KiB used on the tmpfs: before and after the reads
    t_check "${c}_tmpfs_did_not_grow" "before $(cat "$O/$c.before"), after $(cat "$O/$c.after")" \
        '[ "$(cat "$O/$c.before")" = "$(cat "$O/$c.after")" ]'
    t_check "${c}_real_series_exact" "requests.total = $(value $c requests.total), series $(jq '.series | length' "$O/$c.json" 2>/dev/null)" \
        '[ "$(value $c requests.total)" = 1000 ] && [ "$(jq ".series | length" "$O/$c.json")" = 9 ]'
    # bounds a loaded 2-core machine meets; the old reader took ~256 MiB here
    t_check "${c}_bounded" "stats: $(cpu $c) s CPU, $(rss $c) KiB max RSS" \
        '[ -n "$(rss $c)" ] && awk "BEGIN { exit !($(cpu $c) < 2 * $slow && $(rss $c) < 102400) }"'
done
# 512 timers x 4097 slots whose cells share one histogram: the reader must
# not copy it two million times (the old reader: ~3 s of CPU)
c=wide
t_check wide_forged "$(cat "$O/$c.failed" "$O/$c.forge.err" 2>/dev/null | head -c 300)" '[ ! -e "$O/$c.failed" ]'
d=$(jq -r .damaged_series "$O/$c.json" 2>/dev/null)
t_check wide_shared_histogram_is_damage "export rc $(cat "$O/$c.export.rc"), damaged_series $d, requests.total $(value $c requests.total)" \
    '[ "$(cat "$O/$c.export.rc")" = 0 ] && [ "$d" = 512 ] && [ "$(value $c requests.total)" = 1000 ]'
t_check wide_bounded_cpu "stats rc $(cat "$O/$c.stats.rc"): $(cpu $c) s CPU" \
    '[ "$(cat "$O/$c.stats.rc")" = 0 ] && awk "BEGIN { exit !($(cpu $c) < $slow) }"'
t_done
