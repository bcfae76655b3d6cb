#!/bin/bash
# TCP Fast Open between the Linux kernel's client and skbos's server
# (RFC 7413), in namespaces this test makes and removes: python3 under
# skbos-run listens with TCP_FASTOPEN; the kernel's python3 client, with
# net.ipv4.tcp_fastopen=3 in its own namespace only, connects three times
# with sendto(MSG_FASTOPEN).  The first connection gets a cookie (its data
# goes after the handshake); the second and third carry their data in the
# SYN, and the kernel reports the SYN-ACK acknowledged it (tcpi_options
# TCPI_OPT_SYN_DATA).  Then the other way: skbos's client (python3 under
# skbos-run) against the kernel's Fast Open server: sendto(MSG_FASTOPEN)
# three times and TCP_FASTOPEN_CONNECT once; the kernel counts the SYNs
# whose data it took (TcpExtTCPFastOpenPassive in its namespace) and
# skbos's TCP_INFO says TCPI_OPT_SYN_DATA.  Every transfer is checked by
# sha256 of what the server received.
# Needs root: skipped (77) without it, except under CI=true (a failure).
set -u
B=$(cd "${top_builddir:-.}" && pwd)
run=$B/preload/skbos-run
export SKBOS_PRELOAD_LIB="$B/.libs/libskbos-preload.so"
P=skf$$
tmp=$(mktemp -d)
pids=()
. "$(dirname "$0")/lib.sh"
cleanup() {
	kill_pids
	kill_netns_pids a b
	del_netns a b
	rm -rf "$tmp"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || skip "needs root"
command -v python3 >/dev/null || skip "python3 is not installed"
[ -x "$run" ] || fail "no $run (run make)"
if ldd "$SKBOS_PRELOAD_LIB" 2>/dev/null | grep -q libasan; then
	echo "SKIP: an ASan shim cannot be preloaded into uninstrumented programs (test_preload_net.sh)"
	exit 77
fi
ip netns add "${P}a" 2>/dev/null || skip "cannot create network namespaces"
veth_pair 10.88.0.1/24
# Fast Open's server bit for skbos (it reads its namespace's sysctl), the
# client bit for the kernel: each in a namespace of this test only.
ip netns exec "${P}a" sysctl -qw net.ipv4.tcp_fastopen=3 || fail "sysctl in ${P}a"
ip netns exec "${P}b" sysctl -qw net.ipv4.tcp_fastopen=3 || fail "sysctl in ${P}b"

# The Fast Open server of both halves: sha256 of each connection's bytes, sent back.
cat >"$tmp/server.py" <<'PY'
import hashlib, socket, sys
l = socket.socket()
l.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
l.bind((sys.argv[1], int(sys.argv[2]))); l.listen(16)
print("listening", flush=True)
for _ in range(int(sys.argv[3])):
    c, _ = l.accept()
    h = hashlib.sha256()
    while True:
        b = c.recv(65536)
        if not b: break
        h.update(b)
    c.sendall(h.hexdigest().encode())
    c.close()
PY
ip netns exec "${P}a" timeout 60 "$run" --if "${P}s" --addr 10.88.0.2/24 -- python3 "$tmp/server.py" 0.0.0.0 9100 3 \
	>"$tmp/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do grep -q listening "$tmp/server.log" && break; sleep 0.05; done
grep -q listening "$tmp/server.log" || fail "the skbos server did not start"

ip netns exec "${P}b" timeout 60 python3 -c '
import hashlib, os, socket, struct
for i in range(3):
    data = os.urandom(1000 + i)
    s = socket.socket()
    s.sendto(data, socket.MSG_FASTOPEN, ("10.88.0.2", 9100))
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = s.recv(100)
        if not b: break
        got += b
    opts = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)[5]
    ok = got.decode() == hashlib.sha256(data).hexdigest()
    print("conn %d sha256 %s syn_data %d" % (i, "ok" if ok else "BAD", (opts >> 5) & 1))
    s.close()
' >"$tmp/client.log" 2>&1 || fail "kernel client"
cat "$tmp/client.log"
grep -q "conn 0 sha256 ok syn_data 0" "$tmp/client.log" || fail "first connection (cookie request)"
grep -q "conn 1 sha256 ok syn_data 1" "$tmp/client.log" || fail "second connection: data in the SYN not acknowledged"
grep -q "conn 2 sha256 ok syn_data 1" "$tmp/client.log" || fail "third connection: data in the SYN not acknowledged"
echo "ok: kernel TFO client -> skbos TFO server: cookie, then data in the SYN twice, sha256 each"

# ---- skbos's client -> the kernel's server
ip netns exec "${P}b" timeout 60 python3 "$tmp/server.py" 10.88.0.1 9101 4 >"$tmp/kserver.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do grep -q listening "$tmp/kserver.log" && break; sleep 0.05; done
grep -q listening "$tmp/kserver.log" || fail "the kernel server did not start"
passive0=$(ip netns exec "${P}b" nstat -az TcpExtTCPFastOpenPassive | awk "/TcpExtTCPFastOpenPassive/ { print \$2 }")

ip netns exec "${P}a" timeout 60 "$run" --if "${P}s" --addr 10.88.0.2/24 -- python3 -c '
import hashlib, os, socket
def check(i, s, data, sent):
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = s.recv(100)
        if not b: break
        got += b
    opts = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)[5]
    ok = got.decode() == hashlib.sha256(data).hexdigest() and sent == len(data)
    print("conn %d sha256 %s syn_data %d" % (i, "ok" if ok else "BAD", (opts >> 5) & 1), flush=True)
    s.close()
for i in range(3):
    data = os.urandom(1000 + i)
    s = socket.socket()
    n = s.sendto(data, socket.MSG_FASTOPEN, ("10.88.0.1", 9101))
    n += s.send(data[n:]) if n < len(data) else 0
    check(i, s, data, n)
data = os.urandom(3000)
s = socket.socket()
s.setsockopt(socket.IPPROTO_TCP, 30, 1)  # TCP_FASTOPEN_CONNECT
s.connect(("10.88.0.1", 9101))
s.sendall(data)
check(3, s, data, len(data))
' >"$tmp/sclient.log" 2>&1 || { cat "$tmp/sclient.log"; fail "skbos client"; }
cat "$tmp/sclient.log"
passive=$(ip netns exec "${P}b" nstat -az TcpExtTCPFastOpenPassive | awk "/TcpExtTCPFastOpenPassive/ { print \$2 }")
grep -q "conn 0 sha256 ok syn_data 0" "$tmp/sclient.log" || fail "skbos client, first connection (cookie request)"
for i in 1 2 3; do
	grep -q "conn $i sha256 ok syn_data 1" "$tmp/sclient.log" ||
		fail "skbos client, connection $i: data in the SYN not acknowledged"
done
[ $((passive - passive0)) = 3 ] || fail "the kernel took the SYN data of $((passive - passive0)) connections, not 3"
echo "ok: skbos TFO client -> kernel TFO server: cookie, then data in the SYN 3 times (MSG_FASTOPEN, TCP_FASTOPEN_CONNECT), sha256 each; kernel TCPFastOpenPassive +3"

