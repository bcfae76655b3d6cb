#!/bin/bash
# Unmodified programs over skbos's TCP through the LD_PRELOAD shim, against
# the kernel, over a veth pair in namespaces this test makes and removes:
#  - curl under skbos-run downloads 30 MB from a kernel python3 http.server;
#  - a kernel curl downloads it 3 times from python3 http.server under skbos-run;
# every download verified by sha256.  The skbos end of the veth has no
# kernel address: nothing but skbos can carry the traffic.
# Needs root: skipped (77) without it, except under CI=true (a failure).
set -u
top=${top_builddir:-.}
B=$(cd "$top" && pwd)
run=(env SKBOS_PRELOAD_LIB="$B/.libs/libskbos-preload.so" bash "$B/preload/skbos-run")
P=skt$$
tmp=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
FAIL_TAIL=5
cleanup() {
	exec 2>/dev/null # the servers' "Killed" notices
	for ns in "${P}a" "${P}b"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || skip "needs root"
# As test_preload_net.sh: an ASan-built shim hangs uninstrumented programs
# before main; the shim's own tests run under ASan in tests/test_preload.
if ldd "$B/.libs/libskbos-preload.so" 2>/dev/null | grep -q libasan; then
	echo "SKIP: an ASan shim cannot be preloaded into uninstrumented programs (test_preload_net.sh)"
	exit 77
fi
command -v curl >/dev/null || skip "curl is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
ip netns add "${P}a" 2>/dev/null || skip "cannot create network namespaces"
ip netns add "${P}b"
ip link add "${P}s" netns "${P}a" type veth peer name "${P}k" netns "${P}b"
ip -n "${P}a" link set "${P}s" up
ip -n "${P}b" link set "${P}k" up
ip -n "${P}a" link set lo up
ip -n "${P}b" link set lo up
ip -n "${P}b" addr add 10.97.0.1/24 dev "${P}k"
mkdir "$tmp/www"
head -c 30000000 /dev/urandom >"$tmp/www/blob"
want=$(sha256sum "$tmp/www/blob" | cut -d' ' -f1)
skbos=("${run[@]}" --if "${P}s" --addr 10.97.0.2/24 --)

wait_http() { # ns url
	for _ in $(seq 100); do
		ip netns exec "$1" curl -s -o /dev/null "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "no HTTP server at $2"
}

# 1. curl under skbos -> kernel http.server
(cd "$tmp/www" && exec ip netns exec "${P}b" timeout 120 python3 -m http.server 8080 --bind 10.97.0.1 \
	>"$tmp/kserver.log" 2>&1) &
for _ in $(seq 100); do ip netns exec "${P}b" ss -Htln "sport = :8080" | grep -q . && break; sleep 0.1; done
ip netns exec "${P}a" timeout 60 "${skbos[@]}" curl -s -o "$tmp/got1" http://10.97.0.1:8080/blob ||
	fail "curl under skbos-run"
[ "$(sha256sum "$tmp/got1" | cut -d' ' -f1)" = "$want" ] || fail "curl under skbos: sha256 differs"
echo "ok: curl under skbos-run fetched 30 MB from a kernel http.server, sha256 matches"

# 2. kernel curl -> http.server under skbos
(cd "$tmp/www" && exec ip netns exec "${P}a" timeout 120 "${skbos[@]}" python3 -m http.server 8081 \
	>"$tmp/sserver.log" 2>&1) &
for i in 1 2 3; do
	wait_http "${P}b" http://10.97.0.2:8081/ 
	ip netns exec "${P}b" timeout 60 curl -s -o "$tmp/got2" http://10.97.0.2:8081/blob ||
		fail "kernel curl, download $i"
	[ "$(sha256sum "$tmp/got2" | cut -d' ' -f1)" = "$want" ] || fail "download $i: sha256 differs"
done
echo "ok: kernel curl fetched 30 MB 3 times from python3 http.server under skbos-run, sha256 matches"
exit 0
