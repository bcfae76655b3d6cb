#!/bin/bash
# Floods and limits (issue 10): skbos on one end of a veth pair, the kernel
# on the other, and nothing may grow without bound.  Each part runs its own
# skbos process (tests/tools/tcpconns or udpecho, native API) and prints
# its numbers; the assertions use skbos's own accounting (skbos-stat's
# counters, gauges and per-socket memory), and VmRSS/VmHWM of the process
# as well, except in an ASan build (its allocator keeps freed memory).
#  1. SYN flood: tests/tools/flood sends spoofed SYNs (sendmmsg on
#     AF_PACKET) from 198.18.0.0/15, off-link behind the kernel's address
#     (skbos's gateway), so SYN-ACKs take the one gateway neighbour, as on
#     Linux; kernel clients keep connecting and exchanging 100 bytes.
#     >= 95% of them succeed, SYN cookies are sent, the SYN queue stays
#     within the backlog and the neighbour table at one entry.
#  2. N concurrent connections from the kernel (two source addresses) to a
#     skbos listener: all established (TcpCurrEstab), each echoes a byte,
#     bytes per connection reported; all gone after the clients close.
#  3. A kernel peer that never reads: skbos's sends stop at EAGAIN (a
#     blocking send with SO_SNDTIMEO too), Send-Q within SO_SNDBUF and no
#     growth.  The reverse: a skbos socket whose application never reads
#     gets out-of-order data into a hole (flood ofo) and then the kernel's
#     stream: its memory stays within the receive buffer's limit.
#  4. Fragment flood (incomplete and overlapping datagrams): reassembly
#     memory <= ipfrag_high_thresh, drops counted, and once the queues
#     expire (ipfrag_time) a fragmented datagram is reassembled again.
#  5. ARP flood (requests and replies from distinct spoofed senders): the
#     neighbour table stays <= gc_thresh3 and the real peer still resolves.
#  6. skbos closes each connection first while kernel clients churn: the
#     TIME-WAIT sockets stay within the namespace's tcp_max_tw_buckets.
# Short by default (make check: 2000 connections, floods of seconds);
# SKBOS_SOAK=1 (make soak) runs 20000 connections and longer, unthrottled
# floods.  Needs root: skipped (77) without it, except under CI=true.
set -u
top=${top_builddir:-.}
conns=$top/tests/tools/tcpconns
flood=$top/tests/tools/flood
echo_tool=$top/tests/tools/udpecho
stat=$top/skbos-stat
P=skf$$
tmp=$(mktemp -d)
pids=()
. "$(dirname "$0")/lib.sh"
trap netns_test_cleanup EXIT
[ "$(id -u)" = 0 ] || skip "needs root"
need_progs python3 ss
for t in "$conns" "$flood" "$echo_tool" "$stat"; do
	[ -x "$t" ] || fail "no $t (run make)"
done
if [ "${SKBOS_SOAK:-0}" = 1 ]; then
	mode=soak nconn=20000 syn_secs=30 syn_rate=0 ofo_count=200000 frag_secs=20 frag_rate=0
	arp_count=30000 tw_secs=30
else
	mode=short nconn=2000 syn_secs=6 syn_rate=50000 ofo_count=20000 frag_secs=3 frag_rate=50000
	arp_count=5000 tw_secs=3
fi
asan=0
ldd "$top/.libs/libskbos.so" 2>/dev/null | grep -q libasan && asan=1 # tools are libtool wrappers
GW=10.97.0.1
SK=10.97.0.2
veth_netns $GW/24
ip -n "${P}b" addr add 10.97.0.3/24 dev "${P}k" # a second client source (part 2)
mac=$(ip -n "${P}a" -br link show "${P}s" | awk '{ print $3 }')
echo "mode: $mode (SKBOS_SOAK=${SKBOS_SOAK:-0})$([ $asan = 1 ] && echo ', ASan build: VmRSS not asserted')"

