#!/usr/bin/env bash
# skbos's main job, as far as it exists today (run as root on Debian 12).
#
# The goal (the LD_PRELOAD shim issue): an unmodified program running its
# sockets on skbos over a veth pair, side by side with the kernel stack.
# Until the shim lands, the best real thing is this: skbos-node brings an
# skbos stack up on one end of a veth pair this script creates (AF_PACKET +
# io_uring), and the Linux kernel's own unmodified `ping` talks to it from
# the other end: ARP, ICMP echo, fragmentation both ways.  The same pings go
# to a kernel address over an identical veth pair, for a side-by-side.
#
# Everything lives in namespaces named after this script's PID and is
# removed on exit, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p build && cd build
[ -f Makefile ] || ../configure >/dev/null
make -j"$(nproc)" >/dev/null

P=skd$$
node_pid=
cleanup() {
	[ -n "$node_pid" ] && kill -TERM "$node_pid" 2>/dev/null && sleep 0.3
	for ns in "${P}s" "${P}k" "${P}p"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

# ns P s: skbos (no kernel address on its veth end); ns P k: a kernel host;
# ns P p: the pinging kernel, with one veth to each.
for ns in "${P}s" "${P}k" "${P}p"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip link add "${P}a" netns "${P}p" type veth peer name "${P}b" netns "${P}s"
ip link add "${P}c" netns "${P}p" type veth peer name "${P}d" netns "${P}k"
for l in p:a s:b p:c k:d; do ip -n "$P${l%%:*}" link set "$P${l#*:}" up; done
ip -n "${P}p" addr add 10.91.0.1/24 dev "${P}a"
ip -n "${P}p" addr add 10.92.0.1/24 dev "${P}c"
ip -n "${P}k" addr add 10.92.0.2/24 dev "${P}d"

log=$(mktemp)
ip netns exec "${P}s" ./skbos-node --if "${P}b" --addr 10.91.0.2/24 --duration 300 --stats >"$log" 2>&1 &
node_pid=$!
for _ in $(seq 100); do grep -q " up on " "$log" && break; sleep 0.05; done
echo "skbos $(./skbos-node --help >/dev/null; grep PACKAGE_VERSION config.h | cut -d'"' -f2): $(head -1 "$log")"
echo

rtt() { # ns target count size -> "loss% avg_us"
	ip netns exec "$1" ping -q -c "$3" -i 0 -s "$4" -W 1 "$2" 2>/dev/null |
		awk -F'[ /,%]+' '/packet loss/ {for (i=1;i<=NF;i++) if ($i=="packet") loss=$(i-1)}
			/^rtt/ {avg=$8} END {printf "%s%% %.1f", loss, avg*1000}'
}

printf "%-28s %-22s %-22s %s\n" "kernel ping (1000 each)" "to the kernel" "to skbos" "skbos/kernel"
for size in 56 1400 8000; do
	read -r kl ka <<<"$(rtt "${P}p" 10.92.0.2 1000 "$size")"
	read -r sl sa <<<"$(rtt "${P}p" 10.91.0.2 1000 "$size")"
	printf "%-28s %-22s %-22s %.2f\n" "$size-byte echo, avg RTT" "$ka us (loss $kl)" "$sa us (loss $sl)" \
		"$(awk -v a="$sa" -v b="$ka" 'BEGIN { print (b > 0 ? a / b : 0) }')"
done
echo
echo "(both paths: one veth hop, blocking ping, no CPU pinning; 8000-byte echoes are fragmented both ways)"
kill -TERM "$node_pid"
wait "$node_pid" || true
node_pid=
echo
echo "skbos counters:"
sed -n '/^Ip\|^Icmp\|^ArpExt\|^Drop/p' "$log" | sed 's/^/  /'
rm -f "$log"
