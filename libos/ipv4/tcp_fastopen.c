/*
 * tcp_fastopen.c - TCP Fast Open, the server's half (net/ipv4/tcp_fastopen.c):
 * a SYN with a valid cookie makes a child at once, its data acknowledged
 * by the SYN-ACK and readable by accept()'s caller before the handshake
 * ends; a cookie request, or a wrong cookie, is answered with the right
 * cookie in the SYN-ACK and the data in the SYN is left for the client to
 * send again.
 *
 *   tcp_rcv_listen -> tcp_create_child -> tcp_try_fastopen
 *   tcp_send_synack -> tcp_syn_options -> tcp_fastopen_synack_option
 *
 * Read first: RFC 7413 §4.1 (the option and the cookie: "the server ...
 * MUST generate the cookie ... a MAC of the client IP address"), §4.2.2
 * (the server: "if the cookie is valid, the server ... accepts the data"
 * and "otherwise ... drops the data and responds with a regular SYN-ACK"
 * with a fresh cookie), §5.1 (the pending-TFO limit, TCP_FASTOPEN's queue).
 */
#include <string.h>

#include "tcp.h"
#include "stack.h"

/*
 * The cookie for a client: SipHash-2-4 of the addresses under the stack's
 * secret (Linux's __tcp_fastopen_cookie_gen_cipher hashes saddr and daddr
 * with siphash), 8 bytes.  A domain constant keeps it apart from the ISN
 * and TSval offsets made from the same secret.
 */
static void tcp_fastopen_cookie_gen(const struct stack *st, __be32 saddr, __be32 daddr, u8 *out)
{
	u64 v = siphash_2u64((u64)saddr << 32 | daddr, 0x54464f00ull, st->ipv4.isn_key);

	memcpy(out, &v, TCP_FASTOPEN_COOKIE_SIZE);
}

/* Linux's tcp_fastopen_queue_check: TCP_FASTOPEN set, and room among the pending. */
static bool tcp_fastopen_queue_check(struct sock *lsk)
{
	struct tcp_sock *ltp = tcp_sk(lsk), *tp;
	int pending = 0;

	if (ltp->fastopen_qlen <= 0)
		return false;
	list_for_each_entry(tp, &ltp->accept_queue, accept_node)
		pending += tp->fastopen_child && tp->inet.sk.sk_state == TCP_SYN_RECV;
	if (pending >= ltp->fastopen_qlen) {
		SNMP_INC_STATS(lsk->sk_stack, LINUX_MIB_TCPFASTOPENLISTENOVERFLOW);
		return false;
	}
	return true;
}

/*
 * The SYN's data becomes the child's first bytes (tcp_fastopen_add_skb):
 * a clone of the payload on the receive queue, RCV.NXT past it, so the
 * SYN-ACK acknowledges it.  Borrows @skb.
 */
static void tcp_fastopen_add_data(struct sock *child, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(child);
	struct sk_buff *data;

	if (!skb->len || !(data = skb_clone(skb)))
		return;
	TCP_SKB_CB(data)->seq = TCP_SKB_CB(skb)->seq + 1;
	TCP_SKB_CB(data)->end_seq = TCP_SKB_CB(data)->seq + skb->len;
	skb_dst_drop(data);
	skb_set_owner_r(data, child);
	skb_queue_tail(&child->sk_receive_queue, data);
	tp->rcv_nxt = TCP_SKB_CB(data)->end_seq;
	tp->rcv_wup = tp->rcv_nxt;
	tp->syn_data_acked = true;
}

/* A Fast Open child is accepted now, in SYN_RECV (inet_csk_reqsk_queue_add). */
static void tcp_fastopen_accept_now(struct tcp_sock *tp)
{
	tp->fastopen_child = true;
	tcp_child_established(tp);
}

/**
 * tcp_try_fastopen - the listener @lsk made @child from the SYN @skb: if
 * the server side is on (net.ipv4.tcp_fastopen & 2, TCP_FASTOPEN on @lsk)
 * and the SYN carries the client's valid cookie, take its data and accept
 * the child at once; for a cookie request or a wrong cookie, let the
 * SYN-ACK carry the right one.  Borrows @skb.
 * Return: true if @child is a Fast Open child.
 */
bool tcp_try_fastopen(struct sock *lsk, struct sock *child, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(child);
	struct stack *st = lsk->sk_stack;
	u8 valid[TCP_FASTOPEN_COOKIE_SIZE];
	s8 len = tp->rx_opt.fastopen_len;

	if (!(st->sysctl.tcp_fastopen & TFO_SERVER_ENABLE) || (len < 0 && !skb->len) ||
	    !tcp_fastopen_queue_check(lsk))
		return false;
	if (len < 0)
		return false; /* data without the option: a plain SYN */
	tcp_fastopen_cookie_gen(st, child->sk_daddr, child->sk_rcv_saddr, valid);
	if (len == TCP_FASTOPEN_COOKIE_SIZE && !memcmp(tp->rx_opt.fastopen_cookie, valid, sizeof(valid))) {
		tcp_fastopen_add_data(child, skb);
		tcp_fastopen_accept_now(tp);
		SNMP_INC_STATS(st, LINUX_MIB_TCPFASTOPENPASSIVE);
		return true;
	}
	SNMP_INC_STATS(st, len ? LINUX_MIB_TCPFASTOPENPASSIVEFAIL : LINUX_MIB_TCPFASTOPENCOOKIEREQD);
	tp->fastopen_synack_len = TCP_FASTOPEN_COOKIE_SIZE;
	memcpy(tp->fastopen_synack_cookie, valid, sizeof(valid));
	return false;
}

/**
 * tcp_fastopen_synack_option - the cookie option a SYN-ACK carries, as
 * Linux writes it (tcp_options_write): kind 34, length, the cookie, two
 * NOPs to a word.  Return: bytes written at @opt (0: no cookie to give).
 */
unsigned int tcp_fastopen_synack_option(const struct tcp_sock *tp, u8 *opt)
{
	unsigned int len = 2u + (unsigned int)tp->fastopen_synack_len, n = len;

	if (tp->fastopen_synack_len <= 0)
		return 0;
	opt[0] = TCPOPT_FASTOPEN;
	opt[1] = (u8)len;
	memcpy(opt + 2, tp->fastopen_synack_cookie, (size_t)tp->fastopen_synack_len);
	while (n & 3)
		opt[n++] = TCPOPT_NOP;
	return n;
}
