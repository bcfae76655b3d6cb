/*
 * tcp_output.c - sending segments (net/ipv4/tcp_output.c): the seeds'
 * path from the write queue to IP.
 *
 *   tcp_sendmsg -> tcp_push -> tcp_write_xmit (what may go: cwnd, the
 *   peer's window, Nagle) -> tcp_transmit_skb (clone the queued skb, push
 *   the TCP header, checksum) -> tp->af_ops->queue_xmit: ip_queue_xmit
 *   (tcp_ipv4.c) or inet6_csk_xmit (tcp_ipv6.c), the socket's dst cache
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
#include "netdevice.h"

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

/**
 * tcp_wmem_charge_used - charge a write-queue skb for what it holds, not for
 * its buffer: as Linux, whose payload sits in page fragments charged by the
 * byte (sk_wmem_queued_add(sk, copy)), the send buffer counts an skb's
 * overhead (struct, headroom, shared info) and its payload bytes, never the
 * room allocated and not (yet) filled.  Call before skb_set_owner_w; each
 * append is then charged with tcp_wmem_charge().
 */
void tcp_wmem_charge_used(struct sk_buff *skb)
{
	skb->truesize -= (unsigned int)skb_tailroom(skb);
}

/** tcp_wmem_charge - @bytes more (or, negative, fewer) in @skb, owned by @sk. */
void tcp_wmem_charge(struct sock *sk, struct sk_buff *skb, int bytes)
{
	skb->truesize = (unsigned int)((int)skb->truesize + bytes);
	sk->sk_wmem_alloc += bytes;
}

/*
 * RFC 9293 §3.7.1: advertise the route MTU minus the headers: 20 of TCP
 * and the family's (20 for IPv4, 40 for IPv6: RFC 8200 §5's 1280-byte
 * minimum MTU leaves 1220).
 */
u16 tcp_mss_for_route(struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_check(sk);
	unsigned int mtu = dst ? dst_mtu(dst) : 1500;
	unsigned int hdrs = tcp_sk(sk)->af_ops->net_header_len + TCP_HEADER_LEN;
	u16 mss = (u16)(mtu > hdrs + 88 ? mtu - hdrs : 88);

	if (tcp_sk(sk)->user_mss && tcp_sk(sk)->user_mss < mss)
		mss = tcp_sk(sk)->user_mss;
	return mss;
}

/**
 * tcp_sync_mss - what we send per segment: min(route, peer's MSS,
 * TCP_MAXSEG), and no more than half the largest window the peer has
 * offered (Linux's tcp_bound_to_half_wnd): a receiver whose whole window is
 * under one MSS (a tiny SO_RCVBUF) still gets full-window segments instead
 * of a sender that waits for room it will never offer (RFC 9293
 * §3.8.6.2.1: send when the window is at least half its maximum).
 */
void tcp_sync_mss(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u16 mss = tcp_mss_for_route(sk);

	struct dst_entry *dst = __sk_dst_check(sk);

	if (tp->rx_opt.mss_clamp && tp->rx_opt.mss_clamp < mss)
		mss = tp->rx_opt.mss_clamp;
	/* every segment carries its timestamps: they come out of the payload */
	if (tp->rx_opt.tstamp_ok && mss > 88 + TCPOLEN_TSTAMP_ALIGNED)
		mss -= TCPOLEN_TSTAMP_ALIGNED;
	if (mss > TCP_MSS_MAX_SKB)
		mss = TCP_MSS_MAX_SKB;
	if (tp->max_window) {
		u32 cutoff = tp->max_window > TCP_MSS_DEFAULT ? tp->max_window / 2 : tp->max_window;

		if (mss > cutoff)
			mss = (u16)(cutoff > 68 - 40 ? cutoff : 68 - 40); /* RFC 791's minimum datagram */
	}
	tp->mss_cache = mss;
	tp->route_caps = dst && dst->dev ? dst->dev->features : 0;
}

/*
 * The most payload one skb may carry: with a route whose device segments
 * (NETIF_F_TSO) or lets dev_queue_xmit do it (NETIF_F_GSO), as many whole
 * segments as one IPv4 datagram holds (64 KB),
 * but no more than half the largest window the peer offered, so two skbs
 * can be in flight (tcp_bound_to_half_wnd); otherwise one MSS.
 */
