#!/usr/bin/env bash
# bench/run.sh - skbos against the kernel's stack, side by side (issue 9).
#
#   bash bench/run.sh BUILD_DIR [--quick] [--rounds N] [--secs S] [--out DIR] [--tests 'T...']
#   make bench [BENCH_ARGS=--quick]          (the same, from the build dir)
#
# Two namespaces joined by one veth pair (bench/lib.sh); each end carries a
# kernel address (.1 server, .2 client) and an address only skbos answers
# for (.11, .12), so the three configurations share one cable:
#   kernel↔kernel  kernel client -> kernel server
#   skbos↔kernel   kernel client -> server under skbos-run
#   skbos↔skbos    client under skbos-run -> server under skbos-run
# The server side runs on CPU $CPU_S, the client side on CPU $CPU_C
# (taskset, the whole process: skbos's stack thread too).  Nothing
# busy-polls but the rr_spin test: SKBOS_SPIN_US=0, sockperf uses its
# default blocking calls, and the report gives net.core.busy_poll/busy_read
# as found (0 by default).
#
# Every round runs each test once per configuration, in turn (kk sk ss kk sk
# ss ...), so drift falls on all three alike; the report gives medians over
# the rounds and skbos/kernel ratios: bench/results/latest.md (+ a dated
# copy) and a gnuplot chart beside it (report.py, chart.gp).  A test that
# fails (a program that does not work under skbos yet, a timeout, output
# that does not parse) is reported "failed" with its reason, and the run
# goes on.  Every process runs under timeout and is ended by its PID; the
# namespaces go on exit, Ctrl-C included.  Not part of make check.
set -u
usage() {
	echo "usage: bash bench/run.sh BUILD_DIR [--quick] [--rounds N] [--secs S] [--out DIR] [--tests 'T...']" >&2
	exit 2
}
[ $# -ge 1 ] || usage
B=$(cd "$1" && pwd) || usage
shift
here=$(cd "$(dirname "$0")" && pwd)
ROUNDS=5 SECS=5 QUICK= OUT=$here/results
TESTS="floor bulk1 bulk1r bulk4 bulk4p small smallw rr_tcp rr_spin rr_udp crr crr_tfo http_ka http_close http2_ka http2_close redis mcd mem wire"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ROUNDS=1 SECS=1; shift ;;
	--rounds) ROUNDS=${2:?}; shift 2 ;;
	--secs) SECS=${2:?}; shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	--tests) TESTS=${2:?}; shift 2 ;;
	*) usage ;;
	esac
done
. "$here/lib.sh"
bash "$here/../scripts/deps.sh" --bench || exit 1
[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, AF_PACKET)" >&2; exit 1; }
bench_need iperf3 sockperf wrk nginx redis-server redis-benchmark gnuplot python3 taskset timeout
for f in .libs/libskbos-preload.so preload/skbos-run bench/crr bench/cpurun bench/smallw bench/afpacket_bench; do
	[ -e "$B/$f" ] || { echo "bench: no $B/$f (make bench builds it)" >&2; exit 1; }
done

