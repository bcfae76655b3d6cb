#!/usr/bin/env python3
"""badframes - send a corpus of malformed frames to skbos (tests/test_kernel_malformed.sh).

    badframes.py IFACE DST_MAC DST_IP SRC_IP LIVE_SPORT LIVE_DPORT [ROUNDS]

From the kernel's side of a veth, with a raw AF_PACKET socket, every frame
addressed to DST_MAC/DST_IP (skbos).  SRC_IP is the kernel's address, and
SRC_IP:LIVE_SPORT -> DST_IP:LIVE_DPORT the live TCP connection (a kernel
sender whose stream skbos is receiving): the frames aimed at it take their
sequence numbers from skbos's own segments, sniffed on IFACE.  Each class is
sent ROUNDS times (default 20); one "class count" line per class on stdout,
so the test knows what to expect in skbos's counters.  python3 only: no scapy.
"""
import random
import socket
import struct
import sys
import time

ETH_P_ALL, ETH_P_IP, ETH_P_ARP = 0x0003, 0x0800, 0x0806
SYN, FIN, RST, ACK = 0x02, 0x01, 0x04, 0x10


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Sender:
    def __init__(self, iface, dmac, dip, sip):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((iface, 0))
        self.smac = self.sock.getsockname()[4]
        self.dmac = bytes.fromhex(dmac.replace(":", ""))
        self.dip, self.sip = socket.inet_aton(dip), socket.inet_aton(sip)
        self.ipid = 1
        self.counts = {}

    def frame(self, payload, proto=ETH_P_IP):
        return self.dmac + self.smac + struct.pack("!H", proto) + payload

    def send(self, cls, payload, proto=ETH_P_IP):
        self.sock.send(self.frame(payload, proto))
        self.counts[cls] = self.counts.get(cls, 0) + 1

    def ip(self, proto, body, src=None, dst=None, ihl=5, ver=4, tot=None, frag=0, bad_csum=False,
           ipid=None, opts=b""):
        src, dst = src or self.sip, dst or self.dip
        if ipid is None:
            self.ipid = (self.ipid + 1) & 0xFFFF
            ipid = self.ipid
        tot = 20 + len(opts) + len(body) if tot is None else tot
        hdr = struct.pack("!BBHHHBBH4s4s", ver << 4 | ihl, 0, tot, ipid, frag, 64, proto, 0,
                          src, dst) + opts
        c = csum(hdr) ^ (0x5A5A if bad_csum else 0)
        return hdr[:10] + struct.pack("!H", c) + hdr[12:] + body

    def tcp(self, sport, dport, seq, ack, flags, opts=b"", data=b"", doff=None, src=None,
            dst=None, bad_csum=False, win=1024):
        src, dst = src or self.sip, dst or self.dip
        doff = (20 + len(opts)) // 4 if doff is None else doff
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          doff << 4, flags, win, 0, 0) + opts
        seg = hdr + data
        c = csum(src + dst + struct.pack("!BBH", 0, 6, len(seg)) + seg) ^ (0x1111 if bad_csum else 0)
        return self.ip(6, seg[:16] + struct.pack("!H", c) + seg[18:], src=src, dst=dst)

    def udp(self, sport, dport, data, ulen=None, bad_csum=False):
        ulen = 8 + len(data) if ulen is None else ulen
        d = struct.pack("!HHHH", sport, dport, ulen, 0) + data
        c = csum(self.sip + self.dip + struct.pack("!BBH", 0, 17, len(d)) + d) or 0xFFFF
        c ^= 0x2222 if bad_csum else 0
        return self.ip(17, d[:6] + struct.pack("!H", c) + d[8:])

    def icmp(self, typ, code, rest, bad_csum=False):
        m = struct.pack("!BBH", typ, code, 0) + rest
        c = csum(m) ^ (0x3333 if bad_csum else 0)
        return self.ip(1, m[:2] + struct.pack("!H", c) + m[4:])


def sniff_live(iface, dip, dport, sport):
    """skbos's (seq, ack) on the live connection at a pause of the stream.

    The sender pauses between pieces; the numbers of skbos's last segment
    before 30 ms of quiet are its SND.NXT and RCV.NXT for a while, so that
    what is sent next lands where it is meant to (in the window, at RCV.NXT).
    """
    r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    r.bind((iface, 0))
    want = socket.inet_aton(dip)
    last = None
    deadline = time.time() + 10
    while time.time() < deadline:
        r.settimeout(0.03 if last else 1)
        try:
            f = r.recv(2048)
        except socket.timeout:
            if last:
                break
            continue
        if len(f) < 54 or f[23] != 6 or f[26:30] != want:
            continue
        t = f[14 + (f[14] & 15) * 4:]
        if struct.unpack("!HH", t[:4]) == (dport, sport):
            last = struct.unpack("!II", t[4:12])
    r.close()
    if not last:
        sys.exit("badframes: no segment of the live connection seen")
    return last


