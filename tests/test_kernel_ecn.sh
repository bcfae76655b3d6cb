#!/bin/bash
# ECN (RFC 3168) between the Linux kernel's TCP and skbos, over a veth in
# namespaces this test makes and removes; each side's net.ipv4.tcp_ecn is
# set in its own namespace only (skbos reads its namespace's).
# 1. The kernel's client (tcp_ecn=1: it asks) -> skbos's server (tcp_ecn=2,
#    Linux's default: it accepts): 4 MB, sha256 checked; the kernel's
#    TCP_INFO says TCPI_OPT_ECN; on the wire (tcpdump on the kernel's end)
#    the SYN has ECE|CWR, the SYN-ACK ECE alone, skbos's data is ECT(0) and
#    its pure ACKs are not-ECT.
# 2. skbos's client (tcp_ecn=1) -> the kernel's server (tcp_ecn=2): 4 MB,
#    sha256 checked; both TCP_INFOs say TCPI_OPT_ECN; skbos's data segments
#    are ECT(0) (all but retransmissions), its SYN not-ECT with ECE|CWR.
# 3. tcp_ecn=2 on both: nobody asks, no ECE/CWR on any SYN, nothing ECT.
# 4. CE on the path: this machine has no nft and its tc no pedit action, so
#    tests/tools/impair marks CE (ce=5%, a router's AQM) on ECT frames
#    between the ends.  The kernel (tcp_ecn=1) sends 4 MB to skbos: skbos's
#    ACKs carry ECE, the kernel answers with CWR and counts
#    TcpExtTCPDeliveredCE; skbos (tcp_ecn=1) sends 4 MB to the kernel: the
#    kernel's ACKs carry ECE and skbos's data CWR.  sha256 each.
# Needs root: skipped (77) without it, except under CI=true (a failure).
set -u
P=ske$$
tmp=$(mktemp -d)
pids=()
. "$(dirname "$0")/lib.sh"
preload_test
# and the cable's namespaces of part 4
trap 'preload_test_cleanup; kill_netns_pids c m d; del_netns c m d' EXIT
need_progs python3 tcpdump nstat ethtool
[ -x "$run" ] || fail "no $run (run make)"
veth_netns 10.89.0.1/24

# A server: sha256 of the bytes received, sent back, and its tcpi_options.
cat >"$tmp/server.py" <<'PY'
import hashlib, socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2]))); l.listen(4)
print("listening", flush=True)
c, _ = l.accept()
h = hashlib.sha256()
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b)
opts = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)[5]
print("server ecn %d" % ((opts >> 3) & 1), flush=True)
c.sendall(h.hexdigest().encode())
c.close()
PY
# A client: 4 MB, the server's answer compared, its own tcpi_options.
cat >"$tmp/client.py" <<'PY'
import hashlib, os, socket, sys
data = os.urandom(4 << 20)
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
s.sendall(data)
opts = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)[5]
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = s.recv(100)
    if not b: break
    got += b
print("client sha256 %s ecn %d" % ("ok" if got.decode() == hashlib.sha256(data).hexdigest() else "BAD",
      (opts >> 3) & 1), flush=True)
PY

# capture NAME [NS IF]: tcpdump on the kernel's end (${P}b's ${P}k) until stopcap
capture() {
	ip netns exec "${P}${2:-b}" timeout 60 tcpdump --immediate-mode -U -i "${P}${3:-k}" -n -s 96 \
		-w "$tmp/$1.pcap" tcp \
		>"$tmp/$1.tcpdump.log" 2>&1 &
	cap=$!
	pids+=($cap)
	for _ in $(seq 100); do grep -q listening "$tmp/$1.tcpdump.log" && break; sleep 0.05; done
}
stopcap() {
	sleep 1
	kill -INT "$cap" 2>/dev/null
	wait "$cap" 2>/dev/null
}
# count NAME FILTER: packets in the capture that match
count() {
	tcpdump -r "$tmp/$1.pcap" -n "$2" 2>/dev/null | wc -l
}
# the filters: an IP header's ECN field, a TCP segment's payload length
ECT0='(ip[1] & 3) = 2'
NOTECT='(ip[1] & 3) = 0'
PAYLOAD='(ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2))'
SYN='(tcp[13] & 0xc2) = 0xc2'              # SYN with ECE|CWR
SYNACK_ECE='(tcp[13] & 0xd2) = 0x52'       # SYN-ACK with ECE, without CWR

