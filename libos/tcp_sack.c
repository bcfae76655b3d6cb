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

/** tcp_dsack_set - a segment (or its first part) we already had: say so once. */
void tcp_dsack_set(struct tcp_sock *tp, u32 seq, u32 end_seq)
{
	if (!tp->rx_opt.sack_ok || !after(end_seq, seq))
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
