/*
 * udp.c - UDP (RFC 768, RFC 1122 §4.1) (net/ipv4/udp.c, datagram.c).
 *
 * Read first: RFC 768; RFC 1122 §4.1.3 (checksums, ICMP port unreachable,
 * errors to the application); sock.h for the dispatch chain:
 *
 *   inet_sendmsg -> udp_sendmsg -> (route: dst cache if connected)
 *                -> ip_push_and_send -> ip_local_out -> ...
 *   ip_local_deliver_finish -> udp_rcv -> __udp4_lib_lookup
 *                -> sock_queue_rcv_skb -> sk_data_ready
 *   icmp_unreach / icmp_local_error -> udp_err -> sk_err (connected sockets)
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "alloc.h"
#include "udp.h"
#include "checksum.h"
#include "icmp.h"
#include "inetdevice.h"
#include "ip.h"
#include "ip_cmsg.h"
#include "route.h"
#include "sock.h"
#include "stack.h"
#include "portshare.h"

#define UDP_HTABLE_SIZE 1024
#define UDP_MAX_PAYLOAD (0xFFFF - sizeof(struct iphdr) - sizeof(struct udphdr))

struct udp_table {
	struct list_head hash[UDP_HTABLE_SIZE];
	unsigned int count;
};

/** udp_bucket - the chain of sockets bound to @port, of both families. */
struct list_head *udp_bucket(struct stack *st, u16 port)
{
	return &st->ipv4.udp->hash[port & (UDP_HTABLE_SIZE - 1)];
}

/* ---- ports ------------------------------------------------------------------- */

/* Would @sk on @port clash with a socket already there? (udp_lib_lport_inuse) */
static bool udp_port_inuse(struct stack *st, const struct sock *sk, u16 port)
{
	struct sock *sk2;

	list_for_each_entry(sk2, udp_bucket(st, port), sk_bind_node) {
		if (sk2 == sk || sk2->sk_num != port)
			continue;
		if (sk2->sk_rcv_saddr && sk->sk_rcv_saddr && sk2->sk_rcv_saddr != sk->sk_rcv_saddr)
			continue;
		if (sk2->sk_bound_dev_if && sk->sk_bound_dev_if &&
		    sk2->sk_bound_dev_if != sk->sk_bound_dev_if)
			continue;
		if ((sk->sk_reuse && sk2->sk_reuse) || (sk->sk_reuseport && sk2->sk_reuseport))
			continue;
		return true;
	}
	return false;
}

/**
 * udp_get_port - bind @sk to @snum, or to a free ephemeral port when 0
 * (net.ipv4.ip_local_port_range, searched from a random start so that ports
 * are not predictable, RFC 6056 §3.3.1).
 * Return: 0, or -EADDRINUSE.
 */
int udp_get_port(struct sock *sk, u16 snum)
{
	struct stack *st = sk->sk_stack;

	if (!snum) {
		snum = inet_ephemeral_port(sk, udp_port_inuse);
		if (!snum)
			return -EADDRINUSE;
	} else if (udp_port_inuse(st, sk, snum)) {
		return -EADDRINUSE;
	}
	/* Another process on our address may own it (portshare.h). */
	if (stack_port_claim(st, IPPROTO_UDP, snum))
		return -EADDRINUSE;
	sk->sk_num = snum;
	list_add_tail(&sk->sk_bind_node, udp_bucket(st, snum));
	st->ipv4.udp->count++;
	sock_reset_flag(sk, SOCK_ZAPPED);
	return 0;
}

void udp_unhash(struct sock *sk)
{
	if (sk->sk_num && !list_empty(&sk->sk_bind_node)) {
		list_del_init(&sk->sk_bind_node);
		sk->sk_stack->ipv4.udp->count--;
		stack_port_release(sk->sk_stack, IPPROTO_UDP, sk->sk_num);
	}
	sk->sk_num = 0;
	inet_sk(sk)->inet_sport = 0;
}

/* ---- lookup ------------------------------------------------------------------ */

