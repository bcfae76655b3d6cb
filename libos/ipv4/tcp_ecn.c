/*
 * tcp_ecn.c - Explicit Congestion Notification for TCP (RFC 3168 §6.1),
 * the classic form Linux's net.ipv4.tcp_ecn 1 and 2 select (not AccECN).
 *
 * Read first: RFC 3168 §5 (the IP codepoints), §6.1.1 (the handshake),
 * §6.1.2 (the sender's response), §6.1.3 (the receiver's echo), §6.1.5
 * (what is never ECN-capable: retransmissions, pure ACKs, SYNs).
 *
 * The handshake: the initiator's SYN carries ECE and CWR (tcp_ecn 1 only),
 * the responder (tcp_ecn 1 or 2, Linux's default 2 only accepts) answers
 * with ECE alone; any other SYN-ACK leaves ECN off.  Once agreed:
 *
 *   tcp_transmit_skb -> tcp_ecn_send        ECT(0) on new data; CWR once
 *                                           after a reduction; ECE while CE
 *                                           waits for the peer's CWR
 *   tcp_data_queue   -> tcp_ecn_accept_cwr  the peer reduced: stop echoing
 *                    -> tcp_ecn_check_ce    CE: echo ECE until CWR
 *   tcp_ack          -> tcp_ecn_rcv_ecn_echo -> tcp_enter_cwr (tcp_prr.c)
 */
#include "tcp.h"
#include "stack.h"

/**
 * tcp_ecn_send_syn - the flags our SYN adds: ECE|CWR if net.ipv4.tcp_ecn
 * is 1 (RFC 3168 §6.1.1: "an ECN-setup SYN packet").  Then TCP_ECN_OK
 * stands until the SYN-ACK says otherwise (tcp_ecn_rcv_synack).
 */
u8 tcp_ecn_send_syn(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->ecn_flags = 0;
	if (sk->sk_stack->sysctl.tcp_ecn != 1)
		return 0;
	tp->ecn_flags = TCP_ECN_OK;
	return TCPHDR_ECE | TCPHDR_CWR;
}

/**
 * tcp_ecn_clear_syn - a SYN sent again goes without ECE and CWR (RFC 3168
 * §6.1.1.1: a middlebox may drop ECN-setup SYNs; Linux's tcp_ecn_fallback,
 * on by default).  A SYN-ACK that answers the first one may still agree.
 */
void tcp_ecn_clear_syn(struct sock *sk, struct sk_buff *skb)
{
	if (sk->sk_state == TCP_SYN_SENT)
		TCP_SKB_CB(skb)->tcp_flags &= (u8)~(TCPHDR_ECE | TCPHDR_CWR);
}

/**
 * tcp_ecn_rcv_synack - the SYN-ACK's @flags: RFC 3168 §6.1.1: only a SYN-ACK with ECE and
 * without CWR agrees; a peer that echoes both flags is one that reflects
 * reserved bits, not one that speaks ECN.
 */
void tcp_ecn_rcv_synack(struct tcp_sock *tp, u8 flags)
{
	if ((tp->ecn_flags & TCP_ECN_OK) && (flags & (TCPHDR_ECE | TCPHDR_CWR)) != TCPHDR_ECE)
		tp->ecn_flags &= (u8)~TCP_ECN_OK;
}

/** tcp_ecn_rcv_syn - simultaneous open: the peer's SYN (@flags) must be ECN-setup too. */
void tcp_ecn_rcv_syn(struct tcp_sock *tp, u8 flags)
{
	if ((tp->ecn_flags & TCP_ECN_OK) && (flags & TCPHDR_SYN_ECN) != TCPHDR_SYN_ECN)
		tp->ecn_flags &= (u8)~TCP_ECN_OK;
}

/**
 * tcp_ecn_create_request - a listener's @child agrees to ECN if the SYN
 * @skb asked (ECE and CWR), net.ipv4.tcp_ecn is not 0, and the SYN itself
 * was not ECN-capable: RFC 3168 §6.1.1 forbids ECT on a SYN, and Linux
 * (tcp_ecn_create_request) takes one as a network that rewrites the field.
 */
void tcp_ecn_create_request(struct sock *child, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(child);

	tp->ecn_flags = 0;
	if ((TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN_ECN) != TCPHDR_SYN_ECN ||
	    !child->sk_stack->sysctl.tcp_ecn)
		return;
	if ((TCP_SKB_CB(skb)->ip_dsfield & INET_ECN_MASK) != INET_ECN_NOT_ECT)
		return;
	tp->ecn_flags = TCP_ECN_OK;
}

