#!/bin/sh
# afpacket_modes.sh - the device's receive modes and a transmit option,
# measured side by side on a veth pair between two namespaces this script
# makes and removes (names carry its pid):
#
#   receive throughput: a raw generator in B floods A (64 and 1514 B);
#     multishot recv ("ms") vs TPACKET_V3 ("v3:1", "v3:8": retire timeout ms;
#     1 is the least the kernel takes, 8 its DEFAULT_PRB_RETIRE_TOV)
#   request/response: 64-byte ping-pong, skbos's device asleep in
#     afpacket_wait between frames, a raw AF_PACKET echo in B; RTT p50/p99
#   transmit: PACKET_QDISC_BYPASS off vs on (64 and 1514 B)
#
# Every configuration runs once per repetition, in turn (A B C A B C ...),
# and the report gives medians.  Processes are pinned: the skbos side on
# CPU $CPU_DEV, the kernel side (generator, echo) on CPU $CPU_PEER.
#
#   bench/afpacket_modes.sh [PATH/TO/afpacket_bench]     (root)
#   SECS=1.5 REPS=5 CPU_DEV=0 CPU_PEER=1 to change them; RXMODES="ms v3:1"
#   for other receive modes (empty: none), TX= or PP= (empty) to skip those.
# rx errors are frames the kernel dropped (PACKET_STATISTICS).
set -eu
BIN=${1:-./bench/afpacket_bench}
SECS=${SECS:-1.5}
REPS=${REPS:-5}
CPU_DEV=${CPU_DEV:-0}
CPU_PEER=${CPU_PEER:-1}
RXMODES=${RXMODES-ms v3:1 v3:8}
TX=${TX-1}
PP=${PP-1}
P=skm$$
A=${P}s
B=${P}c
tmp=$(mktemp -d /tmp/skbos-modes.XXXXXX)
PEER=

. "$(dirname "$0")/lib.sh"

cleanup() {
	[ -n "$PEER" ] && kill "$PEER" 2>/dev/null
	bench_netns_del
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || { echo "afpacket_modes.sh: needs root" >&2; exit 1; }
[ -x "$BIN" ] || { echo "afpacket_modes.sh: no $BIN (make bench/afpacket_bench)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "afpacket_modes.sh: needs taskset" >&2; exit 1; }
bench_netns || exit 1
macA=$MAC_S
macB=$MAC_C
inA() { ip netns exec "$A" taskset -c "$CPU_DEV" "$BIN" "$@"; }
inB() { ip netns exec "$B" taskset -c "$CPU_PEER" "$BIN" "$@"; }
peer_wait() { wait "$PEER" || true; PEER=; }

rx() { # SIZE RXMODE: the generator in B floods A while the device receives
	inB gen "${P}c0" "$1" "$(awk "BEGIN { print $SECS + 1 }")" "$macA" >/dev/null &
	PEER=$!
	sleep 0.3
	inA rx-dev "${P}s0" "$1" "$SECS" 0 "$2" 2>/dev/null | sed "s/^rx-dev/rx-$(echo "$2" | tr : -)/" >>"$tmp/res"
	peer_wait
}

pp() { # RXMODE: ping-pong against the raw echo in B
	inB echo "${P}c0" 64 "$(awk "BEGIN { print $SECS + 1 }")" 2>/dev/null &
	PEER=$!
	sleep 0.3
	inA pp-dev "${P}s0" 64 "$SECS" "$macB" 0 "$1" | sed "s/^pp-dev/pp-$(echo "$1" | tr : -)/" >>"$tmp/pp"
	peer_wait
}

tx() { # SIZE OPTS
	inA tx-dev "${P}s0" "$1" "$SECS" "$macB" "$2" 2>/dev/null |
		sed "s/^tx-dev[^ ]*/tx-bypass-$([ "$2" = 8 ] && echo on || echo off)/" >>"$tmp/res"
}

echo "afpacket receive modes and qdisc bypass, veth, ${SECS}s runs, $REPS repetitions,"
echo "$(nproc) CPUs, $(uname -r); skbos side on CPU $CPU_DEV, kernel side (generator/echo) on CPU $CPU_PEER"
for rep in $(seq "$REPS"); do
	for size in 64 1514; do
		for m in $RXMODES; do rx $size "$m"; done
		[ -z "$TX" ] || { tx $size 0; tx $size 8; }
	done
	[ -z "$PP" ] || for m in $RXMODES; do pp "$m"; done
	printf '.'
done
echo

median() { # column of stdin -> median
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}

printf '\n%-16s %5s %12s %12s %8s\n' mode size "pps(median)" "cpu_us/frm" errors
for key in $(awk '{ print $1 ":" $2 }' "$tmp/res" | sort -u); do
	mode=${key%:*}
	size=${key#*:}
	sel() { awk -v m="$mode" -v s="$size" -v c="$1" '$1 == m && $2 == s { print $c }' "$tmp/res"; }
	printf '%-16s %5s %12s %12s %8s\n' "$mode" "$size" "$(sel 4 | median)" "$(sel 5 | median)" \
		"$(sel 6 | awk '{ s += $1 } END { print s + 0 }')"
done

[ -s "$tmp/pp" ] && printf '\n%-16s %5s %10s %10s %12s %8s %6s\n' mode size rtt_p50_us rtt_p99_us cpu_us/rtt rtts lost
for mode in $(awk '{ print $1 }' "$tmp/pp" 2>/dev/null | sort -u); do
	sel() { awk -v m="$mode" -v c="$1" '$1 == m { print $c }' "$tmp/pp"; }
	printf '%-16s %5s %10s %10s %12s %8s %6s\n' "$mode" 64 "$(sel 4 | median)" "$(sel 5 | median)" \
		"$(sel 6 | median)" "$(sel 3 | median)" "$(sel 7 | awk '{ s += $1 } END { print s + 0 }')"
done
[ -n "${KEEP:-}" ] && cp "$tmp/res" "$tmp/pp" "$KEEP" || true
