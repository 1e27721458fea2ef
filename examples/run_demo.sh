#!/bin/sh
# make demo: start the demo server, look at it with perfmon-view a few
# times while it runs, stop it.
set -u
cd "$(dirname "$0")/.."
view=viewer/perfmon-view
out=$(mktemp)
./examples/demo --threads 4 >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT INT TERM
sleep 1
echo "\$ ./examples/demo &        # pid $pid"
cat "$out"
for round in 1 2 3; do
    sleep 1
    echo
    echo "\$ perfmon-view stats $pid      # after ${round}s"
    $view stats "$pid" || exit 1
done
echo
echo "\$ perfmon-view list"
$view list
kill -TERM $pid
wait $pid
echo
echo "demo stopped (exit $?); its segment was removed at exit."
echo "Try it yourself: ./examples/demo & then $view stats \$! or $view export \$! --format json"
