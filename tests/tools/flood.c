/*
 * flood - spoofed frames at a high rate from the kernel's side of a veth
 * pair, for tests/test_kernel_flood.sh (issue 10, "Floods and limits").
 * One AF_PACKET socket, frames built in batches of BATCH and handed over
 * with one sendmmsg each.  Unthrottled it sent 160-330k frames/s here,
 * every one with fresh spoofed fields and checksums (python sending one
 * prebuilt frame per call managed ~225k/s: the cost is building frames,
 * not the system calls).
 *
 *   flood [--rate N] syn IF DSTMAC DSTIP DPORT SRCNET/LEN SECONDS
 *	SYNs (MSS 1460) from random addresses in SRCNET and random ports,
 *	random sequence numbers, our MAC as the source (as if routed here).
 *   flood [--rate N] frag IF DSTMAC DSTIP DPORT SRCNET/LEN SECONDS
 *	UDP datagrams that never complete, from random addresses in SRCNET:
 *	in turn a 1400-byte first fragment of a 3000-byte datagram, an 8-byte
 *	first fragment (the smallest that holds a queue), and a pair of
 *	overlapping fragments (offset 0 and 8, both 16 bytes, RFC 5722).
 *   flood [--rate N] arp IF DSTMAC DSTIP SRCNET/LEN COUNT
 *	COUNT ARP frames from distinct sender addresses in SRCNET (in order,
 *	from SRCNET's second address) and distinct MACs: alternately a
 *	broadcast request for DSTIP and an unsolicited reply to DSTIP at DSTMAC.
 *   flood ofo IF DSTMAC SRCIP SPORT DSTIP DPORT COUNT
 *	out-of-order data into a live connection SRCIP:SPORT -> DSTIP:DPORT:
 *	waits (10 s at most) for a segment of the peer's on that connection
 *	to learn its ACK (our next byte) and its sequence number, then sends
 *	COUNT 1000-byte segments starting 1000 bytes past the next byte
 *	(the hole is never filled by us), sweeping 4 MB of sequence space.
 *
 * --rate caps the frames per second (default: none).  At the end one line
 * on stdout: "flood MODE: sent N frames in T s (R frames/s)".  Needs
 * CAP_NET_RAW.  Exit status 0, 1 on a send error, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define FRAME_MAX 1514
/* Frames start 2 bytes into 4-aligned slots, so the IP header after the
 * 14-byte Ethernet header is aligned (the kernel's NET_IP_ALIGN). */
#define IP_ALIGN 2
#define SLOT (FRAME_MAX + IP_ALIGN)

