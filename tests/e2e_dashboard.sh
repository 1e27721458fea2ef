#!/bin/sh
# e2e_dashboard.sh - the live dashboard (`perfmon-view PID`) driven in tmux
# against examples/demo: series appear, values change between frames, the
# sort, filter, pause, window and help keys, resizing, colour and NO_COLOR,
# the terminal left clean (alternate screen off, cursor visible, echo on)
# after q, Ctrl-C and SIGTERM; the target's exit (view stays, EXITED) and
# its segment's removal (message, exit status 2). Every wait is a bounded
# poll of the pane, not a fixed sleep; the bounds (20 s) are for a loaded
# machine and a sanitizer build, a passing run never waits them out.
. "$(dirname "$0")/lib.sh"
DEMO=${DEMO:-examples/demo}
STEADY=${STEADY:-tests/bin/steady}

if ! command -v tmux > /dev/null 2>&1; then
    t_skip dashboard_in_tmux "no tmux"
    t_done
fi

SOCK="perfmon-e2e-$$"
TM() { tmux -L "$SOCK" "$@"; }
dash_cleanup() {
    TM kill-server 2> /dev/null
    cleanup
}
trap dash_cleanup EXIT

# start_bg CMD ARGS...: a program printing nothing useful; sets BPID once
# its segment exists
start_bg() {
    "$@" > "$T/bg.out" 2>&1 &
    BPID=$!
    writers="$writers $BPID"
    i=0
    while [ $i -lt 200 ] && [ ! -e "/dev/shm/perfmon.$BPID" ]; do sleep 0.05; i=$((i + 1)); done
    [ -e "/dev/shm/perfmon.$BPID" ] || BPID=""
}

