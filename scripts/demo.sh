#!/usr/bin/env bash
# skbos's main job, as far as it exists today.
#
# The goal (the shim issue): run an unmodified program through skbos over a
# veth pair this script creates, side by side with the kernel stack.  Until
# the LD_PRELOAD shim lands, this builds skbos and runs the best real thing
# that exists: two skbos stacks joined by the in-memory wire, exchanging
# frames under loss, duplication, reordering, corruption, delay and rate
# limits, on virtual time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p build && cd build
[ -f Makefile ] || ../configure >/dev/null
make -j"$(nproc)" >/dev/null
make -j"$(nproc)" tests/test_wire tests/test_netdev >/dev/null
echo "skbos $(grep PACKAGE_VERSION config.h | cut -d'"' -f2): two stacks over the impaired wire (the shim and the veth demo come later)"
./tests/test_wire --verbose=1 2>&1 | grep -E '^\[(RUN|PASS|FAIL)|Synthesis'
./tests/test_netdev --verbose=1 2>&1 | grep -E '^\[(RUN|PASS|FAIL)|Synthesis'
