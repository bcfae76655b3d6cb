/*
 * ip_output.c - sending IPv4 datagrams (net/ipv4/ip_output.c): the seeds'
 * path from the transport down to the neighbour layer.
 *
 *   transport -> ip_build_and_send / ip_queue_xmit (route, push iphdr)
 *   -> ip_local_out -> NF_INET_LOCAL_OUT -> dst_output = ip_output
 *   -> NF_INET_POST_ROUTING -> ip_finish_output (fragment to the route MTU)
 *   -> ip_finish_output2 -> neighbour: hh cache | connected | resolve
 *   -> dev_queue_xmit
 *
 * Read first: RFC 791 §3.2 (header), RFC 6864 (the IPv4 ID field).
 */
#include <arpa/inet.h>

#include "ip.h"
#include "arp.h"
#include "checksum.h"
#include "dst.h"
#include "neighbour.h"
#include "netdevice.h"
#include "netfilter.h"
#include "route.h"
#include "stack.h"

/** ip_send_check - (re)compute the header checksum of @iph. */
void ip_send_check(struct iphdr *iph)
{
	iph->check = 0;
	iph->check = ip_fast_csum(iph, iph->ihl);
}

/**
 * ip_select_ident - an IP ID for a datagram from @saddr to @daddr.
 *
 * RFC 6864 §4.1 only needs IDs unique per (source, destination, protocol)
 * within the datagram lifetime.  One global counter would let anyone who
 * talks to us count the packets we send to others (the idle-scan leak), so,
 * as Linux does, IDs come from one of IP_IDENTS_SZ counters chosen by a
 * keyed hash of the flow, each starting at a random value.
 */
u16 ip_select_ident(struct stack *st, __be32 saddr, __be32 daddr, u8 proto)
{
	u32 h = (saddr ^ st->ipv4.ip_idents_secret) * 0x9e3779b1u;

	h ^= (daddr + proto) * 0x85ebca6bu;
	h ^= h >> 15;
	return (u16)st->ipv4.ip_idents[h % IP_IDENTS_SZ]++;
}

static int ip_finish_output2(struct sk_buff *skb)
{
	struct rtable *rt = skb_rtable(skb);
	struct net_device *dev = rt->dst.dev;
	struct neighbour *n;

	n = ipv4_neigh_lookup_create(dev, rt_nexthop(rt, ip_hdr(skb)->daddr));
	if (unlikely(IS_ERR(n))) {
		SNMP_INC_STATS(skb->stack, IPSTATS_MIB_OUTDISCARDS);
		kfree_skb_reason(skb, SKB_DROP_REASON_NEIGH_FAILED);
		/* Linux's ip_finish_output2: "No header cache and no neighbour!" */
		return -EINVAL;
	}
	return neigh_output(n, skb);
}

static int ip_finish_output(struct sk_buff *skb)
{
	unsigned int mtu = dst_mtu(skb_dst(skb));

	if (skb->len > mtu && !skb_is_gso(skb))
		return ip_fragment(skb, mtu, ip_finish_output2);
	return ip_finish_output2(skb);
}

/**
 * ip_output - dst->output of every unicast route: POST_ROUTING, then
 * fragmentation and the neighbour layer.  Consumes @skb.
 */
int ip_output(struct sk_buff *skb)
{
	struct net_device *dev = skb_dst(skb)->dev;

	skb->dev = dev;
	skb->protocol = htons(ETH_P_IP);
	return NF_HOOK(skb->stack, NF_INET_POST_ROUTING, skb, NULL, dev, ip_finish_output);
}

/**
 * ip_local_out - a complete locally generated datagram (header pushed, route
 * attached): fix tot_len and the checksum, then LOCAL_OUT and dst_output.
 * Consumes @skb.
 */
int ip_local_out(struct sk_buff *skb)
{
	struct iphdr *iph = ip_hdr(skb);

	iph->tot_len = htons((u16)skb->len);
	ip_send_check(iph);
	SNMP_INC_STATS(skb->stack, IPSTATS_MIB_OUTREQUESTS);
	return NF_HOOK(skb->stack, NF_INET_LOCAL_OUT, skb, NULL, skb_dst(skb)->dev, dst_output);
}

/**
 * ip_push_and_send - push a 20-byte IPv4 header onto @skb (data at its
 * transport header) and send it along @rt, whose reference @skb takes over.
 * @df: set Don't Fragment (path MTU discovery, RFC 1191)
 * Consumes @skb.  Return: 0 or -errno.
 */
int ip_push_and_send(struct stack *st, struct sk_buff *skb, struct rtable *rt, __be32 saddr,
		     __be32 daddr, u8 proto, u8 ttl, u8 tos, bool df)
{
	struct iphdr *iph;

	skb_dst_set(skb, &rt->dst);
	skb_reset_transport_header(skb);
	iph = (struct iphdr *)(void *)skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = tos;
	iph->frag_off = df ? htons(IP_DF) : 0;
	iph->ttl = ttl ? ttl : (u8)st->sysctl.ip_default_ttl;
	iph->protocol = proto;
	iph->saddr = saddr;
	iph->daddr = daddr;
	iph->id = htons(ip_select_ident(st, saddr, daddr, proto));
	skb->protocol = htons(ETH_P_IP);
	return ip_local_out(skb);
}

/**
 * ip_build_and_send - route @skb by @fl4, push a 20-byte IPv4 header and
 * send.  @skb's data starts at its transport header, with at least
 * MAX_HEADER of headroom.  Used by ICMP and control traffic that has no
 * socket.  Consumes @skb.
 * Return: 0 or -errno (-ENETUNREACH when there is no route).
 */
int ip_build_and_send(struct stack *st, struct sk_buff *skb, struct flowi4 *fl4, u8 ttl)
{
	struct rtable *rt = ip_route_output_flow(st, fl4);

	if (IS_ERR(rt)) {
		SNMP_INC_STATS(st, IPSTATS_MIB_OUTNOROUTES);
		kfree_skb_reason(skb, SKB_DROP_REASON_IP_OUTNOROUTES);
		return (int)PTR_ERR(rt);
	}
	return ip_push_and_send(st, skb, rt, fl4->saddr, fl4->daddr, fl4->proto, ttl, fl4->tos, false);
}
