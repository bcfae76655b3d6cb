#!/usr/bin/env bash
# skbos's main job (run as root on Debian 12): unmodified programs on skbos
# over a veth pair this script creates, side by side with the kernel stack.
#
#   1. curl under skbos-run (LD_PRELOAD: its socket is skbos's, whose frames
#      leave through AF_PACKET + io_uring) downloads 100 MB from nginx on the
#      kernel, and the kernel's curl downloads the same file from the kernel
#      nginx: every copy checked by sha256;
#   2. the reverse: nginx under skbos-run, the kernel's curl fetching from it,
#      beside a kernel nginx in the same namespace;
#   3. the --quick bench (bench/run.sh, about a minute): throughput, latency,
#      connection rate, nginx, redis, kernel↔kernel against skbos↔kernel on
#      the same cable, as one table.
#
# Everything lives in two namespaces named after this script's PID (skd<PID>s
# and skd<PID>c, scratch in /tmp/skbos-demo.<PID>.*) and is removed on exit,
# Ctrl-C included; what an earlier run killed outright left (its PID gone)
# is removed first.
# Exit status: 0 when every copy arrived intact.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh --bench
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p build && cd build
[ -f Makefile ] || ../configure >/dev/null
make -j"$(nproc)" >/dev/null
make -j"$(nproc)" bench/crr bench/cpurun bench/smallw bench/afpacket_bench >/dev/null
. ../bench/lib.sh

