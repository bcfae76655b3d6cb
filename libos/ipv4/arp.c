/*
 * arp.c - ARP (RFC 826) on top of the neighbour table (net/ipv4/arp.c).
 *
 * Read first: RFC 826 ("Packet Reception"), RFC 1122 §2.3.2 (cache
 * validation, flooding limits), RFC 5227 §3 (announcements), then
 * neighbour.h.
 *
 *   receive: netif_receive_skb -> arp_rcv (validate) -> arp_process
 *            -> reply to requests for our addresses; neigh_update the sender
 *   transmit: neighbour timer/event -> arp_solicit -> arp_send
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arp.h"
#include "eth.h"
#include "icmp.h"
#include "inetdevice.h"
#include "ip.h"
#include "neighbour.h"
#include "stack.h"
#include "portshare.h"
#include "log.h"

/** ip_eth_mc_map - the Ethernet group address of an IPv4 multicast group (RFC 1112 §6.4). */
void ip_eth_mc_map(__be32 addr, u8 *mac)
{
	u32 a = ntohl(addr);

	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (a >> 16) & 0x7f;
	mac[4] = (a >> 8) & 0xff;
	mac[5] = a & 0xff;
}

/**
 * arp_send - build and transmit one ARP packet.
 * @dest_hw: Ethernet destination, NULL for broadcast
 * @target_hw: the "target hardware address" field, NULL for zeros (requests)
 * Return: 0 or -errno (-ENOMEM).
 */
int arp_send(int type, __be32 dest_ip, struct net_device *dev, __be32 src_ip,
	     const u8 *dest_hw, const u8 *src_hw, const u8 *target_hw)
{
	struct sk_buff *skb = alloc_skb(dev->stack, NET_SKB_PAD + ETH_HLEN + ARP_HDR_LEN);
	struct arphdr_eth *arp;

	if (!skb)
		return -ENOMEM;
	skb_reserve(skb, NET_SKB_PAD + ETH_HLEN);
	skb_reset_network_header(skb);
	arp = (struct arphdr_eth *)(void *)skb_put_zero(skb, ARP_HDR_LEN);
	arp->ar_hrd = htons(ARPHRD_ETHER);
	arp->ar_pro = htons(ETH_P_IP);
	arp->ar_hln = ETH_ALEN;
	arp->ar_pln = 4;
	arp->ar_op = htons((u16)type);
	ether_addr_copy(arp->ar_sha, src_hw ? src_hw : dev->dev_addr);
	arp->ar_sip = src_ip;
	if (target_hw)
		ether_addr_copy(arp->ar_tha, target_hw);
	arp->ar_tip = dest_ip;
	skb->dev = dev;
	skb->protocol = htons(ETH_P_ARP);
	eth_header(skb, dev, ETH_P_ARP, dest_hw ? dest_hw : dev->broadcast, src_hw);
	return dev_queue_xmit(skb);
}

/*
 * Which source address a request carries: the waiting packet's own source
 * when it is ours (arp_announce = 0), else the device's address.
 */
static __be32 arp_solicit_saddr(struct neighbour *n, struct sk_buff *skb)
{
	struct stack *st = n->tbl->stack;

	if (skb && skb_network_header_was_set(skb)) {
		__be32 saddr = ip_hdr(skb)->saddr;

		if (inet_addr_type_dev(st, saddr, n->dev) == RTN_LOCAL)
			return saddr;
	}
	return inet_select_addr(n->dev, n->primary_key);
}

/*
 * Linux's probe order: in PROBE the first ucast_probes go unicast to the
 * address we believe in (cheap reconfirmation, RFC 1122 §2.3.2.1); in
 * INCOMPLETE the counter starts at ucast_probes, so every probe is broadcast.
 */
static void arp_solicit(struct neighbour *n, struct sk_buff *skb)
{
	const u8 *dest_hw = NULL;
	__be32 saddr = arp_solicit_saddr(n, skb);

	if (n->probes < n->parms->ucast_probes && (n->nud_state & NUD_VALID))
		dest_hw = n->ha;
	arp_send(ARPOP_REQUEST, n->primary_key, n->dev, saddr, dest_hw, NULL, dest_hw);
}

