/*
 * ip6_route.h - IPv6 routes (net/ipv6/route.c, ip6_fib.c).
 *
 * The same shape as IPv4's route.h: a list of prefixes kept longest-first
 * (first match = longest-prefix match), each caching the one output route
 * every lookup through it shares; a route change bumps rt6_genid and a
 * socket's cached route fails ip6_dst_check().  Learned path MTUs (Packet
 * Too Big, RFC 8201) are per-destination exceptions with their own route.
 * Multicast and link-local destinations are on-link out of the device the
 * caller names (RFC 4291 §2.5.6: link-local is meaningless without one).
 */
#ifndef SKBOS_IP6_ROUTE_H
#define SKBOS_IP6_ROUTE_H

#include "ipv6.h"
#include "dst.h"
#include "list.h"

/* route types as IPv4's (RTN_* of route.h) */
#define RTN6_UNICAST 1
#define RTN6_LOCAL 2
#define RTN6_MULTICAST 5

/**
 * struct rt6_info - a route for IPv6 packets: dst_entry plus IPv6 facts.
 * @rt6i_gateway: next hop, or unspecified when it is the destination itself
 * @rt6i_dst: for a per-destination route (PMTU, multicast), its destination
 */
struct rt6_info {
	struct dst_entry dst;
	u8 rt6i_type;
	struct in6_addr rt6i_gateway;
	struct in6_addr rt6i_dst;
};

static inline struct rt6_info *skb_rt6_info(const struct sk_buff *skb)
{
	return (struct rt6_info *)(void *)skb_dst(skb);
}

static inline const struct in6_addr *rt6_nexthop(const struct rt6_info *rt,
						 const struct in6_addr *daddr)
{
	return ipv6_addr_any(&rt->rt6i_gateway) ? daddr : &rt->rt6i_gateway;
}

/** struct fib6_entry - one route (@gw unspecified: directly connected). */
struct fib6_entry {
	struct list_head list;
	struct in6_addr dst;
	u8 plen;
	struct in6_addr gw;
	u32 metric;
	ktime_t expires; /* 0, or when it lapses (a router's lifetime) */
	struct net_device *dev;
	struct rt6_info *rt_cached;
};

int fib6_add(struct stack *st, const struct in6_addr *dst, int plen, const struct in6_addr *gw,
	     struct net_device *dev, u32 metric);
int fib6_add_expires(struct stack *st, const struct in6_addr *dst, int plen,
		     const struct in6_addr *gw, struct net_device *dev, u32 metric, ktime_t expires);
int fib6_del(struct stack *st, const struct in6_addr *dst, int plen);
int fib6_del_gw(struct stack *st, const struct in6_addr *dst, int plen, const struct in6_addr *gw);
void fib6_flush_dev(struct stack *st, struct net_device *dev);
const struct fib6_entry *fib6_lookup(struct stack *st, const struct in6_addr *daddr, int oif);

struct rt6_info *ip6_route_output(struct stack *st, struct flowi6 *fl6);
int ip6_route_input(struct sk_buff *skb);
struct dst_entry *ip6_dst_check(struct dst_entry *dst);
void rt6_genid_bump(struct stack *st);
void rt6_update_pmtu(struct stack *st, const struct in6_addr *daddr, u32 mtu);
u32 rt6_pmtu_lookup(struct stack *st, const struct in6_addr *daddr);

int ip6_route_init(struct stack *st);
void ip6_route_exit(struct stack *st);

#endif /* SKBOS_IP6_ROUTE_H */
