/*
 * addrconf.c - the IPv6 addresses of a stack and Duplicate Address
 * Detection (net/ipv6/addrconf.c).  See addrconf.h.
 *
 *   config (SKBOS_ADDR6) -> ipv6_addr_add -> connected route (fib6_add),
 *	link-local address, DAD: dad_timer -> ndisc_send_ns from ::
 *	-> (no answer) the address is usable
 *   ndisc_recv_ns/na about a tentative address -> addrconf_dad_failure
 *
 * Read first: RFC 4862 §5.4 (DAD), RFC 4291 §2.5.1 and App. A (interface
 * identifiers), RFC 6724 §5 (source address selection).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "addrconf.h"
#include "eth.h"
#include "ip6_route.h"
#include "ndisc.h"
#include "neighbour.h"
#include "netdevice.h"
#include "stack.h"
#include "log.h"

/** inet6_pton_prefix - "ADDR/N" -> address and prefix length.  Return: 0 or -EINVAL. */
int inet6_pton_prefix(const char *s, struct in6_addr *addr, int *plen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long n;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	n = strtol(slash + 1, &end, 10);
	if (!slash[1] || *end || n < 1 || n > 128 || inet_pton(AF_INET6, buf, addr) != 1)
		return -EINVAL;
	*plen = (int)n;
	return 0;
}

/* RFC 4291 App. A: the modified EUI-64 of a MAC, under fe80::/64. */
void addrconf_eui64_linklocal(const struct net_device *dev, struct in6_addr *ll)
{
	memset(ll, 0, sizeof(*ll));
	ll->s6_addr[0] = 0xfe;
	ll->s6_addr[1] = 0x80;
	ll->s6_addr[8] = dev->dev_addr[0] ^ 0x02; /* the universal/local bit inverted */
	ll->s6_addr[9] = dev->dev_addr[1];
	ll->s6_addr[10] = dev->dev_addr[2];
	ll->s6_addr[11] = 0xff;
	ll->s6_addr[12] = 0xfe;
	ll->s6_addr[13] = dev->dev_addr[3];
	ll->s6_addr[14] = dev->dev_addr[4];
	ll->s6_addr[15] = dev->dev_addr[5];
}

/**
 * ipv6_get_ifaddr - our address @addr (on @dev if non-NULL).
 * @tentative_ok: count addresses still in DAD (ND about them must be seen)
 * Return: the address or NULL.  An address that failed DAD never counts.
 */
struct inet6_ifaddr *ipv6_get_ifaddr(struct stack *st, const struct in6_addr *addr,
				     const struct net_device *dev, bool tentative_ok)
{
	struct inet6_ifaddr *ifp;

	list_for_each_entry(ifp, &st->ipv6.addr_list, if_list) {
		if (dev && ifp->dev != dev)
			continue;
		if (!ipv6_addr_equal(&ifp->addr, addr) || (ifp->flags & IFA_F_DADFAILED))
			continue;
		if ((ifp->flags & IFA_F_TENTATIVE) && !tentative_ok)
			continue;
		return ifp;
	}
	return NULL;
}

/** ipv6_has_global_addr - has @st an address beyond link-local (in DAD or done)? */
bool ipv6_has_global_addr(struct stack *st)
{
	struct inet6_ifaddr *ifp;

	list_for_each_entry(ifp, &st->ipv6.addr_list, if_list)
		if (!ipv6_addr_linklocal(&ifp->addr) && !(ifp->flags & IFA_F_DADFAILED))
			return true;
	return false;
}

/** ipv6_chk_addr - @addr is ours and usable (DAD done), on @dev if non-NULL. */
bool ipv6_chk_addr(struct stack *st, const struct in6_addr *addr, const struct net_device *dev)
{
	return ipv6_get_ifaddr(st, addr, dev, false) != NULL;
}

/**
 * ipv6_chk_mcast_addr - @dev is in @group: all-nodes, or the solicited-node
 * group of one of its addresses, tentative ones included (RFC 4862 §5.4.2:
 * joined before DAD, so that another node's DAD for the same address is
 * heard).  skbos joins no other group (no MLD, no multicast sockets yet).
 */
bool ipv6_chk_mcast_addr(struct stack *st, const struct net_device *dev,
			 const struct in6_addr *group)
{
	struct inet6_ifaddr *ifp;
	struct in6_addr sn;

	if (ipv6_addr_is_ll_all_nodes(group))
		return true;
	list_for_each_entry(ifp, &st->ipv6.addr_list, if_list) {
		if (ifp->dev != dev)
			continue;
		addrconf_addr_solict_mult(&ifp->addr, &sn);
		if (ipv6_addr_equal(&sn, group))
			return true;
	}
	return false;
}

