/*
 * route.c - the FIB, output and input route lookups, path MTU exceptions
 * and dst staleness (net/ipv4/route.c, fib_frontend.c, fib_semantics.c).
 *
 * Read first: route.h; RFC 1122 §3.3.1 (routing outbound datagrams),
 * RFC 1812 §5.3.7 (martian addresses), RFC 1191 (path MTU discovery).
 *
 *   ip_queue_xmit / icmp / udp -> ip_route_output_flow -> rtable (dst->output = ip_output)
 *   ip_rcv_finish -> ip_route_input -> dst->input = ip_local_deliver | ip_forward
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "route.h"
#include "inetdevice.h"
#include "netdevice.h"
#include "stack.h"
#include "log.h"

static void ipv4_dst_destroy(struct dst_entry *dst)
{
	kfree(dst->stack->failslab, container_of(dst, struct rtable, dst));
}

static const struct dst_ops ipv4_dst_ops = {
	.destroy = ipv4_dst_destroy,
	.check = dst_check,
};

/** dst_discard - the input/output of a route that must not carry packets. */
int dst_discard(struct sk_buff *skb)
{
	kfree_skb_reason(skb, SKB_DROP_REASON_IP_OUTNOROUTES);
	return 0;
}

static struct rtable *rt_dst_alloc(struct stack *st, struct net_device *dev, u8 type, __be32 gw,
				   unsigned int mtu)
{
	struct rtable *rt = kzalloc(st->failslab, sizeof(*rt));

	if (!rt)
		return NULL;
	rt->dst.__refcnt = 1;
	rt->dst.ops = &ipv4_dst_ops;
	rt->dst.stack = st;
	rt->dst.dev = dev;
	rt->dst.genid = st->ipv4.rt_genid;
	rt->dst.mtu = mtu ? mtu : (dev ? dev->mtu : IP_MAX_MTU);
	rt->dst.input = dst_discard;
	rt->dst.output = ip_output;
	rt->rt_type = type;
	rt->rt_gateway = gw;
	rt->rt_uses_gateway = gw != 0;
	return rt;
}

/* Drop a shared cached route: holders keep it alive but see it obsolete. */
static void rt_release_cached(struct rtable **prt)
{
	if (*prt) {
		(*prt)->dst.obsolete = 1;
		dst_release(&(*prt)->dst);
		*prt = NULL;
	}
}

/**
 * rt_genid_bump - routes changed: every dst handed out before is stale from
 * now on (dst_check fails), and cached output routes are rebuilt on demand.
 */
void rt_genid_bump(struct stack *st)
{
	struct fib_entry *fe;

	st->ipv4.rt_genid++;
	list_for_each_entry(fe, &st->ipv4.fib, list)
		rt_release_cached(&fe->rth_output);
	for (int i = 0; i < FIB_PMTU_SLOTS; i++)
		rt_release_cached(&st->ipv4.pmtu[i].rth);
	rt_release_cached(&st->ipv4.rt_local_out);
}

/**
 * dst_check - @dst if it may still be used, NULL if stale (routes changed,
 * it was dropped from the FIB, or its learned MTU expired).  Borrows @dst.
 */
struct dst_entry *dst_check(struct dst_entry *dst)
{
	if (!dst || dst->obsolete || dst->genid != dst->stack->ipv4.rt_genid)
		return NULL;
	if (dst->expires && stack_now(dst->stack) >= dst->expires)
		return NULL;
	return dst;
}

/* ---- the FIB -------------------------------------------------------------- */

static bool fib_matches(const struct fib_entry *fe, __be32 daddr)
{
	return (daddr & inet_make_mask(fe->prefixlen)) == fe->dst;
}

/**
 * fib_lookup - the longest-prefix route to @daddr (leaving by @oif if
 * nonzero) through a device that is up.  Return: the entry or NULL.
 */
const struct fib_entry *fib_lookup(struct stack *st, __be32 daddr, int oif)
{
	const struct fib_entry *fe;

	list_for_each_entry(fe, &st->ipv4.fib, list) {
		if (!fib_matches(fe, daddr) || !(fe->dev->flags & IFF_UP))
			continue;
		if (oif && fe->dev->ifindex != oif)
			continue;
		return fe;
	}
	return NULL;
}