u32 tcp_xmit_size_goal(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT, goal, half;

	if (!(tp->route_caps & (NETIF_F_TSO | NETIF_F_GSO)))
		return mss;
	goal = TCP_GSO_MAX_PAYLOAD;
	half = tp->max_window / 2;
	if (half && goal > half)
		goal = half;
	goal -= goal % mss;
	return goal > mss ? goal : mss;
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
	u8 ws = tcp_select_wscale(sk);

	(void)mss;
	tp->rx_opt.rcv_wscale = ws;
	tp->rcv_wnd = space > 65535u << ws ? 65535u << ws : space;
	tp->rcv_wup = tp->rcv_nxt;
}

/** tcp_time_stamp - our TSval clock: milliseconds plus the connection's offset. */
u32 tcp_time_stamp(const struct tcp_sock *tp)
{
	return (u32)(stack_now(tp->inet.sk.sk_stack) / NSEC_PER_MSEC) + tp->tsoffset;
}

/* TSopt (RFC 7323 §3.2): TSval now, TSecr what we echo.  10 bytes. */
static unsigned int tcp_put_tstamp(const struct tcp_sock *tp, u8 *opt, u32 tsecr)
{
	u32 v = htonl(tcp_time_stamp(tp)), e = htonl(tsecr);

	opt[0] = TCPOPT_TIMESTAMP;
	opt[1] = 10;
	memcpy(opt + 2, &v, 4);
	memcpy(opt + 6, &e, 4);
	return 10;
}

/*
 * Options of a SYN or SYN-ACK, in Linux's order: MSS; SACK-permitted (RFC
 * 2018 §2); timestamps (RFC 7323 §3.2); window scale (RFC 7323 §2.2); each
 * in a SYN-ACK only if the SYN had it.
 */
static unsigned int tcp_syn_options(struct tcp_sock *tp, u8 *opt, bool synack)
{
	const struct sysctl *s = &tp->inet.sk.sk_stack->sysctl;
	bool sack = synack ? tp->rx_opt.sack_ok : s->tcp_sack;
	bool ts = synack ? tp->rx_opt.tstamp_ok : s->tcp_timestamps;
	unsigned int n = 0;

	opt[n++] = TCPOPT_MSS;
	opt[n++] = 4;
	opt[n++] = (u8)(tp->advmss >> 8);
	opt[n++] = (u8)tp->advmss;
	if (sack && ts) {
		opt[n++] = TCPOPT_SACK_PERM;
		opt[n++] = 2;
	} else if (sack || ts) {
		opt[n++] = TCPOPT_NOP;
		opt[n++] = TCPOPT_NOP;
	}
	if (ts) {
		n += tcp_put_tstamp(tp, opt + n, synack ? tp->rx_opt.ts_recent : 0);
	} else if (sack) {
		opt[n++] = TCPOPT_SACK_PERM;
		opt[n++] = 2;
	}
	if (!synack || tp->rx_opt.wscale_ok) {
		opt[n++] = TCPOPT_NOP;
		opt[n++] = TCPOPT_WINDOW;
		opt[n++] = 3;
		opt[n++] = tp->rx_opt.rcv_wscale;
	}
	/* the Fast Open option last, as Linux */
	n += synack ? tcp_fastopen_synack_option(tp, opt + n) : tcp_fastopen_syn_option(tp, opt + n);
	return n;
}

/*
 * A payload longer than one MSS goes out as a GSO super-packet: the device
 * (or skb_gso_segment) cuts it into gso_segs segments of gso_size
 * (tcp_set_skb_tso_segs).  @skb is the copy about to be sent: its shared
 * info is shared with the queued original only, never with a packet still
 * in a device queue.
 */
static void tcp_set_skb_tso_segs(struct sk_buff *skb, unsigned int mss, u32 gso_type)
{
	struct skb_shared_info *sh = skb_shinfo(skb);

	if (skb->len <= mss) {
		sh->gso_size = 0;
		sh->gso_segs = 1;
		sh->gso_type = 0;
		return;
	}
	sh->gso_size = (u16)mss;
	sh->gso_segs = (u16)((skb->len + mss - 1) / mss);
	sh->gso_type = gso_type;
}