P=skr$$
tmp=$(mktemp -d /tmp/skbos-bench.XXXXXX)
srv_tpid= srv_pid= bg_pid= fg_pid= many_pids=() # many_pids: bulk4p's servers and clients
busy_saved= # "busy_read busy_poll" while rr_spin has changed them (global sysctls)
busy_restore() {
	[ -n "$busy_saved" ] || return 0
	set -- $busy_saved
	echo "$1" >/proc/sys/net/core/busy_read
	echo "$2" >/proc/sys/net/core/busy_poll
	busy_saved=
}
cleanup() {
	trap - EXIT INT TERM
	exec 2>/dev/null # bash's "Killed" notices for what is ended here
	for pid in $fg_pid $bg_pid $srv_pid $srv_tpid "${many_pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	busy_restore
	bench_netns_del
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

NCPU=$(nproc)
CPU_S=0 CPU_C=$((NCPU > 1 ? 1 : 0))
NET=10.99.0
ulimit -n "$(ulimit -Hn)" # 1000 idle connections on each side, nginx's 4096
bench_netns || { echo "bench: cannot make namespaces" >&2; exit 1; }
ip -n "${P}s" addr add "$NET.1/24" dev "${P}s0"
ip -n "${P}c" addr add "$NET.2/24" dev "${P}c0"
for ns in "${P}s" "${P}c"; do
	ip netns exec "$ns" sh -c 'echo 1024 65535 > /proc/sys/net/ipv4/ip_local_port_range'
done
spin= # set during the rr_spin test: SKBOS_SPIN_US for skbos ends
skbos_run() { echo env SKBOS_SPIN_US="${spin:-0}" SKBOS_PRELOAD_LIB="$B/.libs/libskbos-preload.so" sh "$B/preload/skbos-run"; }
mkdir -p "$tmp/www"
head -c 612 /dev/zero | tr '\0' x >"$tmp/www/index.html"
cat >"$tmp/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1; pid $tmp/nginx.pid;
error_log stderr error;
events { worker_connections 4096; }
http {
	access_log off; keepalive_requests 1000000;
	client_body_temp_path $tmp; proxy_temp_path $tmp; fastcgi_temp_path $tmp;
	uwsgi_temp_path $tmp; scgi_temp_path $tmp;
	server { listen 8080; root $tmp/www; }
}
EOF
sed -e 's/master_process off; worker_processes 1;/master_process on; worker_processes 2;/' \
	"$tmp/nginx.conf" >"$tmp/nginx2.conf"

# ---- who runs where
# side CONFIG s|c -> "kernel" or "skbos" for that end in that configuration
side() {
	case $1:$2 in kk:* | sk:c) echo kernel ;; *) echo skbos ;; esac
}
# addr CONFIG s|c -> the address that end uses
addr() {
	if [ "$(side "$1" "$2")" = kernel ]; then
		[ "$2" = s ] && echo "$NET.1" || echo "$NET.2"
	else
		[ "$2" = s ] && echo "$NET.11" || echo "$NET.12"
	fi
}
# prefix CONFIG s|c -> the command words that run a program on that end:
# $pre (its namespace) and $pre2 (its CPU, and skbos-run for an skbos end),
# with room between them for timeout or cpurun
prefix() {
	local cpu=$CPU_S
	[ "$2" = c ] && cpu=$CPU_C
	pre=(ip netns exec "$P$2")
	pre2=(taskset -c "$cpu")
	# shellcheck disable=SC2207 # skbos_run's words have no spaces
	[ "$(side "$1" "$2")" = skbos ] && pre2+=($(skbos_run) --if "$P${2}0" --addr "$(addr "$1" "$2")/24" --)
	return 0
}

# run_fg CMD... - run CMD and wait for it, in the background so that a signal
# to this script runs its trap at once (bash defers traps while a
# foreground child runs); returns CMD's status.
run_fg() {
	"$@" &
	fg_pid=$!
	wait "$fg_pid"
	local rc=$?
	fg_pid=
	return $rc
}

