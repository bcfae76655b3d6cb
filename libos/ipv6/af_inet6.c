/*
 * af_inet6.c - bringing IPv6 up and down in a stack (net/ipv6/af_inet6.c's
 * inet6_init): routes, Neighbour Discovery, reassembly, ICMPv6, and the
 * ETH_P_IPV6 handler.
 */
#include "addrconf.h"
#include "icmpv6.h"
#include "ip6_route.h"
#include "ipv6.h"
#include "ndisc.h"
#include "netdevice.h"
#include "stack.h"

/* Devices going away take their addresses, routes and neighbours along. */
static void inet6_netdev_event(struct notifier_block *nb, unsigned long event,
			       struct net_device *dev)
{
	(void)nb;
	switch (event) {
	case NETDEV_DOWN:
		ndisc_ifdown(dev);
		rt6_genid_bump(dev->stack);
		break;
	case NETDEV_UNREGISTER:
		addrconf_ifdown(dev);
		break;
	}
}

/** inet6_init - IPv6 for @st.  Return: 0 or -ENOMEM (nothing left half-built). */
int inet6_init(struct stack *st)
{
	struct netns_ipv6 *ip6 = &st->ipv6;
	int err;

	INIT_LIST_HEAD(&ip6->addr_list);
	ip6->ident_secret = stack_rand(st);
	ip6->ident_next = stack_rand(st);
	err = ip6_route_init(st);
	if (!err)
		err = ndisc_init(st);
	if (!err)
		err = ip6frag_init(st);
	if (!err)
		err = icmpv6_init(st);
	if (err) {
		inet6_exit(st);
		return err;
	}
	ip6->ipv6_packet_type.type = ETH_P_IPV6;
	ip6->ipv6_packet_type.func = ipv6_rcv;
	dev_add_pack(st, &ip6->ipv6_packet_type);
	ip6->netdev_nb.notifier_call = inet6_netdev_event;
	register_netdevice_notifier(st, &ip6->netdev_nb);
	return 0;
}

/** inet6_exit - tear IPv6 down (devices must already be gone). */
void inet6_exit(struct stack *st)
{
	struct inet6_ifaddr *ifp, *tmp;

	if (st->ipv6.ipv6_packet_type.func) {
		dev_remove_pack(st, &st->ipv6.ipv6_packet_type);
		unregister_netdevice_notifier(st, &st->ipv6.netdev_nb);
		st->ipv6.ipv6_packet_type.func = NULL;
	}
	if (st->ipv6.icmp)
		icmpv6_exit(st);
	ip6frag_exit(st);
	ndisc_exit(st);
	if (st->ipv6.addr_list.next)
		list_for_each_entry_safe(ifp, tmp, &st->ipv6.addr_list, if_list)
			ipv6_addr_del(ifp->dev, &ifp->addr);
	ip6_route_exit(st);
}
