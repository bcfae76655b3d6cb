/*
 * af_inet6.c - bringing IPv6 up and down in a stack (net/ipv6/af_inet6.c's
 * inet6_init): routes, Neighbour Discovery, reassembly, ICMPv6, and the
 * ETH_P_IPV6 handler.
 */
#include "addrconf.h"
#include "icmpv6.h"
#include "ip6_route.h"
#include "ipv6.h"
#include "ip.h"
#include "ndisc.h"
#include "netdevice.h"
#include "stack.h"

/* Devices going away take their addresses, routes and neighbours along. */
static int inet6_netdev_event(struct notifier_block *nb, unsigned long event, void *data)
{
	struct net_device *dev = data;

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
	return 0;
}

/*
 * inet6_init - IPv6 for @st.  Return: 0 or -ENOMEM; on failure the family
 * table calls inet6_exit, which takes down what was built.
 */
static int inet6_init(struct stack *st)
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
	if (!err)
		err = udpv6_init(st);
	if (!err)
		err = tcpv6_init(st);
	if (err)
		return err;
	ip6->ipv6_packet_type.type = ETH_P_IPV6;
	ip6->ipv6_packet_type.func = ipv6_rcv;
	dev_add_pack(st, &ip6->ipv6_packet_type);
	ip6->netdev_nb.notifier_call = inet6_netdev_event;
	register_netdevice_notifier(st, &ip6->netdev_nb);
	return 0;
}

/** inet6_exit - tear IPv6 down (devices must already be gone). */
static void inet6_exit(struct stack *st)
{
	struct inet6_ifaddr *ifp, *tmp;

	if (st->ipv6.ipv6_packet_type.func) {
		dev_remove_pack(st, &st->ipv6.ipv6_packet_type);
		unregister_netdevice_notifier(st, &st->ipv6.netdev_nb);
		st->ipv6.ipv6_packet_type.func = NULL;
	}
	tcpv6_exit(st);
	udpv6_exit(st);
	if (st->ipv6.icmp)
		icmpv6_exit(st);
	ip6frag_exit(st);
	ndisc_exit(st);
	if (st->ipv6.addr_list.next)
		list_for_each_entry_safe(ifp, tmp, &st->ipv6.addr_list, if_list)
			ipv6_addr_del(ifp->dev, &ifp->addr);
	ip6_route_exit(st);
}

/* ---- the AF_INET6 socket family (net/ipv6/af_inet6.c) ------------------------ */

#include <errno.h>
#include <string.h>

#include "inet_common.h"
#include "sock.h"
#include "tcp.h"
#include "udp.h"

extern const struct proto udpv6_prot;
extern const struct proto_ops inet6_dgram_ops;
extern const struct proto_ops inet6_stream_ops;

/**
 * inet6_create - the AF_INET6 part of socket(): UDP and TCP (Linux's
 * inetsw6).  A raw AF_INET6 socket is EAFNOSUPPORT from skbos, which is
 * what makes the shim and the native API leave it to the kernel.
 * Return: 0, -EAFNOSUPPORT, -EPROTONOSUPPORT, -ENOBUFS.
 */
int inet6_create(struct stack *st, struct socket *sock, int protocol)
{
	const struct proto *prot = &udpv6_prot;
	const struct proto_ops *ops = &inet6_dgram_ops;
	int proto = IPPROTO_UDP;
	struct inet_sock *inet;
	struct sock *sk;
	int err;

	if (sock->type == SOCK_STREAM) {
		prot = &tcpv6_prot;
		ops = &inet6_stream_ops;
		proto = IPPROTO_TCP;
	} else if (sock->type != SOCK_DGRAM) {
		return -EAFNOSUPPORT;
	}
	if (protocol && protocol != proto)
		return -EPROTONOSUPPORT;
	sk = sk_alloc(st, AF_INET6, prot);
	if (!sk)
		return -ENOBUFS;
	sock->ops = ops;
	sock_init_data(sock, sk);
	sk->sk_protocol = (unsigned short)proto;
	inet = inet_sk(sk);
	inet->uc_ttl = -1;
	inet->mc_ttl = 1;
	inet->mc_loop = 1;
	if (sk->sk_prot->init && (err = sk->sk_prot->init(sk))) {
		sk_free(sk);
		sock->sk = NULL;
		return err;
	}
	return 0;
}

