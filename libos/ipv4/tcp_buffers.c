/*
 * tcp_buffers.c - how big a connection's buffers are: the send buffer grows
 * with the congestion window (tcp_sndbuf_expand), the receive buffer with
 * what the application actually reads per round trip (Linux's dynamic
 * right-sizing, tcp_rcv_space_adjust), both up to net.ipv4.tcp_{w,r}mem[2]
 * and never once the user fixed them with SO_SNDBUF / SO_RCVBUF.
 *
 * Read first: RFC 7323 §2.2 (the window scale is chosen once, in the SYN:
 * it must leave room for the largest buffer autotuning may reach); Linux's
 * tcp_init_buffer_space, tcp_sndbuf_expand, tcp_rcv_rtt_measure,
 * tcp_rcv_space_adjust (net/ipv4/tcp_input.c) for the policy; Fisk and
 * Feng, "Dynamic right-sizing in TCP" (2001) for the idea.
 */
#include "tcp.h"
#include "stack.h"

/* What one MSS of payload costs in the send buffer (an skb's truesize share). */
static u32 tcp_per_mss_truesize(const struct tcp_sock *tp)
{
	u32 mss = tp->mss_cache ? tp->mss_cache : TCP_MSS_DEFAULT;

	return (u32)SKB_TRUESIZE(mss + MAX_TCP_HEADER) + (u32)sizeof(struct sk_buff);
}

/**
 * tcp_sndbuf_expand - room for twice the congestion window (the data in
 * flight plus as much again queued behind it), at least twice the initial
 * window, capped by tcp_wmem[2].  The buffer only grows.
 */
void tcp_sndbuf_expand(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 segs = tp->snd_cwnd > TCP_INIT_CWND ? tp->snd_cwnd : TCP_INIT_CWND;
	u64 sndmem = 2ull * segs * tcp_per_mss_truesize(tp);
	int max = sk->sk_stack->sysctl.tcp_wmem[2];

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		return;
	if (sndmem > (u64)max)
		sndmem = (u64)max;
	if ((int)sndmem > sk->sk_sndbuf)
		sk->sk_sndbuf = (int)sndmem;
}

/**
 * tcp_select_wscale - our window scale for the SYN: enough for the largest
 * receive buffer this socket may ever have (RFC 7323 §2.2: it cannot change
 * later), i.e. what autotuning may reach unless SO_RCVBUF fixed the size.
 */
u8 tcp_select_wscale(const struct sock *sk)
{
	const struct sysctl *s = &sk->sk_stack->sysctl;
	u32 space = (u32)sk->sk_rcvbuf;
	u8 ws = 0;

	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK)) {
		if ((u32)s->tcp_rmem[2] > space)
			space = (u32)s->tcp_rmem[2];
		if ((u32)s->rmem_max > space)
			space = (u32)s->rmem_max;
	}
	while (ws < TCP_MAX_WSCALE && (space >> ws) > 65535)
		ws++;
	return ws;
}

/** tcp_init_buffer_space - the connection is established: start autotuning. */
void tcp_init_buffer_space(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 space = TCP_INIT_CWND * (u32)tp->advmss;

	tcp_sndbuf_expand(sk);
	tp->rcvq_space.space = tp->rcv_wnd < space ? tp->rcv_wnd : space;
	tp->rcvq_space.seq = tp->copied_seq;
	tp->rcvq_space.time = stack_now(sk->sk_stack);
	tp->rcv_rtt_est.valid = false;
	tp->rcv_rtt_est.time = 0;
	if (!tp->rcv_mss)
		tp->rcv_mss = tp->advmss < TCP_MSS_DEFAULT ? tp->advmss : TCP_MSS_DEFAULT;
}

/**
 * tcp_measure_rcv_mss - the peer's segment size, for the ACK policy: a
 * coalesced (GRO) super-segment counts by its gso_size, a plain one by its
 * length, and nothing above what we advertised.
 */
void tcp_measure_rcv_mss(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 seg = skb_shinfo(skb)->gso_size ? skb_shinfo(skb)->gso_size : skb->len;

	if (seg > tp->advmss)
		seg = tp->advmss;
	if (seg > tp->rcv_mss)
		tp->rcv_mss = (u16)seg;
}

/**
 * tcp_rcv_rtt_measure - the receiver's RTT without timestamps: the time a
 * window's worth of data takes to arrive (after we advertise a window, the
 * sender fills it within one RTT).  Kept as a minimum, as Linux does.
 */
void tcp_rcv_rtt_measure(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	ktime_t now = stack_now(sk->sk_stack);

	if (tp->rcv_rtt_est.time) {
		ktime_t sample = now - tp->rcv_rtt_est.time;

		if (before(tp->rcv_nxt, tp->rcv_rtt_est.seq))
			return;
		if (!tp->rcv_rtt_est.valid || sample < tp->rcv_rtt_est.rtt)
			tp->rcv_rtt_est.rtt = sample;
		tp->rcv_rtt_est.valid = true;
	}
	tp->rcv_rtt_est.seq = tp->rcv_nxt + tp->rcv_wnd;
	tp->rcv_rtt_est.time = now ? now : 1;
}

/**
 * tcp_rcv_space_adjust - after the application read: once per receiver
 * RTT, if it read more than in the RTT before, make the buffer hold twice
 * that (the sender may double its rate in slow start) plus some slack, up
 * to tcp_rmem[2].  The window follows the buffer (tcp_select_window).
 */
void tcp_rcv_space_adjust(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct sysctl *s = &sk->sk_stack->sysctl;
	ktime_t now = stack_now(sk->sk_stack);
	u32 copied;
	u64 rcvbuf;

	if (!tp->rcv_rtt_est.valid || now - tp->rcvq_space.time < tp->rcv_rtt_est.rtt)
		return;
	copied = tp->copied_seq - tp->rcvq_space.seq;
	if (copied > tp->rcvq_space.space) {
		if (s->tcp_moderate_rcvbuf && !(sk->sk_userlocks & SOCK_RCVBUF_LOCK)) {
			/* payload costs about twice its size in buffer (skb truesize) */
			rcvbuf = 2 * (2ull * copied + 16ull * tp->advmss);
			if (rcvbuf > (u64)s->tcp_rmem[2])
				rcvbuf = (u64)s->tcp_rmem[2];
			if ((int)rcvbuf > sk->sk_rcvbuf)
				sk->sk_rcvbuf = (int)rcvbuf;
		}
		tp->rcvq_space.space = copied;
	}
	tp->rcvq_space.seq = tp->copied_seq;
	tp->rcvq_space.time = now;
}
