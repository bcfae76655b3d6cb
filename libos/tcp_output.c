/*
 * tcp_output.c - sending segments (net/ipv4/tcp_output.c): the seeds'
 * path from the write queue to IP.
 *
 *   tcp_sendmsg -> tcp_push -> tcp_write_xmit (what may go: cwnd, the
 *   peer's window, Nagle) -> tcp_transmit_skb (clone the queued skb, push
 *   the TCP header, checksum) -> ip_queue_xmit (the socket's dst cache)
 *
 * Read first: RFC 9293 §3.8.6 (window management), RFC 1122 §4.2.3.3-4
 * (silly window avoidance, Nagle), RFC 5681 (what cwnd allows).
 */
#include <arpa/inet.h>
#include <string.h>

#include "tcp.h"
#include "checksum.h"
#include "ip.h"
#include "route.h"
#include "stack.h"

/** tcp_alloc_skb - an empty skb for @size payload bytes with MAX_TCP_HEADER headroom. */
struct sk_buff *tcp_alloc_skb(struct sock *sk, unsigned int size)
{
	struct sk_buff *skb = alloc_skb(sk->sk_stack, MAX_TCP_HEADER + size);

	if (skb) {
		skb_reserve(skb, MAX_TCP_HEADER);
		memset(TCP_SKB_CB(skb), 0, sizeof(struct tcp_skb_cb));
	}
	return skb;
}

/*
 * ip_queue_xmit: route through the socket's cached dst while it is valid
 * (no lookup per segment), push the IPv4 header, send.  TCP always sets DF:
 * it does path MTU discovery (RFC 1191 §3).  Consumes @skb.
 */
static int ip_queue_xmit(struct sock *sk, struct sk_buff *skb)
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
				(u8)(inet->uc_ttl < 0 ? 0 : inet->uc_ttl), inet->tos, true);
}

/* RFC 9293 §3.7.1: advertise the route MTU minus the headers. */
u16 tcp_mss_for_route(struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_check(sk);
	unsigned int mtu = dst ? dst_mtu(dst) : 1500;
	u16 mss = (u16)(mtu > 40 + 88 ? mtu - 40 : 88);

	if (tcp_sk(sk)->user_mss && tcp_sk(sk)->user_mss < mss)
		mss = tcp_sk(sk)->user_mss;
	return mss;
}

/** tcp_sync_mss - what we send per segment: min(route, peer's MSS, TCP_MAXSEG). */
void tcp_sync_mss(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u16 mss = tcp_mss_for_route(sk);

	if (tp->rx_opt.mss_clamp && tp->rx_opt.mss_clamp < mss)
		mss = tp->rx_opt.mss_clamp;
	tp->mss_cache = mss;
}

/*
 * The window to advertise (tcp_select_window): what the receive buffer can
 * still take, never shrinking what was offered (RFC 9293 §3.8.6.2.2), and
 * opening only in steps of at least min(MSS, half the buffer) so the peer
 * does not send silly small segments (RFC 1122 §4.2.3.3).  Payload costs
 * about twice its size in buffer (skb truesize), hence the halving.
 */
u32 tcp_select_window(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	s32 cur = (s32)(tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt);
	int free_space = (sk->sk_rcvbuf - sk->sk_rmem_alloc) / 2;
	u32 full = (u32)sk->sk_rcvbuf / 2, step, win;

	if (cur < 0)
		cur = 0;
	if (free_space < 0)
		free_space = 0;
	win = (u32)free_space;
	if (tp->window_clamp && win > tp->window_clamp)
		win = tp->window_clamp;
	step = tp->advmss < full / 2 ? tp->advmss : full / 2;
	if (win < (u32)cur + step && win < full)
		win = (u32)cur; /* receiver SWS avoidance: wait for a worthwhile opening */
	if (win < (u32)cur)
		win = (u32)cur;
	win &= ~((1u << tp->rx_opt.rcv_wscale) - 1);
	if (win > (65535u << tp->rx_opt.rcv_wscale))
		win = 65535u << tp->rx_opt.rcv_wscale;
	tp->rcv_wnd = win;
	tp->rcv_wup = tp->rcv_nxt;
	return win >> tp->rx_opt.rcv_wscale;
}

