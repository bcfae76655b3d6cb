/*
 * tcp_ipv4.c - TCP over IPv4: the socket tables, receive demultiplexing,
 * active open, RSTs for strays, ICMP errors, TIME_WAIT (net/ipv4/tcp_ipv4.c,
 * inet_hashtables.c, inet_connection_sock.c, tcp_minisocks.c).  The tables,
 * the listener's SYN handling and TIME_WAIT are shared with TCP over IPv6
 * (ipv6/tcp_ipv6.c), which keys the same tables with its addresses folded
 * to 32 bits; the family's own steps go through tp->af_ops.
 *
 *   ip_local_deliver_finish -> tcp_v4_rcv: validate, checksum, fill
 *   TCP_SKB_CB -> established table (4-tuple) -> listener (port) -> RST
 *   tcp_rcv_state_process (TIME_WAIT) -> tcp_timewait_state_process
 *	-> (a new SYN) the listener
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "tcp.h"
#include "tcp_repair.h"
#include "ip_cmsg.h"
#include "checksum.h"
#include "icmp.h"
#include "inetdevice.h"
#include "ip.h"
#include "route.h"
#include "ipv6.h"
#include "stack.h"
#include "portshare.h"

#define TCP_EHASH_SIZE 4096
#define TCP_LHASH_SIZE 256
#define TCP_BHASH_SIZE 1024

struct tcp_tables {
	struct list_head ehash[TCP_EHASH_SIZE];
	struct list_head lhash[TCP_LHASH_SIZE];
	struct list_head bhash[TCP_BHASH_SIZE];
	unsigned int count;
};

static struct tcp_tables *tcp_tables(const struct stack *st)
{
	return st->ipv4.tcp;
}

static u32 tcp_ehashfn(__be32 laddr, u16 lport, __be32 faddr, __be16 fport)
{
	u32 h = (laddr ^ faddr) * 0x9e3779b1u ^ ((u32)lport << 16 | ntohs(fport)) * 0x85ebca6bu;

	return (h ^ (h >> 15)) & (TCP_EHASH_SIZE - 1);
}

/** tcp_ehash_bucket - the established-table chain of a 4-tuple (IPv6: folded addresses). */
struct list_head *tcp_ehash_bucket(struct stack *st, u32 laddr, u16 lport, u32 faddr, __be16 fport)
{
	return &tcp_tables(st)->ehash[tcp_ehashfn(laddr, lport, faddr, fport)];
}

/** tcp_lhash_bucket - the listening-table chain of local port @hnum. */
struct list_head *tcp_lhash_bucket(struct stack *st, u16 hnum)
{
	return &tcp_tables(st)->lhash[hnum & (TCP_LHASH_SIZE - 1)];
}

/** tcp_hash - make @sk findable: listeners by port, others by 4-tuple. */
void tcp_hash(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_tables *t = tcp_tables(sk->sk_stack);

	if (sk->sk_state == TCP_LISTEN) {
		if (!tp->in_lhash) {
			list_add_tail(&tp->lhash_node, &t->lhash[sk->sk_num & (TCP_LHASH_SIZE - 1)]);
			tp->in_lhash = true;
		}
		return;
	}
	if (tp->in_ehash)
		return;
	if (sk->sk_family == AF_INET6) {
		/* (the packet socket's steering filter is IPv4's only) */
		list_add_tail(&tp->ehash_node,
			      tcp_ehash_bucket(sk->sk_stack, ipv6_addr_hash(&sk->sk_v6_rcv_saddr), sk->sk_num,
					       ipv6_addr_hash(&sk->sk_v6_daddr), sk->sk_dport));
		tp->in_ehash = true;
		return;
	}
	list_add_tail(&tp->ehash_node,
		      &t->ehash[tcp_ehashfn(sk->sk_rcv_saddr, sk->sk_num, sk->sk_daddr, sk->sk_dport)]);
	tp->in_ehash = true;
	/* its segments must reach this process's packet socket */
	stack_conn_hashed(sk->sk_stack, sk->sk_num, sk->sk_daddr, sk->sk_dport);
}

void tcp_unhash(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->in_ehash) {
		list_del_init(&tp->ehash_node);
		tp->in_ehash = false;
	}
	if (tp->in_lhash) {
		list_del_init(&tp->lhash_node);
		tp->in_lhash = false;
	}
}

static struct sock *tcp_lookup_established(struct stack *st, __be32 saddr, __be16 sport,
					   __be32 daddr, u16 hnum)
{
	struct tcp_sock *tp;

	list_for_each_entry(tp, &tcp_tables(st)->ehash[tcp_ehashfn(daddr, hnum, saddr, sport)], ehash_node) {
		struct sock *sk = &tp->inet.sk;

		if (sk->sk_num == hnum && sk->sk_dport == sport && sk->sk_daddr == saddr &&
		    sk->sk_rcv_saddr == daddr && sk->sk_family == AF_INET)
			return sk;
	}
	return NULL;
}

static struct sock *tcp_lookup_listener(struct stack *st, __be32 daddr, u16 hnum, int dif)
{
	struct tcp_sock *tp;
	struct sock *best = NULL;

	list_for_each_entry(tp, &tcp_tables(st)->lhash[hnum & (TCP_LHASH_SIZE - 1)], lhash_node) {
		struct sock *sk = &tp->inet.sk;

		/* an AF_INET6 listener takes no IPv4 (IPV6_V6ONLY: dual stack is the shim's) */
		if (sk->sk_num != hnum || sk->sk_family != AF_INET ||
		    (sk->sk_bound_dev_if && sk->sk_bound_dev_if != dif))
			continue;
		if (sk->sk_rcv_saddr == daddr)
			return sk; /* an exact address beats the wildcard */
		if (!sk->sk_rcv_saddr && !best)
			best = sk;
	}
	return best;
}

