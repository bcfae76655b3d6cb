/*
 * cmsg_probe - what recvmsg/sendmsg control messages, the IP_RECVERR error
 * queue, IP_PKTOPTIONS, the timestamp options and TCP urgent data do, one
 * line per case, over 127.0.0.1.  It uses libc only: run bare it records
 * the kernel (tests/cmsg_linux.txt); tests/test_cmsg.sh runs it under the
 * shim (LD_PRELOAD, SKBOS_LOOPBACK=1) and compares line by line.
 *   gcc -Wall -O2 -o /tmp/cmsg_probe tests/tools/cmsg_probe.c && /tmp/cmsg_probe > tests/cmsg_linux.txt
 * (as root or not; the first line says which stack answered).
 * Ports are printed as names (R: the receiver's, S: the sender's, C: a
 * closed one); timestamps as "ts:ok" when they lie between the clock read
 * before the send and after the receive.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "which_stack.h"

static unsigned short port_r, port_s, port_c;
static struct timespec t0, t1;
static char line[4096];

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(line);

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
}

static const char *port_name(unsigned short p)
{
	static char buf[8];

	if (p == port_r)
		return "R";
	if (p == port_s)
		return "S";
	if (p == port_c)
		return "C";
	snprintf(buf, sizeof(buf), "%u", p);
	return buf;
}

static void out_sin(const char *what, const struct sockaddr_in *sin)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
	out(" %s=%u:%s:%s", what, sin->sin_family, a, port_name(ntohs(sin->sin_port)));
}

static int ts_ok(long long sec, long long nsec)
{
	long long t = sec * 1000000000ll + nsec;
	long long a = t0.tv_sec * 1000000000ll + t0.tv_nsec - 1000000;
	long long b = t1.tv_sec * 1000000000ll + t1.tv_nsec + 1000000;

	return t >= a && t <= b;
}

static void out_hex(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out("%02x", p[i]);
}

/* One control message: its header, then its data decoded where names matter. */
static void out_cmsg(const struct cmsghdr *cm, size_t avail)
{
	const unsigned char *d = CMSG_DATA(cm);
	size_t dlen = cm->cmsg_len > CMSG_LEN(0) ? cm->cmsg_len - CMSG_LEN(0) : 0;

	if (dlen > avail)
		dlen = avail;
	out(" [%d/%d/%zu", cm->cmsg_level, cm->cmsg_type, (size_t)cm->cmsg_len);
	if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMP_OLD && dlen == 16) {
		struct timeval tv;

		memcpy(&tv, d, sizeof(tv));
		out(" ts:%s", ts_ok(tv.tv_sec, tv.tv_usec * 1000ll) ? "ok" : "BAD");
	} else if (cm->cmsg_level == SOL_SOCKET &&
		   (cm->cmsg_type == SO_TIMESTAMPNS_OLD || cm->cmsg_type == SO_TIMESTAMPING_OLD) &&
		   dlen >= 16) {
		struct timespec ts[3] = { 0 };

		memcpy(ts, d, dlen < sizeof(ts) ? dlen : sizeof(ts));
		out(" ts:%s", ts_ok(ts[0].tv_sec, ts[0].tv_nsec) ? "ok" : "BAD");
		if (dlen == sizeof(ts))
			out(" rest:%s", ts[1].tv_sec || ts[1].tv_nsec || ts[2].tv_sec || ts[2].tv_nsec ?
						"set" : "0");
	} else if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_ORIGDSTADDR && dlen == 16) {
		struct sockaddr_in sin;

		memcpy(&sin, d, sizeof(sin));
		out_sin("orig", &sin);
		out(" zero:");
		out_hex(d + 8, 8);
	} else if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR && dlen >= 16) {
		struct sock_extended_err ee;
		struct sockaddr_in off = { 0 };

		memcpy(&ee, d, sizeof(ee));
		if (dlen >= sizeof(ee) + sizeof(off))
			memcpy(&off, d + sizeof(ee), sizeof(off));
		out(" errno=%u origin=%u type=%u code=%u pad=%u info=%u data=%u", ee.ee_errno,
		    ee.ee_origin, ee.ee_type, ee.ee_code, ee.ee_pad, ee.ee_info, ee.ee_data);
		out_sin("offender", &off);
	} else {
		out(" ");
		out_hex(d, dlen);
	}
	out("]");
}

