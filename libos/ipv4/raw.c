/*
 * raw.c - SOCK_RAW IPv4 sockets (net/ipv4/raw.c): what ping(8) uses.
 *
 *   ip_local_deliver_finish -> raw_local_deliver (a copy to each matching
 *   raw socket, whole datagram from the IP header) -> then the protocol
 *   raw_sendmsg -> the user's payload (or, with IP_HDRINCL, whole datagram)
 *
 * A raw socket sees every datagram of its protocol for one of our
 * addresses, ICMP errors included, exactly as the kernel's do; that is how
 * ping reports "Destination Host Unreachable".
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "raw.h"
#include "checksum.h"
#include "icmp.h"
#include "inetdevice.h"
#include "ip.h"
#include "ip_cmsg.h"
#include "route.h"
#include "stack.h"
#include "udp.h"

static bool raw_match(const struct sock *sk, const struct iphdr *iph)
{
	return sk->sk_protocol == iph->protocol &&
	       (!sk->sk_rcv_saddr || sk->sk_rcv_saddr == iph->daddr) &&
	       (!sk->sk_daddr || sk->sk_daddr == iph->saddr);
}

/**
 * raw_local_deliver - give every matching raw socket its own copy of @skb
 * (data at the transport header; the copy starts at the IP header).
 * Borrows @skb.
 */
void raw_local_deliver(struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct raw_sock *rs;

	list_for_each_entry(rs, &skb->stack->ipv4.raw_socks, node) {
		struct sock *sk = &rs->inet.sk;
		struct sk_buff *c;

		if (!raw_match(sk, iph))
			continue;
		c = skb_copy_compact(skb);
		if (!c)
			continue;
		skb_push(c, (unsigned int)(c->data - skb_network_header(c)));
		if (sock_queue_rcv_skb(sk, c))
			kfree_skb_reason(c, SKB_DROP_REASON_SOCKET_RCVBUFF);
	}
}

/*
 * An ICMP error about a datagram @sk sent (raw_err): with IP_RECVERR it is
 * queued (the data from the quoted transport header, or from the IP header
 * with IP_HDRINCL), and reported in SO_ERROR; a connected socket reports a
 * hard error without it.
 */
static void raw_err(struct sock *sk, struct sk_buff *skb, u8 type, u8 code, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)(const void *)skb->data;
	struct inet_sock *inet = inet_sk(sk);
	bool harderr;
	int err;

	if (!inet->recverr && sk->sk_state != TCP_ESTABLISHED)
		return;
	err = icmp_err_convert(type, code, &harderr);
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
		err = EMSGSIZE;
		harderr = inet->pmtudisc != IP_PMTUDISC_DONT;
	}
	if (!err)
		return; /* source quench and the like: nothing to say */
	ip_icmp_error(sk, skb, err, 0, info, inet->hdrincl ? skb->data : skb->data + iph->ihl * 4u);
	if (inet->recverr || harderr) {
		sk->sk_err = err;
		sk->sk_error_report(sk);
	}
}

/**
 * raw_icmp_error - an ICMP error quoting a datagram of a protocol raw
 * sockets may have sent: each raw socket of that protocol whose addresses
 * match the quoted ones hears of it (Linux's raw_icmp_error).  @skb's data
 * is at the quoted IP header.  Borrows @skb.
 */
void raw_icmp_error(struct sk_buff *skb, u8 type, u8 code, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)(const void *)skb->data;
	struct raw_sock *rs;

	list_for_each_entry(rs, &skb->stack->ipv4.raw_socks, node) {
		struct sock *sk = &rs->inet.sk;

		if (sk->sk_protocol == iph->protocol &&
		    (!sk->sk_rcv_saddr || sk->sk_rcv_saddr == iph->saddr) &&
		    (!sk->sk_daddr || sk->sk_daddr == iph->daddr))
			raw_err(sk, skb, type, code, info);
	}
}