# ---- results: one line per measurement in $tmp/res
#   ROUND CONFIG METRIC VALUE        or      ROUND CONFIG METRIC failed REASON
rec() { echo "$round $1 $2 $3" >>"$tmp/res"; }
rec_fail() { # CONFIG REASON METRIC...
	local c=$1 why=$2
	shift 2
	for m in "$@"; do echo "$round $c $m failed $why" >>"$tmp/res"; done
	echo "  $c: failed: $why" >&2
}
# why LOG... -> the last non-empty line of the first log that has one
why() {
	for f in "$@"; do
		[ -s "$f" ] && { grep -v '^[[:space:]]*$' "$f" | tail -1 | tr -d '\r\033' | cut -c1-160; return; }
	done
	echo "no output"
}
# cpu_of PID -> utime+stime in seconds of a live process and of its live
# children (nginx's workers), from /proc/PID/stat
cpu_of() {
	local kids
	kids=$(cat /proc/"$1"/task/*/children 2>/dev/null)
	# shellcheck disable=SC2086 # one path per child
	(cd /proc && cat "$1/stat" $(printf '%s/stat ' $kids) 2>/dev/null) |
		awk -v t="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); s += $12 + $13 } END { print s / t }'
}
rss_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; } # kB

# ---- servers
# start_server CONFIG READY CMD... - the server of a test, in the background
# under timeout; READY is a regex its output prints once it listens, or
# tcp:PORT for a connect probe from the client namespace.  Sets $srv_pid
# (the program itself) or returns 1 with the reason in $srv_why.
start_server() {
	local cfg=$1 ready=$2 i
	shift 2
	prefix "$cfg" s
	: >"$tmp/srv.log"
	"${pre[@]}" timeout $((SECS * 4 + 60)) "${pre2[@]}" "$@" >"$tmp/srv.log" 2>&1 </dev/null &
	srv_tpid=$! srv_pid=
	for i in $(seq 100); do
		srv_pid=$(cat "/proc/$srv_tpid/task/$srv_tpid/children" 2>/dev/null | awk '{ print $1 }')
		[ -n "$srv_pid" ] && break
		sleep 0.02
	done
	for i in $(seq 100); do
		if ! kill -0 "$srv_pid" 2>/dev/null; then
			wait "$srv_tpid"
			srv_why="server exited (status $?) before it listened: $(why "$tmp/srv.log")"
			srv_tpid= srv_pid=
			return 1
		fi
		case $ready in
		tcp:*) ip netns exec "${P}c" timeout 1 bash -c "exec 3<>/dev/tcp/$(addr "$cfg" s)/${ready#tcp:}" \
			2>/dev/null && return 0 ;;
		*) grep -Eq "$ready" "$tmp/srv.log" && return 0 ;;
		esac
		sleep 0.05
	done
	srv_why="server did not get ready in 5 s: $(why "$tmp/srv.log")"
	stop_server
	return 1
}
# stop_server - TERM to the server, KILL after 2 s; no-op when none runs.
stop_server() {
	[ -n "$srv_tpid" ] || return 0
	kill -TERM "$srv_pid" 2>/dev/null
	for _ in $(seq 40); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$srv_pid" 2>/dev/null
	wait "$srv_tpid" 2>/dev/null
	srv_tpid= srv_pid=
}
# client CONFIG CMD... - run the client side (bounded), output in
# $tmp/cli.out/.err; sets $cli_cpu (its CPU seconds, cpurun) and $srv_cpu
# (the server's CPU seconds over the same span); returns its status.
client() {
	local cfg=$1 s0 rc
	shift
	prefix "$cfg" c
	s0=$(cpu_of "$srv_pid")
	echo 0 >"$tmp/cli.cpu"
	run_fg "${pre[@]}" "$B/bench/cpurun" "$tmp/cli.cpu" timeout $((SECS * 3 + 20)) "${pre2[@]}" "$@" \
		>"$tmp/cli.out" 2>"$tmp/cli.err" </dev/null
	rc=$?
	srv_cpu=$(awk -v a="$s0" -v b="$(cpu_of "$srv_pid")" 'BEGIN { print b - a }')
	cli_cpu=$(cat "$tmp/cli.cpu")
	[ $rc = 124 ] && echo "timed out after $((SECS * 3 + 20)) s" >>"$tmp/cli.err"
	return $rc
}
# fail_client CONFIG RC METRIC... - record why a client run failed
fail_client() {
	local cfg=$1 rc=$2
	shift 2
	if ! kill -0 "$srv_pid" 2>/dev/null; then
		rec_fail "$cfg" "server died during the run: $(why "$tmp/srv.log")" "$@"
	else
		rec_fail "$cfg" "client ($(side "$cfg" c)) exit $rc: $(why "$tmp/cli.err" "$tmp/cli.out")" "$@"
	fi
}
per() { awk -v a="$1" -v b="$2" -v k="$3" 'BEGIN { if (b > 0) printf "%.4g", a / b * k; else print "nan" }'; }

# ---- the tests: each runs one configuration once and records its metrics
iperf_json() { # KEY of end.sum_received / end.sum_sent, from $tmp/cli.out
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["end"]; print(d[sys.argv[2]][sys.argv[3]])' \
		"$tmp/cli.out" "$@" 2>/dev/null
}
# iperf CONFIG NAME ARGS... - metrics NAME_gbps, NAME_cpu_snd, NAME_cpu_rcv (ns/B)
iperf() {
	local cfg=$1 n=$2 rc bytes bps snd rcv
	shift 2
	local ms=("${n}_gbps" "${n}_cpu_snd" "${n}_cpu_rcv")
	start_server "$cfg" "Server listening" iperf3 -s --forceflush -B "$(addr "$cfg" s)" -p 5201 ||
		{ rec_fail "$cfg" "$srv_why" "${ms[@]}"; return; }
	client "$cfg" iperf3 -c "$(addr "$cfg" s)" -B "$(addr "$cfg" c)" -p 5201 -t "$SECS" -J "$@"
	rc=$?
	bytes=$(iperf_json sum_received bytes)
	bps=$(iperf_json sum_received bits_per_second)
	if [ $rc != 0 ] || [ -z "$bps" ]; then
		grep -q '"error"' "$tmp/cli.out" 2>/dev/null &&
			python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"])' "$tmp/cli.out" >>"$tmp/cli.err" 2>/dev/null
		fail_client "$cfg" "$rc" "${ms[@]}"
	else
		rec "$cfg" "${n}_gbps" "$(per "$bps" 1 1e-9)"
		snd=$cli_cpu rcv=$srv_cpu
		case " $* " in *" -R "*) snd=$srv_cpu rcv=$cli_cpu ;; esac
		rec "$cfg" "${n}_cpu_snd" "$(per "$snd" "$bytes" 1e9)"
		rec "$cfg" "${n}_cpu_rcv" "$(per "$rcv" "$bytes" 1e9)"
	fi
	stop_server
}
t_bulk1() { iperf "$1" bulk1; }
t_bulk1r() { iperf "$1" bulk1r -R; }
t_bulk4() { iperf "$1" bulk4 -P 4; }
t_small() { iperf "$1" small -l 64; }
# smallw: 64-byte sends from the server side, a sink reading 256 KB at a
# time (bench/smallw.c): the sender's cost alone, where iperf3 -l 64 also
# pays a 64-byte read per message on the receiver
t_smallw() {
	local cfg=$1 rc bytes secs
	local ms=(smallw_gbps smallw_cpu_snd)
	start_server "$cfg" "listening on" "$B/bench/smallw" source 7001 64 "$SECS" ||
		{ rec_fail "$cfg" "$srv_why" "${ms[@]}"; return; }
	client "$cfg" "$B/bench/smallw" sink "$(addr "$cfg" s)" 7001
	rc=$?
	read -r _ bytes _ secs <"$tmp/cli.out" 2>/dev/null
	if [ $rc != 0 ] || [ -z "${secs:-}" ]; then
		fail_client "$cfg" "$rc" "${ms[@]}"
	else
		rec "$cfg" smallw_gbps "$(per "$bytes" "$secs" 8e-9)"
		rec "$cfg" smallw_cpu_snd "$(per "$srv_cpu" "$bytes" 64e9)"
	fi
	stop_server
}

# sockperf CONFIG NAME [--tcp] - NAME_avg/p50/p99/p999 (us RTT), NAME_cpu_cli/srv (us per RTT)
sockperf_rr() {
	local cfg=$1 n=$2 rc
	shift 2
	local ms=("${n}_avg" "${n}_p50" "${n}_p99" "${n}_p999" "${n}_cpu_cli" "${n}_cpu_srv")
	start_server "$cfg" "using .* to block" sockperf server -i "$(addr "$cfg" s)" -p 11111 "$@" ||
		{ rec_fail "$cfg" "$srv_why" "${ms[@]}"; return; }
	client "$cfg" sockperf ping-pong -i "$(addr "$cfg" s)" -p 11111 "$@" -m 64 -t "$SECS" --full-rtt
	rc=$?
	sed 's/\x1b\[[0-9;]*m//g' "$tmp/cli.out" | awk '
		/====> avg-rtt=/ { sub(/.*avg-rtt=/, ""); sub(/ .*/, ""); avg = $0 }
		/percentile 50.000/ { p50 = $NF } /percentile 99.000/ { p99 = $NF }
		/percentile 99.900/ { p999 = $NF }
		/Valid Duration/ { sub(/.*ReceivedMessages=/, ""); n = $0 + 0 }
		END { if (avg != "" && p999 != "" && n > 0) print avg, p50, p99, p999, n }' >"$tmp/pp"
	if [ $rc != 0 ] || ! [ -s "$tmp/pp" ]; then
		fail_client "$cfg" "$rc" "${ms[@]}"
	else
		read -r avg p50 p99 p999 cnt <"$tmp/pp"
		rec "$cfg" "${n}_avg" "$avg"
		rec "$cfg" "${n}_p50" "$p50"
		rec "$cfg" "${n}_p99" "$p99"
		rec "$cfg" "${n}_p999" "$p999"
		rec "$cfg" "${n}_cpu_cli" "$(per "$cli_cpu" "$cnt" 1e6)"
		rec "$cfg" "${n}_cpu_srv" "$(per "$srv_cpu" "$cnt" 1e6)"
	fi
	stop_server
}
t_rr_tcp() { sockperf_rr "$1" rr_tcp --tcp; }