/* ---- ports ------------------------------------------------------------------- */

static bool tcp_port_conflict(struct stack *st, const struct sock *sk, u16 port)
{
	struct sock *sk2;

	list_for_each_entry(sk2, &tcp_tables(st)->bhash[port & (TCP_BHASH_SIZE - 1)], sk_bind_node) {
		if (sk2 == sk || sk2->sk_num != port)
			continue;
		/* AF_INET6 sockets are IPV6_V6ONLY ones: no conflict with IPv4's */
		if (sk2->sk_family != sk->sk_family)
			continue;
		if (sk->sk_family == AF_INET6 && !ipv6_addr_any(&sk->sk_v6_rcv_saddr) &&
		    !ipv6_addr_any(&sk2->sk_v6_rcv_saddr) &&
		    !ipv6_addr_equal(&sk->sk_v6_rcv_saddr, &sk2->sk_v6_rcv_saddr))
			continue;
		if (sk2->sk_rcv_saddr && sk->sk_rcv_saddr && sk2->sk_rcv_saddr != sk->sk_rcv_saddr)
			continue;
		/* SO_REUSEADDR: allowed unless the other one listens (inet_csk_bind_conflict) */
		if (sk->sk_reuse && sk2->sk_reuse && sk2->sk_state != TCP_LISTEN)
			continue;
		if (sk->sk_reuseport && sk2->sk_reuseport)
			continue;
		return true;
	}
	return false;
}

/**
 * tcp_get_port - bind @sk to @snum, or an ephemeral port from a random
 * start (RFC 6056 §3.3.1).  Return: 0 or -EADDRINUSE.
 */
int tcp_get_port(struct sock *sk, u16 snum)
{
	struct stack *st = sk->sk_stack;

	if (!snum) {
		snum = inet_ephemeral_port(sk, tcp_port_conflict);
		if (!snum)
			return -EADDRINUSE;
	} else if (tcp_port_conflict(st, sk, snum)) {
		return -EADDRINUSE;
	}
	/* Another process on our address may own it (portshare.h). */
	if (stack_port_claim(st, IPPROTO_TCP, snum))
		return -EADDRINUSE;
	sk->sk_num = snum;
	list_add_tail(&sk->sk_bind_node, &tcp_tables(st)->bhash[snum & (TCP_BHASH_SIZE - 1)]);
	sock_reset_flag(sk, SOCK_ZAPPED);
	return 0;
}

/**
 * tcp_inherit_port - @sk holds port @port already claimed for it (a
 * connection taken over from another process, tcp_repair.c): on the bind
 * list without a conflict check, as Linux's inet_inherit_port puts an
 * accepted socket beside its listener; tcp_bind_release gives it back.
 */
void tcp_inherit_port(struct sock *sk, u16 port)
{
	sk->sk_num = port;
	list_add_tail(&sk->sk_bind_node, &tcp_tables(sk->sk_stack)->bhash[port & (TCP_BHASH_SIZE - 1)]);
	sock_reset_flag(sk, SOCK_ZAPPED);
}

/** tcp_bind_release - give the port back. */
void tcp_bind_release(struct sock *sk)
{
	if (!list_empty(&sk->sk_bind_node)) {
		list_del_init(&sk->sk_bind_node);
		stack_port_release(sk->sk_stack, IPPROTO_TCP, sk->sk_num);
	}
}

/* ---- RST for segments nobody wants --------------------------------------------- */

/**
 * tcp_v4_send_reset - answer @skb (data at its payload, TCP_SKB_CB filled)
 * with a RST, per RFC 9293 §3.10.7.1: if it had an ACK, RST with seq = its
 * ACK; else RST|ACK acknowledging it.  Never answers a RST.  Borrows @skb.
 */
void tcp_v4_send_reset(struct stack *st, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct flowi4 fl4 = { .daddr = iph->saddr, .saddr = iph->daddr, .proto = IPPROTO_TCP };
	struct sk_buff *rst;
	struct tcphdr *rh;

	if (skb_rtable(skb)->rt_type != RTN_LOCAL)
		return;
	rst = tcp_make_reset(st, skb);
	if (!rst)
		return;
	rh = (struct tcphdr *)(void *)rst->data;
	rh->check = csum_tcpudp_magic(iph->daddr, iph->saddr, sizeof(*rh), IPPROTO_TCP,
				      csum_partial(rh, sizeof(*rh), 0));
	ip_build_and_send(st, rst, &fl4, 0);
}

/**
 * tcp_make_reset - the TCP header of a RST answering @skb (borrowed; data
 * at its payload, TCP_SKB_CB filled), checksum 0 for the family to fill,
 * counted as sent; NULL for a RST (never answered) or no memory.
 */
struct sk_buff *tcp_make_reset(struct stack *st, const struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)(const void *)skb_transport_header(skb);
	const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	struct sk_buff *rst;
	struct tcphdr *rh;

	if (th->rst)
		return NULL;
	rst = alloc_skb(st, MAX_TCP_HEADER);
	if (!rst)
		return NULL;
	skb_reserve(rst, MAX_TCP_HEADER);
	rh = (struct tcphdr *)(void *)skb_put_zero(rst, sizeof(*rh));
	rh->source = th->dest;
	rh->dest = th->source;
	rh->doff = sizeof(*rh) / 4;
	rh->rst = 1;
	if (th->ack) {
		rh->seq = th->ack_seq;
	} else {
		rh->ack = 1;
		rh->ack_seq = htonl(tcb->end_seq);
	}
	SNMP_INC_STATS(st, TCP_MIB_OUTSEGS);
	SNMP_INC_STATS(st, TCP_MIB_OUTRSTS);
	return rst;
}

