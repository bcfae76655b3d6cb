#!/bin/bash
# Prefork servers under skbos-run (DESIGN.md "fork/exec and many processes"):
# a listening socket inherited across fork accepts in every child that
# takes it up, each new connection in exactly one process.  Against kernel
# clients over a veth pair this test makes:
#  1. a python prefork server (the parent listens and never accepts, two
#     children accept: blocking accept, then select + accept): 1000
#     connections each, every answer right, both children serve;
#  2. stock nginx, master_process on, worker_processes 2 (workers setuid to
#     nobody after fork): 5000 requests on a connection each and 5000 on
#     keep-alive connections, every response checked, both workers serve;
#     wrk keep-alive and Connection: close, no errors;
#  3. one nginx worker killed mid-run: the master respawns it, the new one
#     serves, and no request to the other worker fails (a keep-alive
#     connection to it carries a request after every new connection; at
#     most the one request in flight on the killed worker is lost).
# Needs root: skipped (77) without it, except under CI=true (a failure).
set -u
P=skp$$
tmp=$(mktemp -d)
chmod 755 "$tmp" # nginx's workers run as nobody
pids=()
. "$(dirname "$0")/lib.sh"
preload_test
need_progs python3 nginx wrk curl
tools=$(cd "$(dirname "$0")/tools" && pwd)
N=${PREFORK_N:-1000}
veth_netns 10.98.0.1/24
A=10.98.0.2
skbos=("$run" --if "${P}s" --addr "$A/24" --)
inb=(ip netns exec "${P}b")

# ---- 1. python prefork ---------------------------------------------------------
prefork() { # MODE PORT
	ip netns exec "${P}a" timeout 300 "${skbos[@]}" python3 "$tools/prefork.py" \
		"$A" "$2" 2 "$1" "$tmp/kids$2" >"$tmp/prefork$2.log" 2>&1 &
	pids+=($!)
	wait_until 100 test -s "$tmp/kids$2" || fail "prefork ($1): never got ready"
	out=$("${inb[@]}" timeout 240 python3 -c '
import collections, socket, sys
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cnt = collections.Counter(); err = 0
for i in range(n):
    try:
        s = socket.create_connection((addr, port), timeout=10)
        s.sendall(b"%d\n" % i)
        pid, _, got = s.makefile("rb").readline().strip().partition(b":")
        s.close()
        if got != b"%d" % i:
            raise ValueError(got)
        cnt[int(pid)] += 1
    except Exception as e:
        err += 1
        print("request", i, repr(e), file=sys.stderr)
print("errors=%d" % err, " ".join("%d:%d" % kv for kv in sorted(cnt.items())))
' "$A" "$2" "$N" 2>"$tmp/prefork-cli$2.log")
	read -r k1 k2 <"$tmp/kids$2"
	[[ "$out" =~ ^errors=0\ ($k1|$k2):[0-9]+\ ($k1|$k2):[0-9]+$ ]] ||
		fail "prefork ($1): $out (workers $k1 $k2)"
	echo "ok: python prefork ($1 in 2 children, the parent never accepts): $N connections, $out"
}
prefork accept 8201
prefork select 8202

# ---- 2. nginx, master and 2 workers -----------------------------------------------------
d=$tmp/ng
mkdir -p "$d"
cat >"$d/nginx.conf" <<EOF
master_process on;
daemon off;
worker_processes 2;
pid $d/nginx.pid;
error_log $tmp/nginx.log warn;
events { worker_connections 1024; }
http {
	access_log off;
$(nginx_temp_paths "$d")
	keepalive_requests 1000000;
	server { listen $A:8080; location / { return 200 "\$pid \$request_uri\n"; } }
}
EOF
ip netns exec "${P}a" timeout 600 "${skbos[@]}" nginx -p "$d" -e "$tmp/nginx.log" -c "$d/nginx.conf" \
	>"$tmp/nginx-run.log" 2>&1 &
pids+=($!)
wait_until 100 "${inb[@]}" curl -s -m 1 -o /dev/null "http://$A:8080/up" || fail "nginx did not start"
workers() { pgrep -P "$(cat "$d/nginx.pid")" | sort -n | tr '\n' ' '; }
wait_until 100 sh -c "[ \$(pgrep -P \$(cat $d/nginx.pid) | wc -l) = 2 ]" || fail "not 2 workers: $(workers)"
w=$(workers)
# skbos-stat -a: the master (dormant since its fork) and both workers (active) in port 8080's group
master=$(cat "$d/nginx.pid")
statline() { ip netns exec "${P}a" "$B/skbos-stat" -a "${P}s" "$A"; }
# (a worker takes the listener up at its epoll_ctl, a moment after it starts)
wait_until 50 sh -c "ip netns exec ${P}a $B/skbos-stat -a ${P}s $A | grep -c group:8080/active | grep -qx 2"
st=$(statline) || fail "skbos-stat -a: $st"
grep -q -E "^$master nginx .*group:8080/dormant" <<<"$st" || fail "skbos-stat -a: master $master not dormant in 8080's group: $st"
for p in $w; do
	grep -q -E "^$p nginx .*group:8080/active" <<<"$st" || fail "skbos-stat -a: worker $p not active in 8080's group: $st"
done
echo "ok: skbos-stat -a: $(tr '\n' ';' <<<"$st")"
http() { "${inb[@]}" timeout 300 python3 "$tools/http_check.py" "$@" 2>>"$tmp/http.log"; }
both() { # OUT: both workers (and only they) served
	local p
	for p in $w; do grep -q -E "[=,]$p:[1-9]" <<<"$1" || return 1; done
}
out=$(http close "$A" 8080 5000)
[[ "$out" =~ ^ok\ requests=5000\ errors=0 ]] && both "$out" || fail "nginx, a connection each: $out (workers $w)"
echo "ok: nginx master + 2 workers, 5000 requests on a connection each: $out"
out=$(http keepalive "$A" 8080 5000 16)
[[ "$out" =~ ^ok\ requests=5000\ errors=0 ]] && both "$out" || fail "nginx, keep-alive: $out (workers $w)"
echo "ok: nginx master + 2 workers, 5000 requests on 16 keep-alive connections: $out"
# Steered by the kernel (DESIGN.md "Steering"): a worker's packet socket
# gets the SYNs of the group's port (its stack picks) and the flows the
# hash gives it, not every frame of the port; the master (dormant, the
# responder) gets the SYNs only.  Over a keep-alive run the three stacks
# together receive about what the kernel clients sent, not three times it.
insegs() {
	local p n s=0
	for p in $master $w; do
		n=$("$B/skbos-stat" -c "$p" | awk '$1 == "TcpInSegs" { print $2 }')
		s=$((s + ${n:-0}))
		echo "$p:${n:-0}" >>"$tmp/insegs"
	done
	echo $s
}
outsegs() { "${inb[@]}" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "OutSegs") c = i; h = 1 } else print $c }' /proc/net/snmp; }
in0=$(insegs) out0=$(outsegs)
out=$(http keepalive "$A" 8080 2000 16)
in1=$(insegs) out1=$(outsegs)
[[ "$out" =~ ^ok\ requests=2000\ errors=0 ]] || fail "nginx, keep-alive (steering run): $out"
got=$((in1 - in0)) sent=$((out1 - out0))
[ "$sent" -gt 2000 ] && [ "$got" -ge "$sent" ] && [ $((got * 10)) -le $((sent * 13)) ] ||
	fail "steering: the kernel clients sent $sent segments, the master and workers received $got (want $sent to 1.3x; by process, before and after: $(tr '\n' ' ' <"$tmp/insegs"))"