server_skbos() {
	ip netns exec "${P}a" timeout 60 "$run" --if "${P}s" --addr 10.89.0.2/24 -- \
		python3 "$tmp/server.py" 0.0.0.0 "$1" >"$tmp/$2.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 200); do grep -q listening "$tmp/$2.log" && break; sleep 0.05; done
	grep -q listening "$tmp/$2.log" || fail "the skbos server did not start"
}
server_kernel() {
	ip netns exec "${P}b" timeout 60 python3 "$tmp/server.py" 10.89.0.1 "$1" >"$tmp/$2.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 200); do grep -q listening "$tmp/$2.log" && break; sleep 0.05; done
	grep -q listening "$tmp/$2.log" || fail "the kernel server did not start"
}

# ---- 1. the kernel asks, skbos accepts
ip netns exec "${P}a" sysctl -qw net.ipv4.tcp_ecn=2 || fail "sysctl in ${P}a"
ip netns exec "${P}b" sysctl -qw net.ipv4.tcp_ecn=1 || fail "sysctl in ${P}b"
capture k2s
server_skbos 9200 s1
ip netns exec "${P}b" timeout 60 python3 "$tmp/client.py" 10.89.0.2 9200 >"$tmp/c1.log" 2>&1 ||
	fail "kernel client"
stopcap
cat "$tmp/c1.log" "$tmp/s1.log"
grep -q "client sha256 ok ecn 1" "$tmp/c1.log" || fail "kernel client: sha256 or TCPI_OPT_ECN"
grep -q "server ecn 1" "$tmp/s1.log" || fail "skbos server: TCPI_OPT_ECN"
n_syn=$(count k2s "src 10.89.0.1 and $SYN and (tcp[13] & 0x10) = 0")
n_synack=$(count k2s "src 10.89.0.2 and $SYNACK_ECE and $NOTECT")
n_ect=$(count k2s "src 10.89.0.2 and $ECT0 and $PAYLOAD > 0")
n_ack_ect=$(count k2s "src 10.89.0.2 and not $NOTECT and $PAYLOAD = 0")
n_ack=$(count k2s "src 10.89.0.2 and $PAYLOAD = 0")
n_kect=$(count k2s "src 10.89.0.1 and $ECT0 and $PAYLOAD > 0")
echo "1: kernel SYN with ECE|CWR $n_syn, skbos SYN-ACK with ECE $n_synack, skbos data ECT(0) $n_ect," \
	"skbos pure ACKs $n_ack (ECT: $n_ack_ect), kernel data ECT(0) $n_kect"
[ "$n_syn" = 1 ] && [ "$n_synack" = 1 ] || fail "the handshake did not negotiate ECN on the wire"
[ "$n_ect" -ge 1 ] || fail "skbos's data is not ECT(0)"
[ "$n_ack" -ge 10 ] && [ "$n_ack_ect" = 0 ] || fail "skbos's pure ACKs are ECT"
[ "$n_kect" -ge 10 ] || fail "the kernel's data is not ECT(0)" # TSO: 64 KB frames
echo "ok: kernel (tcp_ecn=1) -> skbos (tcp_ecn=2): ECN negotiated, 4 MB sha256 ok"

# ---- 2. skbos asks, the kernel accepts
ip netns exec "${P}a" sysctl -qw net.ipv4.tcp_ecn=1 || fail "sysctl in ${P}a"
ip netns exec "${P}b" sysctl -qw net.ipv4.tcp_ecn=2 || fail "sysctl in ${P}b"
capture s2k
server_kernel 9201 s2
ip netns exec "${P}a" timeout 60 "$run" --if "${P}s" --addr 10.89.0.2/24 -- \
	python3 "$tmp/client.py" 10.89.0.1 9201 >"$tmp/c2.log" 2>&1 || fail "skbos client"
