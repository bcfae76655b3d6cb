/*
 * tcpconns - many TCP connections, or ones that stall, for the floods and
 * limits test (tests/test_kernel_flood.sh, issue 10).  The skbos side uses
 * the native API (started from SKBOS_*), the kernel side plain sockets.
 *
 * skbos:
 *   tcpconns serve PORT BACKLOG [noread|close]
 *	listen with BACKLOG; accept everything and keep it open; echo what
 *	arrives (noread: never read a byte; close: close each connection
 *	after its first echo, before the client does).  Every second a line on stderr:
 *	"tcpconns: open N accepted M echoed B rcvbuf R" (R: SO_RCVBUF of the
 *	latest connection).  Ends at SIGTERM/SIGINT.
 *   tcpconns blast HOST PORT
 *	connect, then non-blocking sends until EAGAIN, again every 100 ms for
 *	2 s, then one blocking send with SO_SNDTIMEO 1 s; prints what each
 *	took and SO_SNDBUF, then "tcpconns: blast done" and holds the
 *	connection until SIGTERM, when it aborts it (a RST).
 * kernel:
 *   tcpconns churn HOST PORT SECONDS
 *	one connection after another: connect, send 100 bytes, read the echo,
 *	close, each step within 5 s; prints "tcpconns: churn OK ok FAILED failed".
 *   tcpconns hold HOST PORT N SRC[,SRC...] SECONDS
 *	N connections at once from the source addresses in turn (at most 256
 *	connects in flight), one byte each way on each; prints "tcpconns:
 *	hold N established" and keeps them SECONDS (or until SIGTERM).
 *   tcpconns fill HOST PORT SPORT DELAY
 *	connect from SPORT, send one byte, wait DELAY s, then send without
 *	blocking until 2 s pass with no progress; prints the bytes and holds.
 *   tcpconns idle PORT
 *	accept one connection and never read; holds until SIGTERM.
 *
 * Exit status 0 on success, 1 on a failure (one line on stderr), 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "skbos/skbos.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	fprintf(stderr, "tcpconns: %s: %s\n", what, strerror(errno));
	return 1;
}

static int addr_of(const char *host, int port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)port);
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

/* Wait until signalled or @secs pass (0: until signalled). */
static void hold(double secs)
{
	double end = now_s() + (secs > 0 ? secs : 1e9);

	while (!stop && now_s() < end)
		usleep(50000);
}

/* ---- skbos side --------------------------------------------------------- */

static int do_serve(int port, int backlog, bool noread, bool close_first)
{
	struct sockaddr_in sin;
	struct pollfd *pfd = NULL;
	int cap = 0, n = 1, one = 1, l, rcvbuf = 0;
	long long echoed = 0, accepted = 0;
	double next_report = now_s() + 1;
	static char buf[65536];

	addr_of("0.0.0.0", port, &sin);
	l = skbos_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	skbos_setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || skbos_bind(l, (struct sockaddr *)&sin, sizeof(sin)) || skbos_listen(l, backlog))
		return fail("listen");
	fprintf(stderr, "tcpconns: listening on %d (pid %d)\n", port, (int)getpid());
	while (!stop) {
		if (n >= cap) {
			cap = cap ? cap * 2 : 1024;
			pfd = realloc(pfd, (size_t)cap * sizeof(*pfd));
			if (!pfd)
				return fail("realloc");
		}
		pfd[0] = (struct pollfd){ .fd = l, .events = POLLIN };
		if (skbos_poll(pfd, (nfds_t)n, 100) < 0 && errno != EINTR)
			return fail("poll");
		for (int i = 1; i < n; i++) {
			ssize_t r;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = skbos_recv(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r > 0 && skbos_send(pfd[i].fd, buf, (size_t)r, MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
				echoed += r;
			if (r == 0 || (r < 0 && errno != EAGAIN) || (r > 0 && close_first)) {
				skbos_close(pfd[i].fd);
				pfd[i--] = pfd[--n]; /* the last one takes its place */
			}
		}
		while (n < cap) {
			socklen_t len = sizeof(rcvbuf);
			int fd = skbos_accept4(l, NULL, NULL, SOCK_NONBLOCK);

			if (fd < 0) {
				if (errno != EAGAIN && errno != ECONNABORTED && errno != EINTR)
					return fail("accept");
				break;
			}
			accepted++;
			skbos_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
			pfd[n++] = (struct pollfd){ .fd = fd, .events = noread ? 0 : POLLIN };
		}
		if (now_s() >= next_report) {
			fprintf(stderr, "tcpconns: open %d accepted %lld echoed %lld rcvbuf %d\n", n - 1,
				accepted, echoed, rcvbuf);
			next_report += 1;
		}
	}
	fprintf(stderr, "tcpconns: open %d accepted %lld echoed %lld rcvbuf %d\n", n - 1, accepted,
		echoed, rcvbuf);
	for (int i = 1; i < n; i++)
		skbos_close(pfd[i].fd);
	skbos_close(l);
	free(pfd);
	return 0;
}

/* Non-blocking sends until EAGAIN.  Return: bytes taken, -1 on another error. */
static long long send_all_nb(int fd, const char *buf, size_t len)
{
	long long total = 0;

	for (;;) {
		ssize_t w = skbos_send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0)
			return errno == EAGAIN ? total : -1;
		total += w;
	}
}