static int raw_bind(struct sock *sk, const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *addr = (const struct sockaddr_in *)(const void *)uaddr;
	unsigned int type;

	if (sk->sk_state != TCP_CLOSE || addr_len < (int)sizeof(*addr))
		return -EINVAL;
	if (addr->sin_family != AF_INET && addr->sin_family != AF_UNSPEC)
		return -EAFNOSUPPORT;
	type = inet_addr_type(sk->sk_stack, addr->sin_addr.s_addr);
	if (addr->sin_addr.s_addr && type != RTN_LOCAL && type != RTN_MULTICAST &&
	    type != RTN_BROADCAST)
		return -EADDRNOTAVAIL;
	sk->sk_rcv_saddr = addr->sin_addr.s_addr;
	inet_sk(sk)->inet_saddr = (type == RTN_MULTICAST || type == RTN_BROADCAST) ? 0
										  : addr->sin_addr.s_addr;
	sk_dst_reset(sk);
	return 0;
}

/* IP_HDRINCL: the user wrote the header; Linux fixes up only what it must. */
static int raw_send_hdrinc(struct sock *sk, struct sk_buff *skb, struct rtable *rt,
			   unsigned int len)
{
	struct iphdr *iph = (struct iphdr *)(void *)skb->data;

	if (len < sizeof(*iph) || iph->ihl < 5 || iph->ihl * 4u > len) {
		kfree_skb(skb);
		dst_release(&rt->dst);
		return -EINVAL;
	}
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, iph->ihl * 4);
	skb_dst_set(skb, &rt->dst);
	if (!iph->saddr)
		iph->saddr = inet_sk(sk)->inet_saddr ? inet_sk(sk)->inet_saddr
						     : inet_select_addr(rt->dst.dev, iph->daddr);
	if (!iph->id)
		iph->id = htons(ip_select_ident(sk->sk_stack, iph->saddr, iph->daddr, iph->protocol));
	skb->protocol = htons(ETH_P_IP);
	return ip_local_out(skb);
}

/**
 * raw_sendmsg - send the payload as one datagram of the socket's protocol
 * (or, with IP_HDRINCL, the whole datagram).  The destination's port is
 * ignored.  Return: @len or -errno.
 */
static int raw_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct inet_sock *inet = inet_sk(sk);
	const struct sockaddr_in *usin = msg->msg_name;
	struct flowi4 fl4 = { .saddr = sk->sk_rcv_saddr, .oif = sk->sk_bound_dev_if,
			      .proto = (u8)sk->sk_protocol, .tos = inet->tos };
	struct ipcm_cookie ipc;
	struct sk_buff *skb;
	struct rtable *rt;
	size_t off = 0;
	int err, ttl;

	if (len > 0xFFFF - (inet->hdrincl ? 0 : sizeof(struct iphdr)))
		return -EMSGSIZE;
	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	/* IP_PKTINFO, IP_TTL, IP_TOS messages, as raw_sendmsg's ip_cmsg_send */
	err = ip_cmsg_send(sk, msg, &ipc);
	if (err)
		return err;
	if (ipc.addr)
		fl4.saddr = ipc.addr;
	if (ipc.oif)
		fl4.oif = ipc.oif;
	if (ipc.tos >= 0)
		fl4.tos = (u8)ipc.tos;
	ttl = ipc.ttl > 0 ? ipc.ttl : (inet->uc_ttl < 0 ? 0 : inet->uc_ttl);
	if (usin) {
		if (msg->msg_namelen < sizeof(*usin))
			return -EINVAL;
		if (usin->sin_family != AF_INET && usin->sin_family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		fl4.daddr = usin->sin_addr.s_addr;
	} else {
		if (sk->sk_state != TCP_ESTABLISHED)
			return -EDESTADDRREQ;
		fl4.daddr = sk->sk_daddr;
	}
	rt = ip_route_output_flow(sk->sk_stack, &fl4);
	if (IS_ERR(rt)) {
		SNMP_INC_STATS(sk->sk_stack, IPSTATS_MIB_OUTNOROUTES);
		return (int)PTR_ERR(rt);
	}
	if (rt->rt_type == RTN_BROADCAST && !sock_flag(sk, SOCK_BROADCAST)) {
		dst_release(&rt->dst);
		return -EACCES;
	}
	skb = sock_alloc_send_skb(sk, MAX_HEADER + (unsigned int)len,
				  msg->msg_flags & MSG_DONTWAIT, &err);
	if (!skb) {
		dst_release(&rt->dst);
		return err;
	}
	skb_reserve(skb, MAX_HEADER);
	err = memcpy_from_msg(skb_put(skb, (unsigned int)len), msg, len, &off);
	if (err) {
		kfree_skb(skb);
		dst_release(&rt->dst);
		return err;
	}
	if (inet->hdrincl)
		err = raw_send_hdrinc(sk, skb, rt, (unsigned int)len);
	else
		err = ip_push_and_send(sk->sk_stack, skb, rt, fl4.saddr, fl4.daddr, fl4.proto,
				       (u8)ttl, fl4.tos, inet->pmtudisc >= IP_PMTUDISC_DO);
	return err < 0 && err != -EMSGSIZE ? err : (int)len;
}

