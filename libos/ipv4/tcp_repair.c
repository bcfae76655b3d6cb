/*
 * tcp_repair.c - moving an established connection from one stack to
 * another (tcp_repair.h), as Linux's TCP_REPAIR lets CRIU do:
 *
 *   the owner:    tcp_repair_get -> tcp_repair_copy_queues -> tcp_repair_detach
 *   the new one:  sock_create -> tcp_repair_set (state, queues, hash, ACK)
 *
 * Only the synchronised states where our FIN is not queued move
 * (ESTABLISHED, CLOSE_WAIT).  What is not carried, and why that is safe:
 * - the out-of-order queue: data above rcv_nxt, never acknowledged
 *   cumulatively; the peer sends it again (a SACKed block dropped is the
 *   reneging RFC 2018 §8 allows; the sender keeps it until it is ACKed);
 * - the SACK scoreboard and the recovery state: the new stack starts with
 *   everything from snd_una as not sent (snd_nxt = snd_una) and sends it
 *   again at once: the peer drops the duplicates (RFC 9293 §3.10.7.4), at
 *   worst it reports them with D-SACK (RFC 2883);
 * - the route and the timers: rebuilt by the new stack (the RTO from the
 *   carried srtt/rttvar, keepalive if SO_KEEPALIVE).
 * The clock is CLOCK_MONOTONIC in every process, so TSval (tsoffset) and
 * TS.Recent's age stay right across the move.
 */
#include <errno.h>
#include <string.h>

#include "tcp_repair.h"
#include "alloc.h"
#include "stack.h"

/* Bytes of @q from its first skb on (each skb's data is what is left). */
static u32 queue_bytes(const struct sk_buff_head *q)
{
	const struct sk_buff *skb;
	u32 n = 0;

	skb_queue_walk(q, skb)
		n += skb->len;
	return n;
}

static void repair_get_sock(const struct sock *sk, struct tcp_repair *r)
{
	const struct inet_sock *inet = inet_sk(sk);

	r->state = sk->sk_state;
	r->shutdown = sk->sk_shutdown;
	r->userlocks = sk->sk_userlocks;
	r->saddr = inet->inet_saddr;
	r->daddr = sk->sk_daddr;
	r->rcv_saddr = sk->sk_rcv_saddr;
	r->sport = inet->inet_sport;
	r->dport = sk->sk_dport;
	r->num = sk->sk_num;
	r->bound_dev_if = sk->sk_bound_dev_if;
	r->rcvbuf = sk->sk_rcvbuf;
	r->sndbuf = sk->sk_sndbuf;
	r->rcvlowat = sk->sk_rcvlowat;
	r->err_soft = sk->sk_err_soft;
	r->rcvtimeo = sk->sk_rcvtimeo;
	r->sndtimeo = sk->sk_sndtimeo;
	r->flags = sk->sk_flags;
	r->lingertime = sk->sk_lingertime;
	r->priority = sk->sk_priority;
	r->mark = sk->sk_mark;
	r->uc_ttl = inet->uc_ttl;
	r->rx_dst_ifindex = inet->rx_dst_ifindex;
	r->tos = inet->tos;
	r->pmtudisc = inet->pmtudisc;
	r->rcv_tos = inet->rcv_tos;
	r->inet_bits = (u8)(inet->recverr | inet->hdrincl << 1 | inet->mc_loop << 2 |
			    inet->pktinfo << 3 | inet->recvtos << 4 | inet->recvttl << 5 |
			    inet->origdstaddr << 6);
	r->inet_id = inet->inet_id;
}