static int do_blast(const char *host, int port)
{
	static char buf[65536];
	struct sockaddr_in sin;
	struct timeval tv = { 1, 0 };
	struct linger lg = { 1, 0 };
	int fd = skbos_socket(AF_INET, SOCK_STREAM, 0), sndbuf = 0;
	socklen_t len = sizeof(sndbuf);
	long long first, later = 0, w;
	double t0;
	ssize_t b;

	memset(buf, 'b', sizeof(buf));
	if (addr_of(host, port, &sin) || fd < 0 || skbos_connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return fail("connect");
	first = send_all_nb(fd, buf, sizeof(buf));
	if (first < 0)
		return fail("send");
	for (int i = 0; i < 20; i++) {
		usleep(100000);
		if ((w = send_all_nb(fd, buf, sizeof(buf))) < 0)
			return fail("send");
		later += w;
	}
	skbos_getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len);
	fprintf(stderr, "tcpconns: blast took %lld bytes until EAGAIN, %lld more in the next 2 s; "
			"SO_SNDBUF %d\n",
		first, later, sndbuf);
	skbos_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	t0 = now_s();
	b = skbos_send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
	fprintf(stderr, "tcpconns: blocking send with SO_SNDTIMEO 1 s: %zd (%s) after %.2f s\n", b,
		b < 0 ? (errno == EAGAIN ? "EAGAIN" : strerror(errno)) : "bytes", now_s() - t0);
	fprintf(stderr, "tcpconns: blast done\n");
	hold(0);
	/* a RST: a graceful close would keep the exit draining (api.c) into a
	 * peer that never reads */
	skbos_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	skbos_close(fd);
	return 0;
}

/* ---- kernel side -------------------------------------------------------- */

/* Wait for @events on @fd within @ms.  Return: true if they came. */
static bool wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, ms) == 1 && (p.revents & events);
}

/* One legitimate exchange: connect, 100 bytes there and back, close. */
static bool churn_one(const struct sockaddr_in *sin)
{
	char msg[100], got[100];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t len = sizeof(err);
	size_t have = 0;
	bool ok = false;

	memset(msg, 'L', sizeof(msg));
	if (fd < 0)
		return false;
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) && errno != EINPROGRESS)
		goto out;
	if (!wait_fd(fd, POLLOUT, 5000) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
		goto out;
	if (send(fd, msg, sizeof(msg), MSG_NOSIGNAL) != (ssize_t)sizeof(msg))
		goto out;
	while (have < sizeof(got) && wait_fd(fd, POLLIN, 5000)) {
		ssize_t r = recv(fd, got + have, sizeof(got) - have, 0);

		if (r <= 0)
			break;
		have += (size_t)r;
	}
	ok = have == sizeof(got) && !memcmp(got, msg, sizeof(msg));
out:
	close(fd);
	return ok;
}

