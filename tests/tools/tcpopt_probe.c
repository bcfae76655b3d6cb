/*
 * tcpopt_probe - what this machine's kernel answers for the TCP options of
 * issue 22 over 127.0.0.1: TCP_NOTSENT_LOWAT (values, and what it does to
 * send, poll and epoll), TCP_INQ with its TCP_CM_INQ control message beside
 * SIOCINQ, TCP_CC_INFO and TCP_CONGESTION.  Plain libc, no skbos code: the
 * same binary runs on the kernel (to record tests/tcpopt_linux.txt) and
 * under the shim with SKBOS_LOOPBACK=1 (tests/test_tcpopt.sh), and every
 * line must match.  Lines print rules, not sizes that differ by design
 * (buffer sizes, the loopback MSS): "notsent at EAGAIN >= lowat", not the
 * byte count.  Lines starting "bbr " are what the kernel's tcp_bbr answers;
 * skbos has no BBR (set is ENOENT, as a kernel without the module), so the
 * test leaves those out.  Every wait is bounded (poll timeouts, counted
 * loops).  Regenerate on a kernel:
 *   gcc -O2 -o /tmp/p tests/tools/tcpopt_probe.c && /tmp/p > tests/tcpopt_linux.txt
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "which_stack.h"

#ifndef TCP_CM_INQ
#define TCP_CM_INQ TCP_INQ
#endif
#define NOTSENT_OFF 144 /* struct tcp_info's tcpi_notsent_bytes (Linux 4.6+) */

static const char *err_s(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EAGAIN: return "EAGAIN";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case EPERM: return "EPERM";
	case EFAULT: return "EFAULT";
	case ENOTCONN: return "ENOTCONN";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return "E?";
	}
}

static void res(char *b, size_t n, int rc)
{
	if (rc < 0)
		snprintf(b, n, "-1/%s", err_s(errno));
	else
		snprintf(b, n, "%d", rc);
}

/* "set=R get=R len=N val=hex" for one option on @fd */
static void opt_line(const char *what, int fd, int name, const void *v, int vlen, int glen)
{
	unsigned char g[64] = { 0 };
	socklen_t l = (socklen_t)glen;
	char s[32] = "-", r[32];

	if (vlen >= 0)
		res(s, sizeof(s), setsockopt(fd, IPPROTO_TCP, name, v, (socklen_t)vlen));
	res(r, sizeof(r), getsockopt(fd, IPPROTO_TCP, name, g, &l));
	printf("%s: set=%s get=%s len=%d val=", what, s, r, (int)l);
	for (int i = 0; i < (int)l && i < 16 && (int)l <= (int)sizeof(g); i++)
		printf("%02x", g[i]);
	printf("\n");
}

static int tcp_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0);
}

static void opt_int(const char *what, int name, int val, int vlen, int glen)
{
	int fd = tcp_socket();
	int v[4] = { val }; /* a longer optlen than an int (the "len 8" cases) stays in the buffer */

	opt_line(what, fd, name, v, vlen, glen);
	close(fd);
}

