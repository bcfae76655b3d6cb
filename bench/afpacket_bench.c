/*
 * afpacket_bench - frames per second through skbos's AF_PACKET/io_uring
 * device against a minimal raw AF_PACKET socket (sendmmsg/recvmmsg, batches
 * of 64), on the same interface, in the same run.  bench/afpacket.sh makes
 * the namespaces, interleaves the two and reports medians and ratios.
 *
 *   afpacket_bench tx-dev|tx-raw IF SIZE SECONDS DST_MAC [URING_OPTS]
 *   afpacket_bench rx-dev|rx-raw IF SIZE SECONDS [URING_OPTS [RX]]
 *   afpacket_bench gen IF SIZE SECONDS DST_MAC      (traffic for rx-*)
 *   afpacket_bench pp-dev|pp-dev-spin IF SIZE SECONDS DST_MAC [URING_OPTS [RX]]
 *   afpacket_bench pp-raw|pp-raw-spin IF SIZE SECONDS DST_MAC
 *   afpacket_bench echo|echo-spin IF SIZE SECONDS   (the peer of pp-*)
 *
 * RX is the device's receive mode: "ms" (multishot recv, the default) or
 * "v3:MS" (TPACKET_V3 ring, MS the block retire timeout).  URING_OPTS are
 * afpacket_config.uring_opts bits (8 = AFP_QDISC_BYPASS).
 *
 * Prints one line: "mode size frames pps cpu_us_per_frame errors" (rx-dev:
 * errors = frames the kernel dropped, PACKET_STATISTICS); pp-*
 * print "mode size round_trips rtt_p50_us rtt_p99_us cpu_us_per_rtt lost
 * rtt_p999_us".  pp-dev sends one frame through skbos's device, sleeps in
 * afpacket_wait until the answer is in (the io_uring completion's eventfd, as
 * an application thread blocked in recv sleeps), and sends the next: a
 * request/response exchange with nothing batched.  pp-raw does the same on a
 * plain raw AF_PACKET socket in blocking recv: no stack, no ring, the least a
 * frame's round trip over this veth costs.  The -spin variants never sleep
 * (afpacket_wait with no timeout, recv with MSG_DONTWAIT): the floor of a
 * busy-polling stack.  These are the floors bench/run.sh sets skbos's
 * latency beside (issue 18).  echo is a plain raw AF_PACKET socket in
 * blocking recv (echo-spin: polling) that sends every frame back with its
 * addresses swapped (the kernel side).
 * tx counts frames the kernel accepted (completed sends); rx counts frames
 * handed to the stack (dev) or returned by recvmmsg (raw).  CPU time is this
 * process's (user + system), so it includes what the kernel does on its
 * behalf in the system call, not the softirq work on the other CPU.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

#include "afpacket_uring.h"
#include "netdevice.h"
#include "eth.h"
#include "stack.h"
#include "ip.h"
#include "skbuff.h"

#define BATCH 64
#define ETH_P_BENCH 0x88B5

/* if_nametoindex without <net/if.h> (its IFF_* clash with netdevice.h). */
extern unsigned int if_nametoindex(const char *ifname);

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static void report(const char *mode, unsigned int size, u64 frames, double secs, double cpu,
		   u64 errors)
{
	printf("%s %u %llu %.0f %.3f %llu\n", mode, size, (unsigned long long)frames,
	       (double)frames / secs, frames ? cpu * 1e6 / (double)frames : 0.0,
	       (unsigned long long)errors);
}

static void frame_template(u8 *f, unsigned int size, const u8 *dst, const u8 *src)
{
	memset(f, 0, size);
	memcpy(f, dst, ETH_ALEN);
	memcpy(f + ETH_ALEN, src, ETH_ALEN);
	f[12] = ETH_P_BENCH >> 8;
	f[13] = ETH_P_BENCH & 0xff;
}

/* ---- skbos's device --------------------------------------------------- */

static u64 dev_rx_frames;

static int bench_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt)
{
	(void)dev;
	(void)pt;
	dev_rx_frames++;
	consume_skb(skb);
	return 0;
}

/* "ms" or "v3:MS" (see the top); exits on anything else. */
static const char *rx_spec = "ms";

static struct net_device *open_dev(struct stack *st, const char *ifname, unsigned int opts)
{
	struct afpacket_config cfg = { .uring_opts = opts };
	struct net_device *dev;