struct flood {
	int fd;
	uint8_t src_mac[6], dst_mac[6];
	uint8_t frames[BATCH][SLOT] __attribute__((aligned(8)));
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	int n;              /* frames in the batch */
	unsigned long sent; /* frames handed to the kernel */
	double rate;        /* frames/s cap, 0: none */
	double t0;
	uint64_t rnd;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: fast and good enough for spoofed fields. */
static uint32_t rnd32(struct flood *f)
{
	f->rnd ^= f->rnd >> 12;
	f->rnd ^= f->rnd << 25;
	f->rnd ^= f->rnd >> 27;
	return (uint32_t)((f->rnd * 2685821657736338717ULL) >> 32);
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/* The checksum of a TCP or UDP segment of @len bytes at @l4 (RFC 793 pseudo-header). */
static uint16_t l4_csum(const struct iphdr *iph, const void *l4, size_t len)
{
	uint32_t sum = csum_add(0, &iph->saddr, 8);

	sum += iph->protocol + (uint32_t)len;
	return htons(csum_fold(csum_add(sum, l4, len)));
}

static void ip_header(struct iphdr *iph, uint32_t saddr, uint32_t daddr, uint8_t proto,
		      unsigned int len, uint16_t id, uint16_t frag_off)
{
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons((uint16_t)len);
	iph->id = htons(id);
	iph->frag_off = htons(frag_off);
	iph->ttl = 64;
	iph->protocol = proto;
	iph->saddr = saddr;
	iph->daddr = daddr;
	iph->check = htons(csum_fold(csum_add(0, iph, sizeof(*iph))));
}

/* The next frame of the batch, its Ethernet header written; send when full. */
static uint8_t *frame_start(struct flood *f, const uint8_t *dst, uint16_t proto)
{
	uint8_t *frame = f->frames[f->n] + IP_ALIGN;
	uint16_t type = htons(proto);

	memcpy(frame, dst, 6);
	memcpy(frame + 6, f->src_mac, 6);
	memcpy(frame + 12, &type, 2);
	return frame + sizeof(struct ether_header);
}

static int flush(struct flood *f)
{
	int done = 0;

	while (done < f->n) {
		int r = sendmmsg(f->fd, f->msgs + done, (unsigned int)(f->n - done), 0);

		if (r < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR))
			continue; /* the device queue is full: the kernel will drain it */
		if (r < 0) {
			perror("flood: sendmmsg");
			return -1;
		}
		done += r;
	}
	f->sent += (unsigned long)f->n;
	f->n = 0;
	if (f->rate > 0) { /* sleep until the frames sent so far are due */
		double ahead = f->sent / f->rate - (now_s() - f->t0);

		if (ahead > 0) {
			struct timespec ts = { (time_t)ahead, (long)((ahead - (time_t)ahead) * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

static int frame_end(struct flood *f, unsigned int len)
{
	if (len < ETH_ZLEN)
		len = ETH_ZLEN;
	f->iov[f->n].iov_len = len;
	if (++f->n == BATCH)
		return flush(f);
	return 0;
}

static uint32_t net_pick(struct flood *f, uint32_t net, int plen)
{
	uint32_t host = plen >= 32 ? 0 : rnd32(f) & (0xffffffffu >> plen);

	if (plen < 31 && (host == 0 || host == (0xffffffffu >> plen))) /* network, broadcast */
		host = 1;
	return htonl(ntohl(net) | host);
}

static int syn(struct flood *f, uint32_t daddr, uint16_t dport, uint32_t net, int plen)
{
	uint8_t *p = frame_start(f, f->dst_mac, ETH_P_IP);
	struct iphdr *iph = (struct iphdr *)p;
	struct tcphdr *th = (struct tcphdr *)(p + sizeof(*iph));
	uint8_t *opt = (uint8_t *)(th + 1);
	unsigned int tcplen = sizeof(*th) + 4;

	memset(th, 0, tcplen);
	th->source = htons((uint16_t)(1024 + rnd32(f) % 64512));
	th->dest = htons(dport);
	th->seq = rnd32(f);
	th->doff = (uint8_t)(tcplen / 4);
	th->syn = 1;
	th->window = htons(64240);
	opt[0] = 2; /* MSS 1460 (RFC 9293 §3.2) */
	opt[1] = 4;
	opt[2] = 1460 >> 8;
	opt[3] = 1460 & 0xff;
	ip_header(iph, net_pick(f, net, plen), daddr, IPPROTO_TCP, sizeof(*iph) + tcplen,
		  (uint16_t)rnd32(f), IP_DF);
	th->check = l4_csum(iph, th, tcplen);
	return frame_end(f, (unsigned int)(sizeof(struct ether_header) + sizeof(*iph) + tcplen));
}

/* One fragment of a UDP datagram: @off and @len in bytes of the IP payload. */
static int fragment(struct flood *f, uint32_t saddr, uint32_t daddr, uint16_t id, unsigned int off,
		    unsigned int len, bool more, uint16_t dport, unsigned int total)
{
	uint8_t *p = frame_start(f, f->dst_mac, ETH_P_IP);
	struct iphdr *iph = (struct iphdr *)p;
	uint8_t *payload = p + sizeof(*iph);

	memset(payload, 0x5a, len);
	if (off == 0) { /* the UDP header (its checksum 0: none, RFC 768) */
		struct udphdr *uh = (struct udphdr *)payload;

		uh->source = htons(9);
		uh->dest = htons(dport);
		uh->len = htons((uint16_t)total);
		uh->check = 0;
	}
	ip_header(iph, saddr, daddr, IPPROTO_UDP, (unsigned int)sizeof(*iph) + len, id,
		  (uint16_t)((more ? IP_MF : 0) | off / 8));
	return frame_end(f, (unsigned int)(sizeof(struct ether_header) + sizeof(*iph) + len));
}

static int frags(struct flood *f, uint32_t daddr, uint16_t dport, uint32_t net, int plen, unsigned long i)
{
	uint32_t saddr = net_pick(f, net, plen);
	uint16_t id = (uint16_t)rnd32(f);

	switch (i % 3) {
	case 0: /* a big first fragment whose siblings never come */
		return fragment(f, saddr, daddr, id, 0, 1400, true, dport, 3000);
	case 1: /* the smallest fragment that opens a queue */
		return fragment(f, saddr, daddr, id, 0, 8, true, dport, 3000);
	default: /* overlapping: 8..16 is sent twice with different data (RFC 5722) */
		if (fragment(f, saddr, daddr, id, 0, 16, true, dport, 3000))
			return -1;
		return fragment(f, saddr, daddr, id, 8, 16, true, dport, 3000);
	}
}

struct arp_eth {
	uint16_t hrd, pro;
	uint8_t hln, pln;
	uint16_t op;
	uint8_t sha[6];
	uint8_t sip[4];
	uint8_t tha[6];
	uint8_t tip[4];
} __attribute__((packed));

static int arp(struct flood *f, uint32_t tip, const uint8_t *tmac, uint32_t net, unsigned long i)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	bool request = !(i & 1);
	uint32_t sip = htonl(ntohl(net) + 1 + (uint32_t)i);
	struct arp_eth *a;

	/* a locally administered unicast MAC per sender: 02:fl:00:i */
	f->src_mac[0] = 0x02;
	f->src_mac[1] = 0xf1;
	f->src_mac[2] = (uint8_t)(i >> 24);
	f->src_mac[3] = (uint8_t)(i >> 16);
	f->src_mac[4] = (uint8_t)(i >> 8);
	f->src_mac[5] = (uint8_t)i;
	a = (struct arp_eth *)frame_start(f, request ? bcast : tmac, ETH_P_ARP);
	a->hrd = htons(1);
	a->pro = htons(ETH_P_IP);
	a->hln = 6;
	a->pln = 4;
	a->op = htons(request ? 1 : 2);
	memcpy(a->sha, f->src_mac, 6);
	memcpy(a->sip, &sip, 4);
	memcpy(a->tha, request ? (const uint8_t *)"\0\0\0\0\0\0" : tmac, 6);
	memcpy(a->tip, &tip, 4);
	return frame_end(f, (unsigned int)(sizeof(struct ether_header) + sizeof(*a)));
}

/* The connection's numbers, from a segment the peer (@peer:@pport) sent to @us:@port. */
static int learn_seq(struct flood *f, uint32_t us, uint16_t port, uint32_t peer, uint16_t pport,
		     uint32_t *our_next, uint32_t *their_next)
{
	static uint8_t slot[65536 + 64] __attribute__((aligned(8)));
	uint8_t *buf = slot + IP_ALIGN;
	double deadline = now_s() + 10;
	struct timeval tv = { 0, 200000 };

	setsockopt(f->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (now_s() < deadline) {
		ssize_t n = recv(f->fd, buf, sizeof(slot) - IP_ALIGN, 0);
		const struct iphdr *iph = (const struct iphdr *)(buf + sizeof(struct ether_header));
		const struct tcphdr *th;

		if (n < (ssize_t)(sizeof(struct ether_header) + sizeof(*iph) + sizeof(*th)) ||
		    buf[12] != ETH_P_IP >> 8 || buf[13] != (ETH_P_IP & 0xff) ||
		    iph->protocol != IPPROTO_TCP || iph->saddr != peer || iph->daddr != us)
			continue;
		th = (const struct tcphdr *)((const uint8_t *)iph + iph->ihl * 4);
		if (th->source != htons(pport) || th->dest != htons(port) || !th->ack || th->syn)
			continue;
		*our_next = ntohl(th->ack_seq);
		*their_next = ntohl(th->seq);
		return 0;
	}
	fprintf(stderr, "flood: no segment of %u -> %u seen in 10 s\n", pport, port);
	return -1;
}

static int ofo(struct flood *f, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport,
	       unsigned long count)
{
	static const unsigned int seg = 1000, sweep = 4 << 20;
	uint32_t next, ack;

	if (learn_seq(f, saddr, sport, daddr, dport, &next, &ack))
		return -1;
	printf("flood ofo: the peer expects %u and sent up to %u\n", next, ack);
	f->t0 = now_s();
	for (unsigned long i = 0; i < count; i++) {
		uint8_t *p = frame_start(f, f->dst_mac, ETH_P_IP);
		struct iphdr *iph = (struct iphdr *)p;
		struct tcphdr *th = (struct tcphdr *)(p + sizeof(*iph));
		unsigned int tcplen = sizeof(*th) + seg;

		memset(th, 0, sizeof(*th));
		memset(th + 1, 'o', seg);
		th->source = htons(sport);
		th->dest = htons(dport);
		/* past the hole at next, sweeping 4 MB in segment steps */
		th->seq = htonl(next + seg + (uint32_t)(i * seg % sweep));
		th->ack_seq = htonl(ack);
		th->doff = sizeof(*th) / 4;
		th->ack = 1;
		th->psh = 1;
		th->window = htons(65535);
		ip_header(iph, saddr, daddr, IPPROTO_TCP, (unsigned int)(sizeof(*iph) + tcplen),
			  (uint16_t)rnd32(f), IP_DF);
		th->check = l4_csum(iph, th, tcplen);
		if (frame_end(f, (unsigned int)(sizeof(struct ether_header) + sizeof(*iph) + tcplen)))
			return -1;
	}
	return f->n ? flush(f) : 0;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int m[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

static int parse_net(const char *s, uint32_t *net, int *plen)
{
	char buf[32], *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	*plen = atoi(slash + 1);
	if (inet_pton(AF_INET, buf, net) != 1 || *plen < 1 || *plen > 32)
		return -1;
	*net &= htonl(0xffffffffu << (32 - *plen));
	return 0;
}

static int open_if(struct flood *f, const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct ifreq ifr = { 0 };
	int sndbuf = 4 << 20;

	f->fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (f->fd < 0) {
		perror("flood: socket(AF_PACKET)");
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex || ioctl(f->fd, SIOCGIFHWADDR, &ifr) ||
	    bind(f->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "flood: %s: %s\n", ifname, strerror(errno));
		return -1;
	}
	setsockopt(f->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	memcpy(f->src_mac, ifr.ifr_hwaddr.sa_data, 6);
	for (int i = 0; i < BATCH; i++) {
		f->iov[i].iov_base = f->frames[i] + IP_ALIGN;
		f->msgs[i].msg_hdr.msg_iov = &f->iov[i];
		f->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static int usage(void)
{
	fputs("usage: flood [--rate N] syn|frag IF DSTMAC DSTIP DPORT SRCNET/LEN SECONDS\n"
	      "       flood [--rate N] arp IF DSTMAC DSTIP SRCNET/LEN COUNT\n"
	      "       flood ofo IF DSTMAC SRCIP SPORT DSTIP DPORT COUNT\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static struct flood f;
	const char *mode;
	uint32_t daddr, saddr, net;
	int plen, i = 1, rc = 0;
	double secs;

	if (argc > 2 && !strcmp(argv[1], "--rate")) {
		f.rate = atof(argv[2]);
		i = 3;
	}
	if (argc - i < 5)
		return usage();
	mode = argv[i];
	f.rnd = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
	if (open_if(&f, argv[i + 1]))
		return 1;
	f.t0 = now_s();
	if ((!strcmp(mode, "syn") || !strcmp(mode, "frag")) && argc - i == 7) {
		if (parse_mac(argv[i + 2], f.dst_mac) || inet_pton(AF_INET, argv[i + 3], &daddr) != 1 ||
		    parse_net(argv[i + 5], &net, &plen))
			return usage();
		uint16_t dport = (uint16_t)atoi(argv[i + 4]);
		secs = atof(argv[i + 6]);
		for (unsigned long k = 0; !rc && now_s() - f.t0 < secs; k++)
			rc = mode[0] == 's' ? syn(&f, daddr, dport, net, plen)
					    : frags(&f, daddr, dport, net, plen, k);
	} else if (!strcmp(mode, "arp") && argc - i == 6) {
		uint8_t own[6];

		if (parse_mac(argv[i + 2], f.dst_mac) || inet_pton(AF_INET, argv[i + 3], &daddr) != 1 ||
		    parse_net(argv[i + 4], &net, &plen))
			return usage();
		unsigned long count = strtoul(argv[i + 5], NULL, 10);
		memcpy(own, f.src_mac, 6);
		for (unsigned long k = 0; !rc && k < count; k++)
			rc = arp(&f, daddr, f.dst_mac, net, k);
		memcpy(f.src_mac, own, 6);
	} else if (!strcmp(mode, "ofo") && argc - i == 8) {
		if (parse_mac(argv[i + 2], f.dst_mac) || inet_pton(AF_INET, argv[i + 3], &saddr) != 1 ||
		    inet_pton(AF_INET, argv[i + 5], &daddr) != 1)
			return usage();
		rc = ofo(&f, saddr, (uint16_t)atoi(argv[i + 4]), daddr, (uint16_t)atoi(argv[i + 6]),
			 strtoul(argv[i + 7], NULL, 10));
	} else {
		return usage();
	}
	if (!rc && f.n)
		rc = flush(&f);
	secs = now_s() - f.t0;
	printf("flood %s: sent %lu frames in %.2f s (%.0f frames/s)\n", mode, f.sent, secs,
	       secs > 0 ? f.sent / secs : 0.0);
	return rc ? 1 : 0;
}
