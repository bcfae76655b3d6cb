/*
 * tcp_sack.c - selective acknowledgments, the receiver's half: the SACK
 * blocks that describe what sits in the out-of-order queue (RFC 2018) and
 * the D-SACK block that reports a duplicate (RFC 2883).  A sender with SACK
 * (every Linux) then repairs every hole of a window in one round trip
 * instead of one per round trip.
 *
 * Read first: RFC 2018 §3-4 (the option; the first block holds the most
 * recently received segment, the others the most recent of the rest), RFC
 * 2883 §4 (a D-SACK block comes first, and is reported once).
 */
#include <arpa/inet.h>
#include <string.h>

#include "tcp.h"
#include "stack.h"

/** tcp_dsack_set - a segment (or its first part) we already had: say so once. */
void tcp_dsack_set(struct tcp_sock *tp, u32 seq, u32 end_seq)
{
	if (!tp->rx_opt.sack_ok || !after(end_seq, seq) || !tp->inet.sk.sk_stack->sysctl.tcp_dsack)
		return;
	tp->duplicate_sack.start_seq = seq;
	tp->duplicate_sack.end_seq = end_seq;
	tp->dsack = true;
}

/*
 * The out-of-order queue as ranges of contiguous data, the one holding the
 * latest arrival first, then the others from the lowest up.  Return: how
 * many of @max blocks were filled.
 */
static unsigned int tcp_sack_blocks(const struct tcp_sock *tp, struct tcp_sack_block *b,
				    unsigned int max)
{
	const struct sk_buff *skb;
	struct tcp_sack_block cur = { 0, 0 };
	unsigned int n = 1; /* b[0] is for the latest arrival's range */
	bool have = false, first = false;

	skb_queue_walk(&tp->out_of_order_queue, skb) {
		const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);

		if (have && !after(tcb->seq, cur.end_seq)) {
			if (after(tcb->end_seq, cur.end_seq))
				cur.end_seq = tcb->end_seq;
			continue;
		}
		if (have) {
			if (!first && between(tp->last_ofo_seq, cur.start_seq, cur.end_seq - 1)) {
				b[0] = cur;
				first = true;
			} else if (n < max) {
				b[n++] = cur;
			}
		}
		cur.start_seq = tcb->seq;
		cur.end_seq = tcb->end_seq;
		have = true;
	}
	if (!have)
		return 0;
	if (!first && between(tp->last_ofo_seq, cur.start_seq, cur.end_seq - 1)) {
		b[0] = cur;
		first = true;
	} else if (n < max) {
		b[n++] = cur;
	}
	if (!first) { /* the latest arrival went in order since: no block is first */
		for (unsigned int i = 1; i < n; i++)
			b[i - 1] = b[i];
		n--;
	}
	return n;
}

/**
 * tcp_sack_options - the SACK option of an ACK, if any: a D-SACK block
 * first (reported once), then the out-of-order ranges.
 * @room: option bytes left in the header
 * Return: bytes written to @opt (a multiple of 4: NOP NOP padded).
 */
unsigned int tcp_sack_options(struct tcp_sock *tp, u8 *opt, unsigned int room)
{
	struct tcp_sack_block b[TCP_NUM_SACKS];
	unsigned int max = room >= 4 ? (room - 4) / 8 : 0, n = 0, len = 0;

	if (!tp->rx_opt.sack_ok || !max)
		return 0;
	if (max > TCP_NUM_SACKS)
		max = TCP_NUM_SACKS;
	if (tp->dsack) {
		b[n++] = tp->duplicate_sack;
		tp->dsack = false;
	}
	if (!skb_queue_empty(&tp->out_of_order_queue))
		n += tcp_sack_blocks(tp, b + n, max - n);
	if (!n)
		return 0;
	opt[len++] = TCPOPT_NOP;
	opt[len++] = TCPOPT_NOP;
	opt[len++] = TCPOPT_SACK;
	opt[len++] = (u8)(2 + 8 * n);
	for (unsigned int i = 0; i < n; i++) {
		u32 s = htonl(b[i].start_seq), e = htonl(b[i].end_seq);

		memcpy(opt + len, &s, 4);
		memcpy(opt + len + 4, &e, 4);
		len += 8;
	}
	return len;
}

/* ---- the sender's half: the scoreboard (RFC 6675) ------------------------ */