static void opt_cases(void)
{
	int fd;

	opt_int("NOTSENT_LOWAT default", TCP_NOTSENT_LOWAT, 0, -1, 4);
	opt_int("NOTSENT_LOWAT set 16384", TCP_NOTSENT_LOWAT, 16384, 4, 4);
	opt_int("NOTSENT_LOWAT set -1", TCP_NOTSENT_LOWAT, -1, 4, 4);
	opt_int("NOTSENT_LOWAT set -5", TCP_NOTSENT_LOWAT, -5, 4, 4);
	opt_int("NOTSENT_LOWAT set len 2", TCP_NOTSENT_LOWAT, 16384, 2, 4);
	opt_int("NOTSENT_LOWAT set len 8", TCP_NOTSENT_LOWAT, 16384, 8, 4);
	opt_int("NOTSENT_LOWAT get len 2", TCP_NOTSENT_LOWAT, 0x10203, 4, 2);
	opt_int("NOTSENT_LOWAT get len 0", TCP_NOTSENT_LOWAT, 5, 4, 0);
	opt_int("NOTSENT_LOWAT get len 8", TCP_NOTSENT_LOWAT, 5, 4, 8);
	opt_int("INQ default", TCP_INQ, 0, -1, 4);
	opt_int("INQ set 1", TCP_INQ, 1, 4, 4);
	opt_int("INQ set 2", TCP_INQ, 2, 4, 4);
	opt_int("INQ set -1", TCP_INQ, -1, 4, 4);
	opt_int("INQ set len 1", TCP_INQ, 1, 1, 4);
	opt_int("INQ get len 1", TCP_INQ, 1, 4, 1);
	/* TCP_CC_INFO: what the algorithm's get_info fills (union tcp_cc_info) */
	opt_line("CC_INFO default algorithm", fd = tcp_socket(), TCP_CONGESTION, "cubic", 5, 16);
	opt_line("CC_INFO cubic len 64", fd, TCP_CC_INFO, NULL, -1, 64);
	opt_line("CC_INFO cubic len 0", fd, TCP_CC_INFO, NULL, -1, 0);
	opt_line("CC_INFO cubic len -1", fd, TCP_CC_INFO, NULL, -1, -1);
	opt_line("CC_INFO set", fd, TCP_CC_INFO, "x", 1, 64);
	opt_line("CONGESTION reno", fd, TCP_CONGESTION, "reno", 4, 16);
	opt_line("CC_INFO reno len 64", fd, TCP_CC_INFO, NULL, -1, 64);
	opt_line("CONGESTION reno again", fd, TCP_CONGESTION, "reno", 4, 16);
	opt_line("CONGESTION cubic with junk after NUL", fd, TCP_CONGESTION, "cubic\0junk", 10, 16);
	opt_line("CONGESTION empty name", fd, TCP_CONGESTION, "", 1, 16);
	opt_line("CONGESTION vegas (not built here)", fd, TCP_CONGESTION, "vegas", 5, 16);
	opt_line("CONGESTION CUBIC (names are case-sensitive)", fd, TCP_CONGESTION, "CUBIC", 5, 16);
	opt_line("CONGESTION get len 3", fd, TCP_CONGESTION, NULL, -1, 3);
	opt_line("CONGESTION get len -1", fd, TCP_CONGESTION, NULL, -1, -1);
	close(fd);
	fd = tcp_socket();
	opt_line("bbr CONGESTION set", fd, TCP_CONGESTION, "bbr", 3, 16);
	opt_line("bbr CC_INFO len 64", fd, TCP_CC_INFO, NULL, -1, 64);
	opt_line("bbr CC_INFO len 8", fd, TCP_CC_INFO, NULL, -1, 8);
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	opt_line("CC_INFO on UDP", fd, TCP_CC_INFO, NULL, -1, 64);
	opt_line("NOTSENT_LOWAT on UDP", fd, TCP_NOTSENT_LOWAT, (int[]){ 1 }, 4, 4);
	close(fd);
}

static struct sockaddr_in lsin;

static int listener(void)
{
	int l = tcp_socket(), one = 1;
	socklen_t sl = sizeof(lsin);

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	lsin = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (bind(l, (struct sockaddr *)&lsin, sizeof(lsin)) || listen(l, 4) ||
	    getsockname(l, (struct sockaddr *)&lsin, &sl)) {
		perror("listener");
		exit(1);
	}
	return l;
}

/* a connected pair over 127.0.0.1: *@c the client, the accepted end returned */
static int pair(int l, int *c)
{
	struct pollfd p = { .fd = l, .events = POLLIN };
	int a;

	*c = tcp_socket();
	if (connect(*c, (struct sockaddr *)&lsin, sizeof(lsin)) || poll(&p, 1, 2000) != 1 ||
	    (a = accept(l, NULL, NULL)) < 0) {
		perror("pair");
		exit(1);
	}
	return a;
}

static int wait_ev(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, ms) == 1 ? p.revents : 0;
}

static int siocinq(int fd)
{
	int n = -1;

	return ioctl(fd, SIOCINQ, &n) ? -1 : n;
}

