/*
 * route.c - IPv6 routing (net/ipv6/route.c, ip6_fib.c): the prefix list,
 * output and input route decisions, path MTU exceptions.  See ip6_route.h.
 *
 *   ip6_xmit callers -> ip6_route_output (fib6_lookup, PMTU exception,
 *	source address: ipv6_dev_get_saddr) -> dst->output = ip6_output
 *   ipv6_rcv -> ip6_route_input -> dst->input = ip6_input | ip6_forward
 *
 * Read first: RFC 8200 §5 (PMTU), RFC 8201 (path MTU discovery), RFC 4291
 * §2.5.6 (link-local scope).
 */
#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "addrconf.h"
#include "ip6_route.h"
#include "netdevice.h"
#include "stack.h"
#include "log.h"

#define RT6_PMTU_SLOTS 64

/**
 * struct rt6_pmtu - a learned path MTU for one destination (rt6_exception).
 * @rt: the route every lookup to @daddr shares while it is current
 */
struct rt6_pmtu {
	struct in6_addr daddr;
	u32 mtu;
	ktime_t expires;
	struct rt6_info *rt;
};

static void ip6_dst_destroy(struct dst_entry *dst)
{
	kfree(dst->stack->failslab, container_of(dst, struct rt6_info, dst));
}

static const struct dst_ops ip6_dst_ops = {
	.destroy = ip6_dst_destroy,
	.check = ip6_dst_check,
};

static int ip6_dst_discard(struct sk_buff *skb)
{
	kfree_skb_reason(skb, SKB_DROP_REASON_IP_OUTNOROUTES);
	return 0;
}

/* The IPv6 MTU of @dev: its MTU, or less if a Router Advertisement said so. */
static unsigned int rt6_dev_mtu(const struct stack *st, const struct net_device *dev)
{
	if (st->ipv6.ra_mtu && dev->ifindex == st->ipv6.ra_mtu_ifindex && st->ipv6.ra_mtu < dev->mtu)
		return st->ipv6.ra_mtu;
	return dev->mtu;
}

static struct rt6_info *rt6_alloc(struct stack *st, struct net_device *dev, u8 type,
				  const struct in6_addr *gw, unsigned int mtu)
{
	struct rt6_info *rt = kzalloc(st->failslab, sizeof(*rt));

	if (!rt)
		return NULL;
	rt->dst.__refcnt = 1;
	rt->dst.ops = &ip6_dst_ops;
	rt->dst.stack = st;
	rt->dst.dev = dev;
	rt->dst.genid = st->ipv6.rt6_genid;
	rt->dst.mtu = mtu ? mtu : (dev ? rt6_dev_mtu(st, dev) : 0xffff);
	rt->dst.input = ip6_dst_discard;
	rt->dst.output = ip6_output;
	rt->rt6i_type = type;
	if (gw)
		rt->rt6i_gateway = *gw;
	return rt;
}

static void rt6_release_cached(struct rt6_info **prt)
{
	if (*prt) {
		(*prt)->dst.obsolete = 1;
		dst_release(&(*prt)->dst);
		*prt = NULL;
	}
}

/** rt6_genid_bump - routes changed: every IPv6 dst handed out before is stale. */
void rt6_genid_bump(struct stack *st)
{
	struct fib6_entry *fe;

	st->ipv6.rt6_genid++;
	list_for_each_entry(fe, &st->ipv6.fib6, list)
		rt6_release_cached(&fe->rt_cached);
}

/** ip6_dst_check - @dst if it may still be used, NULL if stale. */
struct dst_entry *ip6_dst_check(struct dst_entry *dst)
{
	if (!dst || dst->obsolete || dst->genid != dst->stack->ipv6.rt6_genid)
		return NULL;
	if (dst->expires && stack_now(dst->stack) >= dst->expires)
		return NULL;
	return dst;
}

/**
 * fib6_lookup - the longest-prefix route to @daddr (out of @oif if nonzero)
 * through a device that is up.  Return: the entry or NULL.
 */
const struct fib6_entry *fib6_lookup(struct stack *st, const struct in6_addr *daddr, int oif)
{
	const struct fib6_entry *fe;

	list_for_each_entry(fe, &st->ipv6.fib6, list) {
		if (!ipv6_prefix_equal(&fe->dst, daddr, fe->plen) || !(fe->dev->flags & IFF_UP))
			continue;
		/* a router's lifetime ran out (RFC 4861 §6.3.5) */
		if (fe->expires && stack_now(st) >= fe->expires)
			continue;
		if (oif && fe->dev->ifindex != oif)
			continue;
		return fe;
	}
	return NULL;
}