static void repair_get_tcp(const struct tcp_sock *tp, struct tcp_repair *r)
{
	r->snd_una = tp->snd_una;
	r->snd_nxt = tp->snd_nxt;
	r->snd_wnd = tp->snd_wnd;
	r->snd_wl1 = tp->snd_wl1;
	r->snd_wl2 = tp->snd_wl2;
	r->max_window = tp->max_window;
	r->write_seq = tp->write_seq;
	r->snd_max = tp->snd_max;
	r->rcv_nxt = tp->rcv_nxt;
	r->rcv_wnd = tp->rcv_wnd;
	r->rcv_wup = tp->rcv_wup;
	r->copied_seq = tp->copied_seq;
	r->window_clamp = tp->window_clamp;
	r->rcv_ssthresh = tp->rcv_ssthresh;
	r->iss = tp->iss;
	r->irs = tp->irs;
	r->tsoffset = tp->tsoffset;
	r->snd_cwnd = tp->snd_cwnd;
	r->snd_ssthresh = tp->snd_ssthresh;
	r->reordering = tp->reordering;
	r->notsent_lowat = tp->notsent_lowat;
	r->pushed_seq = tp->pushed_seq;
	r->snd_sml = tp->snd_sml;
	r->mss_cache = tp->mss_cache;
	r->advmss = tp->advmss;
	r->user_mss = tp->user_mss;
	r->rcv_mss = tp->rcv_mss;
	r->route_caps = tp->route_caps;
	r->rx_opt = tp->rx_opt;
	r->srtt = tp->srtt;
	r->rttvar = tp->rttvar;
	r->rto = tp->rto;
	r->user_timeout = tp->user_timeout;
	r->rtt_seen = tp->rtt_seen;
	r->recvmsg_inq = tp->recvmsg_inq;
	r->nonagle = tp->nonagle;
	r->cork = tp->cork;
	r->urg_mode = tp->urg_mode;
	r->syn_retries = tp->syn_retries;
	r->snd_up = tp->snd_up;
	r->urg_seq = tp->urg_seq;
	r->urg_data = tp->urg_data;
	r->keepalive_time_s = tp->keepalive_time_s;
	r->keepalive_intvl_s = tp->keepalive_intvl_s;
	r->keepalive_probes = tp->keepalive_probes;
	r->ca = tp->ca_ops == &tcp_reno;
	memcpy(r->ca_priv, tp->ca_priv, sizeof(r->ca_priv));
}

/**
 * tcp_repair_get - the state of @sk, into @r, with the lengths of the
 * queues tcp_repair_copy_queues() will copy.  Borrows @sk.
 * Return: 0, or -EOPNOTSUPP for a state that does not move (listening,
 * handshaking, closing: our FIN queued or sent), -EBADFD after an error,
 * -EAFNOSUPPORT for a connection over IPv6.
 */
int tcp_repair_get(struct sock *sk, struct tcp_repair *r)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	/* struct tcp_repair carries IPv4 addresses only: TCP over IPv6 stays put */
	if (sk->sk_family != AF_INET)
		return -EAFNOSUPPORT;
	if (sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_CLOSE_WAIT)
		return -EOPNOTSUPP;
	if ((sk->sk_shutdown & SEND_SHUTDOWN) || tp->migrated)
		return -EOPNOTSUPP;
	if (sk->sk_err)
		return -EBADFD;
	memset(r, 0, sizeof(*r));
	r->magic = TCP_REPAIR_MAGIC;
	r->version = TCP_REPAIR_VERSION;
	repair_get_sock(sk, r);
	repair_get_tcp(tp, r);
	r->rx_len = queue_bytes(&sk->sk_receive_queue);
	r->tx_len = tp->write_seq - tp->snd_una;
	return 0;
}

/**
 * tcp_repair_copy_queues - the bytes @r counts: unread received data into
 * @rx, unacknowledged and unsent data into @tx.  Borrows @sk.
 */
void tcp_repair_copy_queues(struct sock *sk, const struct tcp_repair *r, u8 *rx, u8 *tx)
{
	const struct sk_buff *skb;
	u32 off = 0;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		memcpy(rx + off, skb->data, skb->len);
		off += skb->len;
	}
	/* The write queue starts at snd_una (acked skbs are freed or trimmed
	 * by tcp_clean_rtx_queue): its bytes are seq order, payload only. */
	skb_queue_walk(&sk->sk_write_queue, skb) {
		u32 seq = TCP_SKB_CB(skb)->seq, skip = 0, n;

		if (before(seq, r->snd_una))
			skip = r->snd_una - seq;
		if (skip >= skb->len)
			continue;
		n = skb->len - skip;
		if (seq + skip - r->snd_una + n > r->tx_len)
			n = r->tx_len - (seq + skip - r->snd_una);
		memcpy(tx + (seq + skip - r->snd_una), skb->data + skip, n);
	}
}