# rr_spin: the TCP ping-pong with both ends busy-polling for up to SPIN_US:
# skbos ends with SKBOS_SPIN_US, kernel ends with net.core.busy_read and
# busy_poll (global sysctls, so set only for this test and restored, by the
# exit trap too if the run is interrupted; veth
# has NAPI to poll only with GRO on, so GRO goes on for it too).
SPIN_US=50
t_rr_spin() {
	local gs gc
	busy_saved="$(cat /proc/sys/net/core/busy_read) $(cat /proc/sys/net/core/busy_poll)"
	gs=$(ip netns exec "${P}s" ethtool -k "${P}s0" | awk '/^generic-receive-offload/ { print $2 }')
	gc=$(ip netns exec "${P}c" ethtool -k "${P}c0" | awk '/^generic-receive-offload/ { print $2 }')
	ip netns exec "${P}s" ethtool -K "${P}s0" gro on >/dev/null 2>&1
	ip netns exec "${P}c" ethtool -K "${P}c0" gro on >/dev/null 2>&1
	echo "$SPIN_US" >/proc/sys/net/core/busy_read
	echo "$SPIN_US" >/proc/sys/net/core/busy_poll
	spin=$SPIN_US
	sockperf_rr "$1" rr_spin --tcp
	spin=
	busy_restore
	ip netns exec "${P}s" ethtool -K "${P}s0" gro "${gs:-off}" >/dev/null 2>&1
	ip netns exec "${P}c" ethtool -K "${P}c0" gro "${gc:-off}" >/dev/null 2>&1
}
t_rr_udp() { sockperf_rr "$1" rr_udp; }

