#!/bin/bash
# TCP over IPv6 between skbos (native API, tests/tools/tcpbulk --ipv6) and
# the Linux kernel (socat TCP6) in namespaces this test makes and removes:
#  1. direct veth, kernel offloads on: 200 MB skbos -> kernel and 200 MB
#     kernel -> skbos (the kernel's TSO super-frames with partial checksums
#     arrive whole), each verified by sha256 and ending in a half-close;
#  2. through tests/tools/impair (loss 2%, reorder 25%, duplicate 1%,
#     corrupt 0.1%, delay 1 ms each way): 20 MB each way verified by sha256
#     (a corrupted segment must be dropped by the IPv6 pseudo-header
#     checksum and sent again).
# skbos's side of each veth carries no IPv6 in its namespace's kernel (it
# would own the same EUI-64 link-local address).
# Needs root: skipped (77) without it, except under CI=true (a failure).
set -u
top=${top_builddir:-.}
tool=$top/tests/tools/tcpbulk
impair=$top/tests/tools/impair
P=skt6$$
tmp=$(mktemp -d)
pids=()
. "$(dirname "$0")/lib.sh"
FAIL_TAIL=5
cleanup() {
	kill_pids
	del_netns a b c m d
	rm -rf "$tmp"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || skip "needs root"
command -v socat >/dev/null || skip "socat is not installed"
ip netns add "${P}a" 2>/dev/null || skip "cannot create network namespaces"
[ -x "$tool" ] || fail "no $tool (run make)"

# the kernel reaches skbos's address once its DAD is over (about 1 s)
wait_reachable() { # ns addr6
	for _ in $(seq 50); do
		ip netns exec "$1" ping -6 -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
	done
	fail "skbos's $2 never answered"
}

# transfer FROM_SKBOS(1|0) NS_SKBOS ENV_IF SADDR6 NS_KERNEL KADDR6 FILE TAG
transfer() {
	local to_kernel=$1 nss=$2 ifs=$3 saddr=$4 nsk=$5 kaddr=$6 file=$7 tag=$8 want got t0 t1
	local senv=(env SKBOS_IF="$ifs" SKBOS_ADDR=10.89.9.2/24 SKBOS_ADDR6="$saddr/64")
	want=$(sha256sum "$file" | cut -d' ' -f1)
	t0=$(date +%s.%N)
	if [ "$to_kernel" = 1 ]; then
		ip netns exec "$nsk" timeout 600 socat -u TCP6-LISTEN:9000,reuseaddr STDOUT 2>"$tmp/$tag.k.log" |
			sha256sum | cut -d' ' -f1 >"$tmp/$tag.sum" &
		kernel_port_ready "$nsk" 9000
		ip netns exec "$nss" "${senv[@]}" timeout 600 \
			"$tool" --ipv6 send "$kaddr" 9000 "$file" 2>"$tmp/$tag.s.log" || fail "$tag: skbos send"
	else
		ip netns exec "$nss" "${senv[@]}" timeout 600 \
			"$tool" --ipv6 recv 9001 2>"$tmp/$tag.s.log" | sha256sum | cut -d' ' -f1 >"$tmp/$tag.sum" &
		wait_listen "$tmp/$tag.s.log"
		wait_reachable "$nsk" "$saddr"
		ip netns exec "$nsk" timeout 600 socat -u FILE:"$file" "TCP6:[$saddr]:9001" \
			2>"$tmp/$tag.k.log" || fail "$tag: kernel send"
	fi
	for _ in $(seq 600); do [ -s "$tmp/$tag.sum" ] && break; sleep 0.1; done
	t1=$(date +%s.%N)
	got=$(cat "$tmp/$tag.sum" 2>/dev/null)
	[ "$got" = "$want" ] || fail "$tag: sha256 $got, want $want"
	echo "ok: $tag: $(stat -c %s "$file") bytes, sha256 matches, in" \
		"$(awk -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.1f", t1 - t0 }') s (start and DAD included)"
}

head -c 200000000 /dev/urandom >"$tmp/200m"
head -c 20000000 "$tmp/200m" >"$tmp/20m"

# ---- 1. direct veth -------------------------------------------------------
veth_pair 10.89.0.1/24
ip netns exec "${P}a" sysctl -qw "net.ipv6.conf.${P}s.disable_ipv6=1"
ip -n "${P}b" -6 addr add fd00:89::1/64 dev "${P}k" nodad
transfer 1 "${P}a" "${P}s" fd00:89::2 "${P}b" fd00:89::1 "$tmp/200m" "skbos->kernel clean"
transfer 0 "${P}a" "${P}s" fd00:89::2 "${P}b" fd00:89::1 "$tmp/200m" "kernel->skbos clean"

# ---- 2. through the impairment cable ----------------------------------------
[ -x "$impair" ] || fail "no $impair (run make)"
ip netns add "${P}c"
ip netns add "${P}m"
ip netns add "${P}d"
ip link add "${P}s2" netns "${P}c" type veth peer name "${P}m0" netns "${P}m"
ip link add "${P}k2" netns "${P}d" type veth peer name "${P}m1" netns "${P}m"
ip netns exec "${P}c" sysctl -qw "net.ipv6.conf.${P}s2.disable_ipv6=1"
for e in m:m0 m:m1; do ip netns exec "$P${e%%:*}" sysctl -qw "net.ipv6.conf.$P${e#*:}.disable_ipv6=1"; done
for e in c:s2 m:m0 m:m1 d:k2; do ip -n "$P${e%%:*}" link set "$P${e#*:}" up; done
# offloads off on the cable, as test_kernel_tcp.sh: a corrupted frame must
# carry a finished checksum
for e in c:s2 d:k2; do
	ip netns exec "$P${e%%:*}" ethtool -K "$P${e#*:}" tx off tso off gso off >/dev/null 2>&1
done
ip -n "${P}d" -6 addr add fd00:8a::1/64 dev "${P}k2" nodad
spec="drop=2%,reorder=25%,dup=1%,corrupt=0.1%,delay=1ms"
ip netns exec "${P}m" "$impair" --a "${P}m0" --b "${P}m1" --ab "$spec" --ba "$spec" --seed 7 \
	--duration 900 --ready "$tmp/impair.ready" >"$tmp/impair.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -e "$tmp/impair.ready" ] && break; sleep 0.05; done
[ -e "$tmp/impair.ready" ] || fail "impairment cable did not start"
transfer 1 "${P}c" "${P}s2" fd00:8a::2 "${P}d" fd00:8a::1 "$tmp/20m" "skbos->kernel impaired"
transfer 0 "${P}c" "${P}s2" fd00:8a::2 "${P}d" fd00:8a::1 "$tmp/20m" "kernel->skbos impaired"
# skbos_fini frees everything: a buffer still in use at exit is a leak.
leaks=$(grep -l "stack freed with" "$tmp"/*.log 2>/dev/null)
[ -z "$leaks" ] || fail "buffers leaked at exit: $(grep -h "stack freed with" $leaks | head -3)"
exit 0