/*
 * The directly connected route a gateway is reached by: like Linux's
 * link-scope lookup, routes via other gateways do not count.
 */
static const struct fib_entry *fib_lookup_onlink(struct stack *st, __be32 gw, int oif)
{
	const struct fib_entry *fe;

	list_for_each_entry(fe, &st->ipv4.fib, list) {
		if (fe->gw || !fib_matches(fe, gw) || !(fe->dev->flags & IFF_UP))
			continue;
		if (!oif || fe->dev->ifindex == oif)
			return fe;
	}
	return NULL;
}

/**
 * fib_add - add a route to @dst/@prefixlen via @gw (0: directly connected)
 * out of @dev (may be NULL with a gateway: the gateway's route decides).
 * Return: 0; -EINVAL (bad prefix); -ENETUNREACH (gateway not on a connected
 * network, RFC 1122 §3.3.1.1); -ENODEV; -EEXIST (same prefix and metric);
 * -ENOMEM.
 */
int fib_add(struct stack *st, __be32 dst, int prefixlen, __be32 gw, struct net_device *dev,
	    u32 metric)
{
	struct fib_entry *fe, *pos;

	if (prefixlen < 0 || prefixlen > 32)
		return -EINVAL;
	dst &= inet_make_mask(prefixlen);
	if (gw) {
		const struct fib_entry *nh = fib_lookup_onlink(st, gw, dev ? dev->ifindex : 0);

		if (!nh)
			return -ENETUNREACH;
		if (!dev)
			dev = nh->dev;
	}
	if (!dev)
		return -ENODEV;
	list_for_each_entry(pos, &st->ipv4.fib, list)
		if (pos->dst == dst && pos->prefixlen == prefixlen && pos->metric == metric)
			return -EEXIST;
	fe = kzalloc(st->failslab, sizeof(*fe));
	if (!fe)
		return -ENOMEM;
	fe->dst = dst;
	fe->prefixlen = (u8)prefixlen;
	fe->gw = gw;
	fe->dev = dev;
	fe->metric = metric;
	fe->type = RTN_UNICAST;
	/* Keep the list longest prefix first, then lowest metric: first match wins. */
	list_for_each_entry(pos, &st->ipv4.fib, list)
		if (pos->prefixlen < prefixlen || (pos->prefixlen == prefixlen && pos->metric > metric))
			break;
	list_add_tail(&fe->list, &pos->list);
	st->ipv4.fib_count++;
	rt_genid_bump(st);
	return 0;
}

static void fib_entry_free(struct stack *st, struct fib_entry *fe)
{
	list_del_init(&fe->list);
	rt_release_cached(&fe->rth_output);
	st->ipv4.fib_count--;
	kfree(st->failslab, fe);
}

/**
 * fib_del - remove the route to @dst/@prefixlen (via @gw, or any gateway if
 * 0).  Return: 0 or -ESRCH.
 */
int fib_del(struct stack *st, __be32 dst, int prefixlen, __be32 gw)
{
	struct fib_entry *fe;

	if (prefixlen < 0 || prefixlen > 32)
		return -EINVAL;
	dst &= inet_make_mask(prefixlen);
	list_for_each_entry(fe, &st->ipv4.fib, list) {
		if (fe->dst == dst && fe->prefixlen == prefixlen && (!gw || fe->gw == gw)) {
			fib_entry_free(st, fe);
			rt_genid_bump(st);
			return 0;
		}
	}
	return -ESRCH;
}

/** fib_flush_dev - remove every route out of @dev. */
void fib_flush_dev(struct stack *st, struct net_device *dev)
{
	struct fib_entry *fe, *tmp;

	list_for_each_entry_safe(fe, tmp, &st->ipv4.fib, list)
		if (fe->dev == dev)
			fib_entry_free(st, fe);
	rt_genid_bump(st);
}

unsigned int fib_count(const struct stack *st)
{
	return st->ipv4.fib_count;
}

/* ---- path MTU exceptions (RFC 1191 §6.3) ----------------------------------- */

static struct fib_pmtu *pmtu_slot(struct stack *st, __be32 daddr)
{
	u32 h = (u32)daddr * 0x9e3779b1u;

	return &st->ipv4.pmtu[h >> 26]; /* 64 slots */
}

