/*
 * tcp_prr.c - how cwnd comes down after a loss (fast recovery with SACK)
 * or an ECN-Echo (RFC 3168 §6.1.2, Linux's CWR state): Proportional Rate
 * Reduction, RFC 6937 as updated by draft-ietf-tcpm-prr-rfc6937bis, the
 * form Linux's tcp_cwnd_reduction has.
 *
 * Halving cwnd at once (RFC 6675) stops the sender for half an RTT and
 * then lets bursts out; NewReno's inflation overshoots when ACKs are lost.
 * PRR spreads the reduction over the recovery: while more is in flight
 * than ssthresh, it sends ssthresh/RecoverFS segments per segment the peer
 * delivered; once the pipe falls below ssthresh it sends what was
 * delivered, one more on an ACK that shows progress (PRR-SSRB), never
 * beyond ssthresh.  RecoverFS is the cwnd when the reduction began
 * (prior_cwnd, as Linux takes it).
 *
 *   tcp_enter_recovery, tcp_enter_cwr -> tcp_init_cwnd_reduction
 *   tcp_ack -> tcp_cwnd_reduction (every ACK while reducing)
 *   tcp_send_head_skb, tcp_retransmit_skb -> tcp_prr_sent
 */
#include "tcp.h"
#include "stack.h"

/**
 * tcp_init_cwnd_reduction - a reduction begins: ssthresh from the
 * congestion algorithm, PRR's counters at zero (RFC 6937 §3.1 "at the
 * beginning of recovery"), and the peer is told with CWR if ECN is on
 * (RFC 3168 §6.1.2: any reduction, loss or ECE).  It lasts until high_seq
 * is acknowledged.
 */
void tcp_init_cwnd_reduction(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->high_seq = tp->snd_max;
	tp->snd_cwnd_cnt = 0;
	tp->prior_cwnd = tp->snd_cwnd;
	tp->prr_delivered = 0;
	tp->prr_out = 0;
	tp->snd_ssthresh = tp->ca_ops->ssthresh(tp);
	tcp_ecn_queue_cwr(tp);
}

/**
 * tcp_cwnd_reduction - an ACK during a reduction: the peer received
 * @newly_delivered more segments (cumulatively or by SACK); @safe_ack: it
 * advanced SND.UNA and showed no new loss (rfc6937bis "SafeACK").  cwnd
 * becomes the pipe plus what PRR lets go on this ACK.
 */
void tcp_cwnd_reduction(struct sock *sk, u32 newly_delivered, bool safe_ack)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT;
	s64 pipe = tcp_packets_in_flight(tp, mss), ssthresh = tp->snd_ssthresh, sndcnt;

	if (!newly_delivered || !tp->prior_cwnd)
		return;
	tp->prr_delivered += newly_delivered;
	if (pipe > ssthresh) {
		/* proportional: sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out */
		sndcnt = (s64)(((u64)ssthresh * tp->prr_delivered + tp->prior_cwnd - 1) / tp->prior_cwnd) -
			 tp->prr_out;
	} else {
		/* PRR-CRB: what was delivered; PRR-SSRB: one more on a SafeACK;
		 * never beyond ssthresh */
		sndcnt = (s64)tp->prr_delivered - tp->prr_out;
		if (sndcnt < (s64)newly_delivered)
			sndcnt = newly_delivered;
		if (safe_ack)
			sndcnt++;
		if (sndcnt > ssthresh - pipe)
			sndcnt = ssthresh - pipe;
	}
	/* the first ACK of a recovery always lets the fast retransmit go */
	if (sndcnt < (tp->prr_out ? 0 : 1))
		sndcnt = tp->prr_out ? 0 : 1;
	tp->snd_cwnd = (u32)(pipe + sndcnt);
}

/**
 * tcp_enter_cwr - an ECN-Echo (RFC 3168 §6.1.2): reduce as for a loss,
 * without retransmitting, at most once per window (none while a reduction
 * or an RTO's recovery is under way).  Not undone later (Linux clears
 * prior_ssthresh): the congestion was real.
 */
void tcp_enter_cwr(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->in_recovery || tp->in_cwr || tp->retransmits)
		return;
	tp->undo_armed = false;
	tcp_init_cwnd_reduction(sk);
	tp->in_cwr = true;
}

/**
 * tcp_end_cwr - the window that saw the ECN-Echo is acknowledged beyond
 * high_seq (so our CWR reached the peer): cwnd is ssthresh (Linux's
 * tcp_end_cwnd_reduction), and growth starts again.
 */
void tcp_end_cwr(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->in_cwr = false;
	tp->snd_cwnd = tp->snd_ssthresh;
}

/** tcp_prr_sent - @skb went out (new or again): PRR's prr_out counts it while reducing. */
void tcp_prr_sent(struct tcp_sock *tp, const struct sk_buff *skb)
{
	if (tp->in_recovery || tp->in_cwr)
		tp->prr_out += tcp_skb_pcount(skb, tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT);
}
