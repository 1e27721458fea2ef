#!/bin/sh
# Makes sure stb_ds.h (Debian package libstb-dev) is installed: installs it
# when we are root with apt-get, else says exactly what to install.
dir=${1:-/usr/include/stb}
[ -f "$dir/stb_ds.h" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "stb_ds.h not found: installing libstb-dev" >&2
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -q libstb-dev >/dev/null 2>&1 ||
       { apt-get update -q >/dev/null 2>&1 &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -q libstb-dev >/dev/null 2>&1; }; then
        [ -f "$dir/stb_ds.h" ] && exit 0
    fi
fi
echo "error: $dir/stb_ds.h is missing. Install it with: sudo apt-get install libstb-dev" >&2
echo "       (or point make at another copy: make STB_INC=/path/to/dir)" >&2
exit 1