static int do_churn(const char *host, int port, double secs)
{
	struct sockaddr_in sin;
	long ok = 0, failed = 0;
	double t0 = now_s();

	if (addr_of(host, port, &sin))
		return 2;
	while (!stop && now_s() - t0 < secs) {
		if (churn_one(&sin))
			ok++;
		else
			failed++;
	}
	fprintf(stderr, "tcpconns: churn %ld ok %ld failed in %.1f s\n", ok, failed, now_s() - t0);
	return 0;
}

/* Room for @n descriptors, within the hard limit (no CAP_SYS_RESOURCE needed). */
static int raise_nofile(int n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur < (rlim_t)n + 64)
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	return rl.rlim_cur >= (rlim_t)n + 16 ? 0 : -1;
}

/* Connect @fd from @src (port chosen by the kernel) to @sin without blocking. */
static int start_connect(const char *src, const struct sockaddr_in *sin)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0 || addr_of(src, 0, &a) || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) && errno != EINPROGRESS)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* One process's share of hold: @count connections; one byte on @ready once they echoed. */
static int hold_part(const char *host, int port, int count, char *srcs, double secs, int ready,
		     int inflight_max)
{
	char *src[16], *save = NULL;
	int nsrc = 0, *fds = calloc((size_t)count, sizeof(int)), ep = epoll_create1(0);
	int started = 0, done = 0, echoed = 0, inflight = 0;
	struct sockaddr_in sin;
	double deadline = now_s() + 120;

	for (char *t = strtok_r(srcs, ",", &save); t && nsrc < 16; t = strtok_r(NULL, ",", &save))
		src[nsrc++] = t;
	if (!fds || ep < 0 || !nsrc || addr_of(host, port, &sin))
		return 2;
	if (raise_nofile(count))
		return fail("hold: RLIMIT_NOFILE too low");
	/* Phase 1: every connection established, at most INFLIGHT connects at a time. */
	while (done < count) {
		struct epoll_event ev[256];
		int k;

		while (started < count && inflight < inflight_max) {
			int fd = start_connect(src[started % nsrc], &sin);

			if (fd < 0)
				return fail("connect");
			struct epoll_event e = { .events = EPOLLOUT, .data.u32 = (unsigned int)started };
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
			fds[started++] = fd;
			inflight++;
		}
		if (now_s() > deadline || stop) {
			fprintf(stderr, "tcpconns: hold: only %d of %d established\n", done, count);
			return 1;
		}
		k = epoll_wait(ep, ev, 256, 1000);
		for (int i = 0; i < k; i++) {
			int fd = fds[ev[i].data.u32], err = 0;
			socklen_t len = sizeof(err);

			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			inflight--;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
				errno = err;
				return fail("hold: connect");
			}
			done++;
		}
	}
	/* Phase 2: one byte each way on every connection. */
	for (int i = 0; i < count; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = (unsigned int)i };

		if (send(fds[i], "h", 1, MSG_NOSIGNAL) != 1)
			return fail("hold: send");
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e);
	}
	while (echoed < count && now_s() < deadline && !stop) {
		struct epoll_event ev[256];
		int k = epoll_wait(ep, ev, 256, 1000);

		for (int i = 0; i < k; i++) {
			char c;
			int fd = fds[ev[i].data.u32];

			if (recv(fd, &c, 1, 0) != 1 || c != 'h') {
				fprintf(stderr, "tcpconns: hold: connection %u: no echo\n", ev[i].data.u32);
				return 1;
			}
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			echoed++;
		}
	}
	if (echoed < count) {
		fprintf(stderr, "tcpconns: hold: %d of %d echoed\n", echoed, count);
		return 1;
	}
	if (write(ready, "r", 1) != 1)
		return fail("hold: write");
	hold(secs);
	for (int i = 0; i < count; i++)
		close(fds[i]);
	free(fds);
	close(ep);
	return 0;
}

/*
 * hold: the connections spread over processes of at most HOLD_PER_PROC
 * each, so that no process needs more descriptors than a common hard
 * RLIMIT_NOFILE (20000 here, and raising it takes CAP_SYS_RESOURCE).
 */
