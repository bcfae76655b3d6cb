/*
 * smallw - the cost of small writes on the sending side alone.  iperf3 -l 64
 * reads 64 bytes at a time on the receiver too, so its figure is the slower
 * of two syscall-bound loops; here the receiver reads 256 KB at a time and
 * keeps up, and the figure is the sender's: one send() per LEN-byte message,
 * the way a logging or RPC program writes.  Plain libc sockets: bench/run.sh
 * runs it on the kernel or under skbos-run (LD_PRELOAD), unchanged.
 *
 *   smallw source PORT LEN SECONDS  accept one connection at a time; write
 *                                   LEN-byte messages (blocking send) for
 *                                   SECONDS, close; then the next
 *   smallw sink HOST PORT           connect, read to EOF, print
 *                                   "bytes N seconds S"
 *
 * The source's sockets keep Nagle on (the default): coalescing the writes
 * into segments is the stack's job, as it is for iperf3.  The sink fails
 * (exit 1) when nothing arrived.  Every wait is bounded: SO_RCVTIMEO 5 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int die(const char *what)
{
	fprintf(stderr, "smallw: %s: %s\n", what, strerror(errno));
	return 1;
}

/* One connection's worth: LEN-byte sends until SECONDS have passed.  The
 * clock is read every 1024 sends, not per send, so it costs nothing. */
static void source_one(int fd, size_t len, double secs)
{
	static char buf[65536];
	double end = now_s() + secs;
	unsigned long n = 0;

	for (;;) {
		if (send(fd, buf, len, MSG_NOSIGNAL) < 0 && errno != EINTR)
			break;
		if ((++n & 1023) == 0 && now_s() >= end)
			break;
	}
	close(fd);
}

static int source(int port, size_t len, double secs)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);

	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(lfd, 16))
		return die("listen");
	printf("listening on %d\n", port);
	fflush(stdout);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return die("accept");
		}
		source_one(fd, len, secs);
	}
}

static int sink(const char *host, int port)
{
	static char buf[262144];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	struct timeval tv = { .tv_sec = 5 };
	unsigned long long bytes = 0;
	double t0, t1;
	ssize_t r;
	int fd;

	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		fprintf(stderr, "smallw: %s: not an IPv4 address\n", host);
		return 2;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return die("socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return die("connect");
	t0 = now_s();
	t1 = t0;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		bytes += (unsigned long long)r;
		t1 = now_s();
	}
	if (r < 0)
		return die("read");
	printf("bytes %llu seconds %.3f\n", bytes, t1 - t0);
	return bytes ? 0 : 1;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 5 && !strcmp(argv[1], "source")) {
		int len = atoi(argv[3]);

		if (len < 1 || len > 65536) {
			fprintf(stderr, "smallw: LEN %s: must be 1..65536\n", argv[3]);
			return 2;
		}
		return source(atoi(argv[2]), (size_t)len, atof(argv[4]));
	}
	if (argc == 4 && !strcmp(argv[1], "sink"))
		return sink(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: smallw source PORT LEN SECONDS | smallw sink HOST PORT\n");
	return 2;
}