	if (!strncmp(rx_spec, "v3", 2)) {
		cfg.rx_mode = AFP_RX_TPACKET_V3;
		cfg.rx_retire_ms = rx_spec[2] == ':' ? (unsigned int)atoi(rx_spec + 3) : 0;
	} else if (strcmp(rx_spec, "ms")) {
		fprintf(stderr, "afpacket_bench: receive mode %s: ms or v3:MS\n", rx_spec);
		exit(2);
	}
	dev = afpacket_create(st, ifname, &cfg);

	if (IS_ERR(dev)) {
		fprintf(stderr, "afpacket_create(%s): %s\n", ifname, strerror((int)-PTR_ERR(dev)));
		exit(1);
	}
	return dev;
}

static void tx_dev(const char *ifname, unsigned int size, double secs, const u8 *dst,
		   unsigned int opts)
{
	struct stack *st = stack_new(&(struct stack_params){ .families = inet_families });
	struct net_device *dev = open_dev(st, ifname, opts);
	struct afpacket_stats s;
	u8 hdr[ETH_HLEN];
	double t0, c0, end;

	frame_template(hdr, ETH_HLEN, dst, dev->dev_addr);
	t0 = now_s();
	c0 = cpu_s();
	end = t0 + secs;
	while (now_s() < end) {
		afpacket_get_stats(dev, &s);
		/* Back-pressure: wait for completions rather than overfill. */
		if (s.tx_backlog || s.tx_inflight + BATCH > 1024) {
			afpacket_wait(dev, 1);
			stack_poll(st, BATCH);
			continue;
		}
		for (int i = 0; i < BATCH; i++) {
			struct sk_buff *skb = alloc_skb(st, NET_SKB_PAD + size);

			skb_reserve(skb, NET_SKB_PAD);
			memcpy(skb_put(skb, size), hdr, ETH_HLEN);
			skb->dev = dev;
			dev_queue_xmit(skb);
		}
		stack_xmit_flush(st);
		stack_poll(st, BATCH);
	}
	report(opts ? "tx-dev-opts" : "tx-dev", size, dev->stats.tx_packets, now_s() - t0,
	       cpu_s() - c0, dev->stats.tx_errors + dev->stats.tx_dropped);
	afpacket_get_stats(dev, &s);
	fprintf(stderr, "tx-dev: submits %llu enters %llu retries %llu setup %#x\n",
		(unsigned long long)s.tx_submits, (unsigned long long)s.tx_enters,
		(unsigned long long)s.tx_retries, s.setup_flags);
	stack_free(st);
}

static void rx_dev(const char *ifname, unsigned int size, double secs, unsigned int opts)
{
	struct stack *st = stack_new(&(struct stack_params){ .families = inet_families });
	struct net_device *dev = open_dev(st, ifname, opts);
	struct packet_type pt = { .type = ETH_P_BENCH, .func = bench_rcv };
	struct afpacket_stats s;
	double t0, c0, end;

	dev_add_pack(st, &pt);
	t0 = now_s();
	c0 = cpu_s();
	end = t0 + secs;
	while (now_s() < end) {
		afpacket_wait(dev, 10);
		stack_poll(st, 256);
		stack_xmit_flush(st);
	}
	afpacket_get_stats(dev, &s);
	report(opts ? "rx-dev-opts" : "rx-dev", size, dev_rx_frames, now_s() - t0, cpu_s() - c0,
	       s.rx_ring_drops);
	dev_remove_pack(st, &pt);
	stack_free(st);
}

/* ---- request/response ------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

enum { PP_MAX_RTT = 1 << 20 };

/* One line for a ping-pong run: the RTT percentiles over the n answered. */
static void pp_report(const char *mode, unsigned int size, double *rtt, u64 n, double cpu, u64 lost)
{
	qsort(rtt, n, sizeof(*rtt), cmp_double);
	printf("%s %u %llu %.1f %.1f %.2f %llu %.1f\n", mode, size, (unsigned long long)n,
	       n ? rtt[n / 2] : 0.0, n ? rtt[n * 99 / 100] : 0.0, n ? cpu * 1e6 / (double)n : 0.0,
	       (unsigned long long)lost, n ? rtt[n * 999 / 1000] : 0.0);
}

/*
 * One frame out, wait (asleep in afpacket_wait, as an application thread
 * blocked in recv would be; or polling it, spin) for the echo, repeat.  An
 * answer that takes more than 100 ms counts as lost and the next round starts.
 */
