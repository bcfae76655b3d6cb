/*
 * ndisc.c - Neighbour Discovery (RFC 4861) on the shared neighbour table
 * and NUD machine (net/ipv6/ndisc.c).  See ndisc.h.
 *
 * Read first: RFC 4861 §4.3-§4.4 (NS, NA), §4.6 (options), §7.1 (what a
 * node must check), §7.2 (address resolution and what NS/NA do to the
 * neighbour cache, the table at the end of §7.2.5), RFC 4862 §5.4.3
 * (DAD's view of received NS/NA), then neighbour.h.
 *
 * Routers (§6.3.4): without SKBOS_GW6 (net.ipv6.conf.*.accept_ra), a
 * Router Advertisement gives the default route (for its router lifetime)
 * and the link MTU, its reachable/retransmit times go to the ND parameters;
 * its prefixes are not used (addresses are configured: no SLAAC).  One
 * Router Solicitation goes out when a link-local address becomes usable
 * (Linux sends up to rtr_solicits, 3 by RFC 4861 §10, 4 s apart).
 * Redirects are validated and dropped (as a host with accept_redirects 0).
 */
#include <arpa/inet.h>
#include <string.h>

#include "alloc.h"
#include "addrconf.h"
#include "eth.h"
#include "icmpv6.h"
#include "ip6_route.h"
#include "ndisc.h"
#include "neighbour.h"
#include "netdevice.h"
#include "stack.h"
#include "log.h"

struct nd_state {
	struct neigh_table tbl;
};

static void ndisc_fill_lladdr(struct sk_buff *skb, u8 type, const u8 *lladdr)
{
	u8 *o = skb_put_zero(skb, 8); /* §4.6.1: 2 + 6 bytes for Ethernet */

	o[0] = type;
	o[1] = 1;
	memcpy(o + 2, lladdr, ETH_ALEN);
}

static struct sk_buff *ndisc_alloc(struct net_device *dev, u8 type, const struct in6_addr *target)
{
	struct sk_buff *skb = alloc_skb(dev->stack, MAX_HEADER + sizeof(struct nd_msg) + 8);
	struct nd_msg *m;

	if (!skb)
		return NULL;
	skb_reserve(skb, MAX_HEADER);
	m = (struct nd_msg *)(void *)skb_put_zero(skb, sizeof(*m));
	m->type = type;
	m->target = *target;
	return skb;
}

/**
 * ndisc_send_ns - a Neighbour Solicitation for @target to @daddr.
 * @saddr: unspecified for DAD (no source link-layer option then, §4.3),
 *	NULL to let the route choose
 * Return: 0 or -errno.
 */
int ndisc_send_ns(struct net_device *dev, const struct in6_addr *target,
		  const struct in6_addr *daddr, const struct in6_addr *saddr)
{
	struct sk_buff *skb = ndisc_alloc(dev, NDISC_NEIGHBOUR_SOLICITATION, target);

	if (!skb)
		return -ENOMEM;
	if (!saddr || !ipv6_addr_any(saddr))
		ndisc_fill_lladdr(skb, ND_OPT_SOURCE_LL_ADDR, dev->dev_addr);
	/* §7.1: ND messages carry hop limit 255, proof they were not routed */
	return icmpv6_push_and_send(dev, skb, saddr, daddr, 255);
}

/**
 * ndisc_send_na - a Neighbour Advertisement for our @target to @daddr,
 * with our link-layer address (§7.2.4).  Return: 0 or -errno.
 */
int ndisc_send_na(struct net_device *dev, const struct in6_addr *daddr,
		  const struct in6_addr *target, bool solicited, bool override)
{
	struct sk_buff *skb = ndisc_alloc(dev, NDISC_NEIGHBOUR_ADVERTISEMENT, target);
	struct nd_msg *m;

	if (!skb)
		return -ENOMEM;
	m = (struct nd_msg *)(void *)skb->data;
	m->flags = (u8)((solicited ? NDISC_NA_SOLICITED : 0) | (override ? NDISC_NA_OVERRIDE : 0));
	ndisc_fill_lladdr(skb, ND_OPT_TARGET_LL_ADDR, dev->dev_addr);
	return icmpv6_push_and_send(dev, skb, target, daddr, 255);
}

