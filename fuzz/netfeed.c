/*
 * netfeed.c - the fuzz_input scenario (netfeed.h): a busy stack B fed
 * arbitrary frames through its device's receive path,
 *
 *   eth_rx -> netif_receive_skb -> arp_rcv | ip_rcv -> ip_defrag
 *          -> tcp_v4_rcv | udp_rcv | icmp_rcv | raw_local_deliver
 *
 * with virtual time moving between frames so that every timer (RTO, delayed
 * ACK, persist, keepalive, TIME_WAIT, reassembly, ARP) gets to run.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "netfeed.h"
#include "arp.h"
#include "checksum.h"
#include "eth.h"
#include "frames.h"
#include "socks.h"
#include "tcp.h"
#include "udp.h"

const u8 netfeed_phantom_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x09 };

/* Virtual time after a frame: up to a TIME_WAIT and a reassembly timeout. */
static const u64 netfeed_step_ms[8] = { 0, 1, 10, 100, 500, 2000, 10000, 70000 };

/* Long enough for every orphan's retries, TIME_WAIT and reassembly timers. */
#define NETFEED_DRAIN_SEC 1800

static void netfeed_seed(struct stack *st, u64 n)
{
	st->ipv4.isn_key[0] = 0x736b626f73000000ull + n;
	st->ipv4.isn_key[1] = 0x66757a7a00000000ull + n;
	st->ipv4.ip_idents_secret = 0x1d000000u + (u32)n;
}

/* The first of two fragments of a UDP datagram from A to B's UDP port. */
static void netfeed_first_fragment(struct netfeed *f)
{
	static u8 payload[1480];
	struct udphdr *uh = (struct udphdr *)(void *)payload;

	for (unsigned int i = 0; i < sizeof(payload); i++)
		payload[i] = (u8)i;
	uh->source = htons(5353);
	uh->dest = htons(NETFEED_UDP_PORT);
	uh->len = htons(sizeof(payload) + 520);
	uh->check = 0;
	inject_ip(f->p.db, &(struct ipspec){ .saddr = f->p.a, .daddr = f->p.b, .proto = IPPROTO_UDP,
					     .id = NETFEED_FRAG_ID, .frag_off = IP_MF,
					     .payload = payload, .len = sizeof(payload) });
}

/* The phantom host asks for B: B learns its MAC (RFC 826's merge step). */
static void netfeed_phantom_arp(struct netfeed *f)
{
	static const u8 zero[ETH_ALEN];
	u8 buf[64];
	unsigned int len = netfeed_arp(buf, ARPOP_REQUEST, netfeed_phantom_mac, ip4(NETFEED_PHANTOM_ADDR),
				       zero, f->p.b);

	inject_frame(f->p.db, buf, len);
}

/** netfeed_setup - build the scenario of netfeed.h, the same every time. */
void netfeed_setup(struct netfeed *f)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(NETFEED_ACT_PORT) };

	memset(f, 0, sizeof(*f));
	inet_pair_setup(&f->p);
	f->sa = f->p.w.st[0];
	f->sb = f->p.w.st[1];
	netfeed_seed(f->sa, 0);
	netfeed_seed(f->sb, 1);

	f->lis = t_socket(f->sb, SOCK_STREAM, 0);
	cr_assert(eq(int, t_bind(f->lis, 0, NETFEED_TCP_PORT), 0));
	cr_assert(eq(int, f->lis->ops->listen(f->lis, 16), 0));
	f->cli = t_socket(f->sa, SOCK_STREAM, 0);
	cr_assert(eq(int, t_bind(f->cli, 0, NETFEED_CLI_PORT), 0));
	cr_assert(eq(int, t_connect(f->cli, f->p.b, NETFEED_TCP_PORT), 0));
	cr_assert(eq(int, sock_accept(f->lis, &f->srv, O_NONBLOCK), 0));

	f->act = t_socket(f->sb, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = ip4(NETFEED_ACT_ADDR);
	cr_assert(eq(int, f->act->ops->connect(f->act, (struct sockaddr *)&sin, sizeof(sin), O_NONBLOCK),
		     -EINPROGRESS));

	f->udp = t_socket(f->sb, SOCK_DGRAM, 0);
	cr_assert(eq(int, t_bind(f->udp, 0, NETFEED_UDP_PORT), 0));
	f->raw = t_socket(f->sb, SOCK_RAW, IPPROTO_ICMP);
	netfeed_first_fragment(f);
	netfeed_phantom_arp(f);
	world_run(&f->p.w);
	cr_assert(eq(u32, ipfrag_queue_count(f->sb), 1));
}

static void netfeed_drain_sock(struct socket *s)
{
	static u8 buf[65536];

	for (int i = 0; s && i < 64; i++)
		if (t_recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL) <= 0)
			break;
}