/* ---- receive ----------------------------------------------------------------- */

static u16 tcp_v4_csum(const struct sk_buff *skb, const struct tcphdr *th, unsigned int len)
{
	const struct iphdr *iph = ip_hdr(skb);

	return csum_tcpudp_magic(iph->saddr, iph->daddr, len, IPPROTO_TCP, csum_partial(th, len, 0));
}

/**
 * tcp_rcv_prepare - the family-independent start of tcp_v4_rcv and
 * tcp_v6_rcv: the header's length, the checksum (@csum: the family's sum
 * with its pseudo-header, 0 when right), TCP_SKB_CB from the header and
 * @dsfield (the TOS / Traffic Class byte: RFC 3168 §6.1.3, the receiver
 * looks for CE), data pulled to the payload.  Return: the TCP header, or
 * NULL when @skb was dropped (and counted).
 */
const struct tcphdr *tcp_rcv_prepare(struct sk_buff *skb, u8 dsfield,
				     u16 (*csum)(const struct sk_buff *skb, const struct tcphdr *th,
						 unsigned int len))
{
	struct stack *st = skb->stack;
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	unsigned int hlen, len = skb->len;
	const struct tcphdr *th;

	if (!pskb_may_pull(skb, sizeof(*th)))
		goto bad;
	th = (const struct tcphdr *)(const void *)skb->data;
	hlen = th->doff * 4u;
	if (hlen < sizeof(*th) || hlen > len)
		goto bad;
	if (skb->ip_summed != CHECKSUM_UNNECESSARY && skb->ip_summed != CHECKSUM_PARTIAL &&
	    csum(skb, th, len)) {
		SNMP_INC_STATS(st, TCP_MIB_INCSUMERRORS);
		SNMP_INC_STATS(st, TCP_MIB_INERRS);
		kfree_skb_reason(skb, SKB_DROP_REASON_TCP_CSUM);
		return NULL;
	}
	SNMP_INC_STATS(st, TCP_MIB_INSEGS);
	tcb->seq = ntohl(th->seq);
	tcb->end_seq = tcb->seq + th->syn + th->fin + len - hlen;
	tcb->ack_seq = ntohl(th->ack_seq);
	tcb->tcp_flags = ((const u8 *)th)[13];
	tcb->ip_dsfield = dsfield;
	tcb->retrans = 0;
	tcb->when = 0;
	__skb_pull(skb, hlen);
	return th;
bad:
	SNMP_INC_STATS(st, TCP_MIB_INERRS);
	kfree_skb_reason(skb, SKB_DROP_REASON_PKT_TOO_SMALL);
	return NULL;
}

/**
 * tcp_v4_rcv - the IPPROTO_TCP handler; data at the TCP header.
 * Consumes @skb.
 */
int tcp_v4_rcv(struct sk_buff *skb)
{
	struct stack *st = skb->stack;
	const struct iphdr *iph = ip_hdr(skb);
	const struct tcphdr *th = tcp_rcv_prepare(skb, iph->tos, tcp_v4_csum);
	struct sock *sk;

	if (!th)
		return 0;
	sk = tcp_lookup_established(st, iph->saddr, th->source, iph->daddr, ntohs(th->dest));
	/* Handed to another process (tcp_repair.c): its segments are that
	 * process's now; this stack neither answers nor resets them. */
	if (sk && tcp_sk(sk)->migrated) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
		return 0;
	}
	if (sk)
		return tcp_rcv_state_process(sk, skb);
	sk = tcp_lookup_listener(st, iph->daddr, ntohs(th->dest), skb->dev->ifindex);
	/* A listener shared by processes: one of them takes each new SYN. */
	if (sk && th->syn && !th->ack && !stack_syn_mine(st, sk->sk_num, iph->saddr, th->source)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
		return 0;
	}
	if (sk)
		return tcp_rcv_listen(sk, skb);
	/* RFC 9293 §3.10.7.1: CLOSED: every segment but a RST gets a RST, from
	 * one process only when several share the address (portshare.h), and
	 * never for a flow handed to another process (tcp_repair.c). */
	if (stack_may_answer(st, IPPROTO_TCP, ntohs(th->dest)) &&
	    !tcp_moved(st, iph->saddr, th->source, ntohs(th->dest)))
		tcp_v4_send_reset(st, skb);
	kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
	return 0;
}

/**
 * tcp_v4_err - an ICMP error about a segment we sent (data at the quoted IP
 * header).  RFC 1122 §4.2.3.9: unreachables are soft errors except during
 * connection setup, where port/protocol unreachable abort; fragmentation
 * needed lowers the path MTU and the MSS.  Only for an error that quotes
 * data in flight (RFC 5927 §4.1).
 */
int tcp_v4_err(struct sk_buff *skb, u8 type, u8 code, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)(const void *)skb->data;
	const struct tcphdr *th;
	struct sock *sk;
	bool fatal;
	int err;

	if (skb->len < iph->ihl * 4u + 8)
		return -EINVAL;
	th = (const struct tcphdr *)(const void *)(skb->data + iph->ihl * 4u);
	sk = tcp_lookup_established(skb->stack, iph->daddr, th->dest, iph->saddr, ntohs(th->source));
	if (!sk)
		return 0;
	if (!tcp_icmp_in_flight(sk, th))
		return 0;
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
		icmp_err_update_pmtu(skb, type, code, info);
		sk_dst_reset(sk); /* the next segment takes the lowered route MTU */
		tcp_sync_mss(sk);
		return 0;
	}
	err = icmp_err_convert(type, code, &fatal);
	if (err)
		tcp_icmp_error(sk, err);
	return 0;
}

