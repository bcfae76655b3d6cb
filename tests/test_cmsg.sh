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
. "$(dirname "$0")/lib.sh"
probe_vs_kernel cmsg_probe "$(dirname "$0")/cmsg_linux.txt"
