/*
 * loopback.c - the "lo" device (drivers/net/loopback.c): what is sent comes
 * back in.  Frames keep an Ethernet header with all-zero addresses, as on
 * Linux, so the receive path is the same as every other device's.
 *
 *   dev_queue_xmit -> loopback_xmit (queue) ... stack_poll -> loopback_poll -> eth_rx
 *
 * Delivery is deferred to the next poll (Linux's netif_rx backlog), so a
 * transmit never re-enters the receive path it came from.
 */
#include "loopback.h"
#include "netdevice.h"
#include "eth.h"
#include "dst.h"

struct loopback_priv {
	struct sk_buff_head backlog;
};

static netdev_tx_t loopback_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct loopback_priv *lp = netdev_priv(dev);

	/* The packet starts a new life on the receive side: no route, no owner. */
	skb_dst_drop(skb);
	if (skb->destructor) {
		skb->destructor(skb);
		skb->destructor = NULL;
	}
	skb->sk = NULL;
	dev->stats.tx_packets++;
	dev->stats.tx_bytes += skb->len;
	skb_queue_tail(&lp->backlog, skb);
	return NETDEV_TX_OK;
}

static int loopback_poll(struct net_device *dev, int budget)
{
	struct loopback_priv *lp = netdev_priv(dev);
	struct sk_buff *skb;
	int done = 0;

	while (done < budget && (skb = skb_dequeue(&lp->backlog)) != NULL) {
		eth_rx(skb, dev);
		done++;
	}
	return done;
}

static void loopback_uninit(struct net_device *dev)
{
	struct loopback_priv *lp = netdev_priv(dev);

	skb_queue_purge(&lp->backlog);
}

static const struct net_device_ops loopback_ops = {
	.ndo_start_xmit = loopback_xmit,
	.ndo_poll = loopback_poll,
	.ndo_uninit = loopback_uninit,
};

static void loopback_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->type = ARPHRD_LOOPBACK;
	dev->mtu = 65536;
	dev->flags = IFF_LOOPBACK | IFF_NOARP;
	dev->features |= NETIF_F_LOOPBACK | NETIF_F_HW_CSUM | NETIF_F_RXCSUM;
}

/**
 * loopback_create - register and bring up "lo" on @st.
 * Return: the device, or an ERR_PTR.
 */
struct net_device *loopback_create(struct stack *st)
{
	struct net_device *dev = alloc_netdev(st, sizeof(struct loopback_priv), "lo",
					      loopback_setup);
	struct loopback_priv *lp;
	int err;

	if (!dev)
		return ERR_PTR(-ENOMEM);
	lp = netdev_priv(dev);
	skb_queue_head_init(&lp->backlog);
	dev->netdev_ops = &loopback_ops;
	dev->host_ifindex = 1; /* what the kernel numbers lo */
	err = register_netdev(dev);
	if (err) {
		free_netdev(dev);
		return ERR_PTR(err);
	}
	dev_open(dev);
	return dev;
}

/** loopback_backlog_len - frames waiting to come back in. */
unsigned int loopback_backlog_len(const struct net_device *dev)
{
	const struct loopback_priv *lp = netdev_priv(dev);

	return skb_queue_len(&lp->backlog);
}