/* recvmsg(@fd, @flags) with @clen bytes of control space (-1: msg_control NULL). */
static void do_recv(int fd, int flags, int clen, size_t dlen)
{
	unsigned char data[256], control[512];
	struct sockaddr_in from = { 0 };
	struct iovec iov = { data, dlen };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			      .msg_iovlen = 1, .msg_control = clen < 0 ? NULL : control,
			      .msg_controllen = clen < 0 ? 0 : (size_t)clen };
	struct cmsghdr *cm;
	ssize_t n;

	memset(control, 0xee, sizeof(control));
	n = recvmsg(fd, &msg, flags | MSG_DONTWAIT);
	clock_gettime(CLOCK_REALTIME, &t1);
	if (n < 0) {
		out(" recv=-1/%s", strerrorname_np(errno));
		return;
	}
	out(" recv=%zd flags=0x%x clen=%zu namelen=%u", n, msg.msg_flags, (size_t)msg.msg_controllen,
	    msg.msg_namelen);
	if (msg.msg_namelen)
		out_sin("from", &from);
	out(" data=");
	out_hex(data, (size_t)n < dlen ? (size_t)n : dlen);
	if (!msg.msg_control)
		return;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		out_cmsg(cm, msg.msg_controllen - (size_t)((unsigned char *)cm - control) - CMSG_LEN(0));
}

static int udp_sock(unsigned short *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len)) {
		perror("udp socket");
		exit(1);
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static struct sockaddr_in lo(unsigned short port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	return sin;
}

/* Wait up to a second for @events on @fd; the revents. */
static int wait_for(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 1000) == 1 ? p.revents : 0;
}

/* The readiness of @fd now (no wait). */
static int poll_now(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

/* sendmsg "hello" from @fd to @port with a control buffer @c of @clen bytes. */
static int do_send(int fd, unsigned short port, const void *c, size_t clen)
{
	struct sockaddr_in to = lo(port);
	struct iovec iov = { "hello", 5 };
	struct msghdr msg = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
			      .msg_iovlen = 1, .msg_control = (void *)c, .msg_controllen = clen };
	ssize_t n;

	clock_gettime(CLOCK_REALTIME, &t0);
	n = sendmsg(fd, &msg, 0);
	if (n < 0)
		out(" send=-1/%s", strerrorname_np(errno));
	else
		out(" send=%zd", n);
	return n >= 0;
}

struct opt {
	int level, name, val;
};

/*
 * A receive case: options @o on the receiver, a datagram sent with control
 * @c (@clen bytes), read with @rclen bytes of control space.
 */
static void recv_case(const char *name, const struct opt *o, const void *c, size_t clen, int rclen)
{
	int r = udp_sock(&port_r), s = udp_sock(&port_s);

	line[0] = 0;
	out("%s:", name);
	for (; o && o->level != -1; o++)
		if (setsockopt(r, o->level, o->name, &o->val, sizeof(o->val)))
			out(" setsockopt(%d/%d)=-1/%s", o->level, o->name, strerrorname_np(errno));
	/* nothing sent: nothing to wait for */
	out(" poll=0x%x", do_send(s, port_r, c, clen) ? wait_for(r, POLLIN) : poll_now(r, POLLIN));
	do_recv(r, 0, rclen, 64);
	puts(line);
	close(r);
	close(s);
}

#define CM(buf, lvl, typ, len) do {                                                   \
		struct cmsghdr *h_ = (struct cmsghdr *)(void *)(buf);                 \
		h_->cmsg_len = CMSG_LEN(len);                                          \
		h_->cmsg_level = (lvl);                                                \
		h_->cmsg_type = (typ);                                                 \
	} while (0)

/* One control message (@len bytes of @data) at @c; its CMSG_SPACE. */
static size_t cm_put(unsigned char *c, int level, int type, const void *data, size_t len)
{
	memset(c, 0, CMSG_SPACE(len));
	CM(c, level, type, len);
	memcpy(CMSG_DATA((struct cmsghdr *)(void *)c), data, len);
	return CMSG_SPACE(len);
}

