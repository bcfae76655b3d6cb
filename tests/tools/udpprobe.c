/*
 * udpprobe - numbered UDP datagrams through the kernel's own stack, to
 * measure what a link did to them (tests/test_impair.sh).
 *
 *   udpprobe send DST_IP PORT COUNT SIZE [GAP_US]
 *   udpprobe recv PORT COUNT IDLE_MS READY_FILE
 *
 * Each datagram carries its number and a pattern derived from it.  The
 * receiver stops after IDLE_MS without a datagram (or 30 s in all) and
 * prints: received, unique, duplicates, reordered (arrived after a higher
 * number), damaged (pattern wrong: corruption the checksum missed), and the
 * microseconds from the first to the last arrival.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#define SIZE_MAX_PROBE 65000

static uint8_t pattern(uint32_t id, size_t i)
{
	return (uint8_t)(id * 17 + i * 3);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int do_send(const char *ip, int port, uint32_t count, size_t size, unsigned gap_us)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static uint8_t buf[SIZE_MAX_PROBE];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || inet_pton(AF_INET, ip, &to.sin_addr) != 1 || size < 4 || size > sizeof(buf))
		return 2;
	for (uint32_t id = 1; id <= count; id++) {
		uint32_t nid = htonl(id);

		memcpy(buf, &nid, 4);
		for (size_t i = 4; i < size; i++)
			buf[i] = pattern(id, i);
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			perror("udpprobe: sendto");
			return 1;
		}
		if (gap_us)
			usleep(gap_us);
	}
	close(fd);
	return 0;
}

static int do_recv(int port, uint32_t count, int idle_ms, const char *ready)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static uint8_t buf[SIZE_MAX_PROBE];
	uint32_t received = 0, unique = 0, dups = 0, reordered = 0, damaged = 0, max_id = 0;
	uint64_t first = 0, last = 0, deadline = now_us() + 30 * 1000000ull;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rcvbuf = 16 << 20;
	uint8_t *seen = calloc(count + 1, 1);
	struct pollfd pfd;
	FILE *f;

	if (fd < 0 || !seen)
		return 2;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&me, sizeof(me))) {
		perror("udpprobe: bind");
		return 1;
	}
	f = fopen(ready, "w");
	if (f)
		fclose(f);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (now_us() < deadline && poll(&pfd, 1, idle_ms) == 1) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		uint32_t id;
		int bad = 0;

		if (n < 4)
			continue;
		last = now_us();
		if (!first)
			first = last;
		received++;
		memcpy(&id, buf, 4);
		id = ntohl(id);
		for (ssize_t i = 4; i < n; i++)
			bad |= buf[i] != pattern(id, (size_t)i);
		if (bad || id == 0 || id > count) {
			damaged++;
			continue;
		}
		if (seen[id]) {
			dups++;
			continue;
		}
		seen[id] = 1;
		unique++;
		if (id < max_id)
			reordered++;
		else
			max_id = id;
	}
	printf("received=%u unique=%u duplicates=%u reordered=%u damaged=%u elapsed_us=%llu\n",
	       received, unique, dups, reordered, damaged, (unsigned long long)(last - first));
	free(seen);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && !strcmp(argv[1], "send"))
		return do_send(argv[2], atoi(argv[3]), (uint32_t)strtoul(argv[4], NULL, 0),
			       (size_t)strtoul(argv[5], NULL, 0),
			       argc > 6 ? (unsigned)strtoul(argv[6], NULL, 0) : 0);
	if (argc == 6 && !strcmp(argv[1], "recv"))
		return do_recv(atoi(argv[2]), (uint32_t)strtoul(argv[3], NULL, 0), atoi(argv[4]),
			       argv[5]);
	fprintf(stderr, "usage: udpprobe send DST_IP PORT COUNT SIZE [GAP_US]\n"
			"       udpprobe recv PORT COUNT IDLE_MS READY_FILE\n");
	return 2;
}