/* one recvmsg of up to @len bytes with room @clen for control messages */
static void inq_read(const char *what, int fd, size_t len, size_t clen, int flags)
{
	char buf[64], ctl[64] = { 0 };
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = clen ? ctl : NULL,
			    .msg_controllen = clen };
	char r[32];
	ssize_t n = recvmsg(fd, &m, flags);

	res(r, sizeof(r), (int)n);
	printf("inq %s: recv=%s flags=0x%x clen=%zu", what, r, (unsigned)m.msg_flags,
	       (size_t)m.msg_controllen);
	for (struct cmsghdr *cm = n >= 0 && m.msg_controllen ? CMSG_FIRSTHDR(&m) : NULL; cm;
	     cm = CMSG_NXTHDR(&m, cm)) {
		int v = 0;

		if (cm->cmsg_len >= CMSG_LEN(sizeof(v)))
			memcpy(&v, CMSG_DATA(cm), sizeof(v));
		printf(" [%d/%d/%zu %d]", cm->cmsg_level, cm->cmsg_type, (size_t)cm->cmsg_len, v);
	}
	printf(" siocinq=%d\n", siocinq(fd));
}

/*
 * What else a listener passes to the sockets it accepts (Linux clones the
 * tcp_sock): set on a listener of its own (TCP_WINDOW_CLAMP cannot be
 * taken back there: 0 is EINVAL outside CLOSE).
 */
static void inherit_cases(void)
{
	static const struct { int opt; const char *name; int val; } o[] = {
		{ TCP_CORK, "TCP_CORK", 1 },
		{ TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", 1234 },
		{ TCP_LINGER2, "TCP_LINGER2", 33 },
		{ TCP_WINDOW_CLAMP, "TCP_WINDOW_CLAMP", 40000 },
		{ TCP_SYNCNT, "TCP_SYNCNT", 3 },
	};
	int l = listener(), c, n, v;
	socklen_t sl = sizeof(v);

	for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++)
		setsockopt(l, IPPROTO_TCP, o[i].opt, &o[i].val, sizeof(o[i].val));
	n = pair(l, &c);
	for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++) {
		v = -1;
		getsockopt(n, IPPROTO_TCP, o[i].opt, &v, &sl);
		printf("inherit %s %d: the child's %d\n", o[i].name, o[i].val, v);
	}
	close(n);
	close(c);
	close(l);
}

static void inq_cases(int l)
{
	int c, a, one = 1;
	socklen_t sl = sizeof(one);

	/* the listener's TCP_INQ and TCP_NOTSENT_LOWAT go to its children
	 * (Linux clones the whole tcp_sock into the child) */
	setsockopt(l, IPPROTO_TCP, TCP_INQ, &one, sizeof(one));
	one = 12345;
	setsockopt(l, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &one, sizeof(one));
	a = pair(l, &c);
	one = -1;
	getsockopt(a, IPPROTO_TCP, TCP_INQ, &one, &sl);
	printf("inq inherited from the listener: %d\n", one);
	getsockopt(a, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &one, &sl);
	printf("notsent_lowat inherited from the listener: %d\n", one);
	one = 0;
	setsockopt(l, IPPROTO_TCP, TCP_INQ, &one, sizeof(one));
	setsockopt(l, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &one, sizeof(one));
	close(a);
	close(c);
	a = pair(l, &c);
	one = 1;
	setsockopt(a, IPPROTO_TCP, TCP_INQ, &one, sizeof(one));

	inq_read("nothing yet, MSG_DONTWAIT", a, 8, 64, MSG_DONTWAIT);
	send(c, "hello", 5, 0);
	wait_ev(a, POLLIN, 2000);
	printf("inq siocinq before reading: %d\n", siocinq(a));
	inq_read("2 of 5", a, 2, 64, 0);
	inq_read("peek 1", a, 1, 64, MSG_PEEK);
	inq_read("1, no control buffer", a, 1, 0, 0);
	inq_read("1, control room 8", a, 1, 8, 0);
	shutdown(c, SHUT_WR);
	wait_ev(a, POLLRDHUP, 2000);
	inq_read("last 1, FIN in", a, 8, 64, 0);
	inq_read("EOF", a, 8, 64, 0);
	inq_read("EOF again", a, 8, 64, 0);
	one = 0;
	setsockopt(a, IPPROTO_TCP, TCP_INQ, &one, sizeof(one));
	inq_read("EOF, TCP_INQ off", a, 8, 64, 0);
	close(a);
	close(c);
}

static unsigned notsent(int fd)
{
	unsigned char info[256];
	socklen_t l = sizeof(info);
	unsigned v = 0;

	if (!getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &l) && l >= NOTSENT_OFF + 4)
		memcpy(&v, info + NOTSENT_OFF, sizeof(v));
	return v;
}

