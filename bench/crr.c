/*
 * crr - TCP transactions with a fresh connection each time (netperf's
 * TCP_CRR: connect, request, response, close), and idle connections held
 * open for a memory count.  Plain libc sockets: bench/run.sh runs it on the
 * kernel, or on skbos under skbos-run (LD_PRELOAD), unchanged.
 *
 *   crr server PORT                 accept; read a SIZE-byte request, answer
 *                                   SIZE bytes, close (the server closes
 *                                   first, so TIME_WAIT stays on its side
 *                                   and the client's ports are not used up)
 *   crr client HOST PORT SECONDS    transactions for SECONDS: connect, send
 *                                   SIZE bytes, read the answer to EOF, close
 *   crr server-tfo PORT / client-tfo HOST PORT SECONDS
 *                                   the same with TCP Fast Open (RFC 7413):
 *                                   the listener sets TCP_FASTOPEN, the
 *                                   client sends its request with
 *                                   sendto(MSG_FASTOPEN) instead of
 *                                   connect + write (net.ipv4.tcp_fastopen
 *                                   must allow each side)
 *   crr idle-server PORT            accept and keep every connection, idle
 *   crr idle-client HOST PORT N SECONDS
 *                                   open N connections, print "open N",
 *                                   keep them for SECONDS, exit
 *
 * SIZE is 64.  The client prints "transactions N seconds S errors E" and
 * fails (exit 1) when no transaction completed.  Servers run until killed.
 * Every wait is bounded: the client's sockets have 2 s SO_RCVTIMEO/SNDTIMEO.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SIZE 64

static int tfo; /* the -tfo modes */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int die(const char *what)
{
	fprintf(stderr, "crr: %s: %s\n", what, strerror(errno));
	return 1;
}

static int listen_on(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	int qlen = 1024;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (tfo && setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen))) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 1024))
		return -1;
	printf("listening on %d\n", port);
	fflush(stdout);
	return fd;
}

/* With Fast Open the request goes with the SYN (sendto MSG_FASTOPEN connects). */
static int connect_send(const struct sockaddr_in *sin, const char *req)
{
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		goto err;
	if (tfo ? sendto(fd, req, SIZE, MSG_FASTOPEN, (const struct sockaddr *)sin, sizeof(*sin)) != SIZE
		: (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) ||
		   (req && write(fd, req, SIZE) != SIZE)))
		goto err;
	return fd;
err:
	close(fd);
	return -1;
}

/* Read until SIZE bytes or EOF; returns the byte count or -1. */
static ssize_t read_full(int fd, char *buf)
{
	ssize_t got = 0, n;

	while (got < SIZE && (n = read(fd, buf + got, SIZE - got)) != 0) {
		if (n < 0)
			return errno == EINTR ? got : -1;
		got += n;
	}
	return got;
}

static int server(int port)
{
	char buf[SIZE];
	int lfd = listen_on(port);

	if (lfd < 0)
		return die("listen");
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return die("accept");
		}
		if (read_full(fd, buf) == SIZE)
			(void)!write(fd, buf, SIZE);
		close(fd);
	}
}

static int client(const struct sockaddr_in *sin, double secs)
{
	char req[SIZE], rsp[SIZE + 1];
	long done = 0, errors = 0;
	double t0 = now_s(), t = t0;

	memset(req, 'q', sizeof(req));
	while ((t = now_s()) - t0 < secs) {
		int fd = connect_send(sin, req);

		if (fd < 0) {
			if (++errors > 100 && done == 0)
				break;
			continue;
		}
		/* One more byte than the answer: the read ends on the server's FIN. */
		if (read_full(fd, rsp) == SIZE &&
		    read(fd, rsp, sizeof(rsp)) == 0)
			done++;
		else
			errors++;
		close(fd);
	}
	printf("transactions %ld seconds %.3f errors %ld\n", done, t - t0, errors);
	if (done == 0)
		return die("no transaction completed (last error)");
	return 0;
}

static int idle_server(int port)
{
	int lfd = listen_on(port);

	if (lfd < 0)
		return die("listen");
	for (;;)
		if (accept(lfd, NULL, NULL) < 0 && errno != EINTR && errno != ECONNABORTED)
			return die("accept");
}

static int idle_client(const struct sockaddr_in *sin, int n, double secs)
{
	for (int i = 0; i < n; i++)
		if (connect_send(sin, NULL) < 0) {
			fprintf(stderr, "crr: connection %d of %d: %s\n", i + 1, n, strerror(errno));
			return 1;
		}
	printf("open %d\n", n);
	fflush(stdout);
	usleep((useconds_t)(secs * 1e6));
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: crr server[-tfo] PORT | crr client[-tfo] HOST PORT SECONDS |\n"
			"       crr idle-server PORT | crr idle-client HOST PORT N SECONDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	if (argc >= 2 && strstr(argv[1], "-tfo"))
		tfo = 1;
	if (argc == 3 && (!strcmp(argv[1], "server") || !strcmp(argv[1], "server-tfo")))
		return server(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "idle-server"))
		return idle_server(atoi(argv[2]));
	if (argc < 5 || inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1)
		return usage();
	sin.sin_port = htons((unsigned short)atoi(argv[3]));
	if (argc == 5 && (!strcmp(argv[1], "client") || !strcmp(argv[1], "client-tfo")))
		return client(&sin, atof(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "idle-client"))
		return idle_client(&sin, atoi(argv[4]), atof(argv[5]));
	return usage();
}
