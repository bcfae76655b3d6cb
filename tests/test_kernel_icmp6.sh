#!/bin/bash
# IPv6 against the kernel: skbos (skbos-node on an AF_PACKET/io_uring
# device) on one end of a veth, the Linux kernel on the other, in
# namespaces this test makes and always removes.
#
#  1. Neighbour Discovery both ways: the kernel resolves skbos's address
#     (its NS, skbos's NA), and skbos re-confirms the kernel's (its own
#     unicast NS from PROBE, the kernel's solicited NA), seen in the pcap.
#  2. The kernel pings6 skbos 1000 times with 0 loss, then with 8000-byte
#     echoes: fragmented by the kernel and reassembled by skbos, and the
#     replies fragmented by skbos and reassembled by the kernel.
#  3. UDP over IPv6: the kernel's udpecho client sends 10,000 datagrams
#     (1..1472 bytes, some 8000: fragmented both ways) to an skbos udpecho
#     server (native API, AF_INET6), which echoes each; every echo is
#     checked byte for byte by the kernel side.
#  4. DAD: skbos configured with an address the kernel already has says
#     "duplicate address ... used by MAC detected!" and never declares it
#     unique.
#
# Needs root and network namespaces: skipped (77) without them, except when
# CI=true, where that is a failure.
set -u
top=${top_builddir:-.}
node=$top/skbos-node
echo_tool=$top/tests/tools/udpecho
P=sk6$$
tmp=$(mktemp -d)
pids=()

. "$(dirname "$0")/lib.sh"
FAIL_TAIL=40

