/*
 * ip_input.c - receiving IPv4 datagrams (net/ipv4/ip_input.c).
 *
 * Read first: RFC 791 §3.2, RFC 1122 §3.2.1 (what a host must check), RFC
 * 1812 §5.2.2 (header validation), and ip.h for the whole receive chain:
 *
 *   netif_receive_skb -> ip_rcv (validate) -> NF_INET_PRE_ROUTING
 *   -> ip_rcv_finish (ip_route_input) -> dst_input: ip_local_deliver | ip_forward
 *   ip_local_deliver (ip_defrag) -> NF_INET_LOCAL_IN -> ip_local_deliver_finish
 *   -> net_protocol->handler (tcp_v4_rcv, udp_rcv, icmp_rcv), or ICMP
 *   protocol unreachable
 *
 * Every rejected datagram is dropped with a reason and the MIB counter a
 * Linux user would look at (IpInHdrErrors, IpInAddrErrors, ...).
 */
#include <arpa/inet.h>

#include "ip.h"
#include "checksum.h"
#include "dst.h"
#include "icmp.h"
#include "inetdevice.h"
#include "netdevice.h"
#include "netfilter.h"
#include "raw.h"
#include "route.h"
#include "stack.h"
#include "portshare.h"

static int ip_local_deliver_finish(struct sk_buff *skb)
{
	struct stack *st = skb->stack;
	const struct iphdr *iph = ip_hdr(skb);
	const struct net_protocol *prot = st->ipv4.protos[iph->protocol];
	bool raw = !list_empty(&st->ipv4.raw_socks);

	__skb_pull(skb, ip_hdrlen(skb));
	skb_reset_transport_header(skb);
	/* Raw sockets get their copy first, then the protocol its original. */
	if (unlikely(raw))
		raw_local_deliver(skb);
	if (likely(prot)) {
		SNMP_INC_STATS(st, IPSTATS_MIB_INDELIVERS);
		return prot->handler(skb);
	}
	/* RFC 1122 §3.2.2.1: a host SHOULD answer "protocol unreachable". */
	SNMP_INC_STATS(st, IPSTATS_MIB_INUNKNOWNPROTOS);
	if (skb_rtable(skb)->rt_type == RTN_LOCAL && !raw && stack_is_responder(st))
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
	kfree_skb_reason(skb, SKB_DROP_REASON_IP_NOPROTO);
	return 0;
}

/**
 * ip_local_deliver - a datagram for this host: reassemble if it is a
 * fragment, then through NF_INET_LOCAL_IN to its transport.  Consumes @skb.
 */
int ip_local_deliver(struct sk_buff *skb)
{
	if (ip_is_fragment(ip_hdr(skb))) {
		if (ip_defrag(&skb))
			return 0;
	}
	return NF_HOOK(skb->stack, NF_INET_LOCAL_IN, skb, skb->dev, NULL, ip_local_deliver_finish);
}

/**
 * ip_forward - a datagram for someone else.  skbos is a host, not a router
 * (net.ipv4.ip_forward = 0): count it and drop it.  RFC 1122 §3.3.4.1 says a
 * host silently discards such datagrams.  Consumes @skb.
 */
int ip_forward(struct sk_buff *skb)
{
	SNMP_INC_STATS(skb->stack, IPSTATS_MIB_INADDRERRORS);
	kfree_skb_reason(skb, SKB_DROP_REASON_IP_INADDRERRORS);
	return 0;
}

static int ip_rcv_finish(struct sk_buff *skb)
{
	struct stack *st = skb->stack;
	const struct iphdr *iph = ip_hdr(skb);
	int err;

	err = ip_route_input(skb, iph->daddr, iph->saddr, iph->tos, skb->dev);
	if (unlikely(err)) {
		if (err == -EINVAL) {
			SNMP_INC_STATS(st, IPSTATS_MIB_INMARTIANS);
			kfree_skb_reason(skb, SKB_DROP_REASON_IP_INVALID_SOURCE);
		} else {
			SNMP_INC_STATS(st, IPSTATS_MIB_INADDRERRORS);
			kfree_skb_reason(skb, SKB_DROP_REASON_IP_INVALID_DEST);
		}
		return 0;
	}
	/*
	 * RFC 1122 §3.3.6 suggests dropping a unicast datagram that came in a
	 * link-layer broadcast; Linux accepts it unless
	 * drop_unicast_in_l2_multicast is set (default off), and so do we.
	 */
	return dst_input(skb);
}

