/*
 * tcp_input.c - receiving segments (net/ipv4/tcp_input.c).
 *
 * Read first: RFC 9293 §3.10.7 "SEGMENT ARRIVES": the steps below carry its
 * numbers.  Then RFC 5961 (RST and SYN in the window), RFC 6298 (RTT
 * samples, Karn's rule), RFC 5681 and RFC 6582 (fast retransmit, NewReno).
 *
 *   tcp_v4_rcv -> tcp_rcv_listen (LISTEN: a child in SYN_RECV)
 *              -> tcp_rcv_state_process
 *                   SYN_SENT: tcp_rcv_synsent
 *                   else: check seq (1), RST (2), SYN (4), ACK (5: tcp_ack),
 *                         data (7: tcp_data_queue), FIN (8: tcp_fin)
 */
#include <arpa/inet.h>
#include <string.h>

#include "tcp.h"
#include "stack.h"
#include "log.h"

/**
 * tcp_parse_options - MSS, window scale, SACK-permitted, timestamps.  Every
 * length is checked before it is read: options running past the header,
 * zero or short lengths end the parse (RFC 9293 §3.2).
 */
void tcp_parse_options(const struct tcphdr *th, struct tcp_options_received *opt, bool syn)
{
	const u8 *p = (const u8 *)(th + 1);
	int len = th->doff * 4 - (int)sizeof(*th);

	opt->saw_tstamp = 0;
	if (syn)
		opt->fastopen_len = -1;
	while (len > 0) {
		u8 kind = *p, size;

		if (kind == TCPOPT_EOL)
			return;
		if (kind == TCPOPT_NOP) {
			p++;
			len--;
			continue;
		}
		if (len < 2)
			return;
		size = p[1];
		if (size < 2 || size > len)
			return;
		switch (kind) {
		case TCPOPT_MSS:
			if (size == 4 && syn) {
				u16 mss = (u16)(p[2] << 8 | p[3]);

				if (mss >= 88)
					opt->mss_clamp = mss;
			}
			break;
		case TCPOPT_WINDOW:
			if (size == 3 && syn) {
				opt->wscale_ok = 1;
				/* RFC 7323 §2.3: a shift above 14 is used as 14 */
				opt->snd_wscale = p[2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : p[2];
			}
			break;
		case TCPOPT_SACK_PERM:
			if (size == 2 && syn)
				opt->sack_ok = 1;
			break;
		case TCPOPT_FASTOPEN:
			/* RFC 7413 §4.1.1: empty (a request) or a 4 to 16-byte,
			 * even-length cookie; anything else is no option (Linux's
			 * tcp_parse_fastopen_option) */
			if (syn && (size == 2 || (size - 2 >= TCP_FASTOPEN_COOKIE_MIN &&
						  size - 2 <= TCP_FASTOPEN_COOKIE_MAX && !(size & 1)))) {
				opt->fastopen_len = (s8)(size - 2);
				memcpy(opt->fastopen_cookie, p + 2, size - 2u);
			}
			break;
		case TCPOPT_TIMESTAMP:
			if (size == 10) {
				if (syn)
					opt->tstamp_ok = 1;
				opt->saw_tstamp = 1;
				opt->rcv_tsval = (u32)p[2] << 24 | (u32)p[3] << 16 | (u32)p[4] << 8 | p[5];
				opt->rcv_tsecr = (u32)p[6] << 24 | (u32)p[7] << 16 | (u32)p[8] << 8 | p[9];
			}
			break;
		}
		p += size;
		len -= size;
	}
}

static const struct tcphdr *tcp_hdr(const struct sk_buff *skb)
{
	return (const struct tcphdr *)(const void *)skb_transport_header(skb);
}

/* ---- timestamps (RFC 7323 §3-5) ------------------------------------------ */

/*
 * PAWS (RFC 7323 §5.3 R1): the segment's TSval is older than TS.Recent.  A
 * TS.Recent idle for 24 days is too old to judge by (§5.5).
 */
static bool tcp_paws_discard(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return tp->rx_opt.saw_tstamp && (s32)(tp->rx_opt.ts_recent - tp->rx_opt.rcv_tsval) > 0 &&
	       stack_now(sk->sk_stack) - tp->rx_opt.ts_recent_stamp <= TCP_PAWS_24DAYS;
}

/*
 * RFC 7323 §4.3 (2): an acceptable segment that covers the left edge of
 * the window (seq <= Last.ACK.sent, our rcv_wup) updates TS.Recent.
 */
static void tcp_store_ts_recent(struct sock *sk, const struct tcp_skb_cb *tcb)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->rx_opt.saw_tstamp && !after(tcb->seq, tp->rcv_wup) &&
	    (s32)(tp->rx_opt.rcv_tsval - tp->rx_opt.ts_recent) >= 0) {
		tp->rx_opt.ts_recent = tp->rx_opt.rcv_tsval;
		tp->rx_opt.ts_recent_stamp = stack_now(sk->sk_stack);
	}
}

/**
 * tcp_synack_tstamp - after parsing the peer's SYN or SYN-ACK: timestamps
 * are on only if both sides sent them (RFC 7323 §3.2); the first TS.Recent
 * is the peer's TSval.
 */
void tcp_synack_tstamp(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!sk->sk_stack->sysctl.tcp_timestamps || !tp->rx_opt.saw_tstamp) {
		tp->rx_opt.tstamp_ok = 0;
		return;
	}
	tp->rx_opt.ts_recent = tp->rx_opt.rcv_tsval;
	tp->rx_opt.ts_recent_stamp = stack_now(sk->sk_stack);
}

