#!/bin/sh
# deps.sh - the Debian packages each part of perfmon needs, checked or installed
#
#   sh scripts/deps.sh GROUP...            exit 0 if all are there, else say
#                                          what to install (one line) and exit 1
#   sh scripts/deps.sh --install GROUP...  install the missing ones with apt-get
#                                          (root only), saying so first
# Groups: build (the viewer), test (make test), bench (make bench), ci
# (.ci/run: the sanitizers, valgrind, the fuzzers, load). STB_INC names
# another directory holding stb_ds.h.
install=0
[ "$1" = --install ] && { install=1; shift; }
[ $# -gt 0 ] || { echo "usage: sh scripts/deps.sh [--install] build|test|bench|ci..." >&2; exit 2; }
stb=${STB_INC:-/usr/include/stb}
clang_rt() { [ -f "$(clang -print-resource-dir 2>/dev/null)/lib/linux/libclang_rt.fuzzer-x86_64.a" ]; }

# has PACKAGE: 0 when what we use of it is there
has() {
    case $1 in
        gcc) command -v cc > /dev/null ;;
        g++) command -v c++ > /dev/null ;;
        make|jq|tmux|python3|valgrind|stress-ng|clang) command -v "$1" > /dev/null ;;
        coreutils) command -v timeout > /dev/null ;;
        libstb-dev) [ -f "$stb/stb_ds.h" ] ;;
        libsqlite3-dev) [ -f /usr/include/sqlite3.h ] ;;
        libpcp-mmv1-dev) [ -f /usr/include/pcp/mmv_stats.h ] ;;
        libpcp3-dev) [ -f /usr/include/pcp/pmapi.h ] ;;
        libclang-rt-dev) clang_rt ;;
        *) return 1 ;;
    esac
}

wanted=""
for group in "$@"; do
    case $group in
        build) wanted="$wanted gcc make libstb-dev libsqlite3-dev" ;;
        test) wanted="$wanted gcc g++ make libstb-dev libsqlite3-dev python3 jq tmux coreutils" ;;
        bench) wanted="$wanted gcc make libstb-dev libsqlite3-dev libpcp-mmv1-dev libpcp3-dev" ;;
        ci) wanted="$wanted gcc g++ make libstb-dev libsqlite3-dev python3 jq tmux coreutils clang libclang-rt-dev valgrind stress-ng" ;;
        *) echo "deps.sh: unknown group '$group' (build, test, bench or ci)" >&2; exit 2 ;;
    esac
done
missing=""
for p in $wanted; do
    case " $missing " in *" $p "*) continue ;; esac
    has "$p" || missing="$missing $p"
done
missing=${missing# }
[ -z "$missing" ] && exit 0
if [ $install = 0 ]; then
    echo "missing Debian packages: $missing; install them with: sudo apt-get install $missing (or: sudo make deps)" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null 2>&1; then
    echo "missing Debian packages: $missing; install them as root with: apt-get install $missing" >&2
    exit 1
fi
echo "installing Debian packages: $missing" >&2
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y -q $missing > /dev/null 2>&1 ||
    { apt-get update -q > /dev/null 2>&1 && apt-get install -y -q $missing > /dev/null 2>&1; } ||
    { echo "apt-get install $missing failed" >&2; exit 1; }
for p in $missing; do
    has "$p" || { echo "installed $p, but it is still missing" >&2; exit 1; }
done