def main():
    iface, dmac, dip, sip = sys.argv[1:5]
    lsport, ldport = int(sys.argv[5]), int(sys.argv[6])
    rounds = int(sys.argv[7]) if len(sys.argv) > 7 else 20
    s = Sender(iface, dmac, dip, sip)
    rnd = random.Random(5961)
    good_tcp = s.tcp(40000, 9, 1, 0, SYN)[20:]  # a valid TCP header, to hand-cut
    for i in range(rounds):
        # ---- IP header ----
        s.send("ip_empty", b"")                                   # Ethernet header only
        s.send("ip_trunc", s.ip(6, b"")[:12])                     # 12 of 20 bytes
        s.send("ip_ihl_small", s.ip(6, good_tcp, ihl=4))
        s.send("ip_ihl_big", s.ip(6, b"", ihl=15))                # 60-byte header, 20 sent
        s.send("ip_version", s.ip(6, good_tcp, ver=6))
        s.send("ip_totlen_long", s.ip(6, good_tcp, tot=1400))
        s.send("ip_totlen_short", s.ip(6, good_tcp, tot=12))
        s.send("ip_csum", s.ip(6, good_tcp, bad_csum=True))
        # ---- transports ----
        s.send("tcp_trunc", s.ip(6, good_tcp[:12]))
        s.send("tcp_doff_small", s.tcp(40001, 9001, 1, 0, SYN, doff=4))
        s.send("tcp_doff_big", s.tcp(40001, 9001, 1, 0, SYN, doff=15))
        s.send("tcp_csum", s.tcp(40001, 9001, 1, 0, SYN, bad_csum=True))
        s.send("udp_trunc", s.ip(17, b"\0\x35\0\x35"))
        s.send("udp_len_long", s.udp(5353, 9999, b"x" * 8, ulen=200))
        s.send("udp_len_short", s.udp(5353, 9999, b"x" * 8, ulen=4))
        s.send("udp_csum", s.udp(5353, 9999, b"hello", bad_csum=True))
        s.send("icmp_trunc", s.ip(1, b"\x08\0\xf7"))
        s.send("icmp_csum", s.icmp(8, 0, struct.pack("!HH", 7, i) + b"ping", bad_csum=True))
        # ICMP errors: a quote too short for IP + 8 bytes; one about a datagram
        # we never sent; and, quoting the live connection, sequence numbers
        # it never sent (RFC 5927 §4.1: a blind PMTU or reset attack)
        s.send("icmp_quote_trunc", s.icmp(3, 3, bytes(4) + s.ip(6, b"", src=s.dip)[:10]))
        s.send("icmp_quote_foreign", s.icmp(3, 3, bytes(4) + s.ip(6, good_tcp, src=s.sip)[:28]))
        live = s.ip(6, struct.pack("!HHI", ldport, lsport, rnd.getrandbits(32)) + bytes(12),
                    src=s.dip, dst=s.sip)
        s.send("live_icmp_oow", s.icmp(3, 4, struct.pack("!HH", 0, 576) + live[:28]))
        s.send("live_icmp_oow", s.icmp(3, 1, bytes(4) + live[:28]))
        s.send("arp_trunc", bytes.fromhex("0001080006040001") + s.smac[:3], ETH_P_ARP)
        s.send("arp_bad_hlen", bytes.fromhex("0001080008040001") + bytes(20), ETH_P_ARP)
        # ---- fragments ----
        fid = 0x7000 + i
        s.send("frag_overlap", s.ip(17, bytes(64), frag=0x2000, ipid=fid))          # 0..63, MF
        s.send("frag_overlap", s.ip(17, bytes(64), frag=0x2000 | 4, ipid=fid))      # 32..95: overlaps
        pod = 0x7800 + i                                                             # ping of death
        s.send("frag_pod", s.ip(1, s.icmp(8, 0, bytes(1476))[20:], frag=0x2000, ipid=pod))
        s.send("frag_pod", s.ip(1, bytes(1480), frag=65528 // 8, ipid=pod))          # last: ends past 65535
        # ---- TCP options and flags, to the listening port ----
        s.send("tcp_opt_zero_len", s.tcp(41000 + i, ldport, 1000, 0, SYN, opts=b"\x02\x00\x05\xb4"))
        s.send("tcp_opt_huge_len", s.tcp(41100 + i, ldport, 1000, 0, SYN, opts=b"\x03\xff\x07\x00"))
        s.send("tcp_opt_past_hdr", s.tcp(41200 + i, ldport, 1000, 0, SYN, opts=b"\x01\x01\x08\x0a"))
        s.send("tcp_wscale_big", s.tcp(41300 + i, ldport, 1000, 0, SYN, opts=b"\x03\x03" + bytes([15 + i]) + b"\x00"))
        s.send("tcp_syn_fin", s.tcp(41400 + i, ldport, 1000, 0, SYN | FIN))
        # ---- martian sources ----
        s.send("land", s.tcp(ldport, ldport, 1000, 0, SYN, src=s.dip, dst=s.dip))
        s.send("src_bcast", s.ip(17, struct.pack("!HHHH", 7, 9999, 8, 0), src=b"\xff\xff\xff\xff"))
        s.send("src_mcast", s.ip(17, struct.pack("!HHHH", 7, 9999, 8, 0), src=b"\xe0\0\0\x01"))
    # ---- the live connection (RFC 5961), its numbers sniffed afresh each time ----
    for i in range(rounds * 2):
        sseq, sack = sniff_live(iface, dip, ldport, lsport)
        for _ in range(5):
            s.send("live_rst_random", s.tcp(lsport, ldport, rnd.getrandbits(32), 0, RST))
        # in the window but not RCV.NXT: a challenge ACK, rate-limited
        for _ in range(3):
            s.send("live_rst_inwindow", s.tcp(lsport, ldport, sack + rnd.randrange(1000, 8000), 0, RST))
        s.send("live_syn", s.tcp(lsport, ldport, sack + rnd.randrange(0, 8000), 0, SYN))
        s.send("live_ack_unsent", s.tcp(lsport, ldport, sack, sseq + 100000 + i, ACK))
        s.send("live_opt_bad", s.tcp(lsport, ldport, sack, sseq, ACK, opts=b"\x08\x00\x13\x37"))
    for cls in sorted(s.counts):
        print(cls, s.counts[cls])


if __name__ == "__main__":
    main()
