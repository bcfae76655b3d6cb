/*
 * tcp_ipv6.c - TCP over IPv6 (net/ipv6/tcp_ipv6.c): the IPv6 halves of
 * receive, connect, RSTs, ICMPv6 errors and transmit.  Everything else is
 * the one TCP of tcp.c, tcp_input.c and tcp_output.c, which reach the
 * family only through tp->af_ops (ipv6_specific below); the socket tables
 * and the listener's SYN handling are tcp_ipv4.c's, keyed here with the
 * IPv6 addresses folded to 32 bits (ipv6_addr_hash) and compared whole.
 *
 *   ip6_input_finish -> tcp_v6_rcv: tcp_rcv_prepare (length, checksum with
 *	the IPv6 pseudo-header, TCP_SKB_CB) -> established (4-tuple)
 *	-> listener (port) -> tcp_v6_send_reset
 *   tcp_transmit_skb -> af_ops->queue_xmit = inet6_csk_xmit (sk_dst_cache)
 *	-> ip6_xmit -> ip6_output
 *
 * Read first: RFC 8200 §8.1 (the pseudo-header; the upper layer counts the
 * IPv6 header out of its MSS, §8.3), RFC 8201 (Packet Too Big lowers the
 * path MTU, TCP's MSS follows), RFC 9293 §3.10.7.1 (RST for a closed port).
 * Not (yet) for IPv6: SYN cookies (a full SYN queue drops), TCP Fast Open,
 * the listener-group steering and the moving of a connection to another
 * process (tcp_repair.c, IPv4 only).  Super-packets go as over IPv4
 * (SKB_GSO_TCPV6: the kernel behind the AF_PACKET device, or
 * skb_gso_segment, cuts them).
 */
#include <arpa/inet.h>
#include <string.h>

#include "checksum.h"
#include "icmpv6.h"
#include "ip6_route.h"
#include "ipv6.h"
#include "netdevice.h"
#include "portshare.h"
#include "stack.h"
#include "tcp.h"

/* ---- the tables --------------------------------------------------------------- */

static struct sock *tcp_v6_lookup_established(struct stack *st, const struct in6_addr *saddr,
					      __be16 sport, const struct in6_addr *daddr, u16 hnum)
{
	struct tcp_sock *tp;

	list_for_each_entry(tp, tcp_ehash_bucket(st, ipv6_addr_hash(daddr), hnum, ipv6_addr_hash(saddr),
						 sport), ehash_node) {
		struct sock *sk = &tp->inet.sk;

		if (sk->sk_family == AF_INET6 && sk->sk_num == hnum && sk->sk_dport == sport &&
		    ipv6_addr_equal(&sk->sk_v6_daddr, saddr) &&
		    ipv6_addr_equal(&sk->sk_v6_rcv_saddr, daddr))
			return sk;
	}
	return NULL;
}

static struct sock *tcp_v6_lookup_listener(struct stack *st, const struct in6_addr *daddr, u16 hnum,
					   int dif)
{
	struct tcp_sock *tp;
	struct sock *best = NULL;

	list_for_each_entry(tp, tcp_lhash_bucket(st, hnum), lhash_node) {
		struct sock *sk = &tp->inet.sk;

		if (sk->sk_family != AF_INET6 || sk->sk_num != hnum ||
		    (sk->sk_bound_dev_if && sk->sk_bound_dev_if != dif))
			continue;
		if (ipv6_addr_equal(&sk->sk_v6_rcv_saddr, daddr))
			return sk; /* an exact address beats the wildcard */
		if (ipv6_addr_any(&sk->sk_v6_rcv_saddr) && !best)
			best = sk;
	}
	return best;
}

/* ---- RST for segments nobody wants --------------------------------------------- */

/**
 * tcp_v6_send_reset - answer @skb (data at its payload, TCP_SKB_CB filled)
 * with a RST as tcp_v4_send_reset (RFC 9293 §3.10.7.1), routed back to its
 * source; never to a multicast destination (Linux: ipv6_unicast_destination).
 * Borrows @skb.
 */