cleanup() {
	kill_pids
	del_netns a b
	rm -rf "$tmp"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || skip "needs root"
command -v ping >/dev/null || skip "ping (iputils-ping) is not installed"
command -v tshark >/dev/null || skip "tshark is not installed"
ip netns add "${P}a" 2>/dev/null || skip "cannot create network namespaces"
[ -x "$node" ] || fail "no $node (run make)"

inns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

wait_log() { # FILE PATTERN TENTHS
	for _ in $(seq "$3"); do
		grep -q "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

wait_exit() {
	local i
	for i in $(seq 300); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	wait "$1"
	rc=$?
}

veth_pair 10.86.0.1/24
# skbos's side: the namespace's own kernel keeps out of IPv6 on the veth
# (it would otherwise own the same EUI-64 link-local address as skbos).
inns "${P}a" sysctl -qw "net.ipv6.conf.${P}s.disable_ipv6=1"
inns "${P}b" ip -6 addr add fd00:86::1/64 dev "${P}k" nodad
smac=$(inns "${P}a" cat "/sys/class/net/${P}s/address")
kmac=$(inns "${P}b" cat "/sys/class/net/${P}k/address")

# ---- 1 and 2: ND, 1000 pings, fragmented pings -----------------------------
ip netns exec "${P}a" "$node" --if "${P}s" --addr 10.86.0.2/24 --addr6 fd00:86::2/64 \
	--duration 120 --pcap "$tmp/v6.pcap" --log info --stats >"$tmp/node1.log" 2>&1 &
pids+=($!)
node1=$!
wait_log "$tmp/node1.log" "fd00:86::2 is unique" 50 || fail "DAD did not finish for fd00:86::2"

inns "${P}b" ping -6 -c 1000 -i 0.005 -q -W 1 fd00:86::2 >"$tmp/ping1000.log" 2>&1
grep -q "1000 packets transmitted, 1000 received, 0% packet loss" "$tmp/ping1000.log" ||
	fail "1000 pings6 from the kernel: $(tail -2 "$tmp/ping1000.log")"
inns "${P}b" ping -6 -c 5 -i 0.1 -s 8000 -W 1 fd00:86::2 >"$tmp/ping8000.log" 2>&1
grep -q "5 packets transmitted, 5 received, 0% packet loss" "$tmp/ping8000.log" ||
	fail "8000-byte pings6: $(tail -2 "$tmp/ping8000.log")"
lladdr=$(inns "${P}b" ip -6 neigh show fd00:86::2 dev "${P}k" | awk '{print $3}')
[ "$lladdr" = "$smac" ] || fail "the kernel resolved fd00:86::2 to '$lladdr', not $smac"
kill -TERM "$node1"
wait_exit "$node1"
[ "$rc" = 0 ] || fail "skbos-node exited with $rc"

stat() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/node1.log"; }
[ "$(stat Icmp6InEchos)" -ge 1005 ] || fail "Icmp6InEchos $(stat Icmp6InEchos)"
# 5 echoes of 8000 bytes arrive in 6 fragments each, and leave in 6.
[ "$(stat Ip6ReasmOKs)" -ge 5 ] || fail "Ip6ReasmOKs $(stat Ip6ReasmOKs)"
[ "$(stat Ip6FragCreates)" -ge 30 ] || fail "Ip6FragCreates $(stat Ip6FragCreates)"
for bad in Ip6ReasmFails Ip6InHdrErrors Icmp6InErrors Icmp6InCsumErrors DropIPV6_NDISC_BAD; do
	[ -z "$(stat $bad)" ] || [ "$(stat $bad)" = 0 ] || fail "$bad: $(stat $bad)"
done
# ND the other way: skbos's own solicitation for the kernel, answered.
ns=$(tshark -r "$tmp/v6.pcap" -Y "icmpv6.type == 135 && eth.src == $smac && icmpv6.nd.ns.target_address == fd00:86::1" 2>/dev/null | wc -l)
na=$(tshark -r "$tmp/v6.pcap" -Y "icmpv6.type == 136 && eth.src == $kmac && icmpv6.nd.na.target_address == fd00:86::1 && icmpv6.nd.na.flag.s == 1" 2>/dev/null | wc -l)
[ "$ns" -ge 1 ] && [ "$na" -ge 1 ] || fail "skbos's NS for the kernel: $ns sent, $na answered"
badf=$(tshark -r "$tmp/v6.pcap" -Y '_ws.malformed || _ws.expert.severity >= "Error"' 2>/dev/null | wc -l)
[ "$badf" = 0 ] || fail "tshark finds $badf malformed frames: $(tshark -r "$tmp/v6.pcap" \
	-Y '_ws.malformed || _ws.expert.severity >= "Error"' -T fields -e frame.number \
	-e _ws.col.Info -e _ws.expert.message 2>/dev/null | head -5)"
echo "ok: ND both ways ($ns NS from skbos answered), 1000 + 5x8000 pings6, $(stat Ip6ReasmOKs) reassembled, $(stat Ip6FragCreates) fragments sent"

# ---- 3. UDP/IPv6: kernel client, skbos echo server ----------------------------
ip netns exec "${P}a" env SKBOS_IF="${P}s" SKBOS_ADDR=10.86.0.2/24 SKBOS_ADDR6=fd00:86::2/64 \
	timeout 120 "$echo_tool" --ipv6 server 9600 10000 >"$tmp/udp6.log" 2>&1 &
srv=$!
pids+=($srv)
# DAD first: until skbos's address answers, the kernel's datagrams would be lost
up=
for _ in $(seq 50); do
	inns "${P}b" ping -6 -c 1 -W 1 fd00:86::2 >/dev/null 2>&1 && up=1 && break
done
[ -n "$up" ] || fail "the udpecho server's address never answered: $(tail -2 "$tmp/udp6.log")"
inns "${P}b" timeout 120 "$echo_tool" --kernel --ipv6 client fd00:86::2 9600 10000 \
	>"$tmp/kudp6.log" 2>&1 || fail "kernel client: $(tail -1 "$tmp/kudp6.log")"
grep -q "10000 sent, 10000 echoed intact, 0 wrong, 0 lost" "$tmp/kudp6.log" ||
	fail "kernel client: $(tail -1 "$tmp/kudp6.log")"
wait "$srv" || fail "skbos udpecho server failed: $(tail -2 "$tmp/udp6.log")"
echo "ok: UDP/IPv6 $(tail -1 "$tmp/kudp6.log") (kernel -> skbos -> kernel)"

# ---- 4. DAD finds the kernel's fd00:86::3 ------------------------------------
inns "${P}b" ip -6 addr add fd00:86::3/64 dev "${P}k" nodad
inns "${P}b" ip -6 neigh flush dev "${P}k"
ip netns exec "${P}a" "$node" --if "${P}s" --addr 10.86.0.2/24 --addr6 fd00:86::3/64 \
	--duration 60 --log info >"$tmp/node2.log" 2>&1 &
pids+=($!)
node2=$!
wait_log "$tmp/node2.log" "duplicate address fd00:86::3 used by $kmac detected" 50 ||
	fail "DAD did not detect the kernel's fd00:86::3"
grep -q "fd00:86::3 is unique" "$tmp/node2.log" && fail "a duplicate address was declared unique"
kill -TERM "$node2"
wait_exit "$node2"
echo "ok: DAD detected the duplicate fd00:86::3 (held by $kmac)"
exit 0