static int do_hold(const char *host, int port, int count, char *srcs, double secs)
{
	enum { HOLD_PER_PROC = 8000, HOLD_INFLIGHT = 256 };
	int nproc = (count + HOLD_PER_PROC - 1) / HOLD_PER_PROC, p[2], rc = 0, got = 0;
	pid_t kids[64];
	char c;

	if (count <= 0 || nproc > 64 || pipe(p))
		return 2;
	for (int i = 0; i < nproc; i++) {
		int share = count / nproc + (i < count % nproc);

		kids[i] = fork();
		if (kids[i] < 0)
			return fail("fork");
		if (kids[i] == 0) {
			close(p[0]);
			_exit(hold_part(host, port, share, srcs, secs, p[1], HOLD_INFLIGHT / nproc));
		}
	}
	close(p[1]);
	while (got < nproc && read(p[0], &c, 1) == 1)
		got++;
	if (got == nproc)
		fprintf(stderr, "tcpconns: hold %d established\n", count);
	for (int i = 0; i < nproc; i++) {
		int status;

		if (got < nproc || stop)
			kill(kids[i], SIGTERM);
		while (waitpid(kids[i], &status, 0) < 0 && errno == EINTR)
			if (stop)
				kill(kids[i], SIGTERM);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			rc = 1;
	}
	return got == nproc ? rc : 1;
}

static int do_fill(const char *host, int port, int sport, double delay)
{
	static char buf[65536];
	struct sockaddr_in sin, src;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	long long total = 0;
	double last = 0;

	memset(buf, 'f', sizeof(buf));
	addr_of("0.0.0.0", sport, &src);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr_of(host, port, &sin) || fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) || send(fd, "f", 1, 0) != 1)
		return fail("fill: connect");
	total = 1;
	hold(delay);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	last = now_s();
	while (!stop && now_s() - last < 2) {
		ssize_t w = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);

		if (w > 0) {
			total += w;
			last = now_s();
		} else if (w < 0 && errno != EAGAIN) {
			return fail("fill: send");
		} else {
			usleep(20000);
		}
	}
	fprintf(stderr, "tcpconns: fill sent %lld bytes, then no progress for 2 s\n", total);
	hold(0);
	close(fd);
	return 0;
}

static int do_idle(int port)
{
	struct sockaddr_in sin;
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1, fd;

	addr_of("0.0.0.0", port, &sin);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 4))
		return fail("idle: listen");
	fprintf(stderr, "tcpconns: listening on %d\n", port);
	if ((fd = accept(l, NULL, NULL)) < 0)
		return fail("idle: accept");
	fprintf(stderr, "tcpconns: idle accepted, never reading\n");
	hold(0);
	close(fd);
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	const char *m = argc > 1 ? argv[1] : "";
	int rc = 2;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!strcmp(m, "serve") || !strcmp(m, "blast")) {
		if (skbos_init() || !skbos_active()) {
			fprintf(stderr, "tcpconns: skbos did not start (set SKBOS_IF and SKBOS_ADDR)\n");
			return 2;
		}
		if (!strcmp(m, "serve") && (argc == 4 || (argc == 5 && (!strcmp(argv[4], "noread") ||
									 !strcmp(argv[4], "close")))))
			rc = do_serve(atoi(argv[2]), atoi(argv[3]), argc == 5 && argv[4][0] == 'n',
				      argc == 5 && argv[4][0] == 'c');
		else if (!strcmp(m, "blast") && argc == 4)
			rc = do_blast(argv[2], atoi(argv[3]));
		skbos_fini();
	} else if (!strcmp(m, "churn") && argc == 5) {
		rc = do_churn(argv[2], atoi(argv[3]), atof(argv[4]));
	} else if (!strcmp(m, "hold") && argc == 7) {
		rc = do_hold(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5], atof(argv[6]));
	} else if (!strcmp(m, "fill") && argc == 6) {
		rc = do_fill(argv[2], atoi(argv[3]), atoi(argv[4]), atof(argv[5]));
	} else if (!strcmp(m, "idle") && argc == 3) {
		rc = do_idle(atoi(argv[2]));
	}
	if (rc == 2)
		fputs("usage: tcpconns serve PORT BACKLOG [noread|close] | blast HOST PORT | churn HOST PORT SECS |\n"
		      "       hold HOST PORT N SRC[,SRC...] SECS | fill HOST PORT SPORT DELAY | idle PORT\n",
		      stderr);
	return rc;
}