/**
 * tcp_icmp_in_flight - does the ICMP(v6) error's quoted header @th name
 * data @sk has in flight?  Counts the ones that do not.
 *
 * RFC 5927 §4.1: "TCP SHOULD check that the TCP sequence number contained
 * in the payload of the ICMP error message is within the range SND.UNA =<
 * SEG.SEQ < SND.NXT"; else a blind attacker who guesses the 4-tuple aborts
 * a connection being set up or shrinks its MSS.  Linux (tcp_v4_err) allows
 * SND.NXT itself; skbos's SND.NXT goes back after an RTO, so the bound is
 * snd_max, the highest ever sent.
 */
bool tcp_icmp_in_flight(struct sock *sk, const struct tcphdr *th)
{
	if (between(ntohl(th->seq), tcp_sk(sk)->snd_una, tcp_sk(sk)->snd_max))
		return true;
	SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_OUTOFWINDOWICMPS);
	return false;
}

/**
 * tcp_icmp_error - an ICMP(v6) error @err (positive errno) reached @sk.
 * Linux: while connecting, any unreachable ends the attempt at once (so
 * connect() to a silent LAN address fails with EHOSTUNREACH once ARP or
 * ND gives up); once established only a soft error is kept.
 */
void tcp_icmp_error(struct sock *sk, int err)
{
	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV) {
		sk->sk_err = err;
		sk->sk_error_report(sk);
		tcp_done(sk);
	} else {
		sk->sk_err_soft = err;
	}
}

/* ---- the listener: a SYN makes a child in SYN_RECV ------------------------------- */

/* The IPv4 part of a listener's child: its addresses and what the SYN's header said. */
static void tcp_v4_child_init(struct sock *sk, const struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);

	inet_sk(sk)->rcv_tos = iph->tos; /* IP_PKTOPTIONS's IP_TOS */
	sk->sk_rcv_saddr = iph->daddr;
	inet_sk(sk)->inet_saddr = iph->daddr;
	sk->sk_daddr = iph->saddr;
}

static struct sock *tcp_create_child(struct sock *lsk, struct sk_buff *skb)
{
	struct tcp_sock *ltp = tcp_sk(lsk), *tp;
	const struct tcphdr *th = (const struct tcphdr *)(const void *)skb_transport_header(skb);
	struct sock *sk = sk_alloc(lsk->sk_stack, lsk->sk_family, lsk->sk_prot);

	if (!sk)
		return NULL;
	sock_init_data(NULL, sk);
	sk->sk_type = SOCK_STREAM;
	sk->sk_protocol = IPPROTO_TCP;
	tp = tcp_sk(sk);
	tcp_init_sock(tp);
	tp->af_ops = ltp->af_ops;
	/* what the listener was set up with is inherited (inet_csk_clone_lock) */
	sk->sk_rcvbuf = lsk->sk_rcvbuf;
	sk->sk_sndbuf = lsk->sk_sndbuf;
	sk->sk_userlocks = lsk->sk_userlocks;
	sk->sk_flags = lsk->sk_flags & ~(1ul << SOCK_ZAPPED | 1ul << SOCK_NOSPACE);
	sk->sk_rcvtimeo = lsk->sk_rcvtimeo;
	sk->sk_sndtimeo = lsk->sk_sndtimeo;
	tp->nonagle = ltp->nonagle;
	tp->user_mss = ltp->user_mss;
	tp->ca_ops = ltp->ca_ops;
	tp->keepalive_time_s = ltp->keepalive_time_s;
	tp->keepalive_intvl_s = ltp->keepalive_intvl_s;
	tp->keepalive_probes = ltp->keepalive_probes;
	/* Linux clones the whole tcp_sock (sk_clone_lock): the listener's
	 * TCP_NOTSENT_LOWAT and TCP_INQ hold for its children, as the kernel
	 * here answers (tests/tcpopt_linux.txt) */
	tp->notsent_lowat = ltp->notsent_lowat;
	tp->recvmsg_inq = ltp->recvmsg_inq;
	/* ... and TCP_CORK, TCP_LINGER2, TCP_WINDOW_CLAMP (Linux's SYN-ACK
	 * window honours it: tcp_openreq_init_rwin) and TCP_SYNCNT (the
	 * listener's also counts the SYN-ACK's tries); TCP_USER_TIMEOUT once
	 * the handshake ends (tcp_child_established) */
	tp->cork = ltp->cork;
	tp->linger2 = ltp->linger2;
	tp->window_clamp = ltp->window_clamp;
	tp->syn_retries = ltp->syn_retries;
	inet_sk(sk)->tos = inet_sk(lsk)->tos;
	inet_sk(sk)->uc_ttl = inet_sk(lsk)->uc_ttl;
	inet_sk(sk)->recverr = inet_sk(lsk)->recverr;
	inet_sk(sk)->pktinfo = inet_sk(lsk)->pktinfo;
	inet_sk(sk)->recvttl = inet_sk(lsk)->recvttl;
	inet_sk(sk)->recvtos = inet_sk(lsk)->recvtos;
	inet_sk(sk)->rx_dst_ifindex = dev_user_ifindex(skb->dev);
	tp->af_ops->child_init(sk, skb);
	sk->sk_dport = th->source;
	sk->sk_num = lsk->sk_num;
	inet_sk(sk)->inet_sport = htons(lsk->sk_num);
	tp->irs = TCP_SKB_CB(skb)->seq;
	tp->rcv_nxt = tp->irs + 1;
	tp->copied_seq = tp->rcv_nxt;
	tcp_parse_options(th, &tp->rx_opt, true);
	tcp_ecn_create_request(sk, skb);
	tp->snd_wnd = ntohs(th->window);
	tp->max_window = tp->snd_wnd;
	tp->snd_wl1 = tp->irs;
	tp->iss = tp->af_ops->init_seq(sk);
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->write_seq = tp->iss;
	tp->advmss = tcp_mss_for_route(sk);
	tcp_init_rcv_wnd(tp, tp->advmss);
	if (!tp->rx_opt.wscale_ok)
		tp->rx_opt.rcv_wscale = 0;
	if (!sk->sk_stack->sysctl.tcp_sack)
		tp->rx_opt.sack_ok = 0;
	tcp_synack_tstamp(sk);
	tp->tsoffset = tp->af_ops->init_ts_off(sk);
	tcp_set_state(sk, TCP_SYN_RECV);
	tcp_hash(sk);
	tp->parent = ltp;
	list_add_tail(&tp->accept_node, &ltp->syn_queue);
	ltp->syn_len++;
	tp->in_syn_queue = true;
	return sk;
}

