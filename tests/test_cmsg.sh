#!/bin/bash
# The probe-recorded table of control messages (issue 19): tests/cmsg_linux.txt
# is what this machine's kernel answered to tests/tools/cmsg_probe (IP_PKTINFO,
# IP_RECVTTL, IP_RECVTOS, IP_RECVORIGDSTADDR, SO_TIMESTAMP/NS/ING and MSG_CTRUNC
# on receive; IP_TTL/IP_TOS/IP_PKTINFO and bad messages on send; IP_RECVERR's
# error queue with MSG_ERRQUEUE, POLLERR and SO_ERROR; IP_PKTOPTIONS; the
# timestamp options).  The same unmodified program runs under the shim
# (LD_PRELOAD, SKBOS_LOOPBACK=1: every AF_INET socket is skbos's, which its
# first line checks) and must answer line for line the same.  No root needed.
# Regenerate the table on a kernel:
#   gcc -O2 -o /tmp/p tests/tools/cmsg_probe.c && /tmp/p > tests/cmsg_linux.txt
set -u
B=$(cd "${top_builddir:-.}" && pwd)
S=$(cd "$(dirname "$0")" && pwd)
probe=$B/tests/tools/cmsg_probe
lib=$B/.libs/libskbos-preload.so
[ -x "$probe" ] || { echo "FAIL: $probe not built"; exit 1; }
# the probe is built like the shim: under ASan its runtime goes first
rt=$(ldd "$lib" 2>/dev/null | awk '/libasan/ { print $3 }')
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout 120 env SKBOS_LOOPBACK=1 LD_PRELOAD="${rt:+$rt }$lib" ASAN_OPTIONS=detect_leaks=0 "$probe" >"$out" 2>&1
rc=$?
[ $rc = 0 ] || { echo "FAIL: the probe under skbos exited $rc"; cat "$out"; exit 1; }
[ "$(head -1 "$out")" = "stack: skbos" ] || { echo "FAIL: not served by skbos: $(head -1 "$out")"; exit 1; }
n=$(tail -n +2 "$S/cmsg_linux.txt" | wc -l)
if ! diff <(tail -n +2 "$S/cmsg_linux.txt") <(tail -n +2 "$out"); then
	echo "FAIL: skbos differs from the kernel's table (< kernel, > skbos)"
	exit 1
fi
echo "PASS: $n cases, skbos answered as the kernel did"
