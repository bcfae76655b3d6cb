/*
 * udpecho - UDP echo client and server over skbos's native API, or over the
 * kernel's sockets (--kernel), the same code either way.
 *
 *   udpecho [--kernel] [--ipv6] server PORT COUNT [IDLE_S]
 *       echo COUNT datagrams back, then print the wake-up counters
 *       (skbos: stack-thread and blocked-call wake-ups per datagram);
 *       give up after IDLE_S seconds (default 20) without a datagram
 *   udpecho [--kernel] [--ipv6] client HOST PORT COUNT
 *       send COUNT numbered datagrams of varying size (1..1472, some up to
 *       8000: fragmented), one at a time, and check every echo byte for byte
 *
 * --ipv6: AF_INET6 sockets (HOST is an IPv6 address).
 * skbos mode starts from SKBOS_* (skbos_init).  Exit status: 0 when every
 * datagram was echoed intact, 1 otherwise, 2 on a usage or start error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "skbos/skbos.h"
#include "tool_addr.h"

struct api {
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*close)(int);
};

static const struct api kernel_api = { socket, bind, sendto, recvfrom, setsockopt, close };
static const struct api skbos_api = { skbos_socket, skbos_bind, skbos_sendto, skbos_recvfrom,
				      skbos_setsockopt, skbos_close };

static unsigned int dgram_size(unsigned int id)
{
	unsigned int h = id * 2654435761u;

	return id % 50 == 0 ? 1473 + (h >> 8) % 6528 : 1 + (h >> 8) % 1472;
}

static void fill(unsigned char *buf, unsigned int id, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		buf[i] = (unsigned char)(id * 131 + i * 7 + (i >> 8));
	if (len >= 4)
		memcpy(buf, &id, 4);
}

static int family = AF_INET;

static int open_udp(const struct api *a, int port, int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t sl = make_addr(family, &ss, NULL, port);
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int fd = a->socket(family, SOCK_DGRAM, 0);

	if (fd < 0 || a->setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    (port && a->bind(fd, (struct sockaddr *)&ss, sl))) {
		perror("udpecho: socket");
		return -1;
	}
	return fd;
}

static int server(const struct api *a, bool skbos, int port, unsigned int count, int idle_s)
{
	static unsigned char buf[65536];
	struct sockaddr_storage from;
	unsigned long long s0 = 0, a0 = 0, s1 = 0, a1 = 0;
	unsigned int echoed = 0;
	int fd = open_udp(a, port, idle_s * 1000);

	if (fd < 0)
		return 2;
	printf("udpecho: serving %u datagrams on port %d\n", count, port);
	fflush(stdout);
	while (echoed < count) {
		socklen_t fl = sizeof(from);
		ssize_t n = a->recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			fprintf(stderr, "udpecho: recvfrom: %s after %u\n", strerror(errno), echoed);
			break;
		}
		if (echoed == 0 && skbos)
			skbos_wakeup_counters(&s0, &a0);
		if (a->sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl) != n) {
			fprintf(stderr, "udpecho: sendto: %s\n", strerror(errno));
			break;
		}
		echoed++;
	}
	if (skbos) {
		skbos_wakeup_counters(&s1, &a1);
		printf("wakeups per datagram: stack thread %.3f, blocked call %.3f (%u datagrams)\n",
		       (double)(s1 - s0) / (echoed > 1 ? echoed - 1 : 1),
		       (double)(a1 - a0) / (echoed > 1 ? echoed - 1 : 1), echoed);
	}
	printf("echoed %u of %u\n", echoed, count);
	a->close(fd);
	return echoed == count ? 0 : 1;
}

static int client(const struct api *a, const char *host, int port, unsigned int count)
{
	static unsigned char out[8192], in[9000];
	struct sockaddr_storage to;
	socklen_t tolen = make_addr(family, &to, host, port);
	unsigned int ok = 0, bad = 0, lost = 0;
	int fd = open_udp(a, 0, 1000);

	if (fd < 0 || !tolen)
		return 2;
	for (unsigned int id = 1; id <= count; id++) {
		unsigned int len = dgram_size(id);
		int tries;

		fill(out, id, len);
		for (tries = 0; tries < 3; tries++) {
			ssize_t n;

			if (a->sendto(fd, out, len, 0, (struct sockaddr *)&to, tolen) != (ssize_t)len) {
				perror("udpecho: sendto");
				return 1;
			}
			n = a->recvfrom(fd, in, sizeof(in), 0, NULL, NULL);
			while (n >= 4) {
				unsigned int rid;

				memcpy(&rid, in, 4);
				if (rid >= id)
					break;
				n = a->recvfrom(fd, in, sizeof(in), 0, NULL, NULL); /* a late echo */
			}
			if (n < 0)
				continue; /* lost: send it again */
			if ((unsigned int)n == len && !memcmp(in, out, len))
				ok++;
			else
				bad++;
			break;
		}
		if (tries == 3)
			lost++;
	}
	printf("client: %u sent, %u echoed intact, %u wrong, %u lost\n", count, ok, bad, lost);
	a->close(fd);
	return ok == count ? 0 : 1;
}

int main(int argc, char **argv)
{
	const struct api *a = &skbos_api;
	bool skbos = true;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--kernel")) {
			a = &kernel_api;
			skbos = false;
		} else if (!strcmp(argv[i], "--ipv6")) {
			family = AF_INET6;
		} else {
			break;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (skbos && (skbos_init() || !skbos_active())) {
		fprintf(stderr, "udpecho: skbos did not start (set SKBOS_IF and SKBOS_ADDR)\n");
		return 2;
	}
	int rc = 2;

	if ((argc - i == 3 || argc - i == 4) && !strcmp(argv[i], "server"))
		rc = server(a, skbos, atoi(argv[i + 1]), (unsigned int)strtoul(argv[i + 2], NULL, 10),
			    argc - i == 4 ? atoi(argv[i + 3]) : 20);
	else if (argc - i == 4 && !strcmp(argv[i], "client"))
		rc = client(a, argv[i + 1], atoi(argv[i + 2]), (unsigned int)strtoul(argv[i + 3], NULL, 10));
	else
		fprintf(stderr, "usage: udpecho [--kernel] [--ipv6] server PORT COUNT [IDLE_S] | client HOST PORT COUNT\n");
	if (skbos)
		skbos_fini();
	return rc;
}
