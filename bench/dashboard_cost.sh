#!/bin/sh
# dashboard_cost.sh - CPU cost of the live dashboard: perfmon-view PID at
# 1 Hz on a real terminal (tmux, 160x50) against tests/bin/steady with
# 1,000 extra series (700 timers, 200 counters, 100 gauges) written by 4
# threads. Reports the viewer's CPU seconds (user + system, from
# /proc/<viewer>/stat) per wall-clock second, as % of one core, over
# SECONDS (default 30) after a 3 s warm-up; and the same for `watch`.
#   sh bench/dashboard_cost.sh [SECONDS]
# Goal (issue 3): under 1% of a core at 1 Hz with 1,000 series.
set -u
cd "$(dirname "$0")/.." || exit 1
secs=${1:-30}
make -s viewer/perfmon-view tests/bin/steady || exit 1
command -v tmux > /dev/null || { echo "dashboard_cost: tmux is required" >&2; exit 1; }
sock="pm-bench-$$"
out=$(mktemp)
tests/bin/steady --rate 1000 --series 1000 --threads 4 > "$out" 2>&1 &
spid=$!
trap 'tmux -L "$sock" kill-server 2>/dev/null; kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -f "$out"' EXIT INT TERM
i=0
while [ $i -lt 100 ] && [ ! -s "$out" ]; do sleep 0.05; i=$((i + 1)); done
hz=$(getconf CLK_TCK)

# ticks PID: utime + stime in clock ticks
ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
now() { awk '{ print $1 }' /proc/uptime; }

measure() { # LABEL PID
    sleep 3
    t0=$(ticks "$2"); w0=$(now)
    sleep "$secs"
    t1=$(ticks "$2"); w1=$(now)
    awk -v l="$1" -v a="$t0" -v b="$t1" -v w0="$w0" -v w1="$w1" -v hz="$hz" 'BEGIN {
        cpu = (b - a) / hz; wall = w1 - w0
        printf "%-44s %6.3f s CPU in %5.1f s = %.2f%% of a core\n", l, cpu, wall, 100 * cpu / wall }'
}

nseries=$(viewer/perfmon-view stats "$spid" | awk 'NR == 1 { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^series/) print $i }')
echo "target: tests/bin/steady, $nseries series, 4 writer threads; $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

tmux -L "$sock" new-session -d -s b -x 160 -y 50 "viewer/perfmon-view $spid -i 1"
sleep 0.5
vpid=$(ps -o pid= --ppid "$(tmux -L "$sock" display -p -t b '#{pane_pid}')" | tr -d ' ' | head -n 1)
[ -n "$vpid" ] || vpid=$(tmux -L "$sock" display -p -t b '#{pane_pid}')
measure "perfmon-view $nseries series, 1 Hz, 160x50 tty" "$vpid"
tmux -L "$sock" send-keys -t b q

viewer/perfmon-view watch "$spid" -i 1 > /dev/null &
wpid=$!
measure "perfmon-view watch, 1 Hz, csv to /dev/null" "$wpid"
kill $wpid; wait $wpid 2>/dev/null