/**
 * fib6_add - a route to @dst/@plen via @gw (NULL or unspecified: directly
 * connected) out of @dev (NULL with a gateway: the gateway's connected
 * route decides).  Return: 0, -EINVAL, -ENETUNREACH (gateway not on-link),
 * -ENODEV, -EEXIST (same prefix and metric), -ENOMEM.
 */
int fib6_add(struct stack *st, const struct in6_addr *dst, int plen, const struct in6_addr *gw,
	     struct net_device *dev, u32 metric)
{
	return fib6_add_expires(st, dst, plen, gw, dev, metric, 0);
}

/** fib6_add_expires - fib6_add for a route that lapses at @expires (0: never). */
int fib6_add_expires(struct stack *st, const struct in6_addr *dst, int plen,
		     const struct in6_addr *gw, struct net_device *dev, u32 metric, ktime_t expires)
{
	struct fib6_entry *fe, *pos;
	struct in6_addr pfx;

	if (plen < 0 || plen > 128)
		return -EINVAL;
	ipv6_addr_prefix(&pfx, dst, (unsigned int)plen);
	if (gw && ipv6_addr_any(gw))
		gw = NULL;
	/* A link-local gateway is on-link by definition (RFC 4861 §8: routers
	 * are known by their link-local addresses); any other must be covered
	 * by a connected prefix. */
	if (gw && !dev) {
		const struct fib6_entry *nh = fib6_lookup(st, gw, 0);

		if (!nh || !ipv6_addr_any(&nh->gw))
			return -ENETUNREACH;
		dev = nh->dev;
	}
	if (!dev)
		return -ENODEV;
	list_for_each_entry(pos, &st->ipv6.fib6, list)
		if (pos->plen == plen && pos->metric == metric && ipv6_addr_equal(&pos->dst, &pfx))
			return -EEXIST;
	fe = kzalloc(st->failslab, sizeof(*fe));
	if (!fe)
		return -ENOMEM;
	fe->dst = pfx;
	fe->plen = (u8)plen;
	if (gw)
		fe->gw = *gw;
	fe->dev = dev;
	fe->metric = metric;
	fe->expires = expires;
	list_for_each_entry(pos, &st->ipv6.fib6, list)
		if (pos->plen < plen || (pos->plen == plen && pos->metric > metric))
			break;
	list_add_tail(&fe->list, &pos->list);
	st->ipv6.fib6_count++;
	rt6_genid_bump(st);
	return 0;
}

static void fib6_entry_free(struct stack *st, struct fib6_entry *fe)
{
	list_del_init(&fe->list);
	rt6_release_cached(&fe->rt_cached);
	st->ipv6.fib6_count--;
	kfree(st->failslab, fe);
}

/** fib6_del - remove the route to @dst/@plen.  Return: 0 or -ESRCH. */
int fib6_del(struct stack *st, const struct in6_addr *dst, int plen)
{
	struct fib6_entry *fe;
	struct in6_addr pfx;

	if (plen < 0 || plen > 128)
		return -EINVAL;
	ipv6_addr_prefix(&pfx, dst, (unsigned int)plen);
	list_for_each_entry(fe, &st->ipv6.fib6, list) {
		if (fe->plen == plen && ipv6_addr_equal(&fe->dst, &pfx)) {
			fib6_entry_free(st, fe);
			rt6_genid_bump(st);
			return 0;
		}
	}
	return -ESRCH;
}

/** fib6_del_gw - remove the route to @dst/@plen via @gw.  Return: 0 or -ESRCH. */
int fib6_del_gw(struct stack *st, const struct in6_addr *dst, int plen, const struct in6_addr *gw)
{
	struct fib6_entry *fe;

	list_for_each_entry(fe, &st->ipv6.fib6, list) {
		if (fe->plen == plen && ipv6_addr_equal(&fe->dst, dst) && ipv6_addr_equal(&fe->gw, gw)) {
			fib6_entry_free(st, fe);
			rt6_genid_bump(st);
			return 0;
		}
	}
	return -ESRCH;
}

/** fib6_flush_dev - remove every route out of @dev. */
void fib6_flush_dev(struct stack *st, struct net_device *dev)
{
	struct fib6_entry *fe, *tmp;

	list_for_each_entry_safe(fe, tmp, &st->ipv6.fib6, list)
		if (fe->dev == dev)
			fib6_entry_free(st, fe);
	rt6_genid_bump(st);
}

