#!/bin/sh
# e2e_layers.sh - the viewer's rooms keep their order: a file includes only
# headers of its own room or of a lower one (README "Hacking"):
#   base < read < model < out < analyze < cmd
. "$(dirname "$0")/lib.sh"

rank() {
    case $1 in
        base) echo 0 ;; read) echo 1 ;; model) echo 2 ;; out) echo 3 ;;
        store) echo 3 ;; analyze) echo 4 ;; cmd) echo 5 ;; *) echo 99 ;;
    esac
}
bad=""
stray=""
for f in viewer/*/*.c viewer/*/*.h; do
    room=$(basename "$(dirname "$f")")
    [ "$(rank "$room")" = 99 ] && stray="$stray $f"
    for h in $(sed -n 's/^#include "\([a-z]*\)\/[a-z_0-9]*\.h".*/\1/p' "$f"); do
        [ "$(rank "$h")" -gt "$(rank "$room")" ] && bad="$bad $f->$h"
    done
done
t_check no_upward_includes "upward:$bad" '[ -z "$bad" ]'
t_check every_file_in_a_room "unknown rooms:$stray" '[ -z "$stray" ]'
loose=$(ls viewer/*.c viewer/*.h 2>/dev/null | tr '\n' ' ')
t_check no_loose_files "in viewer/ itself: $loose" '[ -z "$loose" ]'
t_done