static bool epollout(int ep)
{
	struct epoll_event e;

	return epoll_wait(ep, &e, 1, 0) == 1 && (e.events & EPOLLOUT);
}

/* write 4 KB at a time until EAGAIN (at most 4096 writes), checking poll's rule */
static int fill(int c, int ep, unsigned lowat, bool *rule)
{
	static char data[4096];
	int i;

	for (i = 0; i < 4096; i++) {
		unsigned ns = notsent(c);
		bool out = epollout(ep);

		/* tcp_poll: EPOLLOUT needs __sk_stream_is_writeable(sk, 1) */
		if (out && 2ull * ns >= lowat)
			*rule = false;
		if (send(c, data, sizeof(data), MSG_DONTWAIT) < 0)
			break;
	}
	return i;
}

static void drain(int a, int ms)
{
	static char buf[65536];
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100000; i++) {
		if (wait_ev(a, POLLIN, 20) & POLLIN)
			recv(a, buf, sizeof(buf), MSG_DONTWAIT);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			break;
	}
}

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

static void lowat_cases(int l)
{
	unsigned lowat = 16384;
	int c, a, n, ep = epoll_create1(0), epet = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLOUT, .data.fd = 0 };
	struct epoll_event e;
	struct timeval tv = { 0, 200000 };
	struct timespec t0, t1;
	bool rule = true;
	char r[32];

	a = pair(l, &c);
	setsockopt(c, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
	epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
	ev.events = EPOLLOUT | EPOLLET;
	epoll_ctl(epet, EPOLL_CTL_ADD, c, &ev);
	printf("lowat ET EPOLLOUT at first: %s\n", yesno(epoll_wait(epet, &e, 1, 0) == 1));
	send(c, "x", 1, 0);
	wait_ev(a, POLLIN, 2000);
	recv(a, r, 1, 0);
	usleep(50000);
	printf("lowat ET EPOLLOUT again after a send and its ACK: %s\n",
	       yesno(epoll_wait(epet, &e, 1, 0) == 1));

	/* the reader does not read: the window closes, unsent bytes grow */
	n = fill(c, ep, lowat, &rule);
	printf("lowat writes before EAGAIN > 0: %s\n", yesno(n > 0));
	printf("lowat notsent at EAGAIN >= lowat: %s\n", yesno(notsent(c) >= lowat));
	printf("lowat EPOLLOUT only while 2 x notsent < lowat: %s\n", yesno(rule));
	printf("lowat EPOLLOUT at EAGAIN: %s\n", yesno(epollout(ep)));
	printf("lowat POLLOUT at EAGAIN: %s\n", yesno(wait_ev(c, POLLOUT, 0) & POLLOUT));
	printf("lowat ET EPOLLOUT at EAGAIN: %s\n", yesno(epoll_wait(epet, &e, 1, 0) == 1));

	/* a blocking write at the mark waits; SO_SNDTIMEO ends it */
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	res(r, sizeof(r), (int)send(c, "y", 1, 0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("lowat blocking 1-byte send at the mark: %s, waited >= 150 ms: %s\n", r,
	       yesno((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 150));

	/* raising the mark wakes the writer (setsockopt calls sk_write_space) */
	lowat = 1u << 30;
	setsockopt(c, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
	printf("lowat raised: ET EPOLLOUT: %s\n", yesno(epoll_wait(epet, &e, 1, 0) == 1));
	lowat = 16384;
	setsockopt(c, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
	printf("lowat lowered back: EPOLLOUT: %s\n", yesno(epollout(ep)));
	epoll_wait(epet, &e, 1, 0);

	/* the reader reads: the bytes go, the writer is woken */
	drain(a, 300);
	printf("lowat after the reader read: ET EPOLLOUT: %s\n",
	       yesno(epoll_wait(epet, &e, 1, 1000) == 1));
	printf("lowat after the reader read: 2 x notsent < lowat: %s\n", yesno(2 * notsent(c) < lowat));
	printf("lowat after the reader read: EPOLLOUT: %s\n", yesno(epollout(ep)));
	close(ep);
	close(epet);
	close(a);
	close(c);
}

int main(void)
{
	int l;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("stack: %s\n", which_stack());
	opt_cases();
	inherit_cases();
	l = listener();
	inq_cases(l);
	lowat_cases(l);
	close(l);
	return 0;
}
