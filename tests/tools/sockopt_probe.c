/*
 * sockopt_probe - record what THIS machine's Linux kernel does for
 * setsockopt/getsockopt, as a C table the skbos tests replay against skbos.
 *
 * Plain libc sockets, no skbos code.  For each case below: open a fresh
 * kernel socket of the case's type, optionally setsockopt() the case's bytes
 * and length (record 0 or errno), optionally getsockopt() offering the
 * case's length (record 0 or errno, the optlen the kernel returned and the
 * bytes it wrote), close.  The table goes to stdout as a C header.
 *
 * Regenerate (as root: SOCK_RAW cases, and SO_PRIORITY > 6, SO_MARK and
 * SO_*BUFFORCE need CAP_NET_RAW / CAP_NET_ADMIN):
 *
 *   gcc -Wall -Wextra -O2 -o /tmp/p tests/tools/sockopt_probe.c && /tmp/p > tests/sockopt_linux.h
 *
 * Default values depend on sysctls; the generated header prints the ones in
 * force when it was made (read from /proc/sys):
 *   net.core.rmem_default, net.core.wmem_default  SO_RCVBUF/SO_SNDBUF (UDP, raw)
 *   net.core.rmem_max, net.core.wmem_max          clamp for SO_RCVBUF/SO_SNDBUF
 *   net.ipv4.tcp_rmem, net.ipv4.tcp_wmem          SO_RCVBUF/SO_SNDBUF (TCP, [1])
 *   net.ipv4.ip_default_ttl                       IP_TTL (and IP_TTL set -1)
 *   net.ipv4.ip_no_pmtu_disc                      IP_MTU_DISCOVER default
 *   net.ipv4.tcp_keepalive_time/_intvl/_probes    TCP_KEEPIDLE/INTVL/CNT
 *   net.ipv4.tcp_syn_retries                      TCP_SYNCNT
 *   net.ipv4.tcp_congestion_control               TCP_CONGESTION get
 *                                                 and TCP_CC_INFO (bbr: its 20-byte
 *                                                 struct tcp_bbr_info; cubic, reno: 0)
 * On the machine this was written on (Debian 12, kernel 6.18, CONFIG_HZ=250):
 *   rmem_default = wmem_default = 212992, rmem_max = wmem_max = 4194304,
 *   ip_default_ttl = 64, tcp_rmem = 4096 131072 33554432,
 *   tcp_wmem = 4096 16384 4194304, tcp_congestion_control = bbr.
 * SO_RCVTIMEO/SO_SNDTIMEO are kept in jiffies: {0,1} reads back as one
 * jiffy (4000 us at HZ=250).
 *
 * Table conventions (also printed in the header):
 *   - the buffer behind optval for getsockopt is always 512 bytes, zeroed;
 *     get_len is only what *optlen says (so 0xffffffff = a negative int in
 *     the kernel can be tried safely);
 *   - got_val holds the first min(got_len, 32) bytes the kernel returned
 *     (all zero when getsockopt failed);
 *   - TCP_INFO bytes are not recorded (they vary): got_val is all zero there,
 *     compare got_len and errno only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/utsname.h>

#define D 1u /* SOCK_DGRAM */
#define S 2u /* SOCK_STREAM */
#define R 4u /* SOCK_RAW, IPPROTO_ICMP */
#define DS (D | S)
#define DSR (D | S | R)
#define DR (D | R)
#define NOSET (-1)
#define NOGET (-1L)
#define GETBUF 512

union val {
	unsigned char b[32];
	int i;
	struct timeval tv;
	struct linger l;
	char s[32];
};

struct probe {
	unsigned types;
	const char *name;
	int level;
	const char *level_s;
	int optname;
	const char *opt_s;
	int set_len;   /* NOSET: no setsockopt */
	long get_len;  /* NOGET: no getsockopt */
	union val set;
};

/* General case: set_len bytes of the union (NOSET: none), then getsockopt
 * offering get_len (NOGET: none). */
