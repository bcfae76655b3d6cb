/*
 * wire.c - the in-memory cable (wire.h).
 *
 *   dev_queue_xmit -> wire_xmit (impair_decide; copy into the peer's stack)
 *   -> peer's in-flight queue ordered by arrival -> wire_poll / arrival timer
 *   -> eth_rx on the peer
 *
 * Frames over the device MTU (and not GSO) are dropped as a real veth would,
 * so fragmentation bugs show up in two-stack tests.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "wire.h"
#include "netdevice.h"
#include "eth.h"
#include "stack.h"

struct wire_end {
	struct wire *wire;
	int index;
	struct net_device *dev;
	struct sk_buff_head inflight;   /* towards this end, by arrival time */
	struct timer_list arrive_timer; /* on this end's stack */
	struct timer_list hold_timer;   /* releases a frame held for reordering */
	struct sk_buff *held;           /* towards this end, waiting to be overtaken */
	struct impair_state from;       /* rules for frames sent *from* this end */
};

struct wire {
	struct wire_end end[2];
	struct failslab *failslab; /* stack @a's, which the wire is allocated under */
};

struct wire_port {
	struct wire_end *end;
};

static struct wire_end *dev_end(const struct net_device *dev)
{
	return ((struct wire_port *)netdev_priv(dev))->end;
}

static struct wire_end *peer_of(struct wire_end *e)
{
	return &e->wire->end[!e->index];
}

/* Insert in arrival order; equal times stay FIFO. */
static void inflight_insert(struct wire_end *to, struct sk_buff *skb)
{
	struct sk_buff *pos;

	skb_queue_reverse_walk(&to->inflight, pos) {
		if (pos->tstamp <= skb->tstamp) {
			skb_queue_after(&to->inflight, pos, skb);
			goto armed;
		}
	}
	skb_queue_head(&to->inflight, skb);
armed:
	pos = skb_peek(&to->inflight);
	if (!timer_pending(&to->arrive_timer) || to->arrive_timer.expires > pos->tstamp)
		mod_timer(&to->arrive_timer, pos->tstamp);
}

static int wire_poll(struct net_device *dev, int budget)
{
	struct wire_end *e = dev_end(dev);
	ktime_t now = stack_now(dev->stack);
	struct sk_buff *skb;
	int done = 0;

	while (done < budget && (skb = skb_peek(&e->inflight)) && skb->tstamp <= now) {
		skb_unlink(skb, &e->inflight);
		skb->tstamp = now;
		eth_rx(skb, dev);
		done++;
	}
	skb = skb_peek(&e->inflight);
	if (skb)
		mod_timer(&e->arrive_timer, skb->tstamp);
	return done;
}

static void wire_arrive_timer(struct timer_list *t)
{
	struct wire_end *e = from_timer(e, t, arrive_timer);

	if (e->dev->flags & IFF_UP)
		wire_poll(e->dev, INT32_MAX);
}

static void wire_release_held(struct wire_end *to, ktime_t at)
{
	struct sk_buff *held = to->held;

	to->held = NULL;
	del_timer(&to->hold_timer);
	held->tstamp = at;
	inflight_insert(to, held);
}

static void wire_hold_timer(struct timer_list *t)
{
	struct wire_end *to = from_timer(to, t, hold_timer);

	if (to->held)
		wire_release_held(to, stack_now(to->dev->stack));
}

/* A copy of @skb's frame in the receiving stack, or NULL (counted as a drop). */
static struct sk_buff *wire_copy(struct wire_end *to, const struct sk_buff *skb)
{
	struct sk_buff *n = netdev_alloc_skb(to->dev, skb->len);

	if (!n) {
		to->dev->stats.rx_dropped++;
		return NULL;
	}
	skb_put_data(n, skb->data, skb->len);
	n->ip_summed = skb->ip_summed;
	return n;
}

