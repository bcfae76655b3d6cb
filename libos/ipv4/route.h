/*
 * route.h - the IPv4 FIB and routes (net/ipv4/route.c, fib_*.c).
 *
 * The FIB is a list of prefixes kept longest-first, so the first match is the
 * longest-prefix match (tables here hold a handful of routes; the list beats
 * a trie at that size and is obviously correct).  Each entry caches one
 * output rtable that every lookup through it shares (Linux's per-nexthop
 * cached route): the next hop of a directly connected route is the packet's
 * own destination (rt_nexthop), so one rtable serves every destination.
 *
 * Staleness: any change to the FIB or to a path MTU bumps rt_genid and drops
 * the cached entries; a dst taken before no longer passes dst_check(), so a
 * socket's cached route is looked up again (RFC 1122 §3.3.1.2).
 */
#ifndef SKBOS_ROUTE_H
#define SKBOS_ROUTE_H

#include "types.h"
#include "list.h"
#include "dst.h"
#include "ip.h"

struct stack;
struct net_device;

/**
 * struct fib_entry - one route.
 * @gw: gateway, or 0 for a directly connected prefix
 * @type: RTN_UNICAST or RTN_LOCAL
 * @prefsrc: preferred source address, or 0 (the device's)
 * @mtu: route MTU, or 0 for the device's
 * @rth_output: the shared output route through this entry (holds a reference)
 */
struct fib_entry {
	struct list_head list;
	__be32 dst;
	u8 prefixlen;
	u8 type;
	__be32 gw;
	__be32 prefsrc;
	u32 metric;
	unsigned int mtu;
	struct net_device *dev;
	struct rtable *rth_output;
};

/**
 * struct rtable - a route for packets: dst_entry plus IPv4 facts.
 * @rt_gateway: next hop, or 0 when it is the destination itself
 * @rt_pmtu_dst: for a PMTU exception route, the destination it is for
 */
struct rtable {
	struct dst_entry dst;
	u8 rt_type;
	bool rt_uses_gateway;
	__be32 rt_gateway;
	__be32 rt_pmtu_dst;
	int rt_iif;
};

static inline struct rtable *skb_rtable(const struct sk_buff *skb)
{
	return (struct rtable *)(void *)skb_dst(skb);
}

static inline __be32 rt_nexthop(const struct rtable *rt, __be32 daddr)
{
	return rt->rt_gateway ? rt->rt_gateway : daddr;
}

/** struct fib_pmtu - a learned path MTU for one destination (fib_nh_exception). */
struct fib_pmtu {
	__be32 daddr;
	u32 mtu;
	ktime_t expires;
	struct rtable *rth;
};
#define FIB_PMTU_SLOTS 64

int fib_add(struct stack *st, __be32 dst, int prefixlen, __be32 gw, struct net_device *dev,
	    u32 metric);
int fib_del(struct stack *st, __be32 dst, int prefixlen, __be32 gw);
void fib_flush_dev(struct stack *st, struct net_device *dev);
const struct fib_entry *fib_lookup(struct stack *st, __be32 daddr, int oif);
unsigned int fib_count(const struct stack *st);

struct rtable *ip_route_output_flow(struct stack *st, struct flowi4 *fl4);
int ip_route_input(struct sk_buff *skb, __be32 daddr, __be32 saddr, u8 tos,
		   struct net_device *dev);
struct dst_entry *dst_check(struct dst_entry *dst);
void ipv4_update_pmtu(struct stack *st, __be32 daddr, u32 mtu);
u32 ipv4_pmtu_lookup(struct stack *st, __be32 daddr);
void rt_genid_bump(struct stack *st);
int dst_discard(struct sk_buff *skb);

int ip_rt_init(struct stack *st);
void ip_rt_exit(struct stack *st);

#endif /* SKBOS_ROUTE_H */
