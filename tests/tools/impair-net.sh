#!/bin/sh
# impair-net.sh - the topology for tests/tools/impair:
#
#   ns PREFIXa [PREFIXa0 10.78.0.1] <-veth-> [PREFIXm0] ns PREFIXm [PREFIXm1]
#       <-veth-> [PREFIXb0 10.78.0.2] ns PREFIXb
#
#   impair-net.sh up PREFIX     build it (PREFIX: at most 10 characters,
#                               unique, e.g. "ski$$"); fails if any part fails
#   impair-net.sh down PREFIX   remove it (always succeeds; safe to repeat)
#
# The middle namespace has no addresses: its kernel ignores the frames and
# only the impair cable forwards them.  On the ends, offloads are off so that
# frames are MTU-sized with finished checksums (the cable forwards frames as
# they are, and a corrupted one must be caught by the receiving kernel), IPv6
# is off (no stray frames) and neighbours are static (no ARP through the
# cable, so "every Nth frame" counts test traffic only).
set -eu
cmd=${1:-}
P=${2:-}
[ -n "$cmd" ] && [ -n "$P" ] && [ ${#P} -le 10 ] || {
	echo "usage: impair-net.sh up|down PREFIX (at most 10 characters)" >&2
	exit 2
}

down() {
	for ns in "${P}a" "${P}m" "${P}b"; do
		ip netns del "$ns" 2>/dev/null || true
	done
}

inns() {
	ns=$1
	shift
	ip netns exec "$ns" "$@"
}

noipv6() {
	inns "$1" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 &&
		echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6'
}

mac() {
	inns "$1" cat "/sys/class/net/$2/address"
}

up() {
	trap down EXIT
	for ns in "${P}a" "${P}m" "${P}b"; do
		ip netns add "$ns"
		noipv6 "$ns"
		inns "$ns" ip link set lo up
	done
	ip link add "${P}a0" netns "${P}a" type veth peer name "${P}m0" netns "${P}m"
	ip link add "${P}b0" netns "${P}b" type veth peer name "${P}m1" netns "${P}m"
	for end in a:a0 m:m0 m:m1 b:b0; do
		ns=$P${end%%:*}
		dev=$P${end#*:}
		inns "$ns" ethtool -K "$dev" rx off tx off >/dev/null 2>&1 ||
			inns "$ns" ethtool -K "$dev" tx off >/dev/null
		inns "$ns" ip link set "$dev" up
	done
	inns "${P}a" ip addr add 10.78.0.1/24 dev "${P}a0"
	inns "${P}b" ip addr add 10.78.0.2/24 dev "${P}b0"
	inns "${P}a" ip neigh add 10.78.0.2 lladdr "$(mac "${P}b" "${P}b0")" dev "${P}a0" nud permanent
	inns "${P}b" ip neigh add 10.78.0.1 lladdr "$(mac "${P}a" "${P}a0")" dev "${P}b0" nud permanent
	trap - EXIT
}

case "$cmd" in
up) up ;;
down) down ;;
*) echo "impair-net.sh: unknown command $cmd" >&2; exit 2 ;;
esac
