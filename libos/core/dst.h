/*
 * dst.h - struct dst_entry: the result of a route lookup, what an skb
 * carries to know where it goes (skb_dst) and how (->output / ->input).
 *
 *   ip_queue_xmit -> sk_dst_cache or ip_route_output_flow -> skb_dst_set
 *   -> dst_output(skb) = skb_dst(skb)->output(skb) = ip_output
 *   ip_rcv -> ip_route_input -> dst_input(skb) = ip_local_deliver
 *
 * Entries are refcounted: each skb and each socket cache holding one owns a
 * reference.  @obsolete plus the route table's generation id make cached
 * entries go stale when routes change (dst_check()).
 */
#ifndef SKBOS_DST_H
#define SKBOS_DST_H

#include "types.h"
#include "skbuff.h"

struct dst_entry;
struct neighbour;

/* @check: the family's validity test (Linux's dst_ops->check): @dst or NULL if stale */
struct dst_ops {
	void (*destroy)(struct dst_entry *dst);
	struct dst_entry *(*check)(struct dst_entry *dst);
};

/**
 * struct dst_entry - a routing decision.
 * @__refcnt: references: the FIB/cache holds none once obsolete
 * @obsolete: nonzero once the entry must not be used for new packets
 * @genid: route table generation it was made under (dst_check)
 * @mtu: the path MTU through this route
 * @input/@output: what to do with an skb routed through it; both consume it
 */
struct dst_entry {
	int __refcnt;
	int obsolete;
	u32 genid;
	unsigned int mtu;
	struct net_device *dev;
	struct stack *stack;
	const struct dst_ops *ops;
	int (*input)(struct sk_buff *skb);
	int (*output)(struct sk_buff *skb);
	ktime_t expires; /* 0, or when it goes stale (learned path MTU) */
};

static inline struct dst_entry *dst_clone(struct dst_entry *dst)
{
	if (dst)
		dst->__refcnt++;
	return dst;
}

static inline void dst_hold(struct dst_entry *dst)
{
	dst->__refcnt++;
}

void dst_release(struct dst_entry *dst);

static inline struct dst_entry *skb_dst(const struct sk_buff *skb)
{
	return skb->_dst;
}

/** skb_dst_set - attach @dst to @skb; the skb takes over the caller's reference. */
static inline void skb_dst_set(struct sk_buff *skb, struct dst_entry *dst)
{
	skb->_dst = dst;
}

static inline void skb_dst_drop(struct sk_buff *skb)
{
	if (skb->_dst) {
		dst_release(skb->_dst);
		skb->_dst = NULL;
	}
}

static inline void skb_dst_copy(struct sk_buff *nskb, const struct sk_buff *oskb)
{
	nskb->_dst = dst_clone(oskb->_dst);
}

/** dst_output - send through the route's output (ip_output); consumes @skb. */
static inline int dst_output(struct sk_buff *skb)
{
	return skb_dst(skb)->output(skb);
}

/** dst_input - deliver through the route's input (ip_local_deliver); consumes @skb. */
static inline int dst_input(struct sk_buff *skb)
{
	return skb_dst(skb)->input(skb);
}

static inline unsigned int dst_mtu(const struct dst_entry *dst)
{
	return dst->mtu;
}

#endif /* SKBOS_DST_H */