# An earlier run that died without its cleanup (SIGKILL, a reboot of the
# shell) left skd<PID>[sc] behind: those whose PID is gone are ours to remove.
for ns in $(ip netns list | awk '{ print $1 }' | grep -E '^skd[0-9]+[sc]$' || true); do
	pid=${ns#skd}
	pid=${pid%?}
	kill -0 "$pid" 2>/dev/null && continue
	for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
done
for d in /tmp/skbos-demo.*; do # and its scratch directory, named after it too
	pid=${d#/tmp/skbos-demo.}
	pid=${pid%%.*}
	[ -d "$d" ] && [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && rm -rf "$d"
done

P=skd$$
tmp=$(mktemp -d "/tmp/skbos-demo.$$.XXXXXX")
cleanup() {
	trap - EXIT INT TERM
	exec 2>/dev/null
	bench_netns_del
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT TERM

# ns skd<PID>s: kernel 10.93.0.1 and skbos 10.93.0.11 on one veth end;
# ns skd<PID>c: kernel 10.93.0.2 on the other.
NET=10.93.0
bench_netns
ip -n "${P}s" addr add "$NET.1/24" dev "${P}s0"
ip -n "${P}c" addr add "$NET.2/24" dev "${P}c0"
run=(env SKBOS_PRELOAD_LIB="$PWD/.libs/libskbos-preload.so" bash "$PWD/preload/skbos-run"
	--if "${P}s0" --addr "$NET.11/24" --)

mkdir "$tmp/www"
head -c 100000000 /dev/urandom >"$tmp/www/blob"
want=$(sha256sum "$tmp/www/blob" | cut -d' ' -f1)
nginx_conf() { # PORT -> a config file for one foreground nginx on PORT
	cat >"$tmp/nginx$1.conf" <<EOF
daemon off; master_process off; worker_processes 1; pid $tmp/nginx$1.pid;
error_log stderr error;
events { worker_connections 1024; }
http {
	access_log off; sendfile off;
	client_body_temp_path $tmp; proxy_temp_path $tmp; fastcgi_temp_path $tmp;
	uwsgi_temp_path $tmp; scgi_temp_path $tmp;
	server { listen $1; root $tmp/www; }
}
EOF
	echo "$tmp/nginx$1.conf"
}
wait_http() { # NS URL: until nginx answers (5 s at most)
	for _ in $(seq 100); do
		ip netns exec "$1" curl -s -o /dev/null "$2" && return 0
		sleep 0.05
	done
	echo "demo: no answer from $2" >&2
	tail -3 "$tmp"/nginx-*.log >&2
	exit 1
}
bad=0
fetch() { # NS CURL-PREFIX... URL -> "Gbit/s sha256-verdict" (the verdict: ok | BAD)
	local ns=$1 t ok
	shift
	rm -f "$tmp/got"
	t=$(ip netns exec "$ns" timeout 60 "$@" -s -o "$tmp/got" -w '%{time_total}') || t=0
	if [ -f "$tmp/got" ] && [ "$(sha256sum "$tmp/got" | cut -d' ' -f1)" = "$want" ]; then ok=ok; else
		ok=BAD
		bad=1
	fi
	awk -v t="$t" -v ok="$ok" 'BEGIN { printf "%.2f %s", (t > 0 ? 0.8 / t : 0), ok }'
}
row() { # LABEL-SKBOS LABEL-KERNEL "G ok" "G ok"
	local sg sok kg kok
	read -r sg sok <<<"$3"
	read -r kg kok <<<"$4"
	printf "  %-34s %6s Gbit/s, sha256 %-3s | %-30s %6s Gbit/s, sha256 %-3s | %s\n" "$1" "$sg" "$sok" \
		"$2" "$kg" "$kok" "$(awk -v a="$sg" -v b="$kg" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
}

echo "skbos $(grep PACKAGE_VERSION config.h | cut -d'"' -f2) ($(git -C .. rev-parse --short HEAD 2>/dev/null || echo '?')), $(uname -r), $(nproc) CPUs"
echo "unmodified programs, 100 MB over one veth pair, each copy checked by sha256; last column: skbos/kernel"

# 1. curl on skbos <- nginx on the kernel (and curl on the kernel for comparison)
conf_k=$(nginx_conf 8080)
ip netns exec "${P}c" nginx -c "$conf_k" -e stderr >"$tmp/nginx-k.log" 2>&1 &
wait_http "${P}c" "http://$NET.2:8080/"
row "curl (skbos) <- nginx (kernel)" "curl (kernel) <- nginx (kernel)" \
	"$(fetch "${P}s" "${run[@]}" curl "http://$NET.2:8080/blob")" \
	"$(fetch "${P}s" curl "http://$NET.2:8080/blob")"

# 2. nginx on skbos -> the kernel's curl (beside a kernel nginx, same namespace)
conf_s=$(nginx_conf 8081)
sed "s/listen 8081;/listen $NET.1:8082;/; s/nginx8081.pid/nginx8082.pid/" "$conf_s" >"$tmp/nginx8082.conf"
(cd "$tmp" && exec ip netns exec "${P}s" "${run[@]}" nginx -c "$conf_s" -e stderr) >"$tmp/nginx-s.log" 2>&1 &
ip netns exec "${P}s" nginx -c "$tmp/nginx8082.conf" -e stderr >"$tmp/nginx-k2.log" 2>&1 &
wait_http "${P}c" "http://$NET.11:8081/"
wait_http "${P}c" "http://$NET.1:8082/"
row "nginx (skbos) -> curl (kernel)" "nginx (kernel) -> curl (kernel)" \
	"$(fetch "${P}c" curl "http://$NET.11:8081/blob")" \
	"$(fetch "${P}c" curl "http://$NET.1:8082/blob")"
for ns in "${P}s" "${P}c"; do
	for p in $(ip netns pids "$ns"); do kill -TERM "$p" 2>/dev/null || true; done
done
sleep 0.5

# 3. the quick bench, as one table: kernel↔kernel against skbos↔kernel
echo
echo "bench/run.sh --quick (1 s per test, one round: a first look; 'make bench' for medians):"
if bash ../bench/run.sh . --quick --out "$tmp/bench" >"$tmp/bench.log" 2>&1; then
	awk -F'|' 'NF >= 8 && $2 !~ /test|---/ {
			gsub(/^ +| +$/, "", $2); gsub(/^ +| +$/, "", $3); gsub(/^ +| +$/, "", $4)
			gsub(/^ +| +$/, "", $5); gsub(/^ +| +$/, "", $7)
			printf "  %-58.58s %-10s %10s %10s %7s\n", $2, $3, $4, $5, $7 }
		BEGIN { printf "  %-58s %-10s %10s %10s %7s\n", "test", "unit", "kernel", "skbos", "ratio" }' \
		"$tmp/bench/latest.md"
else
	echo "  the bench failed:"
	tail -5 "$tmp/bench.log" | sed 's/^/  /'
	bad=1
fi
echo "  (ratio: skbos/kernel; the server under skbos, the client on the kernel; CPUs pinned, nothing polls)"
[ $bad = 0 ] && echo "demo: every copy arrived intact" || echo "demo: FAILED (see above)"
exit $bad