/* RFC 6298 §2: fold one RTT sample into srtt/rttvar, recompute RTO. */
static void tcp_rtt_estimator(struct tcp_sock *tp, ktime_t r)
{
	ktime_t var;

	if (!tp->rtt_seen) {
		tp->rtt_seen = true;
		tp->srtt = r;
		tp->rttvar = r / 2;
	} else {
		ktime_t d = tp->srtt > r ? tp->srtt - r : r - tp->srtt;

		tp->rttvar = (3 * tp->rttvar + d) / 4;
		tp->srtt = (7 * tp->srtt + r) / 8;
	}
	/* Linux: the variance term is at least rto_min, so RTO >= srtt + 200 ms. */
	var = 4 * tp->rttvar > TCP_RTO_MIN ? 4 * tp->rttvar : TCP_RTO_MIN;
	tp->rto = tp->srtt + var;
	if (tp->rto > TCP_RTO_MAX)
		tp->rto = TCP_RTO_MAX;
}

/* The peer's window, scaled (a SYN's never is: RFC 7323 §2.2). */
static u32 tcp_seg_window(const struct tcp_sock *tp, const struct tcphdr *th)
{
	u32 w = ntohs(th->window);

	return th->syn ? w : w << tp->rx_opt.snd_wscale;
}

/*
 * RFC 9293 §3.10.7.4 step 5, "update the send window": only from a segment
 * at least as new as the last one that did (SND.WL1, SND.WL2).
 */
static void tcp_ack_update_window(struct tcp_sock *tp, const struct sk_buff *skb, u32 ack)
{
	struct sock *sk = &tp->inet.sk;
	const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	u32 nwin = tcp_seg_window(tp, tcp_hdr(skb));

	if (before(tp->snd_wl1, tcb->seq) ||
	    (tp->snd_wl1 == tcb->seq && !after(tp->snd_wl2, ack)) || nwin > tp->snd_wnd) {
		tp->snd_wnd = nwin;
		tp->snd_wl1 = tcb->seq;
		tp->snd_wl2 = ack;
		if (nwin > tp->max_window) {
			u32 half_before = tp->max_window / 2;

			tp->max_window = nwin;
			/* the half-window bound on the MSS may have lifted */
			if (half_before < (u32)tp->mss_cache + TCPOLEN_TSTAMP_ALIGNED &&
			    sk->sk_state != TCP_SYN_SENT)
				tcp_sync_mss(sk);
		}
	}
}

/*
 * Free what @ack covers from the write queue.  RTT (RFC 6298 §3, Karn): the
 * sample comes from the oldest segment this ACK covers, and there is none
 * if any covered segment was retransmitted (Linux's FLAG_RETRANS_DATA_ACKED).
 * A segment sent once, never SACKed, and acknowledged only now while data
 * above it was SACKed before arrived late: reordering, not loss.
 * Return: payload bytes newly acknowledged.
 */
/*
 * Linux's tcp_trim_head (from tcp_tso_acked): the acknowledged front of a
 * partly acknowledged skb is dropped and its memory given back to the send
 * buffer at once, not when the whole skb is acknowledged: a writer blocked
 * on a full buffer is woken by every ACK that frees room, and one big skb
 * does not hold the buffer full while most of it is acknowledged.
 */
static void tcp_trim_head(struct sock *sk, struct sk_buff *skb, u32 ack)
{
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	u32 len = ack - tcb->seq;

	if ((tcb->tcp_flags & TCPHDR_SYN) || len >= skb->len)
		return;
	__skb_pull(skb, len); /* tcp_transmit_skb realigns a retransmission */
	tcb->seq = ack;
	if (skb->sk == sk && skb->truesize >= len + sizeof(*skb))
		tcp_wmem_charge(sk, skb, -(int)len);
}

static u32 tcp_clean_rtx_queue(struct sock *sk, u32 ack)
{
	struct tcp_sock *tp = tcp_sk(sk);
	ktime_t now = stack_now(sk->sk_stack), first = 0;
	u32 acked = ack - tp->snd_una, reord_seq = 0;
	bool have_first = false, retrans_acked = false, reord = false;
	bool sacked_above = tp->sacked_out && after(tp->sack_high, tp->snd_una);
	struct sk_buff *skb;

	while ((skb = skb_peek(&sk->sk_write_queue)) != NULL) {
		struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);

		if (after(tcb->end_seq, ack))
			break;
		if (tcb->retrans)
			retrans_acked = true;
		else if (!have_first && tcb->when) {
			first = tcb->when;
			have_first = true;
		}
		if (sacked_above && !reord && !tcb->retrans && !(tcb->sacked & TCPCB_SACKED_ACKED) &&
		    before(tcb->seq, tp->sack_high)) {
			reord = true;
			reord_seq = tcb->seq;
		}
		if (skb == tp->send_head)
			tp->send_head = skb_peek_next(skb, &sk->sk_write_queue);
		skb_unlink(skb, &sk->sk_write_queue);
		consume_skb(skb);
	}
	if (skb && skb != tp->send_head && before(TCP_SKB_CB(skb)->seq, ack))
		tcp_trim_head(sk, skb, ack);
	tcp_urg_acked(tp, tp->snd_una, ack);
	if (have_first && !retrans_acked)
		tcp_rtt_estimator(tp, now - first);
	if (reord)
		tcp_check_reordering(sk, reord_seq);
	return acked;
}

