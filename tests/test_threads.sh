#!/bin/bash
# Issue 16: no call waits for progress that no thread will make.
#  1. python3's two threads over 127.0.0.1 on skbos's loopback
#     (SKBOS_LOOPBACK=1): the main thread sendall()s 8 MB to a socket a
#     reader thread drains; 100 runs, each must move all 8 MB (it hung for
#     ever: tcp_sendmsg queued empty skbs on a 64 KB-MTU route);
#  2. the same over a veth: python3 under skbos-run sendall()s 8 MB to a
#     kernel socat echo while its reader thread takes the echo; 10 runs (SENDALL_VETH_RUNS; make soak: 100);
#  3. tests/tools/stress_threads: 2..8 threads x 1..16 TCP and UDP sockets,
#     random blocking / non-blocking / poll / select / epoll calls, random
#     sizes, connections opened and closed; client and echo in one process
#     over skbos's loopback, and skbos's client against a kernel echo over
#     the veth; every byte checked, a watchdog fails a run (with every
#     thread's state) when nothing moves for 2 s.  Seeds are random and
#     printed (STRESS_SEEDS="1 2 3" replays them; STRESS_RUNS sets how many).
# Needs root for the veth half: skipped (77) without it, except under CI=true.
set -u
P=skt$$
tmp=$(mktemp -d)
pids=()
. "$(dirname "$0")/lib.sh"
FAIL_TAIL=150 # a sanitizer report is long: its top names the race
B=$(cd "${top_builddir:-.}" && pwd)
lib=$B/.libs/libskbos-preload.so
stress=$B/tests/tools/stress_threads
runs=${STRESS_RUNS:-4}
veth_runs=${SENDALL_VETH_RUNS:-10} # make soak: 100, as the issue's acceptance
seeds=${STRESS_SEEDS:-$(for _ in $(seq "$runs"); do echo $((RANDOM * 32768 + RANDOM)); done)}
asan=false # an ASan or TSan shim: uninstrumented programs (python3) cannot load it
ldd "$lib" 2>/dev/null | grep -Eq 'lib[at]san' && asan=true
# ASan's runtime must come first in LD_PRELOAD; TSan's must not: ahead of the
# shim, TSan's poll/epoll_wait interceptors run first and call the shim from
# inside their blocking-call scope, where TSan ignores the shim's
# pthread_mutex_lock (thr->ignore_interceptors) and so reports races between
# two holders of the stack lock that are none.
rt=$(ldd "$lib" 2>/dev/null | awk '/libasan/ { print $3 }')
pre="${rt:+$rt }$lib"
trap netns_test_cleanup EXIT

cat >"$tmp/sendall.py" <<'PY'
import socket, sys, threading
N = 8 << 20
if len(sys.argv) > 1:      # the veth variant: a kernel echo at argv[1]:argv[2]
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
    a = c
else:                      # the issue's program: both ends in this process
    srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen()
    c = socket.create_connection(srv.getsockname()); a, _ = srv.accept()
got = [0]
def reader():
    while got[0] < N:
        d = c.recv(1 << 20)
        if not d: break
        got[0] += len(d)
t = threading.Thread(target=reader); t.start()
a.sendall(b'x' * N); t.join(); print(got[0])
PY

# 1. the issue's program, on skbos's loopback (an uninstrumented python3
# cannot load a sanitizer's shim: the stress program below is built with it)
if ! $asan; then
	for i in $(seq 100); do
		got=$(SKBOS_LOOPBACK=1 LD_PRELOAD=$lib timeout 30 python3 "$tmp/sendall.py" 2>"$tmp/py.log")
		[ "$got" = 8388608 ] || fail "run $i of the issue's program moved '${got}' of 8388608 bytes"
	done
	echo "ok: python3 sendall of 8 MB to a reader thread over skbos's loopback, 100 of 100 runs"
fi

# 3a. the stress program over skbos's loopback
for s in $seeds; do
	timeout 150 env SKBOS_LOOPBACK=1 LD_PRELOAD="$pre" "$stress" loop --seed "$s" >"$tmp/stress.log" 2>&1 ||
		fail "stress_threads loop --seed $s (replay: STRESS_SEEDS=$s)"
	tail -1 "$tmp/stress.log"
done

# the veth half: root and namespaces
[ "$(id -u)" = 0 ] || skip "the veth half needs root (the loopback half passed)"
veth_netns 10.94.0.1/24
skbos=(env SKBOS_PRELOAD_LIB="$lib" "$B/preload/skbos-run" --if "${P}s" --addr 10.94.0.2/24 --)
# a sanitizer's shim: what skbos-run does, by hand, so that only the
# instrumented program (not sh, timeout) gets the runtime and the shim
$asan && skbos=(env SKBOS_IF="${P}s" SKBOS_ADDR=10.94.0.2/24 LD_PRELOAD="$pre")

# 2. the issue's program over the veth, against a kernel echo
if ! $asan; then
	ip netns exec "${P}b" timeout 300 socat TCP-LISTEN:7000,bind=10.94.0.1,reuseaddr,fork EXEC:cat \
		>"$tmp/socat.log" 2>&1 &
	pids+=($!)
	wait_until 100 ip netns exec "${P}b" sh -c 'ss -Htln "sport = :7000" | grep -q .' ||
		fail "no kernel echo on 10.94.0.1:7000"
	for i in $(seq "$veth_runs"); do
		got=$(ip netns exec "${P}a" timeout 60 "${skbos[@]}" python3 "$tmp/sendall.py" 10.94.0.1 7000 \
			2>"$tmp/py.log")
		[ "$got" = 8388608 ] || fail "veth run $i moved '${got}' of 8388608 bytes"
	done
	echo "ok: python3 under skbos-run, sendall of 8 MB to a kernel echo while a thread reads it, $veth_runs of $veth_runs runs"
fi

# 3b. skbos's stress client against the same program's echo on the kernel
ip netns exec "${P}b" timeout 600 "$stress" server --port 7001 >"$tmp/kecho.log" 2>&1 &
pids+=($!)
wait_until 100 ip netns exec "${P}b" sh -c 'ss -Htln "sport = :7001" | grep -q .' ||
	fail "no kernel stress echo on 10.94.0.1:7001"
for s in $seeds; do
	ip netns exec "${P}a" timeout 150 "${skbos[@]}" "$stress" client --addr 10.94.0.1 --port 7001 \
		--seed "$s" >"$tmp/stress.log" 2>&1 ||
		fail "stress_threads client --seed $s over the veth (replay: STRESS_SEEDS=$s)"
	tail -1 "$tmp/stress.log"
done
echo "ok: stress_threads, seeds $(echo $seeds), over loopback and over a veth to the kernel"