# session NAME VIEWER-ARGS...: the viewer in a new 160x40 window; after it
# ends the shell prints its exit status and the tty's echo/icanon flags
session() {
    name=$1
    shift
    TM new-session -d -s "$name" -x 160 -y 40 \
        "env -u NO_COLOR $* ; echo __RC=\$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e echo -e -echo -e icanon -e -icanon | tr '\\n' ' '; echo __STTY; exec sleep 600"
}
cap() { TM capture-pane -p -t "$1"; }
# wait_for SESSION FIXED-STRING [TENTHS]: 1 if it never appeared
wait_for() {
    i=0
    lim=${3:-200}
    while [ $i -lt "$lim" ]; do
        cap "$1" | grep -qF -- "$2" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
pane() { TM display -p -t "$1" "$2"; }
# the viewer's pid: the child of the pane's shell
viewer_pid() { ps -o pid= --ppid "$(pane "$1" '#{pane_pid}')" | head -n 1 | tr -d ' '; }
# field N of the table row starting with NAME
row_field() { cap "$1" | awk -v n="$2" -v f="$3" '$1 == n { print $f; exit }'; }
# names of the table rows, in order (lines after the NAME heading)
row_names() { cap "$1" | awk '/^NAME / { on = 1; next } on && NF > 3 && $1 !~ /^q$/ { print $1 }'; }
shown() { cap "$1" | grep -v "^$" | tail -n 3 | tr "\n" "|"; }
clean_exit() { # SESSION: exit status 0 printed, alternate screen left, cursor shown, echo on
    wait_for "$1" "__STTY" 200 || return 1
    cap "$1" | grep -q "__RC=0" || return 1
    [ "$(pane "$1" '#{alternate_on}')" = 0 ] || return 1
    [ "$(pane "$1" '#{cursor_flag}')" = 1 ] || return 1
    cap "$1" | grep -Eq "^(icanon echo|echo icanon) __STTY" || return 1
}

start_bg "$DEMO" --threads 4
if [ -z "$BPID" ]; then
    t_fail demo_start "demo did not start: $(cat "$T/bg.out")"
    t_done
fi
DPID=$BPID
S=main
session $S "$VIEW" "$DPID" -i 0.3

# ---- series appear, full screen
if wait_for $S 'http.request{method="GET",route="/users"}'; then
    t_check series_appear "$(cap $S | head -5)" 'cap $S | grep -q "^demo pid $DPID  ALIVE" && cap $S | grep -q "^cache.hit " && cap $S | grep -q "^NAME  *RATE/s  *HISTORY"'
else
    t_fail series_appear "$(cap $S)"
fi
t_check alternate_screen_cursor_hidden "alt=$(pane $S '#{alternate_on}') cursor=$(pane $S '#{cursor_flag}')" \
    '[ "$(pane $S "#{alternate_on}")" = 1 ] && [ "$(pane $S "#{cursor_flag}")" = 0 ]'
thr=$(cap $S | awk '/^process/ { for (i = 1; i < NF; i++) if ($i == "threads") print $(i + 1) }')
# 4 workers, main and perfmon's heartbeat thread (TSan adds one of its own)
t_check resources_line "threads '$thr': $(cap $S | grep '^process')" '{ [ "$thr" = 6 ] || { [ "$PM_SANITIZER" = tsan ] && [ "$thr" = 7 ]; }; } && cap $S | grep -q "^process  cpu .*rss [0-9.]*[KM]iB" && cap $S | grep -q "^machine  cpu [0-9.]*% of [0-9]* cores  mem "'
# the machine's lines: load and per-core CPU (this machine has cores and a root filesystem)
t_check system_lines "$(cap $S | grep -E '^(machine|cores|storage|net) ')" \
    'cap $S | grep -q "^machine  cpu .*  load [0-9.]* [0-9.]* [0-9.]*" &&
     { [ "$(nproc)" = 1 ] || cap $S | grep -q "^cores    0 [0-9-]" ; } &&
     cap $S | grep -q "^storage  read [^ ]*  write [^ ]*  .*/ [0-9]*%"'
t_check hit_rate_line "$(cap $S | grep '^hit rate')" 'cap $S | grep -q "^hit rate  cache [0-9.]*% (all [0-9.]*%)"'

# ---- values change between frames; history fills
c1=$(row_field $S requests 4)
i=0
while [ -z "$c1" ] && [ $i -lt 200 ]; do sleep 0.1; c1=$(row_field $S requests 4); i=$((i + 1)); done  # slow builds (TSan)
i=0
c2=$c1
while [ $i -lt 200 ] && [ "$c2" = "$c1" ]; do sleep 0.1; c2=$(row_field $S requests 4); i=$((i + 1)); done
t_check values_change "requests COUNT '$c1' then '$c2'" '[ -n "$c1" ] && [ "$c1" != "$c2" ]'
i=0
while [ $i -lt 200 ] && ! cap $S | grep "^requests " | grep -q "[▁▂▃▄▅▆▇█]"; do sleep 0.1; i=$((i + 1)); done
t_check sparkline_drawn "$(cap $S | grep '^requests')" 'cap $S | grep "^requests " | grep -q "[▁▂▃▄▅▆▇█]"'

# ---- sort key: rate (default) -> p95 -> total time -> errors -> name
t_check default_sort_rate "$(cap $S | head -1)" 'cap $S | head -1 | grep -q "sort rate"'
TM send-keys -t $S s
wait_for $S "sort p95" 200
first=$(row_names $S | head -n 1)
last=$(row_names $S | tail -n 1)
t_check sort_p95 "first '$first' last '$last'" 'case $first in http.request*|db.query) true;; *) false;; esac && case $last in queue.depth|workers.busy|cache.hit|cache.miss|requests|http.errors) true;; *) false;; esac'
TM send-keys -t $S s s s
wait_for $S "sort name" 200
row_names $S > "$T/names"
sort "$T/names" > "$T/names.sorted"
t_check sort_name "$(tr '\n' ' ' < "$T/names")" 'cap $S | head -1 | grep -q "sort name" && [ "$(wc -l < "$T/names")" -ge 14 ] && cmp -s "$T/names" "$T/names.sorted"'

# ---- filter: / cache Enter; Esc clears
TM send-keys -t $S / c a c h e Enter
wait_for $S 'filter "cache"' 200
names=$(row_names $S | tr '\n' ' ')
t_check filter_substring "rows: $names" '[ "$names" = "cache.hit cache.lookup cache.miss " ]'
TM send-keys -t $S Escape
i=0
while [ $i -lt 200 ] && cap $S | grep -q 'filter "cache"'; do sleep 0.1; i=$((i + 1)); done
t_check filter_cleared "$(row_names $S | wc -l) rows" '[ "$(row_names $S | wc -l)" -ge 14 ]'

# ---- pause freezes the figures; p again resumes
TM send-keys -t $S p
wait_for $S "PAUSED" 200
p1=$(row_field $S requests 4)
sleep 1
p2=$(row_field $S requests 4)
TM send-keys -t $S p
i=0
while [ $i -lt 200 ] && cap $S | grep -q PAUSED; do sleep 0.1; i=$((i + 1)); done
t_check pause_freezes "paused COUNT '$p1' then '$p2'" '[ -n "$p1" ] && [ "$p1" = "$p2" ] && ! cap $S | grep -q PAUSED'

# ---- window / since-start toggle, help
TM send-keys -t $S w
t_check toggle_since_start "$(cap $S | head -1)" 'wait_for $S "[since start]" 200'
TM send-keys -t $S w
t_check toggle_back_to_window "$(cap $S | head -1)" 'wait_for $S "[window " 200'
TM send-keys -t $S '?'
t_check help_key "$(cap $S | head -12)" 'wait_for $S "perfmon-view live dashboard - keys" 200 && cap $S | grep -q "filter series by substring"'
TM send-keys -t $S x
i=0
while [ $i -lt 200 ] && cap $S | grep -q "live dashboard - keys"; do sleep 0.1; i=$((i + 1)); done
t_check help_closes "$(cap $S | sed -n 5p)" 'cap $S | grep -q "^NAME "'

# ---- resize: SIGWINCH redraws to the new width, least important columns go
TM resize-window -t $S -x 90 -y 30
i=0
while [ $i -lt 200 ] && cap $S | grep -q "HISTORY"; do sleep 0.1; i=$((i + 1)); done
wide=$(cap $S | python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in sys.stdin))')
t_check resize_fits_width "widest line $wide; $(cap $S | grep '^NAME')" '[ "$wide" -le 90 ] && cap $S | grep -q "^NAME .*RATE/s.*P95" && ! cap $S | grep -q "HISTORY" && ! cap $S | grep "^NAME" | grep -q "TIME"'
TM resize-window -t $S -x 160 -y 40
wait_for $S "HISTORY" 200