echo "ok: steered: the kernel clients sent $sent segments, nginx's three stacks received $got"
for hdr in keep-alive close; do
	out=$("${inb[@]}" timeout 60 wrk -t 2 -c 32 -d 2s --timeout 10s -H "Connection: $hdr" \
		"http://$A:8080/w" 2>&1) || fail "wrk ($hdr): $out"
	grep -q -E 'Socket errors|Non-2xx' <<<"$out" && fail "wrk ($hdr) reported errors: $out"
	echo "ok: wrk ($hdr) against nginx with 2 workers: $(grep -o -E '[0-9]+ requests in [^,]*' <<<"$out"), $(grep Requests/sec <<<"$out" | tr -s ' '), no errors"
done

# ---- 3. a worker killed mid-run ---------------------------------------------------------
out=$(http kill "$A" 8080 2000 500)
ka=$(grep -o 'keepalive pid=[0-9]* requests=[0-9]* errors=[0-9]* victim=[0-9]*' <<<"$out")
[[ "$ka" =~ requests=2000\ errors=0\ victim=[0-9]+ ]] ||
	fail "a worker killed: the other worker's keep-alive connection failed: $out"
[[ "$out" =~ ok\ requests=(199[0-9]|2000)\ errors=([01])\  ]] || fail "a worker killed: $out"
victim=${ka##*victim=}
wait_until 100 sh -c "[ \$(pgrep -P \$(cat $d/nginx.pid) | wc -l) = 2 ]" || fail "no respawn: $(workers)"
new=$(workers)
out2=$(http close "$A" 8080 300)
for p in $new; do
	[ "$p" = "$victim" ] && fail "the killed worker $victim is still there"
	grep -q -E "[=,]$p:[1-9]" <<<"$out2" || fail "worker $p (after the respawn) served nothing: $out2"
done
[[ "$out2" =~ ^ok\ requests=300\ errors=0 ]] || fail "after the respawn: $out2"
echo "ok: worker $victim killed mid-run: $ka; new connections: ${out##*ok }; the master respawned it ($new), both serve: $out2"