/** ndisc_send_rs - a Router Solicitation from our usable link-local address (§6.3.7). */
int ndisc_send_rs(struct net_device *dev, const struct in6_addr *saddr)
{
	struct in6_addr all_routers = { { { 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 } } };
	struct sk_buff *skb = alloc_skb(dev->stack, MAX_HEADER + 8 + 8);
	u8 *rs;

	if (!skb)
		return -ENOMEM;
	skb_reserve(skb, MAX_HEADER);
	rs = skb_put_zero(skb, 8);
	rs[0] = NDISC_ROUTER_SOLICITATION;
	ndisc_fill_lladdr(skb, ND_OPT_SOURCE_LL_ADDR, dev->dev_addr);
	return icmpv6_push_and_send(dev, skb, saddr, &all_routers, 255);
}

/*
 * §7.2.2: the source of a solicitation is the waiting packet's own source
 * when it is ours, else the route's choice; unicast in PROBE to the address
 * we believe in, else to the target's solicited-node group.
 */
static void ndisc_solicit(struct neighbour *n, struct sk_buff *skb)
{
	const struct in6_addr *target = &n->primary_key6, *saddr = NULL, *daddr = target;
	struct in6_addr mc;

	if (skb && skb_network_header_was_set(skb) &&
	    ipv6_chk_addr(n->tbl->stack, &ipv6_hdr(skb)->saddr, n->dev))
		saddr = &ipv6_hdr(skb)->saddr;
	if (!(n->probes < n->parms->ucast_probes && (n->nud_state & NUD_VALID))) {
		addrconf_addr_solict_mult(target, &mc);
		daddr = &mc;
	}
	ndisc_send_ns(n->dev, target, daddr, saddr);
}

/*
 * No error_report yet: the packets waiting on a failed resolution are
 * dropped (NEIGH_FAILED) by neigh_invalidate; telling their transport
 * (EHOSTUNREACH, as ip6_link_failure) comes with the IPv6 transports.
 */
static const struct neigh_ops ndisc_generic_ops = {
	.solicit = ndisc_solicit,
};

/* ndisc_constructor: multicast and link-less devices need no resolution. */
static int ndisc_constructor(struct neighbour *n)
{
	struct net_device *dev = n->dev;

	n->ops = &ndisc_generic_ops;
	if (dev->flags & (IFF_NOARP | IFF_LOOPBACK)) {
		n->nud_state = NUD_NOARP;
		ether_addr_copy(n->ha, dev->dev_addr);
	} else if (ipv6_addr_is_multicast(&n->primary_key6)) {
		n->nud_state = NUD_NOARP;
		ipv6_eth_mc_map(&n->primary_key6, n->ha);
	} else {
		return 0;
	}
	n->output = neigh_connected_output;
	return 0;
}

/** ipv6_neigh_lookup_create - the nd_tbl entry for @nexthop on @dev (created). */
struct neighbour *ipv6_neigh_lookup_create(struct net_device *dev, const struct in6_addr *nexthop)
{
	return neigh_create_key(dev->stack->ipv6.nd_tbl, nexthop, dev);
}

/*
 * §4.6 / §7.1: options are walked to the end; a zero length makes the whole
 * message invalid.  Return: 0 and *@lladdr (the option @want, or NULL), or
 * -EINVAL.
 */
static int ndisc_parse_options(const u8 *opt, unsigned int len, u8 want, const u8 **lladdr,
			       u32 *mtu)
{
	*lladdr = NULL;
	while (len >= 2) {
		unsigned int olen = opt[1] * 8u;

		if (!olen || olen > len)
			return -EINVAL;
		if (opt[0] == want && olen >= 2 + ETH_ALEN)
			*lladdr = opt + 2;
		if (opt[0] == ND_OPT_MTU && olen == 8 && mtu) {
			__be32 v;

			memcpy(&v, opt + 4, 4);
			*mtu = ntohl(v);
		}
		opt += olen;
		len -= olen;
	}
	return len ? -EINVAL : 0;
}

/*
 * §7.2.3: a solicitation for one of our addresses.  The sender (unless ::)
 * is learned STALE and answered unicast, solicited; DAD's from :: is
 * answered to all-nodes, unsolicited (§7.2.4).  For a tentative target it
 * is DAD's business (RFC 4862 §5.4.3): from :: it means someone else
 * probes the same address; from anyone else it is ignored.
 */