# crr: connect/request/response/close per transaction (bench/crr.c)
t_crr() {
	local cfg=$1 rc
	local ms=(crr_tps crr_cpu_cli crr_cpu_srv)
	start_server "$cfg" "listening on" "$B/bench/crr" server 7000 || { rec_fail "$cfg" "$srv_why" "${ms[@]}"; return; }
	client "$cfg" "$B/bench/crr" client "$(addr "$cfg" s)" 7000 "$SECS"
	rc=$?
	read -r _ cnt _ secs _ <"$tmp/cli.out" 2>/dev/null
	if [ $rc != 0 ] || [ -z "${cnt:-}" ]; then
		fail_client "$cfg" "$rc" "${ms[@]}"
	else
		rec "$cfg" crr_tps "$(per "$cnt" "$secs" 1)"
		rec "$cfg" crr_cpu_cli "$(per "$cli_cpu" "$cnt" 1e6)"
		rec "$cfg" crr_cpu_srv "$(per "$srv_cpu" "$cnt" 1e6)"
	fi
	stop_server
}

# crr_tfo: the same with TCP Fast Open (RFC 7413): the listener sets
# TCP_FASTOPEN, the client sends its request in the SYN (sendto
# MSG_FASTOPEN); net.ipv4.tcp_fastopen=3 in the bench's two namespaces only
# (skbos reads its namespace's value); skbos<->skbos: skbos's Fast Open
# client (tcp_fastopen.c) against its server.
t_crr_tfo() {
	local cfg=$1 rc
	local ms=(crr_tfo_tps crr_tfo_cpu_srv)
	ip netns exec "${P}s" sysctl -qw net.ipv4.tcp_fastopen=3
	ip netns exec "${P}c" sysctl -qw net.ipv4.tcp_fastopen=3
	start_server "$cfg" "listening on" "$B/bench/crr" server-tfo 7001 || { rec_fail "$cfg" "$srv_why" "${ms[@]}"; return; }
	client "$cfg" "$B/bench/crr" client-tfo "$(addr "$cfg" s)" 7001 "$SECS"
	rc=$?
	read -r _ cnt _ secs _ <"$tmp/cli.out" 2>/dev/null
	if [ $rc != 0 ] || [ -z "${cnt:-}" ]; then
		fail_client "$cfg" "$rc" "${ms[@]}"
	else
		rec "$cfg" crr_tfo_tps "$(per "$cnt" "$secs" 1)"
		rec "$cfg" crr_tfo_cpu_srv "$(per "$srv_cpu" "$cnt" 1e6)"
	fi
	stop_server
}

# nginx + wrk, keep-alive (NAME=http_ka) or a connection per request (http_close)
nginx_wrk() {
	local cfg=$1 n=$2 rc rps
	shift 2
	local ms=("${n}_rps" "${n}_cpu_srv")
	start_server "$cfg" tcp:8080 nginx -c "${NGINX_CONF:-$tmp/nginx.conf}" -e stderr ||
		{ rec_fail "$cfg" "$srv_why" "${ms[@]}"; return; }
	client "$cfg" wrk -t1 -c"${WRK_CONNS:-16}" -d"${SECS}s" "$@" "http://$(addr "$cfg" s):8080/"
	rc=$?
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/cli.out")
	if [ $rc != 0 ] || [ -z "$rps" ]; then
		fail_client "$cfg" "$rc" "${ms[@]}"
	else
		rec "$cfg" "${n}_rps" "$rps"
		rec "$cfg" "${n}_cpu_srv" "$(per "$srv_cpu" "$(awk '/requests in/ { print $1 }' "$tmp/cli.out")" 1e6)"
		grep -q "Non-2xx\|Socket errors" "$tmp/cli.out" && echo "  $cfg $n: $(grep "Non-2xx\|Socket errors" "$tmp/cli.out")" >&2
	fi
	stop_server
}
t_http_ka() { nginx_wrk "$1" http_ka; }
t_http_close() { nginx_wrk "$1" http_close -H "Connection: close"; }
# nginx with master_process on and 2 workers (the Debian default's shape), on
# skbos a listener group of two processes; 32 connections, so both have work
t_http2_ka() { NGINX_CONF=$tmp/nginx2.conf WRK_CONNS=32 nginx_wrk "$1" http2_ka; }
t_http2_close() { NGINX_CONF=$tmp/nginx2.conf WRK_CONNS=32 nginx_wrk "$1" http2_close -H "Connection: close"; }