/* How well @sk matches a datagram (compute_score); -1: not at all. */
static int udp_score(const struct sock *sk, __be32 saddr, __be16 sport, __be32 daddr, u16 hnum,
		     int dif)
{
	int score = 0;

	/* an AF_INET6 socket gets IPv4 datagrams only in dual-stack mode, not yet */
	if (sk->sk_num != hnum || sk->sk_family != AF_INET)
		return -1;
	if (sk->sk_rcv_saddr) {
		if (sk->sk_rcv_saddr != daddr)
			return -1;
		score += 4;
	}
	if (sk->sk_daddr) {
		if (sk->sk_daddr != saddr)
			return -1;
		score += 4;
	}
	if (sk->sk_dport) {
		if (sk->sk_dport != sport)
			return -1;
		score += 4;
	}
	if (sk->sk_bound_dev_if) {
		if (sk->sk_bound_dev_if != dif)
			return -1;
		score += 4;
	}
	return score;
}

/**
 * __udp4_lib_lookup - the socket for a datagram from @saddr:@sport to
 * @daddr:@dport: the best match wins (connected over bound over wildcard);
 * among equally good SO_REUSEPORT sockets the flow hash picks one.
 */
struct sock *__udp4_lib_lookup(struct stack *st, __be32 saddr, __be16 sport, __be32 daddr,
			       __be16 dport, int dif)
{
	u16 hnum = ntohs(dport);
	struct sock *sk, *best = NULL;
	int best_score = -1, matches = 0;
	u32 hash = (saddr ^ ((u32)sport << 16)) * 0x9e3779b1u;

	list_for_each_entry(sk, udp_bucket(st, hnum), sk_bind_node) {
		int score = udp_score(sk, saddr, sport, daddr, hnum, dif);

		if (score < 0 || score < best_score)
			continue;
		if (score > best_score) {
			best = sk;
			best_score = score;
			matches = 1;
		} else if (sk->sk_reuseport && best->sk_reuseport) {
			/* reservoir choice: same flow, same socket */
			matches++;
			if ((hash >> 8) % (u32)matches == 0)
				best = sk;
		}
	}
	return best;
}

/* ---- receive ------------------------------------------------------------------ */

/* RFC 768: a zero checksum means none; a device may have verified it. */
static bool udp_csum_ok(struct sk_buff *skb, const struct udphdr *uh, unsigned int ulen)
{
	const struct iphdr *iph = ip_hdr(skb);

	if (!uh->check || skb->ip_summed == CHECKSUM_UNNECESSARY)
		return true;
	/* A kernel peer on veth hands over its own partial checksum: the data
	 * never left the machine, so, like Linux, trust it. */
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		return true;
	return csum_tcpudp_magic(iph->saddr, iph->daddr, ulen, IPPROTO_UDP,
				 csum_partial(uh, ulen, 0)) == 0;
}

/** udp_queue_rcv_skb - hand a datagram (data at the UDP payload) to @sk.  Consumes @skb. */
void udp_queue_rcv_skb(struct sock *sk, struct sk_buff *skb)
{
	struct stack *st = sk->sk_stack;

	/* It may wait for the application: never pin a device buffer. */
	if (skb_has_external_data(skb)) {
		struct sk_buff *c = skb_copy_compact(skb);

		consume_skb(skb);
		if (!c) {
			SNMP_INC_STATS(st, UDP_MIB_RCVBUFERRORS);
			SNMP_INC_STATS(st, UDP_MIB_INERRORS);
			return;
		}
		skb = c;
	}
	if (sock_queue_rcv_skb(sk, skb)) {
		SNMP_INC_STATS(st, UDP_MIB_RCVBUFERRORS);
		SNMP_INC_STATS(st, UDP_MIB_INERRORS);
		kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
	}
}

/* Broadcast (and multicast): every socket bound to the port gets a copy. */
static void udp_mcast_deliver(struct stack *st, struct sk_buff *skb, const struct udphdr *uh,
			      __be32 saddr, __be32 daddr)
{
	u16 hnum = ntohs(uh->dest);
	struct sock *sk, *last = NULL;

	list_for_each_entry(sk, udp_bucket(st, hnum), sk_bind_node) {
		if (udp_score(sk, saddr, uh->source, daddr, hnum, skb->dev->ifindex) < 0 &&
		    !(sk->sk_num == hnum && !sk->sk_daddr && sk->sk_family == AF_INET))
			continue;
		if (last) {
			struct sk_buff *c = skb_clone(skb);

			if (c)
				udp_queue_rcv_skb(last, c);
		}
		last = sk;
	}
	if (last) {
		udp_queue_rcv_skb(last, skb);
		return;
	}
	SNMP_INC_STATS(st, UDP_MIB_NOPORTS);
	kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
}

