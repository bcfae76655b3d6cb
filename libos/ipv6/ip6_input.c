/*
 * ip6_input.c - receiving IPv6 packets (net/ipv6/ip6_input.c).
 *
 *   netif_receive_skb -> ipv6_rcv (validate, hop-by-hop) -> ip6_route_input
 *   -> dst_input: ip6_input | ip6_forward
 *   ip6_input -> ip6_input_finish: walk the extension headers in order
 *   (routing, fragment: reassembly, destination options) to the upper
 *   layer -> inet6_protocol->handler (icmpv6_rcv, ...), or Parameter
 *   Problem "unrecognized Next Header"
 *
 * Read first: RFC 8200 §3, §4 (the order headers are processed in, and
 * that hop-by-hop may only come first), RFC 4291 §2.5.3/§2.7 (addresses a
 * packet may not carry).  Netfilter's IPv6 hooks are not wired yet.
 */
#include <arpa/inet.h>
#include <stdint.h>

#include "icmpv6.h"
#include "ipv6.h"
#include "ip6_route.h"
#include "netdevice.h"
#include "stack.h"

/* Deliver @skb, whose header at @off is named by the byte at IP6CB nhoff. */
static int ip6_deliver_upper(struct sk_buff *skb, unsigned int off, u8 nexthdr)
{
	struct stack *st = skb->stack;
	const struct inet6_protocol *prot = st->ipv6.protos[nexthdr];

	if (likely(prot)) {
		__skb_pull(skb, off);
		skb_reset_transport_header(skb);
		SNMP_INC_STATS(st, IPSTATS6_MIB_INDELIVERS);
		return prot->handler(skb);
	}
	/* RFC 8200 §4: "a Next Header value ... not recognized ... SHOULD
	 * send an ICMP Parameter Problem message ... Code 1 ... pointing to
	 * the unrecognized value within the original packet" */
	SNMP_INC_STATS(st, IPSTATS6_MIB_INUNKNOWNPROTOS);
	icmpv6_param_prob(skb, ICMPV6_UNK_NEXTHDR, IP6CB(skb)->nhoff);
	kfree_skb_reason(skb, SKB_DROP_REASON_IP_NOPROTO);
	return 0;
}

/*
 * The header walk.  skb->data stays at the network header until the upper
 * layer is found; @off is the header being looked at, IP6CB nhoff the
 * byte that named it.
 */
static int ip6_input_finish(struct sk_buff *skb)
{
	unsigned int off = (unsigned int)(skb->transport_header - skb->network_header);
	int rc;

	for (;;) {
		u8 nexthdr = skb_network_header(skb)[IP6CB(skb)->nhoff];

		switch (nexthdr) {
		case NEXTHDR_HOP:
			/* §4.1: only immediately after the IPv6 header */
			SNMP_INC_STATS(skb->stack, IPSTATS6_MIB_INHDRERRORS);
			icmpv6_param_prob(skb, ICMPV6_UNK_NEXTHDR, IP6CB(skb)->nhoff);
			kfree_skb_reason(skb, SKB_DROP_REASON_IPV6_BAD_EXTHDR);
			return 0;
		case NEXTHDR_ROUTING:
			rc = ipv6_rthdr_rcv(skb, &off);
			break;
		case NEXTHDR_DEST:
			rc = ipv6_destopt_rcv(skb, &off);
			break;
		case NEXTHDR_FRAGMENT:
			rc = ipv6_frag_rcv(&skb, &off) ? -1 : 0;
			break;
		case NEXTHDR_NONE:
			/* §4.7: nothing follows; the rest is ignored */
			consume_skb(skb);
			return 0;
		default:
			return ip6_deliver_upper(skb, off, nexthdr);
		}
		if (rc < 0)
			return 0;
	}
}

/** ip6_input - dst->input of a packet for us.  Consumes @skb. */
int ip6_input(struct sk_buff *skb)
{
	return ip6_input_finish(skb);
}

/**
 * ip6_forward - a packet for someone else: skbos is a host
 * (net.ipv6.conf.all.forwarding = 0), so it is counted and dropped (RFC
 * 8200 §4: a host does not forward).  Consumes @skb.
 */
int ip6_forward(struct sk_buff *skb)
{
	SNMP_INC_STATS(skb->stack, IPSTATS6_MIB_INADDRERRORS);
	kfree_skb_reason(skb, SKB_DROP_REASON_IP_INADDRERRORS);
	return 0;
}

/**
 * ipv6_align - make @skb's data (an IPv6 header) 4-byte aligned.  The
 * addresses are read as struct in6_addr, whose members are.  The AF_PACKET
 * device's frames (after the 10-byte vnet header) put the IPv6 header
 * there; one handed over at a 2-byte boundary (an Ethernet header at a
 * 4-byte one: the test wire, a compact copy) is moved once, which is what
 * Linux's NET_IP_ALIGN arranges in drivers.  Return: 0 or -ENOMEM.
 */
