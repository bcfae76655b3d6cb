/*
 * tcpbulk - move a byte stream over TCP with skbos's native API, or the
 * kernel's sockets (--kernel), for the kernel interoperability tests.
 *
 *   tcpbulk [--kernel] send HOST PORT FILE    connect, send FILE, half-close,
 *                                             wait for the peer's EOF
 *   tcpbulk [--kernel] recv PORT              accept one connection, write
 *                                             what arrives to stdout
 *   tcpbulk [--kernel] conns HOST PORT N      N sequential connections, each
 *                                             sending 100 bytes and closing
 *   tcpbulk [--kernel] parallel HOST PORT N   N connections open at once, then
 *                                             100 bytes on each, then all closed
 *   tcpbulk [--kernel] sink PORT N            accept N connections in turn and
 *                                             read each to EOF (100 bytes each)
 *   tcpbulk [--kernel] reset PORT BYTES       accept one, read BYTES, abort it
 *                                             with a RST (SO_LINGER 0)
 *
 * skbos mode starts from SKBOS_* (skbos_init).  With --stats it prints
 * skbos's counters and drop reasons (skbos_dump_stats, nstat style) to stderr
 * at exit, after the line "tcpbulk: stats", so a test can assert on them.
 * --user-timeout MS sets TCP_USER_TIMEOUT on the connecting socket (send,
 * conns, parallel).  --ipv6: AF_INET6 sockets (HOST is an IPv6 address,
 * listeners bind ::).
 * Errors print errno names so a test can check e.g. ECONNRESET.  Exit status
 * 0 on success.
 */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "skbos/skbos.h"
#include "tool_addr.h"

struct api {
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*recv)(int, void *, size_t, int);
	int (*shutdown)(int, int);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*close)(int);
};

static const struct api kernel_api = { socket, bind, listen, accept, connect, send, recv,
				       shutdown, setsockopt, close };
static const struct api skbos_api = { skbos_socket, skbos_bind, skbos_listen, skbos_accept,
				      skbos_connect, skbos_send, skbos_recv, skbos_shutdown,
				      skbos_setsockopt, skbos_close };

static int fail(const char *what)
{
	fprintf(stderr, "tcpbulk: %s: %s (%s)\n", what, strerror(errno),
		errno == ECONNRESET ? "ECONNRESET" : errno == EPIPE ? "EPIPE" :
		errno == ETIMEDOUT ? "ETIMEDOUT" : "errno");
	return 1;
}

/* --user-timeout MS: TCP_USER_TIMEOUT on the connecting socket (0: unset). */
static int user_timeout_ms;

/* --ipv6: AF_INET6 */
static int family = AF_INET;

static int connect_to(const struct api *a, const char *host, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(family, &ss, host, port);
	int fd = a->socket(family, SOCK_STREAM, 0);

	if (fd >= 0 && user_timeout_ms &&
	    a->setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof(user_timeout_ms)))
		return -1;
	if (fd < 0 || !len)
		return -1;
	/* An IPv6 address is tentative until Duplicate Address Detection is
	 * over (RFC 4862 §5.4: about a second after start): no source yet. */
	for (int tries = 0; a->connect(fd, (struct sockaddr *)&ss, len); tries++) {
		if (family != AF_INET6 || errno != EADDRNOTAVAIL || tries == 100)
			return -1;
		usleep(50000);
	}
	return fd;
}

static int listen_on(const struct api *a, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(family, &ss, NULL, port);
	int one = 1, l = a->socket(family, SOCK_STREAM, 0);

	a->setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || a->bind(l, (struct sockaddr *)&ss, len) || a->listen(l, 1024))
		return -1;
	fprintf(stderr, "tcpbulk: listening on %d\n", port);
	return l;
}

static int do_send(const struct api *a, const char *host, int port, const char *file)
{
	static char buf[1 << 16];
	int in = open(file, O_RDONLY), fd = connect_to(a, host, port);
	long long total = 0;
	ssize_t n;

	if (in < 0 || fd < 0)
		return fail("connect");
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = a->send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);

			if (w < 0)
				return fail("send");
			off += w;
		}
		total += n;
	}
	if (a->shutdown(fd, SHUT_WR))
		return fail("shutdown");
	while ((n = a->recv(fd, buf, sizeof(buf), 0)) > 0)
		;
	if (n < 0)
		return fail("recv after half-close");
	fprintf(stderr, "tcpbulk: sent %lld bytes\n", total);
	a->close(fd);
	close(in);
	return 0;
}

