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
#include "tcp.h"
#include "udp.h"
#include "inet_common.h"

/* Devices going away take their addresses, routes and neighbours along. */
static int inet_netdev_event(struct notifier_block *nb, unsigned long event, void *data)
{
	struct net_device *dev = data;

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
	return 0;
}

/*
 * What IPv4 keeps per stack, brought up in this order and taken down in
 * reverse (Linux's inet_init and the pernet subsystems it registers).  Each
 * exit tolerates its init having failed half-way.
 */
static const struct pernet_operations inet_subsys[] = {
	{ "route", ip_rt_init, ip_rt_exit },
	{ "arp", arp_init, arp_exit },
	{ "ipfrag", ipfrag_init, ipfrag_exit },
	{ "icmp", icmp_init, icmp_exit },
	{ "udp", udp_init, udp_exit },
	{ "tcp", tcp_init, tcp_exit },
};

/**
 * inet_init - IPv4 for @st.  Return: 0 or -errno (the caller then calls
 * inet_exit, struct pernet_operations).
 */
static int inet_init(struct stack *st)
{
	struct netns_ipv4 *ip = &st->ipv4;
	int err;

	for (int i = 0; i < NF_INET_NUMHOOKS; i++)
		INIT_LIST_HEAD(&ip->nf_hooks[i]);
	INIT_LIST_HEAD(&ip->ping_socks);
	INIT_LIST_HEAD(&ip->raw_socks);
	INIT_LIST_HEAD(&ip->inetaddr_chain);
	ip->ip_idents_secret = stack_rand(st);
	for (int i = 0; i < IP_IDENTS_SZ; i++)
		ip->ip_idents[i] = stack_rand(st);
	for (size_t i = 0; i < ARRAY_SIZE(inet_subsys); i++)
		if ((err = inet_subsys[i].init(st)))
			return err;
	ip->ip_packet_type.type = ETH_P_IP;
	ip->ip_packet_type.func = ip_rcv;
	dev_add_pack(st, &ip->ip_packet_type);
	ip->netdev_nb.notifier_call = inet_netdev_event;
	register_netdevice_notifier(st, &ip->netdev_nb);
	return 0;
}

/** inet_exit - tear IPv4 down (devices must already be gone). */
static void inet_exit(struct stack *st)
{
	if (st->ipv4.ip_packet_type.func) {
		dev_remove_pack(st, &st->ipv4.ip_packet_type);
		unregister_netdevice_notifier(st, &st->ipv4.netdev_nb);
		st->ipv4.ip_packet_type.func = NULL;
	}
	for (size_t i = ARRAY_SIZE(inet_subsys); i-- > 0;)
		inet_subsys[i].exit(st);
}

/* ---- the AF_INET socket family: inet_create and the proto_ops ---------------- */

#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>

#include "raw.h"
#include "sock.h"
#include "udp.h"
#include "tcp.h"


/* inetsw: which proto and ops a (type, protocol) gets; IPPROTO_IP: any. */
static const struct inet_protosw {
	int type;
	int protocol;
	const struct proto *prot;
	const struct proto_ops *ops;
} inetsw[] = {
	{ SOCK_STREAM, IPPROTO_TCP, &tcp_prot, &inet_stream_ops },
	{ SOCK_DGRAM, IPPROTO_UDP, &udp_prot, &inet_dgram_ops },
	/* Linux's inet_sockraw_ops differs only in its poll (udp_poll vs
	 * datagram_poll); both use datagram_poll here, so raw shares the ops. */
	{ SOCK_RAW, IPPROTO_IP, &raw_prot, &inet_dgram_ops },
};

/**
 * inet_create - the AF_INET part of socket(): pick the transport, allocate
 * and initialise the sock.  Return: 0, -ESOCKTNOSUPPORT, -EPROTONOSUPPORT,
 * -ENOBUFS (no memory for the sock, as Linux).
 */
