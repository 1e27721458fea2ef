#!/bin/sh
# Makes sure PCP's MMV library and headers (Debian libpcp-mmv1-dev, whose
# header needs libpcp3-dev's pmapi.h) are installed, for bench/peers.c only:
# installs them when we are root with apt-get, else says what to install.
have() { [ -f /usr/include/pcp/mmv_stats.h ] && [ -f /usr/include/pcp/pmapi.h ]; }
have && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "PCP MMV headers not found: installing libpcp-mmv1-dev libpcp3-dev (for bench/peers)" >&2
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -q libpcp-mmv1-dev libpcp3-dev >/dev/null 2>&1 ||
       { apt-get update -q >/dev/null 2>&1 &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -q libpcp-mmv1-dev libpcp3-dev >/dev/null 2>&1; }; then
        have && exit 0
    fi
fi
echo "error: PCP's MMV library is missing. Install it with: sudo apt-get install libpcp-mmv1-dev libpcp3-dev" >&2
exit 1