/* The application keeps up: accept what is pending, read what arrived. */
static void netfeed_drain(struct netfeed *f)
{
	struct socket *s;

	while (sock_accept(f->lis, &s, O_NONBLOCK) == 0) {
		if (f->nacc < NETFEED_MAX_ACCEPT)
			f->acc[f->nacc++] = s;
		else
			sock_release(s);
	}
	netfeed_drain_sock(f->srv);
	netfeed_drain_sock(f->cli);
	netfeed_drain_sock(f->act);
	netfeed_drain_sock(f->udp);
	netfeed_drain_sock(f->raw);
	for (int i = 0; i < f->nacc; i++)
		netfeed_drain_sock(f->acc[i]);
}

static void netfeed_app(struct netfeed *f, unsigned int action)
{
	static u8 data[NETFEED_WRITE_LEN];

	switch (action) {
	case NETFEED_ACT_WRITE:
		memset(data, 'w', sizeof(data));
		t_send(f->srv, data, sizeof(data), MSG_DONTWAIT);
		t_send(f->act, data, sizeof(data), MSG_DONTWAIT);
		for (int i = 0; i < f->nacc; i++)
			t_send(f->acc[i], data, sizeof(data), MSG_DONTWAIT);
		break;
	case NETFEED_ACT_SHUTDOWN:
		f->srv->ops->shutdown(f->srv, SHUT_WR);
		break;
	case NETFEED_ACT_UDP:
		t_sendto(f->udp, "reply", 5, MSG_DONTWAIT, f->p.a, NETFEED_UDP_PORT);
		break;
	}
}

/* Where the transport checksum sits, or -1 (ICMP has no pseudo-header). */
static int l4_csum_offset(u8 proto, bool *pseudo)
{
	*pseudo = proto != IPPROTO_ICMP;
	switch (proto) {
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_ICMP:
		return 2;
	}
	return -1;
}

/**
 * netfeed_fix_csums - make an IPv4 frame's checksums right, as @ctl asks, so
 * that mutated frames get past the checksum checks into the protocols.  The
 * lengths are taken as they are (a wrong one stays wrong).
 */
void netfeed_fix_csums(u8 *frame, unsigned int len, u8 ctl)
{
	struct iphdr *iph = (struct iphdr *)(void *)(frame + ETH_HLEN);
	unsigned int ihl, tot, l4len;
	__be16 proto;
	bool pseudo;
	int off;
	__wsum sum;

	if (len < ETH_HLEN + sizeof(*iph))
		return;
	memcpy(&proto, frame + 12, 2);
	ihl = iph->ihl * 4u;
	if (proto != htons(ETH_P_IP) || ihl < sizeof(*iph) || ETH_HLEN + ihl > len)
		return;
	if (ctl & NETFEED_FIX_IPCSUM) {
		iph->check = 0;
		iph->check = ip_fast_csum(iph, iph->ihl);
	}
	tot = ntohs(iph->tot_len);
	off = l4_csum_offset(iph->protocol, &pseudo);
	if (!(ctl & NETFEED_FIX_L4CSUM) || off < 0 || (ntohs(iph->frag_off) & (IP_MF | IP_OFFSET)) ||
	    tot < ihl || ETH_HLEN + tot > len)
		return;
	l4len = tot - ihl;
	if (l4len < (unsigned int)off + 2)
		return;
	memset(frame + ETH_HLEN + ihl + off, 0, 2);
	sum = csum_partial(frame + ETH_HLEN + ihl, l4len, 0);
	if (pseudo) {
		__sum16 c = csum_tcpudp_magic(iph->saddr, iph->daddr, l4len, iph->protocol, sum);

		if (iph->protocol == IPPROTO_UDP && c == 0)
			c = 0xffff; /* RFC 768: a computed zero is sent as all ones */
		memcpy(frame + ETH_HLEN + ihl + off, &c, 2);
	} else {
		__sum16 c = csum_fold(sum);

		memcpy(frame + ETH_HLEN + ihl + off, &c, 2);
	}
}

static void netfeed_buf_free(void *arg, u8 *head)
{
	(void)arg;
	free(head);
}

/* As the AF_PACKET device hands a frame up: in a buffer it lends (build_skb). */
static void inject_zerocopy(struct net_device *dev, const u8 *frame, unsigned int len)
{
	unsigned int room = ALIGN(NET_SKB_PAD + NET_IP_ALIGN + len, 8u);
	unsigned int size = room + (unsigned int)SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	u8 *buf = malloc(size);
	struct sk_buff *skb;

	cr_assert(buf != NULL);
	skb = build_skb(dev->stack, buf, size, netfeed_buf_free, NULL);
	cr_assert(skb != NULL);
	skb_reserve(skb, NET_SKB_PAD + NET_IP_ALIGN);
	skb_put_data(skb, frame, len);
	skb->dev = dev;
	eth_rx(skb, dev);
}

/** netfeed_frame - one record: the application's move, the frame, time, reads. */
void netfeed_frame(struct netfeed *f, u8 ctl, const u8 *frame, unsigned int len)
{
	u8 *copy = malloc(len ? len : 1);

	cr_assert(copy != NULL);
	netfeed_app(f, (ctl >> NETFEED_ACT_SHIFT) & 3);
	memcpy(copy, frame, len);
	netfeed_fix_csums(copy, len, ctl);
	if (ctl & NETFEED_ZEROCOPY)
		inject_zerocopy(f->p.db, copy, len);
	else
		inject_frame(f->p.db, copy, len);
	free(copy);
	world_advance_ms(&f->p.w, netfeed_step_ms[ctl >> NETFEED_TIME_SHIFT]);
	netfeed_drain(f);
}

