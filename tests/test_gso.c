/*
 * test_gso.c - software segmentation of TCP super-packets (skb_gso_segment)
 * field by field against what the kernel's tcp_gso_segment makes, and the
 * SKBOS_OFFLOAD levels.  TCP's use of super-packets is in test_tcp.c.
 */
#include <arpa/inet.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "world.h"
#include "ip.h"
#include "netdevice.h"
#include "checksum.h"
#include "gso.h"
#include "icmpv6.h"
#include "ipv6.h"
#include "tcp.h"

#define MSS 1448u

static struct world w;
static struct stack *st;
static __be32 saddr, daddr;

static void setup(void)
{
	world_init(&w, 1);
	st = w.st[0];
	saddr = htonl(0x0a000001);
	daddr = htonl(0x0a000002);
}

static void teardown(void)
{
	world_assert_no_leaks(&w);
	world_fini(&w);
}

TestSuite(gso, .init = setup, .fini = teardown, .timeout = 60);

/* A TCP super-frame as dev_queue_xmit sees it: Ethernet, IPv4, TCP with
 * 12 bytes of options, @payload bytes, gso_size MSS, checksum partial. */
static struct sk_buff *super_frame(unsigned int payload, u8 flags)
{
	struct sk_buff *skb = alloc_skb(st, 130 + 14 + 20 + 32 + payload);
	struct iphdr *iph;
	struct tcphdr *th;
	u8 *eth, *data;

	skb_reserve(skb, 128 + NET_IP_ALIGN); /* the IP header 4-byte aligned */
	eth = skb_put_zero(skb, 14);
	eth[12] = 0x08;
	skb_reset_mac_header(skb);
	skb_set_network_header(skb, 14);
	skb_set_transport_header(skb, 34);
	iph = skb_put_zero(skb, 20);
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons((u16)(20 + 32 + payload));
	iph->id = htons(100);
	iph->frag_off = htons(IP_DF);
	iph->ttl = 64;
	iph->protocol = IPPROTO_TCP;
	iph->saddr = saddr;
	iph->daddr = daddr;
	ip_send_check(iph);
	th = skb_put_zero(skb, 32);
	th->source = htons(1234);
	th->dest = htons(80);
	th->seq = htonl(1000);
	th->ack_seq = htonl(77);
	th->doff = 8;
	((u8 *)th)[13] = flags;
	th->window = htons(500);
	memset(th + 1, TCPOPT_NOP, 12);
	data = skb_put(skb, payload);
	for (unsigned int i = 0; i < payload; i++)
		data[i] = (u8)(i * 7 + 3);
	th->check = (__sum16)~csum_tcpudp_magic(saddr, daddr, 32 + payload, IPPROTO_TCP, 0);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = (u16)((u8 *)th - skb->head);
	skb->csum_offset = offsetof(struct tcphdr, check);
	skb->protocol = htons(ETH_P_IP);
	skb_shinfo(skb)->gso_size = MSS;
	skb_shinfo(skb)->gso_segs = (u16)((payload + MSS - 1) / MSS);
	skb_shinfo(skb)->gso_type = SKB_GSO_TCPV4;
	return skb;
}

static bool tcp_csum_ok(const struct iphdr *iph, const struct tcphdr *th, unsigned int tlen)
{
	return !csum_tcpudp_magic(iph->saddr, iph->daddr, tlen, IPPROTO_TCP, csum_partial(th, tlen, 0));
}