/**
 * udp_rcv - the IPPROTO_UDP handler; data at the UDP header.  Consumes @skb.
 */
int udp_rcv(struct sk_buff *skb)
{
	struct stack *st = skb->stack;
	const struct udphdr *uh;
	const struct iphdr *iph = ip_hdr(skb);
	struct sock *sk;
	unsigned int ulen;

	if (!pskb_may_pull(skb, sizeof(*uh)))
		goto short_packet;
	uh = (const struct udphdr *)(const void *)skb->data;
	ulen = ntohs(uh->len);
	if (ulen > skb->len || ulen < sizeof(*uh))
		goto short_packet;
	skb_trim(skb, ulen);
	if (!udp_csum_ok(skb, uh, ulen)) {
		SNMP_INC_STATS(st, UDP_MIB_INCSUMERRORS);
		SNMP_INC_STATS(st, UDP_MIB_INERRORS);
		kfree_skb_reason(skb, SKB_DROP_REASON_UDP_CSUM);
		return 0;
	}
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	__skb_pull(skb, sizeof(*uh));

	if (skb_rtable(skb)->rt_type == RTN_BROADCAST || skb_rtable(skb)->rt_type == RTN_MULTICAST) {
		udp_mcast_deliver(st, skb, uh, iph->saddr, iph->daddr);
		return 0;
	}
	sk = __udp4_lib_lookup(st, iph->saddr, uh->source, iph->daddr, uh->dest, skb->dev->ifindex);
	if (sk) {
		udp_queue_rcv_skb(sk, skb);
		return 0;
	}
	/* RFC 1122 §4.1.3.1: no one listens: port unreachable. */
	SNMP_INC_STATS(st, UDP_MIB_NOPORTS);
	__skb_push(skb, sizeof(*uh));
	if (stack_may_answer(st, IPPROTO_UDP, ntohs(uh->dest)))
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
	kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
	return 0;

short_packet:
	SNMP_INC_STATS(st, UDP_MIB_INERRORS);
	kfree_skb_reason(skb, SKB_DROP_REASON_PKT_TOO_SMALL);
	return 0;
}

/**
 * udp_err - an ICMP error (or a local failure) about a datagram we sent;
 * @skb's data is at the quoted IP header.  RFC 1122 §4.1.3.3: pass it to the
 * application; Linux does so only for connected sockets or with IP_RECVERR,
 * since an unconnected socket cannot tell which send it was about.
 */
int udp_err(struct sk_buff *skb, u8 type, u8 code, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)(const void *)skb->data;
	const struct udphdr *uh;
	struct sock *sk;
	bool harderr;
	int err;

	if (skb->len < iph->ihl * 4u + 8)
		return -EINVAL;
	uh = (const struct udphdr *)(const void *)(skb->data + iph->ihl * 4u);
	sk = __udp4_lib_lookup(skb->stack, iph->daddr, uh->dest, iph->saddr, uh->source, 0);
	if (!sk)
		return 0;
	icmp_err_update_pmtu(skb, type, code, info);
	err = icmp_err_convert(type, code, &harderr);
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
		err = EMSGSIZE;
		harderr = inet_sk(sk)->pmtudisc != IP_PMTUDISC_DONT;
	}
	if (!err)
		return 0;
	if (!inet_sk(sk)->recverr && (!harderr || sk->sk_state != TCP_ESTABLISHED))
		return 0;
	ip_icmp_error(sk, skb, err, uh->dest, info, (const u8 *)(uh + 1));
	sk->sk_err = err;
	sk->sk_error_report(sk);
	return 0;
}

/* ---- send --------------------------------------------------------------------- */

