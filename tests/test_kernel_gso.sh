#!/bin/bash
# skbos's TCP super-packets on a real kernel, over a veth pair in namespaces
# this test makes and removes.  skbos (tests/tools/tcpbulk) sends 8 MB to a
# kernel socat; skbos's own pcap tap must show super-packets (frames beyond
# the MTU, handed to the kernel with a virtio_net_hdr), and the kernel side,
# whose veth has its offloads off so the kernel cuts them in software before
# the wire, must see only MTU-sized frames with valid checksums (tshark
# checks every one skbos sent: the kernel's own ACKs leave with their
# checksums still to fill), and the bytes must arrive intact (sha256).  Then the
# same with SKBOS_OFFLOAD=none: no super-packets, the same clean wire.
# Needs root: skipped (77) without it, except under CI=true (a failure).
set -u
top=${top_builddir:-.}
tool=$top/tests/tools/tcpbulk
P=skg$$
tmp=$(mktemp -d)
pids=()
. "$(dirname "$0")/lib.sh"
FAIL_TAIL=5
cleanup() {
	kill_pids
	del_netns a b
	rm -rf "$tmp"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || skip "needs root"
for c in socat tcpdump tshark ethtool; do command -v $c >/dev/null || skip "$c is not installed"; done
ip netns add "${P}a" 2>/dev/null || skip "cannot create network namespaces"
[ -x "$tool" ] || fail "no $tool (run make)"

veth_pair 10.89.0.1/24
ip netns exec "${P}a" ethtool -K "${P}s" tx off tso off gso off >/dev/null ||
	fail "ethtool cannot turn ${P}s's offloads off"
head -c 8000000 /dev/urandom >"$tmp/data"
want=$(sha256sum "$tmp/data" | cut -d' ' -f1)

# run OFFLOAD: send, capture both sides, check them
run() {
	local off=$1 kp="$tmp/kernel-$1.pcap" sp="$tmp/skbos-$1.pcap" got bad big n
	ip netns exec "${P}b" timeout 120 tcpdump -U -i "${P}k" -s 128 -w "$kp" tcp port 9000 \
		2>"$tmp/tcpdump-$off.log" &
	pids+=($!)
	for _ in $(seq 100); do grep -q "listening" "$tmp/tcpdump-$off.log" && break; sleep 0.05; done
	ip netns exec "${P}b" timeout 120 socat -u TCP-LISTEN:9000,reuseaddr STDOUT 2>"$tmp/socat.log" |
		sha256sum | cut -d' ' -f1 >"$tmp/sum-$off" &
	for _ in $(seq 200); do
		ip netns exec "${P}b" ss -Htln "sport = :9000" | grep -q . && break
		sleep 0.05
	done
	ip netns exec "${P}a" env SKBOS_IF="${P}s" SKBOS_ADDR=10.89.0.2/24 SKBOS_OFFLOAD="$off" \
		SKBOS_PCAP="$sp" timeout 120 "$tool" send 10.89.0.1 9000 "$tmp/data" \
		2>"$tmp/send-$off.log" || fail "skbos send (offload $off)"
	for _ in $(seq 300); do [ -s "$tmp/sum-$off" ] && break; sleep 0.1; done
	got=$(cat "$tmp/sum-$off")
	[ "$got" = "$want" ] || fail "offload $off: sha256 $got, want $want"
	sleep 1 # tcpdump drains its ring before it is stopped
	kill -INT "${pids[-1]}" 2>/dev/null
	wait "${pids[-1]}" 2>/dev/null
	unset 'pids[-1]'

	n=$(tshark -r "$kp" -Y "tcp.len > 0" 2>/dev/null | wc -l)
	big=$(tshark -r "$kp" -Y "tcp.len > 1460" 2>/dev/null | wc -l)
	bad=$(tshark -r "$kp" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
		-Y "ip.src == 10.89.0.2 && (tcp.checksum.status == 0 || ip.checksum.status == 0)" \
		2>/dev/null | wc -l)
	[ "$n" -ge 5400 ] || fail "offload $off: the kernel saw $n data frames for 8 MB"
	[ "$big" = 0 ] || fail "offload $off: $big frames beyond the MSS reached the kernel's wire"
	[ "$bad" = 0 ] || fail "offload $off: $bad frames with a bad checksum on the wire"
	big=$(tshark -r "$sp" -Y "ip.src == 10.89.0.2 && frame.len > 1514" 2>/dev/null | wc -l)
	if [ "$off" = none ]; then
		[ "$big" = 0 ] || fail "SKBOS_OFFLOAD=none: skbos still sent $big super-packets"
	else
		[ "$big" -gt 0 ] || fail "offload $off: skbos sent no super-packet"
	fi
	echo "ok: offload $off: $n MSS frames on the kernel's wire, all checksums valid," \
		"$big super-packets from skbos, sha256 matches"
}

run all
run none
exit 0