/*
 * The packet could not be delivered: tell its sender as an ICMP host
 * unreachable would (ipv4_link_failure), so a waiting socket sees EHOSTUNREACH.
 */
static void arp_error_report(struct neighbour *n, struct sk_buff *skb)
{
	(void)n;
	icmp_local_error(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
}

static const struct neigh_ops arp_generic_ops = {
	.solicit = arp_solicit,
	.error_report = arp_error_report,
};

/*
 * A new entry: loopback, NOARP devices, broadcast and multicast next hops
 * need no resolution (arp_constructor); the rest use ARP.
 */
static int arp_constructor(struct neighbour *n)
{
	struct net_device *dev = n->dev;
	struct in_device *in_dev = __in_dev_get(dev);
	unsigned int type = inet_addr_type_dev(n->tbl->stack, n->primary_key, dev);

	if (in_dev)
		n->parms = &in_dev->arp_parms;
	n->ops = &arp_generic_ops;
	if (dev->flags & (IFF_NOARP | IFF_LOOPBACK)) {
		n->nud_state = NUD_NOARP;
		ether_addr_copy(n->ha, dev->dev_addr);
	} else if (type == RTN_BROADCAST) {
		n->nud_state = NUD_NOARP;
		ether_addr_copy(n->ha, dev->broadcast);
	} else if (type == RTN_MULTICAST) {
		n->nud_state = NUD_NOARP;
		ip_eth_mc_map(n->primary_key, n->ha);
	} else {
		return 0;
	}
	n->output = neigh_connected_output;
	return 0;
}

/**
 * ipv4_neigh_lookup_create - the neighbour for @nexthop on @dev, created if
 * absent.  Return: the entry or an ERR_PTR (table full).
 */
struct neighbour *ipv4_neigh_lookup_create(struct net_device *dev, __be32 nexthop)
{
	return neigh_create(dev->stack->ipv4.arp_tbl, nexthop, dev);
}

static bool arp_hdr_valid(const struct arphdr_eth *arp, const struct net_device *dev)
{
	u16 op = ntohs(arp->ar_op);

	return arp->ar_hrd == htons(ARPHRD_ETHER) && arp->ar_pro == htons(ETH_P_IP) &&
	       arp->ar_hln == dev->addr_len && arp->ar_pln == 4 &&
	       (op == ARPOP_REQUEST || op == ARPOP_REPLY);
}

/* Update what we know about the sender (RFC 826: "merge_flag"). */
static void arp_update_sender(struct stack *st, struct net_device *dev, const struct arphdr_eth *arp,
			      bool create, u8 state)
{
	struct neigh_table *tbl = st->ipv4.arp_tbl;
	struct neighbour *n = create ? neigh_create(tbl, arp->ar_sip, dev)
				     : neigh_lookup(tbl, arp->ar_sip, dev);
	u32 flags;

	if (IS_ERR_OR_NULL(n))
		return;
	/* Several different replies back to back: the first one wins (locktime). */
	flags = stack_now(st) >= n->updated + n->parms->locktime ? NEIGH_UPDATE_F_OVERRIDE : 0;
	if (!(n->nud_state & NUD_VALID))
		flags |= NEIGH_UPDATE_F_OVERRIDE;
	neigh_update(n, arp->ar_sha, state, flags);
}

static int arp_process(struct stack *st, struct sk_buff *skb, struct net_device *dev)
{
	const struct arphdr_eth *arp = (const struct arphdr_eth *)(const void *)skb->data;
	u16 op = ntohs(arp->ar_op);
	bool for_us = inet_addr_type_dev(st, arp->ar_tip, dev) == RTN_LOCAL &&
		      !ipv4_is_loopback(arp->ar_tip);

	if (ipv4_is_multicast(arp->ar_tip) || ipv4_is_loopback(arp->ar_tip) ||
	    ipv4_is_multicast(arp->ar_sip) || ipv4_is_lbcast(arp->ar_sip) ||
	    ipv4_is_loopback(arp->ar_sip) || is_multicast_ether_addr(arp->ar_sha))
		goto drop;

	/* RFC 5227 §2.1.1: a probe (sender 0.0.0.0) for our address gets a reply. */
	if (arp->ar_sip == 0) {
		if (op == ARPOP_REQUEST && for_us && stack_is_responder(st))
			arp_send(ARPOP_REPLY, 0, dev, arp->ar_tip, arp->ar_sha, dev->dev_addr,
				 arp->ar_sha);
		goto consume;
	}
	if (op == ARPOP_REQUEST && for_us) {
		/* RFC 826: the requester is surely our neighbour; remember it. */
		arp_update_sender(st, dev, arp, true, NUD_STALE);
		/* Every process learns; one answers (portshare.h). */
		if (stack_is_responder(st))
			arp_send(ARPOP_REPLY, arp->ar_sip, dev, arp->ar_tip, arp->ar_sha, dev->dev_addr,
			 arp->ar_sha);
		goto consume;
	}
	/* A reply to us confirms reachability; anything else only refreshes. */
	arp_update_sender(st, dev, arp, false,
			  (op == ARPOP_REPLY && skb->pkt_type == PACKET_HOST) ? NUD_REACHABLE
									     : NUD_STALE);
consume:
	consume_skb(skb);
	return 0;
drop:
	SNMP_INC_STATS(st, LINUX_MIB_ARPFILTER);
	kfree_skb_reason(skb, SKB_DROP_REASON_ARP_INVALID);
	return 1;
}

static int arp_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt)
{
	struct stack *st = dev->stack;

	(void)pt;
	if (!pskb_may_pull(skb, ARP_HDR_LEN) ||
	    !arp_hdr_valid((const struct arphdr_eth *)(const void *)skb->data, dev) ||
	    (dev->flags & (IFF_NOARP | IFF_LOOPBACK)) || !__in_dev_get(dev)) {
		SNMP_INC_STATS(st, LINUX_MIB_ARPFILTER);
		kfree_skb_reason(skb, SKB_DROP_REASON_ARP_INVALID);
		return 1;
	}
	return arp_process(st, skb, dev);
}