static int do_recv(const struct api *a, int port)
{
	static char buf[1 << 16];
	int l = listen_on(a, port), fd;
	long long total = 0;
	ssize_t n;

	if (l < 0)
		return fail("listen");
	fd = a->accept(l, NULL, NULL);
	if (fd < 0)
		return fail("accept");
	while ((n = a->recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return fail("write");
		total += n;
	}
	if (n < 0)
		return fail("recv");
	fflush(stdout);
	fprintf(stderr, "tcpbulk: received %lld bytes\n", total);
	a->close(fd);
	a->close(l);
	return 0;
}

static int do_conns(const struct api *a, const char *host, int port, int count)
{
	char msg[100];

	memset(msg, 'c', sizeof(msg));
	for (int i = 0; i < count; i++) {
		int fd = connect_to(a, host, port);

		if (fd < 0)
			return fail("connect");
		if (a->send(fd, msg, sizeof(msg), MSG_NOSIGNAL) != (ssize_t)sizeof(msg))
			return fail("send");
		a->close(fd);
	}
	fprintf(stderr, "tcpbulk: %d connections\n", count);
	return 0;
}

static int do_parallel(const struct api *a, const char *host, int port, int count)
{
	static int fds[4096];
	char msg[100];

	memset(msg, 'p', sizeof(msg));
	for (int i = 0; i < count && i < 4096; i++)
		if ((fds[i] = connect_to(a, host, port)) < 0)
			return fail("connect");
	for (int i = 0; i < count && i < 4096; i++)
		if (a->send(fds[i], msg, sizeof(msg), MSG_NOSIGNAL) != (ssize_t)sizeof(msg))
			return fail("send");
	for (int i = 0; i < count && i < 4096; i++)
		a->close(fds[i]);
	fprintf(stderr, "tcpbulk: %d parallel connections\n", count);
	return 0;
}

static int do_sink(const struct api *a, int port, int count)
{
	char buf[4096];
	int l = listen_on(a, port);
	long long bytes = 0;

	if (l < 0)
		return fail("listen");
	for (int i = 0; i < count; i++) {
		int fd = a->accept(l, NULL, NULL);
		ssize_t n;

		if (fd < 0)
			return fail("accept");
		while ((n = a->recv(fd, buf, sizeof(buf), 0)) > 0)
			bytes += n;
		if (n < 0)
			return fail("recv");
		a->close(fd);
	}
	fprintf(stderr, "tcpbulk: sink took %d connections, %lld bytes\n", count, bytes);
	return bytes == 100LL * count ? 0 : 1;
}

static int do_reset(const struct api *a, int port, long long bytes)
{
	static char buf[1 << 16];
	struct linger lg = { 1, 0 };
	int l = listen_on(a, port), fd;
	long long got = 0;

	if (l < 0 || (fd = a->accept(l, NULL, NULL)) < 0)
		return fail("accept");
	while (got < bytes) {
		ssize_t n = a->recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			return fail("recv");
		got += n;
	}
	a->setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	a->close(fd);
	fprintf(stderr, "tcpbulk: reset after %lld bytes\n", got);
	return 0;
}

int main(int argc, char **argv)
{
	const struct api *a = &skbos_api;
	bool skbos = true, stats = false;
	int i = 1, rc = 2;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--kernel")) {
			a = &kernel_api;
			skbos = false;
		} else if (!strcmp(argv[i], "--ipv6")) {
			family = AF_INET6;
		} else if (!strcmp(argv[i], "--stats")) {
			stats = true;
		} else if (!strcmp(argv[i], "--user-timeout") && i + 1 < argc) {
			user_timeout_ms = atoi(argv[++i]);
		} else {
			break;
		}
	}
	if (skbos && (skbos_init() || !skbos_active())) {
		fprintf(stderr, "tcpbulk: skbos did not start (set SKBOS_IF and SKBOS_ADDR)\n");
		return 2;
	}
	if (argc - i == 4 && !strcmp(argv[i], "send"))
		rc = do_send(a, argv[i + 1], atoi(argv[i + 2]), argv[i + 3]);
	else if (argc - i == 2 && !strcmp(argv[i], "recv"))
		rc = do_recv(a, atoi(argv[i + 1]));
	else if (argc - i == 4 && !strcmp(argv[i], "conns"))
		rc = do_conns(a, argv[i + 1], atoi(argv[i + 2]), atoi(argv[i + 3]));
	else if (argc - i == 4 && !strcmp(argv[i], "parallel"))
		rc = do_parallel(a, argv[i + 1], atoi(argv[i + 2]), atoi(argv[i + 3]));
	else if (argc - i == 3 && !strcmp(argv[i], "sink"))
		rc = do_sink(a, atoi(argv[i + 1]), atoi(argv[i + 2]));
	else if (argc - i == 3 && !strcmp(argv[i], "reset"))
		rc = do_reset(a, atoi(argv[i + 1]), atoll(argv[i + 2]));
	else
		fprintf(stderr, "usage: tcpbulk [--kernel] [--ipv6] [--stats] [--user-timeout MS] send HOST PORT FILE | recv PORT | conns|parallel HOST PORT N | sink PORT N | reset PORT BYTES\n");
	if (skbos && stats) {
		fprintf(stderr, "tcpbulk: stats\n");
		skbos_dump_stats(stderr);
	}
	if (skbos)
		skbos_fini();
	return rc;
}
