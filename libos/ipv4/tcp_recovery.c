/*
 * tcp_recovery.c - retransmissions that were not needed (Linux's undo
 * family in net/ipv4/tcp_input.c: tcp_init_undo, tcp_may_undo,
 * tcp_packet_delayed, tcp_undo_cwnd_reduction, tcp_check_sack_reordering).
 *
 * A segment overtaken by a few others looks lost: SACKs arrive for what
 * came after it, fast retransmit sends it again and halves cwnd.  When the
 * original then arrives, both the retransmission and the reduction were for
 * nothing.  Two kinds of evidence say so:
 *   - D-SACK (RFC 2883, RFC 3708 §3): the receiver reports the duplicate;
 *     once every retransmission of the episode is reported, none was needed;
 *   - timestamps (Eifel, RFC 3522 §3.2): the ACK that covers the
 *     retransmitted sequence echoes a TSval older than the retransmission,
 *     so the original made it.
 * Then cwnd and ssthresh go back to what they were (RFC 3522 §3.4 restores
 * the state), and the reordering distance seen becomes the DupThresh
 * (tp->reordering, as Linux), so the same reordering does not trigger the
 * next fast retransmit.
 *
 * Read first: RFC 3708 §3, RFC 3522 §2-3, RFC 4653 §3 (a DupThresh that
 * follows the reordering seen), RFC 6675 §4 (IsLost with DupThresh).
 *
 *   tcp_enter_recovery -> tcp_init_undo
 *   tcp_retransmit_skb -> tcp_undo_note_retrans
 *   tcp_sacktag -> tcp_dsack_seen, tcp_check_reordering
 *   tcp_ack -> tcp_may_undo -> tcp_undo_cwnd_reduction
 */
#include "tcp.h"
#include "stack.h"

/* The ssthresh in force when a reduction starts (Linux's tcp_current_ssthresh). */
static u32 tcp_current_ssthresh(const struct tcp_sock *tp)
{
	u32 three_quarters = (tp->snd_cwnd >> 1) + (tp->snd_cwnd >> 2);

	if (tp->in_recovery)
		return tp->snd_ssthresh;
	return tp->snd_ssthresh > three_quarters ? tp->snd_ssthresh : three_quarters;
}

/**
 * tcp_init_undo - a reduction begins (fast recovery): remember what cwnd
 * and ssthresh were, and start counting its retransmissions.  Call before
 * ssthresh and cwnd change.
 */
void tcp_init_undo(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->prior_cwnd = tp->snd_cwnd;
	tp->prior_ssthresh = tcp_current_ssthresh(tp);
	tp->undo_marker = tp->snd_una;
	tp->undo_retrans = -1;
	tp->undo_armed = true;
}

/** tcp_undo_note_retrans - one more retransmitted segment in this episode. */
void tcp_undo_note_retrans(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->undo_armed)
		return;
	if (tp->undo_retrans < 0) {
		tp->undo_retrans = 0;
		tp->undo_tsval = tcp_time_stamp(tp);
	}
	tp->undo_retrans++;
}

/**
 * tcp_dsack_seen - the peer reported [@start, @end) twice (RFC 2883): if it
 * is data of this episode (@ours: the caller's judgement, tcp_sacktag), that
 * many retransmissions fewer were needed (RFC 3708 §3; Linux's "dumb
 * counting" in tcp_check_dsack: the segments the block spans).
 */
void tcp_dsack_seen(struct sock *sk, u32 start, u32 end, bool ours)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT;
	int segs = (int)((end - start + mss - 1) / mss);

	SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_TCPDSACKRECV);
	if (!ours || !tp->undo_armed || tp->undo_retrans <= 0 || !after(end, tp->undo_marker))
		return;
	tp->undo_retrans = tp->undo_retrans > segs ? tp->undo_retrans - segs : 0;
}

/**
 * tcp_check_reordering - data from @low_seq on arrived after data above it
 * that was SACKed (up to sack_high), without being sent again: the network
 * reorders by that many segments.  DupThresh follows (RFC 4653 §3, Linux's
 * tcp_check_sack_reordering), up to tcp_max_reordering.
 */
void tcp_check_reordering(struct sock *sk, u32 low_seq)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT, metric, segs;
	u32 max = sk->sk_stack->sysctl.tcp_max_reordering;

	if (!tp->rx_opt.sack_ok || !after(tp->sack_high, low_seq))
		return; /* sack_high means nothing without SACK */
	metric = tp->sack_high - low_seq;
	SNMP_INC_STATS(sk->sk_stack, LINUX_MIB_TCPSACKREORDER);
	if (metric <= tp->reordering * mss)
		return;
	segs = (metric + mss - 1) / mss;
	tp->reordering = segs < max ? segs : max;
}

/**
 * tcp_packet_delayed - Eifel (RFC 3522 §3.2): the ACK being processed
 * echoes a TSval from before the episode's first retransmission, so it
 * answers an original transmission.  Needs timestamps on the connection.
 */
bool tcp_packet_delayed(const struct tcp_sock *tp)
{
	return tp->undo_armed && tp->undo_retrans >= 0 && tp->rx_opt.tstamp_ok &&
	       tp->rx_opt.saw_tstamp && tp->rx_opt.rcv_tsecr &&
	       before(tp->rx_opt.rcv_tsecr, tp->undo_tsval);
}

/** tcp_may_undo - every retransmission shown spurious (D-SACK), or Eifel. */
bool tcp_may_undo(const struct tcp_sock *tp)
{
	return tp->undo_armed && (tp->undo_retrans == 0 || tcp_packet_delayed(tp));
}

/**
 * tcp_undo_cwnd_reduction - put cwnd and ssthresh back (never lower than
 * now: RFC 3522 §3.4, Linux's tcp_undo_cwnd_reduction), leave recovery, and
 * forget the loss marks, which were the reordering's doing.  @mib counts
 * why (TCPDSACKUndo, TCPPartialUndo, TCPFullUndo).
 */
void tcp_undo_cwnd_reduction(struct sock *sk, enum snmp_mib mib)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;

	if (tp->in_recovery && !tp->rx_opt.sack_ok)
		tp->snd_cwnd = tp->snd_ssthresh; /* NewReno's inflation was for the dupacks */
	if (tp->prior_cwnd > tp->snd_cwnd)
		tp->snd_cwnd = tp->prior_cwnd;
	if (tp->prior_ssthresh > tp->snd_ssthresh)
		tp->snd_ssthresh = tp->prior_ssthresh;
	tp->undo_armed = false;
	tp->in_recovery = false;
	tp->dupacks = 0;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (skb == tp->send_head)
			break;
		TCP_SKB_CB(skb)->sacked &= (u8)~TCPCB_LOST;
	}
	tp->lost_out = 0;
	SNMP_INC_STATS(sk->sk_stack, mib);
}