void tcp_v6_send_reset(struct stack *st, struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct flowi6 fl6 = { .daddr = ip6h->saddr, .saddr = ip6h->daddr, .proto = IPPROTO_TCP };
	struct rt6_info *rt;
	struct sk_buff *rst;
	struct tcphdr *rh;

	if (ipv6_addr_is_multicast(&ip6h->daddr))
		return;
	/* a link-local peer is reached out of the interface it came in by */
	if (ipv6_addr_linklocal(&fl6.daddr))
		fl6.oif = skb->dev->ifindex;
	rt = ip6_route_output(st, &fl6);
	if (IS_ERR(rt))
		return;
	rst = tcp_make_reset(st, skb);
	if (!rst) {
		dst_release(&rt->dst);
		return;
	}
	rh = (struct tcphdr *)(void *)rst->data;
	rh->check = csum_ipv6_magic(&fl6.saddr, &fl6.daddr, sizeof(*rh), IPPROTO_TCP,
				    csum_partial(rh, sizeof(*rh), 0));
	skb_dst_set(rst, &rt->dst);
	ip6_xmit(st, rst, &fl6.saddr, &fl6.daddr, IPPROTO_TCP, 0, 0);
}

/* ---- receive ----------------------------------------------------------------- */

/*
 * The route of a connected socket, cached on it, and the MSS it allows
 * (Linux's inet6_csk_route_socket).  Return: the dst (the socket's
 * reference) or an ERR_PTR.
 */
static struct dst_entry *inet6_csk_route_socket(struct sock *sk)
{
	struct flowi6 fl6 = { .daddr = sk->sk_v6_daddr, .saddr = sk->sk_v6_rcv_saddr,
			      .oif = sk->sk_bound_dev_if, .proto = IPPROTO_TCP };
	struct rt6_info *rt = ip6_route_output(sk->sk_stack, &fl6);

	if (IS_ERR(rt)) {
		SNMP_INC_STATS(sk->sk_stack, IPSTATS6_MIB_OUTNOROUTES);
		return ERR_PTR(PTR_ERR(rt));
	}
	sk_dst_set(sk, &rt->dst);
	tcp_sync_mss(sk);
	return &rt->dst;
}

static u16 tcp_v6_csum(const struct sk_buff *skb, const struct tcphdr *th, unsigned int len)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);

	return csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, len, IPPROTO_TCP, csum_partial(th, len, 0));
}

/**
 * tcp_v6_rcv - the NEXTHDR_TCP handler; data at the TCP header, the IPv6
 * header at the network header.  Consumes @skb.
 */
int tcp_v6_rcv(struct sk_buff *skb)
{
	struct stack *st = skb->stack;
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	const struct tcphdr *th = tcp_rcv_prepare(skb, ipv6_get_dsfield(ip6h), tcp_v6_csum);
	struct sock *sk;

	if (!th)
		return 0;
	sk = tcp_v6_lookup_established(st, &ip6h->saddr, th->source, &ip6h->daddr, ntohs(th->dest));
	if (sk)
		return tcp_rcv_state_process(sk, skb);
	sk = tcp_v6_lookup_listener(st, &ip6h->daddr, ntohs(th->dest), skb->dev->ifindex);
	if (sk)
		return tcp_rcv_listen(sk, skb);
	/* RFC 9293 §3.10.7.1: CLOSED: every segment but a RST gets a RST
	 * (from one process only when several share the address, portshare.h) */
	if (stack_may_answer(st, IPPROTO_TCP, ntohs(th->dest)))
		tcp_v6_send_reset(st, skb);
	kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
	return 0;
}

/*
 * tcp_v6_err - an ICMPv6 error about a segment we sent; skb->data at the
 * ICMPv6 header, the quoted TCP header @offset into it.  As tcp_v4_err:
 * only for data in flight (RFC 5927 §4.1); Packet Too Big has lowered the
 * path MTU already (icmpv6_notify), so the MSS follows it (RFC 8201 §4);
 * while connecting an error ends the attempt, afterwards it is soft.
 */
