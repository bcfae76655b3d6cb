#!/bin/bash
# Stock multi-process servers under skbos-run (issue 17; DESIGN.md "fork/exec
# and many processes"), each against kernel clients over a veth pair this
# test makes, every answer checked byte for byte:
#  1. apache2 with mpm_prefork, then mpm_event (the parent binds as root,
#     its children setuid to www-data and accept from the inherited
#     listener): N connections, each GETs a 64 KB random file or a small
#     one (sha256 of every body); the access log (%P) shows which children
#     served: at least two did;
#  2. gunicorn --workers 2 (sync workers, pre-forked by the arbiter): N
#     requests, a connection each, to a WSGI app that answers its pid and
#     the URI (tools/http_check.py checks each), only worker pids answer;
#  3. redis-server with 50 clients (redis-benchmark) and BGSAVE during the
#     load, three times (a fork that never touches a socket, the child
#     writes the dump and exits): no client error, each BGSAVE completes
#     (LASTSAVE moves), and 1000 keys set before are all read back after.
# N is SERVERS_N (default 1000, issue 17's acceptance).
set -u
P=sks$$
tmp=$(mktemp -d)
chmod 755 "$tmp" # apache's children run as www-data
pids=()
. "$(dirname "$0")/lib.sh"
preload_test
need_progs python3 apache2 gunicorn redis-server redis-cli redis-benchmark curl
tools=$(cd "$(dirname "$0")/tools" && pwd)
N=${SERVERS_N:-1000}
veth_netns 10.99.0.1/24
A=10.99.0.2
skbos=("$run" --if "${P}s" --addr "$A/24" --)
ina=(ip netns exec "${P}a")
inb=(ip netns exec "${P}b")

# ---- 1. apache2, prefork and event ----------------------------------------------
www=$tmp/www
mkdir -p "$www"
head -c 65536 /dev/urandom >"$www/big.bin"
echo "small file for skbos" >"$www/small.txt"
chmod -R a+rX "$www"

# apache_conf MPM PORT - a minimal, self-contained configuration
apache_conf() {
	local d=$tmp/apache-$1 m=/usr/lib/apache2/modules
	mkdir -p "$d"
	cat >"$d/apache2.conf" <<EOF
ServerRoot $d
ServerName skbos-test
PidFile $d/apache2.pid
Mutex file:$d default
LoadModule mpm_$1_module $m/mod_mpm_$1.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule mime_module $m/mod_mime.so
User www-data
Group www-data
Listen $A:$2
ErrorLog $tmp/apache-$1.log
LogFormat "%P %U %s %B" pidlog
CustomLog $d/access.log pidlog
DocumentRoot $www
TypesConfig /etc/mime.types
<Directory $www>
	Require all granted
</Directory>
KeepAlive On
StartServers 2
EOF
	if [ "$1" = prefork ]; then
		echo "MinSpareServers 2
MaxSpareServers 4
MaxRequestWorkers 8" >>"$d/apache2.conf"
	else
		echo "ThreadsPerChild 8
MinSpareThreads 8
MaxSpareThreads 32
MaxRequestWorkers 32" >>"$d/apache2.conf"
	fi
	echo "$d"
}

apache() { # MPM PORT
	local d out served
	d=$(apache_conf "$1" "$2")
	"${ina[@]}" timeout 600 "${skbos[@]}" apache2 -f "$d/apache2.conf" -DFOREGROUND \
		>"$tmp/apache-$1-run.log" 2>&1 &
	pids+=($!)
	wait_until 150 "${inb[@]}" curl -s -f -m 1 -o /dev/null "http://$A:$2/small.txt" ||
		fail "apache2 ($1) did not start"
	out=$("${inb[@]}" timeout 400 python3 - "$A" "$2" "$N" "$www/big.bin" "$www/small.txt" <<'EOF' 2>"$tmp/apache-$1-cli.log"
import hashlib, http.client, sys
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
want = {"/big.bin": hashlib.sha256(open(sys.argv[4], "rb").read()).hexdigest(),
        "/small.txt": hashlib.sha256(open(sys.argv[5], "rb").read()).hexdigest()}
err = 0
for i in range(n):
    uri = "/big.bin" if i % 2 else "/small.txt"
    try:
        c = http.client.HTTPConnection(addr, port, timeout=10)
        c.request("GET", uri, headers={"Connection": "close"})
        r = c.getresponse()
        body = r.read()
        c.close()
        if r.status != 200 or hashlib.sha256(body).hexdigest() != want[uri]:
            raise ValueError("status %d, %d bytes" % (r.status, len(body)))
    except Exception as e:
        err += 1
        print("request", i, uri, repr(e), file=sys.stderr)
print("requests=%d errors=%d" % (n, err))
EOF
	)
	[ "$out" = "requests=$N errors=0" ] || fail "apache2 ($1): $out"
	# the access log is written as the children serve: wait for all N lines
	wait_until 50 sh -c "[ \$(grep -c ' 200 ' $d/access.log) -ge $N ]"
	served=$(awk '$3 == 200 { n[$1]++ } END { for (p in n) printf "%s:%d ", p, n[p] }' "$d/access.log")
	[ "$(wc -w <<<"$served")" -ge 2 ] || fail "apache2 ($1): one child served all: $served"
	echo "ok: apache2 mpm_$1 under skbos (children as www-data): $N connections, every body's sha256 right; served by pid:count $served"
	kill -TERM "$(cat "$d/apache2.pid")" 2>/dev/null
	wait_until 100 sh -c "! kill -0 $(cat "$d/apache2.pid") 2>/dev/null" || fail "apache2 ($1) did not stop"
}
apache prefork 8301
apache event 8302

