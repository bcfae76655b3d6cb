/*
 * udp_ipv6.c - UDP over IPv6 (net/ipv6/udp.c): the IPv6 halves of receive,
 * send and connect; the port table, the queueing, the receive wait, close
 * and the options are udp.c's, shared as Linux's udpv6_prot shares them.
 *
 *   ip6_input_finish -> udpv6_rcv (length, mandatory checksum) -> lookup
 *	-> udp_queue_rcv_skb | ICMPv6 port unreachable
 *   udpv6_sendmsg -> ip6_route_output -> checksum (pseudo-header) -> ip6_xmit
 *
 * Read first: RFC 8200 §8.1 (the pseudo-header, and that a zero UDP
 * checksum is invalid over IPv6), RFC 768.  Not yet: dual-stack delivery of
 * IPv4 to AF_INET6 sockets (IPV6_V6ONLY 0), UDP_CORK/MSG_MORE and ancillary
 * data on AF_INET6 sockets.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

#include "addrconf.h"
#include "checksum.h"
#include "icmpv6.h"
#include "ip6_route.h"
#include "ipv6.h"
#include "stack.h"
#include "udp.h"
#include "portshare.h"

#define UDPV6_MAX_PAYLOAD (0xFFFF - sizeof(struct udphdr))

/* compute_score for AF_INET6 sockets; -1: not at all. */
static int udpv6_score(const struct sock *sk, const struct in6_addr *saddr, __be16 sport,
		       const struct in6_addr *daddr, u16 hnum, int dif)
{
	int score = 0;

	if (sk->sk_num != hnum || sk->sk_family != AF_INET6)
		return -1;
	if (!ipv6_addr_any(&sk->sk_v6_rcv_saddr)) {
		if (!ipv6_addr_equal(&sk->sk_v6_rcv_saddr, daddr))
			return -1;
		score += 4;
	}
	if (!ipv6_addr_any(&sk->sk_v6_daddr)) {
		if (!ipv6_addr_equal(&sk->sk_v6_daddr, saddr))
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

/** __udp6_lib_lookup - the best AF_INET6 socket for a datagram (connected > bound > any). */
struct sock *__udp6_lib_lookup(struct stack *st, const struct in6_addr *saddr, __be16 sport,
			       const struct in6_addr *daddr, __be16 dport, int dif)
{
	u16 hnum = ntohs(dport);
	struct sock *sk, *best = NULL;
	int best_score = -1;

	list_for_each_entry(sk, udp_bucket(st, hnum), sk_bind_node) {
		int score = udpv6_score(sk, saddr, sport, daddr, hnum, dif);

		if (score > best_score) {
			best = sk;
			best_score = score;
		}
	}
	return best;
}

static bool udpv6_csum_ok(struct sk_buff *skb, const struct udphdr *uh, unsigned int ulen)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);

	/* RFC 8200 §8.1: "IPv6 receivers must discard UDP packets containing
	 * a zero checksum" */
	if (!uh->check)
		return false;
	if (skb->ip_summed == CHECKSUM_UNNECESSARY || skb->ip_summed == CHECKSUM_PARTIAL)
		return true; /* verified, or a veth peer's own partial sum (udp.c) */
	return !csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, ulen, IPPROTO_UDP,
				csum_partial(uh, ulen, 0));
}

/** udpv6_rcv - the NEXTHDR_UDP handler; data at the UDP header.  Consumes @skb. */
int udpv6_rcv(struct sk_buff *skb)
{
	struct stack *st = skb->stack;
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	const struct udphdr *uh;
	struct sock *sk;
	unsigned int ulen;

	if (!pskb_may_pull(skb, sizeof(*uh)))
		goto short_packet;
	uh = (const struct udphdr *)(const void *)skb->data;
	ulen = ntohs(uh->len);
	/* a length of 0 belongs to jumbograms (RFC 2675), not accepted */
	if (ulen > skb->len || ulen < sizeof(*uh))
		goto short_packet;
	skb_trim(skb, ulen);
	if (!udpv6_csum_ok(skb, uh, ulen)) {
		SNMP_INC_STATS(st, UDP_MIB_INCSUMERRORS);
		SNMP_INC_STATS(st, UDP_MIB_INERRORS);
		kfree_skb_reason(skb, SKB_DROP_REASON_UDP_CSUM);
		return 0;
	}
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	sk = __udp6_lib_lookup(st, &ip6h->saddr, uh->source, &ip6h->daddr, uh->dest,
			       skb->dev->ifindex);
	if (sk) {
		__skb_pull(skb, sizeof(*uh));
		udp_queue_rcv_skb(sk, skb);
		return 0;
	}
	SNMP_INC_STATS(st, UDP_MIB_NOPORTS);
	if (stack_may_answer(st, IPPROTO_UDP, ntohs(uh->dest)))
		icmpv6_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0);
	kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
	return 0;

short_packet:
	SNMP_INC_STATS(st, UDP_MIB_INERRORS);
	kfree_skb_reason(skb, SKB_DROP_REASON_PKT_TOO_SMALL);
	return 0;
}