static int tcp_v6_err(struct sk_buff *skb, u8 type, u8 code, int offset, __be32 info)
{
	const struct ipv6hdr *inner = (const struct ipv6hdr *)(void *)(skb->data + sizeof(struct icmp6hdr));
	const struct tcphdr *th;
	struct sock *sk;
	bool fatal;
	int err;

	(void)info;
	if (skb->len < (unsigned int)offset + 8)
		return -EINVAL;
	th = (const struct tcphdr *)(const void *)(skb->data + offset);
	sk = tcp_v6_lookup_established(skb->stack, &inner->daddr, th->dest, &inner->saddr,
				       ntohs(th->source));
	if (!sk)
		return 0;
	if (!tcp_icmp_in_flight(sk, th))
		return 0;
	if (type == ICMPV6_PKT_TOOBIG) {
		/* the socket's route again, with the lowered MTU (tcp_v6_mtu_reduced) */
		sk_dst_reset(sk);
		inet6_csk_route_socket(sk);
		return 0;
	}
	err = icmpv6_err_convert(type, code, &fatal);
	if (err)
		tcp_icmp_error(sk, err);
	return 0;
}

/* ---- active open -------------------------------------------------------------- */

/**
 * tcp_v6_connect - route to an IPv6 peer, pick the source, then as IPv4
 * (tcp_connect: port, ISN, SYN).  A v4-mapped peer is the shim's dual
 * stack, not this socket's.  Return: 0 (SYN_SENT) or -errno.
 */
int tcp_v6_connect(struct sock *sk, const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in6 *usin = (const struct sockaddr_in6 *)(const void *)uaddr;
	struct flowi6 fl6 = { .saddr = sk->sk_v6_rcv_saddr, .proto = IPPROTO_TCP };
	struct rt6_info *rt;

	if (addr_len < (int)sizeof(*usin))
		return -EINVAL;
	if (usin->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (ipv6_addr_v4mapped(&usin->sin6_addr) || ipv6_addr_is_multicast(&usin->sin6_addr))
		return -ENETUNREACH;
	fl6.daddr = usin->sin6_addr;
	fl6.oif = sk->sk_bound_dev_if;
	/* ipv6(7): a link-local peer is reached through the interface its scope names */
	if (ipv6_addr_linklocal(&fl6.daddr) && usin->sin6_scope_id) {
		if (sk->sk_bound_dev_if && sk->sk_bound_dev_if != (int)usin->sin6_scope_id)
			return -EINVAL;
		fl6.oif = (int)usin->sin6_scope_id;
	}
	rt = ip6_route_output(sk->sk_stack, &fl6);
	if (IS_ERR(rt)) {
		if (PTR_ERR(rt) == -ENETUNREACH)
			SNMP_INC_STATS(sk->sk_stack, IPSTATS6_MIB_OUTNOROUTES);
		return (int)PTR_ERR(rt);
	}
	if (ipv6_addr_linklocal(&fl6.daddr))
		sk->sk_bound_dev_if = rt->dst.dev->ifindex;
	if (ipv6_addr_any(&sk->sk_v6_rcv_saddr))
		sk->sk_v6_rcv_saddr = fl6.saddr;
	sk->sk_v6_daddr = fl6.daddr;
	sk->sk_dport = usin->sin6_port;
	sk_dst_set(sk, &rt->dst);
	return tcp_connect(sk);
}

/* ---- the IPv6 half of every connection (tp->af_ops) ------------------------------ */

/*
 * inet6_csk_xmit: route through the socket's cached dst while it is valid,
 * push the IPv6 header, send.  No fragmentation: the MSS comes from the
 * path MTU (RFC 8200 §5, §8.3).  The Traffic Class carries the segment's
 * ECN codepoint (RFC 3168 §5); skbos keeps no IPV6_TCLASS of its own yet.
 * Consumes @skb.
 */
static int inet6_csk_xmit(struct sock *sk, struct sk_buff *skb, u8 ecn)
{
	struct dst_entry *dst = __sk_dst_check(sk);

	if (!dst)
		dst = inet6_csk_route_socket(sk);
	if (IS_ERR(dst)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_IP_OUTNOROUTES);
		return (int)PTR_ERR(dst);
	}
	skb_dst_set(skb, dst_clone(dst));
	return ip6_xmit(sk->sk_stack, skb, &sk->sk_v6_rcv_saddr, &sk->sk_v6_daddr, IPPROTO_TCP, 0, ecn);
}