/*
 * The headers pushed in front of the payload must be 4-byte aligned (IP
 * and TCP headers are read as structs).  Pulling acknowledged or already
 * sent bytes off the front of a queued skb (a partial ACK, tcp_fragment at
 * a SACK edge) can leave the payload anywhere: move it back down to an
 * aligned address, unsharing it first if a clone still points at it.
 * Return: 0 or -ENOMEM.
 */
static int tcp_skb_realign(struct sk_buff *skb)
{
	unsigned int off = (unsigned int)((uintptr_t)skb->data & 3);

	if (!off)
		return 0;
	if (skb_cloned(skb) && skb_cow(skb, 0))
		return -ENOMEM;
	off = (unsigned int)((uintptr_t)skb->data & 3);
	if (!off || skb_headroom(skb) < off)
		return 0;
	memmove(skb->data - off, skb->data, skb->len);
	skb->data -= off;
	skb->tail -= off;
	return 0;
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
	u8 ecn = INET_ECN_NOT_ECT;

	if (clone) {
		if (tcp_skb_realign(skb))
			return -ENOBUFS;
		/* A clone of an earlier send may still sit in the device queue: it
		 * shares the headroom we are about to write (Linux: pskb_copy). */
		skb = skb_cloned(skb) ? skb_copy(skb) : skb_clone(skb);
		if (!skb)
			return -ENOBUFS;
	}
	tcp_set_skb_tso_segs(skb, tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT, tp->af_ops->gso_type);
	if (tcb->tcp_flags & TCPHDR_SYN) {
		optlen = tcp_syn_options(tp, opt, tcb->tcp_flags & TCPHDR_ACK);
	} else {
		if (tp->rx_opt.tstamp_ok) {
			opt[optlen++] = TCPOPT_NOP;
			opt[optlen++] = TCPOPT_NOP;
			optlen += tcp_put_tstamp(tp, opt + optlen, tp->rx_opt.ts_recent);
		}
		if (tcb->tcp_flags & TCPHDR_ACK)
			optlen += tcp_sack_options(tp, opt + optlen, sizeof(opt) - optlen);
	}
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
		tcp_clear_xmit_timer(sk, TCP_TIMER_DACK);
	}
	/* RFC 7323 §2.2: a SYN's window is never scaled. */
	win = (tcb->tcp_flags & TCPHDR_SYN) ? (tp->rcv_wnd > 65535 ? 65535 : tp->rcv_wnd)
					    : tcp_select_window(sk);
	th->window = htons((u16)win);
	tcp_urg_header(tp, tcb->seq, th);
	if (!(tcb->tcp_flags & TCPHDR_SYN))
		ecn = tcp_ecn_send(sk, skb, th); /* a SYN's ECE/CWR are in tcp_flags */
	memcpy(th + 1, opt, optlen);
	/* Checksum offload: the family's pseudo-header sum in the field, the
	 * rest for the device, or for dev_queue_xmit's software fallback
	 * (skb_checksum_help) when the device cannot. */
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = (u16)((u8 *)th - skb->head);
	skb->csum_offset = offsetof(struct tcphdr, check);
	skb->csum = 0;
	tp->af_ops->send_check(sk, skb);
	/* counted per segment on the wire, as Linux's tcp_skb_pcount */
	SNMP_ADD_STATS(sk->sk_stack, TCP_MIB_OUTSEGS, skb_is_gso(skb) ? skb_shinfo(skb)->gso_segs : 1);
	return tp->af_ops->queue_xmit(sk, skb, ecn);
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
	/* A SYN that could not go out (no memory for its copy) counts as sent
	 * and lost, as Linux's tcp_connect(): the retransmit timer repeats it.
	 * Without a peer window yet, the persist path could never send it. */
	if (err && err != -EMSGSIZE && err != -ENETUNREACH &&
	    !(TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN))
		return err;
	if (skb->len % (tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT))
		tp->snd_sml = TCP_SKB_CB(skb)->end_seq; /* it ends with a small segment */
	tcp_prr_sent(tp, skb);
	tp->send_head = skb_peek_next(skb, &sk->sk_write_queue);
	if (after(TCP_SKB_CB(skb)->end_seq, tp->snd_nxt))
		tp->snd_nxt = TCP_SKB_CB(skb)->end_seq;
	if (after(tp->snd_nxt, tp->snd_max))
		tp->snd_max = tp->snd_nxt;
	if (!tcp_xmit_timer_on(tp, TCP_TIMER_RETRANS) || tp->persist)
		tcp_reset_rto(sk);
	return 0;
}