static int udp_dest(struct sock *sk, struct msghdr *msg, __be32 *daddr, __be16 *dport)
{
	const struct sockaddr_in *usin = msg->msg_name;

	if (usin) {
		if (msg->msg_namelen < sizeof(*usin))
			return -EINVAL;
		if (usin->sin_family != AF_INET && usin->sin_family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		*daddr = usin->sin_addr.s_addr;
		*dport = usin->sin_port;
		return *dport ? 0 : -EINVAL;
	}
	if (sk->sk_state != TCP_ESTABLISHED)
		return -EDESTADDRREQ;
	*daddr = sk->sk_daddr;
	*dport = sk->sk_dport;
	return 1; /* connected */
}

/* The route: the socket's cache when connected, else a lookup (not cached). */
static struct rtable *udp_route(struct sock *sk, __be32 daddr, bool connected, __be32 *saddr,
				const struct ipcm_cookie *ipc)
{
	struct inet_sock *inet = inet_sk(sk);
	struct flowi4 fl4 = { .daddr = daddr, .saddr = sk->sk_rcv_saddr, .oif = sk->sk_bound_dev_if,
			      .proto = IPPROTO_UDP, .tos = inet->tos };
	struct dst_entry *dst;
	struct rtable *rt;

	/* IP_PKTINFO / IP_TOS messages: a route of this datagram's own */
	if (ipc && (ipc->addr || ipc->oif || ipc->tos >= 0)) {
		connected = false;
		if (ipc->addr)
			fl4.saddr = ipc->addr;
		if (ipc->oif)
			fl4.oif = ipc->oif;
		if (ipc->tos >= 0)
			fl4.tos = (u8)ipc->tos;
	}
	if (connected && (dst = __sk_dst_check(sk)) != NULL) {
		*saddr = inet->inet_saddr;
		return (struct rtable *)(void *)dst_clone(dst);
	}
	rt = ip_route_output_flow(sk->sk_stack, &fl4);
	if (IS_ERR(rt)) {
		SNMP_INC_STATS(sk->sk_stack, IPSTATS_MIB_OUTNOROUTES);
		return rt;
	}
	*saddr = fl4.saddr;
	if (connected)
		sk_dst_set(sk, dst_clone(&rt->dst));
	return rt;
}

/*
 * Send the datagram in @skb (data at its UDP header, payload filled) to
 * @daddr:@dport: route, DF by the PMTU mode, checksum, IP.  Consumes @skb.
 * Return: 0 or -errno.
 */
static int udp_send_skb(struct sock *sk, struct sk_buff *skb, __be32 daddr, __be16 dport,
			bool connected, const struct ipcm_cookie *ipc)
{
	struct inet_sock *inet = inet_sk(sk);
	struct stack *st = sk->sk_stack;
	unsigned int len = skb->len - (unsigned int)sizeof(struct udphdr);
	struct udphdr *uh = (struct udphdr *)(void *)skb->data;
	struct rtable *rt;
	__be32 saddr;
	bool df;
	int err, ttl;

	rt = udp_route(sk, daddr, connected, &saddr, ipc);
	if (IS_ERR(rt)) {
		kfree_skb(skb);
		return (int)PTR_ERR(rt);
	}
	err = -EACCES;
	if (rt->rt_type == RTN_BROADCAST && !sock_flag(sk, SOCK_BROADCAST))
		goto drop;
	/* IP_PMTUDISC_WANT/DO: DF when it fits; DO refuses what does not. */
	df = inet->pmtudisc >= IP_PMTUDISC_DO ||
	     (inet->pmtudisc == IP_PMTUDISC_WANT && len + 28 <= dst_mtu(&rt->dst));
	err = -EMSGSIZE;
	if (inet->pmtudisc == IP_PMTUDISC_DO && len + 28 > dst_mtu(&rt->dst))
		goto drop;
	uh->source = inet->inet_sport;
	uh->dest = dport;
	uh->len = htons((u16)skb->len);
	uh->check = 0;
	uh->check = csum_tcpudp_magic(saddr, daddr, skb->len, IPPROTO_UDP,
				      csum_partial(uh, skb->len, 0));
	if (!uh->check)
		uh->check = 0xffff; /* RFC 768: a computed zero is sent as all ones */
	ttl = inet->uc_ttl < 0 ? 0 : inet->uc_ttl;
	if (ipc && ipc->ttl > 0)
		ttl = ipc->ttl;
	err = ip_push_and_send(st, skb, rt, saddr, daddr, IPPROTO_UDP, (u8)ttl,
			       ipc && ipc->tos >= 0 ? (u8)ipc->tos : inet->tos, df);
	if (err && err != -EMSGSIZE) {
		if (err != -ENOBUFS)
			return err;
		/* Linux's udp_send_skb: a datagram lost for want of buffers is
		 * counted, and reported to the sender only with IP_RECVERR. */
		SNMP_INC_STATS(st, UDP_MIB_SNDBUFERRORS);
		return inet->recverr ? err : 0;
	}
	SNMP_INC_STATS(st, UDP_MIB_OUTDATAGRAMS);
	return 0;
drop:
	kfree_skb(skb);
	dst_release(&rt->dst);
	return err;
}

/* Send the corked datagram, if any (udp_push_pending_frames). */
static int udp_push_pending(struct sock *sk)
{
	struct udp_sock *up = udp_sk(sk);
	struct sk_buff *skb = up->pending;

	if (!skb)
		return 0;
	up->pending = NULL;
	return udp_send_skb(sk, skb, up->pend_daddr, up->pend_dport, up->pend_connected, NULL);
}

/* Add @len bytes of @msg to the corked datagram (starting one if needed). */
static int udp_append(struct sock *sk, struct msghdr *msg, size_t len, __be32 daddr,
		      __be16 dport, bool connected)
{
	struct udp_sock *up = udp_sk(sk);
	size_t off = 0;
	int err;

	if (!up->pending) {
		struct sk_buff *skb = sock_alloc_send_skb(sk, MAX_HEADER + sizeof(struct udphdr) +
							  (unsigned int)UDP_MAX_PAYLOAD,
							  msg->msg_flags & MSG_DONTWAIT, &err);

		if (!skb)
			return err;
		skb_reserve(skb, MAX_HEADER);
		skb_put(skb, sizeof(struct udphdr));
		up->pending = skb;
		up->pend_daddr = daddr;
		up->pend_dport = dport;
		up->pend_connected = connected;
	}
	if (up->pending->len - sizeof(struct udphdr) + len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	return memcpy_from_msg(skb_put(up->pending, (unsigned int)len), msg, len, &off);
}

/**
 * udp_sendmsg - send one datagram of @len bytes from @msg's iovecs, or add
 * them to the corked one (UDP_CORK, MSG_MORE), whose destination is the
 * first part's.  Return: @len, or -errno (EMSGSIZE, EDESTADDRREQ, EINVAL,
 * EAFNOSUPPORT, EACCES for a broadcast without SO_BROADCAST, ENETUNREACH,
 * EAGAIN, ...).
 */
int udp_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct udp_sock *up = udp_sk(sk);
	bool corkreq = up->corkflag || (msg->msg_flags & MSG_MORE);
	__be32 daddr;
	__be16 dport;
	struct ipcm_cookie ipc;
	struct sk_buff *skb;
	size_t off = 0;
	int connected, err;

	if (len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	err = ip_cmsg_send(sk, msg, &ipc);
	if (err)
		return err;
	if (up->pending) {
		err = udp_append(sk, msg, len, 0, 0, false);
		if (!err && !corkreq)
			err = udp_push_pending(sk);
		return err ? err : (int)len;
	}
	connected = udp_dest(sk, msg, &daddr, &dport);
	if (connected < 0)
		return connected;
	if (corkreq) {
		err = udp_append(sk, msg, len, daddr, dport, connected);
		return err ? err : (int)len;
	}
	skb = sock_alloc_send_skb(sk, MAX_HEADER + sizeof(struct udphdr) + (unsigned int)len,
				  msg->msg_flags & MSG_DONTWAIT, &err);
	if (!skb)
		return err;
	skb_reserve(skb, MAX_HEADER);
	skb_put(skb, sizeof(struct udphdr));
	err = memcpy_from_msg(skb_put(skb, (unsigned int)len), msg, len, &off);
	if (err) {
		kfree_skb(skb);
		return err;
	}
	err = udp_send_skb(sk, skb, daddr, dport, connected, &ipc);
	return err ? err : (int)len;
}

/* ---- receive to the application ------------------------------------------------ */

/** udp_recv_skb - the next datagram for the application (waits as the socket says). */
struct sk_buff *udp_recv_skb(struct sock *sk, int flags, bool noblock, int *err)
{
	ktime_t timeo = sock_rcvtimeo(sk, noblock);
	struct sk_buff *skb;

	for (;;) {
		*err = sock_error(sk);
		if (*err)
			return NULL;
		skb = skb_peek(&sk->sk_receive_queue);
		if (skb) {
			if (!(flags & MSG_PEEK))
				skb_unlink(skb, &sk->sk_receive_queue);
			return skb;
		}
		if (sk->sk_shutdown & RCV_SHUTDOWN) {
			*err = 0;
			return NULL;
		}
		*err = sk_wait(sk, &timeo);
		if (*err)
			return NULL;
	}
}

/**
 * udp_recvmsg - one datagram into @msg.  MSG_PEEK leaves it queued;
 * MSG_TRUNC makes the return value the datagram's real length; a datagram
 * longer than the buffer sets MSG_TRUNC in msg_flags and the rest is lost.
 * Return: bytes, 0 after shutdown(SHUT_RD), or -errno.
 */
int udp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len)
{
	bool noblock = flags & MSG_DONTWAIT;
	struct sockaddr_in *sin = msg->msg_name;
	struct sk_buff *skb;
	size_t off = 0, copied;
	unsigned int ulen;
	int err;

	if (flags & MSG_ERRQUEUE)
		return ip_recv_error(sk, msg, len, addr_len);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	skb = udp_recv_skb(sk, flags, noblock, &err);
	if (!skb)
		return err;
	ulen = skb->len;
	copied = len < ulen ? len : ulen;
	if (copied < ulen)
		msg->msg_flags |= MSG_TRUNC;
	err = memcpy_to_msg(msg, skb->data, copied, &off);
	if (!err && sin) {
		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_port = ((const struct udphdr *)(const void *)skb_transport_header(skb))->source;
		sin->sin_addr.s_addr = ip_hdr(skb)->saddr;
		*addr_len = sizeof(*sin);
	}
	if (!err) {
		sock_recv_timestamp(msg, sk, skb);
		ip_cmsg_recv(msg, sk, skb);
	}
	if (!(flags & MSG_PEEK)) {
		SNMP_INC_STATS(sk->sk_stack, UDP_MIB_INDATAGRAMS);
		consume_skb(skb);
	}
	if (err)
		return err;
	return (int)((flags & MSG_TRUNC) ? ulen : copied);
}

/* ---- connect / close / options ---------------------------------------------------- */

/**
 * ip4_datagram_connect - remember the peer, pick the source and cache the
 * route (net/ipv4/datagram.c).  Return: 0 or -errno.
 */
int ip4_datagram_connect(struct sock *sk, const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *usin = (const struct sockaddr_in *)(const void *)uaddr;
	struct inet_sock *inet = inet_sk(sk);
	struct flowi4 fl4 = { 0 };
	struct rtable *rt;

	if (addr_len < (int)sizeof(*usin))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	sk_dst_reset(sk);
	fl4.daddr = usin->sin_addr.s_addr;
	fl4.saddr = sk->sk_rcv_saddr;
	fl4.oif = sk->sk_bound_dev_if;
	fl4.proto = (u8)sk->sk_protocol;
	fl4.tos = inet->tos;
	rt = ip_route_output_flow(sk->sk_stack, &fl4);
	if (IS_ERR(rt)) {
		if (PTR_ERR(rt) == -ENETUNREACH)
			SNMP_INC_STATS(sk->sk_stack, IPSTATS_MIB_OUTNOROUTES);
		return (int)PTR_ERR(rt);
	}
	if (rt->rt_type == RTN_BROADCAST && !sock_flag(sk, SOCK_BROADCAST)) {
		dst_release(&rt->dst);
		return -EACCES;
	}
	if (!inet->inet_saddr)
		inet->inet_saddr = fl4.saddr;
	if (!sk->sk_rcv_saddr)
		sk->sk_rcv_saddr = fl4.saddr;
	sk->sk_daddr = fl4.daddr;
	sk->sk_dport = usin->sin_port;
	sk->sk_state = TCP_ESTABLISHED;
	sk_dst_set(sk, &rt->dst);
	return 0;
}

/** udp_disconnect - connect(AF_UNSPEC): forget the peer, keep what bind() fixed. */
int udp_disconnect(struct sock *sk, int flags)
{
	struct inet_sock *inet = inet_sk(sk);

	(void)flags;
	sk->sk_state = TCP_CLOSE;
	sk->sk_daddr = 0;
	sk->sk_dport = 0;
	sk->sk_bound_dev_if = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK)) {
		sk->sk_rcv_saddr = 0;
		inet->inet_saddr = 0;
	}
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		udp_unhash(sk);
	sk_dst_reset(sk);
	return 0;
}