static int inet_create(struct stack *st, struct socket *sock, int protocol)
{
	const struct inet_protosw *sw = NULL;
	struct inet_sock *inet;
	struct sock *sk;
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(inetsw); i++) {
		if (inetsw[i].type != sock->type)
			continue;
		if (inetsw[i].protocol == IPPROTO_IP) {
			/* raw: any protocol but "0" (Linux: EPROTONOSUPPORT) */
			if (!protocol)
				return -EPROTONOSUPPORT;
			sw = &inetsw[i];
			break;
		}
		if (!protocol || protocol == inetsw[i].protocol) {
			protocol = inetsw[i].protocol;
			sw = &inetsw[i];
			break;
		}
		return -EPROTONOSUPPORT;
	}
	if (!sw)
		return -ESOCKTNOSUPPORT;
	sk = sk_alloc(st, AF_INET, sw->prot);
	if (!sk)
		return -ENOBUFS;
	sock->ops = sw->ops;
	sock_init_data(sock, sk);
	sk->sk_protocol = (unsigned short)protocol;
	inet = inet_sk(sk);
	inet->uc_ttl = -1;
	inet->mc_ttl = 1;
	inet->mc_loop = 1;
	inet->pmtudisc = IP_PMTUDISC_WANT;
	if (sock->type == SOCK_RAW) {
		sk->sk_num = (u16)protocol;
		if (protocol == IPPROTO_RAW)
			inet->hdrincl = 1;
	}
	if (sk->sk_prot->init && (err = sk->sk_prot->init(sk))) {
		sk_free(sk);
		sock->sk = NULL;
		return err;
	}
	return 0;
}

int inet_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	sock->sk = NULL;
	sk->sk_socket = NULL;
	sk->sk_prot->close(sk, sock_flag(sk, SOCK_LINGER) ? sk->sk_lingertime : 0);
	return 0;
}

/* Bind to an ephemeral port if the socket has none yet (inet_autobind). */
static int inet_autobind(struct sock *sk)
{
	if (!sk->sk_num) {
		if (sk->sk_prot->get_port(sk, 0))
			return -EAGAIN;
		inet_sk(sk)->inet_sport = htons(sk->sk_num);
	}
	return 0;
}

/**
 * inet_bind - bind(): the address must be one of ours, any, or broadcast /
 * multicast; the port free (or shared by SO_REUSEADDR/SO_REUSEPORT).
 * Return: 0, -EINVAL, -EAFNOSUPPORT, -EADDRNOTAVAIL, -EADDRINUSE.
 */
static int inet_bind(struct socket *sock, const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *addr = (const struct sockaddr_in *)(const void *)uaddr;
	struct sock *sk = sock->sk;
	struct inet_sock *inet = inet_sk(sk);
	unsigned int type;
	u16 snum;

	if (sk->sk_prot->bind)
		return sk->sk_prot->bind(sk, uaddr, addr_len);
	if (addr_len < (int)sizeof(*addr))
		return -EINVAL;
	if (addr->sin_family != AF_INET &&
	    (addr->sin_family != AF_UNSPEC || addr->sin_addr.s_addr != htonl(INADDR_ANY)))
		return -EAFNOSUPPORT;
	type = inet_addr_type(sk->sk_stack, addr->sin_addr.s_addr);
	if (addr->sin_addr.s_addr && type != RTN_LOCAL && type != RTN_MULTICAST &&
	    type != RTN_BROADCAST)
		return -EADDRNOTAVAIL;
	snum = ntohs(addr->sin_port);
	if (sk->sk_state != TCP_CLOSE || sk->sk_num)
		return -EINVAL;
	sk->sk_rcv_saddr = addr->sin_addr.s_addr;
	inet->inet_saddr = (type == RTN_MULTICAST || type == RTN_BROADCAST) ? 0 : addr->sin_addr.s_addr;
	if (sk->sk_prot->get_port(sk, snum)) {
		sk->sk_rcv_saddr = inet->inet_saddr = 0;
		return -EADDRINUSE;
	}
	if (sk->sk_rcv_saddr)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (snum)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	inet->inet_sport = htons(sk->sk_num);
	sk->sk_daddr = 0;
	sk->sk_dport = 0;
	sk_dst_reset(sk);
	return 0;
}

int inet_dgram_connect(struct socket *sock, const struct sockaddr *uaddr, int addr_len,
		       int flags)
{
	struct sock *sk = sock->sk;
	int err;

	if (addr_len < (int)sizeof(uaddr->sa_family))
		return -EINVAL;
	if (uaddr->sa_family == AF_UNSPEC)
		return sk->sk_prot->disconnect(sk, flags);
	if (sock->type != SOCK_RAW && (err = inet_autobind(sk)))
		return err;
	return sk->sk_prot->connect(sk, uaddr, addr_len);
}

/** inet_getname - getsockname (@peer 0) / getpeername.  Return: length or -ENOTCONN. */
static int inet_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sock *sk = sock->sk;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)uaddr;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (peer) {
		/* Linux: no peer port, or still closed / connecting: ENOTCONN */
		if ((!sk->sk_dport && sock->type != SOCK_RAW) || sk->sk_state == TCP_CLOSE ||
		    sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_LISTEN)
			return -ENOTCONN;
		sin->sin_port = sk->sk_dport;
		sin->sin_addr.s_addr = sk->sk_daddr;
	} else {
		sin->sin_port = inet_sk(sk)->inet_sport;
		sin->sin_addr.s_addr = sk->sk_rcv_saddr ? sk->sk_rcv_saddr : inet_sk(sk)->inet_saddr;
	}
	return (int)sizeof(*sin);
}

