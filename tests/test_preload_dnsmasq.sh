#!/bin/bash
# dnsmasq with its default configuration under skbos-run answers 1,000 DNS
# queries over UDP and 1,000 over TCP from the kernel side (issue 19's
# acceptance), over a veth pair between two namespaces this test makes and
# removes.  The skbos end has no kernel IPv4 address, so dnsmasq's wildcard
# mode depends on what skbos gives it: the destination address in
# IP_PKTINFO (UDP), IP_PKTOPTIONS and skbos's address in its NETLINK_ROUTE
# address dump (TCP: dnsmasq checks the connection's local address against
# its interfaces).  The names come from /etc/hosts, as dnsmasq reads it by
# default: `ip netns exec` shows the namespace's own hosts file there
# (/etc/netns/NS/hosts, made and removed here): 1,000 names, each with an
# address of its own, and every answer must be exactly its name's address.
# -d (no daemon) keeps dnsmasq in the foreground, in one process (a forked
# child has a fresh stack, DESIGN.md); nothing else is configured.
# Needs root, dnsmasq and dig: skipped (77) without them, except under
# CI=true (a failure).
set -u
P=skd$$
tmp=$(mktemp -d)
pids=()
. "$(dirname "$0")/lib.sh"
FAIL_TAIL=15
preload_test
need_progs dnsmasq dig
K=10.94.0.1 S=10.94.0.2
veth_netns "$K/24"
hostsdir=/etc/netns/${P}a
trap 'rm -rf "$hostsdir"; preload_test_cleanup' EXIT
mkdir -p "$hostsdir"
{
	echo "127.0.0.1 localhost"
	for i in $(seq 0 999); do echo "10.200.$((i / 250)).$((i % 250 + 1)) h$i.test"; done
} >"$hostsdir/hosts"
awk '$2 != "localhost" { print $2 }' "$hostsdir/hosts" >"$tmp/names"
awk '$2 != "localhost" { print $1 }' "$hostsdir/hosts" >"$tmp/want"

ip netns exec "${P}a" timeout 300 "$run" --if "${P}s" --addr "$S/24" -- dnsmasq -d \
	>"$tmp/dnsmasq.log" 2>&1 &
pids+=($!)
inb=(ip netns exec "${P}b")
wait_until 100 sh -c "${inb[*]} dig +short +time=1 +tries=1 @$S h0.test | grep -qx 10.200.0.1" ||
	fail "dnsmasq under skbos does not answer over UDP"
for proto in udp tcp; do
	opt=+notcp
	[ $proto = tcp ] && opt=+tcp
	"${inb[@]}" timeout 240 dig +short +time=2 +tries=3 $opt @"$S" -f "$tmp/names" A \
		>"$tmp/got.$proto" 2>"$tmp/dig-$proto.log"
	n=$(grep -c . "$tmp/got.$proto")
	cmp -s "$tmp/want" "$tmp/got.$proto" ||
		fail "over $proto: $n answers, not the 1000 addresses of the names, in order ($(diff "$tmp/want" "$tmp/got.$proto" | head -3 | tr '\n' ' '))"
	echo "over $proto: 1000 queries, 1000 right answers"
done
grep -q "read /etc/hosts - 1001 names" "$tmp/dnsmasq.log" || fail "dnsmasq did not read the test's hosts file"
echo "PASS: dnsmasq under skbos answered 1000 UDP and 1000 TCP queries from the kernel side"