/* Linux's tcp_v6_send_check: the pseudo-header sum, the rest for the device. */
static void tcp_v6_send_check(struct sock *sk, struct sk_buff *skb)
{
	struct tcphdr *th = (struct tcphdr *)(void *)(skb->head + skb->csum_start);

	th->check = (__sum16)~csum_ipv6_magic(&sk->sk_v6_rcv_saddr, &sk->sk_v6_daddr, skb->len,
					      IPPROTO_TCP, 0);
}

/* The IPv6 part of a listener's child: the SYN's addresses (and its link). */
static void tcp_v6_child_init(struct sock *sk, const struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);

	inet_sk(sk)->rcv_tos = ipv6_get_dsfield(ip6h);
	sk->sk_v6_rcv_saddr = ip6h->daddr;
	sk->sk_v6_daddr = ip6h->saddr;
	if (ipv6_addr_linklocal(&sk->sk_v6_daddr))
		sk->sk_bound_dev_if = skb->dev->ifindex;
}

/*
 * RFC 6528 §3 asks F() of the whole addresses: each is reduced by the
 * stack's secret key first (siphash), so the 32 bits tcp_isn and
 * tcp_ts_off mix in stay unguessable and differ for every pair.
 */
static __be32 tcp_v6_addr_key(const struct stack *st, const struct in6_addr *a)
{
	u64 w[2];

	memcpy(w, a, sizeof(w));
	return (__be32)siphash_2u64(w[0], w[1], st->ipv4.isn_key);
}

static u32 tcp_v6_init_seq(const struct sock *sk)
{
	struct stack *st = sk->sk_stack;

	return tcp_isn(st, tcp_v6_addr_key(st, &sk->sk_v6_rcv_saddr),
		       tcp_v6_addr_key(st, &sk->sk_v6_daddr), inet_sk(sk)->inet_sport, sk->sk_dport);
}

static u32 tcp_v6_init_ts_off(const struct sock *sk)
{
	const struct stack *st = sk->sk_stack;

	return tcp_ts_off(st, tcp_v6_addr_key(st, &sk->sk_v6_rcv_saddr),
			  tcp_v6_addr_key(st, &sk->sk_v6_daddr));
}

static struct sock *tcp_v6_lookup_listener_skb(struct stack *st, const struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)(const void *)skb_transport_header(skb);

	return tcp_v6_lookup_listener(st, &ipv6_hdr(skb)->daddr, ntohs(th->dest), skb->dev->ifindex);
}

const struct tcp_af_ops ipv6_specific = {
	.queue_xmit = inet6_csk_xmit,
	.send_check = tcp_v6_send_check,
	.send_reset = tcp_v6_send_reset,
	.child_init = tcp_v6_child_init,
	.init_seq = tcp_v6_init_seq,
	.init_ts_off = tcp_v6_init_ts_off,
	.lookup_listener = tcp_v6_lookup_listener_skb,
	.net_header_len = sizeof(struct ipv6hdr),
	.gso_type = SKB_GSO_TCPV6,
};

/** tcp_v6_init_sk - tcpv6_prot's init: a TCP socket whose family is IPv6. */
int tcp_v6_init_sk(struct sock *sk)
{
	tcp_init_sock(tcp_sk(sk));
	tcp_sk(sk)->af_ops = &ipv6_specific;
	return 0;
}

static const struct inet6_protocol tcpv6_protocol = {
	.handler = tcp_v6_rcv,
	.err_handler = tcp_v6_err,
};

/** tcpv6_init - the NEXTHDR_TCP handler; the tables are IPv4's (tcp_init ran first). */
int tcpv6_init(struct stack *st)
{
	return inet6_add_protocol(st, &tcpv6_protocol, IPPROTO_TCP);
}

void tcpv6_exit(struct stack *st)
{
	inet6_del_protocol(st, &tcpv6_protocol, IPPROTO_TCP);
}