# bulk4p: 4 iperf3 -s processes (on skbos, 4 stacks on one address, each
# owning its port) and 4 iperf3 clients at once, one stream each; the sum
t_bulk4p() {
	local cfg=$1 port sum=0 bps rc=0 why= pid ports
	# ports of their own per configuration: nothing left of the one before can hold them
	case $cfg in kk) ports="5211 5212 5213 5214" ;; sk) ports="5221 5222 5223 5224" ;; *) ports="5231 5232 5233 5234" ;; esac
	prefix "$cfg" s
	# one at a time, each listening before the next starts (four started at
	# once now and then left the first silent for 10 s, on the kernel too)
	for port in $ports; do
		"${pre[@]}" timeout $((SECS * 4 + 60)) "${pre2[@]}" iperf3 -s -1 --forceflush -B "$(addr "$cfg" s)" -p $port \
			>"$tmp/srv$port.log" 2>&1 </dev/null &
		many_pids+=($!)
		for _ in $(seq 200); do
			grep -q "Server listening" "$tmp/srv$port.log" && break
			kill -0 "$!" 2>/dev/null || break
			sleep 0.05
		done
		grep -q "Server listening" "$tmp/srv$port.log" ||
			{ why="server on $port not ready in 10 s: $(why "$tmp/srv$port.log") (ps: $(ps -o pid=,stat=,wchan=,comm= --ppid "$!" | tr -s ' \n' ' '))"; break; }
	done
	if [ -z "$why" ]; then
		prefix "$cfg" c
		for port in $ports; do
			"${pre[@]}" timeout $((SECS * 3 + 20)) "${pre2[@]}" iperf3 -c "$(addr "$cfg" s)" \
				-B "$(addr "$cfg" c)" -p $port -t "$SECS" -J >"$tmp/cli$port.out" 2>"$tmp/cli$port.err" </dev/null &
			many_pids+=($!)
		done
		for pid in "${many_pids[@]: -4}"; do wait "$pid" || rc=$?; done
		for port in $ports; do
			bps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"])' \
				"$tmp/cli$port.out" 2>/dev/null) ||
				{ why="client to $port (exit $rc): $(why "$tmp/cli$port.err" "$tmp/cli$port.out")"; break; }
			sum=$(awk -v a="$sum" -v b="$bps" 'BEGIN { print a + b }')
		done
	fi
	# one-off servers (-1) end after their test; TERM to timeout reaches the
	# program (a KILL would leave it listening into the next configuration)
	for _ in $(seq 100); do
		for pid in "${many_pids[@]}"; do kill -0 "$pid" 2>/dev/null && break; pid=; done
		[ -z "$pid" ] && break
		sleep 0.05
	done
	for pid in "${many_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
	many_pids=()
	if [ -n "$why" ]; then rec_fail "$cfg" "$why" bulk4p_gbps; else rec "$cfg" bulk4p_gbps "$(per "$sum" 1 1e-9)"; fi
}

# redis-server + redis-benchmark, SET and GET ops/s
t_redis() {
	local cfg=$1 rc n=$((SECS * 20000))
	local ms=(redis_set redis_get)
	start_server "$cfg" "Ready to accept" redis-server --bind "$(addr "$cfg" s)" --port 6379 --save "" \
		--appendonly no --protected-mode no || { rec_fail "$cfg" "$srv_why" "${ms[@]}"; return; }
	client "$cfg" redis-benchmark -h "$(addr "$cfg" s)" -p 6379 -t set,get -n "$n" -c 16 --csv
	rc=$?
	local ops_set ops_get
	ops_set=$(awk -F'"' '$2 == "SET" { print $4 }' "$tmp/cli.out")
	ops_get=$(awk -F'"' '$2 == "GET" { print $4 }' "$tmp/cli.out")
	if [ $rc != 0 ] || [ -z "$ops_set" ] || [ -z "$ops_get" ]; then
		fail_client "$cfg" "$rc" "${ms[@]}"
	else
		rec "$cfg" redis_set "$ops_set"
		rec "$cfg" redis_get "$ops_get"
	fi
	stop_server
}