static void pp_dev(const char *mode, const char *ifname, unsigned int size, double secs,
		   const u8 *dst, unsigned int opts, bool spin)
{
	struct stack *st = stack_new(&(struct stack_params){ .families = inet_families });
	struct net_device *dev = open_dev(st, ifname, opts);
	struct packet_type pt = { .type = ETH_P_BENCH, .func = bench_rcv };
	double *rtt = malloc(PP_MAX_RTT * sizeof(*rtt));
	u8 hdr[ETH_HLEN];
	u64 n = 0, lost = 0;
	double c0, end;

	dev_add_pack(st, &pt);
	frame_template(hdr, ETH_HLEN, dst, dev->dev_addr);
	c0 = cpu_s();
	end = now_s() + secs;
	while (now_s() < end && n < PP_MAX_RTT) {
		struct sk_buff *skb = alloc_skb(st, NET_SKB_PAD + size);
		u64 want = dev_rx_frames + 1;
		double ts = now_s(), give_up = ts + 0.1;

		skb_reserve(skb, NET_SKB_PAD);
		memcpy(skb_put(skb, size), hdr, ETH_HLEN);
		memset(skb->data + ETH_HLEN, 0, size - ETH_HLEN);
		skb->dev = dev;
		dev_queue_xmit(skb);
		stack_xmit_flush(st);
		while (dev_rx_frames < want && now_s() < give_up) {
			afpacket_wait(dev, spin ? 0 : 100);
			stack_poll(st, 64);
		}
		if (dev_rx_frames >= want)
			rtt[n++] = (now_s() - ts) * 1e6;
		else
			lost++;
		dev_rx_frames = want - 1 + (dev_rx_frames >= want);
	}
	pp_report(mode, size, rtt, n, cpu_s() - c0, lost);
	free(rtt);
	dev_remove_pack(st, &pt);
	stack_free(st);
}

/* ---- the raw socket baseline ------------------------------------------ */

