/*
 * netdevice.c - the device registry and the two doors between protocols and
 * devices (net/core/dev.c).
 *
 *   transmit: ... -> neighbour output -> dev_queue_xmit -> taps -> ndo_start_xmit
 *   receive:  driver -> eth_rx -> netif_receive_skb -> taps -> packet_type->func
 *
 * skbos has no qdisc: a device either takes a frame or says NETDEV_TX_BUSY,
 * and a busy frame is dropped and counted here (the AF_PACKET device keeps
 * its own bounded backlog so this stays rare).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "netdevice.h"
#include "eth.h"
#include "stack.h"
#include "dst.h"
#include "log.h"
#include "gso.h"
#include "checksum.h"

/**
 * alloc_netdev - allocate a device with @sizeof_priv bytes of private state.
 * @setup: fills in type-specific defaults (ether_setup for Ethernet)
 * Return: the device (not yet registered) or NULL.
 */
struct net_device *alloc_netdev(struct stack *st, size_t sizeof_priv, const char *name,
				void (*setup)(struct net_device *dev))
{
	struct net_device *dev = kzalloc(st->failslab, sizeof(*dev) + ALIGN(sizeof_priv, 16));

	if (!dev)
		return NULL;
	dev->stack = st;
	INIT_LIST_HEAD(&dev->dev_list);
	strncpy(dev->name, name, IFNAMSIZ - 1);
	dev->priv = sizeof_priv ? (void *)(dev + 1) : NULL;
	/* As Linux: TCP builds super-packets for every device; one that cannot
	 * segment gets them cut in dev_queue_xmit, one pass of the stack per
	 * 64 KB instead of one per segment. */
	dev->features = NETIF_F_GSO;
	if (setup)
		setup(dev);
	return dev;
}

/** ether_setup - Ethernet defaults: MTU 1500, broadcast, ARP. */
void ether_setup(struct net_device *dev)
{
	dev->type = ARPHRD_ETHER;
	dev->hard_header_len = ETH_HLEN;
	dev->mtu = ETH_DATA_LEN;
	dev->addr_len = ETH_ALEN;
	dev->flags = IFF_BROADCAST;
	memset(dev->broadcast, 0xff, ETH_ALEN);
}

void register_netdevice_notifier(struct stack *st, struct notifier_block *nb)
{
	notifier_chain_register(&st->netdev_chain, nb);
}

void unregister_netdevice_notifier(struct stack *st, struct notifier_block *nb)
{
	(void)st;
	notifier_chain_unregister(nb);
}

/* Device events are facts, not requests: no subscriber can refuse one. */
static void call_netdevice_notifiers(unsigned long event, struct net_device *dev)
{
	notifier_call_chain(&dev->stack->netdev_chain, event, dev);
}

/** register_netdev - give @dev an ifindex and make it visible. Return: 0 or -EEXIST. */
int register_netdev(struct net_device *dev)
{
	struct stack *st = dev->stack;

	if (dev_get_by_name(st, dev->name))
		return -EEXIST;
	dev->ifindex = ++st->ifindex_next;
	list_add_tail(&dev->dev_list, &st->dev_list);
	return 0;
}

/** unregister_netdev - bring @dev down and remove it; does not free it. */
void unregister_netdev(struct net_device *dev)
{
	dev_close(dev);
	call_netdevice_notifiers(NETDEV_UNREGISTER, dev);
	list_del_init(&dev->dev_list);
	if (dev->netdev_ops && dev->netdev_ops->ndo_uninit)
		dev->netdev_ops->ndo_uninit(dev);
}

void free_netdev(struct net_device *dev)
{
	kfree(dev->stack->failslab, dev);
}

/** dev_open - bring @dev up (IFF_UP | IFF_RUNNING).  Return: 0 or -errno. */
int dev_open(struct net_device *dev)
{
	int err = 0;

	if (dev->flags & IFF_UP)
		return 0;
	if (dev->netdev_ops && dev->netdev_ops->ndo_open)
		err = dev->netdev_ops->ndo_open(dev);
	if (!err) {
		dev->flags |= IFF_UP | IFF_RUNNING;
		call_netdevice_notifiers(NETDEV_UP, dev);
	}
	return err;
}

/** dev_close - bring @dev down.  Return: 0. */
int dev_close(struct net_device *dev)
{
	if (!(dev->flags & IFF_UP))
		return 0;
	if (dev->netdev_ops && dev->netdev_ops->ndo_stop)
		dev->netdev_ops->ndo_stop(dev);
	dev->flags &= ~(IFF_UP | IFF_RUNNING);
	call_netdevice_notifiers(NETDEV_DOWN, dev);
	return 0;
}

struct net_device *dev_get_by_name(struct stack *st, const char *name)
{
	struct net_device *dev;

	list_for_each_entry(dev, &st->dev_list, dev_list)
		if (!strncmp(dev->name, name, IFNAMSIZ))
			return dev;
	return NULL;
}

struct net_device *dev_get_by_index(struct stack *st, int ifindex)
{
	struct net_device *dev;

	list_for_each_entry(dev, &st->dev_list, dev_list)
		if (dev->ifindex == ifindex)
			return dev;
	return NULL;
}

/** dev_add_pack - register a receive handler (or an ETH_P_ALL tap). */
void dev_add_pack(struct stack *st, struct packet_type *pt)
{
	list_add_tail(&pt->list, pt->type == ETH_P_ALL ? &st->ptype_all : &st->ptype_base);
}

void dev_remove_pack(struct stack *st, struct packet_type *pt)
{
	(void)st;
	list_del_init(&pt->list);
}