# memcached with 4 worker threads on one stack (issue 16: how the stack lock
# scales with threads), memcaslap's default 9:1 get/set mix over 2 threads x
# 32 connections; ops/s and the server's CPU per op (-u nobody: it drops
# root after skbos opened the device, as a packaged memcached does)
t_mcd() {
	local cfg=$1 rc tps ops
	start_server "$cfg" tcp:11211 memcached -u nobody -t 4 -l "$(addr "$cfg" s)" -p 11211 -U 0 ||
		{ rec_fail "$cfg" "$srv_why" mcd_tps mcd_cpu_srv; return; }
	client "$cfg" memcaslap -s "$(addr "$cfg" s):11211" -T 2 -c 32 -t "${SECS}s"
	rc=$?
	tps=$(awk '/^Run time:/ { for (i = 1; i < NF; i++) if ($i == "TPS:") print $(i + 1) }' "$tmp/cli.out")
	ops=$(awk '/^Run time:/ { for (i = 1; i < NF; i++) if ($i == "Ops:") print $(i + 1) }' "$tmp/cli.out")
	if [ $rc != 0 ] || [ -z "$tps" ]; then
		fail_client "$cfg" "$rc" mcd_tps mcd_cpu_srv
	else
		rec "$cfg" mcd_tps "$tps"
		rec "$cfg" mcd_cpu_srv "$(per "$srv_cpu" "$ops" 1e6)"
	fi
	stop_server
}

# VmRSS of the server with 1000 idle connections open, minus before them
t_mem() {
	local cfg=$1 r0 r1 i
	start_server "$cfg" "listening on" "$B/bench/crr" idle-server 7001 ||
		{ rec_fail "$cfg" "$srv_why" mem_kb_per_1000 mem_kb; return; }
	r0=$(rss_of "$srv_pid")
	prefix "$cfg" c
	"${pre[@]}" timeout $((SECS * 3 + 30)) "${pre2[@]}" "$B/bench/crr" idle-client "$(addr "$cfg" s)" 7001 1000 \
		$((SECS * 3 + 20)) >"$tmp/cli.out" 2>"$tmp/cli.err" </dev/null &
	bg_pid=$!
	for i in $(seq 200); do
		grep -q "^open" "$tmp/cli.out" && break
		kill -0 "$bg_pid" 2>/dev/null || break
		sleep 0.05
	done
	sleep 0.5 # the last accepts
	r1=$(rss_of "$srv_pid")
	if grep -q "^open" "$tmp/cli.out" && [ -n "$r1" ]; then
		rec "$cfg" mem_kb_per_1000 $((r1 - r0))
		rec "$cfg" mem_kb "$r1"
	elif ! kill -0 "$srv_pid" 2>/dev/null; then
		rec_fail "$cfg" "server died with connections opening: $(why "$tmp/srv.log")" mem_kb_per_1000 mem_kb
	else
		rec_fail "$cfg" "1000 connections not open in 10 s: $(why "$tmp/cli.err" "$tmp/cli.out")" mem_kb_per_1000 mem_kb
	fi
	kill -TERM "$bg_pid" 2>/dev/null
	wait "$bg_pid" 2>/dev/null
	bg_pid=
	stop_server
}

# The path's raw frame rate: afpacket_bench's plain AF_PACKET socket
# (sendmmsg / recvmmsg), 1514- and 64-byte frames, transmit and receive.
t_wire() {
	local size bin=$B/bench/afpacket_bench
	for size in 1514 64; do
		run_fg ip netns exec "${P}c" taskset -c "$CPU_C" timeout $((SECS + 10)) \
			"$bin" tx-raw "${P}c0" $size "$SECS" "$MAC_S" >"$tmp/cli.out" 2>"$tmp/cli.err"
		set -- $(cat "$tmp/cli.out")
		[ $# -ge 4 ] && rec wire "tx${size}_pps" "$4" || rec_fail wire "tx-raw: $(why "$tmp/cli.err")" "tx${size}_pps"
		ip netns exec "${P}c" taskset -c "$CPU_C" timeout $((SECS + 10)) \
			"$bin" gen "${P}c0" $size "$(awk "BEGIN { print $SECS + 1 }")" "$MAC_S" >/dev/null 2>&1 &
		bg_pid=$!
		sleep 0.3
		run_fg ip netns exec "${P}s" taskset -c "$CPU_S" timeout $((SECS + 10)) \
			"$bin" rx-raw "${P}s0" $size "$SECS" >"$tmp/cli.out" 2>"$tmp/cli.err"
		wait "$bg_pid"
		bg_pid=
		set -- $(cat "$tmp/cli.out")
		[ $# -ge 4 ] && rec wire "rx${size}_pps" "$4" || rec_fail wire "rx-raw: $(why "$tmp/cli.err")" "rx${size}_pps"
	done
}

# The floor of a round trip on this veth (issue 18), beside which skbos's
# latency rows stand: afpacket_bench's 64-B frame ping-pong from the client
# namespace (CPU $CPU_C) to a raw AF_PACKET echo in the server namespace
# (CPU $CPU_S), no IP, no TCP.  raw: plain sockets in blocking recv at both
# ends; uring: skbos's own device (io_uring, asleep on its completion eventfd
# as a blocked application thread is) against the blocking echo; the -spin
# pair: both ends poll and never sleep, the floor of rr_spin.
t_floor() {
	local mode pp echo bin=$B/bench/afpacket_bench
	# the ring as skbos-run sets it up (instance.c: AFP_SHARED_RING, no
	# DEFER_TASKRUN): with DEFER_TASKRUN a completion waits for the ring's
	# own io_uring_enter and never wakes a sleeper on the eventfd
	local uring_opts=5
	for mode in raw uring rawspin uringspin; do
		case $mode in
		raw) pp=pp-raw echo=echo ;;
		uring) pp=pp-dev echo=echo ;;
		rawspin) pp=pp-raw-spin echo=echo-spin ;;
		uringspin) pp=pp-dev-spin echo=echo-spin ;;
		esac
		ip netns exec "${P}s" taskset -c "$CPU_S" timeout $((SECS + 10)) \
			"$bin" "$echo" "${P}s0" 64 $((SECS + 2)) >/dev/null 2>&1 &
		bg_pid=$!
		sleep 0.3
		run_fg ip netns exec "${P}c" taskset -c "$CPU_C" timeout $((SECS + 10)) \
			"$bin" "$pp" "${P}c0" 64 "$SECS" "$MAC_S" $uring_opts >"$tmp/cli.out" 2>"$tmp/cli.err"
		kill -TERM "$bg_pid" 2>/dev/null
		wait "$bg_pid" 2>/dev/null
		bg_pid=
		set -- $(cat "$tmp/cli.out")
		if [ $# -ge 8 ] && [ "$3" -gt 0 ]; then
			rec floor "${mode}_p50" "$4"
			rec floor "${mode}_p99" "$5"
			rec floor "${mode}_p999" "$8"
		else
			rec_fail floor "$pp: $(why "$tmp/cli.err" "$tmp/cli.out")" "${mode}_p50"
		fi
	done
}

