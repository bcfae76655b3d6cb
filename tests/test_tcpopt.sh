#!/bin/bash
# The TCP options of issue 22 against the kernel's own answers:
# tests/tcpopt_linux.txt is what this machine's kernel answered to
# tests/tools/tcpopt_probe over 127.0.0.1 (TCP_NOTSENT_LOWAT's values and
# what it does to send, poll and edge-triggered epoll; TCP_INQ, its
# TCP_CM_INQ control message and SIOCINQ; TCP_CC_INFO; TCP_CONGESTION;
# what a listener passes to its children).  The same unmodified program
# runs under the shim (LD_PRELOAD, SKBOS_LOOPBACK=1: every AF_INET socket
# is skbos's, which its first line checks) and must answer line for line
# the same, but for the "bbr " lines: the kernel's default here is BBR,
# which skbos does not have (setting it is ENOENT, as on a kernel built
# without tcp_bbr; README, known differences).  No root needed.
# Regenerate the table on a kernel:
#   gcc -O2 -o /tmp/p tests/tools/tcpopt_probe.c && /tmp/p > tests/tcpopt_linux.txt
set -u
. "$(dirname "$0")/lib.sh"
probe_vs_kernel tcpopt_probe "$(dirname "$0")/tcpopt_linux.txt" '^bbr '
