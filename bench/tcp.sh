#!/bin/bash
# Single-stream TCP throughput, skbos <-> kernel against kernel <-> kernel,
# over veth pairs this script makes (and removes), interleaved A B A B, as
# root.  Usage: bench/tcp.sh BUILD_DIR [MB] [ROUNDS].  Not part of make check.
set -eu
b=${1:?build dir}
mb=${2:-400}
rounds=${3:-3}
tool=$b/tests/tools/tcpbulk
P=skz$$
cleanup() { for ns in s k c; do ip netns del "$P$ns" 2>/dev/null || true; done; rm -f "/tmp/$P.dat"; }
trap cleanup EXIT
for ns in s k c; do ip netns add "$P$ns"; done
ip link add "${P}a" netns "${P}s" type veth peer name "${P}b" netns "${P}k"
ip link add "${P}x" netns "${P}c" type veth peer name "${P}y" netns "${P}k"
for l in s:a k:b c:x k:y; do ip -n "$P${l%%:*}" link set "$P${l#*:}" up; done
ip -n "${P}k" addr add 10.95.0.1/24 dev "${P}b"
ip -n "${P}k" addr add 10.96.0.1/24 dev "${P}y"
ip -n "${P}c" addr add 10.96.0.2/24 dev "${P}x"
head -c "$((mb * 1000000))" /dev/zero >"/tmp/$P.dat"
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
run_kernel() {
	ip netns exec "${P}k" timeout 120 socat -u TCP-LISTEN:9000,reuseaddr /dev/null &
	sleep 0.2
	secs ip netns exec "${P}c" timeout 120 "$tool" --kernel send 10.96.0.1 9000 "/tmp/$P.dat"
	wait
}
run_skbos() {
	ip netns exec "${P}k" timeout 120 socat -u TCP-LISTEN:9000,reuseaddr /dev/null &
	sleep 0.2
	secs ip netns exec "${P}s" env SKBOS_IF="${P}a" SKBOS_ADDR=10.95.0.2/24 timeout 120 \
		"$tool" send 10.95.0.1 9000 "/tmp/$P.dat"
	wait
}
echo "round  kernel->kernel Gbit/s  skbos->kernel Gbit/s  ratio"
for r in $(seq "$rounds"); do
	k=$(run_kernel)
	s=$(run_skbos)
	kg=$(echo "scale=2; $mb * 8 / 1000 / $k" | bc)
	sg=$(echo "scale=2; $mb * 8 / 1000 / $s" | bc)
	echo "$r      $kg                  $sg                  $(echo "scale=2; $sg / $kg" | bc)"
done