/** netfeed_input - feed every record of @data (netfeed.h's format). */
void netfeed_input(struct netfeed *f, const u8 *data, size_t size)
{
	while (size >= NETFEED_HDR_LEN) {
		u8 ctl = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];

		data += NETFEED_HDR_LEN;
		size -= NETFEED_HDR_LEN;
		if (len > size)
			len = size;
		netfeed_frame(f, ctl, data, (unsigned int)len);
		data += len;
		size -= len;
	}
}

/** netfeed_teardown - close everything, let every timer run out, check nothing is left. */
void netfeed_teardown(struct netfeed *f)
{
	for (int i = 0; i < f->nacc; i++)
		sock_release(f->acc[i]);
	sock_release(f->srv);
	sock_release(f->cli);
	sock_release(f->act);
	sock_release(f->udp);
	sock_release(f->raw);
	sock_release(f->lis);
	world_advance(&f->p.w, NETFEED_DRAIN_SEC * NSEC_PER_SEC);
	cr_assert(eq(u32, tcp_socket_count(f->sa), 0), "A: connections left");
	cr_assert(eq(u32, tcp_socket_count(f->sb), 0), "B: connections left");
	cr_assert(eq(u32, ipfrag_queue_count(f->sb), 0), "B: reassembly queues left");
	world_assert_no_leaks(&f->p.w);
	inet_pair_teardown(&f->p);
}

/** netfeed_run - the whole scenario for one input: set up, feed, tear down. */
void netfeed_run(const u8 *data, size_t size)
{
	static struct netfeed f;

	netfeed_setup(&f);
	netfeed_input(&f, data, size);
	netfeed_teardown(&f);
}

/** netfeed_record - write one record (header + frame) to @out.  Return: its size. */
size_t netfeed_record(u8 *out, u8 ctl, const void *frame, unsigned int len)
{
	out[0] = ctl;
	out[1] = (u8)(len >> 8);
	out[2] = (u8)len;
	memcpy(out + NETFEED_HDR_LEN, frame, len);
	return NETFEED_HDR_LEN + (size_t)len;
}

/** netfeed_arp - an ARP packet from @sha/@sip to B's MAC.  Return: frame length. */
unsigned int netfeed_arp(u8 *buf, u16 op, const u8 *sha, __be32 sip, const u8 *tha, __be32 tip)
{
	struct ethhdr *eth = (struct ethhdr *)(void *)buf;
	struct arphdr_eth *arp = (struct arphdr_eth *)(void *)(buf + ETH_HLEN);

	memcpy(eth->h_dest, op == ARPOP_REQUEST ? mac_bcast : mac_b, ETH_ALEN);
	memcpy(eth->h_source, sha, ETH_ALEN);
	eth->h_proto = htons(ETH_P_ARP);
	arp->ar_hrd = htons(1);
	arp->ar_pro = htons(ETH_P_IP);
	arp->ar_hln = ETH_ALEN;
	arp->ar_pln = 4;
	arp->ar_op = htons(op);
	memcpy(arp->ar_sha, sha, ETH_ALEN);
	arp->ar_sip = sip;
	memcpy(arp->ar_tha, tha, ETH_ALEN);
	arp->ar_tip = tip;
	memset(buf + ETH_HLEN + ARP_HDR_LEN, 0, 18); /* Ethernet's minimum frame */
	return ETH_HLEN + ARP_HDR_LEN + 18;
}

/** netfeed_tcp_frame - a TCP segment in an Ethernet frame to B.  Return: its length. */
unsigned int netfeed_tcp_frame(u8 *buf, const struct netfeed_tcp *t)
{
	u8 seg[1600];
	struct tcphdr *th = (struct tcphdr *)(void *)seg;
	unsigned int hlen = (unsigned int)sizeof(*th) + t->optlen, len;

	cr_assert(hlen + t->len <= sizeof(seg) && t->optlen % 4 == 0 && t->optlen <= 40);
	memset(th, 0, sizeof(*th));
	th->source = htons(t->sport);
	th->dest = htons(t->dport);
	th->seq = htonl(t->seq);
	th->ack_seq = htonl(t->ack);
	th->doff = (u16)(hlen / 4);
	seg[13] = t->flags;
	th->window = htons(t->window ? t->window : 65535);
	if (t->optlen)
		memcpy(seg + sizeof(*th), t->opt, t->optlen);
	if (t->len)
		memcpy(seg + hlen, t->data, t->len);
	len = build_ip_frame(buf, &(struct ipspec){ .saddr = t->saddr, .daddr = t->daddr,
						    .proto = IPPROTO_TCP, .payload = seg,
						    .len = hlen + t->len },
			     t->src_mac, mac_b);
	netfeed_fix_csums(buf, len, NETFEED_FIX_L4CSUM);
	return len;
}