static void recv_cases(void)
{
	static const struct opt pk[] = { { SOL_IP, IP_PKTINFO, 1 }, { -1, 0, 0 } };
	static const struct opt ttl[] = { { SOL_IP, IP_RECVTTL, 1 }, { -1, 0, 0 } };
	static const struct opt tos[] = { { SOL_IP, IP_RECVTOS, 1 }, { -1, 0, 0 } };
	static const struct opt orig[] = { { SOL_IP, IP_RECVORIGDSTADDR, 1 }, { -1, 0, 0 } };
	static const struct opt all[] = { { SOL_IP, IP_RECVORIGDSTADDR, 1 }, { SOL_IP, IP_RECVTOS, 1 },
					  { SOL_IP, IP_RECVTTL, 1 }, { SOL_IP, IP_PKTINFO, 1 },
					  { SOL_SOCKET, SO_TIMESTAMP_OLD, 1 }, { -1, 0, 0 } };
	static const struct opt tsv[] = { { SOL_SOCKET, SO_TIMESTAMP_OLD, 1 }, { -1, 0, 0 } };
	static const struct opt tsns[] = { { SOL_SOCKET, SO_TIMESTAMPNS_OLD, 1 }, { -1, 0, 0 } };
	static const struct opt tsboth[] = { { SOL_SOCKET, SO_TIMESTAMPNS_OLD, 1 },
					     { SOL_SOCKET, SO_TIMESTAMP_OLD, 1 }, { -1, 0, 0 } };
	static const struct opt tsing[] = { { SOL_SOCKET, SO_TIMESTAMPING_OLD,
					      SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE },
					    { -1, 0, 0 } };
	static const struct opt tsing_tv[] = { { SOL_SOCKET, SO_TIMESTAMP_OLD, 1 },
					       { SOL_SOCKET, SO_TIMESTAMPING_OLD,
						 SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE },
					       { -1, 0, 0 } };
	static const struct opt pkttl[] = { { SOL_IP, IP_PKTINFO, 1 }, { SOL_IP, IP_RECVTTL, 1 }, { -1, 0, 0 } };
	unsigned char c[256] __attribute__((aligned(8)));
	struct in_pktinfo pi = { .ipi_ifindex = 0 };

	recv_case("recv none", NULL, NULL, 0, 64);
	recv_case("recv IP_PKTINFO", pk, NULL, 0, 64);
	recv_case("recv IP_RECVTTL", ttl, NULL, 0, 64);
	recv_case("recv IP_RECVTOS", tos, NULL, 0, 64);
	recv_case("recv IP_RECVORIGDSTADDR", orig, NULL, 0, 64);
	recv_case("recv all five (order)", all, NULL, 0, 256);
	recv_case("recv SO_TIMESTAMP", tsv, NULL, 0, 64);
	recv_case("recv SO_TIMESTAMPNS", tsns, NULL, 0, 64);
	recv_case("recv SO_TIMESTAMPNS then SO_TIMESTAMP", tsboth, NULL, 0, 64);
	recv_case("recv SO_TIMESTAMPING rx+sw", tsing, NULL, 0, 128);
	recv_case("recv SO_TIMESTAMP and SO_TIMESTAMPING", tsing_tv, NULL, 0, 128);
	recv_case("recv IP_PKTINFO control NULL", pk, NULL, 0, -1);
	recv_case("recv IP_PKTINFO clen 0", pk, NULL, 0, 0);
	recv_case("recv IP_PKTINFO clen 8", pk, NULL, 0, 8);
	recv_case("recv IP_PKTINFO clen 16", pk, NULL, 0, 16);
	recv_case("recv IP_PKTINFO clen 20", pk, NULL, 0, 20);
	recv_case("recv IP_PKTINFO clen 28 (CMSG_LEN)", pk, NULL, 0, (int)CMSG_LEN(12));
	recv_case("recv IP_PKTINFO clen 32 (CMSG_SPACE)", pk, NULL, 0, (int)CMSG_SPACE(12));
	recv_case("recv IP_PKTINFO+TTL room for one", pkttl, NULL, 0, (int)CMSG_SPACE(12) + 8);
	recv_case("recv IP_PKTINFO+TTL room for both", pkttl, NULL, 0,
		  (int)(CMSG_SPACE(12) + CMSG_SPACE(4)));

	recv_case("send IP_TTL 7", ttl, c, cm_put(c, SOL_IP, IP_TTL, &(int){ 7 }, sizeof(int)), 64);
	recv_case("send IP_TTL 0", ttl, c, cm_put(c, SOL_IP, IP_TTL, &(int){ 0 }, sizeof(int)), 64);
	recv_case("send IP_TTL 256", ttl, c, cm_put(c, SOL_IP, IP_TTL, &(int){ 256 }, sizeof(int)), 64);
	recv_case("send IP_TTL 1 byte", ttl, c, cm_put(c, SOL_IP, IP_TTL, "\7", 1), 64);
	recv_case("send IP_TOS 0x28", tos, c, cm_put(c, SOL_IP, IP_TOS, &(int){ 0x28 }, sizeof(int)), 64);
	recv_case("send IP_TOS 1 byte 0x48", tos, c, cm_put(c, SOL_IP, IP_TOS, "\x48", 1), 64);
	recv_case("send IP_TOS 300", tos, c, cm_put(c, SOL_IP, IP_TOS, &(int){ 300 }, sizeof(int)), 64);
	pi.ipi_spec_dst.s_addr = htonl(INADDR_LOOPBACK);
	recv_case("send IP_PKTINFO spec_dst 127.0.0.1", pk, c,
		  cm_put(c, SOL_IP, IP_PKTINFO, &pi, sizeof(pi)), 64);
	pi.ipi_ifindex = 1;
	recv_case("send IP_PKTINFO ifindex 1", pk, c, cm_put(c, SOL_IP, IP_PKTINFO, &pi, sizeof(pi)), 64);
	pi.ipi_ifindex = 99999;
	recv_case("send IP_PKTINFO ifindex 99999", pk, c,
		  cm_put(c, SOL_IP, IP_PKTINFO, &pi, sizeof(pi)), 64);
	recv_case("send IP_PKTINFO short", pk, c, cm_put(c, SOL_IP, IP_PKTINFO, &pi, 8), 64);
	recv_case("send SCM_RIGHTS", NULL, c, cm_put(c, SOL_SOCKET, SCM_RIGHTS, &(int){ 0 }, sizeof(int)),
		  64);
	recv_case("send SOL_SOCKET SO_BROADCAST", NULL, c,
		  cm_put(c, SOL_SOCKET, SO_BROADCAST, &(int){ 0 }, sizeof(int)), 64);
	CM(c, SOL_IP, IP_RECVERR, sizeof(int));
	recv_case("send SOL_IP IP_RECVERR", NULL, c, CMSG_SPACE(sizeof(int)), 64);
	CM(c, 999, 1, sizeof(int));
	recv_case("send level 999", NULL, c, CMSG_SPACE(sizeof(int)), 64);
	CM(c, SOL_IP, IP_TTL, sizeof(int));
	((struct cmsghdr *)c)->cmsg_len = 200;
	recv_case("send cmsg_len past the buffer", NULL, c, CMSG_SPACE(sizeof(int)), 64);
	recv_case("send controllen 4", NULL, c, 4, 64);
}