/*
 * Enter fast recovery: on the third duplicate ACK, or (with SACK) once the
 * scoreboard counts a segment lost.  NewReno (RFC 6582 §3.2) inflates cwnd
 * by the three segments that left and resends the first; with SACK (RFC
 * 6675 §5) PRR sets cwnd on each ACK (tcp_cwnd_reduction) and the pipe
 * decides what goes, lost segments first (tcp_sack_xmit_lost).  A loss
 * during an ECN reduction continues that reduction (Linux: ssthresh is
 * not cut twice in one window, RFC 3168 §6.1.2), and is not undone.
 */
static void tcp_enter_recovery(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);

	tcp_init_undo(sk);
	if (tp->in_cwr) {
		tp->in_cwr = false;
		tp->undo_armed = false;
	} else {
		tcp_init_cwnd_reduction(sk);
	}
	tp->in_recovery = true;
	if (tp->rx_opt.sack_ok) {
		tcp_sack_mark_head_lost(sk);
		return;
	}
	tp->snd_cwnd = tp->snd_ssthresh + 3;
	if (head && head != tp->send_head)
		tcp_retransmit_skb(sk, head);
}

/*
 * In recovery, an ACK that covers retransmitted data but echoes a TSval
 * older than the first retransmission answers the original (RFC 3522
 * §3.2): the hole was reordering, not loss.  The reordering is learnt; with
 * no retransmission left unanswered the reduction is undone, else nothing
 * more is resent (Linux's tcp_try_undo_partial).  Return: true if this ACK
 * is done with.
 */
static bool tcp_try_undo_partial(struct sock *sk, u32 prior_snd_una)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tcp_packet_delayed(tp))
		return false;
	SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_TCPTSREORDER);
	tcp_check_reordering(sk, prior_snd_una);
	if (!tp->retrans_out)
		tcp_undo_cwnd_reduction(sk, LINUX_MIB_TCPPARTIALUNDO);
	return true;
}

static void tcp_cong_on_ack(struct sock *sk, u32 ack, u32 acked, u32 prior_snd_una)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT;
	struct sk_buff *head;

	/* RFC 3168 §6.1.2: one reduction per window; it ends once the ACKs
	 * pass the data in flight when it began (high_seq) */
	if (tp->in_cwr && after(ack, tp->high_seq))
		tcp_end_cwr(sk);
	if (tp->in_cwr)
		return; /* PRR sets cwnd (tcp_ack), it does not grow */
	if (tp->in_recovery) {
		if (before(ack, tp->high_seq) && tcp_try_undo_partial(sk, prior_snd_una))
			return;
		if (before(ack, tp->high_seq) && tp->rx_opt.sack_ok) {
			tcp_sack_mark_head_lost(sk); /* the next hole (Linux's NewReno-with-SACK rule) */
			return;
		}
		if (before(ack, tp->high_seq)) {
			/* partial ACK: the next hole is lost too (RFC 6582 §3.2 step 5) */
			head = skb_peek(&sk->sk_write_queue);
			if (head && head != tp->send_head)
				tcp_retransmit_skb(sk, head);
			tp->snd_cwnd = tp->snd_cwnd > acked / mss ? tp->snd_cwnd - acked / mss + 1 : 1;
			return;
		}
		/* a full ACK: undo if every retransmission was spurious
		 * (Linux's tcp_try_undo_recovery), else deflate (RFC 6582 §3.2
		 * step 6); a late D-SACK may still undo (tcp_ack) */
		if (tcp_may_undo(tp)) {
			tcp_undo_cwnd_reduction(sk, LINUX_MIB_TCPFULLUNDO);
			return;
		}
		tp->in_recovery = false;
		tp->snd_cwnd = tp->snd_ssthresh;
		return;
	}
	/* cwnd grows only while it limits: in slow start while what was in
	 * flight is at least half of it, else when it held data back */
	if (tp->snd_cwnd < tp->snd_ssthresh ? tp->snd_cwnd < 2 * tp->max_packets_out
					     : tp->is_cwnd_limited)
		tp->ca_ops->cong_avoid(tp, (acked + mss - 1) / mss);
}

/*
 * RFC 5961 §7 and Linux's tcp_invalid_ratelimit: the ACKs that answer an
 * unacceptable segment (out of the window, acking unsent data, a suspicious
 * RST or SYN) go out at most once per tcp_invalid_ratelimit.  Otherwise two
 * ends that disagree on the sequence space, after one was fed a forged
 * segment, answer each other's ACKs with ACKs forever (an "ACK war").
 * Return: true if the ACK must not be sent (counted in @mib).
 */
static bool __tcp_oow_rate_limited(struct sock *sk, enum snmp_mib mib)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct stack *st = sk->sk_stack;
	ktime_t now = stack_now(st);

	if (tp->last_oow_ack_time && now - tp->last_oow_ack_time < st->sysctl.tcp_invalid_ratelimit) {
		SNMP_INC_STATS(st, mib);
		return true;
	}
	tp->last_oow_ack_time = now;
	return false;
}