int ipv6_align(struct sk_buff *skb)
{
	if (likely(!((uintptr_t)skb->data & 3)))
		return 0;
	return pskb_expand_head(skb, (4 - (skb_headroom(skb) & 3)) & 3, 0);
}

/*
 * The checks Linux's ipv6_rcv makes.  Return: 0, or the drop reason
 * (*@mib: the counter).
 */
static enum skb_drop_reason ipv6_rcv_check(struct sk_buff *skb, enum snmp_mib *mib)
{
	const struct ipv6hdr *ip6h;
	unsigned int plen;

	*mib = IPSTATS6_MIB_INHDRERRORS;
	if (!pskb_may_pull(skb, sizeof(*ip6h)))
		return SKB_DROP_REASON_IPV6_INHDR;
	ip6h = ipv6_hdr(skb);
	if (ip6h->version != 6)
		return SKB_DROP_REASON_IPV6_INHDR;
	/* RFC 4291 §2.7: a multicast address is never a source; §2.5.3: the
	 * loopback address never comes from a link; §2.7: interface-local
	 * multicast never either */
	if (ipv6_addr_is_multicast(&ip6h->saddr))
		return SKB_DROP_REASON_IP_INVALID_SOURCE;
	if (!(skb->dev->flags & IFF_LOOPBACK) &&
	    (ipv6_addr_loopback(&ip6h->saddr) || ipv6_addr_loopback(&ip6h->daddr) ||
	     (ipv6_addr_is_multicast(&ip6h->daddr) && (ip6h->daddr.s6_addr[1] & 0x0f) == 1))) {
		*mib = IPSTATS6_MIB_INADDRERRORS;
		return SKB_DROP_REASON_IP_INVALID_SOURCE;
	}
	/* RFC 4291 §2.7: multicast scope 0 is reserved */
	if (ipv6_addr_is_multicast(&ip6h->daddr) && !(ip6h->daddr.s6_addr[1] & 0x0f))
		return SKB_DROP_REASON_IP_INVALID_DEST;
	/* RFC 4038 §4.2: a v4-mapped address on the wire is an attack */
	if (ipv6_addr_v4mapped(&ip6h->saddr))
		return SKB_DROP_REASON_IP_INVALID_SOURCE;
	plen = ntohs(ip6h->payload_len);
	/* payload_len 0 announces a jumbogram (RFC 2675): not accepted */
	if (!plen && ip6h->nexthdr == NEXTHDR_HOP)
		return SKB_DROP_REASON_IPV6_INHDR;
	if (skb->len < sizeof(*ip6h) + plen) {
		*mib = IPSTATS6_MIB_INTRUNCATEDPKTS;
		return SKB_DROP_REASON_PKT_TOO_SMALL;
	}
	/* the rest is link padding (RFC 2464) */
	skb_trim(skb, (unsigned int)sizeof(*ip6h) + plen);
	return 0;
}

/**
 * ipv6_rcv - the ETH_P_IPV6 handler: validate, hop-by-hop options, route,
 * deliver.  The hop limit is not checked: it only matters to a router.
 * Consumes @skb.  Return: NET_RX_SUCCESS or NET_RX_DROP.
 */
int ipv6_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt)
{
	struct stack *st = dev->stack;
	enum skb_drop_reason reason;
	enum snmp_mib mib;

	(void)pt;
	SNMP_INC_STATS(st, IPSTATS6_MIB_INRECEIVES);
	if (unlikely(ipv6_align(skb))) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
		return 1;
	}
	reason = ipv6_rcv_check(skb, &mib);
	if (unlikely(reason)) {
		SNMP_INC_STATS(st, mib);
		kfree_skb_reason(skb, reason);
		return 1;
	}
	IP6CB(skb)->iif = dev->ifindex;
	IP6CB(skb)->flags = 0;
	IP6CB(skb)->frag_max_size = 0;
	IP6CB(skb)->nhoff = offsetof(struct ipv6hdr, nexthdr);
	skb->transport_header = (u16)(skb->network_header + sizeof(struct ipv6hdr));
	/* The route first: an error about a bad hop-by-hop header is sent
	 * back along it only if the packet was for us. */
	ip6_route_input(skb);
	if (ipv6_hdr(skb)->nexthdr == NEXTHDR_HOP && ipv6_parse_hopopts(skb))
		return 1;
	return dst_input(skb);
}

/** inet6_add_protocol - @prot handles Next Header @protocol.  Return: 0 or -EBUSY. */
int inet6_add_protocol(struct stack *st, const struct inet6_protocol *prot, u8 protocol)
{
	if (st->ipv6.protos[protocol])
		return -EBUSY;
	st->ipv6.protos[protocol] = prot;
	return 0;
}

int inet6_del_protocol(struct stack *st, const struct inet6_protocol *prot, u8 protocol)
{
	if (st->ipv6.protos[protocol] != prot)
		return -ENOENT;
	st->ipv6.protos[protocol] = NULL;
	return 0;
}