static int ndisc_recv_ns(struct sk_buff *skb, const struct nd_msg *m, const u8 *lladdr)
{
	struct net_device *dev = skb->dev;
	struct stack *st = dev->stack;
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	bool dad = ipv6_addr_any(&ip6h->saddr);
	struct inet6_ifaddr *ifp = ipv6_get_ifaddr(st, &m->target, dev, true);
	struct in6_addr all_nodes = { { { 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } } };
	struct neighbour *n;

	SNMP_INC_STATS(st, ICMP6_MIB_INNEIGHBORSOLICITS);
	/* §7.1.1: from ::, the destination is a solicited-node group and no
	 * source link-layer option is present */
	if (dad && (!ipv6_addr_is_multicast(&ip6h->daddr) || lladdr))
		return -EINVAL;
	if (!ifp)
		return 0;
	if (ifp->flags & IFA_F_TENTATIVE) {
		if (dad)
			addrconf_dad_failure(ifp, NULL);
		return 0;
	}
	if (dad)
		return ndisc_send_na(dev, &all_nodes, &m->target, false, true);
	if (lladdr) {
		n = neigh_create_key(st->ipv6.nd_tbl, &ip6h->saddr, dev);
		if (!IS_ERR(n))
			neigh_update(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_OVERRIDE);
	}
	return ndisc_send_na(dev, &ip6h->saddr, &m->target, true, true);
}

/*
 * §7.2.5: an advertisement.  About our own address it is a duplicate
 * (tentative: DAD fails; else only logged, as Linux).  Otherwise only an
 * existing entry is updated, by the rules at the end of §7.2.5.
 */
static int ndisc_recv_na(struct sk_buff *skb, const struct nd_msg *m, const u8 *lladdr)
{
	struct net_device *dev = skb->dev;
	struct stack *st = dev->stack;
	bool solicited = m->flags & NDISC_NA_SOLICITED, override = m->flags & NDISC_NA_OVERRIDE;
	struct inet6_ifaddr *ifp = ipv6_get_ifaddr(st, &m->target, dev, true);
	struct neighbour *n;

	SNMP_INC_STATS(st, ICMP6_MIB_INNEIGHBORADVERTISEMENTS);
	/* §7.1.2: to a multicast address, the Solicited flag is zero */
	if (solicited && ipv6_addr_is_multicast(&ipv6_hdr(skb)->daddr))
		return -EINVAL;
	if (ifp) {
		if (ifp->flags & IFA_F_TENTATIVE)
			addrconf_dad_failure(ifp, lladdr);
		else
			skb_log(dev->stack, LOG_WARN, "%s: an NA claims one of our IPv6 addresses", dev->name);
		return 0;
	}
	n = neigh_lookup_key(st->ipv6.nd_tbl, &m->target, dev);
	if (!n)
		return 0; /* "the advertisement SHOULD be silently discarded" */
	if (n->nud_state & NUD_INCOMPLETE) {
		if (lladdr)
			neigh_update(n, lladdr, solicited ? NUD_REACHABLE : NUD_STALE, 0);
		return 0;
	}
	if (!override && lladdr && (n->nud_state & NUD_VALID) && !ether_addr_equal(lladdr, n->ha)) {
		/* "If the Override flag is clear and the supplied link-layer
		 * address differs ... REACHABLE ... MUST be changed to STALE",
		 * the cached address kept (ADMIN: neigh_update would keep a
		 * valid entry's state for an unchanged address otherwise) */
		if (n->nud_state & NUD_REACHABLE)
			neigh_update(n, NULL, NUD_STALE, NEIGH_UPDATE_F_ADMIN);
		return 0;
	}
	if (solicited)
		neigh_update(n, lladdr, NUD_REACHABLE, NEIGH_UPDATE_F_OVERRIDE);
	else if (lladdr)
		neigh_update(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_OVERRIDE);
	return 0;
}

/*
 * §6.1.2 and §6.3.4: an advertisement from a router's link-local address.
 * A lifetime makes (or refreshes) the default route through it, 0 removes
 * it; a nonzero reachable or retransmit time replaces ours; an MTU option
 * within [1280, the device's] becomes the link's IPv6 MTU.
 */
