/*
 * capture.c - the tests' frame recorder (capture.h).
 */
#include "capture.h"
#include "stack.h"

static int capture_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt)
{
	struct capture *c = container_of(pt, struct capture, pt);
	bool tx = skb->pkt_type == PACKET_OUTGOING;

	(void)dev;
	if (!((tx && (c->dir & CAPTURE_TX)) || (!tx && (c->dir & CAPTURE_RX)))) {
		consume_skb(skb);
		return 0;
	}
	c->seen++;
	skb_queue_tail(&c->q, skb);
	return 0;
}

void capture_attach(struct capture *c, struct stack *st, struct net_device *dev,
		    enum capture_dir dir)
{
	memset(c, 0, sizeof(*c));
	c->st = st;
	c->dir = dir;
	skb_queue_head_init(&c->q);
	c->pt.type = ETH_P_ALL;
	c->pt.dev = dev;
	c->pt.func = capture_rcv;
	dev_add_pack(st, &c->pt);
}

void capture_detach(struct capture *c)
{
	dev_remove_pack(c->st, &c->pt);
	skb_queue_purge(&c->q);
}

/** capture_pop - the oldest captured frame (the caller frees it), or NULL. */
struct sk_buff *capture_pop(struct capture *c)
{
	return skb_dequeue(&c->q);
}

unsigned int capture_len(const struct capture *c)
{
	return skb_queue_len(&c->q);
}