/** tcp_init_rcv_wnd - the first window and our scale (RFC 7323 §2.2). */
void tcp_init_rcv_wnd(struct tcp_sock *tp, u32 mss)
{
	struct sock *sk = &tp->inet.sk;
	u32 space = (u32)sk->sk_rcvbuf / 2;
	u8 ws = 0;

	(void)mss;
	while (ws < TCP_MAX_WSCALE && (space >> ws) > 65535)
		ws++;
	tp->rx_opt.rcv_wscale = ws;
	tp->rcv_wnd = space > 65535u << ws ? 65535u << ws : space;
	tp->rcv_wup = tp->rcv_nxt;
}

/* Options of a SYN or SYN-ACK: MSS, and window scale when allowed (RFC 7323 §1.3). */
static unsigned int tcp_syn_options(struct tcp_sock *tp, u8 *opt, bool synack)
{
	unsigned int n = 0;

	opt[n++] = TCPOPT_MSS;
	opt[n++] = 4;
	opt[n++] = (u8)(tp->advmss >> 8);
	opt[n++] = (u8)tp->advmss;
	if (!synack || tp->rx_opt.wscale_ok) {
		opt[n++] = TCPOPT_NOP;
		opt[n++] = TCPOPT_WINDOW;
		opt[n++] = 3;
		opt[n++] = tp->rx_opt.rcv_wscale;
	}
	return n;
}

/**
 * tcp_transmit_skb - put a TCP header on (a clone of) @skb and hand it to
 * IP.  With @clone the queued skb stays for retransmission (the seeds'
 * clone: header room pushed on the clone only).  Consumes @skb when !@clone.
 * Return: 0 or -errno.
 */
int tcp_transmit_skb(struct sock *sk, struct sk_buff *skb, bool clone)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	u8 opt[40];
	unsigned int optlen = 0, hlen;
	struct tcphdr *th;
	u32 win;

	if (clone) {
		skb = skb_clone(skb);
		if (!skb)
			return -ENOBUFS;
	}
	if (tcb->tcp_flags & TCPHDR_SYN)
		optlen = tcp_syn_options(tp, opt, tcb->tcp_flags & TCPHDR_ACK);
	hlen = TCP_HEADER_LEN + ALIGN(optlen, 4u);
	th = (struct tcphdr *)(void *)skb_push(skb, hlen);
	skb_reset_transport_header(skb);
	memset(th, 0, hlen);
	th->source = inet_sk(sk)->inet_sport;
	th->dest = sk->sk_dport;
	th->seq = htonl(tcb->seq);
	th->doff = (u16)(hlen / 4);
	((u8 *)th)[13] = tcb->tcp_flags;
	if (tcb->tcp_flags & TCPHDR_ACK) {
		th->ack_seq = htonl(tp->rcv_nxt);
		tp->ack_pending = 0;
		tp->segs_since_ack = 0;
		del_timer(&tp->delack_timer);
	}
	/* RFC 7323 §2.2: a SYN's window is never scaled. */
	win = (tcb->tcp_flags & TCPHDR_SYN) ? (tp->rcv_wnd > 65535 ? 65535 : tp->rcv_wnd)
					    : tcp_select_window(sk);
	th->window = htons((u16)win);
	memcpy(th + 1, opt, optlen);
	th->check = csum_tcpudp_magic(sk->sk_rcv_saddr, sk->sk_daddr, skb->len, IPPROTO_TCP,
				      csum_partial(th, skb->len, 0));
	SNMP_INC_STATS(sk->sk_stack, TCP_MIB_OUTSEGS);
	return ip_queue_xmit(sk, skb);
}

/* Queue a control segment (SYN, FIN) on the write queue: it is retransmitted like data. */
static struct sk_buff *tcp_queue_ctl(struct sock *sk, u8 flags, u32 seq)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb = tcp_alloc_skb(sk, 0);

	if (!skb)
		return NULL;
	skb_set_owner_w(skb, sk);
	TCP_SKB_CB(skb)->seq = seq;
	TCP_SKB_CB(skb)->end_seq = seq + 1;
	TCP_SKB_CB(skb)->tcp_flags = flags;
	skb_queue_tail(&sk->sk_write_queue, skb);
	if (!tp->send_head)
		tp->send_head = skb;
	return skb;
}