/**
 * tcp_fragment - split the first @len payload bytes of the queued @skb into
 * a new skb placed before it; @skb keeps the rest.  Linux keeps the head
 * and copies the tail; skbos's skbs are linear, so it copies the part about
 * to be sent and only pulls the big remainder (no quadratic copying when
 * cwnd lets a 64 KB skb out a few segments at a time).  FIN and PSH stay
 * with the last byte.  Return: the new first part, or NULL (no memory).
 */
struct sk_buff *tcp_fragment(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb), *ncb;
	struct sk_buff *buff = tcp_alloc_skb(sk, len);

	if (!buff)
		return NULL;
	tcp_wmem_charge_used(buff);
	skb_set_owner_w(buff, sk);
	skb_put_data(buff, skb->data, len);
	tcp_wmem_charge(sk, buff, (int)len);
	if (skb->sk == sk && skb->truesize >= len + sizeof(*skb))
		tcp_wmem_charge(sk, skb, -(int)len); /* the bytes moved: so did their charge */
	ncb = TCP_SKB_CB(buff);
	*ncb = *tcb;
	ncb->end_seq = tcb->seq + len;
	ncb->tcp_flags &= (u8)~(TCPHDR_FIN | TCPHDR_PSH);
	ncb->eor = 0; /* the record ends with the last byte, as PSH and FIN do */
	__skb_pull(skb, len);
	tcb->seq += len;
	skb_queue_before(&sk->sk_write_queue, skb, buff);
	if (tcp_sk(sk)->send_head == skb)
		tcp_sk(sk)->send_head = buff;
	return buff;
}

/*
 * Nagle (RFC 896, RFC 1122 §4.2.3.4): a small segment waits while data is
 * unacknowledged, unless TCP_NODELAY; TCP_CORK holds every partial segment.
 */
static bool tcp_nagle_holds(const struct tcp_sock *tp, u32 len, u8 flags, bool more)
{
	/* Linux's tcp_nagle_test: "Don't use the nagle rule for urgent data" */
	if (len >= tp->mss_cache || (flags & TCPHDR_FIN) || tp->urg_mode)
		return false;
	if (tp->cork || more)
		return true;
	/* Minshall's variant, as Linux (tcp_minshall_check): only while a
	 * small segment is unacknowledged, so full segments in flight do not
	 * hold a small one back against the peer's delayed ACK */
	return !tp->nonagle && after(tp->snd_sml, tp->snd_una) && !after(tp->snd_sml, tp->snd_nxt);
}

/*
 * How much of @skb may go now (tcp_mss_split_point): whole segments within
 * the congestion window and the peer's window; a trailing partial segment
 * only if Nagle lets it.  Return: payload bytes (all of @skb, or a multiple
 * of @mss), or 0 when nothing may go.
 */
static u32 tcp_send_limit(struct sock *sk, struct sk_buff *skb, u32 mss, bool more)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	u32 in_flight = tcp_packets_in_flight(tp, mss), limit, room;
	bool last = !skb_peek_next(skb, &sk->sk_write_queue);

	if (in_flight >= tp->snd_cwnd)
		return 0;
	if (tcb->tcp_flags & TCPHDR_SYN)
		return skb->len + 1;
	limit = (tp->snd_cwnd - in_flight) * mss;
	if (after(tcb->end_seq, tcp_wnd_end(tp))) {
		/* RFC 9293 §3.8.6.2.1: within the offered window, whole segments */
		room = after(tcp_wnd_end(tp), tcb->seq) ? tcp_wnd_end(tp) - tcb->seq : 0;
		room -= room % mss;
		if (room < limit)
			limit = room;
		if (!limit)
			return 0;
	}
	if (skb->len <= limit) {
		/* Nagle and cork hold only the queue's last skb: data behind a
		 * small one must not wait for it (Linux's tcp_nagle_test) */
		if (last && skb->len > mss && skb->len % mss &&
		    tcp_nagle_holds(tp, skb->len % mss, tcb->tcp_flags, more))
			return skb->len - skb->len % mss; /* the full segments go, the tail waits */
		if (last && tcp_nagle_holds(tp, skb->len, tcb->tcp_flags, more))
			return 0;
		return skb->len ? skb->len : 1;
	}
	return limit - limit % mss;
}