static netdev_tx_t wire_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct wire_end *from = dev_end(dev), *to = peer_of(from);
	struct impair_verdict v;
	struct sk_buff *copy;

	dev->stats.tx_packets++;
	dev->stats.tx_bytes += skb->len;
	if (skb->len > dev->mtu + dev->hard_header_len && !skb_is_gso(skb)) {
		dev->stats.tx_errors++;
		kfree_skb_reason(skb, SKB_DROP_REASON_PKT_TOO_BIG);
		return NETDEV_TX_OK;
	}
	impair_decide(&from->from, skb->data, skb->len, stack_now(dev->stack), &v);
	if (v.drop || !(to->dev->flags & IFF_UP)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_WIRE_LOSS);
		return NETDEV_TX_OK;
	}
	for (int i = 0; i < v.copies; i++) {
		copy = wire_copy(to, skb);
		if (!copy)
			break;
		if (v.corrupt && i == 0)
			copy->data[v.corrupt_at] ^= v.corrupt_mask;
		if (v.ce)
			impair_mark_ce(copy->data, copy->len);
		copy->tstamp = v.deliver_at;
		if (v.hold && i == 0 && !to->held) {
			to->held = copy;
			mod_timer(&to->hold_timer, v.deliver_at + from->from.cfg.reorder_hold);
			continue;
		}
		inflight_insert(to, copy);
	}
	/* A held frame goes right after the first frame that overtakes it. */
	if (to->held && !v.hold)
		wire_release_held(to, v.deliver_at);
	consume_skb(skb);
	return NETDEV_TX_OK;
}

static void wire_uninit(struct net_device *dev)
{
	struct wire_end *e = dev_end(dev);

	del_timer(&e->arrive_timer);
	del_timer(&e->hold_timer);
	skb_queue_purge(&e->inflight);
	if (e->held) {
		consume_skb(e->held);
		e->held = NULL;
	}
	e->dev = NULL;
}

static const struct net_device_ops wire_ops = {
	.ndo_start_xmit = wire_xmit,
	.ndo_poll = wire_poll,
	.ndo_uninit = wire_uninit,
};

static int wire_end_init(struct wire *w, int i, struct stack *st, const char *name, const u8 *mac)
{
	struct wire_end *e = &w->end[i];
	struct net_device *dev = alloc_netdev(st, sizeof(struct wire_port), name, ether_setup);

	if (!dev)
		return -ENOMEM;
	e->wire = w;
	e->index = i;
	e->dev = dev;
	((struct wire_port *)netdev_priv(dev))->end = e;
	dev->netdev_ops = &wire_ops;
	memcpy(dev->dev_addr, mac, ETH_ALEN);
	skb_queue_head_init(&e->inflight);
	timer_setup(st, &e->arrive_timer, wire_arrive_timer);
	timer_setup(st, &e->hold_timer, wire_hold_timer);
	impair_init(&e->from, NULL);
	if (register_netdev(dev)) {
		free_netdev(dev);
		e->dev = NULL;
		return -EEXIST;
	}
	return dev_open(dev);
}

/**
 * wire_create - join a new device on stack @a to a new device on stack @b.
 * The devices are registered and up, with a perfect link both ways.
 * Return: the wire, or NULL (nothing left behind).
 */
struct wire *wire_create(struct stack *a, const char *name_a, const u8 *mac_a,
			 struct stack *b, const char *name_b, const u8 *mac_b)
{
	struct wire *w = kzalloc(a->failslab, sizeof(*w));

	if (!w)
		return NULL;
	w->failslab = a->failslab;
	if (wire_end_init(w, 0, a, name_a, mac_a) || wire_end_init(w, 1, b, name_b, mac_b)) {
		wire_destroy(w);
		return NULL;
	}
	return w;
}

/** wire_destroy - unregister and free both devices, dropping frames in flight. */
void wire_destroy(struct wire *w)
{
	if (!w)
		return;
	for (int i = 0; i < 2; i++) {
		struct net_device *dev = w->end[i].dev;

		if (dev) {
			unregister_netdev(dev);
			free_netdev(dev);
		}
	}
	kfree(w->failslab, w);
}

struct net_device *wire_dev(struct wire *w, int end)
{
	return w->end[end].dev;
}

/** wire_set_impair - rules for frames sent from end @from_end (NULL: perfect). */
void wire_set_impair(struct wire *w, int from_end, const struct impair_config *cfg)
{
	impair_init(&w->end[from_end].from, cfg);
}

const struct impair_stats *wire_impair_stats(const struct wire *w, int from_end)
{
	return &w->end[from_end].from.stats;
}

/** wire_in_flight - frames on their way to end @to_end (held ones included). */
unsigned int wire_in_flight(const struct wire *w, int to_end)
{
	const struct wire_end *e = &w->end[to_end];

	return skb_queue_len(&e->inflight) + (e->held ? 1u : 0u);
}