/* The length of the prefix two addresses share (RFC 6724 §2.2 CommonPrefixLen). */
static unsigned int ipv6_common_prefix(const struct in6_addr *a, const struct in6_addr *b)
{
	unsigned int n = 0;

	while (n < 128 && !((a->s6_addr[n / 8] ^ b->s6_addr[n / 8]) & (0x80u >> (n % 8))))
		n++;
	return n;
}

/**
 * ipv6_dev_get_saddr - the source address for @daddr out of @dev, RFC 6724
 * §5 reduced to the rules that can differ here: a usable address (rule 3,
 * no tentative one), of the destination's scope (rule 2: link-local for a
 * link-local or link-scope multicast destination, else global), then the
 * longest common prefix (rule 8).
 * Return: 0 and *@saddr, or -EADDRNOTAVAIL.
 */
int ipv6_dev_get_saddr(struct stack *st, const struct net_device *dev,
		       const struct in6_addr *daddr, struct in6_addr *saddr)
{
	bool want_ll = ipv6_addr_linklocal(daddr) ||
		       (ipv6_addr_is_multicast(daddr) && (daddr->s6_addr[1] & 0x0f) <= 2);
	struct inet6_ifaddr *ifp, *best = NULL;
	int best_score = -1;

	list_for_each_entry(ifp, &st->ipv6.addr_list, if_list) {
		int score;

		if (ifp->dev != dev || (ifp->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)))
			continue;
		score = (ipv6_addr_linklocal(&ifp->addr) == want_ll) ? 256 : 0;
		score += (int)ipv6_common_prefix(&ifp->addr, daddr);
		if (score > best_score) {
			best_score = score;
			best = ifp;
		}
	}
	if (!best)
		return -EADDRNOTAVAIL;
	*saddr = best->addr;
	return 0;
}

/* An address became usable: a link-local one asks the routers (RFC 4861 §6.3.7). */
static void addrconf_ready(struct inet6_ifaddr *ifp)
{
	if (ipv6_addr_linklocal(&ifp->addr) && ifp->dev->stack->sysctl.accept_ra)
		ndisc_send_rs(ifp->dev, &ifp->addr);
}

/*
 * RFC 4862 §5.4.2: a DAD probe is a solicitation for the tentative address
 * from the unspecified address to its solicited-node group; the address is
 * unique once dad_transmits probes went unanswered for RetransTimer each.
 */
static void addrconf_dad_timer(struct timer_list *t)
{
	struct inet6_ifaddr *ifp = from_timer(ifp, t, dad_timer);
	struct stack *st = ifp->dev->stack;
	static const struct in6_addr any;
	struct in6_addr mc;
	char a[INET6_ADDRSTRLEN];

	if (!(ifp->flags & IFA_F_TENTATIVE) || (ifp->flags & IFA_F_DADFAILED))
		return;
	if (!ifp->dad_probes) {
		ifp->flags &= ~IFA_F_TENTATIVE;
		inet_ntop(AF_INET6, &ifp->addr, a, sizeof(a));
		skb_log(ifp->dev->stack, LOG_INFO, "%s: IPv6 address %s is unique (DAD done)", ifp->dev->name, a);
		addrconf_ready(ifp);
		return;
	}
	ifp->dad_probes--;
	addrconf_addr_solict_mult(&ifp->addr, &mc);
	ndisc_send_ns(ifp->dev, &ifp->addr, &mc, &any);
	mod_timer(&ifp->dad_timer, stack_now(st) + ifp->dev->stack->ipv6.nd_tbl->parms.retrans_time);
}

/**
 * addrconf_dad_failure - someone else has @ifp's address (RFC 4862 §5.4.5:
 * "the address MUST NOT be assigned"): it stays, marked DADFAILED, and is
 * never used; the log says who has it, as Linux's "duplicate address
 * detected!".
 */
void addrconf_dad_failure(struct inet6_ifaddr *ifp, const u8 *lladdr)
{
	char a[INET6_ADDRSTRLEN];

	if (ifp->flags & IFA_F_DADFAILED)
		return;
	ifp->flags |= IFA_F_DADFAILED;
	del_timer(&ifp->dad_timer);
	inet_ntop(AF_INET6, &ifp->addr, a, sizeof(a));
	if (lladdr)
		skb_log(ifp->dev->stack, LOG_ERROR, "%s: IPv6 duplicate address %s used by %02x:%02x:%02x:%02x:%02x:%02x "
			"detected!", ifp->dev->name, a, lladdr[0], lladdr[1], lladdr[2], lladdr[3],
			lladdr[4], lladdr[5]);
	else
		skb_log(ifp->dev->stack, LOG_ERROR, "%s: IPv6 duplicate address %s detected!", ifp->dev->name, a);
}