# ---- colour on by default; none under NO_COLOR or --no-color
col=$(TM capture-pane -e -p -t $S | grep -c "$(printf '\033')\[[0-9;]*3[1-6]m")
t_check colour_by_default "$col coloured lines" '[ "$col" -gt 0 ]'

# ---- q leaves a clean terminal
TM send-keys -t $S q
t_check q_restores_terminal "$(shown $S) alt=$(pane $S '#{alternate_on}') cursor=$(pane $S '#{cursor_flag}')" 'clean_exit $S'

TM new-session -d -s nc -x 160 -y 40 "NO_COLOR=1 $VIEW $DPID -i 0.3; exec sleep 600"
wait_for nc "http.request" 200
col=$(TM capture-pane -e -p -t nc | grep -c "$(printf '\033')\[[0-9;]*m")
t_check no_color_env "$col lines with SGR" '[ "$col" = 0 ]'
TM send-keys -t nc q
session nc2 "$VIEW" "$DPID" -i 0.3 --no-color
wait_for nc2 "http.request" 200
col=$(TM capture-pane -e -p -t nc2 | grep -c "$(printf '\033')\[[0-9;]*m")
t_check no_color_option "$col lines with SGR" '[ "$col" = 0 ]'

# ---- Ctrl-C and SIGTERM restore the terminal too
TM send-keys -t nc2 C-c
t_check ctrl_c_restores_terminal "$(shown nc2)" 'clean_exit nc2'
session term "$VIEW" "$DPID" -i 0.3
wait_for term "http.request" 200
vp=$(viewer_pid term)
[ -n "$vp" ] && kill -TERM "$vp"
t_check sigterm_restores_terminal "viewer pid '$vp': $(shown term)" '[ -n "$vp" ] && clean_exit term'