stopcap
cat "$tmp/c2.log" "$tmp/s2.log"
grep -q "client sha256 ok ecn 1" "$tmp/c2.log" || fail "skbos client: sha256 or TCPI_OPT_ECN"
grep -q "server ecn 1" "$tmp/s2.log" || fail "kernel server: TCPI_OPT_ECN"
n_syn=$(count s2k "src 10.89.0.2 and $SYN and (tcp[13] & 0x10) = 0 and $NOTECT")
n_synack=$(count s2k "src 10.89.0.1 and $SYNACK_ECE")
n_data=$(count s2k "src 10.89.0.2 and $PAYLOAD > 0")
n_ect=$(count s2k "src 10.89.0.2 and $ECT0 and $PAYLOAD > 0")
n_ack_ect=$(count s2k "src 10.89.0.1 and not $NOTECT and $PAYLOAD = 0")
echo "2: skbos SYN with ECE|CWR $n_syn, kernel SYN-ACK with ECE $n_synack, skbos data segments" \
	"$n_data of which ECT(0) $n_ect, kernel pure ACKs ECT $n_ack_ect"
[ "$n_syn" = 1 ] && [ "$n_synack" = 1 ] || fail "the handshake did not negotiate ECN on the wire"
[ "$n_ect" -ge 10 ] && [ $((n_ect * 10)) -ge $((n_data * 9)) ] ||
	fail "skbos's data is not ECT(0)" # all but retransmissions
echo "ok: skbos (tcp_ecn=1) -> kernel (tcp_ecn=2): ECN negotiated, 4 MB sha256 ok"

# ---- 3. both at 2: nobody asks
ip netns exec "${P}a" sysctl -qw net.ipv4.tcp_ecn=2 || fail "sysctl in ${P}a"
capture off
server_kernel 9202 s3
ip netns exec "${P}a" timeout 60 "$run" --if "${P}s" --addr 10.89.0.2/24 -- \
	python3 "$tmp/client.py" 10.89.0.1 9202 >"$tmp/c3.log" 2>&1 || fail "skbos client"
stopcap
grep -q "client sha256 ok ecn 0" "$tmp/c3.log" || fail "tcp_ecn=2 both: sha256, or ECN on"
grep -q "server ecn 0" "$tmp/s3.log" || fail "tcp_ecn=2 both: the kernel says ECN"
n_flags=$(count off "(tcp[13] & 0xc0) != 0")
n_ect=$(count off "not $NOTECT")
echo "3: segments with ECE or CWR $n_flags, ECT $n_ect"
[ "$n_flags" = 0 ] && [ "$n_ect" = 0 ] || fail "ECN without being asked"
echo "ok: tcp_ecn=2 on both ends: no ECN, 4 MB sha256 ok"

# ---- 4. CE marked on the path (tests/tools/impair, ce=5% each way)
impair=$B/tests/tools/impair
[ -x "$impair" ] || fail "no $impair (run make)"
ip netns add "${P}c" && ip netns add "${P}m" && ip netns add "${P}d" || fail "namespaces for the cable"
ip link add "${P}s2" netns "${P}c" type veth peer name "${P}m0" netns "${P}m" &&
	ip link add "${P}k2" netns "${P}d" type veth peer name "${P}m1" netns "${P}m" || fail "veths for the cable"
for e in c:s2 m:m0 m:m1 d:k2; do ip -n "$P${e%%:*}" link set "$P${e#*:}" up; done
for e in c:s2 d:k2; do
	ip netns exec "$P${e%%:*}" ethtool -K "$P${e#*:}" tx off tso off gso off >/dev/null 2>&1
done
ip -n "${P}d" addr add 10.90.0.1/24 dev "${P}k2"
ip netns exec "${P}c" sysctl -qw net.ipv4.tcp_ecn=1 || fail "sysctl in ${P}c"
ip netns exec "${P}d" sysctl -qw net.ipv4.tcp_ecn=1 || fail "sysctl in ${P}d"
ip netns exec "${P}m" "$impair" --a "${P}m0" --b "${P}m1" --ab ce=5% --ba ce=5% --seed 7 \
	--duration 120 --ready "$tmp/impair.ready" >"$tmp/impair.out" 2>&1 &