/**
 * tcp_repair_detach - @sk now lives in another stack: it sends nothing
 * more (no FIN, no RST, no ACK), its queues and timers go, and it stays
 * in the established table only so that segments of the flow still
 * arriving here are dropped silently (tcp_v4_rcv) until it is closed.
 */
void tcp_repair_detach(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->migrated = true;
	tcp_clear_xmit_timers(sk);
	del_timer(&tp->keepalive_timer);
	skb_queue_purge(&sk->sk_receive_queue);
	skb_queue_purge(&sk->sk_write_queue);
	skb_queue_purge(&tp->out_of_order_queue);
	tp->send_head = NULL;
	tp->urg_data = 0;
	tcp_set_state(sk, TCP_CLOSE);
	sk->sk_shutdown = SHUTDOWN_MASK;
	sock_set_flag(sk, SOCK_DONE);
	tcp_moved_add(sk->sk_stack, sk->sk_daddr, sk->sk_dport, sk->sk_num);
	sk->sk_state_change(sk);
}

/* ---- flows handed away: never answered here --------------------------------- */

/*
 * When this stack still sees a moved flow's segments (a listener group's
 * port is let in to every member, and a copy may be processed late, after
 * the flow's new owner has finished and gone), it must not reset them: the
 * connection is alive, or ended cleanly, elsewhere.  Remembered for as long
 * as a TIME_WAIT lasts (RFC 9293 §3.6: 2 MSL), in a small table: when it is
 * full the oldest entry of a probe sequence goes, which at worst lets an
 * RST answer a segment of a flow ended long ago.
 */
#define TCP_MOVED_SLOTS 4096
#define TCP_MOVED_PROBES 8

struct tcp_moved_ent {
	__be32 raddr;
	__be16 rport;
	u16 lport;
	ktime_t until;
};

struct tcp_moved {
	struct tcp_moved_ent ent[TCP_MOVED_SLOTS];
};

static u32 tcp_moved_hash(__be32 raddr, __be16 rport, u16 lport)
{
	u32 x = (u32)raddr ^ ((u32)rport << 16 | lport) * 0x9e3779b1u;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	return x ^ (x >> 12);
}

/** tcp_moved_add - segments of (@raddr, @rport, local @lport) are another stack's. */
void tcp_moved_add(struct stack *st, __be32 raddr, __be16 rport, u16 lport)
{
	u32 h = tcp_moved_hash(raddr, rport, lport);
	ktime_t now = stack_now(st);
	struct tcp_moved_ent *best = NULL;

	if (!st->ipv4.tcp_moved && !(st->ipv4.tcp_moved = kzalloc(st->failslab, sizeof(struct tcp_moved))))
		return;
	for (int i = 0; i < TCP_MOVED_PROBES; i++) {
		struct tcp_moved_ent *e = &st->ipv4.tcp_moved->ent[(h + i) % TCP_MOVED_SLOTS];

		if (e->until <= now || (e->raddr == raddr && e->rport == rport && e->lport == lport)) {
			best = e;
			break;
		}
		if (!best || e->until < best->until)
			best = e;
	}
	*best = (struct tcp_moved_ent){ raddr, rport, lport, now + TCP_TIMEWAIT_LEN };
}

/** tcp_moved - was (@raddr, @rport, local @lport) handed to another stack lately? */
bool tcp_moved(struct stack *st, __be32 raddr, __be16 rport, u16 lport)
{
	u32 h = tcp_moved_hash(raddr, rport, lport);
	ktime_t now;

	if (likely(!st->ipv4.tcp_moved))
		return false;
	now = stack_now(st);
	for (int i = 0; i < TCP_MOVED_PROBES; i++) {
		const struct tcp_moved_ent *e = &st->ipv4.tcp_moved->ent[(h + i) % TCP_MOVED_SLOTS];

		if (e->raddr == raddr && e->rport == rport && e->lport == lport && e->until > now)
			return true;
	}
	return false;
}

