#!/usr/bin/env bash
# skbos's main job (run as root on Debian 12): an unmodified program on skbos
# over a veth pair this script creates, side by side with the kernel stack.
#
# python3's http.server runs under skbos-run (LD_PRELOAD: its sockets are
# served by skbos, whose frames leave through AF_PACKET + io_uring on one end
# of a veth pair); the same server runs on the kernel stack over an identical
# veth pair; the kernel's curl downloads the same 100 MB file from each,
# interleaved, every copy checked by sha256.  Then the kernel's ping talks to
# skbos-node and to a kernel host, for latency.
#
# Everything lives in namespaces named after this script's PID and is
# removed on exit, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p build && cd build
[ -f Makefile ] || ../configure >/dev/null
make -j"$(nproc)" >/dev/null

P=skd$$
node_pid=
www=$(mktemp -d)
cleanup() {
	exec 2>/dev/null
	[ -n "$node_pid" ] && kill -TERM "$node_pid" && sleep 0.3
	for ns in "${P}s" "${P}k" "${P}p"; do
		for pid in $(ip netns pids "$ns"); do kill -KILL "$pid"; done
		ip netns del "$ns" || true
	done
	rm -rf "$www"
}
trap cleanup EXIT

# ns P s: skbos (no kernel address on its veth end); ns P k: a kernel host;
# ns P p: the pinging kernel, with one veth to each.
for ns in "${P}s" "${P}k" "${P}p"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip link add "${P}a" netns "${P}p" type veth peer name "${P}b" netns "${P}s"
ip link add "${P}c" netns "${P}p" type veth peer name "${P}d" netns "${P}k"
for l in p:a s:b p:c k:d; do ip -n "$P${l%%:*}" link set "$P${l#*:}" up; done
ip -n "${P}p" addr add 10.91.0.1/24 dev "${P}a"
ip -n "${P}p" addr add 10.92.0.1/24 dev "${P}c"
ip -n "${P}k" addr add 10.92.0.2/24 dev "${P}d"

for ns in "${P}s" "${P}k"; do ip -n "$ns" link set lo up; done
head -c 100000000 /dev/urandom >"$www/blob"
want=$(sha256sum "$www/blob" | cut -d' ' -f1)
run=(env SKBOS_PRELOAD_LIB="$PWD/.libs/libskbos-preload.so" bash "$PWD/preload/skbos-run")
(cd "$www" && exec ip netns exec "${P}s" "${run[@]}" --if "${P}b" --addr 10.91.0.2/24 -- \
	python3 -m http.server 8080 >/dev/null 2>&1) &
(cd "$www" && exec ip netns exec "${P}k" python3 -m http.server 8080 --bind 10.92.0.2 >/dev/null 2>&1) &
for url in http://10.91.0.2:8080/ http://10.92.0.2:8080/; do
	for _ in $(seq 100); do ip netns exec "${P}p" curl -s -o /dev/null "$url" && break; sleep 0.1; done
done
fetch() { # url -> "Gbit/s ok|BAD"
	local out t
	out=$(ip netns exec "${P}p" curl -s -o "$www/got" -w '%{time_total}' "$1")
	t=$out
	[ "$(sha256sum "$www/got" | cut -d' ' -f1)" = "$want" ] && ok=ok || ok=BAD
	awk -v t="$t" -v ok="$ok" 'BEGIN { printf "%.2f %s", 0.8 / t, ok }'
}
echo "python3 -m http.server, unmodified; the kernel's curl fetches 100 MB (sha256 checked):"
printf "%-8s %-26s %-26s %s\n" "round" "kernel server (Gbit/s)" "skbos server (Gbit/s)" "skbos/kernel"
for r in 1 2 3; do
	read -r kg kok <<<"$(fetch http://10.92.0.2:8080/blob)"
	read -r sg sok <<<"$(fetch http://10.91.0.2:8080/blob)"
	printf "%-8s %-26s %-26s %s\n" "$r" "$kg ($kok)" "$sg ($sok)" \
		"$(awk -v a="$sg" -v b="$kg" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
echo
for pid in $(ip netns pids "${P}s"); do kill -TERM "$pid" 2>/dev/null; done
sleep 0.5

log=$(mktemp)
ip netns exec "${P}s" ./skbos-node --if "${P}b" --addr 10.91.0.2/24 --duration 300 --stats >"$log" 2>&1 &
node_pid=$!
for _ in $(seq 100); do grep -q " up on " "$log" && break; sleep 0.05; done
echo "skbos $(./skbos-node --help >/dev/null; grep PACKAGE_VERSION config.h | cut -d'"' -f2): $(head -1 "$log")"
echo

rtt() { # ns target count size -> "loss% avg_us"
	ip netns exec "$1" ping -q -c "$3" -i 0 -s "$4" -W 1 "$2" 2>/dev/null |
		awk -F'[ /,%]+' '/packet loss/ {for (i=1;i<=NF;i++) if ($i=="packet") loss=$(i-1)}
			/^rtt/ {avg=$8} END {printf "%s%% %.1f", loss, avg*1000}'
}

 printf "%-28s %-22s %-22s %s\n" "kernel ping (1000 each)" "to the kernel" "to skbos" "skbos/kernel"
for size in 56 1400 8000; do
	read -r kl ka <<<"$(rtt "${P}p" 10.92.0.2 1000 "$size")"
	read -r sl sa <<<"$(rtt "${P}p" 10.91.0.2 1000 "$size")"
	printf "%-28s %-22s %-22s %.2f\n" "$size-byte echo, avg RTT" "$ka us (loss $kl)" "$sa us (loss $sl)" \
		"$(awk -v a="$sa" -v b="$ka" 'BEGIN { print (b > 0 ? a / b : 0) }')"
done
echo
echo "(both paths: one veth hop, blocking ping, no CPU pinning; 8000-byte echoes are fragmented both ways)"
kill -TERM "$node_pid"
wait "$node_pid" || true
node_pid=
echo
echo "skbos counters:"
sed -n '/^Ip\|^Icmp\|^ArpExt\|^Drop/p' "$log" | sed 's/^/  /'
rm -f "$log"