/*
 * The checks of RFC 1122 §3.2.1 / RFC 1812 §5.2.2, in the order Linux makes
 * them.  Return: 0, or the drop reason (and *mib: the counter to bump).
 */
static enum skb_drop_reason ip_rcv_check(struct sk_buff *skb, enum snmp_mib *mib)
{
	const struct iphdr *iph;
	unsigned int len;

	*mib = IPSTATS_MIB_INHDRERRORS;
	/* RFC 1122 §3.2.1.1: version 4; §3.2.1.2: IHL >= 5, all of it present */
	if (!pskb_may_pull(skb, sizeof(struct iphdr)))
		return SKB_DROP_REASON_IP_INHDR;
	iph = ip_hdr(skb);
	if (iph->ihl < 5 || iph->version != 4 || !pskb_may_pull(skb, iph->ihl * 4u))
		return SKB_DROP_REASON_IP_INHDR;
	if (unlikely(ip_fast_csum(iph, iph->ihl))) {
		*mib = IPSTATS_MIB_INCSUMERRORS;
		return SKB_DROP_REASON_IP_CSUM;
	}
	len = ntohs(iph->tot_len);
	if (skb->len < len) {
		*mib = IPSTATS_MIB_INTRUNCATEDPKTS;
		return SKB_DROP_REASON_PKT_TOO_SMALL;
	}
	if (len < iph->ihl * 4u)
		return SKB_DROP_REASON_IP_INHDR;
	/*
	 * Ethernet pads short frames: the datagram ends at tot_len, the rest
	 * is link padding (RFC 894).  A partial checksum stays valid: it is
	 * anchored at csum_start, which trimming does not move.
	 */
	skb_trim(skb, len);
	return 0;
}

/**
 * ip_rcv - the ETH_P_IP handler: validate the header, then PRE_ROUTING.
 * Consumes @skb.
 *
 * TTL is not checked here: RFC 1122 §3.2.1.7 says a host "MUST NOT discard
 * a datagram just because it was received with TTL less than 2"; TTL only
 * matters to a router (ip_forward).  IP options are not interpreted; they
 * are skipped safely because every length is taken from IHL, which is
 * validated against the packet first (RFC 1122 §3.2.1.8 lets a host ignore
 * options it does not implement).
 */
int ip_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt)
{
	struct stack *st = dev->stack;
	enum skb_drop_reason reason;
	enum snmp_mib mib;

	(void)pt;
	SNMP_INC_STATS(st, IPSTATS_MIB_INRECEIVES);
	reason = ip_rcv_check(skb, &mib);
	if (unlikely(reason)) {
		SNMP_INC_STATS(st, mib);
		if (mib == IPSTATS_MIB_INCSUMERRORS)
			SNMP_INC_STATS(st, IPSTATS_MIB_INHDRERRORS);
		kfree_skb_reason(skb, reason);
		return 1;
	}
	skb->transport_header = (u16)(skb->network_header + ip_hdrlen(skb));
	IPCB(skb)->iif = dev->ifindex;
	IPCB(skb)->flags = 0;
	IPCB(skb)->frag_max_size = 0;
	return NF_HOOK(st, NF_INET_PRE_ROUTING, skb, dev, NULL, ip_rcv_finish);
}

/** inet_add_protocol - @prot handles IP protocol @protocol.  Return: 0 or -EBUSY. */
int inet_add_protocol(struct stack *st, const struct net_protocol *prot, u8 protocol)
{
	if (st->ipv4.protos[protocol])
		return -EBUSY;
	st->ipv4.protos[protocol] = prot;
	return 0;
}

int inet_del_protocol(struct stack *st, const struct net_protocol *prot, u8 protocol)
{
	if (st->ipv4.protos[protocol] != prot)
		return -ENOENT;
	st->ipv4.protos[protocol] = NULL;
	return 0;
}