/* Segments with data (or a SYN) are not part of an ACK loop: never limited. */
bool tcp_oow_rate_limited(struct sock *sk, const struct sk_buff *skb, enum snmp_mib mib)
{
	if (TCP_SKB_CB(skb)->seq != TCP_SKB_CB(skb)->end_seq && !tcp_hdr(skb)->syn)
		return false;
	return __tcp_oow_rate_limited(sk, mib);
}

/* RFC 5961 §4.2/§3.2/§5.2: answer a suspicious RST, SYN or ACK with an ACK, no more. */
static void tcp_send_challenge_ack(struct sock *sk)
{
	if (!__tcp_oow_rate_limited(sk, LINUX_MIB_TCPACKSKIPPEDCHALLENGE)) {
		SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_TCPCHALLENGEACK);
		tcp_send_ack(sk);
	}
}

/*
 * Linux's tcp_check_space, after an ACK and the sending it allowed
 * (tcp_data_snd_check): a writer that found no room is woken if there now
 * is some.  After the sending, not before: with TCP_NOTSENT_LOWAT a window
 * update that acknowledges nothing makes room by sending unsent bytes.
 * Only a writer that asked: an ACK alone is no new EPOLLOUT edge.
 */
static void tcp_check_space(struct sock *sk)
{
	if (sock_flag(sk, SOCK_NOSPACE))
		sk->sk_write_space(sk);
}

/**
 * tcp_ack - RFC 9293 §3.10.7.4 step 5 for synchronized states.
 * Return: 0 to go on with the segment, or a negated drop reason (as Linux's
 * tcp_ack): an ACK of unsent data, or one older than any window.
 */
static int tcp_ack(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	u32 ack = tcb->ack_seq, prior_wnd = tp->snd_wnd, prior_snd_una = tp->snd_una, acked = 0;
	u32 prior_sacked = tp->sacked_out, prior_lost = tp->lost_out, mss, delivered;
	bool ece = tcp_ecn_rcv_ecn_echo(tp, tcb->tcp_flags);

	/* "If the ACK acks something not yet sent ... send an ACK, drop the segment" */
	if (after(ack, tp->snd_max)) {
		tcp_send_challenge_ack(sk);
		return -SKB_DROP_REASON_TCP_ACK_UNSENT_DATA;
	}
	if (before(ack, tp->snd_una)) {
		/* RFC 5961 §5.2: acceptable only if "(SND.UNA - MAX.SND.WND) =<
		 * SEG.ACK"; older than any window the peer ever offered is a
		 * blind data injection: "discarded and an ACK sent back" */
		if (before(ack, tp->snd_una - tp->max_window)) {
			tcp_send_challenge_ack(sk);
			return -SKB_DROP_REASON_TCP_TOO_OLD_ACK;
		}
		return 0; /* an old duplicate: ignore it */
	}
	tcp_ack_update_window(tp, skb, ack);
	if (after(ack, tp->snd_una)) {
		acked = tcp_clean_rtx_queue(sk, ack);
		tp->snd_una = ack;
		if (after(ack, tp->snd_nxt))
			tp->snd_nxt = ack;
		if (tp->rx_opt.sack_ok)
			tcp_sacktag(sk, tcp_hdr(skb), prior_snd_una);
		tp->dupacks = 0;
		tp->retransmits = 0;
		tp->backoff = 0;
		tp->retrans_stamp = 0;
		tp->probes_out = 0;
		tcp_cong_on_ack(sk, ack, acked, prior_snd_una);
		if (!tp->in_recovery)
			tcp_sndbuf_expand(sk); /* the window grew: let the queue behind it grow */
		/* all acknowledged: the RTO stops, unless a FIN that found no
		 * memory waits for the timer to try again (tcp_send_fin) */
		if (tp->snd_una == tp->snd_max && !tp->fin_pending)
			tcp_clear_xmit_timer(sk, TCP_TIMER_RETRANS);
		else
			tcp_reset_rto(sk);
	} else if (tcb->end_seq == tcb->seq && tp->snd_wnd == prior_wnd && tp->snd_una != tp->snd_max) {
		/* RFC 5681 §2: a duplicate ACK; with SACK only one that SACKs
		 * new data (RFC 6675 §2), so a D-SACK alone is none */
		bool dup = !tp->rx_opt.sack_ok || tcp_sacktag(sk, tcp_hdr(skb), prior_snd_una);

		if (dup && ++tp->dupacks >= tp->reordering && !tp->in_recovery)
			tcp_enter_recovery(sk);
		else if (dup && tp->in_recovery && !tp->rx_opt.sack_ok)
			tp->snd_cwnd++; /* each further dupack: one segment left the network */
	} else if (tp->rx_opt.sack_ok) {
		tcp_sacktag(sk, tcp_hdr(skb), prior_snd_una); /* a D-SACK rides window updates too */
	}
	/* RFC 3708 §3: D-SACKs for every retransmission of the episode, maybe
	 * after it ended: none was needed (Linux's tcp_try_undo_dsack) */
	if (tp->undo_armed && !tp->undo_retrans)
		tcp_undo_cwnd_reduction(sk, LINUX_MIB_TCPDSACKUNDO);
	if (tp->rx_opt.sack_ok && tp->snd_una != tp->snd_max) {
		/* RFC 6675 §5: SACK alone may show a loss before three dupacks */
		if (!tp->in_recovery && tp->lost_out)
			tcp_enter_recovery(sk);
	}
	/* RFC 3168 §6.1.2: congestion the network marked; a loss in the same
	 * ACK already reduced (Linux's tcp_try_to_open) */
	if (ece)
		tcp_enter_cwr(sk);
	/* delivered = cumulatively acknowledged + newly SACKed, counting a
	 * segment once (Linux's tcp_newly_delivered, tcp_count_delivered) */
	mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT;
	delivered = (acked + mss - 1) / mss + tp->sacked_out;
	delivered = delivered > prior_sacked ? delivered - prior_sacked : 0;
	tp->delivered += delivered;
	SNMP_ADD_STATS(sk->sk_stack, LINUX_MIB_TCPDELIVERED, delivered);
	if (ece) {
		tp->delivered_ce += delivered;
		SNMP_ADD_STATS(sk->sk_stack, LINUX_MIB_TCPDELIVEREDCE, delivered);
	}
	/* PRR (tcp_prr.c) while reducing */
	if ((tp->in_recovery && tp->rx_opt.sack_ok) || tp->in_cwr)
		tcp_cwnd_reduction(sk, delivered, after(ack, prior_snd_una) && tp->lost_out <= prior_lost);
	if (tp->in_recovery && tp->rx_opt.sack_ok && tp->snd_una != tp->snd_max)
		tcp_sack_xmit_lost(sk);
	if (tp->persist)
		tp->probes_out = 0; /* the peer answers: it is alive (tcp_probe_timer) */
	if (tp->persist && tp->snd_wnd) {
		tcp_clear_xmit_timer(sk, TCP_TIMER_RETRANS);
		tp->persist = false;
		tp->backoff = 0;
	}
	tcp_write_xmit(sk, false);
	tcp_check_space(sk);
	return 0;
}