/* recvmmsg of two datagrams, each with its own IP_PKTINFO and IP_RECVTTL, the second short of room. */
static void recvmmsg_case(void)
{
	int r = udp_sock(&port_r), s = udp_sock(&port_s), one = 1;
	unsigned char data[2][16], control[2][64];
	struct iovec iov[2] = { { data[0], 16 }, { data[1], 16 } };
	struct mmsghdr mm[2];
	int n;

	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_control = control[i];
	}
	mm[0].msg_hdr.msg_controllen = sizeof(control[0]);
	mm[1].msg_hdr.msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
	setsockopt(r, SOL_IP, IP_PKTINFO, &one, sizeof(one));
	setsockopt(r, SOL_IP, IP_RECVTTL, &one, sizeof(one));
	line[0] = 0;
	out("recvmmsg IP_PKTINFO+RECVTTL:");
	do_send(s, port_r, NULL, 0);
	do_send(s, port_r, NULL, 0);
	wait_for(r, POLLIN);
	n = recvmmsg(r, mm, 2, MSG_DONTWAIT, NULL);
	out(" n=%d", n);
	for (int i = 0; i < n; i++) {
		struct cmsghdr *cm;

		out(" {len=%u flags=0x%x clen=%zu", mm[i].msg_len, mm[i].msg_hdr.msg_flags,
		    (size_t)mm[i].msg_hdr.msg_controllen);
		for (cm = CMSG_FIRSTHDR(&mm[i].msg_hdr); cm; cm = CMSG_NXTHDR(&mm[i].msg_hdr, cm))
			out_cmsg(cm, mm[i].msg_hdr.msg_controllen -
					     (size_t)((unsigned char *)cm - control[i]) - CMSG_LEN(0));
		out("}");
	}
	puts(line);
	close(r);
	close(s);
}

