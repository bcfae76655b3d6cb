#!/bin/bash
# TCP over IPv6 of unmodified programs under skbos-run --addr6: an AF_INET6
# TCP socket bound to skbos's own IPv6 address, or connecting to a peer
# skbos routes from it, is skbos's (preload/handover.c, inet6_takeover),
# against the kernel over a veth pair in namespaces this test makes and
# removes.  The skbos side's kernel has IPv6 off on the veth, so a socket
# left to the kernel could neither bind that address nor reach the peer:
#  1. socat TCP6:[kernel] under skbos-run sends 20 MB to a kernel socat,
#     sha256-exact;
#  2. socat TCP6-LISTEN,bind=[skbos's address] under skbos-run receives
#     20 MB from a kernel socat, sha256-exact, and names the peer by its
#     IPv6 address.
# Needs root: skipped (77) without it, except under CI=true (a failure).
set -u
P=skt6p$$
tmp=$(mktemp -d)
pids=()
. "$(dirname "$0")/lib.sh"
FAIL_TAIL=8
preload_test
need_progs socat
K6=fd00:8b::1
S6=fd00:8b::2
veth_netns 10.94.0.1/24
ina=(ip netns exec "${P}a")
inb=(ip netns exec "${P}b")
"${ina[@]}" sysctl -qw "net.ipv6.conf.${P}s.disable_ipv6=1"
"${inb[@]}" ip -6 addr add "$K6/64" dev "${P}k" nodad
sk() { echo "$run" --if "${P}s" --addr 10.94.0.2/24 --addr6 "$S6/64" --; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
head -c 20000000 /dev/urandom >"$tmp/blob"
want=$(sha "$tmp/blob")
listening() { # NS PORT
	ip netns exec "$1" ss -Htln "sport = :$2" | grep -q .
}

# ---- 1. skbos connects over IPv6 -------------------------------------------------
"${inb[@]}" timeout 120 socat -u TCP6-LISTEN:9300,reuseaddr CREATE:"$tmp/down" \
	>"$tmp/k1.log" 2>&1 &
srv=$!
pids+=($srv)
wait_until 100 listening "${P}b" 9300 || fail "kernel socat TCP6-LISTEN"
# (the address is tentative for about a second, DAD: connect and bind fail
# with EADDRNOTAVAIL until then, as on Linux; socat retries)
"${ina[@]}" timeout 120 $(sk) socat -u OPEN:"$tmp/blob" "TCP6:[$K6]:9300,retry=20,interval=0.2" \
	>"$tmp/s1.log" 2>&1 || fail "socat TCP6 under skbos-run"
wait $srv || fail "kernel socat exited with $?"
[ "$(sha "$tmp/down")" = "$want" ] || fail "skbos -> kernel: sha256 differs"
echo "ok: socat TCP6:[$K6] under skbos-run sent 20 MB to the kernel, sha256 matches"

# ---- 2. skbos listens on its IPv6 address ------------------------------------------
"${ina[@]}" timeout 120 $(sk) socat -d -d -u \
	"TCP6-LISTEN:9301,bind=[$S6],reuseaddr,retry=20,interval=0.2" CREATE:"$tmp/up" >"$tmp/s2.log" 2>&1 &
srv=$!
pids+=($srv)
wait_until 100 grep -q 'listening on' "$tmp/s2.log" || fail "socat TCP6-LISTEN under skbos-run"
ok=
for _ in $(seq 50); do
	"${inb[@]}" ping -6 -c 1 -W 1 "$S6" >/dev/null 2>&1 && ok=1 && break
done
[ -n "$ok" ] || fail "skbos's $S6 never answered"
"${inb[@]}" timeout 60 socat -u OPEN:"$tmp/blob" "TCP6:[$S6]:9301" || fail "kernel socat -> skbos socat"
wait $srv || fail "socat TCP6-LISTEN under skbos-run exited with $?"
[ "$(sha "$tmp/up")" = "$want" ] || fail "kernel -> skbos: sha256 differs"
grep -Eq 'accepting connection from AF=10 \[fd00:008b:0000:0000:0000:0000:0000:0001\]:[0-9]+ on AF=10 \[fd00:008b:0000:0000:0000:0000:0000:0002\]:9301' \
	"$tmp/s2.log" || fail "socat did not see [$K6] -> [$S6]: $(grep -i accepting "$tmp/s2.log")"
echo "ok: socat TCP6-LISTEN,bind=[$S6] under skbos-run received 20 MB from the kernel, sha256 matches;" \
	"$(grep -o 'accepting connection from .*' "$tmp/s2.log")"
exit 0