/**
 * inet6_bind - bind() to one of our usable addresses (a link-local one
 * with its interface in sin6_scope_id) or ::.  Return: 0, -EINVAL,
 * -EAFNOSUPPORT, -EADDRNOTAVAIL (not ours, tentative, multicast, or
 * v4-mapped: dual stack is not there yet), -EADDRINUSE.
 */
static int inet6_bind(struct socket *sock, const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)uaddr;
	struct sock *sk = sock->sk;
	const struct net_device *dev = NULL;
	u16 snum;

	if (addr_len < (int)sizeof(*sin6))
		return -EINVAL;
	if (sin6->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (!ipv6_addr_any(&sin6->sin6_addr)) {
		if (ipv6_addr_linklocal(&sin6->sin6_addr)) {
			/* ipv6(7): a link-local bind names its interface */
			if (!sin6->sin6_scope_id && !sk->sk_bound_dev_if)
				return -EINVAL;
			dev = dev_get_by_index(sk->sk_stack, sin6->sin6_scope_id ? (int)sin6->sin6_scope_id
										  : sk->sk_bound_dev_if);
			if (!dev)
				return -ENODEV;
		}
		if (!ipv6_chk_addr(sk->sk_stack, &sin6->sin6_addr, dev))
			return -EADDRNOTAVAIL;
	}
	if (sk->sk_state != TCP_CLOSE || sk->sk_num)
		return -EINVAL;
	snum = ntohs(sin6->sin6_port);
	sk->sk_v6_rcv_saddr = sin6->sin6_addr;
	if (dev)
		sk->sk_bound_dev_if = dev->ifindex;
	if (sk->sk_prot->get_port(sk, snum)) {
		memset(&sk->sk_v6_rcv_saddr, 0, sizeof(sk->sk_v6_rcv_saddr));
		return -EADDRINUSE;
	}
	if (!ipv6_addr_any(&sk->sk_v6_rcv_saddr))
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (snum)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	inet_sk(sk)->inet_sport = htons(sk->sk_num);
	memset(&sk->sk_v6_daddr, 0, sizeof(sk->sk_v6_daddr));
	sk->sk_dport = 0;
	return 0;
}

/** inet6_getname - getsockname (@peer 0) / getpeername.  Return: length or -ENOTCONN. */
static int inet6_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sock *sk = sock->sk;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)uaddr;

	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	if (peer) {
		/* Linux: no peer port, or still closed / connecting / listening */
		if (!sk->sk_dport || sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_SYN_SENT ||
		    sk->sk_state == TCP_LISTEN)
			return -ENOTCONN;
		sin6->sin6_port = sk->sk_dport;
		sin6->sin6_addr = sk->sk_v6_daddr;
	} else {
		sin6->sin6_port = inet_sk(sk)->inet_sport;
		sin6->sin6_addr = sk->sk_v6_rcv_saddr;
	}
	if (ipv6_addr_linklocal(&sin6->sin6_addr))
		sin6->sin6_scope_id = (u32)sk->sk_bound_dev_if;
	return (int)sizeof(*sin6);
}

const struct proto_ops inet6_dgram_ops = {
	.family = AF_INET6,
	.release = inet_release,
	.bind = inet6_bind,
	.connect = inet_dgram_connect,
	.accept = sock_no_accept,
	.getname = inet6_getname,
	.poll = datagram_poll,
	.ioctl = inet_ioctl,
	.listen = sock_no_listen,
	.shutdown = inet_shutdown,
	.setsockopt = inet_setsockopt,
	.getsockopt = inet_getsockopt,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
};

const struct proto_ops inet6_stream_ops = {
	.family = AF_INET6,
	.release = inet_release,
	.bind = inet6_bind,
	.connect = inet_stream_connect,
	.accept = inet_accept,
	.getname = inet6_getname,
	.poll = inet_stream_poll,
	.ioctl = inet_ioctl,
	.listen = inet_listen,
	.shutdown = inet_shutdown,
	.setsockopt = inet_setsockopt,
	.getsockopt = inet_getsockopt,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
};

/* AF_INET6 as the socket layer and stack_new() see it (Linux's inet6_family_ops). */
static const struct net_proto_family inet6_family_ops = {
	.family = AF_INET6,
	.pernet = { "inet6", inet6_init, inet6_exit },
	.create = inet6_create,
};

/*
 * inet6_families - the table of struct stack_params for a dual stack.  IPv4
 * comes first: IPv6 sockets share its port tables (Linux's inet6_init runs
 * after inet_init).
 */
const struct net_proto_family *const inet6_families[] = { &inet_family_ops, &inet6_family_ops, NULL };