/* An error-queue case: @r (options @o, connected when @conn) sends to a closed port. */
static void err_case(const char *name, const struct opt *o, int conn, const char *first)
{
	int r = udp_sock(&port_r), cl = udp_sock(&port_c), v;
	socklen_t l = sizeof(v);

	close(cl);
	line[0] = 0;
	out("%s:", name);
	for (; o && o->level != -1; o++)
		setsockopt(r, o->level, o->name, &o->val, sizeof(o->val));
	if (conn) {
		struct sockaddr_in to = lo(port_c);

		connect(r, (struct sockaddr *)&to, sizeof(to));
	}
	do_recv(r, MSG_ERRQUEUE, 256, 64);
	do_send(r, port_c, NULL, 0);
	out(" poll=0x%x", wait_for(r, POLLIN | POLLPRI));
	if (!strcmp(first, "recv"))
		do_recv(r, 0, 64, 64);
	if (!strcmp(first, "so_error")) {
		getsockopt(r, SOL_SOCKET, SO_ERROR, &v, &l);
		out(" so_error=%d", v);
	}
	if (!strcmp(first, "short"))
		do_recv(r, MSG_ERRQUEUE, 256, 2);
	else
		do_recv(r, MSG_ERRQUEUE, 256, 64);
	getsockopt(r, SOL_SOCKET, SO_ERROR, &v, &l);
	out(" so_error=%d poll=0x%x", v, poll_now(r, 0));
	do_recv(r, MSG_ERRQUEUE, 256, 64);
	puts(line);
	close(r);
}

static void err_cases(void)
{
	static const struct opt re[] = { { SOL_IP, IP_RECVERR, 1 }, { -1, 0, 0 } };
	static const struct opt repk[] = { { SOL_IP, IP_RECVERR, 1 }, { SOL_IP, IP_PKTINFO, 1 },
					   { SOL_IP, IP_RECVTTL, 1 }, { -1, 0, 0 } };

	err_case("errqueue IP_RECVERR unconnected", re, 0, "");
	err_case("errqueue IP_RECVERR connected", re, 1, "");
	err_case("errqueue IP_RECVERR recv first", re, 0, "recv");
	err_case("errqueue IP_RECVERR SO_ERROR first", re, 0, "so_error");
	err_case("errqueue IP_RECVERR short buffer", re, 0, "short");
	err_case("errqueue IP_RECVERR+PKTINFO+RECVTTL", repk, 0, "");
	err_case("errqueue off unconnected", NULL, 0, "");
	err_case("errqueue off connected", NULL, 1, "recv");
}

/* A connected TCP pair over 127.0.0.1: *@l the listener, *@a accepted, *@c client. */
static void tcp_pair(int *l, int *a, int *c, const struct opt *o)
{
	struct sockaddr_in sin = lo(0);
	socklen_t len = sizeof(sin);
	int one = 1;

	*l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(*l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	for (; o && o->level != -1; o++)
		setsockopt(*l, o->level, o->name, &o->val, sizeof(o->val));
	bind(*l, (struct sockaddr *)&sin, sizeof(sin));
	listen(*l, 4);
	getsockname(*l, (struct sockaddr *)&sin, &len);
	port_r = ntohs(sin.sin_port);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(*c, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("connect");
		exit(1);
	}
	*a = accept(*l, NULL, NULL);
}

static void pktoptions_case(const char *name, const struct opt *lo_opts, const struct opt *a_opts,
			    unsigned int len)
{
	unsigned char buf[256] __attribute__((aligned(8)));
	struct msghdr msg = { .msg_control = buf };
	socklen_t l = len;
	struct cmsghdr *cm;
	int ls, a, c;

	tcp_pair(&ls, &a, &c, lo_opts);
	line[0] = 0;
	out("%s:", name);
	for (; a_opts && a_opts->level != -1; a_opts++)
		setsockopt(a, a_opts->level, a_opts->name, &a_opts->val, sizeof(a_opts->val));
	memset(buf, 0xee, sizeof(buf));
	if (getsockopt(a, SOL_IP, IP_PKTOPTIONS, buf, &l)) {
		out(" get=-1/%s", strerrorname_np(errno));
	} else {
		out(" len=%u", l);
		msg.msg_controllen = l;
		for (cm = l ? CMSG_FIRSTHDR(&msg) : NULL; cm; cm = CMSG_NXTHDR(&msg, cm))
			out_cmsg(cm, l - (size_t)((unsigned char *)cm - buf) - CMSG_LEN(0));
	}
	puts(line);
	close(ls);
	close(a);
	close(c);
}

static void pktoptions_cases(void)
{
	static const struct opt pk[] = { { SOL_IP, IP_PKTINFO, 1 }, { -1, 0, 0 } };
	static const struct opt three[] = { { SOL_IP, IP_PKTINFO, 1 }, { SOL_IP, IP_RECVTTL, 1 },
					    { SOL_IP, IP_RECVTOS, 1 }, { -1, 0, 0 } };
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned char buf[64];
	socklen_t l = sizeof(buf);

	pktoptions_case("IP_PKTOPTIONS tcp none", NULL, NULL, 256);
	pktoptions_case("IP_PKTOPTIONS tcp listener IP_PKTINFO", pk, NULL, 256);
	pktoptions_case("IP_PKTOPTIONS tcp accepted PKTINFO+TTL+TOS", NULL, three, 256);
	pktoptions_case("IP_PKTOPTIONS tcp len 20", NULL, three, 20);
	line[0] = 0;
	out("IP_PKTOPTIONS udp:");
	if (getsockopt(u, SOL_IP, IP_PKTOPTIONS, buf, &l))
		out(" get=-1/%s", strerrorname_np(errno));
	else
		out(" len=%u", l);
	puts(line);
	close(u);
}

/* ---- TCP urgent data -------------------------------------------------------------- */

static void u_send(int fd, const char *data, int flags)
{
	ssize_t n = send(fd, data, strlen(data), flags);

	if (n < 0)
		out(" send(%s%s)=-1/%s", data, flags ? ",OOB" : "", strerrorname_np(errno));
}

static void u_recv(int fd, size_t len, int flags)
{
	char buf[64];
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &msg, flags | MSG_DONTWAIT);

	out(" recv(%zu%s%s)=", len, flags & MSG_OOB ? ",OOB" : "", flags & MSG_PEEK ? ",PEEK" : "");
	if (n < 0) {
		out("-1/%s", strerrorname_np(errno));
		return;
	}
	out("%zd:%.*s flags=0x%x", n, (int)(n < (ssize_t)len ? n : (ssize_t)len), buf, msg.msg_flags);
}