Test(gso, segments_carry_the_fields_the_kernel_would_give_them)
{
	struct sk_buff *skb = super_frame(4000, 0x80 | TCPHDR_ACK | TCPHDR_PSH | TCPHDR_FIN), *seg;
	static const unsigned int want_len[] = { MSS, MSS, 4000 - 2 * MSS };
	struct sk_buff_head segs;
	unsigned int i = 0, off = 0;

	skb_queue_head_init(&segs);
	cr_assert(eq(int, skb_gso_segment(skb, 0, &segs), 0));
	cr_assert(eq(u32, skb_queue_len(&segs), 3));
	while ((seg = skb_dequeue(&segs)) != NULL) {
		const struct iphdr *iph = (const struct iphdr *)(const void *)(seg->data + 14);
		const struct tcphdr *th = (const struct tcphdr *)(const void *)(seg->data + 34);
		u8 fl = ((const u8 *)th)[13];

		cr_assert(eq(u32, seg->len, 14 + 20 + 32 + want_len[i]));
		cr_assert(eq(int, (int)(seg->data - seg->head + 14) % 4, 0), "IP header aligned");
		cr_assert(eq(u16, ntohs(iph->tot_len), 20 + 32 + want_len[i]));
		cr_assert(eq(u16, ntohs(iph->id), 100 + i), "each segment the next IP ID");
		cr_assert(eq(u16, ip_fast_csum(iph, 5), 0), "IP checksum");
		cr_assert(eq(u32, ntohl(th->seq), 1000 + off));
		cr_assert(eq(u32, ntohl(th->ack_seq), 77));
		cr_assert(eq(int, th->doff, 8), "options copied");
		cr_assert(eq(int, !!(fl & 0x80), i == 0), "CWR on the first only");
		cr_assert(eq(int, !!(fl & (TCPHDR_PSH | TCPHDR_FIN)), i == 2), "PSH, FIN on the last only");
		cr_assert(eq(int, seg->ip_summed, CHECKSUM_NONE));
		cr_assert(tcp_csum_ok(iph, th, 32 + want_len[i]), "TCP checksum of segment %u", i);
		cr_assert(eq(int, memcmp((const u8 *)th + 32, skb->data + 66 + off, want_len[i]), 0));
		off += want_len[i++];
		kfree_skb(seg);
	}
	kfree_skb(skb);
}

/* The urgent pointer counts from each segment's own sequence (RFC 9293
 * §3.1): the segments before the urgent byte's end carry URG, each with
 * its own distance; those after it carry none. */
Test(gso, each_segment_before_the_urgent_end_points_to_it_from_its_own_sequence)
{
	struct sk_buff *skb = super_frame(4000, TCPHDR_ACK | TCPHDR_URG), *seg;
	static const u16 want_ptr[] = { MSS + 10, 10, 0 };
	struct sk_buff_head segs;
	unsigned int i = 0;

	((struct tcphdr *)(void *)skb_transport_header(skb))->urg_ptr = htons(MSS + 10);
	skb_queue_head_init(&segs);
	cr_assert(eq(int, skb_gso_segment(skb, 0, &segs), 0));
	while ((seg = skb_dequeue(&segs)) != NULL) {
		const struct iphdr *iph = (const struct iphdr *)(const void *)(seg->data + 14);
		const struct tcphdr *th = (const struct tcphdr *)(const void *)(seg->data + 34);

		cr_assert(eq(u16, ntohs(th->urg_ptr), want_ptr[i]), "segment %u", i);
		cr_assert(eq(int, th->urg, i < 2), "URG on segment %u", i);
		cr_assert(tcp_csum_ok(iph, th, seg->len - 34), "TCP checksum of segment %u", i);
		i++;
		kfree_skb(seg);
	}
	cr_assert(eq(u32, i, 3));
	kfree_skb(skb);
}

Test(gso, a_device_that_checksums_gets_partial_checksums)
{
	struct sk_buff *skb = super_frame(3 * MSS, TCPHDR_ACK), *seg;
	struct sk_buff_head segs;

	skb_queue_head_init(&segs);
	cr_assert(eq(int, skb_gso_segment(skb, NETIF_F_HW_CSUM, &segs), 0));
	cr_assert(eq(u32, skb_queue_len(&segs), 3));
	while ((seg = skb_dequeue(&segs)) != NULL) {
		const struct iphdr *iph = (const struct iphdr *)(const void *)(seg->data + 14);
		const struct tcphdr *th = (const struct tcphdr *)(const void *)(seg->data + 34);

		cr_assert(eq(int, seg->ip_summed, CHECKSUM_PARTIAL));
		cr_assert(eq(ptr, seg->head + seg->csum_start, (void *)th));
		cr_assert(eq(u16, seg->csum_offset, 16));
		cr_assert(eq(int, skb_checksum_help(seg), 0));
		cr_assert(tcp_csum_ok(iph, th, 32 + MSS), "finished by skb_checksum_help");
		kfree_skb(seg);
	}
	kfree_skb(skb);
}

Test(gso, what_is_not_tcpv4_or_has_bad_headers_is_refused)
{
	struct sk_buff *skb = super_frame(2 * MSS, TCPHDR_ACK);
	struct sk_buff_head segs;

	skb_queue_head_init(&segs);
	skb_shinfo(skb)->gso_type = SKB_GSO_UDP_L4;
	cr_assert(eq(int, skb_gso_segment(skb, 0, &segs), -EPROTONOSUPPORT));
	skb_shinfo(skb)->gso_type = SKB_GSO_TCPV4;
	skb->data[34 + 12] = 0x40; /* doff 4: shorter than a TCP header */
	cr_assert(eq(int, skb_gso_segment(skb, 0, &segs), -EINVAL));
	cr_assert(eq(u32, skb_queue_len(&segs), 0));
	kfree_skb(skb);
}