/*
 * RFC 7661 (Linux's tcp_cwnd_validate): remember, per window of data,
 * whether cwnd was what held data back and how much was in flight, so
 * that cwnd grows only when it is used (tcp_is_cwnd_limited); a sender
 * limited by the application would otherwise grow it without bound.
 */
static void tcp_cwnd_validate(struct tcp_sock *tp, bool cwnd_limited, u32 mss)
{
	u32 out = (tp->snd_nxt - tp->snd_una + mss - 1) / mss;

	if (!before(tp->snd_una, tp->cwnd_usage_seq) || cwnd_limited || out > tp->max_packets_out) {
		tp->is_cwnd_limited = cwnd_limited;
		tp->max_packets_out = out;
		tp->cwnd_usage_seq = tp->snd_nxt;
	}
}

/**
 * tcp_write_xmit - send what the congestion window, the peer's window and
 * Nagle allow, from send_head on, whole skbs as GSO super-packets, a part
 * split off (tcp_fragment) where a limit ends inside one.  With nothing in
 * flight and a closed window, arm the persist timer instead (RFC 9293
 * §3.8.6.1).
 */
void tcp_write_xmit(struct sock *sk, bool more)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;

	u32 mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT;

	while ((skb = tp->send_head) != NULL) {
		u32 limit = tcp_send_limit(sk, skb, mss, more);

		if (!limit)
			break;
		if (limit < skb->len && !(skb = tcp_fragment(sk, skb, limit)))
			break;
		if (tcp_send_head_skb(sk, skb))
			break;
	}
	tcp_cwnd_validate(tp, tp->send_head && tcp_packets_in_flight(tp, mss) >= tp->snd_cwnd, mss);
	if (tp->send_head && tp->snd_nxt == tp->snd_una && !tcp_xmit_timer_on(tp, TCP_TIMER_RETRANS)) {
		tp->persist = true;
		tcp_reset_xmit_timer(sk, TCP_TIMER_RETRANS, stack_now(sk->sk_stack) +
			  (tp->rto << (tp->backoff < 6 ? tp->backoff : 6)));
	}
}

/* Linux's tcp_mark_push: PSH on @skb, and the push is remembered (forced_push). */
void tcp_mark_push(struct tcp_sock *tp, struct sk_buff *skb)
{
	TCP_SKB_CB(skb)->tcp_flags |= TCPHDR_PSH;
	tp->pushed_seq = tp->write_seq;
}

/*
 * Linux's forced_push: more than half the peer's largest window written
 * since the last PSH.  A receiver that delivers on PSH (RFC 9293 §3.9.1
 * lets it hold data until one) must not wait for half a window or more.
 */
bool tcp_forced_push(const struct tcp_sock *tp)
{
	return after(tp->write_seq, tp->pushed_seq + (tp->max_window >> 1));
}

/**
 * tcp_push - send queued data after a write; MSG_MORE keeps a partial
 * segment back.  Without MSG_MORE the write ends a message: its last
 * segment carries PSH (Linux's tcp_push and tcp_mark_push), as it does
 * with MSG_MORE when forced_push says the receiver waited long enough.
 * RFC 9293 §3.9.1 (MUST-61): without PUSH flags on SEND calls, "the sending
 * TCP ... MUST set the PSH bit in the last buffered segment".
 */