static void u_mark(int fd)
{
	int m = -1;

	if (ioctl(fd, SIOCATMARK, &m))
		out(" atmark=-1/%s", strerrorname_np(errno));
	else
		out(" atmark=%d", m);
}

static void u_poll(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI | POLLRDNORM | POLLRDBAND };

	poll(&p, 1, 0);
	out(" poll=0x%x", p.revents);
}

/* Wait (about a second at most) until @fd has the urgent byte and @n bytes in all. */
static void u_wait(int fd, int n)
{
	int q = 0;

	wait_for(fd, POLLPRI);
	for (int i = 0; i < 100 && !ioctl(fd, FIONREAD, &q) && q < n; i++)
		usleep(10000);
}

/* Wait (about a second at most) until @fd's urgent byte is @ch (peeked, not read). */
static void u_wait_oob(int fd, char ch)
{
	char c = 0;

	for (int i = 0; i < 100; i++) {
		if (recv(fd, &c, 1, MSG_OOB | MSG_PEEK | MSG_DONTWAIT) == 1 && c == ch)
			return;
		usleep(10000);
	}
}

/* A TCP pair over 127.0.0.1: @inline sets SO_OOBINLINE on the accepted end. */
static void u_begin(const char *name, int *l, int *a, int *c, int inl)
{
	tcp_pair(l, a, c, NULL);
	if (inl)
		setsockopt(*a, SOL_SOCKET, SO_OOBINLINE, &inl, sizeof(inl));
	line[0] = 0;
	out("%s:", name);
}

static void u_end(int l, int a, int c)
{
	puts(line);
	close(l);
	close(a);
	close(c);
}