/* Our FIN is acknowledged once everything we queued is. */
static bool tcp_fin_acked(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return sk->sk_shutdown & SEND_SHUTDOWN && !tp->fin_pending && tp->snd_una == tp->write_seq;
}

/* RFC 9293 §3.10.7.4 step 8: the peer's FIN, now in order. */
static void tcp_fin(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->rcv_nxt++;
	sk->sk_shutdown |= RCV_SHUTDOWN;
	sock_set_flag(sk, SOCK_DONE);
	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		tcp_set_state(sk, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		/* simultaneous close: our FIN is not acknowledged yet */
		tcp_set_state(sk, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		tcp_time_wait(sk);
		break;
	}
	tcp_send_ack(sk);
	skb_queue_purge(&tp->out_of_order_queue);
	sk->sk_state_change(sk);
	sk->sk_data_ready(sk);
}

/* Append in-order data to the receive queue, charging the socket. */
static void tcp_queue_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	bool fin = tcb->tcp_flags & TCPHDR_FIN;

	tp->rcv_nxt = tcb->end_seq - (fin ? 1 : 0);
	if (skb->len) {
		skb_dst_drop(skb);
		if (skb->sk != sk) /* out-of-order data is charged already */
			skb_set_owner_r(skb, sk);
		skb_queue_tail(&sk->sk_receive_queue, skb);
	} else {
		consume_skb(skb);
	}
	if (fin)
		tcp_fin(sk);
}

static bool tcp_rmem_full(const struct sock *sk, const struct sk_buff *skb)
{
	return sk->sk_rmem_alloc + (int)skb->truesize > sk->sk_rcvbuf + (sk->sk_rcvbuf >> 1);
}

/*
 * Out of buffer for a segment that fills the hole at rcv_nxt: drop
 * out-of-order data from the far end until it fits (tcp_prune_ofo_queue);
 * the peer sends it again, and the connection moves on instead of waiting
 * forever for a segment there is never room for.  Return: true if @skb fits.
 */
static bool tcp_prune_ofo_queue(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *last;

	if (after(TCP_SKB_CB(skb)->seq, tp->rcv_nxt))
		return false;
	while (tcp_rmem_full(sk, skb) && (last = skb_peek_tail(&tp->out_of_order_queue)) != NULL) {
		skb_unlink(last, &tp->out_of_order_queue);
		sk->sk_drops++;
		kfree_skb_reason(last, SKB_DROP_REASON_TCP_OFO_DROP);
	}
	return !tcp_rmem_full(sk, skb);
}

/* Move what has become in order from the out-of-order queue. */
static void tcp_ofo_drain(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;

	while ((skb = skb_peek(&tp->out_of_order_queue)) != NULL) {
		struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);

		if (after(tcb->seq, tp->rcv_nxt))
			break;
		skb_unlink(skb, &tp->out_of_order_queue);
		if (!after(tcb->end_seq, tp->rcv_nxt) && !(tcb->tcp_flags & TCPHDR_FIN)) {
			kfree_skb_reason(skb, SKB_DROP_REASON_TCP_OFO_DROP); /* wholly old */
			continue;
		}
		if (before(tcb->seq, tp->rcv_nxt)) {
			u32 trim = tp->rcv_nxt - tcb->seq;

			__skb_pull(skb, trim < skb->len ? trim : skb->len);
			tcb->seq = tp->rcv_nxt;
		}
		tcp_queue_rcv(sk, skb);
		if (sk->sk_shutdown & RCV_SHUTDOWN)
			break;
	}
}

