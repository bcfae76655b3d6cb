#!/bin/bash
# skbos's address is visible to the program as if the kernel had it (issue
# 19): getaddrinfo with and without AI_ADDRCONFIG (AF_UNSPEC, AF_INET,
# AF_INET6) for "localhost" and for the address's own name, getifaddrs's
# IPv4 entries, and `ip addr` (NETLINK_ROUTE dumps, IPv4 and all families) inside the
# program.
# The same unmodified programs run in two namespaces: ${P}a, where only
# skbos (skbos-run on the veth ${P}s) has $S, and ${P}c, where the kernel
# has $S on an interface of the same name; every answer must be the same
# (ifindex numbers aside, which differ between namespaces).  A kernel
# program in ${P}a must not see $S: nothing changes outside skbos.  The
# name comes from each namespace's hosts file (/etc/netns/NS/hosts, which
# `ip netns exec` shows as /etc/hosts; made and removed here, with a
# resolv.conf naming no server that answers).  IPv6 is off
# on the test interfaces, so the answers do not depend on link-local
# addresses' duplicate detection.
# Needs root: skipped (77) without it, except under CI=true (a failure).
set -u
P=skv$$
tmp=$(mktemp -d)
pids=()
. "$(dirname "$0")/lib.sh"
preload_test
probe=$B/tests/tools/addrprobe
[ -x "$probe" ] || fail "$probe not built"
K=10.93.0.1 S=10.93.0.2
veth_netns "$K/24"
cleanup() {
	ip netns del "${P}c" 2>/dev/null
	rm -rf "/etc/netns/${P}a" "/etc/netns/${P}c"
	preload_test_cleanup
}
trap cleanup EXIT
ip netns add "${P}c" || fail "cannot create ${P}c"
ip -n "${P}c" link add "${P}s" type veth peer name "${P}t" || fail "veth in ${P}c"
ip -n "${P}c" addr add "$S/24" brd + dev "${P}s" # as skbos has it: with its broadcast
for l in lo "${P}s" "${P}t"; do ip -n "${P}c" link set "$l" up; done
for ns in a c; do
	ip netns exec "$P$ns" sysctl -qw "net.ipv6.conf.${P}s.disable_ipv6=1"
	mkdir -p "/etc/netns/$P$ns"
	printf '127.0.0.1 localhost\n%s h19.test\n' "$S" >"/etc/netns/$P$ns/hosts"
	# no DNS server answers: a name not in hosts fails at once, the same way in both
	echo "nameserver 127.0.0.1" >"/etc/netns/$P$ns/resolv.conf"
done
ip netns exec "${P}c" sysctl -qw "net.ipv6.conf.${P}t.disable_ipv6=1"

# getifaddrs's lo and ${P}s entries (the kernel's ${P}t in c has no IPv4)
ip netns exec "${P}c" "$probe" localhost h19.test >"$tmp/kernel.out" 2>&1 || fail "probe on the kernel"
ip netns exec "${P}a" timeout 60 "$run" --if "${P}s" --addr "$S/24" -- "$probe" localhost h19.test \
	>"$tmp/skbos.out" 2>&1 || fail "probe under skbos: $(cat "$tmp/skbos.out")"
ip netns exec "${P}a" "$probe" localhost h19.test >"$tmp/outside.out" 2>&1
grep -q "h19.test inet AI_ADDRCONFIG: $S" "$tmp/kernel.out" || fail "the kernel's answer lacks $S: $(cat "$tmp/kernel.out")"
diff "$tmp/kernel.out" "$tmp/skbos.out" >"$tmp/diff.log" || fail "skbos differs from the kernel (< kernel, > skbos): $(cat "$tmp/diff.log")"
grep -q "$S" "$tmp/outside.out" && grep -q "getifaddrs ${P}s" "$tmp/outside.out" &&
	fail "a kernel program in ${P}a sees skbos's address"
echo "getaddrinfo/getifaddrs: $(grep -c . "$tmp/kernel.out") lines, the same under skbos as on the kernel:"
sed 's/^/  /' "$tmp/skbos.out"
echo "a kernel program beside it (no skbos) sees, where they differ:"
diff "$tmp/kernel.out" "$tmp/outside.out" | sed -n 's/^> /  /p'

# ip addr inside the program: its netlink dump shows the address as the kernel's would
strip() { sed -E 's/^[0-9]+: //; s/@[^ ]+//'; }
ip -n "${P}c" -4 -o addr show dev "${P}s" | strip >"$tmp/ip.kernel"
ip netns exec "${P}a" timeout 60 "$run" --if "${P}s" --addr "$S/24" -- ip -4 -o addr show dev "${P}s" |
	strip >"$tmp/ip.skbos"
ip netns exec "${P}a" ip -4 -o addr show dev "${P}s" | strip >"$tmp/ip.outside"
grep -q "inet $S/24" "$tmp/ip.kernel" || fail "ip addr on the kernel: $(cat "$tmp/ip.kernel")"
cmp -s "$tmp/ip.kernel" "$tmp/ip.skbos" || fail "ip addr: kernel '$(cat "$tmp/ip.kernel")', skbos '$(cat "$tmp/ip.skbos")'"
[ -s "$tmp/ip.outside" ] && fail "ip addr outside skbos shows: $(cat "$tmp/ip.outside")"
echo "ip -4 addr: $(cat "$tmp/ip.skbos")"
# every family in one dump (AF_UNSPEC): skbos's address where the kernel puts it
ip -n "${P}c" -o addr show | grep -v "${P}t" | strip >"$tmp/all.kernel"
ip netns exec "${P}a" timeout 60 "$run" --if "${P}s" --addr "$S/24" -- ip -o addr show | strip >"$tmp/all.skbos"
cmp -s "$tmp/all.kernel" "$tmp/all.skbos" ||
	fail "ip addr (all families): kernel '$(cat "$tmp/all.kernel")', skbos '$(cat "$tmp/all.skbos")'"
echo "ip addr (all families): $(grep -c . "$tmp/all.skbos") lines, the same"
echo "PASS: skbos's address is seen as the kernel's would be, by skbos's programs only"
