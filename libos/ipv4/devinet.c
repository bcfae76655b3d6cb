/*
 * devinet.c - IPv4 addresses on devices (net/ipv4/devinet.c) and the
 * address-type questions routing and ARP ask (inet_addr_type).
 *
 * Adding or removing an address is announced on the stack's inetaddr chain
 * (Linux's inetaddr_chain): routing adds the connected route (route.c,
 * fib_inetaddr_event) and ARP announces the address with a gratuitous
 * request (arp.c, arp_inetaddr_event); for loopback the whole prefix is local,
 * as Linux's 127.0.0.0/8 local route makes it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "inetdevice.h"
#include "ip.h"
#include "netdevice.h"
#include "notifier.h"
#include "stack.h"

/**
 * inet_addr_add - give @dev the address @addr/@prefixlen (it may have one).
 * Return: 0, -EINVAL (bad address or prefix), -EEXIST (already has one),
 * -ENOMEM.
 */
int inet_addr_add(struct net_device *dev, __be32 addr, int prefixlen)
{
	struct stack *st = dev->stack;
	struct in_device *in_dev;
	__be32 mask;
	int err;

	if (prefixlen < 0 || prefixlen > 32 || ipv4_is_multicast(addr) || ipv4_is_lbcast(addr) ||
	    ipv4_is_zeronet(addr) || ipv4_is_badclass(addr))
		return -EINVAL;
	if (dev->ip_ptr)
		return -EEXIST;
	in_dev = kzalloc(st->failslab, sizeof(*in_dev));
	if (!in_dev)
		return -ENOMEM;
	mask = inet_make_mask(prefixlen);
	in_dev->dev = dev;
	in_dev->ifa_local = addr;
	in_dev->ifa_prefixlen = (u8)prefixlen;
	in_dev->ifa_mask = mask;
	in_dev->ifa_broadcast = prefixlen < 31 ? (addr | ~mask) : 0;
	neigh_parms_init(&in_dev->arp_parms, st);
	dev->ip_ptr = in_dev;
	/* The connected route and the announcement are the subscribers' business
	 * (route.c, arp.c), as Linux's inetaddr chain; a failure undoes them. */
	err = notifier_call_chain_robust(&st->ipv4.inetaddr_chain, NETDEV_UP, NETDEV_DOWN, in_dev);
	if (err) {
		dev->ip_ptr = NULL;
		kfree(st->failslab, in_dev);
		return err;
	}
	if (dev->flags & IFF_LOOPBACK)
		st->ipv4.loopback_dev = dev;
	return 0;
}

/** inet_addr_del - remove @dev's address; its routes and neighbours go with it. */
int inet_addr_del(struct net_device *dev)
{
	struct stack *st = dev->stack;

	if (!dev->ip_ptr)
		return -EADDRNOTAVAIL;
	notifier_call_chain(&st->ipv4.inetaddr_chain, NETDEV_DOWN, dev->ip_ptr);
	if (st->ipv4.loopback_dev == dev)
		st->ipv4.loopback_dev = NULL;
	kfree(st->failslab, dev->ip_ptr);
	dev->ip_ptr = NULL;
	return 0;
}

/**
 * register_inetaddr_notifier - @nb hears of every address added (NETDEV_UP,
 * @data the struct in_device; returning an error refuses the address) and
 * removed (NETDEV_DOWN).
 */
void register_inetaddr_notifier(struct stack *st, struct notifier_block *nb)
{
	notifier_chain_register(&st->ipv4.inetaddr_chain, nb);
}

void unregister_inetaddr_notifier(struct notifier_block *nb)
{
	notifier_chain_unregister(nb);
}

/** inetdev_destroy - the device is being unregistered. */
void inetdev_destroy(struct net_device *dev)
{
	if (dev->ip_ptr)
		inet_addr_del(dev);
}

static unsigned int addr_type_on(const struct net_device *dev, __be32 addr)
{
	const struct in_device *in = __in_dev_get(dev);

	if (!in)
		return RTN_UNICAST;
	if (addr == in->ifa_local)
		return RTN_LOCAL;
	if ((dev->flags & IFF_LOOPBACK) && (addr & in->ifa_mask) == (in->ifa_local & in->ifa_mask))
		return RTN_LOCAL;
	if (in->ifa_broadcast && addr == in->ifa_broadcast)
		return RTN_BROADCAST;
	return RTN_UNICAST;
}

/**
 * inet_addr_type_dev - what @addr is, seen from @dev: LOCAL if any device of
 * the stack owns it (Linux's weak host model), BROADCAST for 255.255.255.255
 * or @dev's subnet broadcast, MULTICAST, else UNICAST.
 */
unsigned int inet_addr_type_dev(struct stack *st, __be32 addr, const struct net_device *dev)
{
	if (ipv4_is_lbcast(addr))
		return RTN_BROADCAST;
	if (ipv4_is_multicast(addr))
		return RTN_MULTICAST;
	if (inet_addr_type(st, addr) == RTN_LOCAL)
		return RTN_LOCAL;
	return dev ? addr_type_on(dev, addr) : RTN_UNICAST;
}

/** inet_addr_type - LOCAL, BROADCAST, MULTICAST or UNICAST, over all devices. */
unsigned int inet_addr_type(struct stack *st, __be32 addr)
{
	struct net_device *dev;
	unsigned int type = RTN_UNICAST;

	if (ipv4_is_lbcast(addr))
		return RTN_BROADCAST;
	if (ipv4_is_multicast(addr))
		return RTN_MULTICAST;
	list_for_each_entry(dev, &st->dev_list, dev_list) {
		unsigned int t = addr_type_on(dev, addr);

		if (t == RTN_LOCAL)
			return RTN_LOCAL;
		if (t == RTN_BROADCAST)
			type = RTN_BROADCAST;
	}
	return type;
}

/** ip_dev_find - the device that owns @addr, or NULL. */
struct net_device *ip_dev_find(struct stack *st, __be32 addr)
{
	struct net_device *dev;

	list_for_each_entry(dev, &st->dev_list, dev_list)
		if (addr_type_on(dev, addr) == RTN_LOCAL)
			return dev;
	return NULL;
}

/** inet_select_addr - the source address to use on @dev (its address, or 0). */
__be32 inet_select_addr(const struct net_device *dev, __be32 dst)
{
	const struct in_device *in = __in_dev_get(dev);

	(void)dst;
	return in ? in->ifa_local : 0;
}

/**
 * inet_pton4 - parse "A.B.C.D" or "A.B.C.D/N" (@prefixlen may be NULL, then
 * no "/N" is allowed).  Return: 0 or -EINVAL.
 */
int inet_pton4(const char *s, __be32 *addr, int *prefixlen)
{
	char buf[32], *slash, *end;
	struct in_addr in;
	long n;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		if (!prefixlen)
			return -EINVAL;
		*slash++ = '\0';
		n = strtol(slash, &end, 10);
		if (!*slash || *end || n < 0 || n > 32)
			return -EINVAL;
		*prefixlen = (int)n;
	} else if (prefixlen) {
		*prefixlen = 32;
	}
	if (inet_pton(AF_INET, buf, &in) != 1)
		return -EINVAL;
	*addr = in.s_addr;
	return 0;
}