/* Keep a segment beyond rcv_nxt, sorted by sequence, without duplicates. */
static void tcp_ofo_queue(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	struct sk_buff *pos;

	/* it holds receive memory like in-order data (the window shrinks) */
	skb_dst_drop(skb);
	skb_set_owner_r(skb, sk);
	tp->last_ofo_seq = tcb->seq;
	skb_queue_reverse_walk(&tp->out_of_order_queue, pos) {
		struct tcp_skb_cb *pcb = TCP_SKB_CB(pos);

		if (!after(tcb->seq, pcb->seq) && !before(pcb->end_seq, tcb->end_seq) &&
		    pcb->seq == tcb->seq) {
			tcp_dsack_set(tp, tcb->seq, tcb->end_seq);
			SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_TCPOFOMERGE);
			kfree_skb_reason(skb, SKB_DROP_REASON_TCP_OFOMERGE); /* we have it */
			return;
		}
		if (!before(tcb->seq, pcb->seq)) {
			if (!after(tcb->end_seq, pcb->end_seq)) {
				tcp_dsack_set(tp, tcb->seq, tcb->end_seq);
				SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_TCPOFOMERGE);
				kfree_skb_reason(skb, SKB_DROP_REASON_TCP_OFOMERGE); /* covered */
				return;
			}
			skb_queue_after(&tp->out_of_order_queue, pos, skb);
			return;
		}
	}
	skb_queue_head(&tp->out_of_order_queue, skb);
}

/**
 * tcp_data_queue - RFC 9293 §3.10.7.4 step 7: in-order data goes to the
 * reader (and pulls the out-of-order queue after it), out-of-order data
 * waits and is answered at once with a duplicate ACK (RFC 5681 §3.2).
 * Consumes @skb.
 */
static void tcp_data_queue(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	bool fin = tcb->tcp_flags & TCPHDR_FIN;

	if (tcb->seq == tcb->end_seq) {
		consume_skb(skb);
		return;
	}
	/* It may wait in a queue: never pin a device receive buffer. */
	if (skb_has_external_data(skb)) {
		struct sk_buff *c = skb_copy_compact(skb);

		if (!c) {
			kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
			return;
		}
		consume_skb(skb);
		skb = c;
		tcb = TCP_SKB_CB(skb);
	}
	/* RFC 3168 §6.1.3: CWR stops our echo, CE (re)starts it */
	tcp_ecn_accept_cwr(sk, skb);
	if (!after(tcb->end_seq, tp->rcv_nxt)) {
		/* all old: a retransmission of what we have; ACK at once, with a
		 * D-SACK that tells the sender it was spurious (RFC 2883 §4.1.1) */
		tcp_dsack_set(tp, tcb->seq, tcb->end_seq);
		SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_DELAYEDACKLOST);
		kfree_skb_reason(skb, SKB_DROP_REASON_TCP_OLD_DATA);
		tcp_send_ack(sk);
		return;
	}
	if (tcp_rmem_full(sk, skb) && !tcp_prune_ofo_queue(sk, skb)) {
		/* beyond the buffer (the window was not respected): drop, re-ACK */
		sk->sk_drops++;
		kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
		tcp_send_ack(sk);
		return;
	}
	tcp_measure_rcv_mss(sk, skb);
	tcp_ecn_check_ce(sk, skb);
	if (!after(tcb->seq, tp->rcv_nxt)) {
		if (before(tcb->seq, tp->rcv_nxt)) {
			u32 trim = tp->rcv_nxt - tcb->seq;

			tcp_dsack_set(tp, tcb->seq, tp->rcv_nxt); /* RFC 2883 §4.1.2 */
			__skb_pull(skb, trim < skb->len ? trim : skb->len);
			tcb->seq = tp->rcv_nxt;
		}
		tcp_queue_rcv(sk, skb);
		tcp_rcv_rtt_measure(sk);
		if (!skb_queue_empty(&tp->out_of_order_queue)) {
			tcp_ofo_drain(sk);
			tcp_send_ack(sk); /* a hole was filled: tell the sender now */
		} else if (!fin) {
			tcp_send_delayed_ack(sk);
		}
		sk->sk_data_ready(sk);
		return;
	}
	tcp_ofo_queue(sk, skb);
	tcp_send_ack(sk);
}

/* RFC 9293 §3.10.7.4 step 1: is the segment in the receive window? */
static bool tcp_sequence_ok(const struct tcp_sock *tp, const struct tcp_skb_cb *tcb)
{
	u32 wnd = tp->rcv_wnd, len = tcb->end_seq - tcb->seq;

	if (!len)
		return wnd ? between(tcb->seq, tp->rcv_nxt, tp->rcv_nxt + wnd - 1) || tcb->seq == tp->rcv_nxt
			   : tcb->seq == tp->rcv_nxt;
	if (!wnd)
		return false;
	return between(tcb->seq, tp->rcv_nxt, tp->rcv_nxt + wnd - 1) ||
	       between(tcb->end_seq - 1, tp->rcv_nxt, tp->rcv_nxt + wnd - 1) ||
	       (before(tcb->seq, tp->rcv_nxt) && after(tcb->end_seq, tp->rcv_nxt));
}

/* The connection became established: both directions may carry data. */
static void tcp_finish_connect(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_set_state(sk, TCP_ESTABLISHED);
	tcp_sync_mss(sk);
	tp->snd_cwnd = TCP_INIT_CWND;
	tp->ca_ops->init(tp);
	tp->quickack = 16;
	tcp_init_buffer_space(sk);
	(void)skb;
	if (sock_flag(sk, SOCK_KEEPOPEN))
		tcp_set_keepalive(sk, true);
	sk->sk_state_change(sk);
	sk->sk_write_space(sk);
}