# ---- any terminal size works and quits, down to 1x1 (a full screen once
# made the padding loop forever: 100% CPU, q and signals ignored)
for size in 1x1 20x2 40x5 60x6; do
    w=${size%x*}
    h=${size#*x}
    TM new-session -d -s "tiny$w" -x "$w" -y "$h" \
        "env -u NO_COLOR $VIEW $DPID -i 0.1; echo __RC=\$?; exec sleep 600"
    i=0
    vp=""
    while [ -z "$vp" ] && [ $i -lt 200 ]; do vp=$(viewer_pid "tiny$w"); [ -z "$vp" ] && sleep 0.1; i=$((i + 1)); done
    j=0  # a few frames drawn (its CPU time moves), then q
    while [ -n "$vp" ] && [ $j -lt 10 ]; do sleep 0.1; j=$((j + 1)); done
    TM send-keys -t "tiny$w" q
    i=0
    while [ -n "$vp" ] && kill -0 "$vp" 2> /dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
    TM resize-window -t "tiny$w" -x 80 -y 10
    rc=$(TM capture-pane -p -S -50 -t "tiny$w" | grep -o "__RC=[0-9]*" | tail -n 1)
    t_check "tiny_terminal_${size}_quits" "viewer '$vp' still running: $(kill -0 "$vp" 2>&1 && echo yes); $rc" \
        '[ -n "$vp" ] && ! kill -0 "$vp" 2> /dev/null && [ "$rc" = "__RC=0" ]'
    [ -n "$vp" ] && kill -KILL "$vp" 2> /dev/null
done

# ---- the target exits: the view stays, marked EXITED, with final values
session ex "$VIEW" "$DPID" -i 0.3
wait_for ex "http.request" 200
kill -TERM "$DPID"
if wait_for ex "EXITED" 200; then
    t_check target_exit_view_stays "$(cap ex | head -3)" 'cap ex | grep -q "^demo pid $DPID  EXITED" && cap ex | grep -q "^requests " && cap ex | grep -q "target exited: final values" && [ "$(pane ex "#{alternate_on}")" = 1 ]'
else
    t_fail target_exit_view_stays "$(cap ex)"
fi
TM send-keys -t ex q
t_check q_after_exit "$(shown ex)" 'clean_exit ex'

# ---- the segment disappears under a live target: message, status 2
start_bg "$STEADY" --rate 100
if [ -n "$BPID" ]; then
    session gone "$VIEW" "$BPID" -i 0.3
    wait_for gone "steady.events" 200
    rm -f "/dev/shm/perfmon.$BPID"
    if wait_for gone "__STTY" 200; then
        t_check segment_removed_message "$(cap gone | grep -v '^$' | tail -4)" 'cap gone | grep -q "segment .*perfmon.$BPID was removed while pid $BPID still runs" && cap gone | grep -q "__RC=2" && [ "$(pane gone "#{alternate_on}")" = 0 ] && cap gone | grep -Eq "^(icanon echo|echo icanon) __STTY"'
    else
        t_fail segment_removed_message "$(cap gone)"
    fi
    stop_writer "$BPID"
else
    t_fail segment_removed_message "steady did not start"
fi

t_done