static int ipv6_add_one(struct net_device *dev, const struct in6_addr *addr, int plen, u32 flags)
{
	struct stack *st = dev->stack;
	struct inet6_ifaddr *ifp;
	int err = 0;

	if (ipv6_get_ifaddr(st, addr, dev, true))
		return -EEXIST;
	ifp = kzalloc(st->failslab, sizeof(*ifp));
	if (!ifp)
		return -ENOMEM;
	ifp->addr = *addr;
	ifp->prefix_len = (u8)plen;
	ifp->dev = dev;
	ifp->flags = flags | IFA_F_PERMANENT;
	timer_setup(st, &ifp->dad_timer, addrconf_dad_timer);
	if (plen < 128) {
		err = fib6_add(st, addr, plen, NULL, dev, 256);
		if (err && err != -EEXIST) {
			kfree(ifp->dev->stack->failslab, ifp);
			return err;
		}
	}
	list_add_tail(&ifp->if_list, &st->ipv6.addr_list);
	if ((dev->flags & (IFF_LOOPBACK | IFF_NOARP)) || (flags & IFA_F_NODAD) ||
	    !st->sysctl.dad_transmits) {
		if (!(dev->flags & (IFF_LOOPBACK | IFF_NOARP)))
			addrconf_ready(ifp);
		return 0;
	}
	/* RFC 4862 §5.4.2: the first probe after a random delay up to
	 * MAX_RTR_SOLICITATION_DELAY, so nodes starting together do not collide. */
	ifp->flags |= IFA_F_TENTATIVE;
	ifp->dad_probes = st->sysctl.dad_transmits;
	mod_timer(&ifp->dad_timer,
		  stack_now(st) + (st->sysctl.rtr_solicit_delay
					   ? stack_rand(st) % (u64)st->sysctl.rtr_solicit_delay
					   : 0));
	return 0;
}

/**
 * ipv6_addr_add - give @dev the address @addr/@plen (and, on a device with
 * link-layer addresses, its link-local address if it has none yet), each
 * tentative until DAD is done unless @flags has IFA_F_NODAD.
 * Return: 0, -EINVAL (multicast, unspecified, loopback on a real device,
 * v4-mapped), -EEXIST, -ENOMEM.
 */
int ipv6_addr_add(struct net_device *dev, const struct in6_addr *addr, int plen, u32 flags)
{
	struct in6_addr ll;
	int err;

	if (plen < 1 || plen > 128 || ipv6_addr_is_multicast(addr) || ipv6_addr_any(addr) ||
	    ipv6_addr_v4mapped(addr) || (ipv6_addr_loopback(addr) && !(dev->flags & IFF_LOOPBACK)))
		return -EINVAL;
	err = ipv6_add_one(dev, addr, plen, flags);
	if (err || (dev->flags & IFF_LOOPBACK) || ipv6_addr_linklocal(addr))
		return err;
	addrconf_eui64_linklocal(dev, &ll);
	if (!ipv6_get_ifaddr(dev->stack, &ll, dev, true))
		err = ipv6_add_one(dev, &ll, 64, flags);
	return err;
}

static void ipv6_ifa_free(struct inet6_ifaddr *ifp)
{
	list_del_init(&ifp->if_list);
	del_timer(&ifp->dad_timer);
	kfree(ifp->dev->stack->failslab, ifp);
}

/** ipv6_addr_del - remove @addr from @dev.  Return: 0 or -EADDRNOTAVAIL. */
int ipv6_addr_del(struct net_device *dev, const struct in6_addr *addr)
{
	struct inet6_ifaddr *ifp;

	list_for_each_entry(ifp, &dev->stack->ipv6.addr_list, if_list) {
		if (ifp->dev == dev && ipv6_addr_equal(&ifp->addr, addr)) {
			if (ifp->prefix_len < 128)
				fib6_del(dev->stack, &ifp->addr, ifp->prefix_len);
			ipv6_ifa_free(ifp);
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}

/** addrconf_ifdown - @dev is going away: its addresses and routes go with it. */
void addrconf_ifdown(struct net_device *dev)
{
	struct inet6_ifaddr *ifp, *tmp;

	list_for_each_entry_safe(ifp, tmp, &dev->stack->ipv6.addr_list, if_list)
		if (ifp->dev == dev)
			ipv6_ifa_free(ifp);
	fib6_flush_dev(dev->stack, dev);
}