int inet_sendmsg(struct socket *sock, struct msghdr *msg, size_t size)
{
	struct sock *sk = sock->sk;

	if (sock->type == SOCK_DGRAM && inet_autobind(sk))
		return -EAGAIN;
	return sk->sk_prot->sendmsg(sk, msg, size);
}

int inet_recvmsg(struct socket *sock, struct msghdr *msg, size_t size, int flags)
{
	int addr_len = 0;
	int err = sock->sk->sk_prot->recvmsg(sock->sk, msg, size, flags, &addr_len);

	if (err >= 0)
		msg->msg_namelen = (socklen_t)addr_len;
	return err;
}

/**
 * inet_shutdown - shutdown(): on an unconnected datagram socket Linux still
 * marks it shut (waking pollers) and returns ENOTCONN.
 */
int inet_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	how++; /* SHUT_RD/WR/RDWR -> RCV_SHUTDOWN/SEND_SHUTDOWN/both */
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;
	if (sk->sk_state == TCP_CLOSE)
		err = -ENOTCONN;
	sk->sk_shutdown |= (u8)how;
	if (sk->sk_prot->shutdown)
		sk->sk_prot->shutdown(sk, how);
	sk->sk_state_change(sk);
	return err;
}

int inet_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct sock *sk = sock->sk;

	if (sk->sk_prot->ioctl)
		return sk->sk_prot->ioctl(sk, cmd, arg);
	return -ENOIOCTLCMD;
}

/** datagram_poll - readiness of a datagram socket (net/core/datagram.c). */
unsigned int datagram_poll(struct socket *sock)
{
	struct sock *sk = sock->sk;
	unsigned int mask = 0;

	if (sk->sk_err || !skb_queue_empty(&sk->sk_error_queue))
		mask |= EPOLLERR;
	if (sk->sk_shutdown & RCV_SHUTDOWN)
		mask |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
	if (sk->sk_shutdown == SHUTDOWN_MASK)
		mask |= EPOLLHUP;
	if (!skb_queue_empty(&sk->sk_receive_queue))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (sock_writeable(sk))
		mask |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
	return mask;
}

int inet_setsockopt(struct socket *sock, int level, int optname, const void *optval,
		    unsigned int optlen)
{
	if (level == SOL_SOCKET)
		return sk_setsockopt(sock, level, optname, optval, optlen);
	return sock->sk->sk_prot->setsockopt(sock->sk, level, optname, optval, optlen);
}

int inet_getsockopt(struct socket *sock, int level, int optname, void *optval,
		    unsigned int *optlen)
{
	if (level == SOL_SOCKET)
		return sk_getsockopt(sock, level, optname, optval, optlen);
	return sock->sk->sk_prot->getsockopt(sock->sk, level, optname, optval, optlen);
}

int sock_no_listen(struct socket *sock, int backlog)
{
	(void)sock;
	(void)backlog;
	return -EOPNOTSUPP;
}

int sock_no_accept(struct socket *sock, struct socket *newsock, int flags)
{
	(void)sock;
	(void)newsock;
	(void)flags;
	return -EOPNOTSUPP;
}

const struct proto_ops inet_dgram_ops = {
	.family = AF_INET,
	.release = inet_release,
	.bind = inet_bind,
	.connect = inet_dgram_connect,
	.accept = sock_no_accept,
	.getname = inet_getname,
	.poll = datagram_poll,
	.ioctl = inet_ioctl,
	.listen = sock_no_listen,
	.shutdown = inet_shutdown,
	.setsockopt = inet_setsockopt,
	.getsockopt = inet_getsockopt,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
};

/* ---- SOCK_STREAM: connect, listen, accept (net/ipv4/af_inet.c) ------------------ */

/**
 * __inet_stream_connect - connect() for TCP, with Linux's errno for every
 * state: EISCONN when connected, EALREADY while a non-blocking connect is
 * under way, EINPROGRESS for a new non-blocking one (SO_ERROR tells the end),
 * 0 once for the call after the handshake ended, the connection's error (ECONNREFUSED, ETIMEDOUT ...) for a blocking one.
 * @is_sendmsg: called by a Fast Open sendmsg (tcp_sendmsg_fastopen), which
 * may come without an address and, on a socket whose connect() deferred
 * its SYN (TCP_FASTOPEN_CONNECT), gets EINPROGRESS or waits for the end.
 */