static int ndisc_router_discovery(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	struct stack *st = dev->stack;
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	const u8 *ra = skb->data, *lladdr;
	struct neigh_table *tbl = st->ipv6.nd_tbl;
	static const struct in6_addr any;
	u32 mtu = 0, reach, retrans;
	u16 lifetime;
	__be32 v;

	if (skb->len < 16 || !ipv6_addr_linklocal(&ip6h->saddr))
		return -EINVAL;
	if (ndisc_parse_options(ra + 16, skb->len - 16, ND_OPT_SOURCE_LL_ADDR, &lladdr, &mtu))
		return -EINVAL;
	if (!st->sysctl.accept_ra)
		return 0;
	lifetime = (u16)(ra[6] << 8 | ra[7]);
	memcpy(&v, ra + 8, 4);
	reach = ntohl(v);
	memcpy(&v, ra + 12, 4);
	retrans = ntohl(v);
	fib6_del_gw(st, &any, 0, &ip6h->saddr);
	if (lifetime)
		fib6_add_expires(st, &any, 0, &ip6h->saddr, dev, 1024,
				 stack_now(st) + (ktime_t)lifetime * NSEC_PER_SEC);
	if (reach)
		tbl->parms.base_reachable_time = (ktime_t)reach * NSEC_PER_MSEC;
	if (retrans)
		tbl->parms.retrans_time = (ktime_t)retrans * NSEC_PER_MSEC;
	if (mtu >= IPV6_MIN_MTU && mtu <= dev->mtu && mtu != st->ipv6.ra_mtu) {
		st->ipv6.ra_mtu = mtu;
		st->ipv6.ra_mtu_ifindex = dev->ifindex;
		rt6_genid_bump(st);
	}
	if (lladdr) {
		struct neighbour *n = neigh_create_key(tbl, &ip6h->saddr, dev);

		if (!IS_ERR(n))
			neigh_update(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_OVERRIDE);
	}
	return 0;
}

/**
 * ndisc_rcv - an ND message (skb->data at its ICMPv6 header, checksum
 * verified).  The checks of §7.1 common to all of them first: hop limit
 * 255, code 0, the body complete, a target that is not multicast, valid
 * options.  Consumes @skb.
 */
int ndisc_rcv(struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	const struct nd_msg *m = (const struct nd_msg *)(void *)skb->data;
	const u8 *lladdr;
	int err = -EINVAL;

	if (ip6h->hop_limit != 255 || m->code)
		goto bad;
	if (m->type == NDISC_ROUTER_ADVERTISEMENT) {
		err = ndisc_router_discovery(skb);
		if (err)
			goto bad;
		consume_skb(skb);
		return 0;
	}
	if (m->type != NDISC_NEIGHBOUR_SOLICITATION && m->type != NDISC_NEIGHBOUR_ADVERTISEMENT) {
		consume_skb(skb); /* RS (we are no router), redirect (the file's header) */
		return 0;
	}
	if (skb->len < sizeof(*m) || ipv6_addr_is_multicast(&m->target))
		goto bad;
	if (ndisc_parse_options(m->opt, skb->len - (unsigned int)sizeof(*m),
				m->type == NDISC_NEIGHBOUR_SOLICITATION ? ND_OPT_SOURCE_LL_ADDR
									: ND_OPT_TARGET_LL_ADDR,
				&lladdr, NULL))
		goto bad;
	err = m->type == NDISC_NEIGHBOUR_SOLICITATION ? ndisc_recv_ns(skb, m, lladdr)
						      : ndisc_recv_na(skb, m, lladdr);
	if (err == -EINVAL)
		goto bad;
	consume_skb(skb);
	return 0;
bad:
	SNMP_INC_STATS(skb->stack, ICMP6_MIB_INERRORS);
	kfree_skb_reason(skb, SKB_DROP_REASON_IPV6_NDISC_BAD);
	return 0;
}

/** ndisc_ifdown - @dev is going: its neighbours go with it. */
void ndisc_ifdown(struct net_device *dev)
{
	if (dev->stack->ipv6.nd_tbl)
		neigh_ifdown(dev->stack->ipv6.nd_tbl, dev);
}

int ndisc_init(struct stack *st)
{
	struct nd_state *ns = kzalloc(st->failslab, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	neigh_table_init(st, &ns->tbl, sizeof(struct in6_addr));
	ns->tbl.constructor = ndisc_constructor;
	st->ipv6.nd_tbl = &ns->tbl;
	return 0;
}

void ndisc_exit(struct stack *st)
{
	if (!st->ipv6.nd_tbl)
		return;
	neigh_table_clear(st->ipv6.nd_tbl);
	kfree(st->failslab, container_of(st->ipv6.nd_tbl, struct nd_state, tbl));
	st->ipv6.nd_tbl = NULL;
}