/* A SYN for listener @sk; @isn: the child's ISN, or 0 to choose one. */
static int tcp_listen_syn(struct sock *sk, struct sk_buff *skb, u32 isn);

/**
 * tcp_rcv_listen - RFC 9293 §3.10.7.2, LISTEN: a SYN creates a child (in
 * SYN_RECV, answered with a SYN-ACK) while the backlog has room; an ACK gets
 * a RST; everything else is dropped.  Consumes @skb.
 */
/*
 * An ACK to a listener with no pending connection: the answer to a SYN
 * cookie (checked only while the SYN queue overflowed recently, as Linux's
 * tcp_synq_no_recent_overflow, so forged ACKs are not tried otherwise)?
 * Then the connection is rebuilt from it, in SYN_RECV with our SYN-ACK as
 * if sent: the ACK itself then completes it.  Return: the child, NULL (no
 * cookie: the ACK gets a RST) or an ERR_PTR (a cookie, but no room: drop).
 */
static struct sock *tcp_cookie_child(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *ltp = tcp_sk(sk), *tp;
	const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	struct tcp_options_received ack = { 0 }, dec = { 0 };
	struct stack *st = sk->sk_stack;
	struct sock *child;
	int mss;

	/* (cookies are IPv4's: syncookies.c hashes IPv4 headers) */
	if (sk->sk_family != AF_INET || !st->sysctl.tcp_syncookies || !ltp->last_synq_overflow ||
	    stack_now(st) - ltp->last_synq_overflow > 2 * 60 * NSEC_PER_SEC)
		return NULL;
	mss = cookie_v4_check(st, skb);
	tcp_parse_options((const struct tcphdr *)(const void *)skb_transport_header(skb), &ack, false);
	if (mss < 0 || !cookie_timestamp_decode(st, &ack, &dec)) {
		SNMP_INC_STATS(st, LINUX_MIB_SYNCOOKIESFAILED);
		return NULL;
	}
	/* A good cookie with no room for its connection is dropped, not
	 * reset (Linux: tcp_v4_syn_recv_sock's exit_overflow, then
	 * tcp_v4_do_rcv's discard): the client believes it is connected and
	 * its next segment, carrying the same ACK, tries again. */
	if (ltp->accept_len > sk->sk_max_ack_backlog) {
		SNMP_INC_STATS(st, LINUX_MIB_LISTENOVERFLOWS);
		return ERR_PTR(-ENOBUFS);
	}
	if (!(child = tcp_create_child(sk, skb)))
		return ERR_PTR(-ENOMEM);
	SNMP_INC_STATS(st, LINUX_MIB_SYNCOOKIESRECV);
	tp = tcp_sk(child);
	/* what the cookie carried back in the TSecr; the rest is off (RFC 4987 §3.6) */
	tp->rx_opt.tstamp_ok = dec.tstamp_ok;
	tp->rx_opt.ts_recent = dec.ts_recent;
	tp->rx_opt.sack_ok = dec.sack_ok;
	tp->rx_opt.wscale_ok = dec.wscale_ok;
	tp->rx_opt.snd_wscale = dec.snd_wscale;
	tp->rx_opt.rcv_wscale = dec.wscale_ok ? tcp_select_wscale(child) : 0;
	tp->rx_opt.mss_clamp = (u16)mss;
	tp->irs = tcb->seq - 1;
	tp->rcv_nxt = tp->copied_seq = tp->rcv_wup = tcb->seq;
	tp->iss = tcb->ack_seq - 1;
	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->snd_max = tp->write_seq = tp->pushed_seq = tp->iss + 1;
	tp->snd_wl1 = tp->irs;
	if (tp->rcv_wnd > 65535u << tp->rx_opt.rcv_wscale)
		tp->rcv_wnd = 65535u << tp->rx_opt.rcv_wscale;
	return child;
}

int tcp_rcv_listen(struct sock *sk, struct sk_buff *skb)
{
	return tcp_listen_syn(sk, skb, 0);
}