/** ipv4_pmtu_lookup - the learned path MTU to @daddr, or 0 if none is current. */
u32 ipv4_pmtu_lookup(struct stack *st, __be32 daddr)
{
	struct fib_pmtu *p = pmtu_slot(st, daddr);

	if (p->daddr != daddr || !p->mtu)
		return 0;
	if (stack_now(st) >= p->expires) {
		rt_release_cached(&p->rth);
		p->mtu = 0;
		return 0;
	}
	return p->mtu;
}

/**
 * ipv4_update_pmtu - an ICMP "fragmentation needed" said the path to @daddr
 * carries at most @mtu bytes.  Only ever lowers; never below min_pmtu
 * (RFC 1191 §3: a bogus tiny MTU must not cripple the path); remembered for
 * mtu_expires (10 minutes), after which the route's MTU is tried again.
 */
void ipv4_update_pmtu(struct stack *st, __be32 daddr, u32 mtu)
{
	const struct fib_entry *fe = fib_lookup(st, daddr, 0);
	struct fib_pmtu *p = pmtu_slot(st, daddr);
	u32 cur = ipv4_pmtu_lookup(st, daddr);
	unsigned int route_mtu;

	if (!fe)
		return;
	route_mtu = fe->mtu ? fe->mtu : fe->dev->mtu;
	if (mtu < st->sysctl.ip_rt_min_pmtu)
		mtu = st->sysctl.ip_rt_min_pmtu;
	if (mtu >= route_mtu || (cur && mtu >= cur))
		return;
	rt_release_cached(&p->rth);
	p->daddr = daddr;
	p->mtu = mtu;
	p->expires = stack_now(st) + st->sysctl.ip_rt_mtu_expires;
	skb_log(st, LOG_INFO, "path MTU to %08x is now %u", ntohl(daddr), mtu);
	rt_genid_bump(st);
}

/* ---- output ---------------------------------------------------------------- */

static struct rtable *rt_fib_output(struct stack *st, struct fib_entry *fe, __be32 daddr)
{
	struct fib_pmtu *p;
	u32 pmtu = ipv4_pmtu_lookup(st, daddr);

	if (pmtu) {
		p = pmtu_slot(st, daddr);
		if (!p->rth) {
			p->rth = rt_dst_alloc(st, fe->dev, RTN_UNICAST, fe->gw, pmtu);
			if (!p->rth)
				return ERR_PTR(-ENOBUFS);
			p->rth->rt_pmtu_dst = daddr;
			p->rth->dst.expires = p->expires;
		}
		return (struct rtable *)(void *)dst_clone(&p->rth->dst);
	}
	if (!fe->rth_output) {
		fe->rth_output = rt_dst_alloc(st, fe->dev, RTN_UNICAST, fe->gw, fe->mtu);
		if (!fe->rth_output)
			return ERR_PTR(-ENOBUFS);
	}
	return (struct rtable *)(void *)dst_clone(&fe->rth_output->dst);
}

static struct rtable *rt_local_output(struct stack *st)
{
	struct net_device *lo = st->ipv4.loopback_dev;

	if (!lo || !(lo->flags & IFF_UP))
		return ERR_PTR(-ENETUNREACH);
	if (!st->ipv4.rt_local_out) {
		st->ipv4.rt_local_out = rt_dst_alloc(st, lo, RTN_LOCAL, 0, 0);
		if (!st->ipv4.rt_local_out)
			return ERR_PTR(-ENOBUFS);
	}
	return (struct rtable *)(void *)dst_clone(&st->ipv4.rt_local_out->dst);
}

/* The source address check of ip_route_output_key_hash_rcu(). */
static int rt_check_saddr(struct stack *st, __be32 saddr)
{
	if (ipv4_is_multicast(saddr) || ipv4_is_lbcast(saddr) || ipv4_is_zeronet(saddr))
		return -EINVAL;
	return inet_addr_type(st, saddr) == RTN_LOCAL ? 0 : -ENETUNREACH;
}

/**
 * ip_route_output_flow - route a locally generated packet described by @fl4.
 * Fills in fl4->saddr when it was 0, and fl4->daddr when it was 0 (the
 * local host, as on Linux).  Return: a referenced rtable (the caller owns
 * one reference), or ERR_PTR(-ENETUNREACH / -EINVAL / -ENODEV / -ENOBUFS: no memory
 * for the rtable, as Linux's rt_dst_alloc() failing in __mkroute_output()).
 */
