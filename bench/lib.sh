# Shared by the bench scripts (sourced, never run; POSIX sh): two network
# namespaces joined by one veth pair, named after the caller's $P (which
# carries its PID, so runs never collide), and their removal.
#
#   bench_netns          make ${P}s and ${P}c, veth ${P}s0 (in ${P}s) <->
#                        ${P}c0 (in ${P}c), both up, lo up, IPv6 off (no
#                        router solicitations or DAD frames in the figures);
#                        sets $MAC_S and $MAC_C, the two ends' MACs
#   bench_netns_del      end every process left in the two namespaces (they
#                        are this run's: nothing else enters them) and
#                        remove them
#   bench_need CMD...    stop with a line naming what is missing

bench_netns() {
	for ns in "${P}s" "${P}c"; do
		ip netns add "$ns" || return 1
		ip netns exec "$ns" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6;
			echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6'
		ip -n "$ns" link set lo up
	done
	ip link add "${P}s0" netns "${P}s" type veth peer name "${P}c0" netns "${P}c" || return 1
	ip -n "${P}s" link set "${P}s0" up
	ip -n "${P}c" link set "${P}c0" up
	MAC_S=$(ip netns exec "${P}s" cat "/sys/class/net/${P}s0/address")
	MAC_C=$(ip netns exec "${P}c" cat "/sys/class/net/${P}c0/address")
}

bench_netns_del() {
	for ns in "${P}s" "${P}c"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

bench_need() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || {
			echo "bench: $c is not installed (bash scripts/deps.sh --bench)" >&2
			exit 1
		}
	done
}