static int raw_socket(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd = socket(AF_PACKET, SOCK_RAW, 0), one = 1, buf = 4 << 20;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("raw socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	return fd;
}

static void tx_raw(const char *mode, const char *ifname, unsigned int size, double secs,
		   const u8 *dst)
{
	static u8 frame[2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov = { .iov_base = frame, .iov_len = size };
	int fd = raw_socket(ifname);
	u64 sent = 0, errors = 0;
	double t0, c0, end;

	frame_template(frame, size, dst, (const u8[]){ 0x02, 0, 0, 0, 0, 0x01 });
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_s();
	c0 = cpu_s();
	end = t0 + secs;
	while (now_s() < end) {
		int n = sendmmsg(fd, msgs, BATCH, 0);

		if (n > 0)
			sent += (u64)n;
		if (n < BATCH)
			errors++; /* ENOBUFS: the peer's queue was full */
	}
	report(mode, size, sent, now_s() - t0, cpu_s() - c0, errors);
	close(fd);
}

static void rx_raw(const char *ifname, unsigned int size, double secs)
{
	static u8 bufs[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct timespec tmo = { 0, 10 * 1000 * 1000 };
	int fd = raw_socket(ifname);
	u64 got = 0;
	double t0, c0, end;

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_s();
	c0 = cpu_s();
	end = t0 + secs;
	while (now_s() < end) {
		/* Blocks for the first frame like the device's wait does. */
		int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, &tmo);

		for (int i = 0; i < n; i++)
			got += bufs[i][12] == (ETH_P_BENCH >> 8);
	}
	report("rx-raw", size, got, now_s() - t0, cpu_s() - c0, 0);
	close(fd);
}

static bool is_bench_frame(const u8 *frame, ssize_t len)
{
	return len >= ETH_HLEN && frame[12] == (ETH_P_BENCH >> 8) && frame[13] == (ETH_P_BENCH & 0xff);
}

/*
 * pp-raw: the same exchange as pp-dev on a plain raw socket, blocking recv
 * (SO_RCVTIMEO 100 ms: a lost answer) or, spin, MSG_DONTWAIT until the
 * answer or the 100 ms.
 */
static void pp_raw(const char *mode, const char *ifname, unsigned int size, double secs,
		   const u8 *dst, bool spin)
{
	static u8 frame[2048], in[2048];
	struct timeval tmo = { 0, 100 * 1000 };
	double *rtt = malloc(PP_MAX_RTT * sizeof(*rtt));
	int fd = raw_socket(ifname);
	u64 n = 0, lost = 0;
	double c0, end;

	frame_template(frame, size, dst, (const u8[]){ 0x02, 0, 0, 0, 0, 0x01 });
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	c0 = cpu_s();
	end = now_s() + secs;
	while (now_s() < end && n < PP_MAX_RTT) {
		double ts = now_s(), give_up = ts + 0.1;
		ssize_t len = -1;

		if (send(fd, frame, size, 0) != (ssize_t)size) {
			lost++;
			continue;
		}
		do
			len = recv(fd, in, sizeof(in), spin ? MSG_DONTWAIT : 0);
		while (!is_bench_frame(in, len) && now_s() < give_up);
		if (is_bench_frame(in, len))
			rtt[n++] = (now_s() - ts) * 1e6;
		else
			lost++;
	}
	pp_report(mode, size, rtt, n, cpu_s() - c0, lost);
	free(rtt);
	close(fd);
}

/* The kernel side of pp-*: every ETH_P_BENCH frame goes back at once. */
static void echo_raw(const char *ifname, double secs, bool spin)
{
	static u8 frame[2048];
	struct timeval tmo = { 0, 100 * 1000 };
	int fd = raw_socket(ifname);
	u64 echoed = 0;
	double end = now_s() + secs;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	while (now_s() < end) {
		ssize_t len = recv(fd, frame, sizeof(frame), spin ? MSG_DONTWAIT : 0);
		u8 mac[ETH_ALEN];

		if (!is_bench_frame(frame, len))
			continue;
		memcpy(mac, frame, ETH_ALEN);
		memcpy(frame, frame + ETH_ALEN, ETH_ALEN);
		memcpy(frame + ETH_ALEN, mac, ETH_ALEN);
		echoed += send(fd, frame, (size_t)len, 0) == len;
	}
	fprintf(stderr, "echo: %llu frames\n", (unsigned long long)echoed);
	close(fd);
}

static int parse_mac(const char *s, u8 *mac)
{
	return eth_parse_addr(s, mac);
}

int main(int argc, char **argv)
{
	const char *mode, *ifname;
	unsigned int size, opts = 0;
	double secs;
	u8 dst[ETH_ALEN];

	if (argc < 5)
		goto usage;
	mode = argv[1];
	ifname = argv[2];
	size = (unsigned int)strtoul(argv[3], NULL, 0);
	secs = strtod(argv[4], NULL);
	if (size < ETH_ZLEN || size > 1514 || secs <= 0)
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strncmp(mode, "tx-", 3) || !strcmp(mode, "gen") || !strncmp(mode, "pp-", 3)) {
		if (argc < 6 || parse_mac(argv[5], dst))
			goto usage;
		opts = argc > 6 ? (unsigned int)strtoul(argv[6], NULL, 0) : 0;
		rx_spec = argc > 7 ? argv[7] : rx_spec;
	} else {
		opts = argc > 5 ? (unsigned int)strtoul(argv[5], NULL, 0) : 0;
		rx_spec = argc > 6 ? argv[6] : rx_spec;
	}
	if (!strcmp(mode, "tx-dev"))
		tx_dev(ifname, size, secs, dst, opts);
	else if (!strcmp(mode, "tx-raw") || !strcmp(mode, "gen"))
		tx_raw(mode, ifname, size, secs, dst);
	else if (!strcmp(mode, "rx-dev"))
		rx_dev(ifname, size, secs, opts);
	else if (!strcmp(mode, "rx-raw"))
		rx_raw(ifname, size, secs);
	else if (!strcmp(mode, "pp-dev") || !strcmp(mode, "pp-dev-spin"))
		pp_dev(mode, ifname, size, secs, dst, opts, !strcmp(mode, "pp-dev-spin"));
	else if (!strcmp(mode, "pp-raw") || !strcmp(mode, "pp-raw-spin"))
		pp_raw(mode, ifname, size, secs, dst, !strcmp(mode, "pp-raw-spin"));
	else if (!strcmp(mode, "echo") || !strcmp(mode, "echo-spin"))
		echo_raw(ifname, secs, !strcmp(mode, "echo-spin"));
	else
		goto usage;
	return 0;
usage:
	fprintf(stderr, "usage: afpacket_bench tx-dev|tx-raw|gen IF SIZE SECONDS DST_MAC [OPTS]\n"
			"       afpacket_bench rx-dev|rx-raw IF SIZE SECONDS [OPTS [ms|v3:MS]]\n"
			"       afpacket_bench pp-dev|pp-dev-spin IF SIZE SECONDS DST_MAC [OPTS [ms|v3:MS]]\n"
			"       afpacket_bench pp-raw|pp-raw-spin IF SIZE SECONDS DST_MAC\n"
			"       afpacket_bench echo|echo-spin IF SIZE SECONDS\n");
	return 2;
}