/* Give every matching tap its own clone; a tap consumes what it gets. */
static void deliver_to_taps(struct sk_buff *skb, struct net_device *dev, u8 pkt_type)
{
	struct packet_type *pt;

	list_for_each_entry(pt, &dev->stack->ptype_all, list) {
		struct sk_buff *c;

		if (pt->dev && pt->dev != dev)
			continue;
		c = skb_clone(skb);
		if (!c)
			continue;
		if (pkt_type == PACKET_OUTGOING) {
			c->pkt_type = PACKET_OUTGOING;
			skb_reset_mac_header(c);
		} else {
			/* Taps see the whole frame, as AF_PACKET SOCK_RAW does. */
			__skb_push(c, (unsigned int)(c->data - skb_mac_header(c)));
		}
		pt->func(c, dev, pt);
	}
}

/**
 * netdev_offload_off - the offloads a level turns off (SKBOS_OFFLOAD):
 * "none" (all off: TCP sends one segment per skb); "csum" (checksums both
 * ways, segmentation in software); "tso" (and segmentation by the device);
 * "all" (and large receive: nothing off).  Each
 * level adds to the one before: Linux too needs checksum offload for TSO.
 * Return: 0 with *@off the NETIF_F_* to clear, or -EINVAL (unknown level).
 */
int netdev_offload_off(const char *level, u64 *off)
{
	static const struct {
		const char *name;
		u64 keep;
	} levels[] = {
		{ "none", 0 },
		{ "csum", NETIF_F_HW_CSUM | NETIF_F_RXCSUM | NETIF_F_GSO },
		{ "tso", NETIF_F_HW_CSUM | NETIF_F_RXCSUM | NETIF_F_GSO | NETIF_F_SG | NETIF_F_TSO },
		{ "all", NETIF_F_OFFLOADS },
	};

	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		if (!strcmp(level, levels[i].name)) {
			*off = NETIF_F_OFFLOADS & ~levels[i].keep;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * validate_xmit_skb's software fallback: a super-frame for a device that
 * cannot segment goes out as the segments the kernel would have made.
 */
static int dev_xmit_gso(struct sk_buff *skb, struct net_device *dev)
{
	struct sk_buff_head segs;
	struct sk_buff *seg;
	int err, rc = 0;

	skb_queue_head_init(&segs);
	err = skb_gso_segment(skb, dev->features, &segs);
	if (err) {
		dev->stats.tx_dropped++;
		kfree_skb_reason(skb, err == -ENOMEM ? SKB_DROP_REASON_NOMEM
						     : SKB_DROP_REASON_SKB_GSO_SEG);
		return err;
	}
	consume_skb(skb);
	while ((seg = skb_dequeue(&segs)) != NULL) {
		err = dev_queue_xmit(seg);
		if (err && !rc)
			rc = err;
	}
	return rc;
}

/**
 * dev_queue_xmit - send a complete frame (link header included) on skb->dev.
 * Consumes @skb.  Return: 0, -ENETDOWN (device down) or -ENOBUFS (busy).
 */
int dev_queue_xmit(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;

	if (unlikely(!(dev->flags & IFF_UP))) {
		dev->stats.tx_dropped++;
		kfree_skb_reason(skb, SKB_DROP_REASON_DEV_DOWN);
		return -ENETDOWN;
	}
	if (skb_is_gso(skb) && !(dev->features & NETIF_F_TSO))
		return dev_xmit_gso(skb, dev);
	if (skb->ip_summed == CHECKSUM_PARTIAL && !(dev->features & NETIF_F_HW_CSUM) &&
	    unlikely(skb_checksum_help(skb))) {
		dev->stats.tx_dropped++;
		kfree_skb_reason(skb, SKB_DROP_REASON_SKB_CSUM);
		return -EINVAL;
	}
	if (unlikely(!list_empty(&dev->stack->ptype_all)))
		deliver_to_taps(skb, dev, PACKET_OUTGOING);
	if (dev->netdev_ops->ndo_start_xmit(skb, dev) != NETDEV_TX_OK) {
		dev->stats.tx_dropped++;
		kfree_skb_reason(skb, SKB_DROP_REASON_DEV_BUSY);
		return -ENOBUFS;
	}
	return 0;
}

/**
 * netif_receive_skb - hand a received frame to the protocol that owns its
 * ethertype.  skb->protocol and the mac header are set (eth_type_trans), data
 * points at the network header.  Consumes @skb.
 * Return: NET_RX_SUCCESS (0) or NET_RX_DROP (1).
 */
int netif_receive_skb(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	struct stack *st = dev->stack;
	u16 type = ntohs(skb->protocol);
	struct packet_type *pt;

	skb_reset_network_header(skb);
	skb->transport_header = SKB_HEADER_UNSET;
	if (unlikely(!list_empty(&st->ptype_all)))
		deliver_to_taps(skb, dev, skb->pkt_type);

	if (unlikely(skb->pkt_type == PACKET_OTHERHOST)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_OTHERHOST);
		return 1;
	}
	list_for_each_entry(pt, &st->ptype_base, list) {
		if (pt->type == type && (!pt->dev || pt->dev == dev))
			return pt->func(skb, dev, pt);
	}
	dev->stats.rx_dropped++;
	kfree_skb_reason(skb, (type == ETH_P_8021Q || type == ETH_P_8021AD)
				      ? SKB_DROP_REASON_VLAN_TAG
				      : SKB_DROP_REASON_UNHANDLED_PROTO);
	return 1;
}