/* RFC 9293 §3.10.7.3: SYN_SENT. */
static int tcp_rcv_synsent(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	enum skb_drop_reason reason;

	/* first: the ACK must acknowledge our SYN */
	if (th->ack && (!after(tcb->ack_seq, tp->iss) || after(tcb->ack_seq, tp->snd_max)))
		goto reset_and_drop;
	/* second: RST */
	if (th->rst) {
		if (th->ack) {
			sk->sk_err = ECONNREFUSED;
			sk->sk_error_report(sk);
			SNMP_INC_STATS(sk->sk_stack, TCP_MIB_ATTEMPTFAILS);
			tcp_done(sk);
		}
		reason = SKB_DROP_REASON_TCP_RESET;
		goto drop;
	}
	/* fourth: SYN; "If neither of the SYN or RST bits is set then drop" */
	if (!th->syn) {
		reason = SKB_DROP_REASON_TCP_FLAGS;
		goto drop;
	}
	tp->irs = tcb->seq;
	tp->rcv_nxt = tcb->seq + 1;
	tp->rcv_wup = tp->rcv_nxt; /* the window we offered starts here */
	tp->copied_seq = tp->rcv_nxt;
	tcp_parse_options(th, &tp->rx_opt, true);
	if (th->ack)
		tcp_ecn_rcv_synack(tp, TCP_SKB_CB(skb)->tcp_flags);
	else
		tcp_ecn_rcv_syn(tp, TCP_SKB_CB(skb)->tcp_flags);
	if (!tp->rx_opt.wscale_ok)
		tp->rx_opt.rcv_wscale = 0; /* RFC 7323 §1.3: both or neither */
	if (!sk->sk_stack->sysctl.tcp_sack)
		tp->rx_opt.sack_ok = 0;  /* RFC 2018 §2: only if our SYN offered it */
	tcp_synack_tstamp(sk);
	tp->snd_wnd = ntohs(th->window);
	tp->max_window = tp->snd_wnd;
	tp->snd_wl1 = tcb->seq;
	tp->snd_wl2 = tcb->ack_seq;
	if (th->ack) {
		tcp_clean_rtx_queue(sk, tcb->ack_seq);
		tp->snd_una = tcb->ack_seq;
		tp->retransmits = 0;
		tp->backoff = 0;
		tcp_clear_xmit_timer(sk, TCP_TIMER_RETRANS);
		tcp_finish_connect(sk, skb);
		/* data sent again carries the handshake's ACK */
		if (!tcp_rcv_fastopen_synack(sk))
			tcp_send_ack(sk);
		tcp_write_xmit(sk, false);
		goto consume;
	}
	/* simultaneous open (RFC 9293 §3.5 figure 8): SYN_RECV, SYN-ACK */
	tcp_set_state(sk, TCP_SYN_RECV);
	/* our SYN is replaced by a SYN-ACK; data queued behind it (a Fast
	 * Open SYN's) counts as unsent again */
	consume_skb(skb_dequeue(&sk->sk_write_queue));
	tp->send_head = skb_peek(&sk->sk_write_queue);
	tp->syn_data = false;
	tp->snd_nxt = tp->iss;
	tp->snd_max = tp->iss;
	tcp_send_synack(sk);
consume:
	consume_skb(skb); /* the SYN did its work */
	return 0;

reset_and_drop:
	/* "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset ... and discard" */
	if (!th->rst)
		tcp_sk(sk)->af_ops->send_reset(sk->sk_stack, skb);
	reason = SKB_DROP_REASON_TCP_INVALID_ACK_SEQUENCE;
drop:
	kfree_skb_reason(skb, reason);
	return 0;
}

static void tcp_reset_connection(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_SYN_RECV:
		/* a passive open that never was: it vanishes (RFC 9293 §3.10.7.4) */
		break;
	case TCP_CLOSE_WAIT:
		sk->sk_err = EPIPE;
		break;
	case TCP_CLOSE:
		return;
	default:
		sk->sk_err = ECONNRESET;
	}
	if (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT)
		SNMP_INC_STATS(sk->sk_stack, TCP_MIB_ESTABRESETS);
	sk->sk_error_report(sk);
	tcp_done(sk);
}

/* Step 5 beyond tcp_ack: the states where our FIN being acknowledged matters. */
static bool tcp_ack_state(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	switch (sk->sk_state) {
	case TCP_FIN_WAIT1:
		if (tcp_fin_acked(sk)) {
			tcp_set_state(sk, TCP_FIN_WAIT2);
			sk->sk_state_change(sk);
			if (tp->closed_by_user)
				mod_timer(&tp->keepalive_timer,
					  stack_now(sk->sk_stack) + tcp_fin_time(tp->linger2));
		}
		return true;
	case TCP_CLOSING:
		if (tcp_fin_acked(sk))
			tcp_time_wait(sk);
		return true;
	case TCP_LAST_ACK:
		if (tcp_fin_acked(sk)) {
			tcp_done(sk);
			return false;
		}
		return true;
	default:
		return true;
	}
}

/**
 * tcp_rcv_state_process - a segment for a connection (not a listener).
 * Data at the payload, TCP_SKB_CB filled.  Consumes @skb.  Return: 0.
 */