static void urg_cases(void)
{
	int l, a, c, u = socket(AF_INET, SOCK_DGRAM, 0);

	u_begin("urg basic", &l, &a, &c, 0);
	u_recv(a, 8, MSG_OOB);
	u_send(c, "ab", 0);
	u_send(c, "c", MSG_OOB);
	u_wait(a, 3);
	u_poll(a);
	u_mark(a);
	u_recv(a, 8, 0);
	u_mark(a);
	u_poll(a);
	u_recv(a, 8, MSG_OOB | MSG_PEEK);
	u_recv(a, 8, MSG_OOB);
	u_recv(a, 8, MSG_OOB);
	u_poll(a);
	u_mark(a);
	u_send(c, "de", 0);
	wait_for(a, POLLIN);
	u_recv(a, 8, 0);
	u_mark(a);
	u_end(l, a, c);

	u_begin("urg read across the mark", &l, &a, &c, 0);
	u_send(c, "ab", 0);
	u_send(c, "c", MSG_OOB);
	u_send(c, "de", 0);
	u_wait(a, 5);
	u_recv(a, 8, MSG_PEEK);
	u_recv(a, 8, 0);
	u_recv(a, 8, MSG_PEEK);
	u_recv(a, 8, 0);
	u_mark(a);
	u_recv(a, 8, MSG_OOB);
	u_end(l, a, c);

	u_begin("urg byte alone", &l, &a, &c, 0);
	u_send(c, "x", MSG_OOB);
	u_wait(a, 1);
	u_poll(a);
	u_mark(a);
	u_recv(a, 8, 0);
	u_mark(a);
	u_recv(a, 8, MSG_OOB);
	u_end(l, a, c);

	u_begin("urg OOB zero-length buffer", &l, &a, &c, 0);
	u_send(c, "x", MSG_OOB);
	u_wait(a, 1);
	u_recv(a, 0, MSG_OOB);
	u_recv(a, 8, MSG_OOB);
	u_end(l, a, c);

	u_begin("urg twice", &l, &a, &c, 0);
	u_send(c, "a", MSG_OOB);
	u_wait(a, 1);
	u_send(c, "b", MSG_OOB);
	u_wait_oob(a, 'b');
	u_poll(a);
	u_mark(a);
	u_recv(a, 8, 0);
	u_mark(a);
	u_recv(a, 8, MSG_OOB);
	u_recv(a, 8, 0);
	u_end(l, a, c);

	u_begin("urg SO_OOBINLINE", &l, &a, &c, 1);
	u_send(c, "ab", 0);
	u_send(c, "c", MSG_OOB);
	u_send(c, "d", 0);
	u_wait(a, 4);
	u_poll(a);
	u_recv(a, 8, MSG_OOB);
	u_mark(a);
	u_recv(a, 8, 0);
	u_mark(a);
	u_recv(a, 8, 0);
	u_mark(a);
	u_end(l, a, c);

	u_begin("urg after FIN", &l, &a, &c, 0);
	shutdown(c, SHUT_WR);
	wait_for(a, POLLIN);
	u_recv(a, 8, MSG_OOB);
	u_recv(a, 8, 0);
	u_end(l, a, c);

	line[0] = 0;
	out("urg other sockets:");
	u_mark(u);
	u_send(u, "x", MSG_OOB);
	tcp_pair(&l, &a, &c, NULL);
	u_mark(l);
	{
		int v = 1;
		socklen_t len = sizeof(v);

		setsockopt(u, SOL_SOCKET, SO_OOBINLINE, &v, sizeof(v));
		getsockopt(u, SOL_SOCKET, SO_OOBINLINE, &v, &len);
		out(" udp SO_OOBINLINE=%d", v);
		getsockopt(a, SOL_SOCKET, SO_OOBINLINE, &v, &len);
		out(" accepted SO_OOBINLINE=%d", v);
	}
	u_end(l, a, c);
	close(u);
}

/* getsockopt of @name after setting @o (a fresh UDP socket), @len bytes offered. */
static void opt_case(const char *cname, const struct opt *o, int level, int name, socklen_t len)
{
	unsigned char buf[64];
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t l = len;

	line[0] = 0;
	out("%s:", cname);
	for (; o && o->level != -1; o++)
		if (setsockopt(s, o->level, o->name, &o->val, sizeof(o->val)))
			out(" set=-1/%s", strerrorname_np(errno));
		else
			out(" set=0");
	memset(buf, 0, sizeof(buf));
	if (getsockopt(s, level, name, buf, &l))
		out(" get=-1/%s", strerrorname_np(errno));
	else {
		out(" len=%u val=", l);
		out_hex(buf, l);
	}
	puts(line);
	close(s);
}