/** raw_recvmsg - one datagram, from its IP header.  Return: bytes or -errno. */
static int raw_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len)
{
	ktime_t timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	struct sockaddr_in *sin = msg->msg_name;
	struct sk_buff *skb;
	size_t off = 0, copied;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_ERRQUEUE)
		return ip_recv_error(sk, msg, len, addr_len);
	for (;;) {
		err = sock_error(sk);
		if (err)
			return err;
		skb = skb_peek(&sk->sk_receive_queue);
		if (skb)
			break;
		if (sk->sk_shutdown & RCV_SHUTDOWN)
			return 0;
		err = sk_wait(sk, &timeo);
		if (err)
			return err;
	}
	if (!(flags & MSG_PEEK))
		skb_unlink(skb, &sk->sk_receive_queue);
	copied = len < skb->len ? len : skb->len;
	if (copied < skb->len)
		msg->msg_flags |= MSG_TRUNC;
	err = memcpy_to_msg(msg, skb->data, copied, &off);
	if (!err && sin) {
		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = ip_hdr(skb)->saddr;
		*addr_len = sizeof(*sin);
	}
	if (!err) {
		sock_recv_timestamp(msg, sk, skb);
		ip_cmsg_recv(msg, sk, skb);
	}
	err = err ? err : (int)((flags & MSG_TRUNC) ? skb->len : copied);
	if (!(flags & MSG_PEEK))
		consume_skb(skb);
	return err;
}

static int raw_init(struct sock *sk)
{
	struct raw_sock *rs = (struct raw_sock *)(void *)sk;

	list_add_tail(&rs->node, &sk->sk_stack->ipv4.raw_socks);
	return 0;
}

static void raw_close(struct sock *sk, long timeout)
{
	struct raw_sock *rs = (struct raw_sock *)(void *)sk;

	(void)timeout;
	list_del_init(&rs->node);
	sk_free(sk);
}

static int raw_disconnect(struct sock *sk, int flags)
{
	(void)flags;
	sk->sk_state = TCP_CLOSE;
	sk->sk_daddr = 0;
	sk_dst_reset(sk);
	return 0;
}

const struct proto raw_prot = {
	.name = "RAW",
	.obj_size = sizeof(struct raw_sock),
	.init = raw_init,
	.close = raw_close,
	.bind = raw_bind,
	.connect = ip4_datagram_connect,
	.disconnect = raw_disconnect,
	.sendmsg = raw_sendmsg,
	.recvmsg = raw_recvmsg,
	.setsockopt = ip_setsockopt,
	.getsockopt = ip_getsockopt,
	.ioctl = datagram_ioctl,
};
