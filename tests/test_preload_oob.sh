#!/bin/bash
# Urgent data, IP_PKTINFO and the error queue between skbos and the
# kernel's stack (issue 19), over a veth pair between two namespaces this
# test makes and removes.  python3 on both sides (the same script, a role
# each); under skbos-run on ${P}a, the kernel's own on ${P}b:
#  1. skbos sends "ab", "c" with MSG_OOB, "de"; the kernel reads "ab", is
#     at the mark (SIOCATMARK), reads "c" with MSG_OOB and then "de"; and
#     the same the other way, the kernel sending and skbos reading; the
#     reader owns its socket (F_SETOWN) and gets SIGURG;
#  2. a kernel client's datagram reaches skbos's UDP socket with IP_PKTINFO
#     naming the interface as the kernel numbers it (if_nametoindex) and
#     the destination address;
#  3. skbos's UDP socket with IP_RECVERR sends to a kernel port nobody
#     listens on: the kernel's ICMP port unreachable is read back with
#     MSG_ERRQUEUE (ECONNREFUSED, origin ICMP, type 3 code 3, the kernel's
#     address as offender, the datagram as data).
# Needs root and python3: skipped (77) without them, except under CI=true.
set -u
P=sko$$
tmp=$(mktemp -d)
pids=()
. "$(dirname "$0")/lib.sh"
preload_test
need_progs python3
K=10.92.0.1 S=10.92.0.2
veth_netns "$K/24"
cat >"$tmp/oob.py" <<'PY'
import fcntl, os, select, signal, socket, struct, sys
SIOCATMARK, IP_PKTINFO, IP_RECVERR = 0x8905, 8, 11  # (python has no names for the last two)
role, K, S, ifname = sys.argv[1:5]

def atmark(s):
    return struct.unpack("i", fcntl.ioctl(s, SIOCATMARK, b"\0\0\0\0"))[0]

def wait(s, ev):
    p = select.poll(); p.register(s, ev)
    if not p.poll(5000):
        sys.exit("timeout waiting for 0x%x" % ev)

def send_urgent(s, a, b, c):
    s.send(a); s.send(b, socket.MSG_OOB); s.send(c)

urg = [0]
signal.signal(signal.SIGURG, lambda *a: urg.__setitem__(0, urg[0] + 1))

def own(s):  # before the peer can send: SIGURG comes when the pointer arrives
    fcntl.fcntl(s, fcntl.F_SETOWN, os.getpid())
    return s

def read_urgent(s):
    wait(s, select.POLLPRI)
    out = [s.recv(16), atmark(s), s.recv(1, socket.MSG_OOB)]
    wait(s, select.POLLIN)
    out.append(s.recv(16))
    out.append("sigurg %d" % (fcntl.fcntl(s, fcntl.F_GETOWN) == os.getpid() and urg[0] > 0))
    return out

if role == "kernel":
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((K, 7100)); l.listen(1); print("ready", flush=True)
    c = own(l.accept()[0])
    c.send(b"!")  # owned: the peer may send its urgent byte
    print("kernel read", read_urgent(c), flush=True)
    send_urgent(c, b"xy", b"z", b"w")
    c.recv(1)  # the peer's close
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"to-skbos", (S, 7101))
else:
    c = own(socket.create_connection((K, 7100)))
    c.recv(1)  # the peer owns its socket now
    send_urgent(c, b"ab", b"c", b"de")
    print("skbos read", read_urgent(c), flush=True)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    u.bind(("0.0.0.0", 7101))
    c.close()
    wait(u, select.POLLIN)
    data, anc, flags, frm = u.recvmsg(64, 256)
    for lvl, typ, d in anc:
        if lvl == socket.IPPROTO_IP and typ == IP_PKTINFO:
            idx, spec, addr = struct.unpack("i4s4s", d)
            print("pktinfo", data, idx == socket.if_nametoindex(ifname), socket.inet_ntoa(spec),
                  socket.inet_ntoa(addr), frm[0], flush=True)
    e = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    e.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    e.sendto(b"nobody", (K, 7199))
    wait(e, select.POLLERR)
    data, anc, flags, frm = e.recvmsg(64, 256, socket.MSG_ERRQUEUE)
    for lvl, typ, d in anc:
        if lvl == socket.IPPROTO_IP and typ == IP_RECVERR:
            err, origin, typ_, code, pad, info, dat = struct.unpack("IBBBBII", d[:16])
            fam, port, off = struct.unpack("!HH4s", d[16:24])
            print("errqueue", data, err, origin, typ_, code, socket.inet_ntoa(off), frm,
                  bool(flags & socket.MSG_ERRQUEUE), flush=True)
PY
ip netns exec "${P}b" timeout 60 python3 "$tmp/oob.py" kernel "$K" "$S" "${P}b" >"$tmp/kernel.log" 2>&1 &
pids+=($!)
wait_until 50 grep -q ready "$tmp/kernel.log" || fail "the kernel side did not start"
ip netns exec "${P}a" timeout 60 "$run" --if "${P}s" --addr "$S/24" -- \
	python3 "$tmp/oob.py" skbos "$K" "$S" "${P}s" >"$tmp/skbos.log" 2>&1 || fail "the skbos side failed"
wait "${pids[0]}" || fail "the kernel side failed"
want() { grep -qxF "$2" "$tmp/$1.log" || fail "$1: expected '$2'"; }
want kernel "kernel read [b'ab', 1, b'c', b'de', 'sigurg 1']"
want skbos "skbos read [b'xy', 1, b'z', b'w', 'sigurg 1']"
want skbos "pktinfo b'to-skbos' True $S $S $K"
want skbos "errqueue b'nobody' 111 2 3 3 $K ('$K', 7199) True"
cat "$tmp/kernel.log" "$tmp/skbos.log"
echo "PASS: urgent data both ways (with SIGURG to the F_SETOWN owner), IP_PKTINFO and the ICMP error queue against the kernel"