static int tcp_listen_syn(struct sock *sk, struct sk_buff *skb, u32 isn)
{
	struct tcp_sock *ltp = tcp_sk(sk);
	const struct tcphdr *th = (const struct tcphdr *)(const void *)skb_transport_header(skb);
	enum skb_drop_reason reason;
	struct sock *child;

	/* RFC 9293 §3.10.7.2 LISTEN: "first, check for a RST ... ignored" */
	if (th->rst) {
		reason = SKB_DROP_REASON_TCP_RESET;
		goto drop;
	}
	/* "second, check for an ACK": no connection (nor cookie) it belongs to */
	if (th->ack) {
		child = th->syn ? NULL : tcp_cookie_child(sk, skb);
		if (IS_ERR(child)) {
			kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
			return 0;
		}
		if (child)
			return tcp_rcv_state_process(child, skb);
		/* (in a listener group it may be another member's connection) */
		if (stack_may_answer(sk->sk_stack, IPPROTO_TCP, sk->sk_num) &&
		    (sk->sk_family != AF_INET ||
		     !tcp_moved(sk->sk_stack, ip_hdr(skb)->saddr, th->source, sk->sk_num)))
			ltp->af_ops->send_reset(sk->sk_stack, skb);
		reason = SKB_DROP_REASON_TCP_FLAGS;
		goto drop;
	}
	/* "Any other control or text-bearing segment (not containing SYN) ...
	 * drop it and return" */
	if (!th->syn) {
		reason = SKB_DROP_REASON_TCP_FLAGS;
		goto drop;
	}
	/* SYN+FIN is no open (Linux: SKB_DROP_REASON_TCP_FLAGS) */
	if (th->fin) {
		kfree_skb_reason(skb, SKB_DROP_REASON_TCP_FLAGS);
		return 0;
	}
	if (ltp->accept_len > sk->sk_max_ack_backlog) {
		/* the accept queue is full (sk_acceptq_is_full): drop, the client retries */
		SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_LISTENOVERFLOWS);
		kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
		return 0;
	}
	if (ltp->syn_len >= (sk->sk_max_ack_backlog > 8 ? sk->sk_max_ack_backlog : 8)) {
		/* the SYN queue is full: a cookie instead of state (RFC 4987 §3.6) */
		if (sk->sk_stack->sysctl.tcp_syncookies && !isn && sk->sk_family == AF_INET) {
			u16 mss;
			u32 cookie = cookie_v4_init_sequence(sk->sk_stack, skb, &mss);

			ltp->last_synq_overflow = stack_now(sk->sk_stack);
			tcp_v4_send_synack_cookie(sk, skb, cookie, mss);
			consume_skb(skb); /* answered, statelessly */
			return 0;
		}
		kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
		return 0;
	}
	child = tcp_create_child(sk, skb);
	if (!child)
		goto nomem;
	if (isn) {
		struct tcp_sock *tp = tcp_sk(child);

		tp->iss = isn;
		tp->snd_una = tp->snd_nxt = tp->snd_max = tp->write_seq = isn;
	}
	/* RFC 7413 §4.2.2; the cookie is made of IPv4 addresses (tcp_fastopen.c) */
	if (sk->sk_family == AF_INET)
		tcp_try_fastopen(sk, child, skb);
	/* No SYN-ACK could be queued: no timer would ever send one, so forget
	 * the connection (Linux's drop_and_free); the client's retransmitted
	 * SYN starts over. */
	if (tcp_send_synack(child)) {
		tcp_done(child);
		goto nomem;
	}
	consume_skb(skb);
	return 0;
nomem:
	kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
	return 0;
drop:
	kfree_skb_reason(skb, reason);
	return 0;
}

/**
 * tcp_timewait_state_process - a segment for a connection in TIME_WAIT, as
 * Linux (net/ipv4/tcp_minisocks.c, with tcp_rfc1337 = 0).  Consumes @skb.
 *
 * RFC 1122 §4.2.2.13: a TCP "MAY accept a new SYN from the remote TCP to
 * reopen the connection directly from TIME-WAIT state, if it: (1) assigns
 * its initial sequence number for the new connection to be larger than the
 * largest sequence number it used on the previous connection incarnation,
 * and (2) returns to TIME-WAIT state if the SYN turns out to be an old
 * duplicate."  Linux does (for a SYN above RCV.NXT), and its clients count
 * on it: a server that closed first holds TIME_WAIT, the client does not, so
 * the client's port allocator reuses the 4-tuple at once.  Dropping that SYN
 * would stall the new connection for up to 2*MSL of SYN retransmissions.
 */
int tcp_timewait_state_process(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	const struct tcphdr *th = (const struct tcphdr *)(const void *)skb_transport_header(skb);
	struct stack *st = sk->sk_stack;
	struct sock *lsk;
	u32 isn;

	if (tcb->seq == tp->rcv_nxt && (tcb->seq == tcb->end_seq || th->rst)) {
		/* in window: a bare ACK restarts 2*MSL; a RST ends TIME_WAIT
		 * (the "assassination" of RFC 1337, which Linux allows) */
		if (th->rst)
			tcp_done(sk);
		else
			mod_timer(&tp->keepalive_timer, stack_now(st) + TCP_TIMEWAIT_LEN);
		goto drop;
	}
	if (th->syn && !th->rst && !th->ack && after(tcb->seq, tp->rcv_nxt)) {
		lsk = tp->af_ops->lookup_listener(st, skb);
		if (lsk) {
			isn = tp->snd_nxt + 65535 + 2; /* (1): above all we sent */
			tcp_done(sk);
			return tcp_listen_syn(lsk, skb, isn ? isn : 1);
		}
	}
	/* Everything else (a retransmitted FIN, an old duplicate) is ACKed;
	 * a segment with ACK set restarts 2*MSL (RFC 9293 §3.10.7.4).  The
	 * ACKs are rate-limited like any answer to an unacceptable segment
	 * (Linux's tcp_timewait_check_oow_rate_limit): two ends stuck on
	 * different sequence spaces would otherwise trade ACKs for 2*MSL. */
	if (!th->rst) {
		if (th->ack)
			mod_timer(&tp->keepalive_timer, stack_now(st) + TCP_TIMEWAIT_LEN);
		if (!tcp_oow_rate_limited(sk, skb, LINUX_MIB_TCPACKSKIPPEDTIMEWAIT))
			tcp_send_ack(sk);
	}
drop:
	consume_skb(skb);
	return 0;
}