imp=$!
pids+=($imp)
for _ in $(seq 100); do [ -e "$tmp/impair.ready" ] && break; sleep 0.05; done
[ -e "$tmp/impair.ready" ] || fail "the impair cable did not start"
ECE='(tcp[13] & 0x40) != 0 and (tcp[13] & 0x02) = 0'
CWR='(tcp[13] & 0x80) != 0 and (tcp[13] & 0x02) = 0'

ce0=$(ip netns exec "${P}d" nstat -az TcpExtTCPDeliveredCE | awk '/TcpExtTCPDeliveredCE/ { print $2 }')
capture ce1 d k2
ip netns exec "${P}c" timeout 60 "$run" --if "${P}s2" --addr 10.90.0.2/24 -- \
	python3 "$tmp/server.py" 0.0.0.0 9300 >"$tmp/s4.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do grep -q listening "$tmp/s4.log" && break; sleep 0.05; done
grep -q listening "$tmp/s4.log" || fail "the skbos server (cable) did not start"
ip netns exec "${P}d" timeout 60 python3 "$tmp/client.py" 10.90.0.2 9300 >"$tmp/c4.log" 2>&1 ||
	fail "kernel client (cable)"
stopcap
ce=$(ip netns exec "${P}d" nstat -az TcpExtTCPDeliveredCE | awk '/TcpExtTCPDeliveredCE/ { print $2 }')
grep -q "client sha256 ok ecn 1" "$tmp/c4.log" || fail "kernel -> skbos with CE: sha256 or TCPI_OPT_ECN"
n_ece=$(count ce1 "src 10.90.0.2 and $ECE")
n_cwr=$(count ce1 "src 10.90.0.1 and $CWR")
echo "4a: kernel -> skbos, CE marked: skbos ACKs with ECE $n_ece, kernel segments with CWR $n_cwr," \
	"kernel TcpExtTCPDeliveredCE +$((ce - ce0))"
[ "$n_ece" -ge 1 ] && [ "$n_cwr" -ge 1 ] && [ $((ce - ce0)) -ge 1 ] || fail "CE was not echoed and answered"
echo "ok: kernel -> skbos with CE on the path: skbos echoes ECE, the kernel reduces (CWR), sha256 ok"

capture ce2 d k2
ip netns exec "${P}d" timeout 60 python3 "$tmp/server.py" 10.90.0.1 9301 >"$tmp/s5.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do grep -q listening "$tmp/s5.log" && break; sleep 0.05; done
grep -q listening "$tmp/s5.log" || fail "the kernel server (cable) did not start"
ip netns exec "${P}c" timeout 60 "$run" --if "${P}s2" --addr 10.90.0.2/24 -- \
	python3 "$tmp/client.py" 10.90.0.1 9301 >"$tmp/c5.log" 2>&1 || fail "skbos client (cable)"
stopcap
grep -q "client sha256 ok ecn 1" "$tmp/c5.log" || fail "skbos -> kernel with CE: sha256 or TCPI_OPT_ECN"
n_ece=$(count ce2 "src 10.90.0.1 and $ECE")
n_cwr=$(count ce2 "src 10.90.0.2 and $CWR")
n_data=$(count ce2 "src 10.90.0.2 and $PAYLOAD > 0")
echo "4b: skbos -> kernel, CE marked: kernel ACKs with ECE $n_ece, skbos data $n_data, with CWR $n_cwr"
[ "$n_ece" -ge 1 ] && [ "$n_cwr" -ge 1 ] || fail "skbos did not answer ECE with CWR"
kill -TERM "$imp" 2>/dev/null
wait "$imp" 2>/dev/null
cat "$tmp/impair.out"
echo "ok: skbos -> kernel with CE on the path: the kernel echoes ECE, skbos reduces (CWR), sha256 ok"
