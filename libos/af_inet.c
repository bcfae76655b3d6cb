/*
 * af_inet.c - bringing IPv4 up and down in a stack (net/ipv4/af_inet.c's
 * inet_init): routing, ARP, reassembly, ICMP, the ETH_P_IP handler and the
 * netfilter hook lists.  The socket families join here in the socket layer.
 */
#include <stdlib.h>

#include "ip.h"
#include "arp.h"
#include "icmp.h"
#include "inetdevice.h"
#include "netdevice.h"
#include "route.h"
#include "stack.h"

/* Devices going away take their addresses, routes and neighbours along. */
static void inet_netdev_event(struct notifier_block *nb, unsigned long event,
			      struct net_device *dev)
{
	(void)nb;
	switch (event) {
	case NETDEV_DOWN:
		arp_ifdown(dev);
		rt_genid_bump(dev->stack);
		break;
	case NETDEV_UNREGISTER:
		inetdev_destroy(dev);
		break;
	}
}

/** inet_init - IPv4 for @st.  Return: 0 or -ENOMEM (nothing left half-built). */
int inet_init(struct stack *st)
{
	struct netns_ipv4 *ip = &st->ipv4;
	int err;

	for (int i = 0; i < NF_INET_NUMHOOKS; i++)
		INIT_LIST_HEAD(&ip->nf_hooks[i]);
	INIT_LIST_HEAD(&ip->ping_socks);
	ip->ip_idents_secret = stack_rand(st);
	for (int i = 0; i < IP_IDENTS_SZ; i++)
		ip->ip_idents[i] = stack_rand(st);
	err = ip_rt_init(st);
	if (!err)
		err = arp_init(st);
	if (!err)
		err = ipfrag_init(st);
	if (!err)
		err = icmp_init(st);
	if (err) {
		inet_exit(st);
		return err;
	}
	ip->ip_packet_type.type = ETH_P_IP;
	ip->ip_packet_type.func = ip_rcv;
	dev_add_pack(st, &ip->ip_packet_type);
	ip->netdev_nb.notifier_call = inet_netdev_event;
	register_netdevice_notifier(st, &ip->netdev_nb);
	return 0;
}

/** inet_exit - tear IPv4 down (devices must already be gone). */
void inet_exit(struct stack *st)
{
	if (st->ipv4.ip_packet_type.func) {
		dev_remove_pack(st, &st->ipv4.ip_packet_type);
		unregister_netdevice_notifier(st, &st->ipv4.netdev_nb);
		st->ipv4.ip_packet_type.func = NULL;
	}
	if (st->ipv4.icmp)
		icmp_exit(st);
	ipfrag_exit(st);
	arp_exit(st);
	ip_rt_exit(st);
}