#define C(types, lvl, opt, suffix, slen, glen, ...) \
	CX(types, #lvl, #opt, lvl, opt, suffix, slen, glen, __VA_ARGS__)
/* (every wrapper stringifies its own arguments: passed on, they would expand) */
#define CX(types, ls, os, lvl, opt, suffix, slen, glen, ...) \
	{ types, ls " " os " " suffix, lvl, ls, opt, os, slen, glen, { __VA_ARGS__ } }
/* get with an int-sized buffer */
#define G(types, lvl, opt) CX(types, #lvl, #opt, lvl, opt, "get", NOSET, 4, .i = 0)
/* get with another buffer size */
#define GL(types, lvl, opt, glen) \
	CX(types, #lvl, #opt, lvl, opt, "get len " #glen, NOSET, glen, .i = 0)
/* set an int (optlen 4), then get it back (4) */
#define SI(types, lvl, opt, v) CX(types, #lvl, #opt, lvl, opt, "set " #v, 4, 4, .i = (v))
/* set an int with optlen slen, then get (4) */
#define SIL(types, lvl, opt, v, slen) \
	CX(types, #lvl, #opt, lvl, opt, "set " #v " len " #slen, slen, 4, .i = (v))

static const struct probe probes[] = {
	/* ---- SOL_SOCKET booleans */
	G(DS, SOL_SOCKET, SO_REUSEADDR),
	SI(DS, SOL_SOCKET, SO_REUSEADDR, 1),
	SI(D, SOL_SOCKET, SO_REUSEADDR, 2),
	SIL(D, SOL_SOCKET, SO_REUSEADDR, 1, 2),
	SIL(D, SOL_SOCKET, SO_REUSEADDR, 1, 8),
	SIL(D, SOL_SOCKET, SO_REUSEADDR, 1, 0),
	GL(D, SOL_SOCKET, SO_REUSEADDR, 2),
	G(DS, SOL_SOCKET, SO_REUSEPORT),
	SI(D, SOL_SOCKET, SO_REUSEPORT, 1),
	G(DS, SOL_SOCKET, SO_BROADCAST),
	SI(D, SOL_SOCKET, SO_BROADCAST, 1),
	G(DS, SOL_SOCKET, SO_KEEPALIVE),
	SI(DS, SOL_SOCKET, SO_KEEPALIVE, 1),
	SI(D, SOL_SOCKET, SO_KEEPALIVE, 5),
	SI(D, SOL_SOCKET, SO_DONTROUTE, 1),
	SI(D, SOL_SOCKET, SO_TIMESTAMP, 1),
	G(D, SOL_SOCKET, SO_PASSCRED),
	G(S, SOL_SOCKET, SO_OOBINLINE),
	SI(D, SOL_SOCKET, SO_MARK, 5),

	/* ---- SO_RCVBUF / SO_SNDBUF */
	G(DSR, SOL_SOCKET, SO_RCVBUF),
	SI(DS, SOL_SOCKET, SO_RCVBUF, 1000),
	SI(DS, SOL_SOCKET, SO_RCVBUF, 0),
	SI(D, SOL_SOCKET, SO_RCVBUF, 1200),
	SI(DS, SOL_SOCKET, SO_RCVBUF, 100000),
	SI(D, SOL_SOCKET, SO_RCVBUF, 4194304),
	SI(DS, SOL_SOCKET, SO_RCVBUF, 0x7fffffff),
	SI(D, SOL_SOCKET, SO_RCVBUF, -1),
	SIL(DS, SOL_SOCKET, SO_RCVBUF, 1000, 2),
	SIL(D, SOL_SOCKET, SO_RCVBUF, 1000, 8),
	GL(D, SOL_SOCKET, SO_RCVBUF, 2),
	GL(D, SOL_SOCKET, SO_RCVBUF, 8),
	GL(D, SOL_SOCKET, SO_RCVBUF, 0),
	C(D, SOL_SOCKET, SO_RCVBUF, "get len -1", NOSET, 0xffffffffL, .i = 0),
	G(DSR, SOL_SOCKET, SO_SNDBUF),
	SI(DS, SOL_SOCKET, SO_SNDBUF, 1000),
	SI(DS, SOL_SOCKET, SO_SNDBUF, 0),
	SI(D, SOL_SOCKET, SO_SNDBUF, 3000),
	SI(DS, SOL_SOCKET, SO_SNDBUF, 100000),
	SI(D, SOL_SOCKET, SO_SNDBUF, 4194304),
	SI(DS, SOL_SOCKET, SO_SNDBUF, 0x7fffffff),
	SI(D, SOL_SOCKET, SO_SNDBUF, -1),
	SIL(DS, SOL_SOCKET, SO_SNDBUF, 1000, 2),
	SI(D, SOL_SOCKET, SO_RCVBUFFORCE, 1000),
	SI(D, SOL_SOCKET, SO_SNDBUFFORCE, 0x7fffffff),

	/* ---- SO_RCVTIMEO / SO_SNDTIMEO (struct timeval, 16 bytes) */
	C(DS, SOL_SOCKET, SO_RCVTIMEO, "get", NOSET, 16, .i = 0),
	C(DS, SOL_SOCKET, SO_RCVTIMEO, "set {1,500000}", 16, 16, .tv = { 1, 500000 }),
	C(D, SOL_SOCKET, SO_RCVTIMEO, "set {0,1}", 16, 16, .tv = { 0, 1 }),
	C(D, SOL_SOCKET, SO_RCVTIMEO, "set {0,0}", 16, 16, .tv = { 0, 0 }),
	C(D, SOL_SOCKET, SO_RCVTIMEO, "set {1,1000000}", 16, 16, .tv = { 1, 1000000 }),
	C(D, SOL_SOCKET, SO_RCVTIMEO, "set {1,-1}", 16, 16, .tv = { 1, -1 }),
	C(D, SOL_SOCKET, SO_RCVTIMEO, "set {-1,0}", 16, 16, .tv = { -1, 0 }),
	C(D, SOL_SOCKET, SO_RCVTIMEO, "set {-1,1000000}", 16, 16, .tv = { -1, 1000000 }),
	C(D, SOL_SOCKET, SO_RCVTIMEO, "set {2^40,0}", 16, 16, .tv = { 1LL << 40, 0 }),
	C(D, SOL_SOCKET, SO_RCVTIMEO, "set {1,500000} len 8", 8, 16, .tv = { 1, 500000 }),
	C(D, SOL_SOCKET, SO_RCVTIMEO, "set {1,500000} len 20", 20, 16, .tv = { 1, 500000 }),
	C(D, SOL_SOCKET, SO_RCVTIMEO, "set {1,500000} get len 8", 16, 8, .tv = { 1, 500000 }),
	C(D, SOL_SOCKET, SO_RCVTIMEO, "set {1,500000} get len 32", 16, 32, .tv = { 1, 500000 }),
	C(D, SOL_SOCKET, SO_RCVTIMEO, "get len 0", NOSET, 0, .i = 0),
	C(DS, SOL_SOCKET, SO_SNDTIMEO, "get", NOSET, 16, .i = 0),
	C(DS, SOL_SOCKET, SO_SNDTIMEO, "set {1,500000}", 16, 16, .tv = { 1, 500000 }),
	C(D, SOL_SOCKET, SO_SNDTIMEO, "set {1,1000000}", 16, 16, .tv = { 1, 1000000 }),
	C(D, SOL_SOCKET, SO_SNDTIMEO, "set {-1,0}", 16, 16, .tv = { -1, 0 }),
	C(D, SOL_SOCKET, SO_SNDTIMEO, "set {1,500000} len 8", 8, 16, .tv = { 1, 500000 }),

	/* ---- read-only */
	G(DS, SOL_SOCKET, SO_ERROR),
	SI(D, SOL_SOCKET, SO_ERROR, 0),
	GL(D, SOL_SOCKET, SO_ERROR, 2),
	G(DSR, SOL_SOCKET, SO_TYPE),
	SI(D, SOL_SOCKET, SO_TYPE, SOCK_DGRAM),
	G(DS, SOL_SOCKET, SO_DOMAIN),
	SI(D, SOL_SOCKET, SO_DOMAIN, AF_INET),
	G(DSR, SOL_SOCKET, SO_PROTOCOL),
	SI(D, SOL_SOCKET, SO_PROTOCOL, 0),
	G(DS, SOL_SOCKET, SO_ACCEPTCONN),
	SI(D, SOL_SOCKET, SO_ACCEPTCONN, 1),

	/* ---- SO_LINGER (struct linger, 8 bytes) */
	C(DS, SOL_SOCKET, SO_LINGER, "get", NOSET, 8, .i = 0),
	C(DS, SOL_SOCKET, SO_LINGER, "set {1,5}", 8, 8, .l = { 1, 5 }),
	C(D, SOL_SOCKET, SO_LINGER, "set {0,5}", 8, 8, .l = { 0, 5 }),
	C(D, SOL_SOCKET, SO_LINGER, "set {5,-1}", 8, 8, .l = { 5, -1 }),
	C(D, SOL_SOCKET, SO_LINGER, "set {1,5} len 4", 4, 8, .l = { 1, 5 }),
	C(D, SOL_SOCKET, SO_LINGER, "set {1,5} get len 4", 8, 4, .l = { 1, 5 }),
	C(D, SOL_SOCKET, SO_LINGER, "set {1,5} get len 16", 8, 16, .l = { 1, 5 }),

	/* ---- lowat, priority */
	G(DS, SOL_SOCKET, SO_RCVLOWAT),
	SI(DS, SOL_SOCKET, SO_RCVLOWAT, 0),
	SI(DS, SOL_SOCKET, SO_RCVLOWAT, 10),
	SI(D, SOL_SOCKET, SO_RCVLOWAT, -1),
	G(D, SOL_SOCKET, SO_SNDLOWAT),
	SI(DS, SOL_SOCKET, SO_SNDLOWAT, 10),
	G(D, SOL_SOCKET, SO_PRIORITY),
	SI(D, SOL_SOCKET, SO_PRIORITY, 6),
	SI(D, SOL_SOCKET, SO_PRIORITY, 7),
	SI(D, SOL_SOCKET, SO_PRIORITY, -1),

	/* ---- unknown optname, unknown level */
	SI(DS, SOL_SOCKET, 9999, 1),
	G(D, SOL_SOCKET, 9999),
	SI(DS, 12345, SO_RCVBUF, 1000),
	G(DS, 12345, SO_RCVBUF),

	/* ---- IPPROTO_IP */
	G(DSR, IPPROTO_IP, IP_TTL),
	SI(DS, IPPROTO_IP, IP_TTL, 1),
	SI(D, IPPROTO_IP, IP_TTL, 255),
	SI(D, IPPROTO_IP, IP_TTL, 0),
	SI(D, IPPROTO_IP, IP_TTL, 256),
	SI(DS, IPPROTO_IP, IP_TTL, -1),
	SIL(D, IPPROTO_IP, IP_TTL, 7, 1),
	SIL(D, IPPROTO_IP, IP_TTL, 7, 2),
	SIL(D, IPPROTO_IP, IP_TTL, 7, 0),
	SIL(D, IPPROTO_IP, IP_TTL, 7, 8),
	SIL(D, IPPROTO_IP, IP_TTL, 0x107, 1),
	GL(D, IPPROTO_IP, IP_TTL, 1),
	GL(D, IPPROTO_IP, IP_TTL, 2),
	GL(D, IPPROTO_IP, IP_TTL, 0),
	GL(D, IPPROTO_IP, IP_TTL, 8),
	C(D, IPPROTO_IP, IP_TTL, "get len -1", NOSET, 0xffffffffL, .i = 0),
	G(DS, IPPROTO_IP, IP_TOS),
	SI(DS, IPPROTO_IP, IP_TOS, 0x10),
	SI(DS, IPPROTO_IP, IP_TOS, 0xff),
	SI(DS, IPPROTO_IP, IP_TOS, 0x03),
	SI(D, IPPROTO_IP, IP_TOS, 0x1ff),
	SI(D, IPPROTO_IP, IP_TOS, -1),
	G(D, IPPROTO_IP, IP_RECVERR),
	SI(DS, IPPROTO_IP, IP_RECVERR, 1),
	SI(D, IPPROTO_IP, IP_RECVERR, 2),
	G(DSR, IPPROTO_IP, IP_MTU_DISCOVER),
	SI(D, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT),
	SI(D, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_WANT),
	SI(DS, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO),
	SI(D, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE),
	SI(D, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_INTERFACE),
	SI(D, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_OMIT),
	SI(D, IPPROTO_IP, IP_MTU_DISCOVER, 6),
	SI(D, IPPROTO_IP, IP_MTU_DISCOVER, -1),
	G(DS, IPPROTO_IP, IP_MTU),
	SI(D, IPPROTO_IP, IP_MTU, 1000),
	G(D, IPPROTO_IP, IP_PKTINFO),
	SI(DS, IPPROTO_IP, IP_PKTINFO, 1),
	G(D, IPPROTO_IP, IP_RECVTOS),
	SI(DS, IPPROTO_IP, IP_RECVTOS, 1),
	SI(D, IPPROTO_IP, IP_RECVTTL, 1),
	G(DS, IPPROTO_IP, IP_MULTICAST_TTL),
	SI(DS, IPPROTO_IP, IP_MULTICAST_TTL, 5),
	SI(D, IPPROTO_IP, IP_MULTICAST_TTL, -1),
	SI(D, IPPROTO_IP, IP_MULTICAST_TTL, 256),
	SIL(D, IPPROTO_IP, IP_MULTICAST_TTL, 5, 1),
	GL(D, IPPROTO_IP, IP_MULTICAST_TTL, 1),
	G(DS, IPPROTO_IP, IP_MULTICAST_LOOP),
	SI(D, IPPROTO_IP, IP_MULTICAST_LOOP, 0),
	SI(D, IPPROTO_IP, IP_MULTICAST_LOOP, 2),
	G(DR, IPPROTO_IP, IP_HDRINCL),
	SI(DR, IPPROTO_IP, IP_HDRINCL, 1),
	C(D, IPPROTO_IP, IP_OPTIONS, "get len 40", NOSET, 40, .i = 0),
	SI(DS, IPPROTO_IP, 9999, 1),
	G(DS, IPPROTO_IP, 9999),

	/* ---- IPPROTO_UDP */
	G(D, IPPROTO_UDP, UDP_CORK),
	SI(D, IPPROTO_UDP, UDP_CORK, 1),
	SI(S, IPPROTO_UDP, UDP_CORK, 1),

	/* ---- IPPROTO_TCP on TCP (unconnected), and on UDP / raw */
	G(DSR, IPPROTO_TCP, TCP_NODELAY),
	SI(DS, IPPROTO_TCP, TCP_NODELAY, 1),
	SI(S, IPPROTO_TCP, TCP_NODELAY, 5),
	SIL(S, IPPROTO_TCP, TCP_NODELAY, 1, 2),
	SIL(S, IPPROTO_TCP, TCP_NODELAY, 1, 8),
	GL(S, IPPROTO_TCP, TCP_NODELAY, 2),
	GL(S, IPPROTO_TCP, TCP_NODELAY, 0),
	GL(S, IPPROTO_TCP, TCP_NODELAY, 8),
	C(S, IPPROTO_TCP, TCP_NODELAY, "get len -1", NOSET, 0xffffffffL, .i = 0),
	G(DS, IPPROTO_TCP, TCP_MAXSEG),
	SI(S, IPPROTO_TCP, TCP_MAXSEG, 100),
	SI(S, IPPROTO_TCP, TCP_MAXSEG, 1),
	SI(S, IPPROTO_TCP, TCP_MAXSEG, 87),
	SI(S, IPPROTO_TCP, TCP_MAXSEG, 88),
	SI(S, IPPROTO_TCP, TCP_MAXSEG, 0),
	SI(S, IPPROTO_TCP, TCP_MAXSEG, 32767),
	SI(S, IPPROTO_TCP, TCP_MAXSEG, 32768),
	SI(S, IPPROTO_TCP, TCP_MAXSEG, -1),
	G(S, IPPROTO_TCP, TCP_CORK),
	SI(S, IPPROTO_TCP, TCP_CORK, 1),
	G(S, IPPROTO_TCP, TCP_KEEPIDLE),
	SI(S, IPPROTO_TCP, TCP_KEEPIDLE, 0),
	SI(S, IPPROTO_TCP, TCP_KEEPIDLE, 1),
	SI(S, IPPROTO_TCP, TCP_KEEPIDLE, 32767),
	SI(S, IPPROTO_TCP, TCP_KEEPIDLE, 32768),
	SI(S, IPPROTO_TCP, TCP_KEEPIDLE, -1),
	G(S, IPPROTO_TCP, TCP_KEEPINTVL),
	SI(S, IPPROTO_TCP, TCP_KEEPINTVL, 0),
	SI(S, IPPROTO_TCP, TCP_KEEPINTVL, 32767),
	SI(S, IPPROTO_TCP, TCP_KEEPINTVL, 32768),
	G(S, IPPROTO_TCP, TCP_KEEPCNT),
	SI(S, IPPROTO_TCP, TCP_KEEPCNT, 0),
	SI(S, IPPROTO_TCP, TCP_KEEPCNT, 127),
	SI(S, IPPROTO_TCP, TCP_KEEPCNT, 128),
	G(S, IPPROTO_TCP, TCP_SYNCNT),
	SI(S, IPPROTO_TCP, TCP_SYNCNT, 0),
	SI(S, IPPROTO_TCP, TCP_SYNCNT, 1),
	SI(S, IPPROTO_TCP, TCP_SYNCNT, 127),
	SI(S, IPPROTO_TCP, TCP_SYNCNT, 128),
	SI(S, IPPROTO_TCP, TCP_SYNCNT, 256),
	G(S, IPPROTO_TCP, TCP_USER_TIMEOUT),
	SI(S, IPPROTO_TCP, TCP_USER_TIMEOUT, 1000),
	SI(S, IPPROTO_TCP, TCP_USER_TIMEOUT, 0),
	SI(S, IPPROTO_TCP, TCP_USER_TIMEOUT, -1),
	C(DS, IPPROTO_TCP, TCP_CONGESTION, "get len 16", NOSET, 16, .i = 0),
	C(S, IPPROTO_TCP, TCP_CONGESTION, "get len 32", NOSET, 32, .i = 0),
	C(S, IPPROTO_TCP, TCP_CONGESTION, "get len 2", NOSET, 2, .i = 0),
	C(S, IPPROTO_TCP, TCP_CONGESTION, "get len 0", NOSET, 0, .i = 0),
	C(S, IPPROTO_TCP, TCP_CONGESTION, "set reno len 4", 4, 16, .s = "reno"),
	C(S, IPPROTO_TCP, TCP_CONGESTION, "set reno len 5 (with NUL)", 5, 16, .s = "reno"),
	C(S, IPPROTO_TCP, TCP_CONGESTION, "set cubic len 5", 5, 16, .s = "cubic"),
	C(S, IPPROTO_TCP, TCP_CONGESTION, "set nosuch len 6", 6, 16, .s = "nosuch"),
	C(S, IPPROTO_TCP, TCP_CONGESTION, "set reno len 0", 0, 16, .s = "reno"),
	C(S, IPPROTO_TCP, TCP_CONGESTION, "set renoXXXXXXXXXXXXXXXX len 20", 20, 16,
	  .s = "renoXXXXXXXXXXXXXXXX"),
	/* issue 22: TCP_NOTSENT_LOWAT takes any int (-1 reads back as such),
	 * TCP_INQ 0 or 1; TCP_CC_INFO answers what the default algorithm's
	 * get_info fills (net.ipv4.tcp_congestion_control) and sets nothing */
	G(DS, IPPROTO_TCP, TCP_NOTSENT_LOWAT),
	SI(S, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 16384),
	SI(S, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 0),
	SI(S, IPPROTO_TCP, TCP_NOTSENT_LOWAT, -1),
	SIL(S, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 16384, 2),
	SIL(S, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 16384, 8),
	GL(S, IPPROTO_TCP, TCP_NOTSENT_LOWAT, 2),
	G(DS, IPPROTO_TCP, TCP_INQ),
	SI(S, IPPROTO_TCP, TCP_INQ, 1),
	SI(S, IPPROTO_TCP, TCP_INQ, 2),
	SI(S, IPPROTO_TCP, TCP_INQ, -1),
	SIL(S, IPPROTO_TCP, TCP_INQ, 1, 2),
	GL(DS, IPPROTO_TCP, TCP_CC_INFO, 64),
	GL(S, IPPROTO_TCP, TCP_CC_INFO, 8),
	GL(S, IPPROTO_TCP, TCP_CC_INFO, 0),
	C(S, IPPROTO_TCP, TCP_CC_INFO, "get len -1", NOSET, 0xffffffffL, .i = 0),
	C(S, IPPROTO_TCP, TCP_CC_INFO, "set", 4, 64, .i = 1),
	C(DS, IPPROTO_TCP, TCP_INFO, "get len 512", NOSET, 512, .i = 0),
	C(S, IPPROTO_TCP, TCP_INFO, "get len 8", NOSET, 8, .i = 0),
	C(S, IPPROTO_TCP, TCP_INFO, "get len 0", NOSET, 0, .i = 0),
	G(S, IPPROTO_TCP, TCP_DEFER_ACCEPT),
	SI(S, IPPROTO_TCP, TCP_DEFER_ACCEPT, 1),
	SI(S, IPPROTO_TCP, TCP_DEFER_ACCEPT, 5),
	SI(S, IPPROTO_TCP, TCP_DEFER_ACCEPT, 0),
	SI(S, IPPROTO_TCP, TCP_DEFER_ACCEPT, -1),
	G(S, IPPROTO_TCP, TCP_QUICKACK),
	SI(S, IPPROTO_TCP, TCP_QUICKACK, 0),
	SI(S, IPPROTO_TCP, TCP_QUICKACK, 1),
	G(S, IPPROTO_TCP, TCP_WINDOW_CLAMP),
	SI(S, IPPROTO_TCP, TCP_WINDOW_CLAMP, 100),
	SI(S, IPPROTO_TCP, TCP_WINDOW_CLAMP, 10000),
	SI(S, IPPROTO_TCP, TCP_WINDOW_CLAMP, 0),
	SI(S, IPPROTO_TCP, TCP_WINDOW_CLAMP, -1),
	G(S, IPPROTO_TCP, TCP_FASTOPEN),
	SI(S, IPPROTO_TCP, TCP_FASTOPEN, 5),
	SI(S, IPPROTO_TCP, TCP_FASTOPEN, -1),
	G(S, IPPROTO_TCP, TCP_LINGER2),
	SI(S, IPPROTO_TCP, TCP_LINGER2, -1),
	SI(S, IPPROTO_TCP, TCP_LINGER2, 10),
	SI(DS, IPPROTO_TCP, 9999, 1),
	G(S, IPPROTO_TCP, 9999),
};

struct sym {
	int v;
	const char *s;
};
#define SYM(x) { x, #x }
static const struct sym errnos[] = {
	SYM(EPERM), SYM(ENOENT), SYM(EBADF), SYM(ENOMEM), SYM(EACCES), SYM(EFAULT),
	SYM(EBUSY), SYM(EEXIST), SYM(ENODEV), SYM(EINVAL), SYM(ENOSPC), SYM(EDOM),
	SYM(ERANGE), SYM(EAGAIN), SYM(ENOTSOCK), SYM(EDESTADDRREQ), SYM(EMSGSIZE),
	SYM(EPROTOTYPE), SYM(ENOPROTOOPT), SYM(EPROTONOSUPPORT), SYM(EOPNOTSUPP),
	SYM(EAFNOSUPPORT), SYM(EADDRINUSE), SYM(ENOBUFS), SYM(EISCONN), SYM(ENOTCONN),
	SYM(EALREADY), SYM(EINPROGRESS), SYM(E2BIG), SYM(ENOTTY),
};

static const char *errname(int e)
{
	static char buf[16];
	if (e == 0)
		return "0";
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].v == e)
			return errnos[i].s;
	snprintf(buf, sizeof(buf), "%d", e);
	return buf;
}

static void print_bytes(const unsigned char *b, unsigned n)
{
	if (n > 32)
		n = 32;
	if (n == 0) {
		printf("{ 0 }");
		return;
	}
	printf("{ ");
	for (unsigned i = 0; i < n; i++)
		printf("%s0x%02x", i ? ", " : "", b[i]);
	printf(" }");
}

static void sysctl_line(const char *name, const char *path)
{
	char buf[256] = "?";
	FILE *f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			strcpy(buf, "?");
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\t')
			*p = ' ';
	printf(" *   %-40s %s\n", name, buf);
}

static void run(const struct probe *p, unsigned type_bit)
{
	int type, protocol;
	const char *type_s, *proto_s;
	switch (type_bit) {
	case D: type = SOCK_DGRAM; type_s = "SOCK_DGRAM"; protocol = 0; proto_s = "0"; break;
	case S: type = SOCK_STREAM; type_s = "SOCK_STREAM"; protocol = 0; proto_s = "0"; break;
	default: type = SOCK_RAW; type_s = "SOCK_RAW"; protocol = IPPROTO_ICMP; proto_s = "IPPROTO_ICMP"; break;
	}
	if (strlen(p->name) >= 64) {
		fprintf(stderr, "name too long: %s\n", p->name);
		exit(1);
	}
	int fd = socket(AF_INET, type, protocol);
	if (fd < 0) {
		fprintf(stderr, "socket(%s, %s): %s\n", type_s, proto_s, strerror(errno));
		exit(1);
	}
	int set_errno = 0, get_errno = 0;
	unsigned got_len = 0;
	unsigned char got[GETBUF];
	memset(got, 0, sizeof(got));
	if (p->set_len != NOSET) {
		if (setsockopt(fd, p->level, p->optname, p->set.b, (socklen_t)p->set_len) < 0)
			set_errno = errno;
	}
	if (p->get_len != NOGET) {
		socklen_t len = (socklen_t)p->get_len;
		if (getsockopt(fd, p->level, p->optname, got, &len) < 0) {
			get_errno = errno;
			memset(got, 0, sizeof(got));
		}
		got_len = len;
		if (p->level == IPPROTO_TCP && p->optname == TCP_INFO)
			memset(got, 0, sizeof(got)); /* varies: not recorded */
	}
	close(fd);

	unsigned shown_got = get_errno || p->get_len == NOGET ? 0 : got_len;
	if (shown_got > GETBUF)
		shown_got = GETBUF;
	printf("\t{ \"%s\", %s, %s, %s, %s,\n", p->name, type_s, proto_s, p->level_s, p->opt_s);
	printf("\t  %d, ", p->set_len != NOSET);
	print_bytes(p->set.b, p->set_len == NOSET ? 0 : (unsigned)p->set_len);
	printf(", %u, %s,\n", p->set_len == NOSET ? 0 : (unsigned)p->set_len, errname(set_errno));
	unsigned glen = p->get_len == NOGET ? 0 : (unsigned)p->get_len;
	printf(glen > 0xffff ? "\t  %d, %#xu, %s, " : "\t  %d, %uu, %s, ", p->get_len != NOGET,
	       glen, errname(get_errno));
	printf(got_len > 0xffff ? "%#xu, " : "%uu, ", got_len);
	print_bytes(got, shown_got);
	printf(" },");
	if (p->level == IPPROTO_TCP && p->optname == TCP_INFO && p->get_len != NOGET)
		printf(" /* TCP_INFO: bytes not recorded */");
	else if (shown_got == sizeof(int) && !get_errno) {
		int v;
		memcpy(&v, got, sizeof(v));
		printf(" /* got %d */", v);
	} else if (shown_got == sizeof(struct timeval) && !get_errno &&
		   p->level == SOL_SOCKET &&
		   (p->optname == SO_RCVTIMEO || p->optname == SO_SNDTIMEO)) {
		struct timeval tv;
		memcpy(&tv, got, sizeof(tv));
		printf(" /* got {%lld,%lld} */", (long long)tv.tv_sec, (long long)tv.tv_usec);
	} else if (shown_got == sizeof(struct linger) && !get_errno &&
		   p->level == SOL_SOCKET && p->optname == SO_LINGER) {
		struct linger l;
		memcpy(&l, got, sizeof(l));
		printf(" /* got {%d,%d} */", l.l_onoff, l.l_linger);
	} else if (p->level == IPPROTO_TCP && p->optname == TCP_CONGESTION && shown_got &&
		   !get_errno) {
		printf(" /* got \"%.*s\" */", (int)strnlen((char *)got, shown_got), got);
	}
	printf("\n");
}

int main(void)
{
	struct utsname u;
	if (uname(&u) < 0) {
		perror("uname");
		return 1;
	}
	unsigned count = 0;
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		count += (unsigned)__builtin_popcount(probes[i].types);

	printf("/* Generated by tests/tools/sockopt_probe on %s; do not edit: regenerate. */\n",
	       u.release);
	printf("/*\n"
	       " * What the Linux kernel does for setsockopt/getsockopt, one fresh AF_INET\n"
	       " * socket per case (%u cases), recorded as root.  Regenerate:\n"
	       " *   gcc -Wall -Wextra -O2 -o /tmp/p tests/tools/sockopt_probe.c && /tmp/p > tests/sockopt_linux.h\n"
	       " *\n"
	       " * Sysctls the default values depend on, as they were here:\n", count);
	sysctl_line("net.core.rmem_default", "/proc/sys/net/core/rmem_default");
	sysctl_line("net.core.wmem_default", "/proc/sys/net/core/wmem_default");
	sysctl_line("net.core.rmem_max", "/proc/sys/net/core/rmem_max");
	sysctl_line("net.core.wmem_max", "/proc/sys/net/core/wmem_max");
	sysctl_line("net.ipv4.tcp_rmem", "/proc/sys/net/ipv4/tcp_rmem");
	sysctl_line("net.ipv4.tcp_wmem", "/proc/sys/net/ipv4/tcp_wmem");
	sysctl_line("net.ipv4.ip_default_ttl", "/proc/sys/net/ipv4/ip_default_ttl");
	sysctl_line("net.ipv4.ip_no_pmtu_disc", "/proc/sys/net/ipv4/ip_no_pmtu_disc");
	sysctl_line("net.ipv4.tcp_keepalive_time", "/proc/sys/net/ipv4/tcp_keepalive_time");
	sysctl_line("net.ipv4.tcp_keepalive_intvl", "/proc/sys/net/ipv4/tcp_keepalive_intvl");
	sysctl_line("net.ipv4.tcp_keepalive_probes", "/proc/sys/net/ipv4/tcp_keepalive_probes");
	sysctl_line("net.ipv4.tcp_syn_retries", "/proc/sys/net/ipv4/tcp_syn_retries");
	sysctl_line("net.ipv4.tcp_congestion_control",
		    "/proc/sys/net/ipv4/tcp_congestion_control");
	printf(" *\n"
	       " * SO_RCVTIMEO/SO_SNDTIMEO are stored in jiffies: \"set {0,1}\" reads back\n"
	       " * one jiffy (1000000/HZ us), so that case shows this kernel's HZ.\n"
	       " *\n"
	       " * Conventions:\n"
	       " *  - set_val holds the set_len bytes given to setsockopt (host byte order);\n"
	       " *  - getsockopt was given a zeroed 512-byte buffer and *optlen = get_len\n"
	       " *    (0xffffffff is -1 to the kernel); got_len is *optlen afterwards;\n"
	       " *  - got_val is the first min(got_len, 32) bytes returned, all zero when\n"
	       " *    getsockopt failed;\n"
	       " *  - TCP_INFO: bytes not recorded (got_val zero), compare errno/got_len.\n"
	       " * Needs <sys/socket.h>, <netinet/in.h>, <netinet/tcp.h>, <netinet/udp.h>,\n"
	       " * <errno.h> with glibc's default (_DEFAULT_SOURCE) names; included below.\n"
	       " */\n"
	       "#ifndef SKBOS_TESTS_SOCKOPT_LINUX_H\n"
	       "#define SKBOS_TESTS_SOCKOPT_LINUX_H\n"
	       "\n"
	       "#include <errno.h>\n"
	       "#include <netinet/in.h>\n"
	       "#include <netinet/tcp.h>\n"
	       "#include <netinet/udp.h>\n"
	       "#include <sys/socket.h>\n"
	       "\n"
	       "struct sockopt_case {\n"
	       "\tchar name[64];          /* e.g. \"SOL_SOCKET SO_RCVBUF set 1000\" */\n"
	       "\tint type;               /* SOCK_DGRAM, SOCK_STREAM, or SOCK_RAW (protocol below) */\n"
	       "\tint protocol;           /* 0, or IPPROTO_ICMP for SOCK_RAW */\n"
	       "\tint level, optname;\n"
	       "\tint do_set;\n"
	       "\tunsigned char set_val[32];\n"
	       "\tunsigned int set_len;\n"
	       "\tint set_errno;          /* 0: setsockopt succeeded */\n"
	       "\tint do_get;\n"
	       "\tunsigned int get_len;   /* buffer size offered to getsockopt */\n"
	       "\tint get_errno;\n"
	       "\tunsigned int got_len;   /* optlen after getsockopt */\n"
	       "\tunsigned char got_val[32];\n"
	       "};\n"
	       "\n"
	       "static const struct sockopt_case sockopt_linux[] = {\n");
	static const unsigned order[] = { D, S, R };
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		for (size_t t = 0; t < 3; t++)
			if (probes[i].types & order[t])
				run(&probes[i], order[t]);
	printf("};\n"
	       "#define SOCKOPT_LINUX_COUNT (sizeof(sockopt_linux) / sizeof(sockopt_linux[0]))\n"
	       "\n"
	       "#endif /* SKBOS_TESTS_SOCKOPT_LINUX_H */\n");
	return 0;
}