int tcp_rcv_state_process(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	enum skb_drop_reason reason;
	int err;

	switch (sk->sk_state) {
	case TCP_CLOSE:
		reason = SKB_DROP_REASON_TCP_CLOSE;
		goto drop;
	case TCP_SYN_SENT:
		return tcp_rcv_synsent(sk, skb);
	case TCP_TIME_WAIT:
		return tcp_timewait_state_process(sk, skb); /* tcp_ipv4.c: a SYN may reopen */
	}

	if (tp->rx_opt.tstamp_ok && th->doff > 5)
		tcp_parse_options(th, &tp->rx_opt, false);
	else
		tp->rx_opt.saw_tstamp = 0;
	/* RFC 7323 §5.3 PAWS: a TSval older than TS.Recent marks an old
	 * duplicate from a wrapped sequence space; a RST is let through */
	if (tcp_paws_discard(sk) && !th->rst) {
		SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_PAWSESTABREJECTED);
		if (!tcp_oow_rate_limited(sk, skb, LINUX_MIB_TCPACKSKIPPEDPAWS))
			tcp_send_ack(sk);
		reason = SKB_DROP_REASON_TCP_RFC7323_PAWS;
		goto drop;
	}
	/* first: check the sequence number */
	if (!tcp_sequence_ok(tp, tcb)) {
		/* "send an acknowledgment ... and drop"; an old duplicate's
		 * range goes in a D-SACK (RFC 2883 §4.1.1, tcp_send_dupack) */
		if (!th->rst && after(tcb->end_seq, tcb->seq) && !after(tcb->end_seq, tp->rcv_nxt))
			tcp_dsack_set(tp, tcb->seq, tcb->end_seq);
		/* not in an ACK war (tcp_oow_rate_limited) */
		if (!th->rst && !tcp_oow_rate_limited(sk, skb, LINUX_MIB_TCPACKSKIPPEDSEQ))
			tcp_send_ack(sk);
		/* an old duplicate ends at or before RCV.NXT (Linux's
		 * tcp_sequence draws the line at the window's left edge) */
		reason = !after(tcb->end_seq, tp->rcv_nxt) ? SKB_DROP_REASON_TCP_OLD_SEQUENCE
							   : SKB_DROP_REASON_TCP_INVALID_SEQUENCE;
		goto drop;
	}
	tcp_store_ts_recent(sk, tcb);
	/* second: RST (RFC 5961 §3.2: exact match resets, else a challenge ACK) */
	if (th->rst) {
		if (tcb->seq == tp->rcv_nxt)
			tcp_reset_connection(sk);
		else
			tcp_send_challenge_ack(sk);
		reason = SKB_DROP_REASON_TCP_RESET;
		goto drop;
	}
	/* fourth: SYN in a synchronized state (RFC 5961 §4.2); Linux counts it
	 * in TcpInErrs and TCPSYNChallenge */
	if (th->syn) {
		SNMP_INC_STATS(sk->sk_stack, TCP_MIB_INERRS);
		SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_TCPSYNCHALLENGE);
		tcp_send_challenge_ack(sk);
		reason = SKB_DROP_REASON_TCP_INVALID_SYN;
		goto drop;
	}
	/* fifth: ACK; "if the ACK bit is off, drop the segment" */
	if (!th->ack) {
		reason = SKB_DROP_REASON_TCP_FLAGS;
		goto drop;
	}
	if (sk->sk_state == TCP_SYN_RECV) {
		if (!after(tcb->ack_seq, tp->snd_una) || after(tcb->ack_seq, tp->snd_max)) {
			tcp_sk(sk)->af_ops->send_reset(sk->sk_stack, skb);
			reason = SKB_DROP_REASON_TCP_INVALID_ACK_SEQUENCE;
			goto drop;
		}
		tp->snd_wnd = tcp_seg_window(tp, th);
		if (tp->snd_wnd > tp->max_window)
			tp->max_window = tp->snd_wnd;
		tp->snd_wl1 = tcb->seq;
		tp->snd_wl2 = tcb->ack_seq;
		tcp_clean_rtx_queue(sk, tcb->ack_seq);
		tp->snd_una = tcb->ack_seq;
		tcp_clear_xmit_timer(sk, TCP_TIMER_RETRANS);
		tp->retransmits = 0;
		tcp_finish_connect(sk, skb);
		SNMP_INC_STATS(sk->sk_stack, TCP_MIB_PASSIVEOPENS);
		if (tp->parent && !tp->fastopen_child) /* a Fast Open child is queued already */
			tcp_child_established(tp);
	} else if ((err = tcp_ack(sk, skb)) < 0) {
		reason = (enum skb_drop_reason)-err;
		goto drop;
	}
	if (!tcp_ack_state(sk))
		goto consume; /* LAST_ACK: our FIN is acknowledged, the socket is gone */
	/* sixth: check the URG bit; seventh: segment text; eighth: FIN
	 * (through the queue, in order) */
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
		tcp_urg(sk, skb, th);
		tcp_data_queue(sk, skb);
		return 0;
	default:
		/* CLOSE_WAIT, CLOSING, LAST_ACK: the peer already sent its FIN,
		 * which ended its sequence space: text beyond it is invalid */
		if (tcb->end_seq == tcb->seq)
			goto consume;
		tcp_send_ack(sk);
		reason = SKB_DROP_REASON_TCP_INVALID_SEQUENCE;
		goto drop;
	}
consume:
	consume_skb(skb); /* a bare ACK, fully handled */
	return 0;
drop:
	kfree_skb_reason(skb, reason);
	return 0;
}