/* The SACK blocks of an ACK (RFC 2018 §3), at most TCP_NUM_SACKS. */
static unsigned int tcp_sack_parse(const struct tcphdr *th, struct tcp_sack_block *b)
{
	const u8 *p = (const u8 *)(th + 1);
	int len = th->doff * 4 - (int)sizeof(*th);

	while (len > 0) {
		u8 kind = p[0], size;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			p++;
			len--;
			continue;
		}
		if (len < 2 || (size = p[1]) < 2 || size > len)
			break;
		if (kind == TCPOPT_SACK && size >= 10 && (size - 2) % 8 == 0) {
			unsigned int n = (size - 2u) / 8;

			if (n > TCP_NUM_SACKS)
				n = TCP_NUM_SACKS;
			for (unsigned int i = 0; i < n; i++) {
				u32 s, e;

				memcpy(&s, p + 2 + 8 * i, 4);
				memcpy(&e, p + 6 + 8 * i, 4);
				b[i].start_seq = ntohl(s);
				b[i].end_seq = ntohl(e);
			}
			return n;
		}
		p += size;
		len -= size;
	}
	return 0;
}

/* sacked_out, lost_out, retrans_out from the marks of what was sent. */
static void tcp_sack_recount(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT;
	struct sk_buff *skb;

	tp->sacked_out = tp->lost_out = tp->retrans_out = 0;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		u8 sacked = TCP_SKB_CB(skb)->sacked;

		if (skb == tp->send_head)
			break;
		if (sacked & TCPCB_SACKED_ACKED)
			tp->sacked_out += tcp_skb_pcount(skb, mss);
		else if (sacked & TCPCB_LOST)
			tp->lost_out += tcp_skb_pcount(skb, mss);
		if ((sacked & TCPCB_SACKED_RETRANS) && !(sacked & TCPCB_SACKED_ACKED))
			tp->retrans_out += tcp_skb_pcount(skb, mss);
	}
}

/*
 * What one ACK's blocks did: segments newly SACKed, and the lowest of them
 * that was never sent again yet lies below what was SACKed before (it was
 * overtaken: reordering, Linux's state.reord).
 */
struct sacktag_state {
	u32 newly;
	u32 prior_high;
	bool prior_valid;
	bool reord;
	u32 reord_seq;
};

static void tcp_sacktag_one(struct tcp_sock *tp, struct sk_buff *skb, struct sacktag_state *st)
{
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	u32 mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT;

	if (!(tcb->sacked & TCPCB_SACKED_ACKED)) {
		st->newly += tcp_skb_pcount(skb, mss);
		if (!tcb->retrans && st->prior_valid && before(tcb->seq, st->prior_high) &&
		    (!st->reord || before(tcb->seq, st->reord_seq))) {
			st->reord = true;
			st->reord_seq = tcb->seq;
		}
	}
	tcb->sacked = (u8)((tcb->sacked | TCPCB_SACKED_ACKED) & ~TCPCB_LOST);
	if (after(tcb->end_seq, tp->sack_high))
		tp->sack_high = tcb->end_seq;
}

/*
 * Mark what one block covers.  An skb the block covers only in part is
 * split at the block's edge first (Linux's tcp_match_skb_to_sack), so that
 * marks stay whole-skb.  Only data sent and not yet acknowledged counts.
 */
static void tcp_sacktag_block(struct sock *sk, u32 start, u32 end, struct sacktag_state *st)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	while (skb && skb != tp->send_head) {
		struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
		struct sk_buff *next = skb_peek_next(skb, &sk->sk_write_queue);

		if (!after(start, tcb->seq) && !after(tcb->end_seq, end)) {
			tcp_sacktag_one(tp, skb, st);
		} else if (before(tcb->seq, start) && after(tcb->end_seq, start) && skb->len &&
			   !(tcb->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN))) {
			if (!tcp_fragment(sk, skb, start - tcb->seq))
				return;
			continue; /* @skb now starts at the block */
		} else if (before(tcb->seq, end) && after(tcb->end_seq, end) && skb->len &&
			   !(tcb->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN))) {
			struct sk_buff *front = tcp_fragment(sk, skb, end - tcb->seq);

			if (front)
				tcp_sacktag_one(tp, front, st);
			return;
		} else if (!before(tcb->seq, end)) {
			return;
		}
		skb = next;
	}
}

/*
 * RFC 6675 §4 IsLost: a segment not SACKed with more than (DupThresh - 1)
 * segments' worth of SACKed data above it is taken for lost.  DupThresh is
 * the reordering seen on the path (tcp_check_reordering), 3 at first.
 */
static void tcp_sack_mark_lost(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT, above = tp->sacked_out;
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);

		if (skb == tp->send_head || above < tp->reordering)
			break;
		if (tcb->sacked & TCPCB_SACKED_ACKED)
			above -= tcp_skb_pcount(skb, mss);
		else if (!(tcb->sacked & TCPCB_LOST))
			tcb->sacked |= TCPCB_LOST;
	}
}

/* RFC 2883 §4: a D-SACK is the first block, below the cumulative ACK or
 * within the second block. */