struct rtable *ip_route_output_flow(struct stack *st, struct flowi4 *fl4)
{
	struct fib_entry *fe;
	struct rtable *rt;
	int err;

	st->ipv4.route_output_lookups++;
	if (fl4->saddr && (err = rt_check_saddr(st, fl4->saddr)))
		return ERR_PTR(err);
	if (!fl4->daddr)
		fl4->daddr = fl4->saddr ? fl4->saddr : htonl(0x7f000001);
	if (fl4->oif) {
		struct net_device *dev = dev_get_by_index(st, fl4->oif);

		if (!dev)
			return ERR_PTR(-ENODEV);
		if (!(dev->flags & IFF_UP))
			return ERR_PTR(-ENETUNREACH);
	}
	if (inet_addr_type(st, fl4->daddr) == RTN_LOCAL) {
		if (!fl4->saddr)
			fl4->saddr = fl4->daddr;
		return rt_local_output(st);
	}
	fe = (struct fib_entry *)fib_lookup(st, fl4->daddr, fl4->oif);
	if (!fe) {
		struct net_device *dev = fl4->oif ? dev_get_by_index(st, fl4->oif) : NULL;

		/* RFC 1122 §3.3.6: limited broadcast leaves by the chosen interface. */
		if (!dev || !(ipv4_is_lbcast(fl4->daddr) || ipv4_is_multicast(fl4->daddr)))
			return ERR_PTR(-ENETUNREACH);
		rt = rt_dst_alloc(st, dev, ipv4_is_lbcast(fl4->daddr) ? RTN_BROADCAST : RTN_MULTICAST,
				  0, 0);
		if (!fl4->saddr)
			fl4->saddr = inet_select_addr(dev, fl4->daddr);
		return rt ? rt : ERR_PTR(-ENOBUFS);
	}
	if (!fl4->saddr)
		fl4->saddr = fe->prefsrc ? fe->prefsrc : inet_select_addr(fe->dev, fl4->daddr);
	switch (inet_addr_type_dev(st, fl4->daddr, fe->dev)) {
	case RTN_BROADCAST:
		rt = rt_dst_alloc(st, fe->dev, RTN_BROADCAST, 0, fe->mtu);
		return rt ? rt : ERR_PTR(-ENOBUFS);
	case RTN_MULTICAST:
		rt = rt_dst_alloc(st, fe->dev, RTN_MULTICAST, 0, fe->mtu);
		return rt ? rt : ERR_PTR(-ENOBUFS);
	default:
		return rt_fib_output(st, fe, fl4->daddr);
	}
}

/* ---- input ----------------------------------------------------------------- */

/**
 * ip_route_input - decide what to do with a received packet and attach the
 * route to @skb: deliver locally (ours, or broadcast) or hand to ip_forward.
 * Return: 0; -EINVAL for a martian source; -EADDRNOTAVAIL for a martian or
 * unwanted destination (RFC 1812 §5.3.7, RFC 1122 §3.2.1.3).  On error no
 * route is attached and the caller drops the packet.
 */
int ip_route_input(struct sk_buff *skb, __be32 daddr, __be32 saddr, u8 tos,
		   struct net_device *dev)
{
	struct stack *st = dev->stack;
	bool is_lo = dev->flags & IFF_LOOPBACK;
	struct rtable *rt;