# ---- 2. gunicorn, 2 sync workers ------------------------------------------------
cat >"$tmp/pidapp.py" <<'EOF'
import os


def app(environ, start_response):
    body = ("%d %s\n" % (os.getpid(), environ["PATH_INFO"])).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
EOF
"${ina[@]}" timeout 600 "${skbos[@]}" gunicorn --chdir "$tmp" --workers 2 --bind "$A:8303" \
	--pid "$tmp/gunicorn.pid" pidapp:app >"$tmp/gunicorn.log" 2>&1 &
pids+=($!)
wait_until 150 "${inb[@]}" curl -s -f -m 1 -o /dev/null "http://$A:8303/up" || fail "gunicorn did not start"
wait_until 100 sh -c "[ \$(pgrep -P \$(cat $tmp/gunicorn.pid) | wc -l) = 2 ]" || fail "gunicorn: not 2 workers"
gw=$(pgrep -P "$(cat "$tmp/gunicorn.pid")" | sort -n | tr '\n' ' ')
out=$("${inb[@]}" timeout 300 python3 "$tools/http_check.py" close "$A" 8303 "$N" 2>"$tmp/gunicorn-cli.log")
[[ "$out" =~ ^ok\ requests=$N\ errors=0\ pids=([0-9:,]+)$ ]] || fail "gunicorn: $out"
for pc in ${BASH_REMATCH[1]//,/ }; do
	grep -q -w "${pc%%:*}" <<<"$gw" || fail "gunicorn: pid ${pc%%:*} answered, not a worker ($gw)"
done
echo "ok: gunicorn --workers 2 under skbos (workers $gw): $out"
kill -TERM "$(cat "$tmp/gunicorn.pid")" 2>/dev/null

# ---- 3. redis: BGSAVE under 50 clients --------------------------------------------
mkdir -p "$tmp/redis"
"${ina[@]}" timeout 900 "${skbos[@]}" redis-server --port 6379 --bind "$A" --dir "$tmp/redis" \
	--save "" --appendonly no --protected-mode no >"$tmp/redis.log" 2>&1 &
pids+=($!)
rc=("${inb[@]}" redis-cli -h "$A")
wait_until 300 "${rc[@]}" ping || fail "redis-server under skbos did not start"
python3 -c '
import sys
for i in range(1000):
    k, v = "key:%d" % i, "value-%d-%s" % (i, "x" * (i % 97))
    sys.stdout.write("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
' >"$tmp/set.resp"
out=$("${rc[@]}" --pipe <"$tmp/set.resp" 2>&1)
grep -q 'errors: 0, replies: 1000' <<<"$out" || fail "redis SETs: $out"
"${inb[@]}" timeout 600 redis-benchmark -h "$A" -q -n 400000 -c 50 -t set,get,incr,lpush,lpop \
	>"$tmp/bench.out" 2>&1 &
bench=$!
for i in 1 2 3; do
	sleep 0.5
	# INFO's rdb_saves counts completed saves (LASTSAVE's one-second
	# resolution cannot tell a save done in redis's first second)
	before=$("${rc[@]}" info persistence | tr -d '\r' | sed -n 's/^rdb_saves://p')
	r=$("${rc[@]}" bgsave)
	[[ "$r" =~ "Background saving started" ]] || fail "BGSAVE $i: $r"
	wait_until 100 sh -c "${rc[*]} info persistence | tr -d '\\r' | grep -qx 'rdb_saves:$((before + 1))'" ||
		fail "BGSAVE $i never completed ($("${rc[@]}" info persistence | tr -d '\r' | grep -E 'rdb_(saves|bgsave|last_bgsave)' | tr '\n' ' '))"
done
kill -0 "$bench" 2>/dev/null || fail "redis-benchmark ended before the third BGSAVE: not during the load"
wait "$bench" || { cat "$tmp/bench.out"; fail "redis-benchmark failed during BGSAVE"; }
tr '\r' '\n' <"$tmp/bench.out" | grep -E 'requests per second' >"$tmp/bench.sum"
grep -q -i -E 'error|refused|reset' "$tmp/bench.out" && { cat "$tmp/bench.out"; fail "redis-benchmark reported errors"; }
[ "$(wc -l <"$tmp/bench.sum")" -ge 5 ] || { cat "$tmp/bench.out"; fail "redis-benchmark: too few results"; }
grep -q "Background saving terminated with success" "$tmp/redis.log" || fail "redis: no successful BGSAVE in its log"
for i in $(seq 0 999); do echo "GET key:$i"; done | "${rc[@]}" >"$tmp/values.got"
python3 -c '
for i in range(1000):
    print("value-%d-%s" % (i, "x" * (i % 97)))
' >"$tmp/values.want"
cmp -s "$tmp/values.got" "$tmp/values.want" || fail "redis: the 1000 keys set before the BGSAVEs read back differently"
[ -s "$tmp/redis/dump.rdb" ] || fail "redis: no dump.rdb"
echo "ok: redis-server under skbos, redis-benchmark -c 50 with 3 BGSAVEs during the load: no client error, $(wc -l <"$tmp/bench.sum") tests, each BGSAVE completed, 1000 keys read back identical"
