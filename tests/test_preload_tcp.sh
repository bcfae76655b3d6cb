#!/bin/bash
# Unmodified programs over skbos's TCP through the LD_PRELOAD shim, against
# the kernel, over a veth pair in namespaces this test makes and removes:
#  - curl under skbos-run downloads 30 MB from a kernel python3 http.server;
#  - a kernel curl downloads it 3 times from python3 http.server under skbos-run;
# every download verified by sha256.  The skbos end of the veth has no
# kernel address: nothing but skbos can carry the traffic.
# Needs root: skipped (77) without it, except under CI=true (a failure).
set -u
P=skt$$
tmp=$(mktemp -d)
pids=()
. "$(dirname "$0")/lib.sh"
FAIL_TAIL=5
preload_test
need_progs curl python3
veth_netns 10.97.0.1/24
mkdir "$tmp/www"
head -c 30000000 /dev/urandom >"$tmp/www/blob"
want=$(sha256sum "$tmp/www/blob" | cut -d' ' -f1)
skbos=("$run" --if "${P}s" --addr 10.97.0.2/24 --)

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