static bool tcp_is_dsack(const struct tcp_sack_block *b, unsigned int n, u32 ack)
{
	if (!n || !after(b[0].end_seq, b[0].start_seq))
		return false;
	if (before(b[0].start_seq, ack))
		return true;
	return n > 1 && !before(b[0].start_seq, b[1].start_seq) && !after(b[0].end_seq, b[1].end_seq);
}

/* Whether any segment in [@start, @end) still queued was sent again. */
static bool tcp_range_retransmitted(struct sock *sk, u32 start, u32 end)
{
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);

		if (skb == tcp_sk(sk)->send_head || !before(tcb->seq, end))
			break;
		if (after(tcb->end_seq, start) && tcb->retrans)
			return true;
	}
	return false;
}

/**
 * tcp_sacktag - fold an ACK's SACK blocks into the scoreboard, then mark
 * losses.  A D-SACK block (RFC 2883 §4) is counted for undo (tcp_dsack_seen:
 * below the cumulative ACK as Linux's tcp_check_dsack, within SACKed data
 * only if that data was sent again); blocks outside what was sent are
 * skipped.  Data overtaken by what was SACKed before is reordering
 * (tcp_check_reordering).  @prior_snd_una: SND.UNA before this ACK.
 * Return: segments newly SACKed (RFC 6675 §2: what makes an ACK a
 * duplicate ACK when SACK is in use).
 */
u32 tcp_sacktag(struct sock *sk, const struct tcphdr *th, u32 prior_snd_una)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_sack_block b[TCP_NUM_SACKS];
	unsigned int n = tcp_sack_parse(th, b), first = 0;
	struct sacktag_state st = { 0 };

	if (!tp->sacked_out)
		tp->sack_high = tp->snd_una; /* nothing SACKed is known */
	st.prior_high = tp->sack_high;
	st.prior_valid = after(tp->sack_high, tp->snd_una);
	if (tcp_is_dsack(b, n, tp->snd_una)) {
		bool below = before(b[0].start_seq, tp->snd_una);

		tcp_dsack_seen(sk, b[0].start_seq, b[0].end_seq,
			       below ? !after(b[0].end_seq, prior_snd_una)
				     : tcp_range_retransmitted(sk, b[0].start_seq, b[0].end_seq));
		first = 1;
	}
	for (unsigned int i = first; i < n; i++) {
		if (!after(b[i].end_seq, b[i].start_seq) || !after(b[i].end_seq, tp->snd_una) ||
		    before(b[i].start_seq, tp->snd_una) || after(b[i].end_seq, tp->snd_max))
			continue;
		tcp_sacktag_block(sk, b[i].start_seq, b[i].end_seq, &st);
	}
	if (st.reord)
		tcp_check_reordering(sk, st.reord_seq);
	tcp_sack_recount(sk);
	if (st.newly)
		tcp_sack_mark_lost(sk);
	tcp_sack_recount(sk);
	return st.newly;
}

/** tcp_sack_mark_head_lost - the first unacknowledged segment is lost (3 dupacks, partial ACK). */
void tcp_sack_mark_head_lost(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);

	if (head && head != tp->send_head && !(TCP_SKB_CB(head)->sacked & TCPCB_SACKED_ACKED) &&
	    !(TCP_SKB_CB(head)->sacked & TCPCB_SACKED_RETRANS)) {
		TCP_SKB_CB(head)->sacked |= TCPCB_LOST;
		tcp_sack_recount(sk);
	}
}

/**
 * tcp_sack_xmit_lost - in recovery: send again what is lost and not yet
 * resent, lowest first, while the pipe has room (RFC 6675 §5 step (C),
 * rule 1).  One segment at a time: tcp_retransmit_skb splits super-packets.
 */
void tcp_sack_xmit_lost(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT;
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	while (skb && skb != tp->send_head && tcp_packets_in_flight(tp, mss) < tp->snd_cwnd) {
		u8 sacked = TCP_SKB_CB(skb)->sacked;

		if ((sacked & TCPCB_LOST) && !(sacked & (TCPCB_SACKED_ACKED | TCPCB_SACKED_RETRANS))) {
			if (tcp_retransmit_skb(sk, skb))
				break;
			tcp_sack_recount(sk);
			skb = skb_peek(&sk->sk_write_queue); /* the queue may have been split */
			continue;
		}
		skb = skb_peek_next(skb, &sk->sk_write_queue);
	}
}

/** tcp_sack_clear - forget the scoreboard (RTO: everything is sent again). */
void tcp_sack_clear(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb)
		TCP_SKB_CB(skb)->sacked = 0;
	tp->sacked_out = tp->lost_out = tp->retrans_out = 0;
}