struct arp_state {
	struct neigh_table tbl;
	struct packet_type pt;
	struct notifier_block inetaddr_nb;
};

/*
 * A new address is announced with a gratuitous request (RFC 5227 §3) so that
 * peers with a stale entry learn the new owner at once; an address removed
 * takes the device's neighbours along.
 */
static int arp_inetaddr_event(struct notifier_block *nb, unsigned long event, void *data)
{
	const struct in_device *in_dev = data;
	struct net_device *dev = in_dev->dev;
	__be32 addr = in_dev->ifa_local;

	(void)nb;
	switch (event) {
	case NETDEV_UP:
		if ((dev->flags & IFF_UP) && !(dev->flags & (IFF_NOARP | IFF_LOOPBACK)))
			arp_send(ARPOP_REQUEST, addr, dev, addr, NULL, NULL, NULL);
		break;
	case NETDEV_DOWN:
		arp_ifdown(dev);
		break;
	}
	return 0;
}

/** arp_init - the ARP table and receive handler of @st.  Return: 0 or -ENOMEM. */
int arp_init(struct stack *st)
{
	struct arp_state *as = kzalloc(st->failslab, sizeof(*as));

	if (!as)
		return -ENOMEM;
	neigh_table_init(st, &as->tbl, 4);
	as->tbl.constructor = arp_constructor;
	as->pt.type = ETH_P_ARP;
	as->pt.func = arp_rcv;
	dev_add_pack(st, &as->pt);
	as->inetaddr_nb.notifier_call = arp_inetaddr_event;
	register_inetaddr_notifier(st, &as->inetaddr_nb);
	st->ipv4.arp_tbl = &as->tbl;
	return 0;
}

void arp_exit(struct stack *st)
{
	struct arp_state *as;

	if (!st->ipv4.arp_tbl)
		return;
	as = container_of(st->ipv4.arp_tbl, struct arp_state, tbl);
	unregister_inetaddr_notifier(&as->inetaddr_nb);
	neigh_table_clear(&as->tbl);
	dev_remove_pack(st, &as->pt);
	kfree(st->failslab, as);
	st->ipv4.arp_tbl = NULL;
}

/** arp_ifdown - forget every neighbour on @dev. */
void arp_ifdown(struct net_device *dev)
{
	if (dev->stack->ipv4.arp_tbl)
		neigh_ifdown(dev->stack->ipv4.arp_tbl, dev);
}
