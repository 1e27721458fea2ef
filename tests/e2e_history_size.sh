#!/bin/sh
# e2e_history_size.sh - the history stays bounded: a simulated month of
# 1 s samples of busy series (bench/history_size.c, through the recorder's
# own code and the default retention) keeps exactly an hour of rows as
# recorded, a day of per-minute rollups and the month's hourly ones, and
# stays under the size README "History" states (300 KiB per series).
. "$(dirname "$0")/lib.sh"
HISTORY_SIZE=${HISTORY_SIZE:-tests/bin/history_size}
S=20
timeout 600 "$HISTORY_SIZE" $S "$T/month.db" > "$T/out" 2> "$T/err"
rc=$?
t_check month_simulated "rc=$rc: $(cat "$T/out" "$T/err")" '[ $rc = 0 ]'
rows() { sed -n "s/^tier step $1s: \([0-9]*\) rows$/\1/p" "$T/out"; }
# 1 h at 1 s; 24 h - 1 h of minutes plus the last hour's (rolled) minutes but
# the newest two, still settling; 30 days of hours but the newest
got="$(rows 0) $(rows 60) $(rows 3600)"
t_check retention_keeps_each_tier "rows per tier '$got' (series $S): $(cat "$T/out")" \
    '[ "$(rows 0)" = $((3600 * S)) ] && [ "$(rows 60)" -ge $((1380 * S)) ] && [ "$(rows 60)" -le $((1440 * S)) ] &&
     [ "$(rows 3600)" -ge $((710 * S)) ] && [ "$(rows 3600)" -le $((720 * S)) ]'
kib=$(sed -n 's/.* \([0-9]*\) KiB per series$/\1/p' "$T/out")
t_check month_under_stated_size "${kib:-?} KiB per series" '[ -n "$kib" ] && [ "$kib" -le 300 ]'
t_done