/* ---- active open -------------------------------------------------------------- */

/**
 * tcp_v4_connect - route, pick the source and an ephemeral port, send SYN.
 * Return: 0 (SYN_SENT) or -errno.
 */
int tcp_v4_connect(struct sock *sk, const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *usin = (const struct sockaddr_in *)(const void *)uaddr;
	struct inet_sock *inet = inet_sk(sk);
	struct flowi4 fl4 = { 0 };
	struct rtable *rt;

	if (addr_len < (int)sizeof(*usin))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	fl4.daddr = usin->sin_addr.s_addr;
	fl4.saddr = sk->sk_rcv_saddr;
	fl4.oif = sk->sk_bound_dev_if;
	fl4.proto = IPPROTO_TCP;
	fl4.tos = inet->tos;
	rt = ip_route_output_flow(sk->sk_stack, &fl4);
	if (IS_ERR(rt)) {
		if (PTR_ERR(rt) == -ENETUNREACH)
			SNMP_INC_STATS(sk->sk_stack, IPSTATS_MIB_OUTNOROUTES);
		return (int)PTR_ERR(rt);
	}
	if (rt->rt_type == RTN_BROADCAST || rt->rt_type == RTN_MULTICAST) {
		dst_release(&rt->dst);
		return -ENETUNREACH;
	}
	if (!sk->sk_rcv_saddr)
		sk->sk_rcv_saddr = fl4.saddr;
	inet->inet_saddr = fl4.saddr;
	sk->sk_daddr = fl4.daddr;
	sk->sk_dport = usin->sin_port;
	sk_dst_set(sk, &rt->dst);
	return tcp_connect(sk);
}

/**
 * tcp_connect - the family-independent rest of connect() once the route
 * is cached and the addresses are set: an ephemeral port, the ISN, the MSS,
 * the established table, the SYN (Linux's inet_hash_connect + tcp_connect).
 * Return: 0 (SYN_SENT) or -errno.
 */
int tcp_connect(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct tcp_sock *tp = tcp_sk(sk);

	if (!sk->sk_num) {
		if (tcp_get_port(sk, 0)) {
			sk_dst_reset(sk);
			return -EADDRNOTAVAIL;
		}
		inet->inet_sport = htons(sk->sk_num);
	}
	tp->iss = tp->af_ops->init_seq(sk);
	tp->tsoffset = tp->af_ops->init_ts_off(sk);
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->write_seq = tp->iss;
	tp->advmss = tcp_mss_for_route(sk);
	tp->mss_cache = min_t(u32, tp->advmss, TCP_MSS_MAX_SKB);
	tcp_init_rcv_wnd(tp, tp->advmss);
	tcp_set_state(sk, TCP_SYN_SENT);
	tcp_hash(sk);
	SNMP_INC_STATS(sk->sk_stack, TCP_MIB_ACTIVEOPENS);
	if (tcp_fastopen_defer_connect(sk))
		return 0; /* TCP_FASTOPEN_CONNECT: the first write sends the SYN */
	return tcp_send_syn(sk);
}

/* ---- the IPv4 half of every connection (tp->af_ops) ------------------------------ */

/*
 * ip_queue_xmit: route through the socket's cached dst while it is valid
 * (no lookup per segment), push the IPv4 header, send.  TCP always sets DF:
 * it does path MTU discovery (RFC 1191 §3).  The TOS byte is the socket's
 * with @ecn, the segment's own ECN codepoint (tcp_ecn_send), in its low
 * bits (IP_TOS leaves those to TCP).  Consumes @skb.
 */
static int ip_queue_xmit(struct sock *sk, struct sk_buff *skb, u8 ecn)
{
	struct inet_sock *inet = inet_sk(sk);
	struct dst_entry *dst = __sk_dst_check(sk);
	struct rtable *rt;

	if (!dst) {
		struct flowi4 fl4 = { .daddr = sk->sk_daddr, .saddr = sk->sk_rcv_saddr,
				      .oif = sk->sk_bound_dev_if, .proto = IPPROTO_TCP,
				      .tos = inet->tos };

		rt = ip_route_output_flow(sk->sk_stack, &fl4);
		if (IS_ERR(rt)) {
			SNMP_INC_STATS(sk->sk_stack, IPSTATS_MIB_OUTNOROUTES);
			kfree_skb_reason(skb, SKB_DROP_REASON_IP_OUTNOROUTES);
			return (int)PTR_ERR(rt);
		}
		sk_dst_set(sk, dst_clone(&rt->dst));
		tcp_sync_mss(sk);
	} else {
		rt = (struct rtable *)(void *)dst_clone(dst);
	}
	return ip_push_and_send(sk->sk_stack, skb, rt, sk->sk_rcv_saddr, sk->sk_daddr, IPPROTO_TCP,
				(u8)(inet->uc_ttl < 0 ? 0 : inet->uc_ttl),
				(u8)((inet->tos & ~INET_ECN_MASK) | ecn), true);
}

