#!/bin/sh
# afpacket.sh - skbos's AF_PACKET/io_uring device vs a plain raw AF_PACKET
# socket (sendmmsg/recvmmsg), 64 and 1514-byte frames, transmit and receive,
# on a veth pair between two namespaces this script makes and removes.
# Runs alternate device / raw (A B A B ...) and the report gives medians and
# the device/raw ratio.  Not a test: numbers, not pass/fail.
#
#   bench/afpacket.sh [PATH/TO/afpacket_bench]     (root)
#   SECS=1.5 REPS=5 to change the run length and repetitions.
set -eu
BIN=${1:-./bench/afpacket_bench}
SECS=${SECS:-1.5}
REPS=${REPS:-5}
P=skb$$
A=${P}s
B=${P}c
tmp=$(mktemp -d /tmp/skbos-bench.XXXXXX)
GEN=

. "$(dirname "$0")/lib.sh"

cleanup() {
	[ -n "$GEN" ] && kill "$GEN" 2>/dev/null
	bench_netns_del
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" = 0 ] || { echo "afpacket.sh: needs root" >&2; exit 1; }
[ -x "$BIN" ] || { echo "afpacket.sh: no $BIN (make bench/afpacket_bench)" >&2; exit 1; }
bench_netns || exit 1
macA=$MAC_S
macB=$MAC_C

rx() { # MODE SIZE [OPTS]: a raw generator in B floods A while MODE receives
	ip netns exec "$B" "$BIN" gen "${P}c0" "$2" "$(awk "BEGIN { print $SECS + 1 }")" "$macA" >/dev/null &
	GEN=$!
	sleep 0.3
	ip netns exec "$A" "$BIN" "$1" "${P}s0" "$2" "$SECS" ${3:-} >>"$tmp/res" 2>/dev/null
	wait "$GEN" || true
	GEN=
}

echo "device vs raw AF_PACKET, veth, ${SECS}s runs, $REPS repetitions, $(nproc) CPUs, $(uname -r)"
for size in 64 1514; do
	for rep in $(seq "$REPS"); do
		ip netns exec "$A" "$BIN" tx-dev "${P}s0" $size "$SECS" "$macB" >>"$tmp/res" 2>>"$tmp/err"
		ip netns exec "$A" "$BIN" tx-raw "${P}s0" $size "$SECS" "$macB" >>"$tmp/res"
		if [ $size = 64 ]; then
			# io_uring without DEFER_TASKRUN, registered file or ring fd.
			ip netns exec "$A" "$BIN" tx-dev "${P}s0" $size "$SECS" "$macB" 7 >>"$tmp/res" 2>/dev/null
		fi
		rx rx-dev $size
		rx rx-raw $size
		[ $size = 64 ] && rx rx-dev $size 7
		printf '.'
	done
done
echo

# mode size frames pps cpu_us errors -> medians per (mode, size)
sort -k1,1 -k2,2n -k4,4n "$tmp/res" | awk '
	{ k = $1 " " $2; n[k]++; pps[k, n[k]] = $4; cpu[k, n[k]] = $5; err[k] += $6 }
	END {
		for (k in n) {
			m = int((n[k] + 1) / 2)
			# cpu values are not sorted: pick the median separately
			c = 0; for (i = 1; i <= n[k]; i++) v[++c] = cpu[k, i]
			for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			printf "%s %.0f %.3f %d\n", k, pps[k, m], v[m], err[k]
		}
	}' | sort -k2,2n -k1,1 >"$tmp/med"

printf '%-12s %5s %12s %12s %10s\n' mode size "pps(median)" "cpu_us/frm" errors
while read -r mode size pps cpu err; do
	printf '%-12s %5s %12s %12s %10s\n' "$mode" "$size" "$pps" "$cpu" "$err"
done <"$tmp/med"
echo
for size in 64 1514; do
	for dir in tx rx; do
		awk -v s=$size -v d=$dir '
			$2 == s && $1 == d "-dev" { dev = $3; devc = $4 }
			$2 == s && $1 == d "-raw" { raw = $3; rawc = $4 }
			END { if (raw > 0) printf "%s %4d B: device/raw pps = %.2f  (cpu/frame device %.3f us, raw %.3f us)\n", d, s, dev / raw, devc, rawc }' "$tmp/med"
	done
done
[ -s "$tmp/err" ] && { echo; sort "$tmp/err" | uniq -c | sort -rn | head -3; } || true
