/*
 * afpacket_bench - frames per second through skbos's AF_PACKET/io_uring
 * device against a minimal raw AF_PACKET socket (sendmmsg/recvmmsg, batches
 * of 64), on the same interface, in the same run.  bench/afpacket.sh makes
 * the namespaces, interleaves the two and reports medians and ratios.
 *
 *   afpacket_bench tx-dev|tx-raw IF SIZE SECONDS DST_MAC [URING_OPTS]
 *   afpacket_bench rx-dev|rx-raw IF SIZE SECONDS [URING_OPTS]
 *   afpacket_bench gen IF SIZE SECONDS DST_MAC      (traffic for rx-*)
 *
 * Prints one line: "mode size frames pps cpu_us_per_frame errors".
 * tx counts frames the kernel accepted (completed sends); rx counts frames
 * handed to the stack (dev) or returned by recvmmsg (raw).  CPU time is this
 * process's (user + system), so it includes what the kernel does on its
 * behalf in the system call, not the softirq work on the other CPU.
 */
#include <arpa/inet.h>
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

static struct net_device *open_dev(struct stack *st, const char *ifname, unsigned int opts)
{
	struct afpacket_config cfg = { .uring_opts = opts };
	struct net_device *dev = afpacket_create(st, ifname, &cfg);

	if (IS_ERR(dev)) {
		fprintf(stderr, "afpacket_create(%s): %s\n", ifname, strerror((int)-PTR_ERR(dev)));
		exit(1);
	}
	return dev;
}

static void tx_dev(const char *ifname, unsigned int size, double secs, const u8 *dst,
		   unsigned int opts)
{
	struct stack *st = stack_new();
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
	struct stack *st = stack_new();
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
	       s.rx_ring_dry);
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
	if (!strncmp(mode, "tx-", 3) || !strcmp(mode, "gen")) {
		if (argc < 6 || parse_mac(argv[5], dst))
			goto usage;
		opts = argc > 6 ? (unsigned int)strtoul(argv[6], NULL, 0) : 0;
	} else {
		opts = argc > 5 ? (unsigned int)strtoul(argv[5], NULL, 0) : 0;
	}
	if (!strcmp(mode, "tx-dev"))
		tx_dev(ifname, size, secs, dst, opts);
	else if (!strcmp(mode, "tx-raw") || !strcmp(mode, "gen"))
		tx_raw(mode, ifname, size, secs, dst);
	else if (!strcmp(mode, "rx-dev"))
		rx_dev(ifname, size, secs, opts);
	else if (!strcmp(mode, "rx-raw"))
		rx_raw(ifname, size, secs);
	else
		goto usage;
	return 0;
usage:
	fprintf(stderr, "usage: afpacket_bench tx-dev|tx-raw|gen IF SIZE SECONDS DST_MAC [OPTS]\n"
			"       afpacket_bench rx-dev|rx-raw IF SIZE SECONDS [OPTS]\n");
	return 2;
}