/* ---- path MTU exceptions (RFC 8201 §4) ------------------------------------ */

static struct rt6_pmtu *rt6_pmtu_slot(struct stack *st, const struct in6_addr *daddr)
{
	struct rt6_pmtu *tab = st->ipv6.pmtu;
	u32 w[4], h;

	memcpy(w, daddr, sizeof(w));
	h = (w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x9e3779b1u;
	return &tab[h >> 26]; /* RT6_PMTU_SLOTS */
}

/** rt6_pmtu_lookup - the learned path MTU to @daddr, or 0 if none is current. */
u32 rt6_pmtu_lookup(struct stack *st, const struct in6_addr *daddr)
{
	struct rt6_pmtu *p = rt6_pmtu_slot(st, daddr);

	if (!p->mtu || !ipv6_addr_equal(&p->daddr, daddr))
		return 0;
	if (stack_now(st) >= p->expires) {
		rt6_release_cached(&p->rt);
		p->mtu = 0;
		return 0;
	}
	return p->mtu;
}

/**
 * rt6_update_pmtu - a Packet Too Big said the path to @daddr carries at most
 * @mtu bytes.  RFC 8201 §4: only ever lowers, and a value below the IPv6
 * minimum link MTU (1280) is raised to it (RFC 8021 removed the atomic
 * fragments a smaller one used to ask for).  Remembered for mtu_expires.
 */
void rt6_update_pmtu(struct stack *st, const struct in6_addr *daddr, u32 mtu)
{
	const struct fib6_entry *fe = fib6_lookup(st, daddr, 0);
	struct rt6_pmtu *p = rt6_pmtu_slot(st, daddr);
	u32 cur = rt6_pmtu_lookup(st, daddr);

	if (!fe)
		return;
	if (mtu < IPV6_MIN_MTU)
		mtu = IPV6_MIN_MTU;
	if (mtu >= rt6_dev_mtu(st, fe->dev) || (cur && mtu >= cur))
		return;
	rt6_release_cached(&p->rt);
	p->daddr = *daddr;
	p->mtu = mtu;
	p->expires = stack_now(st) + st->sysctl.ip_rt_mtu_expires;
	skb_log(st, LOG_INFO, "IPv6 path MTU is now %u", mtu);
	rt6_genid_bump(st);
}

/* ---- output --------------------------------------------------------------- */

static struct rt6_info *rt6_fib_output(struct stack *st, struct fib6_entry *fe,
				       const struct in6_addr *daddr)
{
	u32 pmtu = rt6_pmtu_lookup(st, daddr);

	if (pmtu) {
		struct rt6_pmtu *p = rt6_pmtu_slot(st, daddr);

		if (!p->rt) {
			p->rt = rt6_alloc(st, fe->dev, RTN6_UNICAST, &fe->gw, pmtu);
			if (!p->rt)
				return ERR_PTR(-ENOBUFS);
			p->rt->rt6i_dst = *daddr;
			p->rt->dst.expires = p->expires;
		}
		return (struct rt6_info *)(void *)dst_clone(&p->rt->dst);
	}
	if (!fe->rt_cached) {
		fe->rt_cached = rt6_alloc(st, fe->dev, RTN6_UNICAST, &fe->gw, 0);
		if (!fe->rt_cached)
			return ERR_PTR(-ENOBUFS);
	}
	return (struct rt6_info *)(void *)dst_clone(&fe->rt_cached->dst);
}

/*
 * Multicast and link-local destinations: on-link out of @oif (Linux
 * answers EINVAL for a link-local destination without a scope id).  Not
 * cached: only ND and error paths send these, never a hot path.
 */
static struct rt6_info *rt6_onlink_output(struct stack *st, struct flowi6 *fl6)
{
	struct net_device *dev = fl6->oif ? dev_get_by_index(st, fl6->oif) : NULL;
	struct rt6_info *rt;