void tcp_push(struct sock *sk, int flags)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *tail = skb_peek_tail(&sk->sk_write_queue);

	if ((!(flags & MSG_MORE) || tcp_forced_push(tp)) && tail && tail->len &&
	    !(TCP_SKB_CB(tail)->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN)))
		tcp_mark_push(tp, tail);
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
	/* more than one full-sized segment since our last ACK (byte-counted:
	 * a coalesced super-segment counts as the segments it holds) */
	if (tp->rcv_nxt - tp->rcv_wup > (tp->rcv_mss ? tp->rcv_mss : tp->advmss)) {
		tcp_send_ack(sk);
		return;
	}
	if (!tcp_xmit_timer_on(tp, TCP_TIMER_DACK))
		tcp_reset_xmit_timer(sk, TCP_TIMER_DACK, stack_now(sk->sk_stack) + TCP_DELACK_MAX);
}

/** tcp_send_syn - queue and send our SYN (active open). */
int tcp_send_syn(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb = tcp_queue_ctl(sk, TCPHDR_SYN, tp->iss);

	if (!skb)
		return -ENOBUFS;
	TCP_SKB_CB(skb)->tcp_flags |= tcp_ecn_send_syn(sk);
	tp->write_seq = tp->iss + 1;
	tp->pushed_seq = tp->write_seq;
	if (!tcp_send_syn_data(sk)) /* Fast Open: the SYN went with data */
		return 0;
	tcp_write_xmit(sk, false);
	return 0;
}

/** tcp_send_synack - queue and send our SYN-ACK (passive open, simultaneous open). */
int tcp_send_synack(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb = tcp_queue_ctl(sk, TCPHDR_SYN | TCPHDR_ACK, tp->iss);

	if (!skb)
		return -ENOBUFS;
	TCP_SKB_CB(skb)->tcp_flags |= tcp_ecn_make_synack(tp);
	tp->write_seq = tp->iss + 1;
	tp->pushed_seq = tp->write_seq;
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
		/* No memory for it: the retransmit timer tries again, as for a
		 * lost segment (and gives up as for one); until then no ACK can
		 * acknowledge a FIN that was never sent. */
		tp->fin_pending = true;
		if (!tcp_xmit_timer_on(tp, TCP_TIMER_RETRANS))
			tcp_reset_rto(sk);
		return;
	}
	tp->fin_pending = false;
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
 * tcp_retrans_prepare - make @skb, the first unacknowledged skb, one
 * segment to send again: drop what the peer already has, split off the
 * first MSS of a super-packet (a loss is repaired a segment at a time, as
 * Linux's tcp_retransmit_skb does).  Return: the skb to retransmit, which
 * may be a new one before @skb, or @skb if no memory to split.
 */
struct sk_buff *tcp_retrans_prepare(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	u32 mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT;
	struct sk_buff *front;

	if (before(tcb->seq, tp->snd_una) && skb->len) {
		u32 trim = tp->snd_una - tcb->seq;

		if (trim >= skb->len)
			trim = skb->len;
		__skb_pull(skb, trim); /* tcp_transmit_skb realigns what is left */
		tcb->seq += trim;
	}
	if (skb->len > mss && (front = tcp_fragment(sk, skb, mss)) != NULL)
		return front;
	return skb;
}

/**
 * tcp_retransmit_skb - send the first unacknowledged data again, one
 * segment (tcp_retrans_prepare).  Return: 0 or -errno.
 */
int tcp_retransmit_skb(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *tcb;

	skb = tcp_retrans_prepare(sk, skb);
	tcb = TCP_SKB_CB(skb);
	tcb->retrans++;
	tcb->sacked |= TCPCB_SACKED_RETRANS;
	tcb->when = stack_now(sk->sk_stack);
	tp->total_retrans++;
	tcp_undo_note_retrans(sk);
	if (!tp->retrans_stamp)
		tp->retrans_stamp = tcb->when;
	SNMP_INC_STATS(sk->sk_stack, TCP_MIB_RETRANSSEGS);
	if (sk->sk_state != TCP_SYN_SENT)
		tcb->tcp_flags |= TCPHDR_ACK;
	if (tcb->tcp_flags & TCPHDR_SYN)
		tcp_ecn_clear_syn(sk, skb);
	tcp_prr_sent(tp, skb);
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