static void opt_cases(void)
{
	static const struct opt orig[] = { { SOL_IP, IP_RECVORIGDSTADDR, 1 }, { -1, 0, 0 } };
	static const struct opt ns[] = { { SOL_SOCKET, SO_TIMESTAMPNS_OLD, 1 }, { -1, 0, 0 } };
	static const struct opt nsv[] = { { SOL_SOCKET, SO_TIMESTAMPNS_OLD, 1 },
					  { SOL_SOCKET, SO_TIMESTAMP_OLD, 1 }, { -1, 0, 0 } };
	static const struct opt vns_off[] = { { SOL_SOCKET, SO_TIMESTAMP_OLD, 1 },
					      { SOL_SOCKET, SO_TIMESTAMPNS_OLD, 0 }, { -1, 0, 0 } };
	static const struct opt tsing[] = { { SOL_SOCKET, SO_TIMESTAMPING_OLD, 0x18 }, { -1, 0, 0 } };
	static const struct opt tsbad[] = { { SOL_SOCKET, SO_TIMESTAMPING_OLD, 1 << 30 }, { -1, 0, 0 } };
	static const struct opt tsstats[] = { { SOL_SOCKET, SO_TIMESTAMPING_OLD,
						SOF_TIMESTAMPING_OPT_STATS }, { -1, 0, 0 } };
	static const struct opt tsidtcp[] = { { SOL_SOCKET, SO_TIMESTAMPING_OLD, 1 << 16 }, { -1, 0, 0 } };
	static const struct opt tsphc[] = { { SOL_SOCKET, SO_TIMESTAMPING_OLD,
					      SOF_TIMESTAMPING_BIND_PHC }, { -1, 0, 0 } };
	static const struct opt tsall[] = { { SOL_SOCKET, SO_TIMESTAMPING_OLD, 0x3ffff & ~0x9000 },
					    { -1, 0, 0 } };
	static const struct opt tsnext[] = { { SOL_SOCKET, SO_TIMESTAMPING_OLD, 1 << 18 }, { -1, 0, 0 } };
	static const struct opt tsnext2[] = { { SOL_SOCKET, SO_TIMESTAMPING_OLD, 1 << 19 }, { -1, 0, 0 } };

	opt_case("opt IP_RECVORIGDSTADDR", orig, SOL_IP, IP_RECVORIGDSTADDR, 4);
	opt_case("opt IP_RECVORIGDSTADDR default", NULL, SOL_IP, IP_RECVORIGDSTADDR, 4);
	opt_case("opt SO_TIMESTAMPNS", ns, SOL_SOCKET, SO_TIMESTAMPNS_OLD, 4);
	opt_case("opt SO_TIMESTAMP after SO_TIMESTAMPNS", ns, SOL_SOCKET, SO_TIMESTAMP_OLD, 4);
	opt_case("opt SO_TIMESTAMPNS after NS then TIMESTAMP", nsv, SOL_SOCKET, SO_TIMESTAMPNS_OLD, 4);
	opt_case("opt SO_TIMESTAMP after TIMESTAMP, NS 0", vns_off, SOL_SOCKET, SO_TIMESTAMP_OLD, 4);
	opt_case("opt SO_TIMESTAMPING default", NULL, SOL_SOCKET, SO_TIMESTAMPING_OLD, 64);
	opt_case("opt SO_TIMESTAMPING 0x18", tsing, SOL_SOCKET, SO_TIMESTAMPING_OLD, 64);
	opt_case("opt SO_TIMESTAMPING 0x18 len 4", tsing, SOL_SOCKET, SO_TIMESTAMPING_OLD, 4);
	opt_case("opt SO_TIMESTAMPING 1<<30", tsbad, SOL_SOCKET, SO_TIMESTAMPING_OLD, 64);
	opt_case("opt SO_TIMESTAMPING OPT_STATS alone", tsstats, SOL_SOCKET, SO_TIMESTAMPING_OLD, 64);
	opt_case("opt SO_TIMESTAMPING OPT_ID_TCP alone", tsidtcp, SOL_SOCKET, SO_TIMESTAMPING_OLD, 64);
	opt_case("opt SO_TIMESTAMPING BIND_PHC", tsphc, SOL_SOCKET, SO_TIMESTAMPING_OLD, 64);
	opt_case("opt SO_TIMESTAMPING every flag but PHC/STATS", tsall, SOL_SOCKET,
		 SO_TIMESTAMPING_OLD, 64);
	opt_case("opt SO_TIMESTAMPING 1<<18", tsnext, SOL_SOCKET, SO_TIMESTAMPING_OLD, 64);
	opt_case("opt SO_TIMESTAMPING 1<<19", tsnext2, SOL_SOCKET, SO_TIMESTAMPING_OLD, 64);
}

/*
 * Linux turns receive timestamps on for the whole stack through a static
 * key set by deferred work: a socket that asks first may get its first
 * datagrams unstamped.  One socket holds them on for the whole run, and
 * the cases start once it sees a stamp (at most 200 tries, 5 ms apart).
 */
static int hold_timestamps(void)
{
	unsigned char c[64];
	int f = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE, fd = udp_sock(&port_r);
	struct sockaddr_in me = lo(port_r);

	/* SO_TIMESTAMPING, not SO_TIMESTAMP: only a stamp taken at receive,
	 * which needs the static key, shows that it is on */
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, &f, sizeof(f));
	for (int i = 0; i < 200; i++) {
		char d;
		struct iovec iov = { &d, 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c,
				      .msg_controllen = sizeof(c) };

		sendto(fd, "x", 1, 0, (struct sockaddr *)&me, sizeof(me));
		wait_for(fd, POLLIN);
		if (recvmsg(fd, &msg, MSG_DONTWAIT) == 1 && msg.msg_controllen)
			break;
		usleep(5000);
	}
	return fd;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("stack: %s\n", which_stack());
	hold_timestamps();
	recv_cases();
	recvmmsg_case();
	err_cases();
	pktoptions_cases();
	opt_cases();
	urg_cases();
	return 0;
}
