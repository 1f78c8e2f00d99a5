#!/bin/sh
# Installs what building radiograph and running its tests need, once per
# machine: `make setup` runs it, and so does .ci/run. What is already there
# is left alone; what is missing comes from Debian's packages (apt-get, as
# root or through sudo) and from PyPI (requirements-dev.txt, into the Python
# that PYTHON names: a virtual environment's, if one is active).
#
#   gcc, make        the C build
#   zlib1g-dev       zlib's headers: profile.pb.gz is gzip-compressed
#   chromium         the page tests drive it through Playwright
#   golang-go        a test reads profile.pb.gz with `go tool pprof`
#   numpy, ipykernel in every supported CPython (tools/prepare_pythons.py)
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

need=""
command -v cc >/dev/null 2>&1 || need="$need gcc"
command -v make >/dev/null 2>&1 || need="$need make"
[ -f /usr/include/zlib.h ] || need="$need zlib1g-dev"
command -v chromium >/dev/null 2>&1 || [ -x "${RG_CHROMIUM:-/usr/bin/chromium}" ] || need="$need chromium"
command -v go >/dev/null 2>&1 || need="$need golang-go"

if [ -n "$need" ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "setup: this is not Debian or Ubuntu: install$need (or your system's names for them) by hand" >&2
        exit 1
    fi
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    echo "setup: apt-get install$need"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
echo "setup: $PYTHON -m pip install -r requirements-dev.txt"
"$PYTHON" -m pip install -q -r requirements-dev.txt
# The end-to-end suite runs under every supported CPython on the machine
# (tests/run.py): what its jobs import goes into each of them.
"$PYTHON" tools/prepare_pythons.py