Test(gso, offload_levels_are_cumulative_and_an_unknown_one_is_refused)
{
	u64 off;

	cr_assert(eq(int, netdev_offload_off("all", &off), 0));
	cr_assert(eq(u64, off, 0));
	cr_assert(eq(int, netdev_offload_off("tso", &off), 0));
	cr_assert(eq(u64, off, NETIF_F_GRO));
	cr_assert(eq(int, netdev_offload_off("csum", &off), 0));
	cr_assert(eq(u64, off, NETIF_F_GRO | NETIF_F_TSO | NETIF_F_SG));
	cr_assert(eq(int, netdev_offload_off("none", &off), 0));
	cr_assert(eq(u64, off, NETIF_F_OFFLOADS));
	cr_assert(eq(int, netdev_offload_off("fast", &off), -EINVAL));
}

/* The same over IPv6 (SKB_GSO_TCPV6): only the Payload Length differs per
 * segment (RFC 8200 §3), the checksum takes the IPv6 pseudo-header (§8.1). */
Test(gso, ipv6_segments_get_their_payload_length_and_checksum)
{
	struct sk_buff *skb = alloc_skb(st, 130 + 14 + 40 + 20 + 3000), *seg;
	struct in6_addr s6 = { .s6_addr = { 0xfd, [15] = 1 } }, d6 = { .s6_addr = { 0xfd, [15] = 2 } };
	struct sk_buff_head segs;
	struct ipv6hdr *ip6h;
	struct tcphdr *th;
	u8 *eth, *data;
	unsigned int i = 0, off = 0;

	skb_reserve(skb, 128 + NET_IP_ALIGN);
	eth = skb_put_zero(skb, 14);
	eth[12] = 0x86;
	eth[13] = 0xdd;
	skb_reset_mac_header(skb);
	skb_set_network_header(skb, 14);
	skb_set_transport_header(skb, 54);
	ip6h = skb_put_zero(skb, 40);
	ip6h->version = 6;
	ip6h->payload_len = htons(20 + 3000);
	ip6h->nexthdr = IPPROTO_TCP;
	ip6h->hop_limit = 64;
	ip6h->saddr = s6;
	ip6h->daddr = d6;
	th = skb_put_zero(skb, 20);
	th->seq = htonl(5000);
	th->doff = 5;
	((u8 *)th)[13] = TCPHDR_ACK | TCPHDR_PSH;
	data = skb_put(skb, 3000);
	for (unsigned int k = 0; k < 3000; k++)
		data[k] = (u8)(k * 5 + 1);
	skb->protocol = htons(ETH_P_IPV6);
	skb_shinfo(skb)->gso_size = MSS;
	skb_shinfo(skb)->gso_segs = 3;
	skb_shinfo(skb)->gso_type = SKB_GSO_TCPV6;
	skb_queue_head_init(&segs);
	cr_assert(eq(int, skb_gso_segment(skb, 0, &segs), 0));
	cr_assert(eq(u32, skb_queue_len(&segs), 3));
	while ((seg = skb_dequeue(&segs)) != NULL) {
		const struct ipv6hdr *h = (const struct ipv6hdr *)(const void *)(seg->data + 14);
		const struct tcphdr *t = (const struct tcphdr *)(const void *)(seg->data + 54);
		unsigned int n = i < 2 ? MSS : 3000 - 2 * MSS;

		cr_assert(eq(u32, seg->len, 14 + 40 + 20 + n));
		cr_assert(eq(u16, ntohs(h->payload_len), 20 + n));
		cr_assert(eq(u32, ntohl(t->seq), 5000 + off));
		cr_assert(eq(int, !!t->psh, i == 2), "PSH on the last only");
		cr_assert(eq(u16, csum_ipv6_magic(&h->saddr, &h->daddr, 20 + n, IPPROTO_TCP,
						  csum_partial(t, 20 + n, 0)), 0), "TCP checksum of segment %u", i);
		cr_assert(eq(int, memcmp((const u8 *)t + 20, data + off, n), 0));
		off += n;
		i++;
		kfree_skb(seg);
	}
	kfree_skb(skb);
}