/* Send the skb at send_head now and advance (the body of tcp_write_xmit). */
static int tcp_send_head_skb(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int err;

	TCP_SKB_CB(skb)->when = stack_now(sk->sk_stack);
	if (!(TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN) || sk->sk_state != TCP_SYN_SENT)
		TCP_SKB_CB(skb)->tcp_flags |= TCPHDR_ACK;
	err = tcp_transmit_skb(sk, skb, true);
	if (err && err != -EMSGSIZE && err != -ENETUNREACH)
		return err;
	tp->send_head = skb_peek_next(skb, &sk->sk_write_queue);
	if (after(TCP_SKB_CB(skb)->end_seq, tp->snd_nxt))
		tp->snd_nxt = TCP_SKB_CB(skb)->end_seq;
	if (after(tp->snd_nxt, tp->snd_max))
		tp->snd_max = tp->snd_nxt;
	if (!timer_pending(&tp->retransmit_timer) || tp->persist)
		tcp_reset_rto(sk);
	return 0;
}

/*
 * Nagle (RFC 896, RFC 1122 §4.2.3.4): a small segment waits while data is
 * unacknowledged, unless TCP_NODELAY; TCP_CORK holds every partial segment.
 */
static bool tcp_nagle_holds(const struct tcp_sock *tp, const struct sk_buff *skb, bool more)
{
	if (skb->len >= tp->mss_cache || (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN))
		return false;
	if (tp->cork || more)
		return true;
	return !tp->nonagle && tp->snd_nxt != tp->snd_una;
}

/**
 * tcp_write_xmit - send what the congestion window, the peer's window and
 * Nagle allow, from send_head on.  With nothing in flight and a closed
 * window, arm the persist timer instead (RFC 9293 §3.8.6.1).
 */
void tcp_write_xmit(struct sock *sk, bool more)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;

	while ((skb = tp->send_head) != NULL) {
		u32 mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT;

		if (tcp_packets_in_flight(tp, mss) >= tp->snd_cwnd)
			break;
		if (after(TCP_SKB_CB(skb)->end_seq, tcp_wnd_end(tp)) &&
		    !(TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN))
			break;
		if (tcp_nagle_holds(tp, skb, more && !skb_peek_next(skb, &sk->sk_write_queue)))
			break;
		if (tcp_send_head_skb(sk, skb))
			break;
	}
	if (tp->send_head && tp->snd_nxt == tp->snd_una && !timer_pending(&tp->retransmit_timer)) {
		tp->persist = true;
		mod_timer(&tp->retransmit_timer, stack_now(sk->sk_stack) +
			  (tp->rto << (tp->backoff < 6 ? tp->backoff : 6)));
	}
}

/** tcp_push - send queued data after a write; MSG_MORE keeps a partial segment back. */
void tcp_push(struct sock *sk, int flags)
{
	tcp_write_xmit(sk, flags & MSG_MORE);
}

/** tcp_send_ack - an ACK now (also a window update). */
void tcp_send_ack(struct sock *sk)
{
	struct sk_buff *skb;

	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return;
	skb = tcp_alloc_skb(sk, 0);
	if (!skb)
		return;
	TCP_SKB_CB(skb)->seq = tcp_sk(sk)->snd_nxt;
	TCP_SKB_CB(skb)->tcp_flags = TCPHDR_ACK;
	tcp_transmit_skb(sk, skb, false);
}

/*
 * RFC 1122 §4.2.3.2 / RFC 9293 §3.8.6.3: ACK at least every second full
 * segment and within 500 ms; Linux: at once in quick-ack mode (the start of
 * a connection), else within 40 ms.
 */
void tcp_send_delayed_ack(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->ack_pending = 1;
	if (tp->quickack) {
		tp->quickack--;
		tcp_send_ack(sk);
		return;
	}
	if (++tp->segs_since_ack >= 2) {
		tcp_send_ack(sk);
		return;
	}
	if (!timer_pending(&tp->delack_timer))
		mod_timer(&tp->delack_timer, stack_now(sk->sk_stack) + TCP_DELACK_MAX);
}

