/*
 * ip6_output.c - sending IPv6 packets (net/ipv6/ip6_output.c).
 *
 *   transport / icmpv6 / ndisc -> ip6_xmit (push ipv6hdr, attached route)
 *   -> dst_output = ip6_output -> ip6_finish_output (ip6_fragment to the
 *   route MTU) -> ip6_finish_output2 -> neighbour (nd_tbl): hh cache |
 *   connected | resolve (NS) -> dev_queue_xmit
 *
 * Read first: RFC 8200 §3 (header), §4.5 (fragmentation at the source),
 * RFC 7098 / RFC 6437 (flow label: skbos sends 0, which is always allowed).
 */
#include <arpa/inet.h>

#include "ipv6.h"
#include "ip6_route.h"
#include "ndisc.h"
#include "neighbour.h"
#include "netdevice.h"
#include "stack.h"

/**
 * ipv6_select_ident - a fragment Identification for a packet from @saddr
 * to @daddr.  RFC 7739 §5: not predictable by anyone else, so a keyed hash
 * of the pair plus a per-stack counter (Linux's ipv6_select_ident also
 * hashes the pair into its ident generator).
 */
__be32 ipv6_select_ident(struct stack *st, const struct in6_addr *daddr,
			 const struct in6_addr *saddr)
{
	u32 w[8], h = st->ipv6.ident_secret;

	memcpy(w, daddr, 16);
	memcpy(w + 4, saddr, 16);
	for (int i = 0; i < 8; i++)
		h = (h ^ w[i]) * 0x9e3779b1u;
	h += st->ipv6.ident_next++;
	return htonl(h ? h : 1);
}

static int ip6_finish_output2(struct sk_buff *skb)
{
	struct rt6_info *rt = skb_rt6_info(skb);
	struct neighbour *n;

	n = ipv6_neigh_lookup_create(rt->dst.dev, rt6_nexthop(rt, &ipv6_hdr(skb)->daddr));
	if (unlikely(IS_ERR(n))) {
		SNMP_INC_STATS(skb->stack, IPSTATS6_MIB_OUTDISCARDS);
		kfree_skb_reason(skb, SKB_DROP_REASON_NEIGH_FAILED);
		return -EINVAL;
	}
	return neigh_output(n, skb);
}

static int ip6_finish_output(struct sk_buff *skb)
{
	unsigned int mtu = dst_mtu(skb_dst(skb));

	if (skb->len > mtu && !skb_is_gso(skb))
		return ip6_fragment(skb, mtu, ip6_finish_output2);
	return ip6_finish_output2(skb);
}

/**
 * ip6_output - dst->output of every IPv6 route: fragmentation and the
 * neighbour layer.  Consumes @skb.
 */
int ip6_output(struct sk_buff *skb)
{
	skb->dev = skb_dst(skb)->dev;
	skb->protocol = htons(ETH_P_IPV6);
	return ip6_finish_output(skb);
}

/**
 * ip6_xmit - push a 40-byte IPv6 header onto @skb (data at its transport
 * header, route attached with skb_dst_set) and send it.
 * @hop_limit: 0 for the default (net.ipv6.conf.default.hop_limit)
 * @tclass: the Traffic Class byte (TCP's ECN codepoint in its low bits)
 * Consumes @skb.  Return: 0 or -errno.
 */
int ip6_xmit(struct stack *st, struct sk_buff *skb, const struct in6_addr *saddr,
	     const struct in6_addr *daddr, u8 proto, u8 hop_limit, u8 tclass)
{
	unsigned int plen = skb->len;
	struct ipv6hdr *ip6h;

	if (unlikely(skb_headroom(skb) < sizeof(*ip6h) + ETH_HLEN) &&
	    skb_cow_head(skb, sizeof(*ip6h) + ETH_HLEN)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
		return -ENOBUFS;
	}
	skb_reset_transport_header(skb);
	ip6h = (struct ipv6hdr *)(void *)skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	memset(ip6h, 0, 4);
	ip6h->version = 6;
	ipv6_set_dsfield(ip6h, tclass);
	/* A jumbogram (RFC 2675) is never built: payload_len is 16 bits. */
	ip6h->payload_len = htons(plen <= 0xffff ? (u16)plen : 0);
	ip6h->nexthdr = proto;
	ip6h->hop_limit = hop_limit ? hop_limit : (u8)st->sysctl.ip6_hop_limit;
	ip6h->saddr = *saddr;
	ip6h->daddr = *daddr;
	skb->protocol = htons(ETH_P_IPV6);
	SNMP_INC_STATS(st, IPSTATS6_MIB_OUTREQUESTS);
	return dst_output(skb);
}