# skbos NAME LOG CMD... - start a skbos program in ${P}a (address $SK/24
# unless $ADDR, gateway $GW); sets $spid to its PID once LOG says it is up.
skbos() {
	local name=$1 log=$2 p
	shift 2
	ip netns exec "${P}a" env SKBOS_IF="${P}s" SKBOS_ADDR="${ADDR:-$SK/24}" SKBOS_GW=$GW \
		timeout 600 "$@" 2>"$log" >>"$log.out" &
	pids+=($!)
	spid=
	for _ in $(seq 100); do
		for p in $(ip netns pids "${P}a"); do
			[ "$(cat /proc/"$p"/comm 2>/dev/null)" = "$name" ] && spid=$p
		done
		[ -n "$spid" ] && "$stat" -c "$spid" >/dev/null 2>&1 &&
			grep -Eq "listening|serving|blast" "$log" "$log.out" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$name did not start under skbos"
}
stop_skbos() {
	kill -TERM "$spid" 2>/dev/null
	wait_until 100 sh -c "! kill -0 $spid" || kill -KILL "$spid" 2>/dev/null
}
# kb FIELD - VmRSS or VmHWM of $spid in kB
kb() { awk -v f="$1:" '$1 == f { print $2 }' /proc/"$spid"/status; }
mem() { echo "VmRSS $(kb VmRSS) kB, VmHWM $(kb VmHWM) kB"; }
# counter NAME - a counter or gauge of $spid (skbos-stat -c)
counter() { "$stat" -c "$spid" | awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'; }
# rss_bound WHAT KB LIMIT_KB - VmRSS growth KB must stay under LIMIT_KB
rss_bound() {
	echo "  $1: VmRSS grew $2 kB (limit $3 kB)"
	[ $asan = 1 ] || [ "$2" -le "$3" ] || fail "$1: VmRSS grew $2 kB, more than $3 kB"
}
# field LINE NAME - the value of NAME:value in an skbos-stat socket line
field() { sed -n "s/.* $2:\([0-9]*\).*/\1/p" <<<"$1"; }

# ---- 1. SYN flood against a listener, legitimate clients alongside --------
echo "== 1. SYN flood: spoofed SYNs from 198.18.0.0/15 for ${syn_secs} s, kernel clients alongside"
skbos tcpconns "$tmp/syn.log" "$conns" serve 7001 128
ip netns exec "${P}b" timeout 30 "$conns" churn $SK 7001 1 2>"$tmp/churn0.log" ||
	fail "churn before the flood"
grep -q ' 0 failed' "$tmp/churn0.log" || fail "clients fail before any flood: $(cat "$tmp/churn0.log")"
rss0=$(kb VmRSS)
echo "  before: $(mem)"
ip netns exec "${P}b" timeout $((syn_secs + 30)) "$flood" --rate $syn_rate syn "${P}k" "$mac" $SK 7001 \
	198.18.0.0/15 "$syn_secs" >"$tmp/synflood.out" 2>"$tmp/synflood.log" &
fl=$!
pids+=($fl)
ip netns exec "${P}b" timeout $((syn_secs + 30)) "$conns" churn $SK 7001 $((syn_secs - 1)) \
	2>"$tmp/churn.log" &
ch=$!
pids+=($ch)
sleep $((syn_secs / 2))
synrecv=$("$stat" -s "$spid" | grep -c '^tcp  *SYN-RECV')
echo "  during: $(mem), $synrecv connections in SYN-RECV (backlog 128)"
rss1=$(kb VmRSS)
wait $fl || fail "flood: $(cat "$tmp/synflood.log")"
wait $ch || fail "churn: $(cat "$tmp/churn.log")"
sleep 1
echo "  $(cat "$tmp/synflood.out")"
read -r ok failed < <(sed -n 's/.*churn \([0-9]*\) ok \([0-9]*\) failed.*/\1 \2/p' "$tmp/churn.log")
pct=$((100 * ok / (ok + failed > 0 ? ok + failed : 1)))
cookies=$(counter TcpExtSyncookiesSent)
echo "  legitimate: $ok connected and echoed, $failed failed ($pct%)"
echo "  TcpExtSyncookiesSent $cookies, TcpExtSyncookiesRecv $(counter TcpExtSyncookiesRecv)," \
	"TcpExtListenOverflows $(counter TcpExtListenOverflows), ArpCacheEntries $(counter ArpCacheEntries)"
echo "  after: $(mem)"
[ "$ok" -ge 5 ] && [ "$pct" -ge 95 ] || fail "only $ok legitimate connections ($pct%) got through"
[ "$cookies" -ge 1000 ] || fail "the SYN queue never overflowed (TcpExtSyncookiesSent $cookies)"
[ "$synrecv" -le 128 ] || fail "$synrecv connections in SYN-RECV, more than the backlog"
[ "$(counter ArpCacheEntries)" -le 1 ] ||
	fail "spoofed sources took neighbour entries: $(counter ArpCacheEntries)"
rss_bound "SYN flood" $(($(kb VmRSS) - rss0)) 32768
rss_bound "SYN flood (midway)" $((rss1 - rss0)) 32768
stop_skbos

# ---- 2. many concurrent connections ---------------------------------------
echo "== 2. $nconn concurrent connections from the kernel (10.97.0.1 and 10.97.0.3)"
skbos tcpconns "$tmp/hold.log" "$conns" serve 7002 1024
rss0=$(kb VmRSS)
echo "  before: $(mem)"
ip netns exec "${P}b" timeout 400 "$conns" hold $SK 7002 "$nconn" 10.97.0.1,10.97.0.3 300 \
	2>"$tmp/clients.log" &
cl=$!
pids+=($cl)
wait_until 3000 grep -q "hold $nconn established" "$tmp/clients.log" ||
	fail "the clients did not all connect: $(tail -3 "$tmp/clients.log")"
estab=$(counter TcpCurrEstab)
rss1=$(kb VmRSS)
per=$(((rss1 - rss0) * 1024 / nconn))
echo "  TcpCurrEstab $estab, TcpPassiveOpens $(counter TcpPassiveOpens); $(mem);" \
	"$per bytes per connection (VmRSS delta / $nconn)"
[ "$estab" = "$nconn" ] || fail "TcpCurrEstab $estab, want $nconn"
[ $asan = 1 ] || [ "$per" -le 16384 ] || fail "$per bytes per connection"
kill -TERM $cl
wait $cl
wait_until 300 sh -c "[ \$($stat -c $spid | awk '\$1 == \"TcpCurrEstab\" { print \$2 }') = 0 ]" ||
	fail "connections left after the clients closed: TcpCurrEstab $(counter TcpCurrEstab)"
wait_until 300 sh -c "[ \$($stat -s $spid | grep -c '^tcp ') = 1 ]" ||
	fail "sockets left after the clients closed: $("$stat" -s "$spid" | grep -c '^tcp ')"
echo "  after the clients closed: TcpCurrEstab 0, only the listener left; $(mem)"
stop_skbos

# ---- 3a. skbos sends into a kernel socket that never reads ------------------
echo "== 3a. skbos sends into a kernel socket that never reads"
ip netns exec "${P}b" timeout 300 "$conns" idle 7003 2>"$tmp/idle.log" &
pids+=($!)
wait_until 100 grep -q listening "$tmp/idle.log" || fail "kernel idle listener"
skbos tcpconns "$tmp/blast.log" "$conns" blast $GW 7003
wait_until 300 grep -q "blast done" "$tmp/blast.log" || fail "blast: $(cat "$tmp/blast.log")"
rss0=$(kb VmRSS)
sed -n 's/^tcpconns: /  /p' "$tmp/blast.log"
ln=$("$stat" -s "$spid" | grep '^tcp  *ESTAB .* 10\.97\.0\.1:7003 ')
sendq=$(awk '{ print $4 }' <<<"$ln")
sndbuf=$(sed -n 's/.*SO_SNDBUF \([0-9]*\).*/\1/p' "$tmp/blast.log")
first=$(sed -n 's/.*blast took \([0-9]*\) bytes.*/\1/p' "$tmp/blast.log")
later=$(sed -n 's/.*, \([0-9]*\) more in.*/\1/p' "$tmp/blast.log")
kq=$(ip netns exec "${P}b" ss -Htn state established '( sport = :7003 )' | awk '{ print $1 }')
echo "  skbos Send-Q $sendq (wmem $(field "$ln" wmem), sndbuf $(field "$ln" sndbuf)), kernel Recv-Q $kq"
sleep 2
ln2=$("$stat" -s "$spid" | grep '^tcp  *ESTAB .* 10\.97\.0\.1:7003 ')
echo "  2 s later: Send-Q $(awk '{ print $4 }' <<<"$ln2"), $(mem)"
grep -q "SO_SNDTIMEO 1 s: -1 (EAGAIN)" "$tmp/blast.log" || fail "the blocking send did not time out with EAGAIN"
# tcp_sendmsg checks for room before each new skb, as Linux's
# sk_stream_memory_free: the last one (up to 64 KB of data) may pass it;
# skbs are charged for what they hold (as Linux's page fragments), so the
# unacknowledged bytes too may pass SO_SNDBUF by at most that skb
[ "$sendq" -le $((sndbuf + 65536)) ] || fail "Send-Q $sendq beyond SO_SNDBUF $sndbuf and one skb"
[ "$(field "$ln" wmem)" -le $((sndbuf + 70000)) ] ||
	fail "wmem $(field "$ln" wmem) beyond SO_SNDBUF $sndbuf and one skb"
[ "$(awk '{ print $4 }' <<<"$ln2")" -le "$sendq" ] || fail "Send-Q grew while the peer reads nothing"
# every byte the application got in is either here or in the peer's queue
[ $((sendq + kq)) -le $((first + later)) ] || fail "more queued than the application sent"
rss_bound "never-reading peer, 2 s" $(($(kb VmRSS) - rss0)) 1024
stop_skbos

# ---- 3b. the kernel sends into a skbos socket whose application never reads
echo "== 3b. the kernel sends into a skbos socket that is never read: out-of-order data first"
skbos tcpconns "$tmp/noread.log" "$conns" serve 7004 16 noread
rss0=$(kb VmRSS)
ip netns exec "${P}b" timeout 120 "$flood" ofo "${P}k" "$mac" $GW 20404 $SK 7004 "$ofo_count" \
	>"$tmp/ofo.out" 2>"$tmp/ofo.log" &
ofo=$!
pids+=($ofo)
sleep 0.3
ip netns exec "${P}b" timeout 300 "$conns" fill $SK 7004 20404 8 2>"$tmp/fill.log" &
pids+=($!)
wait $ofo || fail "flood ofo: $(cat "$tmp/ofo.log")"
sed 's/^/  /' "$tmp/ofo.out"
ln=$("$stat" -s "$spid" | grep '^tcp  *ESTAB .* 10\.97\.0\.1:20404 ')
rmem=$(field "$ln" rmem) rcvbuf=$(field "$ln" rcvbuf)
echo "  out of order: rmem $rmem, rcvbuf $rcvbuf, Recv-Q $(awk '{ print $3 }' <<<"$ln");" \
	"DropTCP_OFO_DROP $(counter DropTCP_OFO_DROP), DropSOCKET_RCVBUFF $(counter DropSOCKET_RCVBUFF); $(mem)"
# tcp_rmem_full: at most one skb (64 KB + headers) past 1.5 times the buffer
limit=$((rcvbuf + rcvbuf / 2 + 70000))
[ "$rmem" -le "$limit" ] || fail "out-of-order data took $rmem bytes, limit $limit"
[ "$rmem" -gt 0 ] || fail "no out-of-order data was queued (the flood missed the connection?)"
rss_bound "out-of-order flood" $(($(kb VmRSS) - rss0)) 16384
wait_until 600 grep -q "no progress" "$tmp/fill.log" || fail "fill: $(cat "$tmp/fill.log")"
ln=$("$stat" -s "$spid" | grep '^tcp  *ESTAB .* 10\.97\.0\.1:20404 ')
rmem=$(field "$ln" rmem) rcvbuf=$(field "$ln" rcvbuf) recvq=$(awk '{ print $3 }' <<<"$ln")
kq=$(ip netns exec "${P}b" ss -Htn state established '( dport = :7004 )' | awk '{ print $2 }')
echo "  $(sed -n 's/^tcpconns: //p' "$tmp/fill.log")"
echo "  in order: Recv-Q $recvq, rmem $rmem, rcvbuf $rcvbuf; the kernel's Send-Q $kq; $(mem)"
[ "$recvq" -le "$rcvbuf" ] || fail "Recv-Q $recvq beyond rcvbuf $rcvbuf"
[ "$rmem" -le $((rcvbuf + rcvbuf / 2 + 70000)) ] || fail "rmem $rmem beyond the limit"
rss_bound "never-reading application" $(($(kb VmRSS) - rss0)) 16384
stop_skbos

# ---- 4. fragment flood --------------------------------------------------------
echo "== 4. fragment flood: incomplete and overlapping datagrams for ${frag_secs} s"
skbos udpecho "$tmp/frag.log" "$echo_tool" server 7005 1000000 300
rss0=$(kb VmRSS)
ip netns exec "${P}b" timeout $((frag_secs + 30)) "$flood" --rate $frag_rate frag "${P}k" "$mac" $SK \
	7005 198.18.0.0/15 "$frag_secs" >"$tmp/fragflood.out" 2>"$tmp/fragflood.log" &
fl=$!
pids+=($fl)
maxmem=0 maxq=0
while kill -0 $fl 2>/dev/null; do
	read -r q m < <("$stat" -c "$spid" | awk '$1 == "FragInuse" { q = $2 } $1 == "FragMemory" { m = $2 } END { print q, m }')
	[ "${m:-0}" -gt $maxmem ] && maxmem=$m
	[ "${q:-0}" -gt $maxq ] && maxq=$q
	sleep 0.3
done
wait $fl || fail "flood: $(cat "$tmp/fragflood.log")"
echo "  $(cat "$tmp/fragflood.out")"
echo "  FragMemory at most $maxmem bytes in $maxq datagrams (ipfrag_high_thresh 4194304); $(mem)"
for c in IpReasmReqds IpReasmFails IpExtReasmOverlaps DropIP_FRAG_MEM DropIP_FRAG_OVERLAP; do
	echo "  $c $(counter $c)"
done
[ "$maxmem" -le 4194304 ] || fail "reassembly held $maxmem bytes"
[ "$(counter DropIP_FRAG_MEM)" -gt 0 ] || fail "the flood never reached ipfrag_high_thresh"
[ "$(counter IpExtReasmOverlaps)" -gt 0 ] || fail "no overlap counted"
rss_bound "fragment flood" $(($(kb VmRSS) - rss0)) 16384
# A fragmented datagram, once the flood's queues expire (ipfrag_time 30 s):
# until then the memory is full and Linux drops new fragments the same way.
t0=$SECONDS
ip netns exec "${P}b" timeout 90 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
msg = bytes(range(256)) * 16  # 4096 bytes: three fragments on a 1500 MTU
for _ in range(60):
    s.sendto(msg, (sys.argv[1], 7005))
    try:
        if s.recv(65536) == msg:
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
' $SK || fail "a fragmented datagram never got through after the flood"
echo "  a 4096-byte datagram (3 fragments) echoed $((SECONDS - t0)) s after the flood;" \
	"IpReasmTimeout $(counter IpReasmTimeout), IpReasmOKs $(counter IpReasmOKs)," \
	"FragMemory $(counter FragMemory)"
[ "$(counter IpReasmOKs)" -ge 1 ] || fail "IpReasmOKs is 0"
stop_skbos

# ---- 5. ARP flood -------------------------------------------------------------
echo "== 5. ARP flood: $arp_count requests and replies from distinct senders in 10.97.128.0/17"
ADDR=$SK/16 skbos udpecho "$tmp/arp.log" "$echo_tool" server 7006 1000000 300
udp_round() {
	ip netns exec "${P}b" timeout 30 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for i in range(20):
    s.sendto(b"ping %d" % i, (sys.argv[1], 7006))
    try:
        if s.recv(100) == b"ping %d" % i:
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
' $SK
}
udp_round || fail "no UDP echo before the flood"
rss0=$(kb VmRSS)
echo "  before: ArpCacheEntries $(counter ArpCacheEntries); $(mem)"
ip netns exec "${P}b" timeout 120 "$flood" --rate 50000 arp "${P}k" "$mac" $SK 10.97.128.0/17 "$arp_count" \
	>"$tmp/arpflood.out" 2>"$tmp/arpflood.log" || fail "flood: $(cat "$tmp/arpflood.log")"
echo "  $(cat "$tmp/arpflood.out")"
sleep 1
entries=$(counter ArpCacheEntries)
echo "  after: ArpCacheEntries $entries (gc_thresh3 1024), allocs $(counter ArpCacheAllocs)," \
	"destroys $(counter ArpCacheDestroys), forced gc runs $(counter ArpCacheForcedGcRuns)," \
	"table fulls $(counter ArpCacheTableFulls); $(mem)"
[ "$entries" -le 1024 ] || fail "$entries neighbour entries, beyond gc_thresh3"
[ "$(counter ArpCacheAllocs)" -gt 1024 ] || fail "the flood did not fill the table"
rss_bound "ARP flood" $(($(kb VmRSS) - rss0)) 8192
udp_round || fail "the real peer does not get answers after the ARP flood"
echo "  the kernel peer still gets its echo (ArpCacheEntries $(counter ArpCacheEntries))"
stop_skbos

# ---- 6. skbos closes first under a connection flood ---------------------------
echo "== 6. skbos closes first for ${tw_secs} s of connections: TIME_WAIT within tcp_max_tw_buckets (200)"
# the namespace's sysctl, which skbos takes as it stands in for its kernel stack
ip netns exec "${P}a" sh -c 'echo 200 >/proc/sys/net/ipv4/tcp_max_tw_buckets' ||
	fail "cannot set the namespace's tcp_max_tw_buckets"
skbos tcpconns "$tmp/tw.log" "$conns" serve 7007 128 close
rss0=$(kb VmRSS)
ip netns exec "${P}b" timeout $((tw_secs + 30)) "$conns" churn $SK 7007 "$tw_secs" 2>"$tmp/twchurn.log" ||
	fail "churn: $(cat "$tmp/twchurn.log")"
read -r ok failed < <(sed -n 's/.*churn \([0-9]*\) ok \([0-9]*\) failed.*/\1 \2/p' "$tmp/twchurn.log")
tw=$("$stat" -s "$spid" | grep -c '^tcp  *TIME-WAIT')
overflow=$(counter TcpExtTCPTimeWaitOverflow)
echo "  $ok connections closed by skbos first, $failed failed; $tw in TIME-WAIT," \
	"TcpExtTCPTimeWaitOverflow $overflow; $(mem)"
[ "$tw" -le 200 ] || fail "$tw sockets in TIME-WAIT, beyond tcp_max_tw_buckets"
[ "$overflow" -gt 0 ] && [ $((ok)) -gt 200 ] || fail "the cap was never reached ($ok connections)"
[ "$failed" -le $((ok / 20)) ] || fail "$failed of $((ok + failed)) connections failed"
rss_bound "TIME_WAIT flood" $(($(kb VmRSS) - rss0)) 8192
stop_skbos
echo "ok: floods and limits ($mode)"
exit 0