/*
 * An ICMPv6 error about a datagram we sent: as udp_err, only a connected
 * socket hears it (Linux without IPV6_RECVERR).  skb->data is at the
 * ICMPv6 header; the quoted UDP header is @offset into it.
 */
static int udpv6_err(struct sk_buff *skb, u8 type, u8 code, int offset, __be32 info)
{
	const struct ipv6hdr *inner = (const struct ipv6hdr *)(void *)(skb->data + 8);
	const struct udphdr *uh;
	struct sock *sk;
	int err;

	(void)info;
	if (skb->len < (unsigned int)offset + 8)
		return -EINVAL;
	uh = (const struct udphdr *)(const void *)(skb->data + offset);
	sk = __udp6_lib_lookup(skb->stack, &inner->daddr, uh->dest, &inner->saddr, uh->source, 0);
	if (!sk || sk->sk_state != TCP_ESTABLISHED)
		return 0;
	/* icmpv6_err_convert: unreachables are hard errors, the rest soft */
	if (type == ICMPV6_DEST_UNREACH)
		err = code == ICMPV6_PORT_UNREACH ? ECONNREFUSED : code == ICMPV6_ADM_PROHIBITED
			? EACCES : EHOSTUNREACH;
	else if (type == ICMPV6_PARAMPROB)
		err = EPROTO;
	else
		return 0; /* Packet Too Big already lowered the path MTU; time exceeded is soft */
	sk->sk_err = err;
	sk->sk_error_report(sk);
	return 0;
}

/* ---- send ------------------------------------------------------------------ */

static int udpv6_dest(struct sock *sk, struct msghdr *msg, struct in6_addr *daddr, __be16 *dport,
		      int *oif)
{
	const struct sockaddr_in6 *sin6 = msg->msg_name;

	if (sin6) {
		if (msg->msg_namelen < sizeof(*sin6))
			return -EINVAL;
		if (sin6->sin6_family != AF_INET6)
			return -EAFNOSUPPORT;
		/* v4-mapped destinations need dual-stack sockets: not yet */
		if (ipv6_addr_v4mapped(&sin6->sin6_addr))
			return -ENETUNREACH;
		*daddr = sin6->sin6_addr;
		*dport = sin6->sin6_port;
		*oif = (int)sin6->sin6_scope_id;
		return *dport ? 0 : -EINVAL;
	}
	if (sk->sk_state != TCP_ESTABLISHED)
		return -EDESTADDRREQ;
	*daddr = sk->sk_v6_daddr;
	*dport = sk->sk_dport;
	*oif = sk->sk_bound_dev_if;
	return 1;
}

/**
 * udpv6_sendmsg - one datagram of @len bytes to the address in @msg or the
 * connected peer.  Return: @len or -errno (EMSGSIZE, EDESTADDRREQ, EINVAL,
 * EAFNOSUPPORT, ENETUNREACH, EADDRNOTAVAIL, EAGAIN, ...).
 */
int udpv6_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct stack *st = sk->sk_stack;
	struct flowi6 fl6 = { .proto = IPPROTO_UDP, .saddr = sk->sk_v6_rcv_saddr };
	struct rt6_info *rt;
	struct sk_buff *skb;
	struct udphdr *uh;
	__be16 dport;
	size_t off = 0;
	int err;

	if (len > UDPV6_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (msg->msg_controllen || (msg->msg_flags & MSG_MORE) || udp_sk(sk)->corkflag)
		return -EOPNOTSUPP; /* the file's header: not yet for AF_INET6 */
	err = udpv6_dest(sk, msg, &fl6.daddr, &dport, &fl6.oif);
	if (err < 0)
		return err;
	if (!fl6.oif)
		fl6.oif = sk->sk_bound_dev_if;
	rt = ip6_route_output(st, &fl6);
	if (IS_ERR(rt)) {
		SNMP_INC_STATS(st, IPSTATS6_MIB_OUTNOROUTES);
		return (int)PTR_ERR(rt);
	}
	skb = sock_alloc_send_skb(sk, MAX_HEADER + sizeof(*uh) + (unsigned int)len,
				  msg->msg_flags & MSG_DONTWAIT, &err);
	if (!skb) {
		dst_release(&rt->dst);
		return err;
	}
	skb_reserve(skb, MAX_HEADER);
	uh = (struct udphdr *)(void *)skb_put(skb, sizeof(*uh));
	err = memcpy_from_msg(skb_put(skb, (unsigned int)len), msg, len, &off);
	if (err) {
		kfree_skb(skb);
		dst_release(&rt->dst);
		return err;
	}
	uh->source = inet_sk(sk)->inet_sport;
	uh->dest = dport;
	uh->len = htons((u16)skb->len);
	uh->check = 0;
	uh->check = csum_ipv6_magic(&fl6.saddr, &fl6.daddr, skb->len, IPPROTO_UDP,
				    csum_partial(uh, skb->len, 0));
	if (!uh->check)
		uh->check = 0xffff; /* RFC 8200 §8.1: a computed zero goes as all ones */
	skb_dst_set(skb, &rt->dst);
	err = ip6_xmit(st, skb, &fl6.saddr, &fl6.daddr, IPPROTO_UDP, 0, 0);
	if (err && err != -ENOBUFS)
		return err;
	SNMP_INC_STATS(st, err ? UDP_MIB_SNDBUFERRORS : UDP_MIB_OUTDATAGRAMS);
	return (int)len;
}