void udp_close(struct sock *sk, long timeout)
{
	(void)timeout;
	kfree_skb(udp_sk(sk)->pending);
	udp_sk(sk)->pending = NULL;
	udp_unhash(sk);
	sk_free(sk);
}

int udp_setsockopt(struct sock *sk, int level, int optname, const void *optval,
			  unsigned int optlen)
{
	int val;

	if (level != IPPROTO_UDP)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	if (optlen < sizeof(int))
		return -EINVAL;
	memcpy(&val, optval, sizeof(val));
	switch (optname) {
	case UDP_CORK:
		udp_sk(sk)->corkflag = val != 0;
		if (!val)
			udp_push_pending(sk);
		return 0;
	default:
		return -ENOPROTOOPT; /* UDP_SEGMENT, UDP_GRO ...: not yet */
	}
}

int udp_getsockopt(struct sock *sk, int level, int optname, void *optval,
			  unsigned int *optlen)
{
	unsigned int len = *optlen;
	int val;

	if (level != IPPROTO_UDP)
		return ip_getsockopt(sk, level, optname, optval, optlen);
	if ((int)len < 0)
		return -EINVAL;
	switch (optname) {
	case UDP_CORK:
		val = udp_sk(sk)->corkflag;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (len > sizeof(int))
		len = sizeof(int);
	memcpy(optval, &val, len);
	*optlen = len;
	return 0;
}

const struct proto udp_prot = {
	.name = "UDP",
	.obj_size = sizeof(struct udp_sock),
	.close = udp_close,
	.connect = ip4_datagram_connect,
	.disconnect = udp_disconnect,
	.get_port = udp_get_port,
	.unhash = udp_unhash,
	.sendmsg = udp_sendmsg,
	.recvmsg = udp_recvmsg,
	.setsockopt = udp_setsockopt,
	.getsockopt = udp_getsockopt,
	.ioctl = datagram_ioctl,
};

static const struct net_protocol udp_protocol = {
	.handler = udp_rcv,
	.err_handler = udp_err,
};

/** udp_init - the UDP table and protocol handler.  Return: 0 or -errno. */
int udp_init(struct stack *st)
{
	struct udp_table *t = kzalloc(st->failslab, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (int i = 0; i < UDP_HTABLE_SIZE; i++)
		INIT_LIST_HEAD(&t->hash[i]);
	st->ipv4.udp = t;
	return inet_add_protocol(st, &udp_protocol, IPPROTO_UDP);
}

void udp_exit(struct stack *st)
{
	inet_del_protocol(st, &udp_protocol, IPPROTO_UDP);
	kfree(st->failslab, st->ipv4.udp);
	st->ipv4.udp = NULL;
}

unsigned int udp_socket_count(const struct stack *st)
{
	return st->ipv4.udp ? st->ipv4.udp->count : 0;
}

/**
 * udp_for_each_sock - call @fn for every bound UDP socket (skbos-stat).
 * @fn must not change the table.  Stack lock held.
 */
void udp_for_each_sock(struct stack *st, void (*fn)(struct sock *sk, void *arg), void *arg)
{
	struct sock *sk;

	if (!st->ipv4.udp)
		return;
	for (int i = 0; i < UDP_HTABLE_SIZE; i++)
		list_for_each_entry(sk, &st->ipv4.udp->hash[i], sk_bind_node)
			fn(sk, arg);
}
