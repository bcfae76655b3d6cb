/*
 * gso.c - software segmentation of TCP super-frames, over IPv4 and IPv6
 * (net/core/gso.c, net/ipv4/tcp_offload.c tcp_gso_segment,
 * net/ipv6/tcpv6_offload.c): TCP builds skbs of up to 64 KB
 * and marks them with gso_size = MSS; a device that declares NETIF_F_TSO
 * (the AF_PACKET device: the kernel segments for it) takes them whole, any
 * other gets the segments made here, each a complete frame exactly as the
 * kernel's segmentation would make it.
 *
 * Read first: RFC 9293 §3.1 (which header fields differ per segment:
 * sequence number, PSH and FIN on the last only, CWR on the first only, as
 * Linux's tcp_gso_segment), RFC 791 (total length, identification: each
 * segment a datagram of its own with the next ID); over IPv6 only the
 * Payload Length differs (RFC 8200 §3), and the pseudo-header (§8.1).
 */
#include <arpa/inet.h>
#include <string.h>

#include "gso.h"
#include "checksum.h"
#include "icmpv6.h"
#include "ip.h"
#include "ipv6.h"
#include "netdevice.h"
#include "tcp.h"

/* Headroom of each segment: room for a device's own (vnet) header, and the
 * link header placed so that the IP header is 4-byte aligned. */
#define GSO_SEG_HEADROOM (NET_SKB_PAD + NET_IP_ALIGN)
#define TCPHDR_CWR 0x80

/*
 * Finish one segment's TCP checksum: partial (the pseudo-header sum in the
 * field, the device adds the rest) when the device can, else in full.
 */
static __sum16 gso_pseudo(const struct sk_buff *seg, bool v6, unsigned int tlen, __wsum sum)
{
	if (v6) {
		const struct ipv6hdr *ip6h = ipv6_hdr(seg);

		return csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, tlen, IPPROTO_TCP, sum);
	}
	return csum_tcpudp_magic(ip_hdr(seg)->saddr, ip_hdr(seg)->daddr, tlen, IPPROTO_TCP, sum);
}

static void gso_tcp_csum(struct sk_buff *seg, bool v6, struct tcphdr *th, unsigned int tlen,
			 u64 features)
{
	th->check = 0;
	if (features & NETIF_F_HW_CSUM) {
		th->check = (__sum16)~gso_pseudo(seg, v6, tlen, 0);
		seg->ip_summed = CHECKSUM_PARTIAL;
		seg->csum_start = (u16)((u8 *)th - seg->head);
		seg->csum_offset = offsetof(struct tcphdr, check);
		seg->csum = 0;
	} else {
		th->check = gso_pseudo(seg, v6, tlen, csum_partial(th, tlen, 0));
		seg->ip_summed = CHECKSUM_NONE;
	}
}

/* The network header of segment @i: its length (and, IPv4, its ID and checksum). */
static void gso_net_header(struct sk_buff *seg, bool v6, unsigned int noff, unsigned int i)
{
	struct iphdr *iph;

	if (v6) {
		ipv6_hdr(seg)->payload_len = htons((u16)(seg->len - noff - sizeof(struct ipv6hdr)));
		return;
	}
	iph = ip_hdr(seg);
	iph->tot_len = htons((u16)(seg->len - noff));
	iph->id = htons((u16)(ntohs(iph->id) + i));
	ip_send_check(iph);
}

/* One segment: @hlen header bytes of @skb, then @n payload bytes from @off. */
static struct sk_buff *gso_make_seg(struct sk_buff *skb, unsigned int hlen, unsigned int off,
				    unsigned int n, unsigned int i, bool last, u64 features, bool v6)
{
	int noff = skb_network_offset(skb), toff = skb_transport_offset(skb);
	struct sk_buff *seg = alloc_skb(skb->stack, GSO_SEG_HEADROOM + hlen + n);
	struct tcphdr *th;
	u8 *flags;

	if (!seg)
		return NULL;
	skb_reserve(seg, GSO_SEG_HEADROOM);
	skb_put_data(seg, skb->data, hlen);
	skb_put_data(seg, skb->data + hlen + off, n);
	skb_reset_mac_header(seg);
	skb_set_network_header(seg, noff);
	skb_set_transport_header(seg, toff);
	seg->mac_len = skb->mac_len;
	seg->protocol = skb->protocol;
	seg->dev = skb->dev;
	seg->mark = skb->mark;
	seg->tstamp = skb->tstamp;
	gso_net_header(seg, v6, (unsigned int)noff, i);
	th = (struct tcphdr *)(void *)skb_transport_header(seg);
	th->seq = htonl(ntohl(th->seq) + off);
	flags = (u8 *)th + 13;
	if (!last)
		*flags &= (u8)~(TCPHDR_FIN | TCPHDR_PSH);
	if (i)
		*flags &= (u8)~TCPHDR_CWR;
	/* the urgent pointer is relative to each segment's own sequence */
	if (th->urg && off >= ntohs(th->urg_ptr)) {
		th->urg = 0;
		th->urg_ptr = 0;
	} else if (th->urg) {
		th->urg_ptr = htons((u16)(ntohs(th->urg_ptr) - off));
	}
	gso_tcp_csum(seg, v6, th, seg->len - (unsigned int)toff, features);
	return seg;
}

/**
 * skb_gso_segment - cut the TCP super-frame @skb (IPv4 or IPv6) into gso_size segments.
 * @skb: a frame as dev_queue_xmit sees it (link header at data, network
 *	and transport headers set); not consumed
 * @features: the device's: NETIF_F_HW_CSUM leaves each checksum partial
 * @segs: an empty queue that receives the segments in order
 * Return: 0, -EPROTONOSUPPORT (not TCP), -EINVAL (headers inconsistent)
 * or -ENOMEM (@segs then holds nothing).
 */
int skb_gso_segment(struct sk_buff *skb, u64 features, struct sk_buff_head *segs)
{
	const struct skb_shared_info *sh = skb_shinfo(skb);
	unsigned int mss = sh->gso_size, hlen, payload, i = 0;
	const struct tcphdr *th;
	int toff;

	if (!(sh->gso_type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6)))
		return -EPROTONOSUPPORT;
	toff = skb_transport_offset(skb);
	if (!mss || toff < 0 || skb_network_offset(skb) < 0 ||
	    (unsigned int)toff + sizeof(*th) > skb->len)
		return -EINVAL;
	th = (const struct tcphdr *)(const void *)skb_transport_header(skb);
	hlen = (unsigned int)toff + th->doff * 4u;
	if (th->doff < 5 || hlen >= skb->len)
		return -EINVAL;
	payload = skb->len - hlen;
	for (unsigned int off = 0; off < payload; off += mss, i++) {
		unsigned int n = payload - off < mss ? payload - off : mss;
		struct sk_buff *seg = gso_make_seg(skb, hlen, off, n, i, off + n >= payload, features,
						   sh->gso_type & SKB_GSO_TCPV6);

		if (!seg) {
			skb_queue_purge(segs);
			return -ENOMEM;
		}
		skb_queue_tail(segs, seg);
	}
	return 0;
}