/** tcp_send_syn - queue and send our SYN (active open). */
int tcp_send_syn(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tcp_queue_ctl(sk, TCPHDR_SYN, tp->iss))
		return -ENOBUFS;
	tp->write_seq = tp->iss + 1;
	tcp_write_xmit(sk, false);
	return 0;
}

/** tcp_send_synack - queue and send our SYN-ACK (passive open, simultaneous open). */
int tcp_send_synack(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tcp_queue_ctl(sk, TCPHDR_SYN | TCPHDR_ACK, tp->iss))
		return -ENOBUFS;
	tp->write_seq = tp->iss + 1;
	tcp_write_xmit(sk, false);
	return 0;
}

/**
 * tcp_send_fin - our FIN: on the last unsent segment if there is one (it
 * costs nothing), else as a segment of its own.
 */
void tcp_send_fin(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *tail = skb_peek_tail(&sk->sk_write_queue);

	if (tail && tp->send_head && !(TCP_SKB_CB(tail)->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN))) {
		TCP_SKB_CB(tail)->tcp_flags |= TCPHDR_FIN;
		TCP_SKB_CB(tail)->end_seq++;
	} else if (!tcp_queue_ctl(sk, TCPHDR_FIN | TCPHDR_ACK, tp->write_seq)) {
		return;
	}
	tp->write_seq++;
	tcp_write_xmit(sk, false);
}

/** tcp_send_active_reset - abort: RST at snd_nxt (RFC 9293 §3.10.5 ABORT). */
void tcp_send_active_reset(struct sock *sk)
{
	struct sk_buff *skb = tcp_alloc_skb(sk, 0);

	if (!skb)
		return;
	TCP_SKB_CB(skb)->seq = tcp_sk(sk)->snd_nxt;
	TCP_SKB_CB(skb)->tcp_flags = TCPHDR_RST | TCPHDR_ACK;
	SNMP_INC_STATS(sk->sk_stack, TCP_MIB_OUTRSTS);
	tcp_transmit_skb(sk, skb, false);
}

/**
 * tcp_retransmit_skb - send a queued segment again, trimming what the
 * peer already has.  Return: 0 or -errno.
 */
int tcp_retransmit_skb(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);

	if (before(tcb->seq, tp->snd_una) && skb->len) {
		u32 trim = tp->snd_una - tcb->seq;

		if (trim >= skb->len)
			trim = skb->len;
		/*
		 * Move the rest down rather than pull the acknowledged bytes:
		 * the headers pushed in front of the data must stay aligned
		 * (an odd trim would misalign tcphdr and iphdr).  A clone may
		 * still be queued below (neighbour queue): copy it first.
		 */
		if (skb_cow(skb, 0))
			return -ENOMEM;
		memmove(skb->data, skb->data + trim, skb->len - trim);
		__skb_trim(skb, skb->len - trim);
		tcb->seq += trim;
	}
	tcb->retrans++;
	tcb->when = stack_now(sk->sk_stack);
	tp->total_retrans++;
	if (!tp->retrans_stamp)
		tp->retrans_stamp = tcb->when;
	SNMP_INC_STATS(sk->sk_stack, TCP_MIB_RETRANSSEGS);
	if (sk->sk_state != TCP_SYN_SENT)
		tcb->tcp_flags |= TCPHDR_ACK;
	return tcp_transmit_skb(sk, skb, true);
}

/*
 * tcp_send_probe0: a zero-window probe.  Linux sends a segment with an old
 * sequence number (snd_una - 1) and no data: the peer must answer with an
 * ACK carrying its current window (RFC 9293 §3.8.6.1).
 */
void tcp_send_probe0(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb = tcp_alloc_skb(sk, 0);

	if (!skb)
		return;
	TCP_SKB_CB(skb)->seq = tp->snd_una - 1;
	TCP_SKB_CB(skb)->tcp_flags = TCPHDR_ACK;
	tcp_transmit_skb(sk, skb, false);
}
