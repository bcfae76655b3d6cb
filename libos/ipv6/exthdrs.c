/*
 * exthdrs.c - IPv6 extension headers on receive (net/ipv6/exthdrs.c):
 * hop-by-hop and destination options, the routing header.  Fragments are
 * ip6_fragment.c's.
 *
 *   ipv6_rcv -> ipv6_parse_hopopts (only right after the IPv6 header)
 *   ip6_input_finish -> ipv6_rthdr_rcv | ipv6_destopt_rcv | ipv6_frag_rcv
 *
 * Read first: RFC 8200 §4.2 (options and what their type's two high bits
 * demand of a node that does not know them), §4.3, §4.4, §4.6; RFC 5095
 * (routing header type 0 is refused); RFC 4942 §2.1.9.5 (padding holds
 * only zeros, and at most 7 bytes of it in a row).
 */
#include <arpa/inet.h>

#include "icmpv6.h"
#include "ipv6.h"
#include "stack.h"

/* Linux's net.ipv6.max_{hbh,dst}_opts_number: more options is an attack. */
#define IP6_MAX_OPTS 8

static void exthdr_bad(struct sk_buff *skb)
{
	SNMP_INC_STATS(skb->stack, IPSTATS6_MIB_INHDRERRORS);
	kfree_skb_reason(skb, SKB_DROP_REASON_IPV6_BAD_EXTHDR);
}

/*
 * §4.2: an option we do not know, by the two high bits of its type:
 * 00 skip it; 01 discard; 10 discard and send Parameter Problem code 2
 * pointing at it; 11 the same, but only if the destination was not
 * multicast.  Return: true to go on (skip), false when @skb is consumed.
 */
static bool ip6_tlvopt_unknown(struct sk_buff *skb, unsigned int pos, u8 type)
{
	switch (type >> 6) {
	case 0:
		return true;
	case 3:
		if (ipv6_addr_is_multicast(&ipv6_hdr(skb)->daddr))
			break;
		/* fall through */
	case 2:
		icmpv6_param_prob(skb, ICMPV6_UNK_OPTION, pos);
		break;
	}
	kfree_skb_reason(skb, SKB_DROP_REASON_IPV6_UNKNOWN_OPTION);
	return false;
}

/*
 * Walk the options of the header at @off (hop-by-hop if @hbh).  The only
 * option skbos knows is Router Alert (RFC 2711, hop-by-hop, ignored by a
 * host); a Jumbo Payload (RFC 2675) is treated as unknown (its type, 0xC2,
 * says discard and report): skbos accepts no jumbograms.
 * Return: true if the packet goes on, false when consumed.
 */
static bool ip6_parse_tlv(struct sk_buff *skb, unsigned int off, bool hbh)
{
	const u8 *nh = skb_network_header(skb);
	unsigned int end = off + ipv6_optlen((const struct ipv6_opt_hdr *)(nh + off));
	unsigned int pos = off + 2, padlen = 0, count = 0;

	while (pos < end) {
		u8 type = nh[pos];
		unsigned int optlen;

		if (type == IPV6_TLV_PAD1) {
			if (++padlen > 7)
				goto bad;
			pos++;
			continue;
		}
		if (pos + 2 > end || pos + 2 + nh[pos + 1] > end)
			goto bad;
		optlen = 2u + nh[pos + 1];
		if (type == IPV6_TLV_PADN) {
			padlen += optlen;
			if (padlen > 7)
				goto bad;
			for (unsigned int i = 2; i < optlen; i++)
				if (nh[pos + i])
					goto bad;
		} else {
			padlen = 0;
			if (++count > IP6_MAX_OPTS)
				goto bad;
			if (!(hbh && type == IPV6_TLV_ROUTERALERT && optlen == 4) &&
			    !ip6_tlvopt_unknown(skb, pos, type))
				return false;
		}
		pos += optlen;
	}
	return true;
bad:
	exthdr_bad(skb);
	return false;
}

/* The header at @off is complete in the packet.  Return: its length, or 0. */
static unsigned int exthdr_len(struct sk_buff *skb, unsigned int off)
{
	const struct ipv6_opt_hdr *h;
	unsigned int len;

	if (!pskb_may_pull(skb, off + 8))
		return 0;
	h = (const struct ipv6_opt_hdr *)(void *)(skb_network_header(skb) + off);
	len = ipv6_optlen(h);
	return pskb_may_pull(skb, off + len) ? len : 0;
}

/**
 * ipv6_parse_hopopts - the hop-by-hop header right after the IPv6 header
 * (§4.3: "must be examined and processed by every node").  On success
 * IP6CB(skb)->nhoff is at its Next Header byte and the transport header
 * past it.  Return: 0, or -1 when @skb was consumed.
 */
int ipv6_parse_hopopts(struct sk_buff *skb)
{
	unsigned int off = sizeof(struct ipv6hdr), len = exthdr_len(skb, off);

	if (!len) {
		exthdr_bad(skb);
		return -1;
	}
	if (!ip6_parse_tlv(skb, off, true))
		return -1;
	IP6CB(skb)->nhoff = (u16)off;
	skb->transport_header = (u16)(skb->network_header + off + len);
	return 0;
}

/**
 * ipv6_destopt_rcv - destination options at *@off.  Return: 0 with *@off
 * past them (IP6CB nhoff at their Next Header), or -1 when consumed.
 */
int ipv6_destopt_rcv(struct sk_buff *skb, unsigned int *off)
{
	unsigned int len = exthdr_len(skb, *off);

	if (!len) {
		exthdr_bad(skb);
		return -1;
	}
	if (!ip6_parse_tlv(skb, *off, false))
		return -1;
	IP6CB(skb)->nhoff = (u16)*off;
	*off += len;
	return 0;
}

/**
 * ipv6_rthdr_rcv - a routing header at *@off.  §4.4: with Segments Left 0
 * it is ignored; otherwise a host that does not route it (every type: type
 * 0 is deprecated and must be treated as unrecognised, RFC 5095 §3; skbos
 * forwards nothing) answers Parameter Problem code 0 pointing at the
 * Routing Type and discards the packet.
 * Return: 0 with *@off past it, or -1 when consumed.
 */
int ipv6_rthdr_rcv(struct sk_buff *skb, unsigned int *off)
{
	unsigned int len = exthdr_len(skb, *off);
	const struct ipv6_rt_hdr *rh;

	if (!len) {
		exthdr_bad(skb);
		return -1;
	}
	rh = (const struct ipv6_rt_hdr *)(void *)(skb_network_header(skb) + *off);
	if (rh->segments_left) {
		SNMP_INC_STATS(skb->stack, IPSTATS6_MIB_INHDRERRORS);
		icmpv6_param_prob(skb, ICMPV6_HDR_FIELD, *off + offsetof(struct ipv6_rt_hdr, type));
		kfree_skb_reason(skb, SKB_DROP_REASON_IPV6_BAD_EXTHDR);
		return -1;
	}
	IP6CB(skb)->nhoff = (u16)*off;
	*off += len;
	return 0;
}