/**
 * udpv6_recvmsg - one datagram into @msg, its source as a sockaddr_in6;
 * MSG_PEEK and MSG_TRUNC as udp_recvmsg.  Return: bytes or -errno.
 */
int udpv6_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len)
{
	struct sockaddr_in6 *sin6 = msg->msg_name;
	struct sk_buff *skb;
	size_t off = 0, copied;
	unsigned int ulen;
	int err;

	if (flags & (MSG_OOB | MSG_ERRQUEUE))
		return -EOPNOTSUPP;
	skb = udp_recv_skb(sk, flags, flags & MSG_DONTWAIT, &err);
	if (!skb)
		return err;
	ulen = skb->len;
	copied = len < ulen ? len : ulen;
	if (copied < ulen)
		msg->msg_flags |= MSG_TRUNC;
	err = memcpy_to_msg(msg, skb->data, copied, &off);
	if (!err && sin6) {
		memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = ((const struct udphdr *)(const void *)skb_transport_header(skb))->source;
		/* the header may sit 2 bytes off a word in a device buffer */
		memcpy(&sin6->sin6_addr, skb_network_header(skb) + offsetof(struct ipv6hdr, saddr),
		       sizeof(sin6->sin6_addr));
		/* ipv6(7): the scope of a link-local source is its interface */
		if (ipv6_addr_linklocal(&sin6->sin6_addr))
			sin6->sin6_scope_id = (u32)IP6CB(skb)->iif;
		*addr_len = sizeof(*sin6);
	}
	if (!(flags & MSG_PEEK)) {
		SNMP_INC_STATS(sk->sk_stack, UDP_MIB_INDATAGRAMS);
		consume_skb(skb);
	}
	if (err)
		return err;
	return (int)((flags & MSG_TRUNC) ? ulen : copied);
}

/**
 * ip6_datagram_connect - remember the peer and pick the source address
 * (net/ipv6/datagram.c).  Return: 0 or -errno.
 */
int ip6_datagram_connect(struct sock *sk, const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)uaddr;
	struct flowi6 fl6 = { .proto = (u8)sk->sk_protocol, .saddr = sk->sk_v6_rcv_saddr };
	struct rt6_info *rt;

	if (addr_len < (int)sizeof(*sin6))
		return -EINVAL;
	if (sin6->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (ipv6_addr_v4mapped(&sin6->sin6_addr))
		return -ENETUNREACH; /* dual stack: not yet */
	fl6.daddr = sin6->sin6_addr;
	fl6.oif = sin6->sin6_scope_id ? (int)sin6->sin6_scope_id : sk->sk_bound_dev_if;
	rt = ip6_route_output(sk->sk_stack, &fl6);
	if (IS_ERR(rt)) {
		if (PTR_ERR(rt) == -ENETUNREACH)
			SNMP_INC_STATS(sk->sk_stack, IPSTATS6_MIB_OUTNOROUTES);
		return (int)PTR_ERR(rt);
	}
	dst_release(&rt->dst);
	if (ipv6_addr_any(&sk->sk_v6_rcv_saddr))
		sk->sk_v6_rcv_saddr = fl6.saddr;
	sk->sk_v6_daddr = fl6.daddr;
	sk->sk_dport = sin6->sin6_port;
	sk->sk_state = TCP_ESTABLISHED;
	return 0;
}

/** udpv6_disconnect - connect(AF_UNSPEC): forget the peer, keep what bind() fixed. */
static int udpv6_disconnect(struct sock *sk, int flags)
{
	(void)flags;
	sk->sk_state = TCP_CLOSE;
	memset(&sk->sk_v6_daddr, 0, sizeof(sk->sk_v6_daddr));
	sk->sk_dport = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
		memset(&sk->sk_v6_rcv_saddr, 0, sizeof(sk->sk_v6_rcv_saddr));
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		udp_unhash(sk);
	return 0;
}

const struct proto udpv6_prot = {
	.name = "UDPv6",
	.obj_size = sizeof(struct udp_sock),
	.close = udp_close,
	.connect = ip6_datagram_connect,
	.disconnect = udpv6_disconnect,
	.get_port = udp_get_port,
	.unhash = udp_unhash,
	.sendmsg = udpv6_sendmsg,
	.recvmsg = udpv6_recvmsg,
	.setsockopt = udp_setsockopt,
	.getsockopt = udp_getsockopt,
	.ioctl = datagram_ioctl,
};

static const struct inet6_protocol udpv6_protocol = {
	.handler = udpv6_rcv,
	.err_handler = udpv6_err,
};

int udpv6_init(struct stack *st)
{
	return inet6_add_protocol(st, &udpv6_protocol, IPPROTO_UDP);
}

void udpv6_exit(struct stack *st)
{
	inet6_del_protocol(st, &udpv6_protocol, IPPROTO_UDP);
}