/* Linux's tcp_v4_send_check: the pseudo-header sum, the rest for the device. */
static void tcp_v4_send_check(struct sock *sk, struct sk_buff *skb)
{
	struct tcphdr *th = (struct tcphdr *)(void *)(skb->head + skb->csum_start);

	th->check = (__sum16)~csum_tcpudp_magic(sk->sk_rcv_saddr, sk->sk_daddr, skb->len,
						IPPROTO_TCP, 0);
}

static u32 tcp_v4_init_seq(const struct sock *sk)
{
	return tcp_isn(sk->sk_stack, sk->sk_rcv_saddr, sk->sk_daddr, inet_sk(sk)->inet_sport,
		       sk->sk_dport);
}

static u32 tcp_v4_init_ts_off(const struct sock *sk)
{
	return tcp_ts_off(sk->sk_stack, sk->sk_rcv_saddr, sk->sk_daddr);
}

static struct sock *tcp_v4_lookup_listener_skb(struct stack *st, const struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)(const void *)skb_transport_header(skb);

	return tcp_lookup_listener(st, ip_hdr(skb)->daddr, ntohs(th->dest), skb->dev->ifindex);
}

const struct tcp_af_ops ipv4_specific = {
	.queue_xmit = ip_queue_xmit,
	.send_check = tcp_v4_send_check,
	.send_reset = tcp_v4_send_reset,
	.child_init = tcp_v4_child_init,
	.init_seq = tcp_v4_init_seq,
	.init_ts_off = tcp_v4_init_ts_off,
	.lookup_listener = tcp_v4_lookup_listener_skb,
	.net_header_len = sizeof(struct iphdr),
	.gso_type = SKB_GSO_TCPV4,
};

static const struct net_protocol tcp_protocol = {
	.handler = tcp_v4_rcv,
	.err_handler = tcp_v4_err,
};

/** tcp_init - TCP's tables and protocol handler.  Return: 0 or -errno. */
int tcp_init(struct stack *st)
{
	struct tcp_tables *t = kzalloc(st->failslab, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (int i = 0; i < TCP_EHASH_SIZE; i++)
		INIT_LIST_HEAD(&t->ehash[i]);
	for (int i = 0; i < TCP_LHASH_SIZE; i++)
		INIT_LIST_HEAD(&t->lhash[i]);
	for (int i = 0; i < TCP_BHASH_SIZE; i++)
		INIT_LIST_HEAD(&t->bhash[i]);
	st->ipv4.tcp = t;
	if (getrandom_isn_key(st))
		return -EIO;
	return inet_add_protocol(st, &tcp_protocol, IPPROTO_TCP);
}

/** tcp_exit - free every connection still alive (stack teardown). */
void tcp_exit(struct stack *st)
{
	struct tcp_tables *t = tcp_tables(st);

	if (!t)
		return;
	inet_del_protocol(st, &tcp_protocol, IPPROTO_TCP);
	for (int i = 0; i < TCP_EHASH_SIZE; i++) {
		struct tcp_sock *tp, *tmp;

		list_for_each_entry_safe(tp, tmp, &t->ehash[i], ehash_node)
			tcp_done(&tp->inet.sk);
	}
	kfree(st->failslab, t);
	st->ipv4.tcp = NULL;
	tcp_fastopen_cache_free(st);
	tcp_moved_free(st);
}

/**
 * tcp_all_sent - has every connection delivered what it was given?  False
 * while one that still sends (ESTABLISHED, CLOSE_WAIT, FIN_WAIT1, CLOSING,
 * LAST_ACK) has data or its FIN unacknowledged.
 */
bool tcp_all_sent(const struct stack *st)
{
	const struct tcp_tables *t = tcp_tables(st);

	if (!t)
		return true;
	for (int i = 0; i < TCP_EHASH_SIZE; i++) {
		const struct tcp_sock *tp;

		list_for_each_entry(tp, &t->ehash[i], ehash_node) {
			switch (tp->inet.sk.sk_state) {
			case TCP_ESTABLISHED:
			case TCP_CLOSE_WAIT:
			case TCP_FIN_WAIT1:
			case TCP_CLOSING:
			case TCP_LAST_ACK:
				if (tp->snd_una != tp->write_seq)
					return false;
			}
		}
	}
	return true;
}

unsigned int tcp_socket_count(const struct stack *st)
{
	const struct tcp_tables *t = tcp_tables(st);
	unsigned int n = 0;

	if (!t)
		return 0;
	for (int i = 0; i < TCP_EHASH_SIZE; i++) {
		const struct list_head *pos;

		for (pos = t->ehash[i].next; pos != &t->ehash[i]; pos = pos->next)
			n++;
	}
	return n;
}

/**
 * tcp_for_each_sock - call @fn for every listener, then every connection in
 * the established table (SYN_RECV to TIME_WAIT), for skbos-stat.  @fn must
 * not change the tables.  Stack lock held.
 */
void tcp_for_each_sock(struct stack *st, void (*fn)(struct sock *sk, void *arg), void *arg)
{
	struct tcp_tables *t = tcp_tables(st);
	struct tcp_sock *tp;

	if (!t)
		return;
	for (int i = 0; i < TCP_LHASH_SIZE; i++)
		list_for_each_entry(tp, &t->lhash[i], lhash_node)
			fn(&tp->inet.sk, arg);
	for (int i = 0; i < TCP_EHASH_SIZE; i++)
		list_for_each_entry(tp, &t->ehash[i], ehash_node)
			fn(&tp->inet.sk, arg);
}