/** tcp_moved_free - the stack goes. */
void tcp_moved_free(struct stack *st)
{
	kfree(st->failslab, st->ipv4.tcp_moved);
	st->ipv4.tcp_moved = NULL;
}

static void repair_set_sock(struct sock *sk, const struct tcp_repair *r)
{
	struct inet_sock *inet = inet_sk(sk);

	sk->sk_shutdown = r->shutdown;
	sk->sk_userlocks = r->userlocks;
	inet->inet_saddr = r->saddr;
	sk->sk_daddr = r->daddr;
	sk->sk_rcv_saddr = r->rcv_saddr;
	inet->inet_sport = r->sport;
	sk->sk_dport = r->dport;
	sk->sk_num = r->num;
	sk->sk_bound_dev_if = r->bound_dev_if;
	sk->sk_rcvbuf = r->rcvbuf;
	sk->sk_sndbuf = r->sndbuf;
	sk->sk_rcvlowat = r->rcvlowat;
	sk->sk_err_soft = r->err_soft;
	sk->sk_rcvtimeo = r->rcvtimeo;
	sk->sk_sndtimeo = r->sndtimeo;
	sk->sk_flags = r->flags & ~((1ul << SOCK_DEAD) | (1ul << SOCK_ZAPPED));
	sk->sk_lingertime = r->lingertime;
	sk->sk_priority = r->priority;
	sk->sk_mark = r->mark;
	inet->uc_ttl = r->uc_ttl;
	inet->rx_dst_ifindex = r->rx_dst_ifindex;
	inet->tos = r->tos;
	inet->pmtudisc = r->pmtudisc;
	inet->rcv_tos = r->rcv_tos;
	inet->recverr = r->inet_bits & 1;
	inet->hdrincl = (r->inet_bits >> 1) & 1;
	inet->mc_loop = (r->inet_bits >> 2) & 1;
	inet->pktinfo = (r->inet_bits >> 3) & 1;
	inet->recvtos = (r->inet_bits >> 4) & 1;
	inet->recvttl = (r->inet_bits >> 5) & 1;
	inet->origdstaddr = (r->inet_bits >> 6) & 1;
	inet->inet_id = r->inet_id;
}

static void repair_set_tcp(struct tcp_sock *tp, const struct tcp_repair *r)
{
	tp->snd_una = r->snd_una;
	tp->snd_nxt = r->snd_una; /* everything from snd_una goes out again */
	tp->snd_wnd = r->snd_wnd;
	tp->snd_wl1 = r->snd_wl1;
	tp->snd_wl2 = r->snd_wl2;
	tp->max_window = r->max_window;
	tp->write_seq = r->write_seq;
	tp->snd_max = r->snd_max;
	tp->rcv_nxt = r->rcv_nxt;
	tp->rcv_wnd = r->rcv_wnd;
	tp->rcv_wup = r->rcv_wup;
	tp->copied_seq = r->copied_seq;
	tp->window_clamp = r->window_clamp;
	tp->rcv_ssthresh = r->rcv_ssthresh;
	tp->iss = r->iss;
	tp->irs = r->irs;
	tp->tsoffset = r->tsoffset;
	tp->snd_cwnd = r->snd_cwnd;
	tp->snd_ssthresh = r->snd_ssthresh;
	tp->reordering = r->reordering;
	tp->notsent_lowat = r->notsent_lowat;
	tp->pushed_seq = r->pushed_seq;
	tp->snd_sml = r->snd_sml;
	tp->mss_cache = r->mss_cache;
	tp->advmss = r->advmss;
	tp->user_mss = r->user_mss;
	tp->rcv_mss = r->rcv_mss;
	tp->route_caps = r->route_caps;
	tp->rx_opt = r->rx_opt;
	tp->srtt = r->srtt;
	tp->rttvar = r->rttvar;
	tp->rto = r->rto;
	tp->user_timeout = r->user_timeout;
	tp->rtt_seen = r->rtt_seen;
	tp->recvmsg_inq = r->recvmsg_inq;
	tp->nonagle = r->nonagle & 1;
	tp->cork = r->cork & 1;
	tp->urg_mode = r->urg_mode;
	tp->syn_retries = r->syn_retries;
	tp->snd_up = r->snd_up;
	tp->urg_seq = r->urg_seq;
	tp->urg_data = r->urg_data;
	tp->keepalive_time_s = r->keepalive_time_s;
	tp->keepalive_intvl_s = r->keepalive_intvl_s;
	tp->keepalive_probes = r->keepalive_probes;
	tp->ca_ops = r->ca ? &tcp_reno : &tcp_cubic;
	memcpy(tp->ca_priv, r->ca_priv, sizeof(tp->ca_priv));
}