	if (!fl6->oif)
		return ERR_PTR(-EINVAL);
	if (!dev || !(dev->flags & IFF_UP))
		return ERR_PTR(-ENETUNREACH);
	rt = rt6_alloc(st, dev, ipv6_addr_is_multicast(&fl6->daddr) ? RTN6_MULTICAST : RTN6_UNICAST,
		       NULL, 0);
	if (!rt)
		return ERR_PTR(-ENOBUFS);
	rt->rt6i_dst = fl6->daddr;
	return rt;
}

/**
 * ip6_route_output - the route for @fl6; fills fl6->saddr when unspecified
 * (RFC 6724 source selection, ipv6_dev_get_saddr), else checks it is ours.
 * Return: a referenced route or ERR_PTR(-ENETUNREACH / -EADDRNOTAVAIL /
 * -EINVAL / -ENOBUFS).
 */
struct rt6_info *ip6_route_output(struct stack *st, struct flowi6 *fl6)
{
	struct rt6_info *rt;
	int err;

	if (ipv6_addr_is_multicast(&fl6->daddr) || ipv6_addr_linklocal(&fl6->daddr)) {
		rt = rt6_onlink_output(st, fl6);
	} else {
		const struct fib6_entry *fe = fib6_lookup(st, &fl6->daddr, fl6->oif);

		if (!fe)
			return ERR_PTR(-ENETUNREACH);
		rt = rt6_fib_output(st, (struct fib6_entry *)fe, &fl6->daddr);
	}
	if (IS_ERR(rt))
		return rt;
	if (ipv6_addr_any(&fl6->saddr)) {
		err = ipv6_dev_get_saddr(st, rt->dst.dev, &fl6->daddr, &fl6->saddr);
		/* ND's own messages may leave it unspecified (DAD, RFC 4862 §5.4.2) */
		if (err && fl6->proto != NEXTHDR_ICMP) {
			dst_release(&rt->dst);
			return ERR_PTR(err);
		}
	} else if (!ipv6_chk_addr(st, &fl6->saddr, NULL)) {
		dst_release(&rt->dst);
		return ERR_PTR(-EADDRNOTAVAIL);
	}
	fl6->oif = rt->dst.dev->ifindex;
	return rt;
}

/* ---- input ---------------------------------------------------------------- */

/**
 * ip6_route_input - decide what to do with a received packet: deliver it
 * (one of our addresses, or a group we are in on that device) or hand it
 * to ip6_forward (a host drops it).  Attaches the route to @skb.
 * Return: 0 or -ENOBUFS.
 */
int ip6_route_input(struct sk_buff *skb)
{
	struct stack *st = skb->stack;
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	bool local;

	if (ipv6_addr_is_multicast(&ip6h->daddr))
		local = ipv6_chk_mcast_addr(st, skb->dev, &ip6h->daddr);
	else
		local = ipv6_get_ifaddr(st, &ip6h->daddr, NULL, true) != NULL;
	skb_dst_set(skb, dst_clone(local ? &st->ipv6.rt6_local_in->dst
					 : &st->ipv6.rt6_forward_in->dst));
	return 0;
}

int ip6_route_init(struct stack *st)
{
	INIT_LIST_HEAD(&st->ipv6.fib6);
	st->ipv6.pmtu = kzalloc(st->failslab, RT6_PMTU_SLOTS * sizeof(struct rt6_pmtu));
	st->ipv6.rt6_local_in = rt6_alloc(st, NULL, RTN6_LOCAL, NULL, 0);
	st->ipv6.rt6_forward_in = rt6_alloc(st, NULL, RTN6_UNICAST, NULL, 0);
	if (!st->ipv6.pmtu || !st->ipv6.rt6_local_in || !st->ipv6.rt6_forward_in)
		return -ENOMEM;
	st->ipv6.rt6_local_in->dst.input = ip6_input;
	st->ipv6.rt6_local_in->dst.output = ip6_dst_discard;
	st->ipv6.rt6_forward_in->dst.input = ip6_forward;
	st->ipv6.rt6_forward_in->dst.output = ip6_dst_discard;
	return 0;
}

void ip6_route_exit(struct stack *st)
{
	struct fib6_entry *fe, *tmp;
	struct rt6_pmtu *tab = st->ipv6.pmtu;

	if (st->ipv6.fib6.next)
		list_for_each_entry_safe(fe, tmp, &st->ipv6.fib6, list)
			fib6_entry_free(st, fe);
	for (int i = 0; tab && i < RT6_PMTU_SLOTS; i++)
		rt6_release_cached(&tab[i].rt);
	kfree(st->failslab, st->ipv6.pmtu);
	st->ipv6.pmtu = NULL;
	rt6_release_cached(&st->ipv6.rt6_local_in);
	rt6_release_cached(&st->ipv6.rt6_forward_in);
}