CONFIGS="kk sk ss"
t0=$(date +%s)
echo "bench: $ROUNDS round(s) of ${SECS} s runs; server on CPU $CPU_S, client on CPU $CPU_C; ${P}s0 <-> ${P}c0"
for round in $(seq "$ROUNDS"); do
	for t in $TESTS; do
		case $t in wire | floor) "t_$t"; continue ;; esac
		for cfg in $CONFIGS; do
			ts=$(date +%s.%N)
			"t_$t" "$cfg"
			printf 'round %s: %-10s %s %4.1f s\n' "$round" "$t" "$cfg" "$(echo "$(date +%s.%N) $ts" | awk '{ print $1 - $2 }')" >&2
		done
	done
done
elapsed=$(($(date +%s) - t0))

mkdir -p "$OUT"
stamp=$(date -u +%Y-%m-%d-%H%M)
{
	echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "cores $NCPU"
	echo "kernel $(uname -sr)"
	echo "commit $(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "rounds $ROUNDS"
	echo "secs $SECS"
	echo "elapsed $elapsed"
	echo "cpus server $CPU_S client $CPU_C"
	echo "busypoll $(cat /proc/sys/net/core/busy_poll) $(cat /proc/sys/net/core/busy_read)"
	echo "mode ${QUICK:+quick}"
} >"$tmp/machine"
python3 "$here/report.py" "$tmp/machine" "$tmp/res" "$OUT/$stamp.md" "$OUT/$stamp.dat" || exit 1
if [ -s "$OUT/$stamp.dat" ]; then
	gnuplot -e "datafile='$OUT/$stamp.dat'; outfile='$OUT/$stamp.png'" "$here/chart.gp" ||
		echo "bench: gnuplot failed; the table is still in $OUT/$stamp.md" >&2
fi
sed "s/$stamp\.png/latest.png/" "$OUT/$stamp.md" >"$OUT/latest.md"
rm -f "$OUT/latest.png"
[ -f "$OUT/$stamp.png" ] && cp "$OUT/$stamp.png" "$OUT/latest.png"
cp "$tmp/res" "$OUT/$stamp.raw"
# The README's copy, between its bench markers (default output only).
readme=$here/../README.md
if [ "$OUT" = "$here/results" ] && grep -q '^<!-- bench:end -->' "$readme"; then
	sed -e 1,2d -e 's|(latest\.png)|(bench/results/latest.png)|' "$OUT/latest.md" >"$tmp/embed"
	awk -v f="$tmp/embed" '/^<!-- bench:end -->/ { while ((getline l < f) > 0) print l; skip = 0 }
		!skip { print } /^<!-- bench:begin -->/ { skip = 1 }' "$readme" >"$tmp/readme" &&
		cat "$tmp/readme" >"$readme"
fi
cat "$OUT/latest.md"
echo "bench: $elapsed s; $OUT/latest.md (and .png), dated copies $OUT/$stamp.*"
