#!/bin/bash
# First contact with a stack skbos did not write: skbos (skbos-node on an
# AF_PACKET/io_uring device) on one end of a veth, the Linux kernel on the
# other, in namespaces this test makes and always removes.
#
#  1. Direct veth, the kernel side with its default offloads (TSO, tx
#     checksum): skbos pings the kernel (ARP both ways); the kernel sends
#     1000 pings (0 loss) and 8000-byte pings (fragmented both ways) and an
#     8000-byte UDP datagram (checksum partial on veth; reassembled); the
#     pcap opens in tshark with no malformed or bad-checksum frame.
#  2. Through tests/tools/impair with 10% loss each way: pings are lost,
#     never wrong, from either side.
#
# Needs root and network namespaces: skipped (77) without them, except when
# CI=true, where that is a failure.
set -u
top=${top_builddir:-.}
node=$top/skbos-node
impair=$top/tests/tools/impair
P=skk$$
tmp=$(mktemp -d)
pids=()

. "$(dirname "$0")/lib.sh"
FAIL_TAIL=40

cleanup() {
	kill_pids
	del_netns a b c m d
	rm -rf "$tmp"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || skip "needs root"
command -v ping >/dev/null || skip "ping (iputils-ping) is not installed"
command -v tshark >/dev/null || skip "tshark is not installed"
ip netns add "${P}a" 2>/dev/null || skip "cannot create network namespaces"
[ -x "$node" ] || fail "no $node (run make)"

# (Background processes are started with ip netns exec directly, never
# through this function: $! must be the process itself, not a subshell.)
inns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# Wait (bounded) until skbos-node printed its "up" line.
wait_up() {
	for _ in $(seq 100); do
		grep -q " up on " "$1" && return 0
		sleep 0.05
	done
	fail "skbos-node did not come up ($1)"
}

# Wait (bounded) for process $1 to exit; its status in $rc.
wait_exit() {
	local i
	for i in $(seq 300); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	wait "$1"
	rc=$?
}

# ---- 1. direct veth, default offloads on the kernel side -------------------
veth_pair 10.81.0.1/24

ip netns exec "${P}a" "$node" --if "${P}s" --addr 10.81.0.2/24 --ping 10.81.0.1 --count 20 \
	--interval 10 --size 1000 --duration 120 --pcap "$tmp/direct.pcap" --stats \
	>"$tmp/node1.log" 2>&1 &
pids+=($!)
node1=$!
wait_up "$tmp/node1.log"
for _ in $(seq 100); do
	grep -q "packets transmitted" "$tmp/node1.log" && break
	sleep 0.1
done
grep -q "20 packets transmitted, 20 received, 0 wrong, 0 errors" "$tmp/node1.log" ||
	fail "skbos could not ping the kernel"

inns "${P}b" ping -c 1000 -i 0 -q -W 1 10.81.0.2 >"$tmp/ping1000.log" 2>&1
grep -q "1000 packets transmitted, 1000 received, 0% packet loss" "$tmp/ping1000.log" ||
	fail "1000 pings from the kernel: $(tail -2 "$tmp/ping1000.log")"
inns "${P}b" ping -c 5 -i 0.1 -s 8000 -W 1 10.81.0.2 >"$tmp/ping8000.log" 2>&1
grep -q "5 packets transmitted, 5 received, 0% packet loss" "$tmp/ping8000.log" ||
	fail "8000-byte pings: $(tail -2 "$tmp/ping8000.log")"
# One 8000-byte UDP datagram: bash writes it in one write() to a UDP socket.
inns "${P}b" bash -c 'head -c 8000 /dev/urandom > /dev/udp/10.81.0.2/9999' 2>/dev/null
sleep 0.3
kill -TERM "$node1"
wait_exit "$node1"
[ "$rc" = 0 ] || fail "skbos-node exited with $rc"

stat() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/node1.log"; }
[ "$(stat IcmpInEchos)" -ge 1005 ] || fail "IcmpInEchos $(stat IcmpInEchos)"
# 5 pings and the datagram of 8000 bytes each arrive in 6 fragments.
[ "$(stat IpReasmOKs)" -ge 6 ] || fail "IpReasmOKs $(stat IpReasmOKs): the UDP datagram was not reassembled"
for bad in DropIP_CSUM DropICMP_CSUM DropIP_INHDR DropPKT_TOO_SMALL IpReasmFails; do
	[ -z "$(stat $bad)" ] || fail "$bad: $(stat $bad)"
done
frames=$(tshark -r "$tmp/direct.pcap" 2>/dev/null | wc -l)
badf=$(tshark -r "$tmp/direct.pcap" -o ip.check_checksum:TRUE \
	-Y '_ws.malformed || _ws.expert.severity >= "Error"' 2>/dev/null | wc -l)
[ "$frames" -ge 2000 ] || fail "pcap holds $frames frames"
[ "$badf" = 0 ] || fail "tshark finds $badf malformed or bad-checksum frames: $(tshark -r "$tmp/direct.pcap" \
	-o ip.check_checksum:TRUE -Y '_ws.malformed || _ws.expert.severity >= "Error"' \
	-T fields -e frame.number -e _ws.col.Info -e _ws.expert.message 2>/dev/null | head -5)"
echo "ok: direct veth: 20 pings out, 1000 + 5x8000 pings in, UDP 8000 reassembled, pcap $frames frames clean"

# ---- 2. through the impairment cable, 10% loss each way --------------------
[ -x "$impair" ] || fail "no $impair (run make)"
ip netns add "${P}c"
ip netns add "${P}m"
ip netns add "${P}d"
ip link add "${P}s2" netns "${P}c" type veth peer name "${P}m0" netns "${P}m"
ip link add "${P}k2" netns "${P}d" type veth peer name "${P}m1" netns "${P}m"
for e in c:s2 m:m0 m:m1 d:k2; do
	inns "$P${e%%:*}" ip link set "$P${e#*:}" up
done
# The cable forwards frames as they are: MTU-sized, checksums finished.
inns "${P}d" ethtool -K "${P}k2" tx off >/dev/null 2>&1
inns "${P}d" ip addr add 10.82.0.1/24 dev "${P}k2"
ip netns exec "${P}m" "$impair" --a "${P}m0" --b "${P}m1" --ab drop=10% --ba drop=10% --seed 3 \
	--duration 120 --ready "$tmp/impair.ready" >"$tmp/impair.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	[ -e "$tmp/impair.ready" ] && break
	sleep 0.05
done
[ -e "$tmp/impair.ready" ] || fail "the impairment cable did not start"

ip netns exec "${P}c" "$node" --if "${P}s2" --addr 10.82.0.2/24 --ping 10.82.0.1 --count 100 \
	--interval 5 --timeout 300 --size 200 --duration 120 --stats >"$tmp/node2.log" 2>&1 &
pids+=($!)
node2=$!
wait_up "$tmp/node2.log"
for _ in $(seq 300); do
	grep -q "packets transmitted" "$tmp/node2.log" && break
	sleep 0.1
done
line=$(grep "packets transmitted" "$tmp/node2.log")
recv=$(echo "$line" | awk '{print $4}')
echo "$line" | grep -q " 0 wrong, 0 errors" || fail "skbos under loss: $line"
[ "$recv" -ge 50 ] && [ "$recv" -le 99 ] || fail "skbos under 10% loss each way received $recv of 100"

inns "${P}d" ping -c 200 -i 0.01 -W 1 -s 1200 10.82.0.2 >"$tmp/pingloss.log" 2>&1
grep -qi "wrong\|DUP\|corrupt" "$tmp/pingloss.log" && fail "wrong replies under loss"
krecv=$(awk '/packets transmitted/ {print $4}' "$tmp/pingloss.log")
[ "${krecv:-0}" -ge 100 ] && [ "$krecv" -le 199 ] ||
	fail "kernel under 10% loss each way received ${krecv:-0} of 200"
kill -TERM "$node2"
wait_exit "$node2"
echo "ok: 10% loss each way: skbos $recv/100, kernel $krecv/200, none wrong"
exit 0
