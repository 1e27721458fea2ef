#!/bin/sh
# e2e_owner.sh - whose segment it is: root reads anyone's segment and is
# told whose it is; another user's segment is refused (one line, exit 2),
# whether its mode hides it (0600) or not (0644). Needs root and setpriv
# (to act as nobody); otherwise reported as a skip.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv > /dev/null 2>&1; then
    t_skip owner_checks "needs root and setpriv"
    t_done
fi
chmod 711 "$T"
mkdir -m 755 "$T/shm"
VIEW_ABS=$(cd "$(dirname "$VIEW")" && pwd)/$(basename "$VIEW")
forge() { "$FORGE" --dir "$T/shm" --pid "$1" > /dev/null 2> "$T/forge.err"; }
as_nobody() { PERFMON_SHM_DIR="$T/shm" timeout 30 setpriv --reuid=65534 --regid=65534 --clear-groups "$VIEW_ABS" "$@"; }

forge 60001
chown 65534:65534 "$T/shm/perfmon.60001"
PERFMON_SHM_DIR="$T/shm" timeout 30 "$VIEW" export 60001 > "$T/o.json" 2> "$T/o.err"
rc=$?
t_check root_reads_and_is_told_whose "rc=$rc: $(cat "$T/o.err")" \
    '[ $rc = 0 ] && grep -q "belongs to uid 65534" "$T/o.err" && [ "$(jq -r .pid "$T/o.json")" = 60001 ]'

forge 60002   # root's, mode 0600
as_nobody export 60002 > /dev/null 2> "$T/o.err"
rc=$?
t_check other_users_hidden_segment_refused "rc=$rc, $(wc -l < "$T/o.err") lines: $(cat "$T/o.err")" \
    '[ $rc = 2 ] && [ "$(wc -l < "$T/o.err")" = 1 ] && grep -q "permission denied (owned by uid 0)" "$T/o.err"'

forge 60003
chmod 644 "$T/shm/perfmon.60003"   # readable, still not ours
for cmd in export stats; do
    as_nobody $cmd 60003 > /dev/null 2> "$T/o.err"
    rc=$?
    t_check "other_users_readable_segment_refused_$cmd" "rc=$rc, $(wc -l < "$T/o.err") lines: $(cat "$T/o.err")" \
        '[ $rc = 2 ] && [ "$(wc -l < "$T/o.err")" = 1 ] && grep -q "owned by uid 0, not you: refused" "$T/o.err"'
done

forge 60004
chown 65534:65534 "$T/shm/perfmon.60004"
as_nobody export 60004 > "$T/o.json" 2> "$T/o.err"
rc=$?
t_check own_segment_read_without_note "rc=$rc: $(cat "$T/o.err")" '[ $rc = 0 ] && [ ! -s "$T/o.err" ]'
t_done