/* The unread bytes as in-order receive skbs, charged to @sk. */
static int repair_fill_rx(struct sock *sk, const struct tcp_repair *r, const u8 *rx)
{
	u32 seq = r->copied_seq;

	for (u32 off = 0; off < r->rx_len;) {
		u32 n = r->rx_len - off > 32768 ? 32768 : r->rx_len - off;
		struct sk_buff *skb = alloc_skb(sk->sk_stack, n);

		if (!skb)
			return -ENOMEM;
		memcpy(skb_put(skb, n), rx + off, n);
		TCP_SKB_CB(skb)->seq = seq;
		TCP_SKB_CB(skb)->end_seq = seq + n;
		skb_set_owner_r(skb, sk);
		skb_queue_tail(&sk->sk_receive_queue, skb);
		seq += n;
		off += n;
	}
	return 0;
}

/* The bytes from snd_una on as unsent write-queue skbs of one size goal. */
static int repair_fill_tx(struct sock *sk, const struct tcp_repair *r, const u8 *tx)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 goal = tcp_xmit_size_goal(sk), seq = r->snd_una;

	for (u32 off = 0; off < r->tx_len;) {
		u32 n = r->tx_len - off > goal ? goal : r->tx_len - off;
		struct sk_buff *skb = tcp_alloc_skb(sk, n);

		if (!skb)
			return -ENOMEM;
		tcp_wmem_charge_used(skb);
		skb_set_owner_w(skb, sk);
		memcpy(skb_put(skb, n), tx + off, n);
		tcp_wmem_charge(sk, skb, (int)n);
		TCP_SKB_CB(skb)->seq = seq;
		TCP_SKB_CB(skb)->end_seq = seq + n;
		TCP_SKB_CB(skb)->tcp_flags = TCPHDR_ACK | TCPHDR_PSH;
		skb_queue_tail(&sk->sk_write_queue, skb);
		if (!tp->send_head)
			tp->send_head = skb;
		seq += n;
		off += n;
	}
	return 0;
}

/**
 * tcp_repair_set - make the new, unbound TCP socket @sk the connection @r
 * describes, with its queued bytes @rx and @tx; it is in the established
 * table when this returns, and has sent an ACK (a window update the peer
 * may use at once) and what @tx holds, as far as the windows allow.  The
 * caller owns the port (the shim claims it).  Return: 0 or -errno.
 */
int tcp_repair_set(struct sock *sk, const struct tcp_repair *r, const u8 *rx, const u8 *tx)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int rc;

	if (r->magic != TCP_REPAIR_MAGIC || r->version != TCP_REPAIR_VERSION ||
	    (r->state != TCP_ESTABLISHED && r->state != TCP_CLOSE_WAIT) ||
	    r->tx_len != r->write_seq - r->snd_una)
		return -EINVAL;
	repair_set_sock(sk, r);
	repair_set_tcp(tp, r);
	tcp_set_state(sk, r->state);
	sk->sk_socket->state = SS_CONNECTED;
	tcp_init_buffer_space(sk);
	rc = repair_fill_rx(sk, r, rx);
	if (!rc)
		rc = repair_fill_tx(sk, r, tx);
	if (rc)
		return rc;
	tcp_hash(sk);
	if (sock_flag(sk, SOCK_KEEPOPEN))
		tcp_set_keepalive(sk, true);
	tcp_send_ack(sk);
	if (tp->send_head)
		tcp_write_xmit(sk, false);
	return 0;
}