int __inet_stream_connect(struct socket *sock, const struct sockaddr *uaddr, int addr_len, int flags,
			  bool is_sendmsg)
{
	struct sock *sk = sock->sk;
	bool nonblock = flags & O_NONBLOCK;
	ktime_t timeo = sock_sndtimeo(sk, nonblock);
	int err = -EINPROGRESS;

	if (uaddr || !is_sendmsg) {
		if (!uaddr || addr_len < (int)sizeof(uaddr->sa_family))
			return -EINVAL;
		if (uaddr->sa_family == AF_UNSPEC) {
			if (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN)
				tcp_reset(sk);
			sock->state = SS_UNCONNECTED;
			return 0;
		}
	}
	switch (sock->state) {
	case SS_CONNECTED:
		return -EISCONN;
	case SS_CONNECTING:
		if (tcp_sk(sk)->defer_connect) {
			/* Linux waits here for a SYN no write has sent yet: a
			 * second connect() answers at once instead */
			if (!is_sendmsg)
				return -EISCONN;
			break;
		}
		if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV) {
			if (nonblock)
				return -EALREADY;
			break;
		}
		if (sk->sk_state == TCP_CLOSE) {
			sock->state = SS_UNCONNECTED;
			err = sock_error(sk);
			return err ? err : -ECONNABORTED;
		}
		/* the handshake ended since the last call: this one reports
		 * it (0, as Linux), the next EISCONN; a non-blocking connect's
		 * completion check and a restarted blocking one rely on it */
		sock->state = SS_CONNECTED;
		return 0;
	default:
		if (sk->sk_state != TCP_CLOSE)
			return -EISCONN;
		err = sk->sk_prot->connect(sk, uaddr, addr_len);
		if (err)
			return err;
		sock->state = SS_CONNECTING;
		if (tcp_sk(sk)->defer_connect)
			return 0; /* TCP_FASTOPEN_CONNECT: connected as far as the caller sees */
		if (nonblock)
			return -EINPROGRESS;
	}
	if (nonblock && (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV))
		return err;
	err = sk_wait_event(sk, &timeo, sk->sk_state != TCP_SYN_SENT && sk->sk_state != TCP_SYN_RECV);
	if (err)
		return err == -EAGAIN ? -EINPROGRESS : err;
	if (sk->sk_state == TCP_CLOSE) {
		sock->state = SS_UNCONNECTED;
		err = sock_error(sk);
		return err ? err : -ECONNREFUSED;
	}
	sock->state = SS_CONNECTED;
	return 0;
}

int inet_stream_connect(struct socket *sock, const struct sockaddr *uaddr, int addr_len,
			       int flags)
{
	return __inet_stream_connect(sock, uaddr, addr_len, flags, false);
}

int inet_listen(struct socket *sock, int backlog)
{
	if (sock->state != SS_UNCONNECTED || sock->type != SOCK_STREAM)
		return -EINVAL;
	return tcp_listen(sock->sk, backlog);
}

/** inet_accept - give @newsock the oldest established connection of @sock. */
int inet_accept(struct socket *sock, struct socket *newsock, int flags)
{
	int err;
	struct sock *sk2 = tcp_accept(sock->sk, flags | (int)(sock->file_flags & O_NONBLOCK), &err);

	if (!sk2)
		return err;
	newsock->sk = sk2;
	newsock->ops = sock->ops;
	newsock->type = SOCK_STREAM;
	newsock->state = SS_CONNECTED;
	sk2->sk_socket = newsock;
	return 0;
}

unsigned int inet_stream_poll(struct socket *sock)
{
	return tcp_poll_mask(sock->sk);
}

const struct proto_ops inet_stream_ops = {
	.family = AF_INET,
	.release = inet_release,
	.bind = inet_bind,
	.connect = inet_stream_connect,
	.accept = inet_accept,
	.getname = inet_getname,
	.poll = inet_stream_poll,
	.ioctl = inet_ioctl,
	.listen = inet_listen,
	.shutdown = inet_shutdown,
	.setsockopt = inet_setsockopt,
	.getsockopt = inet_getsockopt,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
};

/* AF_INET as the socket layer and stack_new() see it (Linux's inet_family_ops). */
const struct net_proto_family inet_family_ops = {
	.family = AF_INET,
	.pernet = { "inet", inet_init, inet_exit },
	.create = inet_create,
};

/** inet_families - the table of struct stack_params for an IPv4 stack. */
const struct net_proto_family *const inet_families[] = { &inet_family_ops, NULL };