/** tcp_ecn_make_synack - the flags our SYN-ACK adds: ECE alone if we agree. */
u8 tcp_ecn_make_synack(const struct tcp_sock *tp)
{
	return (tp->ecn_flags & TCP_ECN_OK) ? TCPHDR_ECE : 0;
}

/**
 * tcp_ecn_send - a non-SYN segment @skb (header @th built, payload after
 * it) leaves: set ECE/CWR in @th as RFC 3168 says and return the ECN
 * codepoint for its IP header.  Only new data is ECN-capable (§6.1.5:
 * "retransmitted data packets MUST NOT" be ECT, nor pure ACKs §6.1.4);
 * CWR goes on the first new data segment after a reduction (§6.1.2), and
 * a GSO super-packet's first segment only (gso.c).
 */
u8 tcp_ecn_send(struct sock *sk, const struct sk_buff *skb, struct tcphdr *th)
{
	u8 *flags = (u8 *)th + 13; /* glibc's tcphdr names no ECE/CWR bits */
	struct tcp_sock *tp = tcp_sk(sk);
	const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	u8 ecn = INET_ECN_NOT_ECT;

	if (!(tp->ecn_flags & TCP_ECN_OK) || sk->sk_state == TCP_SYN_SENT)
		return ecn;
	/* snd_max: skbos's snd_nxt goes back after an RTO, and what is sent
	 * below snd_max is a retransmission even then */
	if (skb->len > th->doff * 4u && !before(tcb->seq, tp->snd_max)) {
		ecn = INET_ECN_ECT_0;
		if (tp->ecn_flags & TCP_ECN_QUEUE_CWR) {
			tp->ecn_flags &= (u8)~TCP_ECN_QUEUE_CWR;
			*flags |= TCPHDR_CWR;
		}
	}
	if (tp->ecn_flags & TCP_ECN_DEMAND_CWR)
		*flags |= TCPHDR_ECE;
	return ecn;
}

/**
 * tcp_ecn_accept_cwr - a data segment @skb with CWR: the peer reduced its
 * window, our echo may stop (RFC 3168 §6.1.3).  Its cwnd may be small now:
 * the segment is ACKed at once (Linux: ICSK_ACK_NOW).
 */
void tcp_ecn_accept_cwr(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!(TCP_SKB_CB(skb)->tcp_flags & TCPHDR_CWR))
		return;
	tp->ecn_flags &= (u8)~TCP_ECN_DEMAND_CWR;
	if (tp->quickack < 1)
		tp->quickack = 1;
}

/**
 * tcp_ecn_check_ce - a data segment @skb was queued: if its IP header says
 * CE, our ACKs carry ECE until a CWR arrives (RFC 3168 §6.1.3), and the
 * next two go at once (Linux's quick-ACK mode: the sender's cwnd may be low).
 * Checked after tcp_ecn_accept_cwr, so a CE segment carrying CWR echoes on.
 */
void tcp_ecn_check_ce(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!(tp->ecn_flags & TCP_ECN_OK))
		return;
	switch (TCP_SKB_CB(skb)->ip_dsfield & INET_ECN_MASK) {
	case INET_ECN_NOT_ECT:
		/* Linux: not-ECT after ECT was seen is likely a retransmission,
		 * so the sender is in trouble: ACK the next two at once */
		if ((tp->ecn_flags & TCP_ECN_SEEN) && tp->quickack < 2)
			tp->quickack = 2;
		return;
	case INET_ECN_CE:
		if (!(tp->ecn_flags & TCP_ECN_DEMAND_CWR) && tp->quickack < 2)
			tp->quickack = 2;
		tp->ecn_flags |= TCP_ECN_DEMAND_CWR;
		/* fall through */
	default:
		tp->ecn_flags |= TCP_ECN_SEEN;
	}
}

/** tcp_ecn_rcv_ecn_echo - the ACK's @flags report congestion (ECE, not a SYN). */
bool tcp_ecn_rcv_ecn_echo(const struct tcp_sock *tp, u8 flags)
{
	return (flags & (TCPHDR_ECE | TCPHDR_SYN)) == TCPHDR_ECE && (tp->ecn_flags & TCP_ECN_OK);
}