	(void)tos;
	/* Limited broadcast, and 0.0.0.0 -> 0.0.0.0 (BOOTP), come before the martian checks. */
	if (ipv4_is_lbcast(daddr) || (!saddr && !daddr)) {
		rt = st->ipv4.rt_bcast_in;
		goto out;
	}
	if (ipv4_is_multicast(saddr) || ipv4_is_lbcast(saddr) || ipv4_is_badclass(saddr) ||
	    ipv4_is_zeronet(saddr) || (ipv4_is_loopback(saddr) && !is_lo))
		return -EINVAL;
	if (ipv4_is_zeronet(daddr) || (ipv4_is_loopback(daddr) && !is_lo) ||
	    ipv4_is_multicast(daddr) || ipv4_is_badclass(daddr))
		return -EADDRNOTAVAIL;
	switch (inet_addr_type_dev(st, daddr, dev)) {
	case RTN_LOCAL:
		rt = st->ipv4.rt_local_in;
		break;
	case RTN_BROADCAST:
		rt = st->ipv4.rt_bcast_in;
		break;
	default:
		rt = st->ipv4.rt_forward_in;
		break;
	}
out:
	/*
	 * fib_validate_source with accept_local = 0: a datagram from the wire
	 * whose source is one of our own addresses (the LAND attack: source =
	 * destination) or a broadcast address is spoofed (RFC 1812 §5.3.7).
	 */
	if (saddr && !is_lo && inet_addr_type_dev(st, saddr, dev) != RTN_UNICAST)
		return -EINVAL;
	skb_dst_set(skb, dst_clone(&rt->dst));
	return 0;
}

/*
 * An address added brings its connected route (Linux's fib_inetaddr_event ->
 * fib_add_ifaddr); one removed takes the device's routes along.  Either way
 * cached routes are stale.
 */
static int fib_inetaddr_event(struct notifier_block *nb, unsigned long event, void *data)
{
	const struct in_device *in_dev = data;
	struct net_device *dev = in_dev->dev;
	int err;

	(void)nb;
	switch (event) {
	case NETDEV_UP:
		err = fib_add(dev->stack, in_dev->ifa_local & in_dev->ifa_mask, in_dev->ifa_prefixlen,
			      0, dev, 0);
		if (err && err != -EEXIST)
			return err;
		break;
	case NETDEV_DOWN:
		fib_flush_dev(dev->stack, dev);
		break;
	default:
		return 0;
	}
	rt_genid_bump(dev->stack);
	return 0;
}

/** ip_rt_init - the FIB and the shared input routes of @st.  Return: 0 or -ENOMEM. */
int ip_rt_init(struct stack *st)
{
	INIT_LIST_HEAD(&st->ipv4.fib);
	st->ipv4.pmtu = kcalloc(st->failslab, FIB_PMTU_SLOTS, sizeof(struct fib_pmtu));
	st->ipv4.rt_local_in = rt_dst_alloc(st, NULL, RTN_LOCAL, 0, 0);
	st->ipv4.rt_bcast_in = rt_dst_alloc(st, NULL, RTN_BROADCAST, 0, 0);
	st->ipv4.rt_forward_in = rt_dst_alloc(st, NULL, RTN_UNICAST, 0, 0);
	if (!st->ipv4.pmtu || !st->ipv4.rt_local_in || !st->ipv4.rt_bcast_in ||
	    !st->ipv4.rt_forward_in) {
		ip_rt_exit(st);
		return -ENOMEM;
	}
	st->ipv4.rt_local_in->dst.input = ip_local_deliver;
	st->ipv4.rt_bcast_in->dst.input = ip_local_deliver;
	st->ipv4.rt_forward_in->dst.input = ip_forward;
	st->ipv4.fib_inetaddr_nb.notifier_call = fib_inetaddr_event;
	register_inetaddr_notifier(st, &st->ipv4.fib_inetaddr_nb);
	return 0;
}

void ip_rt_exit(struct stack *st)
{
	struct fib_entry *fe, *tmp;

	if (st->ipv4.fib_inetaddr_nb.notifier_call) {
		unregister_inetaddr_notifier(&st->ipv4.fib_inetaddr_nb);
		st->ipv4.fib_inetaddr_nb.notifier_call = NULL;
	}
	if (st->ipv4.fib.next) {
		list_for_each_entry_safe(fe, tmp, &st->ipv4.fib, list)
			fib_entry_free(st, fe);
	}
	if (st->ipv4.pmtu) {
		for (int i = 0; i < FIB_PMTU_SLOTS; i++)
			rt_release_cached(&st->ipv4.pmtu[i].rth);
		kfree(st->failslab, st->ipv4.pmtu);
		st->ipv4.pmtu = NULL;
	}
	rt_release_cached(&st->ipv4.rt_local_out);
	rt_release_cached(&st->ipv4.rt_local_in);
	rt_release_cached(&st->ipv4.rt_bcast_in);
	rt_release_cached(&st->ipv4.rt_forward_in);
}
